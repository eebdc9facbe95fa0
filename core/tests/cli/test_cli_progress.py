"""Progress while a run is in progress: a live status line on a terminal (a real pseudo-terminal
here), plain log lines otherwise; the same for `flyte run` and for `python file.py` programs."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import time

import pytest
from cli_support import FLYTE, explain, flyte_cli

pytestmark = pytest.mark.subprocess

PROGRAM = """
    import asyncio
    import flyte

    env = flyte.TaskEnvironment(name="progress")

    @env.task
    async def step(i: int) -> int:
        await asyncio.sleep(0.3 + 0.1 * i)
        if i == 2:
            raise ValueError("step 2 breaks")
        print(f"step {i} done")
        return i

    @env.task
    async def main(n: int) -> int:
        results = await asyncio.gather(*(step(i) for i in range(n)), return_exceptions=True)
        await asyncio.sleep(0.4)
        return sum(r for r in results if isinstance(r, int))

    if __name__ == "__main__":
        print("result", flyte.run(main, n=4).outputs()[0])
"""


def run_in_terminal(args: list[str], cwd, timeout: float = 60) -> tuple[int, str]:
    """Run a command with stdout and stderr on a pseudo-terminal; return its exit code and what it drew."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=dict(os.environ), close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout), b"".join(chunks).decode("utf-8", "replace")


def test_live_status_line_on_a_terminal(write, tmp_path):
    path = write("prog.py", PROGRAM)
    code, screen = run_in_terminal([str(FLYTE), "run", "--name", "live", str(path), "main", "--n", "4"], tmp_path)
    assert code == 0, screen
    # The status line is redrawn in place (carriage return + erase line) with counts and elapsed time.
    statuses = re.findall(r"\r\x1b\[K([|/\\-] live  [\d.]+s  running (\d+)  succeeded (\d+)  failed (\d+))", screen)
    assert len(statuses) >= 5, screen
    assert any(int(running) >= 4 for _, running, _, _ in statuses), statuses
    assert any(int(done) >= 1 and int(failed) == 1 for _, _, done, failed in statuses), statuses
    assert "FAILED  step (a" in screen and "ValueError: step 2 breaks" in screen
    assert "Run live succeeded after" in screen and "5 actions (4 succeeded, 1 failed)" in screen
    assert "Outputs: ActionOutputs(o0=4)" in screen
    # What tasks print erases the status line first: it starts a line of its own.
    for i in (0, 1, 3):
        assert re.search(rf"(^|\r\x1b\[K|\n)step {i} done\r?\n", screen), screen


def test_python_programs_get_the_same_display(write, tmp_path):
    path = write("prog.py", PROGRAM)
    code, screen = run_in_terminal([sys.executable, str(path)], tmp_path)
    assert code == 0, screen
    assert re.search(r"\r\x1b\[K[|/\\-] main-\S+  [\d.]+s  running \d+", screen), screen
    assert "result 4" in screen


def test_plain_lines_when_not_a_terminal(write):
    path = write("prog.py", PROGRAM)
    proc = flyte_cli("run", "--name", "plain", str(path), "main", "--n", "4")
    assert proc.returncode == 0, explain(proc)
    assert "\r" not in proc.stderr and "\x1b" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0] == "Run plain started: progress.main"
    assert re.fullmatch(r"  FAILED  step \(a\w+\) after [\d.]+s: ValueError: step 2 breaks", lines[1]), lines
    assert re.fullmatch(r"Run plain succeeded after [\d.]+s: 5 actions \(4 succeeded, 1 failed\)", lines[-1]), lines
    # stdout keeps what the tasks and the command print
    assert sorted(proc.stdout.splitlines()[:3]) == ["step 0 done", "step 1 done", "step 3 done"]
    assert proc.stdout.splitlines()[3] == "Run: plain"
    # a python program: the display goes to stderr, the program's own output stays on stdout
    script = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=dict(os.environ))
    assert script.returncode == 0, explain(script)
    assert script.stdout.splitlines()[-1] == "result 4"
    assert re.search(r"^Run main-\S+ succeeded after", script.stderr, re.M)


def test_flyte_progress_off_and_bad_values(write):
    path = write("prog.py", PROGRAM)
    quiet = flyte_cli("run", str(path), "main", "--n", "1", env={"FLYTE_PROGRESS": "off"})
    assert quiet.returncode == 0, explain(quiet)
    assert quiet.stderr == ""
    bad = flyte_cli("run", "--name", "loud", str(path), "main", "--n", "1", env={"FLYTE_PROGRESS": "loud"})
    assert bad.returncode == 2
    assert bad.stderr == "Error: FLYTE_PROGRESS='loud' is not one of auto, live, plain, off; unset it for the default\n"
    assert "No run named 'loud'" in flyte_cli("runs", "show", "loud").stderr  # nothing was started
