"""Aborting a run and rerunning a failed one from the UI's buttons (confirmed in a dialog)."""

from __future__ import annotations

import asyncio
import re
import textwrap
import threading
import time

import pytest
from playwright.sync_api import expect

import flyte
import flyte.errors
from flyte._runtime.journal import journal
from flyte._runtime.loader import load_module
from flyte.models import ActionPhase

env = flyte.TaskEnvironment("ui_actions")


@env.task
async def sleeps(seconds: float) -> None:
    await asyncio.sleep(seconds)


@env.task
async def sleepers(n: int, seconds: float) -> None:
    await asyncio.gather(*(sleeps(seconds) for _ in range(n)))


def test_aborting_the_run_from_the_ui(ui, page, screenshot):
    result: dict = {}

    def go() -> None:
        try:
            result["run"] = flyte.with_runcontext(name="ui-abort-run").run(sleepers, 3, 120.0)
        except BaseException as e:
            result["error"] = e

    thread = threading.Thread(target=go)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while sum(a.short_name == "sleeps" and a.phase == "running" for a in _actions("ui-abort-run")) < 3:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        page.goto(ui.run_url("ui-abort-run"))
        page.locator("#abort-run").click()
        dialog = page.locator("#confirm-dialog")
        expect(dialog).to_contain_text("Abort run ui-abort-run?")
        t0 = time.monotonic()
        dialog.get_by_role("button", name="Abort run").click()
        expect(page.locator("#run-phase")).to_have_text("Aborted", timeout=15_000)
        expect(page.locator('#tree li.action[data-phase="aborted"]')).to_have_count(4)
        assert time.monotonic() - t0 < 10  # not the 120 s the sleepers wanted
        expect(page.locator("#abort-run")).to_have_count(0)
        screenshot(page, "run-page-aborted")
    finally:
        thread.join(60)
    assert isinstance(result.get("error"), flyte.errors.ActionAbortedError), result
    assert journal().abort_requests("ui-abort-run") == [(journal().get_run("ui-abort-run").root_action,
                                                          "aborted from the UI")]


def _actions(run_name: str) -> list:
    try:
        return journal().list_actions(run_name)
    except Exception:
        return []


PIPELINE = textwrap.dedent(
    '''
    from pathlib import Path

    import flyte

    env = flyte.TaskEnvironment("ui_rerun")
    EFFECTS = Path(__file__).with_name("effects.txt")


    def side_effect(step: str) -> None:
        with EFFECTS.open("a") as f:
            f.write(step + "\\n")


    @flyte.trace
    async def clean(dataset: str) -> str:
        side_effect("cleaning")
        return dataset.upper()


    @flyte.trace
    async def extract(data: str) -> list[str]:
        side_effect("features")
        return [f"{data}-{i}" for i in range(3)]


    @flyte.trace
    async def train(features: list[str]) -> float:
        side_effect("training")
        raise RuntimeError("GPU fell off the bus")  # BUG
        return 0.5 + len(features) / 10


    @env.task
    async def pipeline(dataset: str) -> float:
        cleaned = await clean(dataset)
        features = await extract(cleaned)
        return await train(features)
    '''
)


def test_rerunning_a_failed_traced_run_replays_its_completed_steps(ui, page, tmp_path, screenshot):
    source = tmp_path / "pipeline.py"
    source.write_text(PIPELINE)
    effects = tmp_path / "effects.txt"
    with pytest.raises(flyte.errors.RuntimeUserError, match="GPU fell off the bus"):
        flyte.with_runcontext(name="broken-pipeline").run(load_module(source, fresh=True).pipeline, "ds")
    assert effects.read_text().split() == ["cleaning", "features", "training"]

    source.write_text("\n".join(line for line in PIPELINE.splitlines() if not line.endswith("# BUG")))
    effects.unlink()
    page.goto(ui.run_url("broken-pipeline"))
    expect(page.locator("#run-phase")).to_have_text("Failed")
    expect(page.locator(".run-error")).to_contain_text("GPU fell off the bus")
    page.locator("#rerun-run").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("Rerun broken-pipeline?")
    dialog.get_by_role("button", name="Rerun").click()
    # The page moves to the new run once it exists, and follows it to the end.
    page.wait_for_url(re.compile(r"/runs/pipeline-\d{8}-\d{6}-[0-9a-f]{6}$"), timeout=60_000)
    new_name = page.url.rsplit("/", 1)[-1]
    expect(page.locator("#run-phase")).to_have_text("Succeeded", timeout=60_000)
    resumes = page.locator(".run-head dl.meta div").filter(has=page.locator("dt", has_text="Resumes"))
    expect(resumes.locator("a")).to_have_attribute("href", "/runs/broken-pipeline")
    for step in ("clean", "extract"):
        expect(page.locator(f'#tree li.action[data-name="{step}"] .mark.replayed')).to_have_text("replayed")
    expect(page.locator('#tree li.action[data-name="train"] .mark.replayed')).to_have_count(0)
    expect(page.locator("#detail section.outputs .v-num")).to_have_text("0.8")
    page.locator('#tree li.action[data-name="clean"] .name').click()
    expect(page.locator("#detail p.marks")).to_contain_text("outputs replayed from broken-pipeline/")
    screenshot(page, "run-page-rerun")

    assert ui.app.state.ui.reruns.wait(30) == {new_name: 0}  # `flyte rerun` ended, and well
    # Only the fixed step ran: the completed ones were replayed from the journal.
    assert effects.read_text().split() == ["training"]
    resumed = flyte.remote.Run.get(new_name)
    assert resumed.phase == ActionPhase.SUCCEEDED and resumed._record().resumed_from == "broken-pipeline"
    replayed = {a.short_name for a in resumed.actions() if a.record.replayed_from}
    assert replayed == {"clean", "extract"}


BROKEN_TASK = textwrap.dedent(
    """
    import flyte

    env = flyte.TaskEnvironment("ui_rerun_errors")

    @env.task
    async def fails(x: int) -> int:
        raise ValueError("always")
    """
)


def test_rerun_problems_are_reported(ui, page, tmp_path):
    source = tmp_path / "fails.py"
    source.write_text(BROKEN_TASK)
    with pytest.raises(flyte.errors.RuntimeUserError):
        flyte.with_runcontext(name="fails-once").run(load_module(source, fresh=True).fails, 1)
    # The file no longer imports: the rerun's process says why, and the page shows it.
    source.write_text(BROKEN_TASK + "\ndef (:\n")
    page.goto(ui.run_url("fails-once"))
    page.locator("#rerun-run").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Rerun").click()
    flash = page.locator("#flash")
    expect(flash).to_contain_text("Rerun failed: Error: Importing", timeout=60_000)
    expect(flash).to_contain_text("SyntaxError")
    assert page.url == ui.run_url("fails-once")
    assert list(ui.app.state.ui.reruns.wait(30).values()) == [1]
    # Without its file, a run cannot be rerun: the button says why.
    source.unlink()
    page.reload()
    button = page.locator("#rerun-run")
    expect(button).to_be_disabled()
    expect(button).to_have_attribute("title", re.compile(r"fails\.py, which defined ui_rerun_errors\.fails, is not there"))
