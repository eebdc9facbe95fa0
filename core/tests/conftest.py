from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def flyte_home(tmp_path, monkeypatch):
    """Every test journals into its own FLYTE_HOME."""
    home = tmp_path / "flyte-home"
    monkeypatch.setenv("FLYTE_HOME", str(home))
    return home
