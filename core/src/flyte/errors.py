"""Errors raised by the Flyte runtime and by tasks.

Every error a task run can surface derives from :class:`BaseRuntimeError`. An exception raised
inside a child task reaches the awaiting parent as the fitting subclass (chosen from the real
cause, e.g. ``MemoryError`` -> :class:`OOMError`), with ``code`` set to the original exception's
class name and ``traceback_text`` holding the child's original traceback.
"""

from __future__ import annotations

from typing import Literal

ErrorKind = Literal["system", "unknown", "user"]

__all__ = [
    "ActionAbortedError",
    "ActionNotFoundError",
    "BaseRuntimeError",
    "CodeBundleError",
    "CustomError",
    "DeploymentError",
    "ErrorKind",
    "ImageBuildError",
    "ImagePullBackOffError",
    "InitializationError",
    "InlineIOMaxBytesBreached",
    "InvalidImageNameError",
    "ModuleLoadError",
    "NonRecoverableError",
    "NotInTaskContextError",
    "OOMError",
    "OnlyAsyncIOSupportedError",
    "ParameterMaterializationError",
    "PrimaryContainerNotFoundError",
    "RemoteTaskNotFoundError",
    "RemoteTaskUsageError",
    "RestrictedTypeError",
    "RetriesExhaustedError",
    "RuntimeDataValidationError",
    "RuntimeSystemError",
    "RuntimeUnknownError",
    "RuntimeUserError",
    "SlowDownError",
    "TaskInterruptedError",
    "TaskTimeoutError",
    "TraceDoesNotAllowNestedTasksError",
    "TypeTransformerFailedError",
]


class BaseRuntimeError(RuntimeError):
    """Base of all runtime errors: carries a ``code``, a ``kind`` and the ``worker`` it came from."""

    def __init__(self, code: str, kind: ErrorKind, root_cause_message: str, worker: str | None = None):
        super().__init__(root_cause_message)
        self.code = code
        self.kind = kind
        self.worker = worker
        self.message = root_cause_message
        #: The original traceback text when the error crossed a task boundary, else ``None``.
        self.traceback_text: str | None = None

    def __reduce__(self):
        # Errors travel between executors; rebuild them without going through each __init__.
        return (_rebuild_error, (type(self), self.code, self.kind, self.message, self.worker, self.traceback_text))

    # A task output that holds an error (``return_exceptions=True``) re-raises when used as a number.
    def _reraise(self, *_args):
        raise self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _reraise
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = _reraise


def _rebuild_error(cls, code, kind, message, worker, traceback_text):
    err = cls.__new__(cls)
    RuntimeError.__init__(err, message)
    err.code, err.kind, err.message, err.worker, err.traceback_text = code, kind, message, worker, traceback_text
    return err


class InitializationError(BaseRuntimeError):
    """Flyte was used before it was initialised, or initialised with a bad configuration."""

    def __init__(self, code: str, kind: ErrorKind, message: str):
        super().__init__(code, kind, message)


class RuntimeSystemError(BaseRuntimeError):
    """A failure of the runtime itself, not of user code."""

    def __init__(self, code: str, message: str, worker: str | None = None):
        super().__init__(code, "system", message, worker)


class RuntimeUnknownError(BaseRuntimeError):
    """A failure whose origin could not be determined."""

    def __init__(self, code: str, message: str, worker: str | None = None):
        super().__init__(code, "unknown", message, worker)


class RuntimeUserError(BaseRuntimeError):
    """A failure raised by user code; ``code`` is the original exception class name."""

    def __init__(self, code: str, message: str, worker: str | None = None):
        super().__init__(code, "user", message, worker)


class _FixedCodeUserError(RuntimeUserError):
    """A user error whose code is its own class name (subclasses take just a message)."""

    def __init__(self, message: str, worker: str | None = None):
        super().__init__(type(self).__name__, message, worker)


class OOMError(RuntimeUserError):
    """The task ran out of memory (locally: it raised ``MemoryError``)."""


class TaskInterruptedError(RuntimeUserError):
    """The task's machine was interrupted (spot/preemptible capacity)."""


class PrimaryContainerNotFoundError(RuntimeUserError):
    """The task's primary container could not be found."""


class RetriesExhaustedError(RuntimeUserError):
    """All retries of a task were used up."""


class InvalidImageNameError(RuntimeUserError):
    """An image name could not be parsed."""


class ImagePullBackOffError(RuntimeUserError):
    """An image could not be pulled."""


class NotInTaskContextError(RuntimeUserError):
    """An API that needs a running task was called outside one."""


class TaskTimeoutError(_FixedCodeUserError):
    """The task ran longer than its timeout allows."""


class CustomError(RuntimeUserError):
    """Wraps an arbitrary user exception, keeping its class name as ``code``."""

    @classmethod
    def from_exception(cls, e: BaseException) -> CustomError:
        err = cls(type(e).__name__, str(e))
        err.__cause__ = e
        return err


class RemoteTaskNotFoundError(_FixedCodeUserError):
    """A remote task reference could not be resolved."""

    CODE = "RemoteTaskNotFoundError"


class RemoteTaskUsageError(_FixedCodeUserError):
    """A remote task reference was used in an unsupported way."""

    CODE = "RemoteTaskUsageError"


class RuntimeDataValidationError(RuntimeUserError):
    """A task input or output does not match its declared type."""

    def __init__(self, var: str, e: BaseException | str, task_name: str = ""):
        where = f" of task `{task_name}`" if task_name else ""
        super().__init__("DataValidationError", f"Failed to convert `{var}`{where}: {e}")
        self.var = var


class DeploymentError(_FixedCodeUserError):
    """Deployment failed."""


class ImageBuildError(_FixedCodeUserError):
    """An image build failed."""


class ModuleLoadError(_FixedCodeUserError):
    """A module holding tasks could not be loaded."""


class InlineIOMaxBytesBreached(_FixedCodeUserError):
    """Inline inputs or outputs exceed the task's ``max_inline_io_bytes``."""


class ActionAbortedError(_FixedCodeUserError):
    """The action was aborted (externally, or because its run ended)."""


class SlowDownError(_FixedCodeUserError):
    """The backend asked the client to slow down."""


class OnlyAsyncIOSupportedError(_FixedCodeUserError):
    """Only asyncio is supported here."""


class ParameterMaterializationError(_FixedCodeUserError):
    """A task parameter could not be materialised."""


class CodeBundleError(_FixedCodeUserError):
    """A code bundle could not be built or loaded."""


class TraceDoesNotAllowNestedTasksError(_FixedCodeUserError):
    """A task was called from inside a ``@flyte.trace`` function."""


class RestrictedTypeError(RuntimeUserError):
    """A value of a type registered as restricted was passed to or from a task."""

    def __init__(self, message: str):
        super().__init__("RestrictedTypeUsage", message)


class NonRecoverableError(RuntimeUserError):
    """Raise this from a task to fail it without consuming retries."""

    def __init__(self, message: str, code: str = "NonRecoverableError"):
        super().__init__(code, message)


class ActionNotFoundError(RuntimeError):
    """No action with that name exists in the run."""


class TypeTransformerFailedError(TypeError, AssertionError, ValueError):
    """A value could not be converted to or from its literal form."""
