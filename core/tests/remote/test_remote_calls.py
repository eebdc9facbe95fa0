"""Calling deployed tasks: isolated worker processes, journaled as actions of the caller's run, with
retries, timeouts, aborts, reports, context, errors and type translation."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import flyte
import flyte.errors
from flyte._runtime.journal import journal
from flyte.models import ActionPhase
from flyte.remote import Run, Task
from flyte.remote._task import coerce

pytestmark = pytest.mark.subprocess

FLYTE = Path(sys.executable).parent / "flyte"

TEAM = """
    import asyncio
    import os
    from dataclasses import dataclass
    from pathlib import Path

    import flyte
    import flyte.report

    env = flyte.TaskEnvironment(name="team_rc")

    @dataclass
    class Stats:
        total: int
        labels: list[str]

    @env.task
    async def inner(i: int, seconds: float) -> int:
        print(f"inner {i} starts")
        await asyncio.sleep(seconds)
        return i

    @env.task
    async def outer(n: int, seconds: float = 0.0) -> Stats:
        ctx = flyte.ctx()
        print(f"outer in run {ctx.action.run_name} as {ctx.action.name} with {sorted(ctx.custom_context.items())}")
        results = await asyncio.gather(*(inner(i, seconds) for i in range(n)), return_exceptions=True)
        aborted = [i for i, r in enumerate(results) if isinstance(r, flyte.errors.ActionAbortedError)]
        return Stats(total=sum(r for r in results if isinstance(r, int)), labels=[f"aborted {i}" for i in aborted])

    @env.task
    async def flaky(counter: str) -> int:
        path = Path(counter)
        n = int(path.read_text()) + 1 if path.exists() else 1
        path.write_text(str(n))
        if n < 3:
            raise ConnectionError(f"attempt {n} fails")
        return n

    @env.task(report=True)
    async def reporting(text: str) -> str:
        await flyte.report.log.aio(f"<p id='t'>{text}</p>", do_flush=True)
        return text

    @env.task
    async def crash() -> None:
        os._exit(3)

    @env.task
    async def who() -> str:
        import sys
        return f"{os.getcwd()}|{sys.path[0]}|{os.environ.get('TEAM_SETTING', '-')}"

    @env.task
    async def calls_current() -> str:
        ref = flyte.remote.Task.get("team_rc.who", auto_version="current")
        return await ref()
"""


@pytest.fixture(scope="module")
def deployed(tmp_path_factory) -> Path:
    """Team code deployed once, in a FLYTE_HOME shared by this module's tests."""
    home = tmp_path_factory.mktemp("home")
    src = tmp_path_factory.mktemp("src") / "team_rc"
    src.mkdir()
    (src / "team_rc.py").write_text(textwrap.dedent(TEAM))
    proc = subprocess.run([str(FLYTE), "deploy", str(src), "--version", "t1"], capture_output=True, text=True,
                          env={**os.environ, "FLYTE_HOME": str(home)}, cwd=src.parent)
    assert proc.returncode == 0, proc.stderr
    return home


@pytest.fixture
def flyte_home(deployed, monkeypatch):
    monkeypatch.setenv("FLYTE_HOME", str(deployed))
    return deployed


def ref(name: str, **kw) -> flyte.remote.TaskReference:
    return Task.get(f"team_rc.{name}", **kw)


env = flyte.TaskEnvironment(name="rc_caller")


def test_children_of_a_deployed_task_are_actions_of_the_callers_run(flyte_home, capfd):
    run = flyte.with_runcontext(name="rc-tree", custom_context={"team": "c"}).run(ref("outer"), n=3)
    stats = run.outputs()[0]
    assert (stats.total, stats.labels) == (3, [])
    actions = run.actions()
    (root,) = [a for a in actions if a.short_name == "outer"]
    inners = [a for a in actions if a.short_name == "inner"]
    assert len(inners) == 3 and {a.parent for a in inners} == {root.name}
    assert {a.phase for a in actions} == {ActionPhase.SUCCEEDED}
    # Printed output is journaled per action, by the worker, and relayed to this process's terminal.
    assert root.logs() == f"outer in run rc-tree as {root.name} with [('team', 'c')]\n"
    assert sorted(a.logs() for a in inners) == ["inner 0 starts\n", "inner 1 starts\n", "inner 2 starts\n"]
    assert "inner 2 starts" in capfd.readouterr().out


def test_deployed_code_runs_isolated_in_its_snapshot(flyte_home):
    details = ref("who").override(env_vars={"TEAM_SETTING": "on"}).fetch()
    out = flyte.run(details).outputs()[0]
    cwd, path0, setting = out.split("|")
    assert cwd == str(details.snapshot) == path0
    assert setting == "on"


def test_auto_version_current_follows_the_calling_deployment(flyte_home):
    # calls_current runs deployed version t1, so "current" means team_rc.who@t1.
    run = flyte.run(ref("calls_current", version="t1"))
    assert run.outputs()[0].endswith("|-")
    assert [a.task_name for a in run.actions()] == ["team_rc.calls_current", "team_rc.who"]


def test_retries_and_failures(flyte_home, tmp_path):
    counter = tmp_path / "count"
    run = flyte.run(ref("flaky").override(retries=3), counter=str(counter))
    assert run.outputs() == 3
    assert run.actions()[0].attempts == 3

    @env.task
    async def calls_flaky(counter: str) -> str:
        try:
            await ref("flaky")(counter=counter)
        except flyte.errors.RuntimeUserError as e:
            return f"{type(e).__name__} {e.code}: {e}"
        return "no error"

    out = flyte.run(calls_flaky, counter=str(tmp_path / "other")).outputs()[0]
    assert out == "RuntimeUserError ConnectionError: attempt 1 fails"

    with pytest.raises(flyte.errors.RuntimeSystemError, match="exited with code 3 before reporting a result"):
        flyte.run(ref("crash"))


def test_a_broken_snapshot_is_a_module_load_error_without_retries(flyte_home, tmp_path):
    details = ref("who").fetch()
    module = details.snapshot / "team_rc.py"
    original = module.read_text()
    module.write_text("raise ImportError('snapshot damaged')\n")
    try:
        with pytest.raises(flyte.errors.ModuleLoadError, match="snapshot damaged"):
            flyte.run(details.override(retries=2))
    finally:
        module.write_text(original)
    (run,) = [r for r in Run.listall() if r.phase == ActionPhase.FAILED and r.task_name == "team_rc.who"]
    assert run.actions()[0].attempts == 1


def test_timeout_stops_the_worker(flyte_home):
    t0 = time.monotonic()
    with pytest.raises(flyte.errors.TaskTimeoutError):
        flyte.run(ref("inner").override(timeout=1), i=1, seconds=60)
    assert time.monotonic() - t0 < 15


def test_reports_of_deployed_tasks_are_recorded(flyte_home):
    run = flyte.run(ref("reporting"), text="from the worker")
    action = run.actions()[0]
    assert action.record.report_uri
    assert "<p id='t'>from the worker</p>" in Path(action.record.report_uri.removeprefix("file://")).read_text()


def _start(name: str, target, **inputs) -> tuple[threading.Thread, dict]:
    result: dict = {}

    def go() -> None:
        try:
            result["run"] = flyte.with_runcontext(name=name).run(target, **inputs)
        except BaseException as e:
            result["error"] = e

    thread = threading.Thread(target=go)
    thread.start()
    return thread, result


def _wait_for(run_name: str, short_name: str, count: int) -> list:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = [
            a for a in journal().list_actions(run_name)
            if a.short_name == short_name and a.phase == ActionPhase.RUNNING.value
        ]
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{count} running {short_name} did not show up")


def test_external_abort_of_a_child_inside_the_worker(flyte_home):
    thread, result = _start("rc-abort-child", ref("outer"), n=3, seconds=3.0)
    try:
        inners = _wait_for("rc-abort-child", "inner", 3)
        journal().request_abort("rc-abort-child", inners[1].action_id)
    finally:
        thread.join(60)
    assert "error" not in result, result
    stats = result["run"].outputs()[0]
    assert stats.labels == ["aborted 1"] and stats.total == 2
    phases = {a.action_id: a.phase for a in journal().list_actions("rc-abort-child") if a.short_name == "inner"}
    assert phases[inners[1].action_id] == ActionPhase.ABORTED.value


def test_aborting_the_deployed_action_stops_the_worker_and_its_children(flyte_home):
    thread, result = _start("rc-abort-all", ref("outer"), n=2, seconds=60.0)
    try:
        _wait_for("rc-abort-all", "inner", 2)
        t0 = time.monotonic()
        run_record = journal().get_run("rc-abort-all")
        journal().request_abort("rc-abort-all", run_record.root_action)
    finally:
        thread.join(60)
    assert time.monotonic() - t0 < 15
    assert isinstance(result.get("error"), flyte.errors.ActionAbortedError), result
    assert {a.phase for a in journal().list_actions("rc-abort-all")} == {ActionPhase.ABORTED.value}


def test_positional_arguments_are_refused_everywhere(flyte_home):
    with pytest.raises(flyte.errors.RemoteTaskUsageError, match="keyword arguments only"):
        flyte.run(ref("inner"), 1, 0.0)
    with pytest.raises(flyte.errors.RemoteTaskUsageError, match="keyword arguments only"):
        flyte.run(ref("inner").fetch(), 1, 0.0)
    with pytest.raises(flyte.errors.RemoteTaskUsageError, match="keyword arguments only"):
        asyncio.run(ref("inner")(1, 0.0))
    before = len(Run.listall())
    with pytest.raises(flyte.errors.RemoteTaskUsageError, match="missing required input"):
        flyte.run(ref("inner"), i=1)
    assert len(Run.listall()) == before  # refused before any run started


def test_coerce_turns_dicts_and_foreign_records_into_stand_ins():
    Point = dataclasses.make_dataclass("Point", [("x", float), ("y", "int | None")])
    Point.__dataclass_fields__["y"].type = int | None
    Line = dataclasses.make_dataclass("Line", [("a", Point), ("tags", list[str])])

    @dataclasses.dataclass
    class OtherPoint:
        x: float
        y: int

    line = coerce({"a": OtherPoint(1.0, 2), "tags": ["t"]}, Line, "input `line`")
    assert isinstance(line, Line) and isinstance(line.a, Point) and (line.a.x, line.a.y) == (1.0, 2)
    assert coerce({"x": 1}, Point, "p").y is None  # optional fields may be left out
    assert coerce([{"x": 2, "y": 3}], list[Point], "ps")[0].x == 2.0
    with pytest.raises(flyte.errors.RemoteTaskUsageError, match=r"unknown field\(s\) z for Point"):
        coerce({"x": 1, "z": 2}, Point, "p")
    with pytest.raises(flyte.errors.RemoteTaskUsageError, match=r"missing field\(s\) tags of Line"):
        coerce({"a": {"x": 1, "y": 2}}, Line, "line")


def test_flyte_run_of_a_module_level_reference(flyte_home, tmp_path):
    script = tmp_path / "use_remote.py"
    script.write_text(textwrap.dedent("""
        import flyte
        import flyte.remote

        # the page: reference first, initialise later ("late binding")
        inner = flyte.remote.Task.get("team_rc.inner", auto_version="latest")
        flyte.init_from_config()

        if __name__ == "__main__":
            run = flyte.run(inner, i=7, seconds=0.0)
            print(f"Current phase: {run.phase}")
            if run.phase == flyte.models.ActionPhase.SUCCEEDED:
                print("Run completed!")
            print(f"Pipeline result: {run.outputs()}")
    """))
    env_ = {**os.environ, "FLYTE_HOME": str(flyte_home)}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env_, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "inner 7 starts",  # printed by the deployed task, relayed from its worker
        "Current phase: succeeded",
        "Run completed!",
        "Pipeline result: ActionOutputs(o0=7)",
    ]
    # `flyte run FILE NAME` also takes a module-level reference; its inputs come from the deployed interface
    cli = subprocess.run([str(FLYTE), "run", str(script), "inner", "--i", "5", "--seconds", "0"],
                         capture_output=True, text=True, env=env_, cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr
    assert "Outputs: ActionOutputs(o0=5)" in cli.stdout
    bad = subprocess.run([str(FLYTE), "run", str(script), "inner", "--i", "x"], capture_output=True, text=True,
                         env=env_, cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("Error: Invalid value for --i: 'x' is not a valid int")


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_worker_whose_caller_died_stops_and_journals_its_children(flyte_home, tmp_path):
    script = tmp_path / "caller.py"
    script.write_text(textwrap.dedent("""
        import flyte, flyte.remote
        flyte.with_runcontext(name="rc-orphan").run(flyte.remote.Task.get("team_rc.outer"), n=2, seconds=60.0)
    """))
    caller = subprocess.Popen([sys.executable, str(script)], env={**os.environ, "FLYTE_HOME": str(flyte_home)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for("rc-orphan", "inner", 2)
        assert _processes_mentioning("runs/rc-orphan/workers/"), "no worker process found"
    finally:
        caller.kill()
        caller.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _processes_mentioning("runs/rc-orphan/workers/"):
        time.sleep(0.1)
    assert _processes_mentioning("runs/rc-orphan/workers/") == []
    inners = [a for a in journal().list_actions("rc-orphan") if a.short_name == "inner"]
    assert [a.phase for a in inners] == [ActionPhase.ABORTED.value] * 2
    # The run's own process is gone: readers mark what it left running as failed.
    assert Run.get("rc-orphan").phase == ActionPhase.FAILED
