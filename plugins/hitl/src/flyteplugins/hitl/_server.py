"""The event app's process: started detached on first need, found again through ``server.json``.

One app serves every event of a ``FLYTE_HOME``. A task that creates an event calls
:func:`ensure_app`; if no app answers for that home, it starts one as a separate process in its
own session (through a short-lived launcher, so the app is nobody's child and outlives the
task's process, even a SIGKILL), and waits until it answers ``/health``. The app writes
``hitl/server.json`` (pid, host, port) once its socket listens and removes it when it exits.

Run as ``python -m flyteplugins.hitl --store DIR [--host H] [--port P]`` it serves in
the foreground; ``--detach`` starts that in the background and returns at once.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flyteplugins.hitl._store import EventStore, write_file_atomically

logger = logging.getLogger("flyteplugins.hitl")

#: Where the app listens unless told otherwise (``FLYTE_HITL_HOST`` / ``FLYTE_HITL_PORT``).
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 0  # any free port; the chosen one is written to server.json
#: An app with no pending event and no request for this long exits (``FLYTE_HITL_IDLE_SECONDS``).
DEFAULT_IDLE_SECONDS = 900.0
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class AppInfo:
    """A running event app: where it listens and which process it is."""

    endpoint: str
    host: str
    port: int
    pid: int
    store: str

    @classmethod
    def read(cls, store: EventStore) -> AppInfo | None:
        try:
            data = json.loads((store.root / "server.json").read_text())
            return cls(data["endpoint"], data["host"], int(data["port"]), int(data["pid"]), data["store"])
        except (OSError, ValueError, KeyError, TypeError):
            return None


# ---------------------------------------------------------------------------------------- client side

_known: dict[Path, AppInfo] = {}
_known_lock = threading.Lock()


def configured_address(host: str | None = None, port: int | None = None) -> tuple[str, int]:
    """The address to start an app on: the arguments, else the environment, else loopback and any port."""
    host = host or os.environ.get("FLYTE_HITL_HOST") or DEFAULT_HOST
    if port is None:
        raw = os.environ.get("FLYTE_HITL_PORT")
        try:
            port = int(raw) if raw not in (None, "") else DEFAULT_PORT
        except ValueError:
            raise ValueError(f"FLYTE_HITL_PORT={raw!r} is not a port number; use 1-65535, or 0 for any free port") from None
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"HITL app port {port!r} is out of range; use 1-65535, or 0 for any free port")
    return host, port


def ensure_app(store: EventStore, host: str | None = None, port: int | None = None) -> AppInfo:
    """The app serving ``store``, started (detached) if none answers."""
    with _known_lock:
        known = _known.get(store.root)
    if known is not None and pid_alive(known.pid):
        return known
    want_host, want_port = configured_address(host, port)
    store.ensure()
    with _start_lock(store):
        info = _answering(store)
        if info is None:
            last = _last_address(store)
            if want_port == 0 and last is not None and last[0] == want_host:
                # Back where it was (after an idle exit or a stop), so links already handed out work.
                try:
                    info = _start(store, want_host, last[1])
                except RuntimeError as e:
                    logger.info("The HITL app could not return to port %d (%s); taking any free port", last[1], e)
            if info is None:
                info = _start(store, want_host, want_port)
    with _known_lock:
        _known[store.root] = info
    return info


def _last_address(store: EventStore) -> tuple[str, int] | None:
    try:
        data = json.loads((store.root / "last_address.json").read_text())
        return str(data["host"]), int(data["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running_app(store: EventStore) -> AppInfo | None:
    """The app serving ``store`` if one answers, without starting one."""
    return _answering(store)


def stop_app(store: EventStore, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
    """Stop the app serving ``store`` (SIGTERM, then SIGKILL after ``timeout``); whether one was running."""
    with _known_lock:
        _known.pop(store.root, None)
    info = _answering(store)
    if info is None:
        return False
    os.kill(info.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(info.pid):
        if time.monotonic() > deadline:
            logger.warning("The HITL app (pid %d) did not stop within %.0fs of SIGTERM; killing it", info.pid, timeout)
            os.kill(info.pid, signal.SIGKILL)
            deadline = time.monotonic() + timeout
        time.sleep(0.02)
    with contextlib.suppress(FileNotFoundError):
        info_now = AppInfo.read(store)
        if info_now is not None and info_now.pid == info.pid:
            (store.root / "server.json").unlink()
    return True


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped) serves nothing.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def health(endpoint: str, timeout: float = 2.0) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"{endpoint}/health", timeout=timeout) as resp:
            return json.loads(resp.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None


def _answering(store: EventStore) -> AppInfo | None:
    info = AppInfo.read(store)
    if info is None or not pid_alive(info.pid):
        return None
    status = health(info.endpoint)
    if status is None or status.get("store") != str(store.root) or status.get("pid") != info.pid:
        return None
    return info


@contextlib.contextmanager
def _start_lock(store: EventStore) -> Iterator[None]:
    """Only one process at a time checks for and starts the app of a store."""
    try:
        import fcntl
    except ImportError:  # not POSIX: two concurrent starts may race; the loser's app exits idle
        yield
        return
    with open(store.root / "server.lock", "a+") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _start(store: EventStore, host: str, port: int) -> AppInfo:
    log = store.root / "server.log"
    with contextlib.suppress(FileNotFoundError):
        (store.root / "server.json").unlink()
    cmd = [sys.executable, "-m", "flyteplugins.hitl", "--store", str(store.root), "--host", host,
           "--port", str(port), "--detach"]
    launcher = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=START_TIMEOUT_SECONDS)
    if launcher.returncode != 0:
        raise RuntimeError(f"Could not launch the HITL app ({' '.join(cmd)}): {launcher.stderr.strip() or launcher.stdout}")
    pid = int(launcher.stdout.split()[-1])
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        info = AppInfo.read(store)
        if info is not None and info.pid == pid and health(info.endpoint, timeout=1.0) is not None:
            logger.info("HITL app serving %s at %s (pid %d)", store.root, info.endpoint, pid)
            return info
        if not pid_alive(pid):
            break
        time.sleep(0.02)
    tail = _log_tail(log)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    raise RuntimeError(
        f"The HITL app for {store.root} did not start on {host}:{port}: {tail or 'no output'}. "
        f"If the port is taken, set FLYTE_HITL_PORT to a free port (or 0 for any); full log: {log}"
    )


def _log_tail(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return " | ".join(line for line in lines[-8:] if line.strip())


def endpoint_for(host: str, port: int) -> str:
    """The URL clients use for an app bound to ``host:port`` (a wildcard bind is reached on loopback)."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    try:
        if ipaddress.ip_address(shown).version == 6:
            shown = f"[{shown}]"
    except ValueError:
        pass
    return f"http://{shown}:{port}"


# ---------------------------------------------------------------------------------------- server side


def _detach(args: argparse.Namespace) -> int:
    """Start the app in a new session with its output in ``server.log``; print its pid and return."""
    store = EventStore(Path(args.store)).ensure()
    cmd = [sys.executable, "-m", "flyteplugins.hitl", "--store", str(store.root), "--host", args.host,
           "--port", str(args.port)]
    if args.idle_seconds is not None:
        cmd += ["--idle-seconds", str(args.idle_seconds)]
    with open(store.root / "server.log", "ab") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True, cwd=str(store.root))
    print(proc.pid)
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from flyteplugins.hitl._app import create_app

    store = EventStore(Path(args.store)).ensure()
    idle = args.idle_seconds
    if idle is None:
        idle = float(os.environ.get("FLYTE_HITL_IDLE_SECONDS") or DEFAULT_IDLE_SECONDS)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as e:
        print(f"cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr, flush=True)
        return 2
    sock.listen(2048)
    port = sock.getsockname()[1]
    endpoint = endpoint_for(args.host, port)
    _AppServer = _app_server_class()
    server_box: list[uvicorn.Server] = []
    app = create_app(store, host=args.host, port=port, idle_seconds=idle, on_idle=lambda: _exit(server_box))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5)
    server = _AppServer(config)
    server_box.append(server)
    info = {"endpoint": endpoint, "host": args.host, "port": port, "pid": os.getpid(), "store": str(store.root),
            "started_at": time.time()}
    write_file_atomically(store.root / "server.json", json.dumps(info).encode())
    # Kept after exit: the next app of this store listens here again if it can.
    write_file_atomically(store.root / "last_address.json", json.dumps({"host": args.host, "port": port}).encode())
    print(f"HITL app serving {store.root} at {endpoint} (pid {os.getpid()})", flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        current = AppInfo.read(store)
        if current is not None and current.pid == os.getpid():
            with contextlib.suppress(FileNotFoundError):
                (store.root / "server.json").unlink()
        print(f"HITL app (pid {os.getpid()}) stopped", flush=True)
    return 0


def _app_server_class() -> Any:
    import uvicorn

    class AppServer(uvicorn.Server):
        """uvicorn's server, stopping gracefully on SIGTERM/SIGINT and then returning (not re-raising
        the signal, which would end the process before it cleans up after itself)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            def stop(signum: int, frame: Any) -> None:
                if self.should_exit:
                    self.force_exit = True
                self.should_exit = True

            previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    return AppServer


def _exit(server_box: list[Any]) -> None:
    if server_box:
        server_box[0].should_exit = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flyteplugins.hitl", description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, help="the event store directory ($FLYTE_HOME/hitl)")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--idle-seconds", type=float, default=None)
    parser.add_argument("--detach", action="store_true", help="start in the background and print the pid")
    args = parser.parse_args(argv)
    return _detach(args) if args.detach else _serve(args)
