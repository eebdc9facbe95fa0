"""Fixtures of the UI tests: a UI serving the test's FLYTE_HOME, and Debian's Chromium driven by Playwright.

Screenshots go to ``.artifacts/ui/`` at the repository root (gitignored) for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / ".artifacts" / "ui"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


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
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run `bash scripts/setup.sh` (it installs Debian's chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser page; scripts that fail on it fail the test."""
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # how long assertions wait for the page (a loaded machine is slow)
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
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
