"""The task context: which action is running, with which custom context and group.

The current :class:`Frame` lives in a context variable, so it follows asyncio tasks and is
copied into worker threads; ``flyte.ctx()``, ``flyte.group`` and ``flyte.custom_context`` read
and scope it.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flyte._runtime.blobstore import run_data_path
from flyte.models import ActionID, GroupData, RawDataPath, TaskContext

if TYPE_CHECKING:
    from flyte._runtime.controller import RunController


@dataclass(slots=True)
class Frame:
    """The runtime's view of one running action (or of a scope inside it)."""

    run: RunController
    action_id: str
    task_name: str
    custom_context: dict[str, str]
    group_path: tuple[str, ...] = ()
    in_trace: bool = False
    attempt: int = 0
    report: object = None
    #: Where this action sits in the run tree (see RunController._identity); children derive theirs from it.
    path: str = ""
    _task_context: TaskContext | None = field(default=None, repr=False)

    def scoped(self, **changes) -> Frame:
        return Frame(
            run=self.run,
            action_id=self.action_id,
            task_name=self.task_name,
            custom_context=changes.get("custom_context", self.custom_context),
            group_path=changes.get("group_path", self.group_path),
            in_trace=changes.get("in_trace", self.in_trace),
            attempt=self.attempt,
            report=self.report,
            path=self.path,
        )

    def task_context(self) -> TaskContext:
        if self._task_context is None:
            run = self.run
            self._task_context = TaskContext(
                action=ActionID(self.action_id, run.name, run.project, run.domain, run.org or ""),
                version=run.version,
                run_base_dir=str(run.run_dir),
                output_path=str(run.run_dir / self.action_id),
                raw_data_path=RawDataPath(run_data_path(run.run_dir)),
                custom_context=dict(self.custom_context),
                group_data=GroupData(self.group_path[-1], self.group_path) if self.group_path else None,
                disable_run_cache=run.disable_cache,
                run_start_time=run.start_time,
                attempt_number=self.attempt,
                task_name=self.task_name,
                report=self.report,
            )
        return self._task_context


current_frame: contextvars.ContextVar[Frame | None] = contextvars.ContextVar("flyte_frame", default=None)

_EMPTY_CONTEXT = TaskContext(action=ActionID(""), custom_context={})


def ctx() -> TaskContext:
    """The context of the running task; outside a task an empty, falsy context."""
    frame = current_frame.get()
    return _EMPTY_CONTEXT if frame is None else frame.task_context()


def get_custom_context() -> dict[str, str]:
    """The custom context visible here (a copy); ``{}`` outside a task."""
    frame = current_frame.get()
    return {} if frame is None else dict(frame.custom_context)


@contextlib.contextmanager
def custom_context(**context: str) -> Iterator[None]:
    """Add or override custom-context keys for the block and every task called inside it."""
    for key, value in context.items():
        if not isinstance(value, str):
            raise TypeError(
                f"custom context values must be strings; `{key}` is {type(value).__name__} {value!r:.60}. "
                f"Pass str({key}) and parse it where it is read."
            )
    frame = current_frame.get()
    if frame is None:
        yield
        return
    token = current_frame.set(frame.scoped(custom_context={**frame.custom_context, **context}))
    try:
        yield
    finally:
        current_frame.reset(token)


@contextlib.contextmanager
def group(name: str) -> Iterator[None]:
    """Group the actions started inside the block under ``name`` (groups nest as a path)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"flyte.group needs a non-empty name, got {name!r}")
    frame = current_frame.get()
    if frame is None:
        yield
        return
    token = current_frame.set(frame.scoped(group_path=(*frame.group_path, name)))
    try:
        yield
    finally:
        current_frame.reset(token)
