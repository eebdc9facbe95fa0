"""The task-type extension point.

A task-type plugin subclasses :class:`TaskTemplate` (or :class:`AsyncFunctionTaskTemplate` to
keep a Python function body), implements ``execute`` (and optionally ``pre``/``post``), and
registers the class for its configuration type::

    @dataclass
    class Echo:
        prefix: str = ""

    @dataclass(kw_only=True)
    class EchoTask(AsyncFunctionTaskTemplate):
        task_type: str = "echo"

        async def execute(self, **kwargs):
            return self.plugin_config.prefix + await super().execute(**kwargs)

    TaskPluginRegistry.register(Echo, EchoTask)

Users then write ``flyte.TaskEnvironment("env", plugin_config=Echo("> "))``.
"""

from __future__ import annotations

import threading
from types import MappingProxyType

from flyte._model.interface import NativeInterface
from flyte._model.task import AsyncFunctionTaskTemplate, TaskTemplate

__all__ = [
    "AsyncFunctionTaskTemplate",
    "NativeInterface",
    "TaskPluginRegistry",
    "TaskTemplate",
    "commit_journal",
    "is_initialized",
]


class TaskPluginRegistry:
    """Maps a plugin configuration type to the task class that runs it."""

    _plugins: dict[type, type[TaskTemplate]] = {}
    _lock = threading.Lock()

    @classmethod
    def register(cls, config_type: type, plugin: type[TaskTemplate], override: bool = False) -> None:
        if not (isinstance(plugin, type) and issubclass(plugin, TaskTemplate)):
            raise TypeError(f"{plugin!r} is not a TaskTemplate subclass; task plugins must subclass flyte.extend.TaskTemplate")
        with cls._lock:
            existing = cls._plugins.get(config_type)
            if existing is not None and existing is not plugin and not override:
                raise ValueError(
                    f"Config type {config_type.__qualname__} is already handled by {existing.__qualname__}; "
                    f"cannot also register {plugin.__qualname__} (pass override=True to replace it)"
                )
            cls._plugins[config_type] = plugin

    @classmethod
    def find(cls, config_type: type) -> type[TaskTemplate] | None:
        for t in getattr(config_type, "__mro__", (config_type,)):
            if t in cls._plugins:
                return cls._plugins[t]
        return None

    @classmethod
    def list_plugins(cls) -> MappingProxyType[type, type[TaskTemplate]]:
        return MappingProxyType(cls._plugins)


def is_initialized() -> bool:
    """Whether ``flyte.init`` (or ``init_from_config``) has been called."""
    from flyte._runtime.init import is_initialized as _is_initialized

    return _is_initialized()


def commit_journal() -> None:
    """Block until everything this process has journaled is committed to disk.

    Journal writes are committed in groups a few milliseconds apart. A plugin that must not act
    before a checkpoint is durable (e.g. before asking a human, so a resumed run finds the same
    request) calls this after the traced call that makes the checkpoint.
    """
    from flyte._runtime.journal import journal

    journal().flush()
