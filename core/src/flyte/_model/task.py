"""Task templates: what ``@env.task`` makes, and the base class task-type plugins extend."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import inspect
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flyte._model.interface import NativeInterface
from flyte._runtime.context import current_frame

logger = logging.getLogger("flyte")

_OVERRIDABLE = frozenset(
    {
        "short_name",
        "resources",
        "cache",
        "retries",
        "timeout",
        "env_vars",
        "secrets",
        "links",
        "pod_template",
        "queue",
        "interruptible",
        "max_inline_io_bytes",
        "reusable",
        "plugin_config",
        "report",
    }
)
_FIXED = frozenset({"name", "image", "docs", "interface", "func"})

_sync_call_warned = threading.Event()


@dataclass(kw_only=True)
class TaskTemplate:
    """A task: a name, a typed interface and the configuration it runs with.

    Task-type plugins subclass this (see ``flyte.extend``) and implement :meth:`execute`;
    :meth:`pre` and :meth:`post` run before and after it in the executor.
    """

    name: str
    interface: NativeInterface
    short_name: str = ""
    task_type: str = "python"
    task_type_version: int = 0
    image: Any = "auto"
    resources: Any = None
    cache: Any = "disable"
    retries: Any = 0
    timeout: Any = None
    env_vars: dict[str, str] | None = None
    secrets: Any = None
    report: bool = False
    links: tuple[Any, ...] = ()
    pod_template: Any = None
    queue: str | None = None
    interruptible: bool = False
    docs: Any = None
    reusable: Any = None
    max_inline_io_bytes: int = 10 * 1024 * 1024
    triggers: tuple[Any, ...] = ()
    plugin_config: Any = None
    parent_env_name: str | None = None
    _identity_hash: str | None = field(default=None, init=False, repr=False, compare=False)
    _literal_interface: Any = field(default=None, init=False, repr=False, compare=False)
    _literal_fields: Any = field(default=None, init=False, repr=False, compare=False)
    _cache_version: str | None = field(default=None, init=False, repr=False, compare=False)
    _cache_scope: str | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        from flyte._model.cache import normalize_cache
        from flyte._model.retry import normalize_retries
        from flyte._model.secret import normalize_secrets
        from flyte._model.timeout import normalize_timeout

        if not self.short_name:
            self.short_name = self.name.rsplit(".", 1)[-1]
        self.cache = normalize_cache(self.cache)
        self.retries = normalize_retries(self.retries, self.name)
        self.timeout = normalize_timeout(self.timeout)
        self.secrets = normalize_secrets(self.secrets)
        unknown = set(self.cache.get_ignored_inputs()) - set(self.interface.inputs)
        if unknown:
            raise ValueError(
                f"Task `{self.name}`: Cache(ignored_inputs=...) names {sorted(unknown)}, which are not inputs; "
                f"its inputs are {sorted(self.interface.inputs) or 'none'}"
            )
        if not isinstance(self.links, tuple):
            self.links = tuple(self.links) if isinstance(self.links, (list, set)) else (self.links,)
        if not isinstance(self.triggers, tuple):
            self.triggers = (self.triggers,)
        if self.image == "auto" or isinstance(self.image, str):
            from flyte._model.image import Image

            self.image = Image.from_debian_base() if self.image == "auto" else Image.from_base(self.image)

    # ------------------------------------------------------------------ hooks for task types
    @property
    def is_async(self) -> bool:
        """Whether calling the task inside a run returns an awaitable."""
        return True

    async def pre(self, **kwargs: Any) -> dict[str, Any] | None:
        """Runs before :meth:`execute` with the task's inputs; may return replacement inputs."""
        return None

    async def execute(self, **kwargs: Any) -> Any:
        """Runs the task body with Python inputs and returns its Python output(s)."""
        raise NotImplementedError(f"{type(self).__name__} must implement execute()")

    async def post(self, return_value: Any) -> Any:
        """Runs after :meth:`execute` with its return value; returns the (possibly new) value."""
        return return_value

    def identity_source(self) -> bytes:
        """Bytes that change when the task's behaviour changes (part of its action identity)."""
        return repr((type(self).__qualname__, self.task_type, self.plugin_config)).encode()

    def cache_version(self) -> str:
        """The cache version: ``version_override``, else a hash of the task's code."""
        if self._cache_version is None:
            func = getattr(self, "func", None)
            if func is not None or self.cache.version_override is not None:
                self._cache_version = self.cache.get_version(func)
            else:  # a task type without a Python body: its configuration is its code
                self._cache_version = hashlib.sha256(self.identity_source() + self.cache.salt.encode()).hexdigest()
            # The typed interface is part of the version: changing a signature invalidates entries.
            self._cache_version += "-" + hashlib.sha256(self.literal_interface()[0]).hexdigest()[:16]
        return self._cache_version

    def cache_scope(self) -> str:
        """What all cache keys of this task version end with: a digest of its name and cache version."""
        if self._cache_scope is None:
            self._cache_scope = hashlib.sha256(f"{self.name}\x1f{self.cache_version()}".encode()).hexdigest()[:16]
        return self._cache_scope

    @property
    def identity_hash(self) -> str:
        if self._identity_hash is None:
            self._identity_hash = hashlib.sha256(self.identity_source()).hexdigest()[:16]
        return self._identity_hash

    def literal_interface(self) -> Any:
        """The interface as literal types (computed once)."""
        if self._literal_interface is None:
            from flyte._runtime.convert import literal_interface

            self._literal_interface = literal_interface(self)
        return self._literal_interface

    # ------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Run the task body right here: no action, no serialisation, no journal."""
        raise NotImplementedError(f"{type(self).__name__} cannot be forwarded")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        frame = current_frame.get()
        if frame is None:
            return self.forward(*args, **kwargs)
        if frame.in_trace:
            from flyte.errors import TraceDoesNotAllowNestedTasksError

            raise TraceDoesNotAllowNestedTasksError(
                f"Task `{self.name}` was called inside a @flyte.trace function; call tasks from tasks, "
                "and keep traced functions free of task calls."
            )
        submission = frame.run.submit(self, frame, args, kwargs)
        if self.is_async:
            return submission
        return _block_on(self, submission)

    async def aio(self, *args: Any, **kwargs: Any) -> Any:
        """Call the task from async code; works for sync and async tasks alike."""
        frame = current_frame.get()
        if frame is None:
            result = self.forward(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result
        return await frame.run.submit(self, frame, args, kwargs)

    def override(self, **changes: Any) -> TaskTemplate:
        """A copy of this task with some configuration replaced, for this call site."""
        fixed = sorted(set(changes) & _FIXED)
        if fixed:
            raise ValueError(
                f"`{', '.join(fixed)}` of task `{self.name}` cannot be overridden; define another task instead"
            )
        unknown = sorted(set(changes) - _OVERRIDABLE - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise TypeError(
                f"Task `{self.name}`: override() got unknown argument(s) {', '.join(unknown)}; "
                f"accepted: {', '.join(sorted(_OVERRIDABLE))}"
            )
        changes = {k: v for k, v in changes.items() if v is not None}
        if "links" in changes and not isinstance(changes["links"], (tuple, list)):
            changes["links"] = (changes["links"],)
        if "plugin_config" in changes:
            from flyte.extend import TaskPluginRegistry

            cls = TaskPluginRegistry.find(type(changes["plugin_config"]))
            if cls is not None and cls is not type(self):
                return cls(**{**_init_fields(self), **changes})
        return dataclasses.replace(self, **changes)


def _init_fields(task: TaskTemplate) -> dict[str, Any]:
    return {f.name: getattr(task, f.name) for f in dataclasses.fields(task) if f.init}


def _block_on(task: TaskTemplate, submission: Any) -> Any:
    """Wait for a sync task's result from sync code, also when called from an event loop."""
    from flyte._runtime.threads import run_sync

    try:
        asyncio.get_running_loop()
        in_loop = True
    except RuntimeError:
        in_loop = False
    if in_loop and not _sync_call_warned.is_set():
        _sync_call_warned.set()
        logger.warning(
            "Sync task `%s` was called without .aio from async code; the calling task is blocked until it "
            "returns. Use `await %s.aio(...)` to keep the event loop free.",
            task.name,
            task.short_name,
        )
    return run_sync(submission)


@dataclass(kw_only=True)
class AsyncFunctionTaskTemplate(TaskTemplate):
    """A task whose body is a Python function (sync or async): what ``@env.task`` creates."""

    func: Callable[..., Any]

    def __post_init__(self) -> None:
        super().__post_init__()
        self.__doc__ = getattr(self.func, "__doc__", None)
        self._is_async = inspect.iscoroutinefunction(self.func)

    @property
    def is_async(self) -> bool:
        return self._is_async

    def identity_source(self) -> bytes:
        from flyte._model.cache import function_fingerprint

        return super().identity_source() + function_fingerprint(self.func).encode()

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    async def execute(self, **kwargs: Any) -> Any:
        if self.is_async:
            return await self.func(**kwargs)
        from flyte._runtime.threads import in_thread

        return await asyncio.wrap_future(in_thread(_call, self.func, kwargs))


def _call(func: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    return func(**kwargs)

