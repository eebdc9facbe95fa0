"""Remote tasks: deployed tasks referenced by name (``flyte.remote.Task.get``) and called like tasks.

A reference is lazy: nothing is looked up until it is fetched, called inside a task, or passed
to ``flyte.run``. Its interface comes from the deployment, with types translated to what this
process can represent without the deployed code: records (dataclasses, pydantic models) become
stand-in dataclasses with attribute access, dataframes ``flyte.io.DataFrame``, and a dict is
accepted wherever a record is expected. Calling one runs the deployed snapshot's code in a
separate Python process (see ``flyte._runtime.worker``) as an ordinary, journaled action.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import inspect
import threading
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from flyte import errors
from flyte._model.interface import NativeInterface
from flyte._model.task import TaskTemplate
from flyte._runtime.deploy import DeployedTaskSpec, TaskRegistry, snapshot_root

__all__ = ["DeployedTask", "Task", "TaskDetails", "TaskReference", "prepare_root_call"]

AutoVersion = Literal["latest", "current"]

#: What ``override()`` of a remote task accepts (the documented set).
REMOTE_OVERRIDES = (
    "short_name",
    "resources",
    "retries",
    "timeout",
    "env_vars",
    "secrets",
    "max_inline_io_bytes",
    "cache",
    "queue",
)
_EMPTY = inspect.Parameter.empty


# ------------------------------------------------------------------------------ type translation

_guessed: dict[bytes, Any] = {}
_guessed_lock = threading.Lock()


def _mentions_offloaded(lt: Any) -> bool:
    kind = lt.WhichOneof("type")
    if kind in ("blob", "structured_dataset_type"):
        return True
    if kind == "collection_type":
        return _mentions_offloaded(lt.collection_type)
    if kind == "map_value_type":
        return _mentions_offloaded(lt.map_value_type)
    if kind == "union_type":
        return any(_mentions_offloaded(v) for v in lt.union_type.variants)
    return any(_mentions_offloaded(v) for v in lt.structure.dataclass_type.values())


def python_type_for(lt: Any, task_name: str, where: str) -> Any:
    """The Python type that stands for literal type ``lt`` here (the same class for the same structure)."""
    from flyte.types import TypeEngine

    key = lt.SerializeToString(deterministic=True)
    with _guessed_lock:
        found = _guessed.get(key)
    if found is not None:
        return found
    if _mentions_offloaded(lt):
        try:  # files, directories and dataframes are guessed by flyte.io's transformers
            import flyte.io  # noqa: F401
        except ImportError:
            pass
    try:
        found = TypeEngine.guess_python_type(lt)
    except ValueError as e:
        raise errors.RemoteTaskUsageError(
            f"Task `{task_name}`: {where} has a type this process cannot represent ({e}); install the type plugin "
            "the deployed task uses"
        ) from e
    with _guessed_lock:
        return _guessed.setdefault(key, found)


def _as_mapping(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump") and callable(value.model_dump):  # a pydantic model
        return value.model_dump()
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return value._asdict()
    return None


def _is_optional(t: Any) -> bool:
    return type(None) in typing.get_args(t)


def coerce(value: Any, t: Any, where: str) -> Any:
    """Bring ``value`` into the stand-in type ``t``: dicts and foreign records become ``t`` records."""
    if value is None:
        return None
    if isinstance(t, type) and dataclasses.is_dataclass(t):
        if isinstance(value, t):
            return value
        data = _as_mapping(value)
        if data is None:
            return value  # the conversion names the mismatch
        fields = {f.name: f for f in dataclasses.fields(t)}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise errors.RemoteTaskUsageError(
                f"{where}: unknown field(s) {', '.join(unknown)} for {t.__name__}; its fields: {', '.join(fields)}"
            )
        missing = [n for n, f in fields.items() if n not in data and not _is_optional(f.type)]
        if missing:
            raise errors.RemoteTaskUsageError(
                f"{where}: missing field(s) {', '.join(missing)} of {t.__name__}; its fields: {', '.join(fields)}"
            )
        return t(**{n: coerce(data.get(n), f.type, f"{where}.{n}") for n, f in fields.items()})
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin is list and args and isinstance(value, (list, tuple)):
        return [coerce(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict and len(args) == 2 and isinstance(value, dict):
        return {k: coerce(v, args[1], f"{where}[{k!r}]") for k, v in value.items()}
    if args and (origin is typing.Union or type(t).__name__ == "UnionType"):
        records = [a for a in args if isinstance(a, type) and dataclasses.is_dataclass(a)]
        if len(records) == 1 and _as_mapping(value) is not None and not isinstance(value, records[0]):
            return coerce(value, records[0], where)
    if t is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


# ------------------------------------------------------------------------------ the task template


@dataclass(kw_only=True)
class DeployedTask(TaskTemplate):
    """A deployed task version: calls run its snapshot's code in a separate process."""

    spec: DeployedTaskSpec

    @classmethod
    def from_spec(cls, spec: DeployedTaskSpec) -> DeployedTask:
        from flyteidl2.core import interface_pb2

        from flyte._model.cache import Cache
        from flyte._runtime.convert import decode_literals
        from flyte.types import TypeEngine

        iface = interface_pb2.TypedInterface.FromString(spec.interface_bytes())
        inputs: dict[str, tuple[Any, Any]] = {}
        for var in iface.inputs.variables:
            t = python_type_for(var.value.type, spec.name, f"input `{var.key}`")
            default: Any = _EMPTY
            if var.key in spec.defaults:
                literal = decode_literals(base64.b64decode(spec.defaults[var.key]))["v"]
                default = TypeEngine.to_python_value_sync(literal, t)
            inputs[var.key] = (t, default)
        outputs = {
            var.key: python_type_for(var.value.type, spec.name, f"output `{var.key}`") for var in iface.outputs.variables
        }
        cache = spec.cache
        return cls(
            name=spec.name,
            interface=NativeInterface(inputs, outputs, spec.multiple_outputs),
            short_name=spec.short_name,
            task_type=spec.task_type,
            retries=spec.retries,
            timeout=spec.timeout,
            cache=Cache(
                behavior=cache.get("behavior", "disable"),
                version_override=cache.get("version_override"),
                serialize=bool(cache.get("serialize", False)),
                ignored_inputs=tuple(cache.get("ignored_inputs", ())),
                salt=cache.get("salt", ""),
            ),
            report=spec.report,
            env_vars=dict(spec.env_vars),
            docs=spec.docs,
            parent_env_name=spec.env,
            spec=spec,
        )

    # -------------------------------------------------------------- identity and interface
    def identity_source(self) -> bytes:
        return "\x1f".join(("deployed", self.spec.name, self.spec.version, self.spec.snapshot)).encode()

    def literal_interface(self) -> Any:
        if self._literal_interface is None:
            from flyteidl2.core import interface_pb2

            data = self.spec.interface_bytes()
            iface = interface_pb2.TypedInterface.FromString(data)
            self._literal_interface = (
                data,
                {v.key: v.value.type for v in iface.inputs.variables},
                {v.key: v.value.type for v in iface.outputs.variables},
            )
        return self._literal_interface

    # -------------------------------------------------------------- calling
    def coerce_inputs(self, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Check a call against the deployed interface; raises ``RemoteTaskUsageError`` naming the problem."""
        from flyte.types import TypeEngine

        if args:
            raise errors.RemoteTaskUsageError(
                f"Remote task `{self.name}` takes keyword arguments only, got {len(args)} positional; "
                f"call it as {self.short_name}({', '.join(f'{n}=...' for n in self.interface.inputs)})"
            )
        try:
            bound = self.interface.bind(self.name, (), kwargs)
        except TypeError as e:
            raise errors.RemoteTaskUsageError(f"Remote task `{self.name}` (version {self.spec.version}): {e}") from e
        _, in_types, _ = self.literal_interface()
        coerced = {}
        for name, value in bound.items():
            t = self.interface.inputs[name][0]
            value = coerce(value, t, f"Remote task `{self.name}` input `{name}`")
            try:
                TypeEngine.to_literal_sync(value, t, in_types[name])
            except Exception as e:
                raise errors.RemoteTaskUsageError(
                    f"Remote task `{self.name}` input `{name}` expects {getattr(t, '__name__', t)}, got "
                    f"{type(value).__name__} {value!r:.80}: {e}"
                ) from e
            coerced[name] = value
        return coerced

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise errors.RemoteTaskUsageError(
            f"Remote task `{self.name}` runs only as an action: call it inside a task "
            f"(`await {self.short_name}(...)`) or run it with flyte.run(reference, **inputs)"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from flyte._runtime.context import current_frame

        if current_frame.get() is None:
            self.forward()
        return super().__call__(**self.coerce_inputs(args, kwargs))

    async def aio(self, *args: Any, **kwargs: Any) -> Any:
        return await self(*args, **kwargs)

    async def execute(self, **kwargs: Any) -> Any:
        from flyte._runtime import convert
        from flyte._runtime.context import current_frame
        from flyte._runtime.worker import WorkerRequest, run_in_worker
        from flyte.report._report import report_key

        frame = current_frame.get()
        if frame is None:
            return self.forward()
        run = frame.run
        home = run.run_dir.parent.parent
        literals = await convert.inputs_to_literals(self, kwargs)
        request = WorkerRequest(
            home=str(home),
            run_name=run.name,
            action_id=frame.action_id,
            path=getattr(frame, "path", ""),
            task_name=self.name,
            module=self.spec.module,
            code_dir=str(snapshot_root(home) / self.spec.snapshot),
            version=self.spec.version,
            project=run.project,
            domain=run.domain,
            org=run.org,
            custom_context=dict(frame.custom_context),
            attempt=frame.attempt,
            inputs=base64.b64encode(convert.encode_literals(literals)).decode(),
            disable_cache=run.disable_cache,
            resumed_from=run.resumed_from,
            env_vars=dict(self.env_vars or {}),
            seq=run.creation_order(frame.action_id),
        )
        data = await run_in_worker(request, frame, report_key(run.name, frame.action_id))
        values = await convert.literals_to_python(self, convert.decode_literals(data), outputs=True)
        return self.interface.join_outputs(values)


# ------------------------------------------------------------------------------ public objects


def _check_override_names(name: str, changes: dict[str, Any]) -> None:
    unknown = sorted(set(changes) - set(REMOTE_OVERRIDES))
    if unknown:
        raise errors.RemoteTaskUsageError(
            f"Remote task `{name}`: override() got {', '.join(unknown)}, which a remote task does not accept; "
            f"accepted: {', '.join(REMOTE_OVERRIDES)}"
        )


def _apply_overrides(template: DeployedTask, changes: dict[str, Any]) -> DeployedTask:
    _check_override_names(template.name, changes)
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        return template
    if "env_vars" in changes:
        changes["env_vars"] = {**(template.env_vars or {}), **changes["env_vars"]}
    try:
        return template.override(**changes)  # type: ignore[return-value]
    except (TypeError, ValueError) as e:
        raise errors.RemoteTaskUsageError(f"Remote task `{template.name}`: invalid override: {e}") from e


class TaskDetails:
    """A fetched deployed task: its version and interface; call it like a task, or pass it to ``flyte.run``."""

    def __init__(self, template: DeployedTask):
        self._template = template

    @property
    def template(self) -> DeployedTask:
        return self._template

    @property
    def name(self) -> str:
        return self._template.name

    @property
    def version(self) -> str:
        return self._template.spec.version

    @property
    def task_type(self) -> str:
        return self._template.task_type

    @property
    def interface(self) -> NativeInterface:
        """Inputs and outputs with their stand-in Python types."""
        return self._template.interface

    @property
    def required_args(self) -> tuple[str, ...]:
        return tuple(n for n, (_, d) in self._template.interface.inputs.items() if d is _EMPTY)

    @property
    def default_input_args(self) -> dict[str, Any]:
        return {n: d for n, (_, d) in self._template.interface.inputs.items() if d is not _EMPTY}

    @property
    def cache(self) -> Any:
        return self._template.cache

    @property
    def resources(self) -> Any:
        return self._template.resources

    @property
    def secrets(self) -> Any:
        return self._template.secrets

    @property
    def queue(self) -> str | None:
        return self._template.queue

    @property
    def env(self) -> str:
        return self._template.spec.env

    @property
    def deployed_at(self) -> float:
        return self._template.spec.deployed_at

    @property
    def snapshot(self) -> Path:
        return self._template.spec.snapshot_dir

    def override(self, **changes: Any) -> TaskDetails:
        """A copy with some settings replaced (``short_name``, ``resources``, ``retries``, ``timeout``,
        ``env_vars``, ``secrets``, ``max_inline_io_bytes``, ``cache``, ``queue``)."""
        return TaskDetails(_apply_overrides(self._template, changes))

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return await self._template(*args, **kwargs)

    def __repr__(self) -> str:
        inputs = ", ".join(f"{n}: {getattr(t, '__name__', t)}" for n, (t, _) in self.interface.inputs.items())
        return f"TaskDetails({self.name!r}, version={self.version!r}, inputs=({inputs}))"


class _Fetch:
    """``ref.fetch()``; ``await ref.fetch.aio()`` in async code."""

    def __init__(self, ref: TaskReference):
        self._ref = ref

    def __call__(self) -> TaskDetails:
        return self._ref._fetch()

    async def aio(self) -> TaskDetails:
        return await asyncio.to_thread(self._ref._fetch)


class TaskReference:
    """A lazy reference to a deployed task, as ``flyte.remote.Task.get`` returns it.

    Nothing is looked up until :meth:`fetch`, a call inside a task, or ``flyte.run(ref, ...)``.
    """

    def __init__(
        self,
        name: str,
        *,
        project: str | None = None,
        domain: str | None = None,
        version: str | None = None,
        auto_version: AutoVersion | None = None,
        overrides: dict[str, Any] | None = None,
    ):
        self._name = name
        self._project = project
        self._domain = domain
        self._version = version
        self._auto_version = auto_version
        self._overrides = dict(overrides or {})
        self._fetched: dict[str, TaskDetails] = {}
        self._lock = threading.Lock()
        self.fetch = _Fetch(self)

    @property
    def name(self) -> str:
        return self._name

    def _wanted_version(self) -> str | None:
        if self._auto_version != "current":
            return self._version
        from flyte._runtime import deploy
        from flyte._runtime.context import current_frame

        if current_frame.get() is None:
            raise errors.RemoteTaskUsageError(
                f"Remote task `{self._name}`: auto_version='current' means the version of the calling task's "
                "deployment, so it can only be used inside a task"
            )
        if deploy.CURRENT_VERSION is None:
            raise errors.RemoteTaskUsageError(
                f"Remote task `{self._name}`: auto_version='current' needs the calling task to be a deployed one "
                "(flyte deploy); this task was not deployed. Use auto_version='latest' or version='...'"
            )
        return deploy.CURRENT_VERSION

    def _fetch(self) -> TaskDetails:
        from flyte._runtime.init import current_config

        version = self._wanted_version()
        key = version or ""
        with self._lock:
            found = self._fetched.get(key)
            if found is not None:
                return found
            config = current_config()
            registry = TaskRegistry(self._project or config.project, self._domain or config.domain)
            spec = registry.get(self._name, version) if version else registry.latest(self._name)
            where = f"project {registry.project!r}, domain {registry.domain!r}"
            if spec is None:
                known = [s.version for s in registry.versions(self._name)]
                if known:
                    raise errors.RemoteTaskNotFoundError(
                        f"Task `{self._name}` has no deployed version {version!r} in {where}; deployed versions: "
                        f"{', '.join(known[-10:])}"
                    )
                raise errors.RemoteTaskNotFoundError(
                    f"No task `{self._name}` is deployed in {where} (registry {registry.root}); deploy its "
                    "environment first: flyte deploy <file or directory>"
                )
            if not spec.snapshot_dir.is_dir():
                raise errors.RemoteTaskNotFoundError(
                    f"Task `{self._name}` version {spec.version!r} is registered but its code snapshot "
                    f"{spec.snapshot_dir} is missing; deploy it again"
                )
            details = TaskDetails(_apply_overrides(DeployedTask.from_spec(spec), self._overrides))
            self._fetched[key] = details
            return details

    def override(self, **changes: Any) -> TaskReference:
        """A new reference with some settings replaced; chainable. Applied when the task is fetched."""
        _check_override_names(self._name, changes)
        return TaskReference(
            self._name,
            project=self._project,
            domain=self._domain,
            version=self._version,
            auto_version=self._auto_version,
            overrides={**self._overrides, **changes},
        )

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args:
            raise errors.RemoteTaskUsageError(
                f"Remote task `{self._name}` takes keyword arguments only, got {len(args)} positional"
            )
        details = await self.fetch.aio()
        return await details(**kwargs)

    def __repr__(self) -> str:
        which = self._version or self._auto_version or "latest"
        return f"TaskReference({self._name!r}, version={which!r})"


class Task:
    """Deployed tasks, looked up by name: ``flyte.remote.Task.get("env.task", auto_version="latest")``."""

    @classmethod
    def get(
        cls,
        name: str,
        project: str | None = None,
        domain: str | None = None,
        version: str | None = None,
        auto_version: AutoVersion | None = None,
    ) -> TaskReference:
        """A lazy reference to the deployed task ``name`` (``<environment>.<function>``).

        Args:
            name: The task's full name.
            project: Its project (default: the current one, ``flyte.init(project=...)``).
            domain: Its domain (default: the current one).
            version: A specific deployed version.
            auto_version: ``"latest"`` (the most recently deployed version; also the default when
                no version is given) or ``"current"`` (the calling task's own deployed version).

        Raises:
            ValueError: a malformed request (both ``version`` and ``auto_version``, or an unknown
                ``auto_version``). A task that does not exist is reported when it is used.
        """
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"flyte.remote.Task.get needs a task name such as 'my_env.my_task', got {name!r}")
        if auto_version not in (None, "latest", "current"):
            raise ValueError(f"flyte.remote.Task.get(auto_version={auto_version!r}): use 'latest' or 'current'")
        if version is not None and auto_version is not None:
            raise ValueError(
                f"flyte.remote.Task.get({name!r}): pass either version={version!r} or auto_version={auto_version!r}"
            )
        return TaskReference(name, project=project, domain=domain, version=version, auto_version=auto_version)


async def prepare_root_call(obj: Any, args: tuple, kwargs: dict[str, Any]) -> tuple[Any, tuple, dict[str, Any]]:
    """For ``flyte.run``: the template and checked inputs of a reference, details or deployed task."""
    if isinstance(obj, TaskReference):
        if args:
            raise errors.RemoteTaskUsageError(
                f"Remote task `{obj.name}` takes keyword arguments only, got {len(args)} positional"
            )
        obj = await obj.fetch.aio()
    if isinstance(obj, TaskDetails):
        obj = obj.template
    if isinstance(obj, DeployedTask):
        return obj, (), obj.coerce_inputs(args, kwargs)
    return obj, args, kwargs
