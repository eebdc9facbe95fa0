"""Page "Error handling": catch flyte.errors.OOMError and retry with more memory.

Locally there are no memory limits yet (the in-process executor), so the docs' program runs
``oomer`` to completion and never takes the OOM branch; that is what the first test checks.
``examples/error_handling_oom.py`` is the docs' program with ``oomer`` raising ``MemoryError``
where the docs expect it to run out of memory, which shows the documented recovery.
"""

from __future__ import annotations

import pytest

import flyte
import flyte.errors
from flyte.models import ActionPhase
from flyte.remote import Run

from ._support import actions_named, summary
from .examples import error_handling as ex
from .examples import error_handling_oom as oom


@pytest.mark.slow
def test_docs_program_runs_locally_without_memory_limits(capsys):
    r = flyte.run(ex.main)
    assert r.outputs() == 42
    assert r.phase == ActionPhase.SUCCEEDED
    assert summary(r) == [
        ("main", "succeeded", []),
        ("oomer", "succeeded", []),
        ("always_succeeds", "succeeded", []),  # the finally block
        ("always_succeeds", "succeeded", []),  # the return
    ]
    assert actions_named(r, "oomer")[0].logs() == "100000000\n"
    assert "Failed with oom" not in capsys.readouterr().out
    # the environment's resources are recorded with each action
    assert "250Mi" in actions_named(r, "oomer")[0].record.config


def test_oom_is_caught_and_retried_with_more_resources(capsys):
    r = flyte.run(oom.main)
    assert r.outputs() == 42
    assert r.phase == ActionPhase.SUCCEEDED
    out = capsys.readouterr().out
    assert (
        "Failed with oom trying with more resources: Unable to allocate 763 MiB: the task is limited to 250Mi, "
        "of type <class 'flyte.errors.OOMError'>, MemoryError\n"
    ) in out
    assert "Failed with OOM Again" not in out

    first, second = actions_named(r, "oomer")
    assert first.phase == ActionPhase.FAILED
    assert first.record.error_code == "MemoryError"
    assert first.attempts == 1  # no retries declared: an OOM fails the action at once
    assert second.phase == ActionPhase.SUCCEEDED
    assert second.logs() == "100000000\n"
    # the override really changed the resources of the second call only
    assert "memory='250Mi'" in first.record.config
    assert "memory='1Gi'" in second.record.config
    assert [a.phase for a in actions_named(r, "always_succeeds")] == [ActionPhase.SUCCEEDED] * 2


def test_oom_again_gives_up_and_still_runs_finally(capsys):
    with pytest.raises(flyte.errors.OOMError) as info:
        flyte.run(oom.main_gives_up)
    assert info.value.code == "MemoryError"
    assert "Unable to allocate for x=5" in str(info.value)
    out = capsys.readouterr().out
    assert "Failed with oom trying with more resources: Unable to allocate for x=2, of type <class 'flyte.errors.OOMError'>, MemoryError" in out
    assert "Failed with OOM Again giving up: Unable to allocate for x=5, of type <class 'flyte.errors.OOMError'>, MemoryError" in out

    (run,) = Run.listall()
    assert run.phase == ActionPhase.FAILED
    assert [(a.short_name, a.phase.value) for a in run.actions()] == [
        ("main_gives_up", "failed"),
        ("oomer_always", "failed"),
        ("oomer_always", "failed"),
        ("always_succeeds", "succeeded"),  # finally: runs before the error propagates
    ]
    assert run.actions()[0].record.error_code == "MemoryError"


def test_memory_error_becomes_oom_error_by_its_real_cause():
    env = flyte.TaskEnvironment("oom_cause")

    class NotMemoryError(Exception):
        pass

    @env.task
    async def raises(kind: str):
        if kind == "memory":
            raise MemoryError("out of memory")
        raise NotMemoryError("MemoryError in the message only")

    @env.task
    async def probe(kind: str) -> str:
        try:
            await raises(kind)
        except flyte.errors.OOMError as e:
            return f"OOMError:{e.code}"
        except flyte.errors.RuntimeUserError as e:
            return f"{type(e).__name__}:{e.code}"
        return "no error"

    assert flyte.run(probe, "memory").outputs() == "OOMError:MemoryError"
    assert flyte.run(probe, "other").outputs() == "RuntimeUserError:NotMemoryError"
