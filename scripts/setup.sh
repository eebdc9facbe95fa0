#!/usr/bin/env bash
# Create .venv (if needed) and install the core, the plugins and the test tools into it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
pkgs=(-e core)
for p in plugins/*/; do [ -f "$p/pyproject.toml" ] && pkgs+=(-e "$p"); done
for p in tests/packages/*/; do [ -f "$p/pyproject.toml" ] && pkgs+=(-e "$p"); done
.venv/bin/python -m pip install -q "${pkgs[@]}" -r requirements-dev.txt 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import flyte" # fail loudly if the install did not work
