"""A local web UI for runs: ``flyte ui``, or ``flyte.ui.start()`` from Python.

It serves the runs of one ``FLYTE_HOME`` on loopback: the runs page, each run's action tree with
its groups, the actions' inputs, outputs, errors, logs, links and reports, live while a run
progresses, with abort and rerun. It needs the ``ui`` extra (``pip install 'flyte[ui]'``: FastAPI
and uvicorn), imported only when a UI starts, never by ``import flyte``.

While a UI serves a home, ``Run.url`` (and ``flyte run``) point at the run's page there; the
serving UI is recorded in ``<FLYTE_HOME>/ui/server.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from flyte.ui._state import ServerState, serving

if TYPE_CHECKING:
    from flyte.ui._server import UIError, UIServer

__all__ = ["ServerState", "UIError", "UIServer", "serve", "serving", "start"]


def start(host: str = "127.0.0.1", port: int = 0, home: Path | None = None) -> UIServer:
    """Serve the UI on a background thread of this process; returns the server (``.url``, ``.stop()``).

    ``port=0`` picks a free port. Raises ``flyte.ui.UIError`` when the ``ui`` extra is missing,
    the port is taken, or another UI already serves the home.
    """
    from flyte.ui._server import start as _start

    return _start(host, port, home)


def serve(host: str = "127.0.0.1", port: int = 8765, home: Path | None = None, open_browser: bool = False) -> None:
    """Serve the UI in the foreground until Ctrl+C (what ``flyte ui`` runs)."""
    from flyte.ui._server import serve as _serve

    _serve(host, port, home, open_browser)


def __getattr__(name: str) -> object:
    if name in ("UIServer", "UIError"):
        from flyte.ui import _server

        return getattr(_server, name)
    raise AttributeError(f"module 'flyte.ui' has no attribute {name!r}")
