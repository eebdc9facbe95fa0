from __future__ import annotations

import asyncio
import time

import pytest

import flyte
import flyte.errors
from flyte.models import ActionPhase
from flyte.remote import Run

env = flyte.TaskEnvironment("errs")

calls: dict[str, int] = {}


def _count(key: str) -> int:
    calls[key] = calls.get(key, 0) + 1
    return calls[key]


@env.task
async def fails() -> int:
    raise ValueError("I will fail!")


@env.task
async def catches() -> str:
    try:
        await fails()
    except flyte.errors.RuntimeUserError as e:
        return f"{type(e).__name__}:{e.code}:{e}"
    return "no error"


def test_child_error_reaches_parent_with_code_and_traceback():
    run = flyte.run(catches)
    assert run.outputs() == "RuntimeUserError:ValueError:I will fail!"
    failed = [a for a in run.actions() if a.task_name == "errs.fails"][0]
    assert failed.phase == ActionPhase.FAILED
    assert "raise ValueError" in failed.traceback
    assert failed.error == "ValueError: I will fail!"


class BoomError(Exception):
    pass


@env.task
async def boom() -> None:
    raise BoomError("not memory related")


def test_error_class_comes_from_the_cause_not_the_name():
    with pytest.raises(flyte.errors.RuntimeUserError) as info:
        flyte.run(boom)
    assert type(info.value) is flyte.errors.RuntimeUserError
    assert info.value.code == "BoomError"
    assert "raise BoomError" in info.value.traceback_text


oom_env = flyte.TaskEnvironment(name="fail", resources=flyte.Resources(cpu=1, memory="250Mi"))


@oom_env.task
async def oomer(x: int) -> int:
    # Locally there are no memory limits yet: the first call raises MemoryError as an OOM kill would.
    if _count("oomer") == 1:
        raise MemoryError()
    return x


@oom_env.task
async def oom_main() -> int:
    try:
        return await oomer(2)
    except flyte.errors.OOMError as e:
        print(f"Failed with oom trying with more resources: {e}, of type {type(e)}, {e.code}")
        return await oomer.override(resources=flyte.Resources(cpu=1, memory="1Gi"))(5)


def test_memory_error_is_oom_and_override_resources_retries():
    calls.clear()
    run = flyte.run(oom_main)
    assert run.outputs() == 5
    oomers = [a for a in run.actions() if a.task_name == "fail.oomer"]
    assert [a.phase for a in oomers] == [ActionPhase.FAILED, ActionPhase.SUCCEEDED]
    assert oomers[0].record.error_class == "flyte.errors.OOMError"
    assert "1Gi" in oomers[1].record.config and "250Mi" in oomers[0].record.config
    assert "of type <class 'flyte.errors.OOMError'>, MemoryError" in run.logs()


@env.task(retries=flyte.RetryStrategy(count=3, backoff=flyte.Backoff(base=0.01)))
async def flaky() -> int:
    n = _count("flaky")
    if n < 3:
        raise ConnectionError(f"attempt {n}")
    return n


def test_retries_then_success_journal_attempts():
    calls.clear()
    run = flyte.run(flaky)
    assert run.outputs() == 3
    action = run.actions()[0]
    assert action.attempts == 3
    from flyte._runtime.journal import journal

    attempts = journal().list_attempts(run.name, action.name)
    assert [a.error_code for a in attempts] == ["ConnectionError", "ConnectionError"]


@env.task(retries=5)
async def non_recoverable() -> int:
    _count("nr")
    raise flyte.errors.NonRecoverableError("stop now")


def test_non_recoverable_error_skips_retries():
    calls.clear()
    with pytest.raises(flyte.errors.NonRecoverableError):
        flyte.run(non_recoverable)
    assert calls["nr"] == 1


def test_more_than_ten_retries_rejected_at_declaration():
    with pytest.raises(ValueError, match="10"):

        @env.task(retries=11)
        async def too_many() -> None: ...


@env.task(timeout=0.2, retries=1)
async def slow() -> None:
    _count("slow")
    await asyncio.sleep(5)


@env.task
async def catches_timeout() -> str:
    try:
        await slow()
    except flyte.errors.TaskTimeoutError as e:
        return e.code
    return "finished"


def test_timeout_enforced_and_counts_as_a_retry():
    calls.clear()
    t0 = time.monotonic()
    run = flyte.run(catches_timeout)
    assert run.outputs() == "TaskTimeoutError"
    assert calls["slow"] == 2
    assert time.monotonic() - t0 < 3
    slow_action = [a for a in run.actions() if a.task_name == "errs.slow"][0]
    assert slow_action.phase == ActionPhase.TIMED_OUT


@env.task(timeout="1s")
def slow_sync() -> int:
    time.sleep(1.5)
    return 1


def test_sync_task_timeout():
    with pytest.raises(flyte.errors.TaskTimeoutError):
        flyte.run(slow_sync)
    assert Run.listall()[0].phase == ActionPhase.TIMED_OUT
