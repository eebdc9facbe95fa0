"""Human-in-the-loop events for Flyte tasks: pause a task until a person answers.

- :func:`new_event`: ask for an ``int``, ``float``, ``str`` or ``bool``; the returned
  :class:`Event`'s ``wait()`` / ``await wait.aio()`` returns the answer, or raises
  ``TimeoutError``.
- :data:`env`: list it in ``depends_on`` of the environments whose tasks create events.
- :func:`serve` / :func:`shutdown`: start or stop the event app of ``$FLYTE_HOME`` yourself
  (it is started on first need, and stops by itself once idle).
- :func:`create_app`: the event app as an ASGI app, to serve it your own way.

Importing this package imports neither FastAPI nor uvicorn; only the app's process does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flyteplugins.hitl._event import Event, EventScope, env, new_event
from flyteplugins.hitl._server import AppInfo
from flyteplugins.hitl._server import ensure_app as _ensure_app
from flyteplugins.hitl._server import running_app as _running_app
from flyteplugins.hitl._server import stop_app as _stop_app
from flyteplugins.hitl._store import EventStore

if TYPE_CHECKING:
    import os

__all__ = ["AppInfo", "Event", "EventScope", "EventStore", "app_info", "create_app", "env", "new_event", "serve",
           "shutdown"]


def serve(host: str | None = None, port: int | None = None, *, home: str | os.PathLike[str] | None = None) -> AppInfo:
    """The event app of ``home`` (default ``$FLYTE_HOME``), started detached if none is serving.

    ``host``/``port`` apply when an app is started: default ``FLYTE_HITL_HOST`` /
    ``FLYTE_HITL_PORT``, else ``127.0.0.1`` and any free port. If an app is already serving on
    another address, that one is returned; :func:`shutdown` it first to move it.
    """
    return _ensure_app(EventStore.for_home(home), host, port)


def app_info(*, home: str | os.PathLike[str] | None = None) -> AppInfo | None:
    """The event app serving ``home`` (default ``$FLYTE_HOME``), or ``None``; never starts one."""
    return _running_app(EventStore.for_home(home))


def shutdown(*, home: str | os.PathLike[str] | None = None) -> bool:
    """Stop the event app of ``home`` (default ``$FLYTE_HOME``); whether one was running.

    Stored events and answers stay; the next event (or a waiting task) starts the app again.
    """
    return _stop_app(EventStore.for_home(home))


def create_app(home: str | os.PathLike[str] | None = None, **options: Any) -> Any:
    """The event app over the store of ``home`` as an ASGI app (needs ``fastapi``).

    ``options``: ``host``/``port`` it is reached on (other Host headers are refused).
    """
    from flyteplugins.hitl._app import create_app as _create_app

    return _create_app(EventStore.for_home(home), **options)
