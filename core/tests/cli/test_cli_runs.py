"""`flyte runs`, `flyte runs show RUN`, `flyte runs logs RUN [ACTION]` and the CLI's one-line errors."""

from __future__ import annotations

import re

import pytest
from cli_support import explain, flyte_cli, one_error_line

pytestmark = pytest.mark.subprocess

PROGRAM = """
    import asyncio
    from dataclasses import dataclass

    import flyte
    import flyte.report

    env = flyte.TaskEnvironment(name="shown")

    @dataclass
    class Dash(flyte.Link):
        name: str = "Dashboard"

        def get_link(self, run_name, project, domain, context, parent_action_name, action_name, pod_name, **kw):
            return f"https://dash.example.com/{run_name}/{action_name}"

    attempts = {"n": 0}

    @env.task(retries=1)
    async def flaky(x: int) -> int:
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise RuntimeError("first attempt fails")
        print(f"flaky {x}")
        return x

    @env.task(links=Dash())
    async def broken(x: int) -> int:
        print("about to break")
        raise ValueError(f"cannot handle {x}")

    @env.task(report=True, cache="auto")
    async def reported(x: int) -> int:
        flyte.report.log(f"<p>{x}</p>")
        return x

    @env.task
    async def main(n: int) -> int:
        print("main starts")
        total = await flaky(n)
        with flyte.group("fan"):
            results = await asyncio.gather(*(reported(i) for i in range(2)), broken(n), return_exceptions=True)
        await reported(0)
        return total + sum(r for r in results if isinstance(r, int))
"""


@pytest.fixture
def finished_run(write):
    path = write("shown.py", PROGRAM)
    proc = flyte_cli("run", "--name", "shown-run", str(path), "main", "--n", "5")
    assert proc.returncode == 0, explain(proc)
    assert "Outputs: ActionOutputs(o0=6)" in proc.stdout
    return "shown-run"


def test_runs_lists_newest_first(finished_run, write):
    second = write("second.py", """
        import flyte
        env = flyte.TaskEnvironment(name="second")
        @env.task
        def one() -> int:
            return 1
    """)
    assert flyte_cli("run", "--name", "later-run", str(second), "one").returncode == 0
    proc = flyte_cli("runs")
    assert proc.returncode == 0, explain(proc)
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["NAME", "TASK", "PHASE", "STARTED", "DURATION", "ACTIONS"]
    assert [line.split()[0] for line in lines[1:]] == ["later-run", "shown-run"]
    assert lines[2].split()[1:3] == ["shown.main", "succeeded"] and lines[2].split()[-1] == "6"
    limited = flyte_cli("runs", "--limit", "1", "--phase", "succeeded")
    assert [line.split()[0] for line in limited.stdout.splitlines()[1:]] == ["later-run"]
    assert "No runs" in flyte_cli("runs", "--phase", "failed").stdout
    assert "not a phase" in one_error_line(flyte_cli("runs", "--phase", "bogus"))


def test_runs_show_the_action_tree(finished_run):
    proc = flyte_cli("runs", "show", finished_run)
    assert proc.returncode == 0, explain(proc)
    out = proc.stdout
    assert out.startswith(f"Run {finished_run}  succeeded")
    assert "  task: shown.main" in out and "project: default  domain: development" in out
    assert re.search(r"page: file://\S+/runs/shown-run/index.html", out)
    tree = out.split("Actions (", 1)[1].splitlines()[1:]
    names = [line.strip().split()[0] for line in tree if not line.strip().startswith(("link ", "report:", "error:", "attempt "))]
    assert names == ["main", "flaky", "[group]", "reported", "reported", "broken", "reported"]
    text = "\n".join(tree)
    assert re.search(r"^    flaky  a\w+  succeeded  [\d.]+s  \(2 attempts\)$", text, re.M), text
    assert re.search(r"^\s+attempt 1: RuntimeError: first attempt fails$", text, re.M)
    assert re.search(r"^    \[group\] fan$", text, re.M)
    assert re.search(r"^      broken  (a\w+)  failed", text, re.M)
    broken_id = re.search(r"^      broken  (a\w+)  failed", text, re.M).group(1)
    assert f"link Dashboard: https://dash.example.com/{finished_run}/{broken_id}" in text
    assert "error: ValueError: cannot handle 5" in text
    assert len(re.findall(r"report: file://\S+/reports/shown-run/a\w+/report.html", text)) == 2
    assert re.search(r"^    reported  a\w+  succeeded  [\d.]+s  \(cache hit\)$", text, re.M), text
    tracebacks = flyte_cli("runs", "show", finished_run, "--tracebacks")
    assert "| ValueError: cannot handle 5" in tracebacks.stdout


def test_runs_logs(finished_run):
    whole = flyte_cli("runs", "logs", finished_run)
    assert whole.returncode == 0, explain(whole)
    assert whole.stdout.splitlines() == ["main starts", "flaky 5", "about to break"]
    one = flyte_cli("runs", "logs", finished_run, "broken")
    assert one.stdout == "about to break\n"


def test_every_cli_error_is_one_line(finished_run, write, tmp_path):
    program = write("ok.py", """
        import flyte
        env = flyte.TaskEnvironment(name="ok")
        @env.task
        def add(a: int, b: float = 1.0, flag: bool = False, items: list[int] = []) -> float:
            return a + b + sum(items)
    """)
    broken_import = write("broken.py", "import flyte\nraise RuntimeError('module-level\\nfailure')\n")
    cases = {
        ("run", "missing.py", "add"): (2, "missing.py does not exist"),
        ("run", str(tmp_path), "add"): (2, "is not a file"),
        ("run", str(program), "nope"): (2, "has no task named 'nope'; tasks in it: add"),
        ("run", str(program), "add", "--a", "x"): (2, "'x' is not a valid int"),
        ("run", str(program), "add", "--a", "1", "--b", "one"): (2, "'one' is not a valid float"),
        ("run", str(program), "add", "--a", "1", "--flag", "maybe"): (2, "'maybe' is not a valid bool"),
        ("run", str(program), "add", "--a", "1", "--items", "[1,"): (2, "expected JSON"),
        ("run", str(program), "add", "--c", "1"): (2, "has no input --c; its inputs: --a, --b, --flag, --items"),
        ("run", str(program), "add"): (2, "missing required input(s): `a`"),
        ("run", str(program), "add", "--a"): (2, "--a needs a value"),
        ("run", "--context", "novalue", str(program), "add", "--a", "1"): (2, "'novalue' is not KEY=VALUE"),
        ("run", str(broken_import), "add"): (1, "RuntimeError: module-level failure"),
        ("runs", "show", "nope"): (1, "No run named 'nope'"),
        ("runs", "logs", finished_run, "nope"): (1, "has no action 'nope'"),
        ("abort", "nope"): (1, "No run named 'nope'"),
        ("abort", finished_run): (1, "already finished (succeeded)"),
        ("deploy", "nowhere/"): (2, "nowhere does not exist"),
        ("deploy", str(program), "--version", "bad/version"): (1, "Version 'bad/version' is not valid"),
        ("bogus",): (2, "No such command 'bogus'"),
    }
    for args, (code, message) in cases.items():
        proc = flyte_cli(*args, cwd=tmp_path)
        line = one_error_line(proc)
        assert proc.returncode == code, (args, explain(proc))
        assert message in line, (args, line)


def test_a_failed_run_prints_the_traceback_then_one_line(write):
    program = write("fails.py", """
        import flyte
        env = flyte.TaskEnvironment(name="fails")
        @env.task
        def boom(x: int) -> int:
            raise ValueError(f"bad {x}")
    """)
    proc = flyte_cli("run", "--name", "failing", str(program), "boom", "--x", "3")
    assert proc.returncode == 1, explain(proc)
    assert "Traceback (most recent call last)" in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last == (
        "Error: Run failing failed: RuntimeUserError (ValueError): bad 3; details: flyte runs show failing"
    )
    assert "  FAILED  boom (a" in proc.stderr  # the progress line of the failed action


def test_help_lists_commands_and_a_tasks_inputs(write):
    top = flyte_cli("--help")
    assert top.returncode == 0
    commands = {line.split()[0] for line in top.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert commands >= {"abort", "cache", "deploy", "rerun", "run", "runs"}
    program = write("documented.py", '''
        import flyte
        env = flyte.TaskEnvironment(name="documented")
        @env.task
        def scale(x: int, factor: float = 2.0, names: list[str] = []) -> float:
            """Scale x by a factor."""
            return x * factor
    ''')
    proc = flyte_cli("run", str(program), "scale", "--help")
    assert proc.returncode == 0, explain(proc)
    assert proc.stdout.splitlines() == [
        "Task documented.scale: Scale x by a factor.",
        "Inputs:",
        "  --x int  (required)",
        "  --factor float  (default 2.0)",
        "  --names list[str]  (default [])",
    ]
