"""Flyte 2, local first: write tasks as plain Python and run them on the embedded runtime.

Every public name is loaded on first use, so ``import flyte`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from flyte._version import __version__

# public name -> module that defines it
_LAZY: dict[str, str] = {
    # task model
    "TaskEnvironment": "flyte._model.environment",
    "Environment": "flyte._model.environment",
    "TaskTemplate": "flyte._model.task",
    "Resources": "flyte._model.resources",
    "Device": "flyte._model.resources",
    "GPU": "flyte._model.resources",
    "TPU": "flyte._model.resources",
    "Neuron": "flyte._model.resources",
    "AMD_GPU": "flyte._model.resources",
    "HABANA_GAUDI": "flyte._model.resources",
    "Image": "flyte._model.image",
    "Cache": "flyte._model.cache",
    "CachePolicy": "flyte._model.cache",
    "RetryStrategy": "flyte._model.retry",
    "Backoff": "flyte._model.retry",
    "Timeout": "flyte._model.timeout",
    "Secret": "flyte._model.secret",
    "SecretRequest": "flyte._model.secret",
    "PodTemplate": "flyte._model.platform",
    "ReusePolicy": "flyte._model.platform",
    "Trigger": "flyte._model.platform",
    "Cron": "flyte._model.platform",
    "FixedRate": "flyte._model.platform",
    "Documentation": "flyte._model.platform",
    "TriggerTime": "flyte._model.platform",
    "Link": "flyte._model.link",
    # offloaded data
    "File": "flyte.io",
    "Dir": "flyte.io",
    "Directory": "flyte.io",
    "DataFrame": "flyte.io",
    # running
    "init": "flyte._runtime.init",
    "init_from_config": "flyte._runtime.init",
    "current_project": "flyte._runtime.init",
    "current_domain": "flyte._runtime.init",
    "run": "flyte._runtime.run",
    "with_runcontext": "flyte._runtime.run",
    "Run": "flyte._runtime.run",
    "map": "flyte._runtime.map",
    "trace": "flyte._runtime.trace",
    "rerun": "flyte._runtime.run",
    "deploy": "flyte._runtime.deploy",
    "group": "flyte._runtime.context",
    "ctx": "flyte._runtime.context",
    "custom_context": "flyte._runtime.context",
    "get_custom_context": "flyte._runtime.context",
}

_SUBMODULES = {"errors", "models", "types", "extend", "remote", "io", "report"}

__all__ = sorted({*_LAZY, "__version__", "logger"})


def __getattr__(name: str) -> Any:
    if name == "logger":
        import logging

        globals()["logger"] = value = logging.getLogger("flyte")
        return value
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"flyte.{name}")
    raise AttributeError(f"module 'flyte' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBMODULES, "logger"})


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    import logging

    logger: logging.Logger
    from flyte._model.cache import Cache, CachePolicy
    from flyte._model.environment import Environment, TaskEnvironment
    from flyte._model.image import Image
    from flyte._model.link import Link
    from flyte._model.platform import Cron, Documentation, FixedRate, PodTemplate, ReusePolicy, Trigger
    from flyte._model.resources import AMD_GPU, GPU, HABANA_GAUDI, TPU, Device, Neuron, Resources
    from flyte._model.retry import Backoff, RetryStrategy
    from flyte._model.secret import Secret, SecretRequest
    from flyte._model.task import TaskTemplate
    from flyte._model.timeout import Timeout
    from flyte._runtime.context import ctx, custom_context, get_custom_context, group
    from flyte._runtime.init import current_domain, current_project, init, init_from_config
    from flyte._runtime.map import map
    from flyte._runtime.run import Run, rerun, run, with_runcontext
    from flyte._runtime.trace import trace
