"""Reports: HTML a task shows while it runs (``@env.task(report=True)``).

Write to the default tab with :func:`log` / :func:`replace`, to other tabs through
:func:`get_tab`, and publish with :func:`flush` (or ``do_flush=True``). Every function has a
blocking form and an ``.aio`` form; both work inside async tasks. The report is flushed once
more when the task ends, whenever it has content. Locally each flush writes one self-contained
HTML page; ``flyte runs show RUN`` and the run page list where.

Example::

    @env.task(report=True)
    async def task1():
        await flyte.report.replace.aio("<p>The quick, brown fox jumps over a lazy dog.</p>")
        flyte.report.get_tab("Tab 2").log("<p>The quick, brown dog jumps over a lazy fox.</p>")
        await flyte.report.flush.aio()
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from flyte.report._report import Report, Tab
from flyte.report._report import current_report as _current_report

__all__ = ["Report", "Tab", "current_report", "flush", "get_tab", "log", "replace"]

T = TypeVar("T")


class _BlockingOrAio(Generic[T]):
    """A function with a blocking form ``f(...)`` and an async form ``await f.aio(...)``."""

    def __init__(self, fn: Callable[..., T]):
        self._fn = fn
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__.lstrip("_")

    def __call__(self, *args: Any, **kwargs: Any) -> T:
        return self._fn(*args, **kwargs)

    async def aio(self, *args: Any, **kwargs: Any) -> T:
        return self._fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"flyte.report.{self.__name__}"


def _flush() -> None:
    """Publish the current action's report now (a no-op outside a task)."""
    from flyte._runtime.context import current_frame
    from flyte.report._report import flush_frame

    flush_frame(current_frame.get())


async def _flush_aio() -> None:
    from flyte._runtime.context import current_frame
    from flyte.report._report import flush_frame

    # The page is written off the event loop; the frame is passed along explicitly.
    await asyncio.to_thread(flush_frame, current_frame.get())


class _Flush(_BlockingOrAio[None]):
    async def aio(self) -> None:
        await _flush_aio()


def _log(content: str, do_flush: bool = False) -> None:
    """Append HTML to the default tab of the current action's report; ``do_flush=True`` publishes it."""
    _current_report().get_tab("main").log(content)
    if do_flush:
        _flush()


def _replace(content: str, do_flush: bool = False) -> None:
    """Replace the default tab's HTML; ``do_flush=True`` publishes it."""
    _current_report().get_tab("main").replace(content)
    if do_flush:
        _flush()


class _Write(_BlockingOrAio[None]):
    async def aio(self, content: str, do_flush: bool = False) -> None:
        self._fn(content)
        if do_flush:
            await _flush_aio()


def _get_tab(name: str, /, create_if_missing: bool = True) -> Tab:
    """The tab ``name`` of the current action's report, created if missing (unless told not to)."""
    return _current_report().get_tab(name, create_if_missing=create_if_missing)


current_report = _BlockingOrAio(_current_report)
get_tab = _BlockingOrAio(_get_tab)
flush = _Flush(_flush)
log = _Write(_log)
replace = _Write(_replace)
