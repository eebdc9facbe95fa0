"""How a failure inside an action is recorded and handed to the awaiting parent.

An executor turns whatever a task raised into a :class:`Failure`: plain data (code, kind, the
error class to raise in the parent, message, traceback text) that can cross process boundaries.
The parent gets ``Failure.to_exception()``: the fitting ``flyte.errors`` class chosen by the real
cause, never by a substring of a class name.
"""

from __future__ import annotations

import importlib
import traceback
from dataclasses import dataclass

from flyte import errors


@dataclass(eq=False)
class Failure(Exception):
    """A task failure as data."""

    code: str
    kind: str
    error_class: str
    message: str
    traceback_text: str
    recoverable: bool = True
    timed_out: bool = False

    @classmethod
    def from_exception(cls, e: BaseException) -> Failure:
        tb = getattr(e, "traceback_text", None) or "".join(traceback.format_exception(type(e), e, e.__traceback__))
        if isinstance(e, errors.BaseRuntimeError):
            return cls(
                code=e.code,
                kind=e.kind,
                error_class=_qualname(type(e)),
                message=e.message,
                traceback_text=tb,
                recoverable=not isinstance(e, (errors.NonRecoverableError, errors.RuntimeDataValidationError)),
                timed_out=isinstance(e, errors.TaskTimeoutError),
            )
        error_class = errors.OOMError if isinstance(e, MemoryError) else errors.RuntimeUserError
        return cls(
            code=type(e).__name__,
            kind="user",
            error_class=_qualname(error_class),
            message=str(e) or type(e).__name__,
            traceback_text=tb,
        )

    @classmethod
    def timeout(cls, task_name: str, seconds: float) -> Failure:
        message = f"Task `{task_name}` exceeded its timeout of {seconds:g}s"
        return cls("TaskTimeoutError", "user", _qualname(errors.TaskTimeoutError), message, message, True, True)

    def to_exception(self) -> errors.BaseRuntimeError:
        cls = _resolve(self.error_class)
        return errors._rebuild_error(cls, self.code, self.kind, self.message, "local", self.traceback_text)


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _resolve(path: str) -> type[errors.BaseRuntimeError]:
    module, _, name = path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return errors.RuntimeUserError
    if isinstance(cls, type) and issubclass(cls, errors.BaseRuntimeError):
        return cls
    return errors.RuntimeUserError
