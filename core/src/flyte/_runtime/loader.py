"""Loading task modules from files (``flyte run FILE TASK``, reruns of a run's source file)."""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

_fresh = itertools.count()


def load_module(path: Path, fresh: bool = False) -> ModuleType:
    """Import ``path`` as a module; ``fresh`` imports it anew under a unique name (sees edits)."""
    path = Path(path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"{path} is not a file; pass the Python file that defines the task")
    directory = str(path.parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    if fresh:
        digest = hashlib.sha256(str(path).encode()).hexdigest()[:8]
        name = f"_flyte_loaded_{path.stem}_{digest}_{next(_fresh)}"
    else:
        name = path.stem if path.stem.isidentifier() else "flyte_user_module"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def tasks_in(module: ModuleType) -> dict[str, Any]:
    """The tasks a module defines, by attribute name."""
    from flyte._model.task import TaskTemplate

    return {k: v for k, v in vars(module).items() if isinstance(v, TaskTemplate)}


def find_task(module: ModuleType, name: str) -> Any:
    """A module's task by attribute name or by full task name (``env.func``); ``None`` if absent."""
    tasks = tasks_in(module)
    if name in tasks:
        return tasks[name]
    return next((t for t in tasks.values() if t.name == name), None)
