"""Page "Unit testing": direct invocation vs flyte.run, sync and async, as the page writes it.

The page's own tests live in ``examples/unit_testing.py`` and ``examples/unit_testing_suite.py``
(the "Example Test Suite"); importing them here makes pytest run them unchanged, including the
``@pytest.mark.asyncio`` ones that call the blocking ``flyte.run`` from inside an event loop.

By decision (ARCHITECTURE.md), typed tuples are supported, so instead of the page's
``test_not_supported_types`` this module checks that ``not_supported_types`` runs through
``flyte.run``, and checks the restriction mechanism with a type registered as restricted (in a
subprocess: the registration is process-global). The traced function comes later.
"""

from __future__ import annotations

import json

import pytest

import flyte
import flyte.errors
from flyte.models import ActionPhase
from flyte.remote import Run

from ._support import explain, run_python
from .examples import unit_testing as page
from .examples.unit_testing import (  # noqa: F401 - collected by pytest, as the page writes them
    test_add,
    test_add_with_flyte_run,
    test_nested,
    test_nested_with_run,
    test_subtract,
)
from .examples.unit_testing_suite import (  # noqa: F401 - the page's "Example Test Suite"
    test_add_logic,
    test_add_serialization,
    test_subtract_logic,
    test_subtract_serialization,
)

# ------------------------------------------------------------- understanding task invocation


def test_direct_invocation_runs_no_flyte_machinery():
    assert page.direct_invocation() == 30
    assert Run.listall() == []  # nothing journaled
    # no type transformation or validation either: the plain function runs on whatever it gets
    assert page.add(a="x", b="y") == "xy"


def test_flyte_run_invokes_the_machinery():
    result = page.invocation_with_run()
    assert result == 30
    assert result[0] == 30
    (run,) = Run.listall()
    assert run.phase == ActionPhase.SUCCEEDED
    assert run.inputs() == {"x": 10, "y": 20}


def test_flyte_run_validates_inputs():
    with pytest.raises(TypeError, match="expects int"):
        flyte.run(page.add, "x", "y")
    # rejected before the run started: nothing is left running
    assert all(r.phase.is_terminal for r in Run.listall())


def test_nested_task_runs_as_a_child_action_under_flyte_run():
    run = flyte.run(page.nested, 3, 5)
    assert [(a.short_name, a.phase.value) for a in run.actions()] == [("nested", "succeeded"), ("add", "succeeded")]


@pytest.mark.asyncio
async def test_flyte_run_aio_from_an_async_test():
    run = await flyte.run.aio(page.subtract, a=10, b=4)
    assert run.outputs() == 6


# ---------------------------------------------------------------------- type restrictions


@pytest.mark.asyncio
async def test_not_supported_types_is_supported_here():
    # The page's snippet, with the decision applied: typed tuples work through flyte.run.
    # Direct invocation works fine
    result = page.not_supported_types(x=("a", "b"))
    assert result == "a"

    run = flyte.run(page.not_supported_types, x=("a", "b"))
    assert run.outputs() == "a"
    assert run.inputs() == {"x": ("a", "b")} or run.inputs() == {"x": ["a", "b"]}


RESTRICTED_SCRIPT = """
import json

import flyte
import flyte.errors
from flyte.types import TypeEngine

class SomeClass:
    def __init__(self, v):
        self.v = v

env = flyte.TaskEnvironment("restricted")

@env.task
def takes_secret(x: SomeClass) -> str:
    return str(x.v)

@env.task
def returns_secret(x: int) -> SomeClass:
    return SomeClass(x)

report = {"before": flyte.run(takes_secret, SomeClass(1)).outputs()[0]}
TypeEngine.register_restricted_type("Secretive", SomeClass)
report["direct"] = takes_secret(SomeClass(2))  # direct invocation: no Flyte, no restriction
for label, task, arg in (("input", takes_secret, SomeClass(3)), ("output", returns_secret, 3)):
    try:
        flyte.run(task, arg)
        report[label] = "no error"
    except flyte.errors.RestrictedTypeError as e:
        report[label] = ["RestrictedTypeError", e.code, str(e)]
    except BaseException as e:
        report[label] = [type(e).__name__, getattr(e, "code", None), str(e)]
report["left_running"] = [r.name for r in flyte.remote.Run.listall() if not r.phase.is_terminal]
print("REPORT " + json.dumps(report))
"""


def test_restricted_type_raises_restricted_type_error():
    proc = run_python(RESTRICTED_SCRIPT)
    assert proc.returncode == 0, explain(proc)
    line = next((line for line in proc.stdout.splitlines() if line.startswith("REPORT ")), None)
    assert line is not None, explain(proc)
    report = json.loads(line[len("REPORT ") :])
    assert report["before"] == "1"
    assert report["direct"] == "2"
    assert report["input"][0] == "RestrictedTypeError", report
    assert "SomeClass" in report["input"][2] and "Secretive" in report["input"][2]
    assert report["output"][0] == "RestrictedTypeError", report
    assert report["left_running"] == []


# ------------------------------------------------------------------------------------ caching

cache_env = flyte.TaskEnvironment("unit_testing_cache")
CALLS: list[int] = []


@cache_env.task(cache="auto")
def cached_double(x: int) -> int:
    CALLS.append(x)
    return 2 * x


def test_caching_applies_under_flyte_run_not_direct_calls():
    # "Direct Function Invocation: Flyte features are NOT invoked, including ... Caching";
    # flyte.run is how to test "Caching behavior".
    CALLS.clear()
    assert cached_double(2) == 4 and cached_double(2) == 4
    assert CALLS == [2, 2]
    CALLS.clear()
    first = flyte.run(cached_double, 3)
    second = flyte.run(cached_double, 3)
    assert first.outputs() == second.outputs() == 6
    assert CALLS == [3], "the second flyte.run of a cache='auto' task should be a cache hit"
    assert second.actions()[0].record.cache_hit == 1
