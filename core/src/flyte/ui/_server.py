"""Serving the UI with uvicorn: in the foreground (``flyte ui``) or on a background thread (``flyte.ui.start``)."""

from __future__ import annotations

import errno
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from flyte.ui._state import ServerState, clear_state, serving, write_state

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


class UIError(RuntimeError):
    """The UI cannot be served (port taken, another UI serving the same home, missing extra)."""


def _require_extra() -> None:
    missing = [name for name in ("fastapi", "uvicorn") if not _importable(name)]
    if missing:
        raise UIError(f"The Flyte UI needs {' and '.join(missing)}: pip install 'flyte[ui]'")


def _importable(name: str) -> bool:
    import importlib

    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise UIError(f"Port {port} on {host} is in use; pass another --port (0 picks a free one)") from e
        raise UIError(f"Cannot listen on {host}:{port}: {e.strerror or e}") from e
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class UIServer:
    """A UI serving one ``FLYTE_HOME`` on a background thread of this process; ``stop()`` ends it."""

    def __init__(self, home: Path, host: str = DEFAULT_HOST, port: int = 0):
        _require_extra()
        import uvicorn

        from flyte.ui._app import Settings, create_app

        self.home = home.resolve()
        _refuse_second_ui(self.home)
        self._sock = _bind(host, port)
        self.host = host
        self.port = self._sock.getsockname()[1]
        self.settings = Settings(self.home)
        self.settings.bind(host, self.port)
        self.app = create_app(self.settings)
        config = uvicorn.Config(
            self.app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._state: ServerState | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return ServerState(0, self.host, self.port, 0).url

    def run_url(self, run_name: str) -> str:
        return ServerState(0, self.host, self.port, 0).run_url(run_name)

    def start(self) -> UIServer:
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="flyte-ui", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self._sock.close()
                raise UIError(f"The Flyte UI did not start on {self.url}")
            time.sleep(0.01)
        self._state = write_state(self.home, self.host, self.port)
        return self

    def stop(self) -> None:
        """Stop serving, and forget the state file (so ``Run.url`` goes back to the static page)."""
        if self._state is not None:
            clear_state(self.home, self._state)
            self._state = None
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(15)
        self._sock.close()
        self.app.state.ui.reruns.reap()

    def __enter__(self) -> UIServer:
        return self if self._thread is not None else self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _refuse_second_ui(home: Path) -> None:
    other = serving(home)
    if other is not None:
        raise UIError(f"A Flyte UI already serves {home} at {other.url} (pid {other.pid}); open it, or stop it first")


def start(host: str = DEFAULT_HOST, port: int = 0, home: Path | None = None) -> UIServer:
    """Serve the UI on a background thread of this process (a notebook, a script); returns the server.

    ``port=0`` picks a free port; the server's ``url`` says which. While it serves, ``Run.url``
    points at its pages. Call ``stop()`` (or use it as a context manager) to end it.
    """
    from flyte._runtime.journal import flyte_home

    return UIServer(home or flyte_home(), host, port).start()


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop()


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, home: Path | None = None,
          open_browser: bool = False, announce: Any = None) -> None:
    """Serve the UI in the foreground until Ctrl+C or SIGTERM (what ``flyte ui`` runs)."""
    from flyte._runtime.journal import flyte_home

    server = UIServer(home or flyte_home(), host, port)
    state = write_state(server.home, host, server.port)
    (announce or print)(
        f"Flyte UI for {server.home} at {server.url} (Ctrl+C stops it)"
    )
    if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
        print(
            f"Warning: {host} is not a loopback address: anyone who can reach it can see runs, abort and rerun them.",
            file=sys.stderr,
        )
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    # uvicorn handles SIGINT/SIGTERM, shuts down, then raises the signal again with the handlers it
    # found: ours turn that into an exception, so the state file is removed before the process ends.
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    try:
        server._server.run(sockets=[server._sock])
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        clear_state(server.home, state)
        server._sock.close()
