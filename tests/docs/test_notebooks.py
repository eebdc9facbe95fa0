"""Page "Notebooks": a workflow written, iterated on and run in a real Jupyter kernel (ipykernel,
executed by nbclient), then its runs listed, inspected and their logs read with flyte.remote.

A notebook's cells run while the kernel's event loop is running, so this is also the test that
`flyte.run` (blocking) and `await flyte.run.aio(...)` work from a thread that already runs a loop.
"""

from __future__ import annotations

import os

import nbformat
import pytest
from nbclient import NotebookClient

from flyte._runtime.journal import journal

pytestmark = [pytest.mark.subprocess, pytest.mark.slow]

INTERACTIVE = [
    # the page: flyte.init with an endpoint (adjusted to yours); locally it warns and runs here
    """
    import logging, sys
    logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="%(levelname)s %(message)s")
    import flyte

    flyte.init(
        endpoint="https://union.example.com",
        org="example_org",
        project="example_project",
        domain="development",
    )
    """,
    """
    import asyncio

    env = flyte.TaskEnvironment(name="notebook_env")

    @env.task
    async def square(x: int) -> int:
        print(f"squaring {x}")
        return x * x

    @env.task
    async def main(n: int) -> int:
        return sum(await asyncio.gather(*(square(i) for i in range(n))))
    """,
    """
    import asyncio
    print("loop running:", asyncio.get_running_loop().is_running())
    run = flyte.run(main, n=4)
    print(run.name, run.phase.value, run.outputs()[0])
    """,
    """
    run_aio = await flyte.run.aio(main, n=5)
    print(run_aio.phase.value, run_aio.outputs()[0])
    """,
    # iterate: change the task in a cell and run again
    """
    @env.task
    async def square(x: int) -> int:
        print(f"cubing {x}")
        return x * x * x

    @env.task
    async def main(n: int) -> int:
        return sum(await asyncio.gather(*(square(i) for i in range(n))))

    print("iterated", flyte.run(main, n=3).outputs()[0])
    """,
]

REMOTE = [
    # the page's remote notebook: list runs, access them, their details and logs
    """
    import flyte
    import flyte.remote

    runs = flyte.remote.Run.listall()
    print("runs:", len(runs), sorted({r.phase.value for r in runs}))
    latest = runs[0]
    print("latest:", latest.task_name, latest.outputs()[0], latest.inputs())
    """,
    """
    details = flyte.remote.Run.get(latest.name)
    for action in details.actions():
        print("action", action.short_name, action.phase.value, action.attempts)
    """,
    """
    print(details.logs(), end="")
    """,
]


def _notebook(cells: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source=c.strip("\n")) for c in cells]
    return nb


def _stdout(cell: nbformat.NotebookNode) -> str:
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert not errors, "\n".join(errors[0].traceback)
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def _execute(cells: list[str], cwd) -> list[str]:
    nb = _notebook(cells)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute(
        env={**os.environ}
    )
    return [_stdout(cell) for cell in nb.cells]


def test_interactive_then_remote_notebooks(tmp_path):
    out = _execute(INTERACTIVE, tmp_path)
    assert out[0].count("WARNING flyte.init(endpoint=https://union.example.com): no Flyte backend is reachable") == 1
    assert out[2].splitlines()[0] == "loop running: True"
    name, phase, value = out[2].splitlines()[-1].split()
    assert (phase, value) == ("succeeded", "14")  # 0 + 1 + 4 + 9
    assert sorted(line for line in out[2].splitlines() if line.startswith("squaring")) == [
        f"squaring {i}" for i in range(4)
    ]
    assert out[3].splitlines()[-1] == "succeeded 30"
    assert out[4].splitlines()[-1] == "iterated 9"  # 0 + 1 + 8: the redefined task ran

    remote = _execute(REMOTE, tmp_path)
    assert remote[0].splitlines()[0] == "runs: 3 ['succeeded']"
    assert remote[0].splitlines()[1] == "latest: notebook_env.main 9 {'n': 3}"
    actions = remote[1].splitlines()
    assert actions[0] == "action main succeeded 1"
    assert sorted(actions[1:]) == ["action square succeeded 1"] * 3
    assert sorted(remote[2].splitlines()) == ["cubing 0", "cubing 1", "cubing 2"]
    # project and domain from flyte.init(...) are recorded with the run
    record = journal().get_run(name)
    assert (record.project, record.domain) == ("example_project", "development")
