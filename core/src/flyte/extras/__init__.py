"""Task types that live in plugin packages, under the names the docs use (``flyte.extras.ContainerTask``).

Nothing is imported until a name is used; a name whose package is not installed fails with an
``ImportError`` that says which package to install.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> (module that defines it, distribution that provides it)
_KNOWN: dict[str, tuple[str, str]] = {
    "ContainerTask": ("flyteplugins.container", "flyteplugins-container"),
}

__all__ = sorted(_KNOWN)


def __getattr__(name: str) -> Any:
    known = _KNOWN.get(name)
    if known is None:
        raise AttributeError(f"module 'flyte.extras' has no attribute {name!r}; it provides: {', '.join(__all__)}")
    module, dist = known
    try:
        value = getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as e:
        if e.name is None or not module.startswith(e.name):
            raise  # the plugin is installed but something it needs is not: keep the real error
        raise ImportError(
            f"flyte.extras.{name} is provided by the `{dist}` package, which is not installed; "
            f"install it with `pip install {dist}`",
            name=module,
        ) from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from flyteplugins.container import ContainerTask as ContainerTask
