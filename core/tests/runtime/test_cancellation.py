from __future__ import annotations

import asyncio
import threading
import time

import pytest

import flyte
import flyte.errors
from flyte._runtime.journal import journal
from flyte.models import ActionPhase
from flyte.remote import Run

env = flyte.TaskEnvironment(name="action_lifetime")
events: list[str] = []


@env.task
async def do_something():
    events.append("do_something")
    await asyncio.sleep(0.2)


@env.task
async def sleep_for(seconds: float):
    events.append("sleeping")
    try:
        await asyncio.sleep(seconds)
        await do_something()
    except asyncio.CancelledError:
        events.append("sleep_for was cancelled")
        return
    events.append("finished sleeping")


@env.task
async def main(seconds: float):
    asyncio.create_task(sleep_for(seconds))
    await asyncio.sleep(0.3)


def test_root_exit_aborts_running_descendants():
    events.clear()
    t0 = time.monotonic()
    run = flyte.run(main, seconds=5.0)
    assert time.monotonic() - t0 < 3
    assert events == ["sleeping", "sleep_for was cancelled"]
    phases = {a.task_name: a.phase for a in run.actions()}
    assert phases == {"action_lifetime.main": ActionPhase.SUCCEEDED, "action_lifetime.sleep_for": ActionPhase.ABORTED}
    time.sleep(0.3)
    assert "finished sleeping" not in events


cancel_env = flyte.TaskEnvironment("cancel")


@cancel_env.task
async def sleepers(f: float, n: int):
    await asyncio.sleep(f)


@cancel_env.task
async def failing_task(f: float):
    raise ValueError("I will fail!")


@cancel_env.task
async def cancel_main(n: int, f: float) -> int:
    sleeping_tasks = [asyncio.create_task(sleepers(f * 20, i)) for i in range(n)]
    await asyncio.sleep(f)
    try:
        await failing_task(f)
        await asyncio.gather(*sleeping_tasks)
    except flyte.errors.RuntimeUserError as e:
        if e.code == "ValueError":
            for t in sleeping_tasks:
                t.cancel()
            await asyncio.gather(*sleeping_tasks, return_exceptions=True)
            return sum(t.cancelled() for t in sleeping_tasks)
    return -1


def test_cancelling_the_asyncio_task_cancels_the_action():
    run = flyte.run(cancel_main, 5, 0.2)
    assert run.outputs() == 5
    sleepers_ = [a for a in run.actions() if a.task_name == "cancel.sleepers"]
    assert len(sleepers_) == 5
    assert all(a.phase == ActionPhase.ABORTED for a in sleepers_)
    assert all(a.record.error_message == "cancelled by its caller" for a in sleepers_)


abort_env = flyte.TaskEnvironment("external_abort")


@abort_env.task
async def long_sleeper(sleep_for: float):
    await asyncio.sleep(sleep_for)


@abort_env.task
async def abort_main(n: int, sleep_for: float) -> list[str]:
    coros = [long_sleeper(sleep_for) for _ in range(n)]
    results = await asyncio.gather(*coros, return_exceptions=True)
    return [type(r).__name__ for r in results]


def test_external_abort_through_the_journal_raises_action_aborted_in_parent():
    outcome: dict = {}

    def go():
        outcome["run"] = flyte.with_runcontext(name="abortable").run(abort_main, 3, 1.5)

    t = threading.Thread(target=go)
    t.start()
    j = journal()
    deadline = time.monotonic() + 5
    victims: list = []
    while time.monotonic() < deadline and len(victims) < 3:
        time.sleep(0.05)
        try:
            victims = [a for a in j.list_actions("abortable") if a.task_name == "external_abort.long_sleeper"]
        except Exception:
            victims = []
    assert len(victims) == 3
    j.request_abort("abortable", victims[1].action_id, "testing")
    t.join(10)
    run = outcome["run"]
    results = run.outputs()[0]
    assert sorted(results) == ["ActionAbortedError", "NoneType", "NoneType"]
    phases = sorted(a.phase.value for a in run.actions() if a.task_name == "external_abort.long_sleeper")
    assert phases == ["aborted", "succeeded", "succeeded"]


@abort_env.task
async def forever() -> None:
    await asyncio.sleep(60)


def test_abort_a_whole_run():
    outcome: dict = {}

    def go():
        try:
            flyte.with_runcontext(name="whole").run(forever)
        except BaseException as e:
            outcome["error"] = e

    t = threading.Thread(target=go)
    t.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if journal().get_run("whole") is not None:
            break
    Run.get("whole").abort()
    t.join(10)
    assert isinstance(outcome["error"], flyte.errors.ActionAbortedError)
    assert Run.get("whole").phase == ActionPhase.ABORTED


@pytest.mark.asyncio
async def test_no_new_actions_after_root_returns():
    leaked: list = []

    @abort_env.task
    async def late_parent() -> None:
        async def later():
            await asyncio.sleep(0.2)
            try:
                await long_sleeper(0.01)
            except BaseException as e:
                leaked.append(e)

        asyncio.ensure_future(later())

    await flyte.run.aio(late_parent)
    await asyncio.sleep(0.5)
    # The helper coroutine lived on the run's loop; it was either cancelled with the run or refused.
    assert all(isinstance(e, (flyte.errors.ActionAbortedError, asyncio.CancelledError)) for e in leaked)
