#!/usr/bin/env bash
# Set up and run every test: lint, then the test suites of the core, the plugins and the
# cross-package tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export FLYTE_STRICT_PLUGINS=1
# The container-task tests need a Docker engine and a local image; the shared tool beside the
# checkout starts them (as root: it may apt-get install docker.io). Tests say why they skip without.
if [ -f ../shared/tools/docker-test-env ]; then bash ../shared/tools/docker-test-env || true; fi
.venv/bin/ruff check .
.venv/bin/python -m pytest -q "$@"
