"""External abort from a second process: `flyte run` fans out in one process, `flyte abort` in another.

The program is the "Abort and cancel actions" page's external-abort example (documented params
n=10, sleep_for=30.0; shorter here).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from cli_support import FLYTE, explain, flyte_cli, one_error_line

from flyte._runtime.journal import journal
from flyte.models import ActionPhase

pytestmark = pytest.mark.subprocess

EXTERNAL_ABORT = Path(__file__).resolve().parents[3] / "tests" / "docs" / "examples" / "abort_external.py"


def start_run(name: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(FLYTE), "run", "--name", name, str(EXTERNAL_ABORT), "main", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def wait_running(proc: subprocess.Popen[str], run_name: str, count: int, timeout: float = 30) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            running = [
                a
                for a in journal().list_actions(run_name)
                if a.short_name == "long_sleeper" and a.phase == ActionPhase.RUNNING.value
            ]
        except Exception:  # the journal may not exist yet
            running = []
        if len(running) >= count:
            return running
        time.sleep(0.05)
    raise AssertionError(f"{count} running long_sleeper actions did not show up in {run_name}")


def test_abort_one_action_while_the_run_fans_out():
    proc = start_run("fan-abort", "--n", "6", "--sleep_for", "4")
    try:
        running = wait_running(proc, "fan-abort", 6)
        target = running[2]
        index = sorted(running, key=lambda a: a.seq).index(target)
        aborted = flyte_cli("abort", "fan-abort", target.action_id)
        assert aborted.returncode == 0, explain(aborted)
        assert aborted.stdout == f"Abort requested for action {target.action_id} of fan-abort\n"
        t0 = time.monotonic()
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, f"{out}\n{err}"
    # The parent gathered with return_exceptions=True: it got ActionAbortedError as a result.
    assert re.findall(r"Action \[(\d+)\] was externally aborted", out) == [str(index)]
    assert "Outputs: ActionOutputs(o0='Hello World!')" in out
    assert time.monotonic() - t0 < 10
    j = journal()
    assert j.get_run("fan-abort").phase == ActionPhase.SUCCEEDED.value
    phases = {a.action_id: (a.phase, a.error_message) for a in j.list_actions("fan-abort") if a.short_name == "long_sleeper"}
    assert phases.pop(target.action_id) == (ActionPhase.ABORTED.value, "aborted externally")
    assert {p for p, _ in phases.values()} == {ActionPhase.SUCCEEDED.value} and len(phases) == 5
    # Once finished there is nothing left to abort.
    assert "already finished" in one_error_line(flyte_cli("abort", "fan-abort", target.action_id))


def test_abort_the_whole_run():
    proc = start_run("run-abort", "--n", "4", "--sleep_for", "30")
    try:
        wait_running(proc, "run-abort", 4)
        ambiguous = flyte_cli("abort", "run-abort", "long_sleeper")  # four actions share the short name
        assert "has no action 'long_sleeper'" in one_error_line(ambiguous)
        aborted = flyte_cli("abort", "run-abort", "--reason", "enough")
        assert aborted.returncode == 0, explain(aborted)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 1, f"{out}\n{err}"
    last = err.strip().splitlines()[-1]
    assert last.startswith("Error: Run run-abort was aborted: ActionAbortedError (ActionAbortedError):"), err
    j = journal()
    assert j.get_run("run-abort").phase == ActionPhase.ABORTED.value
    assert {a.phase for a in j.list_actions("run-abort")} == {ActionPhase.ABORTED.value}
    assert len(j.list_actions("run-abort")) == 5
