#!/usr/bin/env bash
# Set up and run every test: lint, then the test suites of the core, the plugins and the
# cross-package tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export FLYTE_STRICT_PLUGINS=1
.venv/bin/ruff check .
.venv/bin/python -m pytest -q "$@"
