"""``flyte.TaskEnvironment``: shared configuration for a group of tasks, and the ``@env.task`` decorator."""

from __future__ import annotations

import dataclasses
import inspect
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flyte._model.interface import NativeInterface
from flyte._model.task import AsyncFunctionTaskTemplate, TaskTemplate

logger = logging.getLogger("flyte")

_NAME = re.compile(r"^[a-z0-9]+([_-][a-z0-9]+)*$")

#: Settings that only matter on a cluster; recorded with each action, noted once at debug level.
_REMOTE_ONLY = ("pod_template", "reusable", "queue", "interruptible", "image", "secrets", "triggers")


@dataclass
class Environment:
    """Configuration shared by the tasks declared in it."""

    name: str
    depends_on: list[Environment] = field(default_factory=list)
    pod_template: Any = None
    description: str | None = None
    secrets: Any = None
    env_vars: dict[str, str] | None = None
    resources: Any = None
    interruptible: bool = False
    image: Any = "auto"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ValueError(
                f"Environment name {self.name!r} is invalid: use lowercase letters and digits, separated by single "
                "'-' or '_' (e.g. 'my-env' or 'my_env')"
            )
        from flyte._model.resources import Resources
        from flyte._model.secret import normalize_secrets

        if self.resources is not None and not isinstance(self.resources, Resources):
            raise TypeError(f"Environment `{self.name}`: resources must be flyte.Resources, got {self.resources!r}")
        if self.env_vars is not None:
            bad = {k: v for k, v in self.env_vars.items() if not isinstance(k, str) or not isinstance(v, str)}
            if bad:
                raise TypeError(f"Environment `{self.name}`: env_vars must map str to str; offending: {bad!r}")
        normalize_secrets(self.secrets)
        if self.description is not None and len(self.description) > 255:
            self.description = self.description[:252] + "..."
        self.depends_on = list(self.depends_on)
        for dep in self.depends_on:
            self._check_dependency(dep)

    def _check_dependency(self, dep: Any) -> None:
        if not isinstance(dep, Environment):
            raise TypeError(f"Environment `{self.name}`: depends_on takes environments, got {dep!r}")
        if dep is self:
            raise ValueError(f"Environment `{self.name}` cannot depend on itself")

    def add_dependency(self, *envs: Environment) -> None:
        for env in envs:
            self._check_dependency(env)
            if env not in self.depends_on:
                self.depends_on.append(env)


@dataclass
class TaskEnvironment(Environment):
    """A named environment whose ``task`` decorator turns functions into tasks."""

    include: tuple[str, ...] = ()
    cache: Any = "disable"
    reusable: Any = None
    plugin_config: Any = None
    queue: str | None = None
    _tasks: dict[str, TaskTemplate] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        from flyte._model.cache import normalize_cache

        if isinstance(self.include, str):
            raise TypeError(f"Environment `{self.name}`: include takes a tuple of paths, got the string {self.include!r}")
        self.cache = normalize_cache(self.cache)

    @property
    def tasks(self) -> dict[str, TaskTemplate]:
        """The tasks declared in this environment, by full name (``<env>.<function>``)."""
        return dict(self._tasks)

    def task(
        self,
        _func: Callable[..., Any] | None = None,
        /,
        *,
        short_name: str | None = None,
        cache: Any = None,
        retries: Any = 0,
        timeout: Any = 0,
        docs: Any = None,
        pod_template: Any = None,
        report: bool = False,
        interruptible: bool | None = None,
        max_inline_io_bytes: int = 10 * 1024 * 1024,
        queue: str | None = None,
        triggers: Any = (),
        links: Any = (),
        **kwargs: Any,
    ) -> Any:
        """Declare a task in this environment; usable bare (``@env.task``) or with arguments."""
        unknown = set(kwargs) - {"task_resolver", "entrypoint", "produces_artifacts"}
        if unknown:
            raise TypeError(f"@{self.name}.task got unknown argument(s): {', '.join(sorted(unknown))}")

        def decorate(func: Callable[..., Any]) -> TaskTemplate:
            if isinstance(func, TaskTemplate):
                raise TypeError(f"`{func.name}` is already a task; decorate the plain function once")
            if not callable(func) or not hasattr(func, "__code__"):
                raise TypeError(f"@{self.name}.task decorates functions, got {func!r}")
            if inspect.isasyncgenfunction(func) or inspect.isgeneratorfunction(func):
                raise TypeError(f"Task `{func.__name__}` is a generator; tasks must return their outputs")
            task_cls: type[AsyncFunctionTaskTemplate] = AsyncFunctionTaskTemplate
            if self.plugin_config is not None:
                from flyte.extend import TaskPluginRegistry

                found = TaskPluginRegistry.find(type(self.plugin_config))
                if found is None:
                    raise ValueError(
                        f"No task type is registered for plugin_config {type(self.plugin_config).__name__}; "
                        "install the plugin that provides it"
                    )
                task_cls = found
            task = task_cls(
                name=f"{self.name}.{func.__name__}",
                interface=NativeInterface.from_callable(func),
                func=func,
                short_name=short_name or func.__name__,
                image=self.image,
                resources=self.resources,
                cache=cache if cache is not None else self.cache,
                retries=retries,
                timeout=timeout or None,
                env_vars=self.env_vars,
                secrets=self.secrets,
                report=report,
                links=links,
                pod_template=pod_template or self.pod_template,
                queue=queue or self.queue,
                interruptible=self.interruptible if interruptible is None else interruptible,
                docs=docs,
                reusable=self.reusable,
                max_inline_io_bytes=max_inline_io_bytes,
                triggers=triggers,
                plugin_config=self.plugin_config,
                parent_env_name=self.name,
            )
            self._tasks[task.name] = task
            return task

        if _func is not None:
            return decorate(_func)
        return decorate

    def clone_with(
        self,
        name: str,
        image: Any = None,
        resources: Any = None,
        env_vars: dict[str, str] | None = None,
        secrets: Any = None,
        depends_on: list[Environment] | None = None,
        description: str | None = None,
        interruptible: bool | None = None,
        include: tuple[str, ...] | None = None,
        **kwargs: Any,
    ) -> TaskEnvironment:
        """A new environment with this one's settings, some replaced."""
        unknown = set(kwargs) - {"cache", "reusable", "plugin_config", "queue", "pod_template"}
        if unknown:
            raise TypeError(f"clone_with got unknown argument(s): {', '.join(sorted(unknown))}")
        changes: dict[str, Any] = {
            "name": name,
            "image": image,
            "resources": resources,
            "env_vars": env_vars,
            "secrets": secrets,
            "depends_on": depends_on,
            "description": description,
            "interruptible": interruptible,
            "include": include,
            **kwargs,
        }
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_task(cls, name: str, *tasks: TaskTemplate, depends_on: list[Environment] | None = None) -> TaskEnvironment:
        """An environment holding already-built tasks (e.g. container tasks)."""
        images = {id(t.image): t.image for t in tasks}
        for t in tasks:
            if not isinstance(t, TaskTemplate):
                raise TypeError(f"from_task takes tasks, got {t!r}")
            if t.parent_env_name is not None:
                raise ValueError(f"Task `{t.name}` already belongs to environment `{t.parent_env_name}`")
        env = cls(name=name, depends_on=depends_on or [], image=next(iter(images.values())) if len(images) == 1 else "auto")
        for t in tasks:
            t.parent_env_name = name
            env._tasks[t.name] = t
        return env
