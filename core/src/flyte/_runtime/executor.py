"""Executors run one action: input literals in, output literals (or a ``Failure``) out.

The in-process executor runs the task body on the caller's event loop (async tasks) or on a
worker thread (sync tasks). Everything it needs arrives as the task, its input literals and a
``Frame``; nothing else is shared with the caller, so other executors (a process per action,
Ray) can take its place behind the same call.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from flyte._runtime import convert
from flyte._runtime.context import Frame, current_frame
from flyte._runtime.failures import Failure
from flyte.report._report import flush_at_task_end, new_report

if TYPE_CHECKING:
    from flyte._model.task import TaskTemplate


class InProcessExecutor:
    """Runs task bodies in this process."""

    async def execute(self, task: TaskTemplate, frame: Frame, literals: dict[str, Any]) -> dict[str, Any]:
        # --- reports: every attempt starts with an empty report (flyte.report, flyte.ctx().report)
        frame.report = new_report(frame)
        frame._task_context = None
        # ---
        token = current_frame.set(frame)
        try:
            try:
                kwargs = await convert.literals_to_python(task, literals)
                replaced = await task.pre(**kwargs)
                if replaced is not None:
                    kwargs = replaced
                value = await task.execute(**kwargs)
                value = await task.post(value)
                return await convert.outputs_to_literals(task, value)
            except asyncio.CancelledError:
                raise
            except Failure:
                raise  # already data (e.g. relayed from a worker process): keep it exactly
            except BaseException as e:
                if isinstance(e, (KeyboardInterrupt, SystemExit)):
                    raise
                raise Failure.from_exception(e) from e
        finally:
            flush_at_task_end(frame)  # reports: the implicit flush, whenever the report has content
            current_frame.reset(token)
