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

# Headless Chromium for the tests that check HTML pages (reports): Debian's package, driven by
# Playwright (requirements-dev.txt) with executable_path=/usr/bin/chromium. Playwright's own
# browser download is never used.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "setup.sh: /usr/bin/chromium is missing and this user cannot install it; run 'apt-get install -y chromium' as root" >&2
    exit 1
  fi
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq chromium >/dev/null
fi
