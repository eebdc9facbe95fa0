"""`flyte rerun` and `flyte cache`, through the installed command in fresh processes."""

from __future__ import annotations

import textwrap

from cli_support import explain, flyte_cli, one_error_line

PROGRAM = textwrap.dedent(
    """
    import os
    import flyte

    env = flyte.TaskEnvironment("durable_cli")

    @flyte.trace
    async def step(i: int) -> int:
        with open(os.environ["SIDE_EFFECTS"], "a") as f:
            f.write(f"step {i}\\n")
        return i

    @env.task(cache="auto")
    async def square(x: int) -> int:
        return x * x

    @env.task
    async def main(n: int) -> int:
        total = 0
        for i in range(n):
            total += await step(i)
        if os.environ.get("BREAK") == "1":
            raise RuntimeError("broken on purpose")
        return total + await square(n)
    """
)


def test_rerun_resumes_a_failed_run_and_takes_new_inputs(tmp_path):
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    effects = tmp_path / "effects.txt"
    failed = flyte_cli("run", "--name", "cli-broken", str(program), "main", "--n", "3",
                       env={"SIDE_EFFECTS": str(effects), "BREAK": "1"})
    assert failed.returncode == 1, explain(failed)
    assert effects.read_text().split("\n")[:-1] == ["step 0", "step 1", "step 2"]
    effects.unlink()

    resumed = flyte_cli("rerun", "--name", "cli-fixed", "cli-broken", env={"SIDE_EFFECTS": str(effects)})
    assert resumed.returncode == 0, explain(resumed)
    assert "Run: cli-fixed (resumes cli-broken; 3 actions replayed)" in resumed.stdout
    assert "Outputs: ActionOutputs(o0=12)" in resumed.stdout
    assert not effects.exists()  # every traced step was replayed

    more = flyte_cli("rerun", "cli-broken", "--n", "4", env={"SIDE_EFFECTS": str(effects)})
    assert more.returncode == 0, explain(more)
    assert "Outputs: ActionOutputs(o0=22)" in more.stdout
    assert effects.read_text() == "step 3\n"  # only the new step ran


def test_rerun_errors_are_one_line(tmp_path):
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    assert "no run named 'nope'" in one_error_line(flyte_cli("rerun", "nope"))
    ok = flyte_cli("run", "--name", "fine", str(program), "main", "--n", "1", env={"SIDE_EFFECTS": str(tmp_path / "e")})
    assert ok.returncode == 0, explain(ok)
    bad = flyte_cli("rerun", "fine", "--n", "three", env={"SIDE_EFFECTS": str(tmp_path / "e")})
    assert bad.returncode == 2 and "'three'" in one_error_line(bad)


def test_cache_list_and_clear(tmp_path):
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    ok = flyte_cli("run", str(program), "square", "--x", "7")
    assert ok.returncode == 0, explain(ok)
    listed = flyte_cli("cache", "list")
    assert listed.returncode == 0 and "durable_cli.square" in listed.stdout, explain(listed)
    cleared = flyte_cli("cache", "clear", "durable_cli.square", "--yes")
    assert cleared.returncode == 0 and "Deleted 1 cached results" in cleared.stdout, explain(cleared)
    assert "No cached results" in flyte_cli("cache", "list").stdout
