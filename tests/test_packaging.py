"""Packaging rules: one version for every package, plugins pinned to it, a cheap `import flyte`."""

from __future__ import annotations

import json
import re
import subprocess
import sys

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = sorted(p.parent for p in (ROOT / "plugins").glob("*/pyproject.toml"))


def core_version() -> str:
    text = (ROOT / "core" / "src" / "flyte" / "_version.py").read_text()
    return re.search(r'__version__ = "([^"]+)"', text).group(1)


def test_core_version_has_a_local_label():
    # A registry never serves versions with a local label, so a pin on it never resolves upstream.
    assert "+" in core_version()


@pytest.mark.parametrize("plugin", PLUGINS, ids=[p.name for p in PLUGINS])
def test_plugin_versions_and_pins(plugin):
    meta = tomllib.loads((plugin / "pyproject.toml").read_text())["project"]
    assert meta["name"] == f"flyteplugins-{plugin.name}"
    assert meta.get("version") == core_version()
    pins = [d for d in meta.get("dependencies", []) if re.match(r"^flyte\b(?!plugins)", d)]
    assert pins == [f"flyte=={core_version()}"], pins
    assert not (plugin / "src" / "flyteplugins" / "__init__.py").exists(), "flyteplugins is a namespace package"
    assert (plugin / "src" / "flyteplugins" / plugin.name / "py.typed").exists()
    assert (plugin / "README.md").exists()


@pytest.mark.subprocess
@pytest.mark.parametrize("plugin", PLUGINS[:1], ids=[p.name for p in PLUGINS[:1]])
def test_installing_a_plugin_never_pulls_the_upstream_flyte(plugin, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # Resolve the plugin alone (no local core): the pin must fail to resolve instead of fetching flyte.
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--dry-run",
         "--report", "-", "--quiet", str(plugin)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode != 0
    assert f"flyte=={core_version()}" in result.stderr
    if result.stdout.strip():
        installs = [i["metadata"]["name"] for i in json.loads(result.stdout).get("install", [])]
        assert "flyte" not in installs


def test_import_flyte_loads_nothing_heavy():
    code = (
        "import sys, flyte; heavy = [m for m in ('pandas', 'pyarrow', 'polars', 'fastapi', 'docker', 'wandb', "
        "'numpy', 'google.protobuf', 'flyteidl2', 'flyte.types', 'asyncio', 'sqlite3') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
