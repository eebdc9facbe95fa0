"""Page "Reports": the simple (tabs), complex (globe) and streaming examples, checked in headless Chromium.

Reports are self-contained HTML pages in the blob store; the journal names each action's page
(``report_uri``) from its first flush on, so a reader can watch it while the task runs.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
from flyte_fixtures import browser_page

import flyte
from flyte._runtime.blobstore import local_path
from flyte._runtime.journal import journal
from flyte.models import ActionPhase

from ._support import EXAMPLES_DIR, actions_named, explain, run_file
from .examples import reports_globe, reports_simple, reports_streaming


@pytest.fixture
def page(browser):
    errors: list[str] = []
    with browser_page(browser, script_errors=errors) as page:
        yield page
    assert errors == [], f"scripts in the report failed: {errors}"


def _report_path(action) -> Path:
    uri = action.record.report_uri
    assert uri, f"action {action.short_name} has no report"
    return local_path(uri)


# ------------------------------------------------------------------------------ simple example


def test_simple_example_writes_two_tabs(page):
    run = flyte.run(reports_simple.task1)
    assert run.phase == ActionPhase.SUCCEEDED
    (action,) = actions_named(run, "task1")
    path = _report_path(action)
    assert path.is_file()
    page.goto(path.as_uri())
    assert "task1" in page.title()
    tabs = page.locator("nav.flyte-report-tabs button")
    assert tabs.all_inner_texts() == ["main", "Tab 2"]
    fox = page.get_by_text("The quick, brown fox jumps over a lazy dog.")
    dog = page.get_by_text("The quick, brown dog jumps over a lazy fox.")
    # The default tab is shown first; the other is one click away.
    assert fox.is_visible() and not dog.is_visible()
    page.get_by_role("tab", name="Tab 2").click()
    assert dog.is_visible() and not fox.is_visible()
    assert page.get_by_role("tab", name="Tab 2").get_attribute("aria-selected") == "true"
    page.get_by_role("tab", name="main").click()
    assert fox.is_visible() and not dog.is_visible()


@pytest.mark.subprocess
def test_simple_example_as_a_script_prints_name_and_url():
    proc = run_file(EXAMPLES_DIR / "reports_simple.py")
    assert proc.returncode == 0, explain(proc)
    name, url = proc.stdout.splitlines()[:2]
    run = flyte.remote.Run.get(name)
    assert url == run.url
    (action,) = actions_named(run, "task1")
    assert "Tab 2" in _report_path(action).read_text()
    # The run page links the report.
    assert action.record.report_uri in local_path(url).read_text()


# ------------------------------------------------------------------------------ complex example


def test_globe_example_runs_its_scripts(page):
    run = flyte.run(reports_globe.generate_globe_visualization)
    (action,) = actions_named(run, "generate_globe_visualization")
    page.goto(_report_path(action).as_uri())
    # A single tab: no tab bar, the content straight away.
    assert page.locator("nav.flyte-report-tabs").count() == 0
    assert page.locator("#cities tr").count() == 21  # header + 20 cities
    assert page.locator("#globe circle").count() == 20  # drawn by the report's script
    assert page.locator("#plotted").inner_text() == "20 cities plotted"
    assert page.locator('#globe circle[data-city="Tokyo"]').get_attribute("cx") == "139.6503"


# ------------------------------------------------------------------------------ streaming example


def _progress(page) -> tuple[int, int]:
    percent = int(page.locator("#percent").inner_text().rstrip("%"))
    return percent, page.locator("#activity li").count()


def test_streaming_example_is_readable_while_it_runs(page):
    run_name = "streaming-report"
    result: dict = {}

    def go() -> None:
        try:
            result["run"] = flyte.with_runcontext(name=run_name).run(reports_streaming.main)
        except BaseException as e:  # reported below
            result["error"] = e

    thread = threading.Thread(target=go)
    thread.start()
    states: list[str] = []
    try:
        path = None
        deadline = time.monotonic() + 30
        while thread.is_alive() and time.monotonic() < deadline:
            if path is None:
                found = [a for a in journal().list_actions(run_name) if a.report_uri]
                path = local_path(found[0].report_uri) if found else None
            if path is not None:
                text = path.read_text()  # atomic writes: always one whole flushed page
                assert text.rstrip().endswith("</html>")
                if not states or text != states[-1]:
                    states.append(text)
            time.sleep(0.02)
    finally:
        thread.join(60)
    assert "error" not in result, result
    run = result["run"]
    assert run.phase == ActionPhase.SUCCEEDED
    (action,) = actions_named(run, "data_processing_dashboard")
    assert action.record.report_uri and local_path(action.record.report_uri) == path
    final = path.read_text()
    if final != states[-1]:
        states.append(final)
    # Each flushed state extends the previous one.
    assert len(states) >= 3, len(states)
    middle = [s for s in states if s.count("updateDashboard(") > 1 and "Processing Complete!" not in s]
    assert middle, "no state between the first update and the end was observed"

    page.goto(path.as_uri())
    assert _progress(page)[0] == 100
    assert page.get_by_text("Processing Complete!").is_visible()
    assert page.locator("#activity li").first.inner_text() == "🎉 Processing completed successfully!"
    assert page.locator("#processed").inner_text() == "5,000"

    # A state read while the task ran shows the dashboard part-way.
    snapshot = path.parent / "mid-run.html"
    snapshot.write_text(middle[0])
    page.goto(snapshot.as_uri())
    percent, activities = _progress(page)
    assert 0 < percent < 100
    assert activities == middle[0].count("addActivity(") - 1  # minus the function's definition
    assert not page.get_by_text("Processing Complete!").is_visible()
    # Output printed by the task is journaled alongside.
    assert re.search(r"Processed 5,000 records", action.logs())


# ------------------------------------------------------------------------------ the API's promises

env = flyte.TaskEnvironment(name="reports_api")


@env.task
def sync_writer(n: int) -> int:
    # Sync forms in a sync task; report=False still has a report (only the implicit flush needs content).
    flyte.report.log(f"<p id='n'>{n}</p>")
    flyte.report.get_tab("Extra").replace("<p id='extra'>extra</p>")
    return n


@env.task(report=True)
async def async_with_sync_calls() -> str:
    # The blocking forms inside an async task: no deadlock, no event loop needed.
    flyte.report.replace("<p id='a'>first</p>")
    flyte.report.log("<p id='b'>second</p>", do_flush=True)
    assert flyte.ctx().report is flyte.report.current_report()
    tab = await flyte.report.get_tab.aio("Later")
    tab.log("<p id='later'>later</p>")
    await sync_writer.aio(3)
    return "ok"


@env.task(report=True)
async def no_content() -> None:
    pass


@env.task(report=True)
async def fails_after_logging() -> None:
    flyte.report.log("<p id='partial'>got this far</p>")
    raise ValueError("boom")


def test_implicit_flush_and_sync_forms(page):
    run = flyte.run(async_with_sync_calls)
    assert run.outputs() == "ok"
    (parent,) = actions_named(run, "async_with_sync_calls")
    (child,) = actions_named(run, "sync_writer")
    page.goto(_report_path(parent).as_uri())
    # The last explicit flush was before the "Later" tab: the implicit flush at task end wrote it.
    assert page.get_by_role("tab").all_inner_texts() == ["main", "Later"]
    assert page.locator("#a").inner_text() == "first" and page.locator("#b").inner_text() == "second"
    page.get_by_role("tab", name="Later").click()
    assert page.locator("#later").is_visible()
    page.goto(_report_path(child).as_uri())
    assert page.locator("#n").inner_text() == "3"


def test_no_report_without_content_and_reports_of_failed_tasks():
    run = flyte.run(no_content)
    assert actions_named(run, "no_content")[0].record.report_uri is None
    with pytest.raises(flyte.errors.RuntimeUserError):
        flyte.run(fails_after_logging)
    (run,) = [r for r in flyte.remote.Run.listall() if r.task_name == "reports_api.fails_after_logging"]
    (action,) = actions_named(run, "fails_after_logging")
    assert action.phase == ActionPhase.FAILED
    assert "got this far" in _report_path(action).read_text()


def test_outside_a_task_reports_are_no_ops(tmp_path):
    # Plain function calls (unit tests) may log and flush; nothing is written anywhere.
    flyte.report.log("<p>nowhere</p>", do_flush=True)
    flyte.report.flush()
    assert flyte.report.current_report().get_tab("main").content[-1] == "<p>nowhere</p>"
    assert sync_writer(5) == 5
