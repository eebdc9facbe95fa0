"""Helpers shared by the docs tests: reading runs back, subprocesses, printed dicts."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

TESTS_DIR = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
FLYTE_CLI = Path(sys.executable).parent / "flyte"


def actions_named(run: Any, short_name: str) -> list[Any]:
    """The run's actions with this short name, in the order they were created."""
    return [a for a in run.actions() if a.short_name == short_name]


def summary(run: Any) -> list[tuple[str, str, list[str]]]:
    """(short name, phase, group path) of every action, in creation order."""
    return [(a.short_name, a.phase.value, a.group) for a in run.actions()]


def max_overlap(actions: Iterable[Any]) -> int:
    """The largest number of the actions that were running at the same moment (journal times)."""
    events: list[tuple[float, int]] = []
    for a in actions:
        rec = a.record
        assert rec.started_at is not None and rec.ended_at is not None, a
        events += [(rec.started_at, 1), (rec.ended_at, -1)]
    # an end and a start at the same instant do not overlap
    events.sort(key=lambda e: (e[0], e[1]))
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    return peak


def printed_dicts(text: str, prefix: str) -> list[dict]:
    """The dicts printed on lines ``<prefix> {...}`` (Python repr or JSON quoting alike)."""
    found = []
    for line in text.splitlines():
        if line.startswith(prefix):
            found.append(ast.literal_eval(line[len(prefix) :].strip()))
    return found


def run_python(code: str, *, timeout: float = 60, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter that can import ``docs.examples``; FLYTE_HOME is inherited."""
    prelude = f"import sys\nsys.path.insert(0, {str(TESTS_DIR)!r})\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or TESTS_DIR,
        env=dict(os.environ),
    )


def run_file(path: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run an example program as ``python path`` (its ``__main__`` block); FLYTE_HOME is inherited."""
    return subprocess.run(
        [sys.executable, str(path), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=path.parent,
        env=dict(os.environ),
    )


def run_cli(*args: str, timeout: float = 60, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``flyte`` command of the venv; FLYTE_HOME is inherited."""
    return subprocess.run(
        [str(FLYTE_CLI), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or EXAMPLES_DIR,
        env=dict(os.environ),
    )


def explain(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
