"""Page "Abort and cancel actions": action lifetime, programmatic cancel, external abort."""

from __future__ import annotations

import asyncio
import re
import threading
import time

import pytest

import flyte
import flyte.errors
from flyte._runtime.journal import journal
from flyte.models import ActionPhase
from flyte.remote import Run

from ._support import actions_named, explain, run_cli
from .examples import abort_action_lifetime, abort_cancel_tasks, abort_cancel_tasks_long, abort_external
from .examples import abort_external_try_except as abort_try

# ------------------------------------------------------------------------------ action lifetime


@pytest.mark.slow
def test_action_lifetime_docs_program(capsys):
    # The docs' program with its documented params: main returns after 10 s, sleep_for would sleep 30 s.
    t0 = time.monotonic()
    run = flyte.run(abort_action_lifetime.main, seconds=30)
    elapsed = time.monotonic() - t0
    run.wait()
    assert 9.5 <= elapsed < 20, elapsed  # ended with main, not with sleep_for's 30 s
    assert run.phase == ActionPhase.SUCCEEDED

    main_action = actions_named(run, "main")[0]
    sleep_action = actions_named(run, "sleep_for")[0]
    assert main_action.phase == ActionPhase.SUCCEEDED
    # "the sleep_for action (which still has 20 seconds remaining) is automatically aborted"
    assert sleep_action.phase == ActionPhase.ABORTED
    assert sleep_action.parent == main_action.name
    # "The sleep_for task receives an asyncio.CancelledError, giving it a chance to handle the cancellation"
    assert sleep_action.logs() == "Sleeping for 30 seconds\nsleep_for was cancelled\n"
    assert main_action.logs() == "Starting main\nMain finished\n"
    assert actions_named(run, "do_something") == []  # never started
    out = capsys.readouterr().out
    assert "sleep_for was cancelled" in out
    assert "Finished sleeping" not in out and "Doing something" not in out


failing_root_env = flyte.TaskEnvironment("action_lifetime_failing_root")


@failing_root_env.task
async def background(seconds: float):
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        print("background was cancelled")
        raise


@failing_root_env.task
async def failing_root(seconds: float):
    asyncio.create_task(background(seconds))
    await asyncio.sleep(0.2)
    raise RuntimeError("root gives up")


def test_action_lifetime_when_the_root_fails():
    # "When the root action exits, whether it succeeds, fails, or returns early, all in-progress
    # descendant actions are automatically aborted"
    t0 = time.monotonic()
    with pytest.raises(flyte.errors.RuntimeUserError) as info:
        flyte.run(failing_root, 20.0)
    assert time.monotonic() - t0 < 5
    assert info.value.code == "RuntimeError"
    (run,) = Run.listall()
    assert run.phase == ActionPhase.FAILED
    (bg,) = actions_named(run, "background")
    assert bg.phase == ActionPhase.ABORTED
    assert bg.logs() == "background was cancelled\n"


# ------------------------------------------------------------------------ programmatic cancel


def test_cancel_tasks_docs_program(capsys):
    # The docs' program (documented params: n=30, f=10.0) with f=0.5. Its sleepers sleep as long
    # as main waits before failing, so each sleeper either just finished or is cancelled.
    t0 = time.monotonic()
    run = flyte.run(abort_cancel_tasks.main, 30, 0.5)
    elapsed = time.monotonic() - t0
    assert run.phase == ActionPhase.SUCCEEDED
    assert run.outputs() == None  # noqa: E711 - main returns nothing
    assert "Received ValueError, canceling 30 sleeping tasks" in capsys.readouterr().out
    assert "Received ValueError, canceling 30 sleeping tasks\n" in actions_named(run, "main")[0].logs()
    failing = actions_named(run, "failing_task")[0]
    assert failing.phase == ActionPhase.FAILED
    assert failing.record.error_code == "ValueError"
    sleepers = actions_named(run, "sleepers")
    assert len(sleepers) == 30
    assert {a.phase for a in sleepers} <= {ActionPhase.SUCCEEDED, ActionPhase.ABORTED}
    assert elapsed < 3


def test_cancel_tasks_cancels_the_sleeping_actions(capsys):
    # Same program, sleepers sleep 20 * f: every one is still running when main cancels it.
    t0 = time.monotonic()
    run = flyte.run(abort_cancel_tasks_long.main, 30, 0.3)
    elapsed = time.monotonic() - t0
    assert run.phase == ActionPhase.SUCCEEDED
    # "The error is caught as a flyte.errors.RuntimeUserError" with code "ValueError"
    assert "Received ValueError, canceling 30 sleeping tasks" in capsys.readouterr().out
    sleepers = actions_named(run, "sleepers")
    assert len(sleepers) == 30
    assert [a.phase for a in sleepers] == [ActionPhase.ABORTED] * 30
    assert actions_named(run, "failing_task")[0].phase == ActionPhase.FAILED
    assert elapsed < 3, elapsed  # nobody waited for the 6 s sleeps


def test_failing_task_error_is_a_runtime_user_error_with_code():
    env = flyte.TaskEnvironment("cancel_error_shape")

    @env.task
    async def probe() -> list[str]:
        try:
            await abort_cancel_tasks.failing_task(0.0)
        except flyte.errors.RuntimeUserError as e:
            return [type(e).__name__, e.code, str(e)]
        return []

    kind, code, message = flyte.run(probe).outputs()[0]
    assert (kind, code) == ("RuntimeUserError", "ValueError")
    assert "I will fail!" in message


# --------------------------------------------------------------------------- external abort


def _start_in_thread(name: str, task, *args):
    result: dict = {}

    def go() -> None:
        try:
            result["run"] = flyte.with_runcontext(name=name).run(task, *args)
        except BaseException as e:  # reported by the test
            result["error"] = e

    thread = threading.Thread(target=go, name=f"run-{name}")
    thread.start()
    return thread, result


def _wait_running(run_name: str, short_name: str, count: int, timeout: float = 10) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            running = [
                a
                for a in journal().list_actions(run_name)
                if a.short_name == short_name and a.phase == ActionPhase.RUNNING.value
            ]
        except Exception:  # the journal may not exist yet
            running = []
        if len(running) >= count:
            return running
        time.sleep(0.02)
    raise AssertionError(f"{count} running `{short_name}` actions did not show up in run {run_name}")


def test_external_abort_through_the_journal(capsys):
    # The docs' program with n=10 and sleep_for=2.0 (documented: 30.0) so the nine others end soon.
    run_name = "external-abort-journal"
    thread, result = _start_in_thread(run_name, abort_external.main, 10, 2.0)
    try:
        running = _wait_running(run_name, "long_sleeper", 10)
        target_index = 3
        target = running[target_index]
        journal().request_abort(run_name, target.action_id)
    finally:
        thread.join(30)
    assert not thread.is_alive()
    assert "error" not in result, result
    run = result["run"]
    # "Because the abort is handled, main can continue executing and return its result normally."
    assert run.outputs() == "Hello World!"
    assert run.phase == ActionPhase.SUCCEEDED
    lines = re.findall(r"Action \[(\d+)\] was externally aborted", capsys.readouterr().out)
    assert lines == [str(target_index)]
    assert f"Action [{target_index}] was externally aborted\n" in run.logs()
    phases = {a.name: a.phase for a in actions_named(run, "long_sleeper")}
    assert phases.pop(target.action_id) == ActionPhase.ABORTED
    assert set(phases.values()) == {ActionPhase.SUCCEEDED} and len(phases) == 9


def test_external_abort_without_return_exceptions_raises(capsys):
    run_name = "external-abort-try"
    thread, result = _start_in_thread(run_name, abort_try.main, 20.0)
    try:
        (target,) = _wait_running(run_name, "long_sleeper", 1)
        t0 = time.monotonic()
        journal().request_abort(run_name, target.action_id)
    finally:
        thread.join(30)
    assert "error" not in result, result
    run = result["run"]
    assert time.monotonic() - t0 < 5  # the abort, not the 20 s sleep, ended it
    assert run.outputs() == "handled"
    assert "long_sleeper was externally aborted: ActionAbortedError" in capsys.readouterr().out
    assert actions_named(run, "long_sleeper")[0].phase == ActionPhase.ABORTED


def test_external_abort_through_the_cli(capsys):
    # flyte abort <run-name> <action-name>
    run_name = "external-abort-cli"
    thread, result = _start_in_thread(run_name, abort_external.main, 3, 2.0)
    try:
        running = _wait_running(run_name, "long_sleeper", 3)
        proc = run_cli("abort", run_name, running[1].action_id)
    finally:
        thread.join(30)
    assert proc.returncode == 0, explain(proc)
    run = result["run"]
    assert run.outputs() == "Hello World!"
    assert re.findall(r"Action \[(\d+)\] was externally aborted", capsys.readouterr().out) == ["1"]
    assert Run.get(run_name).action(running[1].action_id).phase == ActionPhase.ABORTED
