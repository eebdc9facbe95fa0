"""How other processes learn that a UI serves a ``FLYTE_HOME``: the state file ``<home>/ui/server.json``.

A serving UI writes its pid, host and port there once its socket is bound and removes the file
when it stops. Readers trust the file only while the pid is alive and the port accepts a
connection, so a UI that was killed leaves nothing misleading behind. This module imports no web
framework: ``Run.url`` consults it after every run.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

STATE_FILE = Path("ui") / "server.json"


@dataclass(frozen=True)
class ServerState:
    """A UI serving one ``FLYTE_HOME``."""

    pid: int
    host: str
    port: int
    started_at: float

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        host = f"[{host}]" if ":" in host and not host.startswith("[") else host
        if host == "[::]":
            host = "[::1]"
        return f"http://{host}:{self.port}"

    def run_url(self, run_name: str) -> str:
        return f"{self.url}/runs/{quote(run_name, safe='')}"


def state_path(home: Path) -> Path:
    return home / STATE_FILE


def write_state(home: Path, host: str, port: int) -> ServerState:
    """Record that this process serves ``home``'s UI at ``host:port``."""
    from flyte._runtime.blobstore import atomic_write

    state = ServerState(pid=os.getpid(), host=host, port=port, started_at=time.time())
    atomic_write(state_path(home), json.dumps(asdict(state)).encode())
    return state


def clear_state(home: Path, state: ServerState) -> None:
    """Remove the state file if it is still the one ``state`` wrote (another UI may have taken over)."""
    path = state_path(home)
    try:
        if read_state_file(path) == state:
            path.unlink()
    except FileNotFoundError:
        pass


def read_state_file(path: Path) -> ServerState | None:
    try:
        data = json.loads(path.read_text())
        return ServerState(int(data["pid"]), str(data["host"]), int(data["port"]), float(data["started_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def serving(home: Path | None = None) -> ServerState | None:
    """The UI serving ``home`` (default: the current ``FLYTE_HOME``), if one is up."""
    from flyte._runtime.journal import _pid_alive, flyte_home

    state = read_state_file(state_path((home or flyte_home()).resolve()))
    if state is None or not _pid_alive(state.pid):
        return None
    host = "127.0.0.1" if state.host in ("0.0.0.0", "") else "::1" if state.host == "::" else state.host.strip("[]")
    try:
        with socket.create_connection((host, state.port), timeout=0.2):
            pass
    except OSError:
        return None
    return state


def run_url(run_name: str, home: Path | None = None) -> str | None:
    """The run's page on the UI serving ``home``, or ``None`` when no UI is up."""
    state = serving(home)
    return state.run_url(run_name) if state else None
