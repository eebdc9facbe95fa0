"""Fixtures of the UI tests: a UI serving the test's FLYTE_HOME, and Debian's Chromium driven by Playwright.

Screenshots go to ``.artifacts/ui/`` at the repository root (gitignored) for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flyte_fixtures import browser_page, headless_chromium

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / ".artifacts" / "ui"


@pytest.fixture
def ui(flyte_home):
    """The UI serving this test's FLYTE_HOME on a free loopback port (stopped after the test)."""
    import flyte.ui

    server = flyte.ui.start(port=0, home=flyte_home)
    try:
        yield server
    finally:
        server.stop()
    assert flyte.ui.serving(flyte_home) is None


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (scripts/setup.sh installs both)."""
    with headless_chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser):
    """A fresh browser page; scripts that fail on it fail the test."""
    errors: list[str] = []
    # 15 s: how long actions and assertions wait for the page (a loaded machine is slow)
    with browser_page(
        browser, viewport={"width": 1440, "height": 900}, timeout_ms=15_000, script_errors=errors
    ) as page:
        yield page
    assert errors == [], f"scripts on the page failed: {errors}"


@pytest.fixture
def screenshot():
    """Save a screenshot of a page as .artifacts/ui/<name>.png (kept as a test artifact, never committed)."""

    def take(page, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 1000
        return path

    return take
