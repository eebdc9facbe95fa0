"""`flyte run` of the seeds' example programs (tests/docs/examples), from the command line.

The documented parameters are shortened where they are sleeps; every input is given as text the
way a user types it (ints, floats, bools, lists as JSON, directories as paths).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import explain, flyte_cli

from flyte.remote import Run

pytestmark = pytest.mark.subprocess

EXAMPLES = Path(__file__).resolve().parents[3] / "tests" / "docs" / "examples"

CASES = [
    # (file, task, inputs, expected output repr); options of `flyte run` itself come first in inputs
    ("tasks.py", "greet", ["--name", "World"], "'Hello, World!'"),
    ("tasks.py", "process_numbers", ["--values", "[1, 2, 3]"], "6"),
    ("dataclasses_and_structures.py", "main", [], "'Batch demo_batch_001: Processed 3 predictions, average value: 19.00'"),
    ("fanout.py", "parallel_data_fetching", ["--user_ids", "[1, 2]"], None),
    ("abort_cancel_tasks.py", "main", ["--n", "5", "--f", "0.2"], "None"),
    ("abort_external.py", "main", ["--n", "3", "--sleep_for", "0.2"], "'Hello World!'"),
    ("grouping_actions.py", "conditional_processing", ["--use_advanced_features", "yes", "--input_data", "x"], None),
    ("custom_context.py", "root", ["--context", "trace_id=root-abc", "--context", "experiment=v1"], "'root-abc'"),
    ("reports_simple.py", "task1", [], "None"),
    ("links_examples.py", "main", ["--wandb_id", "my-run-id"], "{'accuracy': 0.95}"),
]


@pytest.mark.parametrize("file,task,inputs,expected", CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_flyte_run_of_a_seed_example(file, task, inputs, expected):
    name = f"{Path(file).stem.replace('_', '-')}-{task.replace('_', '-')}"
    options = inputs if inputs[:1] == ["--context"] else []
    inputs = inputs[len(options):]
    proc = flyte_cli("run", "--name", name, *options, str(EXAMPLES / file), task, *inputs, cwd=EXAMPLES)
    assert proc.returncode == 0, explain(proc)
    lines = proc.stdout.splitlines()
    assert f"Run: {name}" in lines
    url = next(line for line in lines if line.startswith("URL: "))
    assert url == f"URL: {Run.get(name).url}"
    outputs = next(line for line in lines if line.startswith("Outputs: "))
    if expected is not None:
        assert outputs == f"Outputs: ActionOutputs(o0={expected})"
    assert Run.get(name).phase.value == "succeeded"


def test_fanout_outputs_round_trip():
    proc = flyte_cli("run", "--name", "fanout", str(EXAMPLES / "fanout.py"), "parallel_data_fetching", "--user_ids", "[3]")
    assert proc.returncode == 0, explain(proc)
    assert Run.get("fanout").outputs() == [{"user_id": 3, "name": "User_3", "score": 30, "data": "fetched_data_3"}]


def test_directory_and_file_inputs_are_paths(tmp_path, write):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("alpha")
    (data / "b.txt").write_text("beta")
    # The files-and-directories page's check_dir(my_dir: Dir), given a local directory.
    proc = flyte_cli("run", "--name", "dir-input", str(EXAMPLES / "files_and_directories.py"), "check_dir",
                     "--my_dir", "data", cwd=tmp_path)
    assert proc.returncode == 0, explain(proc)
    assert "Contents: alpha" in proc.stdout and "Contents: beta" in proc.stdout
    program = write("reader.py", """
        import flyte
        from flyte.io import File

        env = flyte.TaskEnvironment(name="reader")

        @env.task
        async def read(f: File, times: int = 1) -> str:
            async with f.open("rb") as fh:
                return (await fh.read()).decode() * times
    """)
    ok = flyte_cli("run", "--name", "file-input", str(program), "read", "--f", "data/a.txt", "--times", "2", cwd=tmp_path)
    assert ok.returncode == 0, explain(ok)
    assert "Outputs: ActionOutputs(o0='alphaalpha')" in ok.stdout
    # The run reads a copy taken when it started: later edits of the local file don't change a rerun's input.
    (data / "a.txt").write_text("changed")
    assert Run.get("file-input").outputs() == "alphaalpha"
    for bad, message in (("data", "it is a directory; the input is a File"), ("nope.txt", "no file at nope.txt")):
        proc = flyte_cli("run", str(program), "read", "--f", bad, cwd=tmp_path)
        assert proc.returncode == 2 and message in proc.stderr, explain(proc)


def test_json_inputs_reach_the_task_typed(write):
    program = write("typed.py", """
        from dataclasses import dataclass
        import flyte

        env = flyte.TaskEnvironment(name="typed")

        @dataclass
        class Point:
            x: float
            y: float

        @env.task
        def describe(points: list[Point], weights: dict[str, float], pair: tuple[str, int]) -> str:
            return f"{sum(p.x * p.y for p in points)} {sorted(weights)} {pair[0] * pair[1]}"
    """)
    proc = flyte_cli(
        "run", str(program), "describe",
        "--points", json.dumps([{"x": 1, "y": 2}, {"x": 3, "y": 4}]),
        "--weights", '{"b": 1, "a": 2}',
        "--pair", '["ab", 2]',
    )
    assert proc.returncode == 0, explain(proc)
    assert "Outputs: ActionOutputs(o0=\"14.0 ['a', 'b'] abab\")" in proc.stdout
