"""Fixtures of the docs pages checked in a browser (the UI, reports, the human-in-the-loop form)."""

from __future__ import annotations

import pytest
from flyte_fixtures import headless_chromium


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (scripts/setup.sh installs both)."""
    with headless_chromium() as chromium:
        yield chromium
