"""Seed 003, "Tasks": defining, calling and running tasks (examples/tasks.py)."""

from __future__ import annotations

import dataclasses

import pydantic
import pytest

import flyte
from flyte.models import ActionPhase
from flyte.remote import Run

from ._support import EXAMPLES_DIR, explain, run_cli, summary
from .examples import tasks


def test_greet_through_flyte_run():
    run = flyte.run(tasks.greet, name="World")
    assert run.outputs()[0] == "Hello, World!"
    assert run.outputs() == "Hello, World!"
    assert run.phase == ActionPhase.SUCCEEDED
    assert summary(run) == [("greet", "succeeded", [])]
    assert run.actions()[0].task_name == "my_env.greet"


def test_print_of_the_run_shows_the_greeting(capsys):
    # The page: `result = flyte.run(greet, name="World")` then `print(result)  # "Hello, World!"`.
    flyte.init_from_config()
    result = flyte.run(tasks.greet, name="World")
    print(result)  # "Hello, World!"
    assert "Hello, World!" in capsys.readouterr().out


def test_direct_call_bypasses_flyte(capsys):
    assert tasks.run_locally() == "Hello, World!"
    assert capsys.readouterr().out == "Hello, World!\n"
    # No run was journaled: local calls don't track data.
    assert Run.listall() == []


def test_process_numbers():
    assert flyte.run(tasks.process_numbers, values=[1, 2, 3, 4]).outputs() == 10


def test_tasks_calling_tasks_sync():
    run = flyte.run(tasks.process_data, "s3://bucket/data.csv")
    assert run.outputs() == "s3://bucket/data.csv -> 3 rows"
    # fetch_data ran as its own action, a child of process_data
    root, child = run.actions()
    assert (root.short_name, child.short_name) == ("process_data", "fetch_data")
    assert child.parent == root.name
    assert child.phase == ActionPhase.SUCCEEDED


def test_pipeline_is_the_top_level_task():
    run = flyte.run(tasks.pipeline, x=5)
    assert run.outputs() == 20  # (5 * 2) + 10
    assert summary(run) == [
        ("pipeline", "succeeded", []),
        ("step_one", "succeeded", []),
        ("step_two", "succeeded", []),
    ]
    root = run.actions()[0]
    assert all(a.parent == root.name for a in run.actions()[1:])
    assert run.task_name == "my_env.pipeline"
    # Direct calls of the same tasks compute the same, with no Flyte in the way.
    assert tasks.pipeline(5) == 20


def test_cli_flyte_run_greet():
    # `flyte run my_script.py greet --name World`
    proc = run_cli("run", "tasks.py", "greet", "--name", "World")
    assert proc.returncode == 0, explain(proc)
    assert "Outputs:" in proc.stdout and "Hello, World!" in proc.stdout, explain(proc)
    line = next(line for line in proc.stdout.splitlines() if line.startswith("Outputs:"))
    assert "Hello, World!" in line
    # The run went to the journal of this test's FLYTE_HOME.
    (run,) = Run.listall()
    assert run.outputs() == "Hello, World!"
    assert run.phase == ActionPhase.SUCCEEDED
    assert run.inputs() == {"name": "World"}


def test_cli_flyte_run_pipeline():
    proc = run_cli("run", str(EXAMPLES_DIR / "tasks.py"), "pipeline", "--x", "7")
    assert proc.returncode == 0, explain(proc)
    assert "24" in next(line for line in proc.stdout.splitlines() if line.startswith("Outputs:"))


# "Supported types include: primitives, collections (list, dict, tuple), dataclasses, Pydantic
# models" (DataFrames and files have their own pages).
supported_env = flyte.TaskEnvironment(name="supported_types")


@dataclasses.dataclass
class Point:
    x: int
    y: float


class Label(pydantic.BaseModel):
    name: str
    tags: list[str]


@supported_env.task
def echo_all(
    i: int, f: float, s: str, b: bool, li: list[int], d: dict[str, int], t: tuple[int, str], p: Point, m: Label
) -> tuple[int, float, str, bool, list[int], dict[str, int], tuple[int, str], Point, Label]:
    return i, f, s, b, li, d, t, p, m


@pytest.mark.parametrize("flag", [True, False])
def test_supported_types_round_trip(flag):
    values = (3, 2.5, "s", flag, [1, 2], {"a": 1}, (4, "four"), Point(1, 2.0), Label(name="n", tags=["t"]))
    run = flyte.run(echo_all, *values)
    assert tuple(run.outputs()) == values
