"""Discovery of type plugins: entry points in group `flyte.plugins.types`.

Each entry point names a zero-argument `register()` callable. Discovery runs once per process,
under a lock, either when `load_type_plugins()` is called (`flyte.init` does) or at the first
type lookup; never on import. `set_plugin_autoload(False)` turns the lookup-time loading off.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib import metadata

logger = logging.getLogger("flyte")

ENTRY_POINT_GROUP = "flyte.plugins.types"
#: Set to 1 to make a broken type plugin an error instead of a warning (test suites run strict).
STRICT_ENV = "FLYTE_STRICT_PLUGINS"

_lock = threading.RLock()
_autoload = True
_loaded = False
_loading = False
_strict_error: RuntimeError | None = None


def load_type_plugins() -> None:
    """Load every installed type plugin now, if that hasn't happened yet (thread-safe, idempotent).

    Raises:
        RuntimeError: In strict mode (`FLYTE_STRICT_PLUGINS=1`), a plugin failed to load.
    """
    global _loaded, _loading, _strict_error
    if not _loaded:
        with _lock:
            if _loading:  # re-entered: a plugin's register() looked a type up
                return
            if not _loaded:  # another thread may have loaded them while we waited
                _loading = True
                try:
                    failures = [failure for failure in map(_load, _entry_points()) if failure is not None]
                finally:
                    _loading = False
                    _loaded = True
                if failures and _strict():
                    problems = "; ".join(problem for problem, _ in failures)
                    _strict_error = RuntimeError(
                        f"Type plugins failed to load (strict mode, {STRICT_ENV} is set): {problems}"
                    )
                    _strict_error.__cause__ = failures[0][1]
    # Strict mode keeps failing: a process with a broken plugin must not quietly carry on.
    if _strict_error is not None:
        raise _strict_error


def set_plugin_autoload(enabled: bool) -> None:
    """Turn loading type plugins at the first type lookup on or off (on by default).

    `flyte.init(load_plugin_type_transformers=False)` calls this with False. While off, no
    plugin is loaded unless `load_type_plugins()` is called explicitly.
    """
    global _autoload
    with _lock:
        if enabled and not _autoload and not _loaded:
            # Types looked up while autoload was off were resolved without the plugins.
            from flyte.types._engine import TypeEngine

            TypeEngine._clear_caches()
        _autoload = enabled


def autoload() -> None:
    """Load plugins if autoload is on and they aren't loaded yet; the engine calls this on lookups."""
    if _autoload and (not _loaded or _strict_error is not None):
        load_type_plugins()


def _entry_points() -> list[metadata.EntryPoint]:
    from importlib import metadata  # costs ~20 ms: only when plugins are actually loaded

    unique: dict[tuple[str, str], metadata.EntryPoint] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        # The same distribution can be visible twice (an editable install plus PYTHONPATH).
        unique.setdefault((ep.name, ep.value), ep)
    return list(unique.values())


def _load(ep: metadata.EntryPoint) -> tuple[str, Exception] | None:
    """Load and call one entry point; on failure log one warning and return what went wrong."""
    try:
        register = ep.load()
        if callable(register):
            register()
        logger.debug("Loaded type plugin `%s` from %s", ep.name, _distribution(ep))
        return None
    except Exception as e:
        problem = (
            f"Type plugin entry point `{ep.name}` ({ep.value}) from distribution {_distribution(ep)} "
            f"failed to load: {type(e).__name__}: {e}"
        )
        if not _strict():
            logger.warning("%s. Its types fall back to pickle; set %s=1 to make this an error.", problem, STRICT_ENV)
        return problem, e


def _distribution(ep: Any) -> str:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "<unknown distribution>"
    return f"{dist.metadata['Name'] or dist.name} {dist.version}"


def _strict() -> bool:
    return os.environ.get(STRICT_ENV, "").strip().lower() in ("1", "true", "yes")
