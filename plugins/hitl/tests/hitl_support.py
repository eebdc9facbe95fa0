"""Helpers shared by the tests of flyteplugins-hitl."""

from __future__ import annotations

from pathlib import Path


def app_processes(under: Path) -> list[int]:
    """Pids of event apps serving a store below ``under`` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if state == "Z" or b"flyteplugins.hitl" not in argv or b"--store" not in argv:
            continue
        store = argv[argv.index(b"--store") + 1].decode()
        if Path(store).is_relative_to(under):
            found.append(int(entry.name))
    return found
