"""Fixtures: a FLYTE_HOME per test, its event app stopped afterwards, an HTTP client, Chromium.

Every app a test starts serves a store under pytest's temporary directory; each test stops its
own, and the session ends by checking that no app of a test store is left running.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from flyte_fixtures import browser_page, headless_chromium
from hitl_support import app_processes

import flyteplugins.hitl as hitl


@pytest.fixture(scope="session", autouse=True)
def no_stray_apps(tmp_path_factory) -> Iterator[None]:
    base = tmp_path_factory.getbasetemp()
    yield
    strays = app_processes(base)
    for pid in strays:  # apps of this session's stores only: stop them, then fail
        os.kill(pid, signal.SIGTERM)
    assert strays == [], f"event apps left running after the tests: {strays}"


@pytest.fixture(autouse=True)
def flyte_home(tmp_path, monkeypatch) -> Iterator[Path]:
    """Every test journals into its own FLYTE_HOME; the event app it started is stopped after it."""
    home = tmp_path / "flyte-home"
    monkeypatch.setenv("FLYTE_HOME", str(home))
    monkeypatch.delenv("FLYTE_HITL_PORT", raising=False)
    monkeypatch.delenv("FLYTE_HITL_HOST", raising=False)
    yield home
    hitl.shutdown(home=home)
    deadline = time.monotonic() + 10
    while app_processes(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert app_processes(tmp_path) == [], "the test's event app is still running"


@pytest.fixture
def store(flyte_home) -> hitl.EventStore:
    return hitl.EventStore.for_home(flyte_home)


@pytest.fixture
def app(flyte_home) -> hitl.AppInfo:
    """The test's event app, started."""
    return hitl.serve()


@pytest.fixture
def client(app) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app.endpoint, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (scripts/setup.sh installs both)."""
    with headless_chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser):
    with browser_page(browser) as page:
        yield page
