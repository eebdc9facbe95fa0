"""The docs' programs run as scripts (``python example.py``): their ``__main__`` blocks call
``flyte.init_from_config()`` and ``flyte.run(...)``, print the run's name and URL and wait.

The abort programs are left out here (their documented timings are 10 to 30 s); the abort tests
run them in process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flyte.models import ActionPhase
from flyte.remote import Run

from ._support import EXAMPLES_DIR, explain, printed_dicts, run_file

FETCHED = [{"user_id": i, "name": f"User_{i}", "score": i * 10, "data": f"fetched_data_{i}"} for i in range(1, 6)]
PROMPTS = [
    "Summarize this text",
    "Translate to French",
    "Extract key points",
    "Generate a title",
    "Write a conclusion",
    "List the main topics",
    "Identify the tone",
    "Suggest improvements",
]

# program -> (root task name, expected output)
PROGRAMS = {
    "tasks.py": ("my_env.greet", "Hello, World!"),
    "dataclasses_and_structures.py": (
        "ex-mixed-structures.main",
        "Batch demo_batch_001: Processed 3 predictions, average value: 19.00",
    ),
    "custom_context.py": ("custom-context-example.root", "root-abc"),
    "fanout.py": ("fanout_env.parallel_data_fetching", FETCHED),
    "controlling_parallelism.py": (
        "controlling_parallelism.process_batch_with_semaphore",
        [f"Response to: {p}" for p in PROMPTS],
    ),
    "error_handling.py": ("fail.main", 42),
}


def _check(program: str) -> tuple[Run, str]:
    path: Path = EXAMPLES_DIR / program
    proc = run_file(path)
    assert proc.returncode == 0, explain(proc)
    (run,) = Run.listall()
    task_name, expected = PROGRAMS[program]
    assert run.task_name == task_name
    assert run.phase == ActionPhase.SUCCEEDED
    assert run.outputs() == expected
    return run, proc.stdout


@pytest.mark.subprocess
@pytest.mark.parametrize(
    "program", ["dataclasses_and_structures.py", "fanout.py", "controlling_parallelism.py"]
)
def test_program_prints_run_name_and_url(program):
    run, stdout = _check(program)
    lines = stdout.splitlines()
    # print(r.name); print(r.url); r.wait()
    assert run.name in lines
    url = lines[lines.index(run.name) + 1]
    assert url == run.url
    assert Path(url.removeprefix("file://")).exists()


@pytest.mark.subprocess
@pytest.mark.slow
def test_error_handling_program():
    run, stdout = _check("error_handling.py")
    assert run.name in stdout.splitlines()
    assert "100000000" in stdout  # oomer printed; locally there is no memory limit to hit


@pytest.mark.subprocess
def test_custom_context_program():
    run, stdout = _check("custom_context.py")
    assert printed_dicts(stdout, "leaf sees:") == [{"trace_id": "root-abc", "experiment": "v1"}]


@pytest.mark.subprocess
def test_tasks_program():
    run, stdout = _check("tasks.py")
    assert stdout.splitlines() == ["Hello, World!"]  # print(result)  # "Hello, World!"
