"""``flyte.init`` and ``flyte.init_from_config``: where runs go and who they belong to.

Locally everything runs on the embedded runtime. A configured endpoint is recorded, and a
one-time warning says that no backend is reachable from this SDK, so runs stay local.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flyte import errors

logger = logging.getLogger("flyte")

CONFIG_SEARCH = (
    Path("config.yaml"),
    Path(".flyte") / "config.yaml",
)


@dataclass(frozen=True)
class InitConfig:
    """What ``flyte.init`` settled on."""

    project: str = "default"
    domain: str = "development"
    org: str | None = None
    endpoint: str | None = None
    root_dir: Path | None = None
    config_file: Path | None = None


_config = InitConfig()
_initialized = False
_endpoint_warned = threading.Event()


def current_config() -> InitConfig:
    return _config


def is_initialized() -> bool:
    return _initialized


def current_project() -> str:
    return _config.project


def current_domain() -> str:
    return _config.domain


def init(
    org: str | None = None,
    project: str | None = None,
    domain: str | None = None,
    root_dir: str | Path | None = None,
    log_level: int | str | None = None,
    endpoint: str | None = None,
    api_key: str | None = None,
    load_plugin_type_transformers: bool = True,
    **kwargs: Any,
) -> None:
    """Initialise Flyte for this process; safe to call again (the last call wins).

    Args:
        org: Organisation, recorded with runs.
        project: Project runs belong to (default ``default``).
        domain: Domain runs belong to (default ``development``).
        root_dir: Directory added to ``sys.path`` so task modules import as they do on a cluster.
        log_level: Level of the ``flyte`` logger.
        endpoint: A backend endpoint. No backend is reachable from this SDK: runs stay local and
            a warning says so once.
        api_key: Same as ``endpoint``.
        load_plugin_type_transformers: Discover type plugins (entry points in
            ``flyte.plugins.types``) automatically; ``False`` turns discovery off entirely.
        **kwargs: Other upstream options (auth, images, storage, ...); accepted and recorded,
            without local effect.
    """
    global _config, _initialized
    from flyte import types

    if log_level is not None:
        logging.getLogger("flyte").setLevel(log_level)
    if (endpoint or api_key) and not _endpoint_warned.is_set():
        _endpoint_warned.set()
        logger.warning(
            "flyte.init(endpoint=%s): no Flyte backend is reachable from this SDK; runs execute locally on the "
            "embedded runtime, recorded under %s",
            endpoint or "<from api key>",
            os.environ.get("FLYTE_HOME") or "~/.flyte",
        )
    if kwargs:
        logger.debug("flyte.init options without local effect: %s", ", ".join(sorted(kwargs)))
    root = Path(root_dir).resolve() if root_dir else None
    if root is not None and str(root) not in sys.path:
        sys.path.append(str(root))
    _config = replace(
        _config,
        org=org if org is not None else _config.org,
        project=project or _config.project,
        domain=domain or _config.domain,
        endpoint=endpoint,
        root_dir=root,
    )
    types.set_plugin_autoload(load_plugin_type_transformers)
    if load_plugin_type_transformers:
        types.load_type_plugins()
    _initialized = True


def _find_config() -> Path | None:
    candidates = [*CONFIG_SEARCH]
    git_root = _git_root(Path.cwd())
    if git_root is not None:
        candidates.append(git_root / ".flyte" / "config.yaml")
    for var in ("FLYTECTL_CONFIG", "UCTL_CONFIG"):
        if os.environ.get(var):
            candidates.append(Path(os.environ[var]))
    candidates += [Path.home() / ".union" / "config.yaml", Path.home() / ".flyte" / "config.yaml"]
    return next((p for p in candidates if p.is_file()), None)


def _git_root(start: Path) -> Path | None:
    for p in (start, *start.parents):
        if (p / ".git").exists():
            return p
    return None


def init_from_config(
    path_or_config: str | Path | None = None,
    root_dir: str | Path | None = None,
    log_level: int | str | None = None,
    project: str | None = None,
    domain: str | None = None,
    org: str | None = None,
    **kwargs: Any,
) -> None:
    """Initialise from a config file; with none found, initialise for local runs (no error).

    An explicit ``path_or_config`` that does not exist is an error. The file is YAML as the
    upstream CLI writes it: ``admin.endpoint`` and ``task.org/project/domain`` are read.
    """
    global _config
    path = Path(path_or_config).expanduser() if path_or_config else _find_config()
    if path_or_config and not path.is_file():  # type: ignore[union-attr]
        raise errors.InitializationError(
            "ConfigFileNotFoundError", "user", f"Config file {path} does not exist; pass an existing path or None"
        )
    settings: dict[str, Any] = {}
    if path is not None:
        settings = _read_config(path)
    task = settings.get("task") or {}
    admin = settings.get("admin") or {}
    init(
        org=org or task.get("org"),
        project=project or task.get("project"),
        domain=domain or task.get("domain"),
        root_dir=root_dir,
        log_level=log_level,
        endpoint=admin.get("endpoint"),
        **kwargs,
    )
    _config = replace(_config, config_file=path)


def _read_config(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as e:
        raise errors.InitializationError("ConfigFileError", "user", f"Cannot read config file {path}: {e}") from e
    if not isinstance(data, dict):
        raise errors.InitializationError("ConfigFileError", "user", f"Config file {path} must hold a mapping")
    return data
