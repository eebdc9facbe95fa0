"""Deploying environments: a local task registry under ``FLYTE_HOME`` with snapshots of the code.

``flyte.deploy(env, version=...)`` and ``flyte deploy FILE_OR_DIR`` register every task of the
environments with a version (given, or derived from the code) and copy the code that defines
them into an immutable snapshot. ``flyte.remote.Task.get(...)`` finds them again, and calling
one runs the snapshot's code in a separate Python process, isolated from the caller's modules.

Layout under ``$FLYTE_HOME/registry``::

    snapshots/<sha256>/...                  the code: every loaded module under the root, plus `include`
    <project>/<domain>/tasks/<task>/<version>.json   one deployed task version

A snapshot directory appears complete or not at all (written beside it, then renamed), and a
version file is written atomically, so a reader never sees half a deployment.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import inspect
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from flyte import errors
from flyte._runtime.blobstore import atomic_write
from flyte._runtime.journal import flyte_home

if TYPE_CHECKING:
    from flyte._model.environment import TaskEnvironment
    from flyte._model.task import TaskTemplate

_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$")
#: Directories never copied into a snapshot, nor searched when deploying a directory.
_SKIP_DIRS = {"__pycache__", ".git", ".hg", ".venv", "venv", "node_modules", "site-packages", ".nox", ".tox"}

#: The deployed version of the task this process runs, set by the worker that runs deployed code
#: (what ``auto_version="current"`` resolves to).
CURRENT_VERSION: str | None = None


# ------------------------------------------------------------------------------ registry records


@dataclass
class DeployedTaskSpec:
    """One deployed version of a task: where its code is and what its interface looks like."""

    name: str
    version: str
    env: str
    short_name: str
    project: str
    domain: str
    module: str
    snapshot: str
    deployed_at: float
    #: ``flyteidl2`` TypedInterface bytes, base64.
    interface: str
    #: Input name -> base64 literal of its default value.
    defaults: dict[str, str] = field(default_factory=dict)
    multiple_outputs: bool = False
    task_type: str = "python"
    retries: int = 0
    timeout: float | None = None
    cache: dict[str, Any] = field(default_factory=lambda: {"behavior": "disable"})
    report: bool = False
    env_vars: dict[str, str] = field(default_factory=dict)
    resources: str | None = None
    docs: str | None = None

    @property
    def snapshot_dir(self) -> Path:
        return snapshot_root() / self.snapshot

    def interface_bytes(self) -> bytes:
        return base64.b64decode(self.interface)

    def same_deployment(self, other: DeployedTaskSpec) -> bool:
        """Whether two specs describe the same code and interface (ignoring when they were made)."""
        mine = dataclasses.asdict(self) | {"deployed_at": 0}
        theirs = dataclasses.asdict(other) | {"deployed_at": 0}
        return mine == theirs

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> DeployedTaskSpec:
        data = json.loads(text)
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def snapshot_root(home: Path | None = None) -> Path:
    return (home or flyte_home()) / "registry" / "snapshots"


class TaskRegistry:
    """The deployed tasks of one project and domain in ``FLYTE_HOME``."""

    def __init__(self, project: str, domain: str, home: Path | None = None):
        self.project = project
        self.domain = domain
        self.root = (home or flyte_home()) / "registry" / project / domain / "tasks"

    def _task_dir(self, name: str) -> Path:
        if not name or "/" in name or name.startswith("."):
            raise errors.RemoteTaskUsageError(f"{name!r} is not a task name; use '<environment>.<function>'")
        return self.root / name

    def versions(self, name: str) -> list[DeployedTaskSpec]:
        """Every deployed version of ``name``, oldest first."""
        directory = self._task_dir(name)
        specs = []
        for path in directory.glob("*.json") if directory.is_dir() else ():
            try:
                specs.append(DeployedTaskSpec.from_json(path.read_text()))
            except (OSError, ValueError, TypeError):  # a foreign file in the registry: not a version
                continue
        return sorted(specs, key=lambda s: (s.deployed_at, s.version))

    def get(self, name: str, version: str) -> DeployedTaskSpec | None:
        path = self._task_dir(name) / f"{version}.json"
        try:
            return DeployedTaskSpec.from_json(path.read_text())
        except FileNotFoundError:
            return None

    def latest(self, name: str) -> DeployedTaskSpec | None:
        versions = self.versions(name)
        return versions[-1] if versions else None

    def names(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir()) if self.root.is_dir() else []

    def put(self, spec: DeployedTaskSpec) -> bool:
        """Register ``spec``; ``False`` when that exact version was already deployed.

        Raises:
            DeploymentError: the version exists with different code or interface.
        """
        existing = self.get(spec.name, spec.version)
        if existing is not None:
            if existing.same_deployment(spec):
                return False
            raise errors.DeploymentError(
                f"Task `{spec.name}` version {spec.version!r} is already deployed with different code or interface "
                f"(snapshot {existing.snapshot[:12]}, now {spec.snapshot[:12]}); versions are immutable: deploy "
                "with another --version, or without one to derive it from the code"
            )
        atomic_write(self._task_dir(spec.name) / f"{spec.version}.json", spec.to_json().encode())
        return True


# ------------------------------------------------------------------------------ snapshots


def _skipped(path: Path) -> bool:
    return any(part in _SKIP_DIRS or (part.startswith(".") and part not in (".", "..")) for part in path.parts)


def module_files(root: Path) -> dict[str, Path]:
    """Source files of the modules loaded in this process that live under ``root``, by relative path."""
    root = root.resolve()
    files: dict[str, Path] = {}
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if not filename or not filename.endswith(".py"):
            continue
        path = Path(filename).resolve()
        try:
            rel = path.relative_to(root)
        except ValueError:
            continue
        if not _skipped(rel):
            files[rel.as_posix()] = path
    return files


def include_files(root: Path, base: Path, include: Iterable[str], env_name: str) -> dict[str, Path]:
    """Files named by an environment's ``include`` (relative to ``base``; directories recursively)."""
    root = root.resolve()
    files: dict[str, Path] = {}
    for entry in include:
        path = (base / entry).resolve()
        if not path.exists():
            raise errors.DeploymentError(
                f"Environment `{env_name}`: include entry {entry!r} does not exist (looked for {path})"
            )
        try:
            path.relative_to(root)
        except ValueError:
            raise errors.DeploymentError(
                f"Environment `{env_name}`: include entry {entry!r} ({path}) is outside the deployed code root "
                f"{root}; keep included files next to the code"
            ) from None
        for file in [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()):
            rel = file.relative_to(root)
            if not _skipped(rel):
                files[rel.as_posix()] = file
    return files


def snapshot_digest(files: dict[str, Path]) -> str:
    hasher = hashlib.sha256()
    for rel in sorted(files):
        hasher.update(rel.encode() + b"\0")
        hasher.update(hashlib.sha256(files[rel].read_bytes()).digest())
    return hasher.hexdigest()


def store_snapshot(files: dict[str, Path], digest: str, home: Path | None = None) -> Path:
    """Copy ``files`` into the content-addressed snapshot ``digest`` (once; complete or absent)."""
    target = snapshot_root(home) / digest
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{digest[:12]}-", dir=target.parent))
    try:
        for rel, source in files.items():
            dest = staging / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
        (staging / ".flyte-snapshot.json").write_text(json.dumps({"digest": digest, "files": sorted(files)}, indent=1))
        try:
            os.rename(staging, target)
        except OSError:
            if not target.is_dir():  # not a concurrent deployment of the same code: a real failure
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


# ------------------------------------------------------------------------------ what gets deployed


@dataclass(frozen=True)
class Deployment:
    """The result of deploying one environment."""

    env: str
    version: str
    tasks: tuple[str, ...]
    snapshot: Path
    project: str
    domain: str
    #: Tasks whose exact version was already registered (nothing changed for them).
    unchanged: tuple[str, ...] = ()

    def summary_repr(self) -> str:
        lines = [f"Environment {self.env} version {self.version} ({self.project}/{self.domain})"]
        lines += [f"  {name}{'  (unchanged)' if name in self.unchanged else ''}" for name in self.tasks]
        return "\n".join(lines)


@dataclass
class _EnvSource:
    env: TaskEnvironment
    root: Path
    files: dict[str, Path]
    #: task name -> module to import from the snapshot root
    modules: dict[str, str]


def _module_root(module: ModuleType) -> tuple[str, Path]:
    """(import name, code root) of a module loaded from a file."""
    filename = getattr(module, "__file__", None)
    if not filename:
        raise errors.DeploymentError(f"Module {module.__name__!r} has no source file; deploy code that lives in files")
    path = Path(filename).resolve()
    name = module.__name__
    if name == "__main__" or not name.replace(".", "").replace("_", "").isalnum():
        return path.stem, path.parent
    depth = name.count(".") + (1 if path.name == "__init__.py" else 0)
    root = path.parent
    for _ in range(depth):
        root = root.parent
    return name, root


def _task_module(task: TaskTemplate, env: TaskEnvironment) -> ModuleType:
    func = getattr(task, "func", None)
    name = getattr(func, "__module__", None)
    module = sys.modules.get(name) if name else None
    if module is not None:
        return module
    for module in list(sys.modules.values()):
        if any(value is env for value in vars(module).values()):
            return module
    raise errors.DeploymentError(
        f"Cannot tell which module defines task `{task.name}`; define it at the top level of a Python file"
    )


def _env_source(env: TaskEnvironment, root: Path | None = None) -> _EnvSource:
    tasks = env.tasks
    if not tasks:
        raise errors.DeploymentError(f"Environment `{env.name}` has no tasks; nothing to deploy")
    task_files = {name: Path(_task_module(t, env).__file__).resolve() for name, t in tasks.items()}  # type: ignore[arg-type]
    if root is None or not all(root.resolve() in path.parents for path in task_files.values()):
        # the code root of the first task's module (dependencies may live elsewhere than the hint)
        root = _module_root(_task_module(next(iter(tasks.values())), env))[1]
    root = root.resolve()
    modules: dict[str, str] = {}
    for name, path in task_files.items():
        if root not in path.parents:
            raise errors.DeploymentError(
                f"Task `{name}` is defined in {path}, outside the code root {root} of environment `{env.name}`; "
                "keep an environment's tasks under one directory"
            )
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[name] = ".".join(parts)
    files = module_files(root)
    for path in task_files.values():
        files.setdefault(path.relative_to(root).as_posix(), path)
    base = next(iter(task_files.values())).parent
    files.update(include_files(root, base, env.include, env.name))
    return _EnvSource(env, root, files, modules)


def _spec(task: TaskTemplate, env: TaskEnvironment, module: str, version: str, digest: str, project: str, domain: str) -> DeployedTaskSpec:
    from flyteidl2.core import interface_pb2

    from flyte._runtime.convert import encode_literals
    from flyte.types import TypeEngine

    iface_bytes, in_types, _ = task.literal_interface()
    # deterministic bytes, so redeploying the same code compares equal
    iface_bytes = interface_pb2.TypedInterface.FromString(iface_bytes).SerializeToString(deterministic=True)
    defaults: dict[str, str] = {}
    for name, (t, default) in task.interface.inputs.items():
        if default is inspect.Parameter.empty:
            continue
        try:
            literal = TypeEngine.to_literal_sync(default, t, in_types[name])
        except Exception as e:
            raise errors.DeploymentError(
                f"Task `{task.name}`: the default of input `{name}` ({default!r:.60}) cannot be stored: {e}"
            ) from e
        defaults[name] = base64.b64encode(encode_literals({"v": literal})).decode()
    cache = task.cache
    func = getattr(task, "func", None)
    return DeployedTaskSpec(
        name=task.name,
        version=version,
        env=env.name,
        short_name=task.short_name,
        project=project,
        domain=domain,
        module=module,
        snapshot=digest,
        deployed_at=time.time(),
        interface=base64.b64encode(iface_bytes).decode(),
        defaults=defaults,
        multiple_outputs=task.interface.multiple_outputs,
        task_type=task.task_type,
        retries=task.retries.count,
        timeout=task.timeout.max_runtime_seconds if task.timeout is not None else None,
        cache={
            "behavior": cache.behavior,
            "version_override": cache.version_override,
            "serialize": cache.serialize,
            "ignored_inputs": list(cache.get_ignored_inputs()),
            "salt": cache.salt,
        },
        report=bool(task.report),
        env_vars=dict(task.env_vars or {}),
        resources=repr(task.resources) if task.resources is not None else None,
        docs=inspect.getdoc(func) if func is not None else None,
    )


def _with_dependencies(envs: Iterable[Any]) -> list[TaskEnvironment]:
    from flyte._model.environment import Environment, TaskEnvironment

    ordered: list[TaskEnvironment] = []
    seen: set[int] = set()

    def visit(env: Any) -> None:
        if not isinstance(env, Environment):
            raise TypeError(f"flyte.deploy takes environments (flyte.TaskEnvironment), got {env!r:.80}")
        if id(env) in seen:
            return
        seen.add(id(env))
        for dep in env.depends_on:
            visit(dep)
        if isinstance(env, TaskEnvironment):
            ordered.append(env)

    for env in envs:
        visit(env)
    return ordered


def deploy_environments(
    envs: Iterable[Any],
    *,
    version: str | None = None,
    dryrun: bool = False,
    project: str | None = None,
    domain: str | None = None,
    root: Path | None = None,
) -> list[Deployment]:
    """Register the tasks of ``envs`` (and the environments they depend on) under one version."""
    from flyte._runtime.init import current_config

    if version is not None and (not isinstance(version, str) or not _VERSION.match(version)):
        raise errors.DeploymentError(
            f"Version {version!r} is not valid: use letters, digits and . _ + - (starting with a letter or digit), "
            "at most 128 characters"
        )
    config = current_config()
    project = project or config.project
    domain = domain or config.domain
    sources = [_env_source(env, root) for env in _with_dependencies(envs)]
    if not sources:
        raise errors.DeploymentError("Nothing to deploy: pass at least one flyte.TaskEnvironment with tasks")
    _check_references(sources, {name for s in sources for name in s.env.tasks})
    digests = [snapshot_digest(s.files) for s in sources]
    version = version or hashlib.sha256("".join(digests).encode()).hexdigest()[:16]
    registry = TaskRegistry(project, domain)
    plans = []
    for source, digest in zip(sources, digests):
        specs = [
            _spec(task, source.env, source.modules[task.name], version, digest, project, domain)
            for task in source.env.tasks.values()
        ]
        for spec in specs:  # refuse before writing anything: no half-deployed environment
            existing = registry.get(spec.name, version)
            if existing is not None and not existing.same_deployment(spec):
                registry.put(spec)  # raises the DeploymentError that names both
        plans.append((source, digest, specs))
    deployments = []
    for source, digest, specs in plans:
        snapshot = snapshot_root() / digest
        unchanged: list[str] = []
        if not dryrun:
            snapshot = store_snapshot(source.files, digest)
            unchanged = [spec.name for spec in specs if not registry.put(spec)]
        deployments.append(
            Deployment(
                env=source.env.name,
                version=version,
                tasks=tuple(spec.name for spec in specs),
                snapshot=snapshot,
                project=project,
                domain=domain,
                unchanged=tuple(unchanged),
            )
        )
    return deployments


def _check_references(sources: list[_EnvSource], deploying: set[str]) -> None:
    """Fetch the remote tasks the deployed code refers to at module level: they must exist first."""
    from flyte.remote._task import TaskReference

    by_file: dict[str, ModuleType] = {}
    for loaded in list(sys.modules.values()):
        filename = getattr(loaded, "__file__", None)
        if filename:
            by_file[str(Path(filename).resolve())] = loaded
    seen: set[int] = set()
    for source in sources:
        for path in source.files.values():
            module = by_file.get(str(path.resolve()))
            for value in list(vars(module).values()) if module is not None else ():
                if not isinstance(value, TaskReference) or id(value) in seen:
                    continue
                seen.add(id(value))
                if value.name in deploying or value._auto_version == "current":
                    continue  # deployed together, or resolved against the caller's own version
                try:
                    value.fetch()
                except errors.RemoteTaskNotFoundError as e:
                    raise errors.DeploymentError(
                        f"Environment `{source.env.name}` uses remote task `{value.name}` ({path.name}), which "
                        f"cannot be found: {e}. Deploy the environments it depends on first."
                    ) from e


class _Deploy:
    """``flyte.deploy(*envs, version=None, dryrun=False)``; ``await flyte.deploy.aio(...)`` in async code."""

    def __call__(
        self, *envs: Any, version: str | None = None, dryrun: bool = False, copy_style: str = "loaded_modules", **ignored: Any
    ) -> list[Deployment]:
        """Register every task of ``envs`` with ``version`` (default: derived from the code) in the local registry.

        Args:
            *envs: The environments to deploy; the environments they depend on are deployed too.
            version: The version to register (letters, digits, ``._+-``); default a hash of the code.
            dryrun: Work out what would be deployed without writing anything.
            copy_style: Only ``"loaded_modules"`` (every loaded module under the code root) is supported.
            **ignored: Other upstream options (``interactive_mode``, ...), without local effect.

        Returns:
            One :class:`Deployment` per environment.

        Raises:
            DeploymentError: an environment cannot be deployed (named, with the reason).
        """
        if copy_style not in ("loaded_modules", "all"):
            raise errors.DeploymentError(
                f"flyte.deploy(copy_style={copy_style!r}): only 'loaded_modules' is supported locally"
            )
        return deploy_environments(envs, version=version, dryrun=dryrun)

    async def aio(self, *envs: Any, **kwargs: Any) -> list[Deployment]:
        import asyncio

        return await asyncio.to_thread(self.__call__, *envs, **kwargs)


deploy = _Deploy()


# ------------------------------------------------------------------------------ deploying files (CLI)


def load_for_deploy(path: Path) -> tuple[Path, list[ModuleType]]:
    """Import a file, or every Python file under a directory; return the code root and the modules."""
    import importlib

    from flyte._runtime.loader import load_module

    path = path.resolve()
    if path.is_file():
        if path.suffix != ".py":
            raise errors.DeploymentError(f"{path} is not a Python file; pass a .py file or a directory")
        return path.parent, [load_module(path)]
    if not path.is_dir():
        raise errors.DeploymentError(f"{path} does not exist; pass a Python file or a directory of them")
    root = path
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    modules = []
    for file in sorted(root.rglob("*.py")):
        rel = file.relative_to(root)
        if _skipped(rel):
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
            if not parts:
                continue
        if not all(p.isidentifier() for p in parts):
            continue
        try:
            modules.append(importlib.import_module(".".join(parts)))
        except Exception as e:
            raise errors.ModuleLoadError(f"Importing {file} failed: {type(e).__name__}: {e}") from e
    return root, modules


def environments_in(modules: Iterable[ModuleType], root: Path) -> list[TaskEnvironment]:
    """The task environments that modules under ``root`` hold as globals, in discovery order."""
    from flyte._model.environment import TaskEnvironment

    found: dict[int, TaskEnvironment] = {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, TaskEnvironment) and value.tasks and id(value) not in found:
                found[id(value)] = value
    return list(found.values())


def deploy_path(path: Path, *, version: str | None = None, project: str | None = None, domain: str | None = None, dryrun: bool = False) -> list[Deployment]:
    """What ``flyte deploy FILE_OR_DIR`` does."""
    root, modules = load_for_deploy(path)
    envs = environments_in(modules, root)
    if not envs:
        raise errors.DeploymentError(f"{path} defines no flyte.TaskEnvironment with tasks; nothing to deploy")
    return deploy_environments(envs, version=version, dryrun=dryrun, project=project, domain=domain, root=root)
