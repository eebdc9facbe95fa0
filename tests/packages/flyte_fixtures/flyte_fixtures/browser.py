"""Headless Chromium through Playwright (Debian's package, never Playwright's download)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Where Debian (and this repository's ``scripts/setup.sh``) installs Chromium.
CHROMIUM = Path("/usr/bin/chromium")
#: Flags for a quiet headless Chromium in a container: no sandbox, GPU, updates or first-run pages.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


@contextmanager
def headless_chromium(executable: Path = CHROMIUM, args: Sequence[str] = CHROMIUM_ARGS) -> Iterator[Any]:
    """Launch the Chromium at `executable` headless through Playwright; yield its ``Browser``.

    Needs the ``playwright`` package (not its downloaded browsers). The browser is closed afterwards.
    """
    if not executable.exists():
        raise AssertionError(f"{executable} is missing: run `bash scripts/setup.sh` (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(executable), args=list(args))
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def browser_page(
    browser: Any,
    *,
    viewport: dict[str, int] | None = None,
    timeout_ms: float | None = None,
    script_errors: list[str] | None = None,
) -> Iterator[Any]:
    """A fresh page of `browser` in a browser context of its own, closed afterwards.

    Args:
        browser: A Playwright ``Browser`` (from `headless_chromium`, say).
        viewport: The page's size, e.g. ``{"width": 1440, "height": 900}``; Playwright's default if None.
        timeout_ms: When set, how long the page's actions and Playwright's ``expect`` assertions wait
            (the latter setting is global to the process).
        script_errors: When given, the uncaught errors of the page's scripts are appended to it.
    """
    if timeout_ms is not None:
        from playwright.sync_api import expect

        expect.set_options(timeout=timeout_ms)
    context = browser.new_context(viewport=viewport) if viewport is not None else browser.new_context()
    try:
        page = context.new_page()
        if timeout_ms is not None:
            page.set_default_timeout(timeout_ms)
        if script_errors is not None:
            page.on("pageerror", lambda e: script_errors.append(str(e)))
        yield page
    finally:
        context.close()
