"""Helpers of the CLI tests: the installed `flyte` command in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FLYTE = Path(sys.executable).parent / "flyte"


def flyte_cli(*args: str, cwd: Path | None = None, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    """The installed ``flyte`` command, in a fresh process, with this test's FLYTE_HOME."""
    return subprocess.run(
        [str(FLYTE), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def explain(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The single line a failing command printed on stderr (asserted to be exactly one)."""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode != 0, explain(proc)
    assert len(lines) == 1 and lines[0].startswith("Error: "), explain(proc)
    return lines[0]
