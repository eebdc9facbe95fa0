"""``ContainerTask``: a task whose body is a command in any container image, run on the local Docker engine."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import posixpath
import re
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import flyte
from flyte.errors import OOMError
from flyte.extend import NativeInterface, TaskTemplate
from flyteplugins.container import _templates, _values
from flyteplugins.container._errors import ContainerExitError

logger = logging.getLogger("flyteplugins.container")

T = TypeVar("T")

_CONTAINER_NAME = re.compile(r"[^a-zA-Z0-9_.-]+")
#: Exit codes above this are 128 + the number of the signal that killed the process.
_SIGNAL_EXIT = 128


@dataclass(frozen=True)
class _Interface(NativeInterface):
    """Outputs keep their declared names also when there is only one (``outputs={"greeting": str}``)."""

    def split_outputs(self, task_name: str, value: Any) -> dict[str, Any]:
        if len(self.outputs) == 1:
            return {next(iter(self.outputs)): value}
        return super().split_outputs(task_name, value)

    def join_outputs(self, values: dict[str, Any]) -> Any:
        if len(self.outputs) == 1:
            return values[next(iter(self.outputs))]
        return super().join_outputs(values)


@dataclass(kw_only=True, init=False, repr=False)
class ContainerTask(TaskTemplate):
    """A task that runs ``command`` in a container of ``image`` and exchanges data through files.

    Each input is written to ``input_data_dir`` as a file named after it (scalars as text, ``File``
    and ``Dir`` as themselves, dataclasses and pydantic models as documents in ``metadata_format``),
    beside one inputs metadata file (``inputs.json``, ``inputs.yaml`` or ``inputs.pb``).
    ``{{.inputs.<name>}}`` in ``command`` and ``arguments`` is replaced by the input's text (a
    ``File``/``Dir`` input by its path in the container). After the container exits with code 0,
    each output is read from ``output_data_dir/<name>`` and converted to its declared type.

    Locally the container runs on the Docker engine (``DOCKER_HOST``, else the local socket): the
    image is used if present and pulled if not; ``resources`` become memory, CPU and shared-memory
    limits; ``timeout``, cancellation and aborts kill the container; containers and the
    per-call directories are always removed.

    Args:
        name: The task's name.
        image: An image name (``"alpine:3.18"``) or a ``flyte.Image`` (``Image.from_base(...)``).
        command: The command and its arguments, e.g. ``["/bin/sh", "-c", "echo hi > /var/outputs/o"]``.
            The image's ENTRYPOINT, if any, still applies.
        inputs: Input names and types. Names are file names, so ``"script.py"`` is a valid name.
        arguments: More arguments appended to ``command``.
        outputs: Output names and types; one output is returned as is, several as a tuple.
        input_data_dir: Where the inputs appear in the container.
        output_data_dir: Where the container writes its outputs.
        metadata_format: ``"JSON"``, ``"YAML"`` or ``"PROTO"``.
        local_logs: Print the container's output while it runs (and journal it with the action).
        network: ``True`` for Docker's default network, ``False`` for none, or a Docker network name.
        read_only: Mount the image's root filesystem read-only (``/tmp`` stays writable: a private directory).
        user: Run as this user (``"1000"``, ``"1000:1000"``, ``"nobody"``) instead of the image's.
        pids_limit: The most processes the container may have at once.
        **kwargs: Task settings: ``resources``, ``timeout``, ``retries``, ``cache``, ``env_vars``,
            ``short_name``, ``docs``, ...
    """

    command: list[str]
    arguments: list[str]
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    input_data_dir: str
    output_data_dir: str
    metadata_format: str
    local_logs: bool
    network: bool | str
    read_only: bool
    user: str | None
    pids_limit: int | None

    def __init__(
        self,
        name: str,
        image: Any,
        command: list[str],
        inputs: dict[str, Any] | None = None,
        arguments: list[str] | None = None,
        outputs: dict[str, Any] | None = None,
        input_data_dir: str = "/var/inputs",
        output_data_dir: str = "/var/outputs",
        metadata_format: str = "JSON",
        local_logs: bool = True,
        network: bool | str = True,
        read_only: bool = False,
        user: str | None = None,
        pids_limit: int | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("interface", None)  # given back by dataclasses.replace (override); always derived
        kwargs.setdefault("task_type", "raw-container")
        template_fields = {f.name for f in dataclasses.fields(TaskTemplate) if f.init}
        unknown = sorted(set(kwargs) - template_fields)
        if unknown:
            raise TypeError(
                f"ContainerTask `{name}` got unknown argument(s) {', '.join(unknown)}; task settings accepted: "
                f"{', '.join(sorted(template_fields - {'name', 'interface', 'image'}))}"
            )
        self.command = _strings(name, "command", command)
        self.arguments = _strings(name, "arguments", arguments or [])
        self.inputs = dict(inputs or {})
        self.outputs = dict(outputs or {})
        self.input_data_dir = _container_dir(name, "input_data_dir", input_data_dir)
        self.output_data_dir = _container_dir(name, "output_data_dir", output_data_dir)
        self.metadata_format = _metadata_format(name, metadata_format)
        self.local_logs = _flag(name, "local_logs", local_logs)
        self.network = network
        self.read_only = _flag(name, "read_only", read_only)
        self.user = user
        self.pids_limit = pids_limit
        self._validate(name)
        interface = _Interface(
            inputs={k: (t, inspect.Parameter.empty) for k, t in self.inputs.items()},
            outputs=dict(self.outputs),
            multiple_outputs=len(self.outputs) > 1,
        )
        for f in dataclasses.fields(TaskTemplate):
            if f.init and f.name not in ("name", "interface", "image") and f.name not in kwargs:
                kwargs[f.name] = f.default if f.default_factory is dataclasses.MISSING else f.default_factory()
        for key, value in {"name": name, "interface": interface, "image": image, **kwargs}.items():
            setattr(self, key, value)
        self.__post_init__()

    def __repr__(self) -> str:
        return f"ContainerTask(name={self.name!r}, image={_image_uri(self.image)!r}, command={self.command!r})"

    # ------------------------------------------------------------------------------ validation

    def _validate(self, name: str) -> None:
        if not self.command:
            raise ValueError(f"ContainerTask `{name}`: command is empty; give the program to run, e.g. ['/bin/sh', '-c', '...']")
        for what, table in (("input", self.inputs), ("output", self.outputs)):
            for key, t in table.items():
                _check_name(name, what, key)
                if _values.kind_of(t) is None:
                    raise TypeError(
                        f"ContainerTask `{name}`: {what} `{key}` has type {_values.type_name(t)}, which a container "
                        f"cannot exchange; supported: {_values.SUPPORTED}"
                    )
        metadata_file = _values.METADATA_FILE[self.metadata_format]
        if metadata_file in self.inputs:
            raise ValueError(
                f"ContainerTask `{name}`: input `{metadata_file}` would overwrite the inputs metadata file of format "
                f"{self.metadata_format}; rename the input"
            )
        inside = posixpath.commonpath([self.input_data_dir, self.output_data_dir])
        if inside in (self.input_data_dir, self.output_data_dir):
            raise ValueError(
                f"ContainerTask `{name}`: input_data_dir {self.input_data_dir!r} and output_data_dir "
                f"{self.output_data_dir!r} must be separate directories, neither inside the other"
            )
        strings = self.command + self.arguments
        for position, key in _templates.referenced_inputs(strings):
            if key not in self.inputs:
                where = f"command[{position}]" if position < len(self.command) else f"arguments[{position - len(self.command)}]"
                raise ValueError(
                    f"ContainerTask `{name}`: {where} uses {{{{.inputs.{key}}}}}, but `{key}` is not an input; "
                    f"inputs: {', '.join(self.inputs) or 'none'}. Fix the template or declare the input."
                )
        if not (isinstance(self.network, bool) or (isinstance(self.network, str) and self.network)):
            raise TypeError(
                f"ContainerTask `{name}`: network={self.network!r}; use True (default network), False (none) or a "
                "Docker network name"
            )
        if self.user is not None and (not isinstance(self.user, str) or not self.user):
            raise TypeError(f"ContainerTask `{name}`: user={self.user!r}; use a user name or 'uid[:gid]' string")
        if self.pids_limit is not None and (
            not isinstance(self.pids_limit, int) or isinstance(self.pids_limit, bool) or self.pids_limit < 1
        ):
            raise ValueError(f"ContainerTask `{name}`: pids_limit={self.pids_limit!r}; use a positive int or None")

    # ------------------------------------------------------------------------------ task hooks

    def identity_source(self) -> bytes:
        """Everything that changes what the container does (the task's 'code')."""
        config = (
            type(self).__qualname__,
            self.task_type,
            _image_uri(self.image),
            self.command,
            self.arguments,
            sorted((k, _values.type_name(t)) for k, t in self.inputs.items()),
            [(k, _values.type_name(t)) for k, t in self.outputs.items()],
            self.input_data_dir,
            self.output_data_dir,
            self.metadata_format,
            self.network,
            self.read_only,
            self.user,
            self.pids_limit,
        )
        return repr(config).encode()

    def forward(self, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        """Called outside a run: run the container right here (no journal, no retries)."""
        return self.execute(**self.interface.bind(self.name, args, kwargs))

    async def execute(self, **kwargs: Any) -> Any:
        """Stage the inputs, run the container, read the outputs."""
        from flyteplugins.container import _docker
        from flyteplugins.container._staging import Staging

        staging = Staging(self.name)  # not in a thread: a cancellation must never lose track of it
        try:
            await staging.write_inputs(kwargs, self.inputs, self.metadata_format, self.input_data_dir)
            argv = _templates.render(self.command + self.arguments, lambda key: self._text_of(key, kwargs[key]))
            client = await asyncio.to_thread(_docker.get_client, self.name)
            await asyncio.to_thread(_docker.ensure_image, client, _image_uri(self.image), self.name, _build_steps(self.image))
            spec = self._spec(argv, staging)
            logger.debug("Container task `%s`: docker run %s %s", self.name, spec.image, argv)
            result = await _run(_docker.ContainerRun(client, spec, self.local_logs))
            if result.oom_killed:
                raise OOMError(
                    "OOMKilled",
                    f"Container task `{self.name}` ran out of memory: the container (image `{spec.image}`) was killed "
                    f"{_memory_limit(self.resources)}(exit code {result.exit_code}). Give it more, e.g. "
                    f"task.override(resources=flyte.Resources(memory=...)).{result.tail}",
                )
            if result.exit_code != 0:
                raise ContainerExitError(
                    f"Container task `{self.name}`: the container (image `{spec.image}`) exited with code "
                    f"{result.exit_code}{_exit_reason(result.exit_code)}{': ' + result.error if result.error else ''}."
                    f"{result.tail or ' It printed nothing.'}"
                )
            values = await staging.read_outputs(self.outputs, self.metadata_format, self.output_data_dir, result.tail)
        finally:
            await _uninterruptible(asyncio.to_thread(staging.remove))
        if not values:
            return None
        return values[0] if len(values) == 1 else tuple(values)

    # ------------------------------------------------------------------------------ helpers

    def _text_of(self, key: str, value: Any) -> str:
        kind = _values.kind_of(self.inputs[key])
        if kind in ("file", "dir"):
            return "" if value is None else f"{self.input_data_dir.rstrip('/')}/{key}"
        if kind == "structured":
            return _values.dump_document(value, "JSON").decode()
        return _values.to_text(value)

    def _spec(self, argv: list[str], staging: Any) -> Any:
        from flyteplugins.container._docker import ContainerSpec

        context = flyte.ctx()
        labels = {"org.flyte.container-task": self.name}
        if context is not None and context.action.name:
            labels["org.flyte.run"] = context.action.run_name
            labels["org.flyte.action"] = context.action.name
        host: dict[str, Any] = {}
        resources = self.resources
        if resources is not None:
            memory = resources.memory_bytes()
            if memory:
                host["mem_limit"] = memory
                host["memswap_limit"] = memory  # no swap: going over the limit is an OOM kill, as on a cluster
            request = resources.memory_request_bytes()
            if request and request != memory:
                host["mem_reservation"] = request
            cpu = resources.cpu_cores()
            if cpu:
                host["nano_cpus"] = int(cpu * 1e9)
            shm = resources.shm_bytes()
            if shm:
                host["shm_size"] = shm
            device = resources.get_device()
            if device is not None:
                import docker

                host["device_requests"] = [docker.types.DeviceRequest(count=device.quantity, capabilities=[["gpu"]])]
        if self.network is False:
            host["network_mode"] = "none"
        elif isinstance(self.network, str):
            host["network_mode"] = self.network
        binds = {
            str(staging.inputs): {"bind": self.input_data_dir, "mode": "rw"},
            str(staging.outputs): {"bind": self.output_data_dir, "mode": "rw"},
        }
        if self.read_only:
            host["read_only"] = True
            # A private, writable /tmp: a directory of the call's own (tmpfs mount options such as
            # the mode are not honoured by every engine, and programs expect a sticky 1777 /tmp).
            binds[str(staging.scratch())] = {"bind": "/tmp", "mode": "rw"}
        if self.pids_limit is not None:
            host["pids_limit"] = self.pids_limit
        return ContainerSpec(
            task_name=self.name,
            name=f"flyte-{_CONTAINER_NAME.sub('-', self.short_name)[:40]}-{uuid.uuid4().hex[:12]}",
            image=_image_uri(self.image),
            argv=argv,
            binds=binds,
            environment=dict(self.env_vars or {}),
            labels=labels,
            user=self.user,
            host_config=host,
        )


async def _run(run: Any) -> Any:
    """Run the container; if this coroutine is cancelled (abort, timeout), kill and remove it first."""
    try:
        return await asyncio.wrap_future(run.start())
    except asyncio.CancelledError:
        await _uninterruptible(asyncio.to_thread(run.stop_and_wait))
        raise


async def _uninterruptible(awaitable: Awaitable[T]) -> T:
    """Await cleanup to the end even if the caller is cancelled again meanwhile."""
    task = asyncio.ensure_future(awaitable)
    cancelled = False
    while True:
        try:
            result = await asyncio.shield(task)
            break
        except asyncio.CancelledError:
            if task.cancelled():
                raise
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError()
    return result


def _memory_limit(resources: Any) -> str:
    memory = getattr(resources, "memory", None)
    if memory is None:
        return "by the kernel for running out of memory "
    limit = memory[1] if isinstance(memory, tuple) else memory
    return f"for going over its memory limit of {limit} "


def _exit_reason(code: int) -> str:
    if code > _SIGNAL_EXIT:
        import signal

        try:
            return f" (killed by {signal.Signals(code - _SIGNAL_EXIT).name})"
        except ValueError:
            return ""
    return ""


def _image_uri(image: Any) -> str:
    return image.uri if isinstance(image, flyte.Image) else str(image)


def _build_steps(image: Any) -> str | None:
    """A description of what must be built first, or None for a plain pre-built image name."""
    if not isinstance(image, flyte.Image) or image.uri == image.base_image:
        return None
    steps = [image.source.method] if image.source is not None else []
    steps += [layer.method for layer in image.layers]
    if image.dockerfile is not None:
        steps.append(f"Dockerfile {image.dockerfile}")
    return ", ".join(steps) or "a custom image"


def _strings(name: str, what: str, values: Any) -> list[str]:
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise TypeError(
            f"ContainerTask `{name}`: {what} must be a list of strings, got {type(values).__name__} {values!r:.80}"
        )
    bad = [(i, v) for i, v in enumerate(values) if not isinstance(v, str)]
    if bad:
        i, v = bad[0]
        raise TypeError(
            f"ContainerTask `{name}`: {what}[{i}] is {type(v).__name__} {v!r:.80}; every element must be a str "
            f"(write str({v!r:.40}) or a {{{{.inputs.NAME}}}} template)"
        )
    return list(values)


def _container_dir(name: str, what: str, value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise ValueError(f"ContainerTask `{name}`: {what}={value!r} must be an absolute path in the container")
    normalized = posixpath.normpath(value)
    if normalized == "/":
        raise ValueError(f"ContainerTask `{name}`: {what}='/' would hide the image's files; use a directory such as /var/inputs")
    return normalized


def _metadata_format(name: str, value: Any) -> str:
    fmt = value.upper() if isinstance(value, str) else value
    if fmt not in _values.METADATA_FORMATS:
        raise ValueError(
            f"ContainerTask `{name}`: metadata_format={value!r}; accepted: {', '.join(_values.METADATA_FORMATS)}"
        )
    return fmt


def _flag(name: str, what: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"ContainerTask `{name}`: {what}={value!r}; use True or False")
    return value


def _check_name(task: str, what: str, key: Any) -> None:
    if not isinstance(key, str) or not key or key in (".", "..") or "/" in key or "\0" in key:
        raise ValueError(
            f"ContainerTask `{task}`: {what} name {key!r} cannot be a file name in the container; use a non-empty "
            "name without '/' (e.g. 'data' or 'script.py')"
        )
