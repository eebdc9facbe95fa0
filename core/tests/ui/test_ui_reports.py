"""Reports on the run page: a sandboxed frame with the report's own tabs, refreshed while the task writes it."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

import flyte
import flyte.report
from flyte._runtime.journal import journal

env = flyte.TaskEnvironment("ui_reports")


@env.task(report=True)
async def two_tabs() -> str:
    await flyte.report.replace.aio("<p id='fox'>The quick, brown fox jumps over a lazy dog.</p>")
    flyte.report.get_tab("Tab 2").log("<p id='dog'>The quick, brown dog jumps over a lazy fox.</p>")
    await flyte.report.flush.aio()
    return "ok"


@env.task(report=True)
async def ticking(release: str) -> int:
    ticks = 0
    while not Path(release).exists() and ticks < 200:
        ticks += 1
        flyte.report.get_tab("main").replace(f"<p id='main-tick'>main {ticks}</p>")
        flyte.report.get_tab("Details").replace(f"<p id='tick'>tick {ticks}</p>")
        await flyte.report.flush.aio()
        await asyncio.sleep(0.6)
    return ticks


def test_a_report_shows_in_a_sandboxed_frame_with_its_tabs(ui, page):
    run = flyte.run(two_tabs)
    page.goto(run.url)
    frame_el = page.locator("#detail-report iframe.report-frame.active")
    expect(frame_el).to_have_attribute(
        "sandbox", "allow-scripts allow-popups allow-popups-to-escape-sandbox allow-forms allow-modals allow-downloads"
    )
    frame = page.frame_locator("#detail-report iframe.report-frame.active")
    expect(frame.get_by_role("tab")).to_have_text(["main", "Tab 2"])
    expect(frame.locator("#fox")).to_be_visible()
    expect(frame.locator("#dog")).to_be_hidden()
    frame.get_by_role("tab", name="Tab 2").click()
    expect(frame.locator("#dog")).to_be_visible()
    expect(frame.locator("#fox")).to_be_hidden()
    # The frame grows to the report's height (the report tells the page through postMessage).
    assert frame_el.evaluate("f => parseInt(f.style.height)") >= 120


def test_a_live_report_keeps_the_tab_the_reader_chose(ui, page, tmp_path):
    release = tmp_path / "stop"
    thread = threading.Thread(target=lambda: flyte.with_runcontext(name="ticking").run(ticking, str(release)))
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not any(a.report_uri for a in _actions("ticking")):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        page.goto(ui.run_url("ticking"))  # the root action, the one with the report, is selected
        page.evaluate("window.loadedOnce = true")
        frame = page.frame_locator("#detail-report iframe.report-frame.active")
        for _ in range(5):  # a click can land on a version of the frame that is being replaced
            try:
                frame.get_by_role("tab", name="Details").click(timeout=2_000)
                break
            except (PlaywrightError, PlaywrightTimeoutError):
                continue
        first = int(frame.locator("#tick").inner_text().split()[1])
        # New versions of the report replace the frame; the Details tab stays shown.
        expect(frame.locator("#tick")).not_to_have_text(f"tick {first}", timeout=10_000)
        later = int(frame.locator("#tick").inner_text().split()[1])
        assert later > first
        expect(frame.locator("#tick")).to_be_visible()
        expect(frame.get_by_role("tab", name="Details")).to_have_attribute("aria-selected", "true")
        assert page.evaluate("window.loadedOnce") is True
        assert page.locator("#detail-report iframe").count() <= 2
    finally:
        release.touch()
        thread.join(30)
    expect(page.locator("#run-phase")).to_have_text("Succeeded", timeout=10_000)


def _actions(run_name: str) -> list:
    try:
        return journal().list_actions(run_name)
    except Exception:
        return []
