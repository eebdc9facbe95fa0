from __future__ import annotations

import asyncio
import contextvars
import threading
import time

import pytest

import flyte
import flyte.errors
from flyte._runtime import controller
from flyte._runtime.context import current_frame
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


# --------------------------------------------------------------------------- children awaited directly
# On Python 3.11+ a child awaited directly runs inside its caller's asyncio task (no task of its own).

inline_env = flyte.TaskEnvironment(name="inline_children")
mood: contextvars.ContextVar[str] = contextvars.ContextVar("mood", default="unset")


@inline_env.task
async def sets_mood(value: str) -> str:
    seen = mood.get()
    mood.set(value)
    return seen


@inline_env.task
async def mood_parent() -> list[str]:
    mood.set("parent")
    seen_by_child = await sets_mood("child")
    return [seen_by_child, mood.get()]


def test_a_directly_awaited_child_keeps_its_context_variables_to_itself():
    run = flyte.run(mood_parent)
    # The child sees what its caller set, and what the child sets stays in the child.
    assert run.outputs()[0] == ["parent", "parent"]


@inline_env.task
async def aborted_as_it_returns() -> int:
    frame = current_frame.get()
    # The abort lands from another thread while this body runs; the cancellation it schedules is
    # delivered only after the body has returned, when the caller's task has moved on.
    t = threading.Thread(target=frame.run.abort, args=(frame.action_id, "external"))
    t.start()
    t.join()
    return 1


@inline_env.task
async def outlives_a_late_abort() -> str:
    try:
        await aborted_as_it_returns()
    except flyte.errors.ActionAbortedError:
        pass
    else:
        return "the child was not recorded aborted"
    await asyncio.sleep(0.05)  # a cancellation meant for the finished child would land here
    await asyncio.sleep(0.05)
    return "the caller went on"


def test_a_late_abort_of_a_directly_awaited_child_never_cancels_its_caller():
    run = flyte.run(outlives_a_late_abort)
    assert run.outputs()[0] == "the caller went on"
    child = [a for a in run.actions() if a.task_name == "inline_children.aborted_as_it_returns"]
    assert [a.phase for a in child] == [ActionPhase.ABORTED]


@pytest.mark.parametrize("inline", [True, False], ids=["inline", "own-task"])
def test_external_abort_of_a_directly_awaited_child_is_handled_by_its_caller(monkeypatch, inline):
    # Both ways of running a directly awaited child (the caller's task on 3.11+, a task of its own
    # on 3.10) turn an external abort into ActionAbortedError in the caller.
    monkeypatch.setattr(controller, "_INLINE", inline)
    name = f"abort-direct-{'inline' if inline else 'task'}"
    outcome: dict = {}
    t = threading.Thread(target=lambda: outcome.update(run=flyte.with_runcontext(name=name).run(direct_main, 20.0)))
    t.start()
    j = journal()
    deadline = time.monotonic() + 5
    victim = None
    while time.monotonic() < deadline and victim is None:
        time.sleep(0.05)
        try:
            victim = next((a for a in j.list_actions(name) if a.task_name.endswith(".long_sleeper")), None)
        except Exception:
            victim = None
    assert victim is not None
    j.request_abort(name, victim.action_id, "testing")
    t.join(10)
    assert outcome["run"].outputs()[0] == "handled"


@abort_env.task
async def direct_main(sleep_for: float) -> str:
    try:
        await long_sleeper(sleep_for)
    except flyte.errors.ActionAbortedError:
        await asyncio.sleep(0.01)  # the caller's task is not cancelled: it can still wait
        return "handled"
    return "not aborted"


@inline_env.task
async def own_timeout() -> str:
    try:
        async with asyncio.timeout(0.05):  # cancels the task it runs in, then takes that back
            await asyncio.sleep(5)
    except TimeoutError:
        return "timed out inside the child"
    return "not timed out"


@inline_env.task(timeout=0.1)
async def over_its_limit() -> str:
    await asyncio.sleep(5)
    return "finished"


@inline_env.task
async def times_out_children() -> list:
    first = await own_timeout()
    try:
        await over_its_limit()
        second = "no timeout"
    except flyte.errors.TaskTimeoutError:
        second = "task timeout"
    third = await asyncio.wait_for(own_timeout(), 5)
    await asyncio.sleep(0.01)  # nothing is left pending against the caller's task
    return [first, second, third, asyncio.current_task().cancelling()]


@pytest.mark.skipif(not hasattr(asyncio, "timeout"), reason="asyncio.timeout is new in Python 3.11")
def test_timeouts_inside_and_around_directly_awaited_children_leave_the_caller_alone():
    run = flyte.run(times_out_children)
    assert run.outputs()[0] == ["timed out inside the child", "task timeout", "timed out inside the child", 0]


where_env = flyte.TaskEnvironment("where_children_run")


@where_env.task
async def where_am_i(i: int) -> str:
    frame = current_frame.get()
    handle = frame.run.live[frame.action_id]
    assert handle.task is asyncio.current_task()
    return "inline" if handle.inline else "own task"


@where_env.task
async def call_every_way() -> list[str]:
    gathered = await asyncio.gather(where_am_i(1), where_am_i(2))
    created = await asyncio.create_task(where_am_i(3))
    direct = await where_am_i(4)
    return [*gathered, created, direct]


def test_gathered_and_created_children_own_their_task_and_awaited_ones_share_their_caller_s():
    # Cancelling a child's own task cancels exactly that child; a child awaited directly runs in
    # its caller's task (Python 3.11+), or in a task of its own where cancellations can't be taken back.
    direct = "inline" if controller._INLINE else "own task"
    assert flyte.run(call_every_way).outputs()[0] == ["own task", "own task", "own task", direct]
