from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

import flyte
import flyte.errors
from flyte.models import ActionPhase
from flyte.remote import Run

env = flyte.TaskEnvironment("basics")


@env.task
def add(a: int, b: int) -> int:
    return a + b


@env.task
async def subtract(a: int, b: int) -> int:
    return a - b


@env.task
def nested(a: int, b: int) -> int:
    return add(a, b)


@env.task
async def pair(x: int) -> tuple[int, str]:
    return x, str(x)


@env.task
async def nothing() -> None:
    return None


@dataclass
class Point:
    x: float
    y: float


@env.task
async def shift(p: Point, dx: float) -> Point:
    return Point(p.x + dx, p.y)


@env.task
async def fan(n: int) -> list[int]:
    return list(await asyncio.gather(*(subtract(i, 1) for i in range(n))))


def test_direct_call_is_a_plain_function_call(flyte_home):
    assert add(a=3, b=5) == 8
    assert nested(3, 5) == 8
    assert not (flyte_home / "runs.db").exists()


@pytest.mark.asyncio
async def test_direct_await_of_async_task():
    assert await subtract(a=10, b=4) == 6


def test_run_outputs_both_forms():
    run = flyte.run(add, 3, 5)
    assert run.outputs() == 8
    assert run.outputs()[0] == 8
    assert run.phase == ActionPhase.SUCCEEDED
    assert run.done()


def test_run_names_are_unique_and_urls_show_the_run():
    r1, r2 = flyte.run(add, 1, 2), flyte.run(add, 1, 2)
    assert r1.name != r2.name
    assert r1.url.startswith("file://")
    page = open(r1.url[len("file://") :]).read()
    assert r1.name in page and "succeeded" in page


def test_with_runcontext_name_and_reuse_rejected():
    run = flyte.with_runcontext(name="my-run").run(add, 1, 1)
    assert run.name == "my-run"
    with pytest.raises(ValueError, match="already exists"):
        flyte.with_runcontext(name="my-run").run(add, 1, 1)


def test_multiple_outputs_and_none():
    assert flyte.run(pair, 4).outputs() == (4, "4")
    assert flyte.run(nothing).outputs()[0] is None


def test_dataclass_round_trip_and_int_for_float():
    run = flyte.run(shift, Point(1.0, 2.0), 2)
    assert run.outputs()[0] == Point(3.0, 2.0)


def test_nested_sync_tasks_are_actions():
    run = flyte.run(nested, 3, 5)
    assert run.outputs() == 8
    actions = run.actions()
    assert [a.task_name for a in actions] == ["basics.nested", "basics.add"]
    assert actions[1].parent == actions[0].name
    assert all(a.phase == ActionPhase.SUCCEEDED for a in actions)


def test_run_get_and_listall_read_the_journal():
    run = flyte.run(fan, 5)
    again = Run.get(run.name)
    assert again.phase == ActionPhase.SUCCEEDED
    assert again.outputs()[0] == [-1, 0, 1, 2, 3]
    assert again.inputs() == {"n": 5}
    assert len(again.actions()) == 6
    assert run.name in [r.name for r in Run.listall()]
    with pytest.raises(ValueError, match="No run named"):
        Run.get("nope")


def test_wrong_input_type_names_the_parameter_and_leaves_no_run():
    with pytest.raises(TypeError, match=r"input `a` expects int, got str"):
        flyte.run(add, "x", 1)
    assert Run.listall() == []


@env.task
async def echo(s: str) -> str:
    return s


@env.task
async def echo_bad_strings() -> list[str]:
    errors = []
    for call in (lambda: echo("\ud800"), lambda: echo(s="\ud800")):  # positionally and by name
        try:
            await call()
        except TypeError as e:
            errors.append(str(e))
    return errors


def test_a_string_that_cannot_be_encoded_is_a_clear_error_however_it_is_passed():
    errors = flyte.run(echo_bad_strings).outputs()[0]
    assert len(errors) == 2 and all("input `s`" in e and "surrogates" in e for e in errors)


def test_missing_and_unexpected_arguments():
    with pytest.raises(TypeError, match="missing required input"):
        flyte.run(add, 1)
    with pytest.raises(TypeError, match="unexpected input `c`"):
        flyte.run(add, 1, 2, c=3)
    with pytest.raises(TypeError, match="takes a task"):
        flyte.run(lambda: 1)


class Unpicklable:
    def __reduce__(self):
        raise TypeError("cannot pickle this")


@env.task
async def bad_output() -> int:
    return "not an int"  # type: ignore[return-value]


@env.task
async def unserialisable() -> Unpicklable:
    return Unpicklable()


def test_bad_outputs_fail_clearly_and_runs_end_failed():
    with pytest.raises(flyte.errors.RuntimeDataValidationError, match="output o0"):
        flyte.run(bad_output)
    with pytest.raises(flyte.errors.RuntimeDataValidationError, match="unserialisable"):
        flyte.run(unserialisable)
    runs = Run.listall()
    assert len(runs) == 2
    assert all(r.phase == ActionPhase.FAILED for r in runs)


def test_run_aio_from_a_running_loop():
    async def main():
        run = await flyte.run.aio(add, 2, 2)
        return run.outputs()[0]

    assert asyncio.run(main()) == 4


def test_sync_run_from_a_thread_with_a_running_loop():
    """As in Jupyter: the cell's thread runs an event loop and calls flyte.run synchronously."""

    async def cell():
        return flyte.run(fan, 3).outputs()[0]

    assert asyncio.run(cell()) == [-1, 0, 1]


@env.task
async def big(n: int) -> str:
    return "x" * n


def test_large_literals_go_to_the_blob_store():
    run = flyte.run(big, 200_000)
    record = run.actions()[0].record
    assert record.outputs is None and record.outputs_ref.startswith("file://")
    assert Run.get(run.name).outputs() == "x" * 200_000


@env.task
async def runs_another_run(x: int) -> str:
    inner = flyte.run(add, x, 1)  # the blocking form, from inside an async task
    inner_aio = await flyte.run.aio(add, x, 2)
    return f"{inner.outputs()[0]},{inner_aio.outputs()[0]},{inner.name != inner_aio.name}"


def test_sync_and_async_run_from_inside_a_task():
    assert flyte.run(runs_another_run, 1).outputs() == "2,3,True"
    assert len(Run.listall()) == 3


def test_print_of_a_run_shows_its_result(capsys):
    print(flyte.run(add, 2, 3))
    assert capsys.readouterr().out == "5\n"
