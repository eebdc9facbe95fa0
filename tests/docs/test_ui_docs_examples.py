"""The docs' examples in the web UI (`flyte ui`), checked in headless Chromium over HTTP.

Grouping actions (groups as folders with their aggregated status), streaming reports (updated
while the task runs, without reloading the page), links set with `override(links=...)`, and an
external abort of a fan-out (the docs' abort example) done with the UI's button. Screenshots land
in `.artifacts/ui/` (gitignored) for a person to look at.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from pathlib import Path

import pytest
from flyte_fixtures import browser_page
from playwright.sync_api import expect

import flyte
import flyte.errors
from flyte._runtime.journal import journal
from flyte.models import ActionPhase

from ._support import actions_named
from .examples import abort_external, links_examples, reports_streaming
from .examples import grouping_actions as grouping

ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts" / "ui"


@pytest.fixture
def ui(flyte_home):
    import flyte.ui

    server = flyte.ui.start(port=0, home=flyte_home)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(browser):
    errors: list[str] = []
    # 15 s: how long actions and assertions wait for the page (a loaded machine is slow)
    with browser_page(
        browser, viewport={"width": 1440, "height": 900}, timeout_ms=15_000, script_errors=errors
    ) as page:
        yield page
    assert errors == [], f"scripts on the page failed: {errors}"


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def start_run(name: str, task, *args, **kwargs) -> tuple[threading.Thread, dict]:
    """Run ``task`` on a thread (the test drives the browser meanwhile); the result lands in the dict."""
    result: dict = {}

    def go() -> None:
        try:
            result["run"] = flyte.with_runcontext(name=name).run(task, *args, **kwargs)
        except BaseException as e:  # reported by the test
            result["error"] = e

    thread = threading.Thread(target=go, name=f"run-{name}")
    thread.start()
    return thread, result


def wait_for_actions(run_name: str, short_name: str, count: int = 1, phase: str | None = None, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = [
                a
                for a in journal().list_actions(run_name)
                if a.short_name == short_name and (phase is None or a.phase == phase)
            ]
        except Exception:  # the run may not be journaled yet
            found = []
        if len(found) >= count:
            return found
        time.sleep(0.02)
    raise AssertionError(f"{count} `{short_name}` actions ({phase or 'any phase'}) did not show up in run {run_name}")


def folder(page, name: str):
    return page.locator(f'#tree li.folder[data-group="{name}"]')


# ------------------------------------------------------------------------------ grouping actions


def test_multi_phase_workflow_shows_its_three_phases_as_folders(ui, page):
    run = flyte.run(grouping.multi_phase_workflow, 3)
    assert run.url == ui.run_url(run.name)  # Run.url points at the serving UI
    page.goto(run.url)
    folders = page.locator("#tree li.folder")
    assert folders.evaluate_all("els => els.map(e => e.dataset.group)") == [
        "preprocessing",
        "main-processing",
        "postprocessing",
    ]
    for name in ("preprocessing", "main-processing", "postprocessing"):
        f = folder(page, name)
        expect(f).to_have_attribute("aria-expanded", "true")
        expect(f).to_have_attribute("data-status", "succeeded")
        expect(f.locator(":scope > .row [data-group-status]")).to_have_text("Succeeded")
        expect(f.locator(":scope > ul > li.action .name")).to_have_text(["process_item"] * 3)
    screenshot(page, "run-page-grouping")

    # Collapsing a folder hides its actions and leaves the others alone; expanding shows them again.
    pre = folder(page, "preprocessing")
    pre.locator(":scope > .row [data-toggle]").click()
    expect(pre).to_have_attribute("aria-expanded", "false")
    expect(pre.locator(":scope > ul > li.action").first).to_be_hidden()
    expect(folder(page, "main-processing").locator(":scope > ul > li.action").first).to_be_visible()
    pre.locator(":scope > .row").click()  # the whole row of a folder toggles it
    expect(pre).to_have_attribute("aria-expanded", "true")
    expect(pre.locator(":scope > ul > li.action")).to_have_count(3)
    expect(pre.locator(":scope > ul > li.action").first).to_be_visible()
    # Selecting an action shows its inputs and outputs.
    pre.locator(":scope > ul > li.action .name").nth(2).click()
    expect(page.locator("#detail .action-name")).to_have_text("process_item")
    expect(page.locator("#detail section.inputs")).to_contain_text("item")
    expect(page.locator("#detail section.outputs .v-num")).to_have_text("3")  # preprocess: 2 + 1


def test_nested_groups_are_nested_folders(ui, page):
    run = flyte.run(grouping.truly_nested_groups, "r")
    page.goto(run.url)
    training = folder(page, "training")
    tuning = training.locator(':scope > ul > li.folder[data-group="tuning"]')
    trial = tuning.locator(':scope > ul > li.folder[data-group="trial-1"]')
    expect(trial.locator(":scope > ul > li.action .name")).to_have_text(["process_data"])
    expect(training.locator(":scope > ul > li.action")).to_have_count(2)  # prepare and train
    # publish runs outside every group: directly under the root action
    root = page.locator("#tree > ul > li.action")
    expect(root.locator(":scope > ul > li.action")).to_have_count(1)


env = flyte.TaskEnvironment("ui_grouping_failure")


@env.task
async def process_or_fail(item: int, release: str) -> int:
    while not Path(release).exists():  # holds the group RUNNING until the test has looked at it
        await asyncio.sleep(0.05)
    if item == 1:
        raise ValueError(f"item {item} cannot be processed")
    return item * 2


@env.task
async def phases_with_a_failure(n: int, release: str) -> str:
    with flyte.group("preprocessing"):
        prepared = await asyncio.gather(*(grouping.process_item(i, "preprocess") for i in range(n)))
    with flyte.group("main-processing"):
        results = await asyncio.gather(*(process_or_fail(i, release) for i in range(n)), return_exceptions=True)
    ok = [r for r in results if isinstance(r, int)]
    with flyte.group("postprocessing"):
        final = await asyncio.gather(*(grouping.process_item(r, "postprocess") for r in ok))
    return f"prepared {prepared}, kept {final}"


def test_a_failing_action_turns_its_group_failed_live(ui, page, tmp_path):
    release = tmp_path / "release"
    thread, result = start_run("group-failure", phases_with_a_failure, 3, str(release))
    try:
        wait_for_actions("group-failure", "process_or_fail", 3, ActionPhase.RUNNING.value)
        page.goto(ui.run_url("group-failure"))
        page.evaluate("window.loadedOnce = true")
        main = folder(page, "main-processing")
        expect(main).to_have_attribute("data-status", "running")
        expect(folder(page, "preprocessing")).to_have_attribute("data-status", "succeeded")
        release.touch()
        # Without a reload the failure shows: on the action, and as the group's aggregated status.
        expect(main).to_have_attribute("data-status", "failed", timeout=20_000)
        expect(main.locator(":scope > .row [data-group-status]")).to_have_text("Failed")
        failed = main.locator(':scope > ul > li.action[data-phase="failed"]')
        expect(failed).to_have_count(1)
        expect(failed.locator(".mark.error-code")).to_have_text("ValueError")
        expect(folder(page, "postprocessing")).to_have_attribute("data-status", "succeeded", timeout=20_000)
        expect(page.locator("#run-phase")).to_have_text("Succeeded", timeout=20_000)
        assert page.evaluate("window.loadedOnce") is True
        failed.locator(".name").click()
        expect(page.locator("#detail .action-error")).to_contain_text("item 1 cannot be processed")
        expect(page.locator("#detail .action-error details.traceback pre")).to_contain_text("raise ValueError")
        screenshot(page, "run-page-group-failure")
    finally:
        release.touch()
        thread.join(60)
    assert "error" not in result, result
    assert result["run"].outputs() == "prepared [1, 2, 3], kept [0, 40]"


# ------------------------------------------------------------------------------ streaming reports


def test_streaming_report_updates_while_it_runs(ui, page, monkeypatch):
    # The page's example; more records than the test default so that it streams for a few seconds.
    monkeypatch.setattr(reports_streaming, "TOTAL_RECORDS", 16_000)
    thread, result = start_run("streaming-ui", reports_streaming.main)
    try:
        (dashboard,) = wait_for_actions("streaming-ui", "data_processing_dashboard")
        page.goto(ui.run_url("streaming-ui") + f"?action={dashboard.action_id}")
        page.evaluate("window.loadedOnce = true")
        frame = page.frame_locator("#detail-report iframe.report-frame.active")
        percent = frame.locator("#percent")
        expect(percent).to_have_text(re.compile(r"^\d+%$"), timeout=20_000)

        seen: list[int] = []
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                value = int(percent.inner_text(timeout=2_000).rstrip("%"))
            except Exception:  # between two versions of the frame
                continue
            if not seen or value != seen[-1]:
                seen.append(value)
            if value == 100:
                break
            time.sleep(0.05)
        # The same page showed the dashboard part-way and then further along.
        assert [v for v in seen if 0 < v < 100], seen
        assert seen == sorted(seen) and len(seen) >= 3, seen
        expect(frame.get_by_text("Processing Complete!")).to_be_visible(timeout=20_000)
        expect(page.locator("#action-phase")).to_have_text("Succeeded", timeout=20_000)
        assert page.evaluate("window.loadedOnce") is True  # live updates, no reload
        screenshot(page, "run-page-streaming-report")
    finally:
        thread.join(60)
    assert "error" not in result, result


# ------------------------------------------------------------------------------ links


def test_override_links_appear_on_the_action(ui, page):
    run = flyte.run(links_examples.main, wandb_id="my-run-id")
    (train,) = actions_named(run, "train_model")
    page.goto(run.url)
    page.locator(f'#tree li[data-action="{train.name}"] .name').click()
    link = page.locator("#detail section.links a.ext-link")
    expect(link).to_have_text("Weights & Biases")
    expect(link).to_have_attribute("href", "https://wandb.ai/my-team/my-ml-project/runs/my-run-id")
    expect(link).to_have_attribute("target", "_blank")
    # The page's GrafanaLink, set on the decorator, is rendered with the real pod name.
    grafana = flyte.run(links_examples.my_task)
    page.goto(grafana.url)
    (action,) = actions_named(grafana, "my_task")
    ((_, url),) = action.links
    expect(page.locator("#detail section.links a.ext-link")).to_have_attribute("href", url)


# ------------------------------------------------------------------------------ aborting a fan-out


def test_aborting_one_action_of_a_running_fanout(ui, page, capsys):
    # The docs' external-abort program: main gathers its sleepers with return_exceptions=True.
    thread, result = start_run("ui-abort-fanout", abort_external.main, 4, 12.0)
    try:
        running = wait_for_actions("ui-abort-fanout", "long_sleeper", 4, ActionPhase.RUNNING.value)
        target = running[2]
        page.goto(ui.run_url("ui-abort-fanout"))
        row = page.locator(f'#tree li[data-action="{target.action_id}"]')
        expect(row).to_have_attribute("data-phase", "running")
        row.locator(".name").click()
        expect(page.locator("#detail .action-name")).to_have_text("long_sleeper")
        page.locator("#abort-action").click()
        dialog = page.locator("#confirm-dialog")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("Abort action long_sleeper?")
        dialog.get_by_role("button", name="Abort action").click()
        expect(page.locator("#flash")).to_contain_text("Abort requested")
        expect(row).to_have_attribute("data-phase", "aborted", timeout=10_000)
        expect(page.locator("#action-phase")).to_have_text("Aborted")
        # The other sleepers run on: only the chosen one was aborted.
        expect(page.locator('#tree li.action[data-name="long_sleeper"][data-phase="running"]')).to_have_count(3)
        screenshot(page, "run-page-abort-fanout")
    finally:
        thread.join(60)
    assert "error" not in result, result
    run = result["run"]
    # The parent saw flyte.errors.ActionAbortedError for exactly that sleeper, and finished normally.
    assert re.findall(r"Action \[(\d+)\] was externally aborted", capsys.readouterr().out) == ["2"]
    assert run.outputs() == "Hello World!"
    assert run.action(target.action_id).phase == ActionPhase.ABORTED
    page.reload()
    expect(page.locator(f'#tree li[data-action="{target.action_id}"]')).to_have_attribute("data-phase", "aborted")
    expect(page.locator("#run-phase")).to_have_text("Succeeded")


def test_cancelling_the_abort_dialog_aborts_nothing(ui, page):
    thread, result = start_run("ui-abort-cancelled", abort_external.main, 2, 8.0)
    try:
        wait_for_actions("ui-abort-cancelled", "long_sleeper", 2, ActionPhase.RUNNING.value)
        page.goto(ui.run_url("ui-abort-cancelled"))
        page.locator("#abort-run").click()
        page.locator("#confirm-dialog").get_by_role("button", name="Cancel").click()
        expect(page.locator("#confirm-dialog")).to_be_hidden()
    finally:
        thread.join(60)
    assert result["run"].phase == ActionPhase.SUCCEEDED
    assert journal().abort_requests("ui-abort-cancelled") == []
