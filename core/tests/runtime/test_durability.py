from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

import flyte
from flyte._runtime.journal import journal
from flyte.models import ActionPhase
from flyte.remote import Run

PROGRAM = textwrap.dedent(
    """
    import asyncio
    import flyte

    env = flyte.TaskEnvironment("durable")

    @env.task
    async def quick(i: int) -> int:
        print(f"quick {i} done")
        return i * 10

    @env.task
    async def stuck(i: int) -> int:
        await asyncio.sleep(600)
        return i

    @env.task
    async def main() -> int:
        done = await asyncio.gather(*(quick(i) for i in range(5)))
        return sum(done) + sum(await asyncio.gather(stuck(1), stuck(2)))

    flyte.with_runcontext(name="killed").run(main)
    """
)


@pytest.mark.subprocess
def test_sigkill_mid_run_keeps_a_readable_journal(tmp_path, flyte_home):
    script = tmp_path / "prog.py"
    script.write_text(PROGRAM)
    proc = subprocess.Popen([sys.executable, str(script)], env={**os.environ, "FLYTE_HOME": str(flyte_home)})
    try:
        db = flyte_home / "runs.db"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(0.05)
            if not db.exists():
                continue
            try:
                with sqlite3.connect(db) as conn:
                    phases = dict(
                        conn.execute(
                            "SELECT phase, count(*) FROM actions WHERE run_name = 'killed' GROUP BY phase"
                        ).fetchall()
                    )
            except sqlite3.OperationalError:
                continue
            if phases.get("succeeded") == 5 and phases.get("running") == 3:
                break
        else:
            pytest.fail(f"the run never reached the expected state: {phases}")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    check = sqlite3.connect(flyte_home / "runs.db")
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.close()

    run = Run.get("killed")
    assert run.phase == ActionPhase.FAILED  # the owning process is gone
    actions = run.actions()
    quick = [a for a in actions if a.task_name == "durable.quick"]
    assert len(quick) == 5 and all(a.phase == ActionPhase.SUCCEEDED for a in quick)
    assert sorted(a.logs() for a in quick) == [f"quick {i} done\n" for i in range(5)]
    from flyte._runtime.run import _decode_journal_values

    assert sorted(_decode_journal_values(a.record, "outputs", journal())[0] for a in quick) == [0, 10, 20, 30, 40]
    unfinished = [a for a in actions if a.task_name != "durable.quick"]
    assert len(unfinished) == 3
    assert all(a.phase != ActionPhase.SUCCEEDED for a in unfinished)
    assert all(a.record.error_code == "ProcessExited" for a in unfinished)
    # A later run in the same home works as usual.
    env = flyte.TaskEnvironment("after")

    @env.task
    async def ok() -> int:
        return 1

    assert flyte.run(ok).outputs() == 1
