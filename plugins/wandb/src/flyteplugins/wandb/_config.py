"""Weights & Biases settings carried by the custom context (``wandb_<setting>`` keys)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Optional

import flyte
from flyteplugins.wandb._link import RUN_MODES

PREFIX = "wandb_"
# Upstream sweep settings share the prefix; they are not wandb.init arguments.
_SWEEP_PREFIX = "wandb_sweep_"
# Stored as plain text, so a value written by hand (`custom_context={"wandb_id": "123"}`) stays a string.
_TEXT = ("project", "entity", "host", "id", "name", "mode", "group", "run_mode", "rank_scope")
# Stored as JSON.
_JSON = ("tags", "config", "download_logs")
# Settings of this plugin (the link, the run mode), not arguments of wandb.init.
NOT_INIT_ARGUMENTS = frozenset({"host", "run_mode", "rank_scope", "download_logs"})


class WandbConfig(dict[str, str]):
    """Weights & Biases settings as custom-context entries: ``wandb_<setting>`` to text.

    It is a ``dict[str, str]``, so it goes wherever custom context goes::

        flyte.with_runcontext(custom_context=wandb_config(project="p", entity="e")).run(main)
        with flyte.custom_context(**wandb_config(tags=["eval"])):
            await evaluate()

    and it is a context manager doing the latter (``with wandb_config(tags=["eval"]):``). The
    properties read the settings back as Python values.
    """

    @classmethod
    def from_context(cls, context: Mapping[str, str]) -> WandbConfig:
        """The ``wandb_*`` entries of a custom context (upstream ``wandb_sweep_*`` keys left out)."""
        return cls(
            {k: v for k, v in context.items() if k.startswith(PREFIX) and not k.startswith(_SWEEP_PREFIX)}
        )

    def _text(self, setting: str) -> Optional[str]:
        return self.get(PREFIX + setting) or None

    def _json(self, setting: str) -> Any:
        key = PREFIX + setting
        if key not in self:
            return None
        try:
            return json.loads(self[key])
        except ValueError as e:
            raise ValueError(
                f"custom context `{key}` is {self[key]!r:.80}, which is not JSON ({e}); "
                f"set it with flyteplugins.wandb.wandb_config({setting}=...)"
            ) from None

    @property
    def project(self) -> Optional[str]:
        return self._text("project")

    @property
    def entity(self) -> Optional[str]:
        return self._text("entity")

    @property
    def host(self) -> Optional[str]:
        return self._text("host")

    @property
    def id(self) -> Optional[str]:
        return self._text("id")

    @property
    def name(self) -> Optional[str]:
        return self._text("name")

    @property
    def mode(self) -> Optional[str]:
        return self._text("mode")

    @property
    def group(self) -> Optional[str]:
        return self._text("group")

    @property
    def run_mode(self) -> Optional[str]:
        return self._text("run_mode")

    @property
    def tags(self) -> Optional[list[str]]:
        return self._json("tags")

    @property
    def config(self) -> Optional[dict[str, Any]]:
        return self._json("config")

    def init_kwargs(self) -> dict[str, Any]:
        """The settings that are ``wandb.init`` arguments, as Python values.

        Keys other than the named settings (``wandb_notes``, ``wandb_job_type``, ...) are JSON as
        :func:`wandb_config` writes them; text that is not JSON is taken as a string.
        """
        kwargs: dict[str, Any] = {}
        for key, text in self.items():
            setting = key[len(PREFIX) :]
            if setting in NOT_INIT_ARGUMENTS or not setting:
                continue
            if setting in _TEXT:
                if text:
                    kwargs[setting] = text
            elif setting in _JSON:
                kwargs[setting] = self._json(setting)
            else:
                try:
                    kwargs[setting] = json.loads(text)
                except ValueError:
                    kwargs[setting] = text
        return kwargs

    # ------------------------------------------------------------------ `with wandb_config(...):`
    def __enter__(self) -> WandbConfig:
        scope = flyte.custom_context(**self)
        scope.__enter__()
        vars(self).setdefault("_scopes", []).append(scope)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        vars(self)["_scopes"].pop().__exit__(*exc_info)


def wandb_config(
    project: Optional[str] = None,
    entity: Optional[str] = None,
    host: Optional[str] = None,
    id: Optional[str] = None,
    name: Optional[str] = None,
    tags: Optional[Sequence[str]] = None,
    config: Optional[Mapping[str, Any]] = None,
    mode: Optional[str] = None,
    group: Optional[str] = None,
    run_mode: Optional[str] = None,
    rank_scope: Optional[str] = None,
    download_logs: Optional[bool] = None,
    **kwargs: Any,
) -> WandbConfig:
    """Weights & Biases settings for the custom context; settings left ``None`` are not set.

    Args:
        project: The wandb project (links and ``wandb.init``).
        entity: The wandb entity, a user or team (links and ``wandb.init``).
        host: The wandb server the links point to; default ``https://wandb.ai``. The SDK's own
            server is configured the wandb way (``WANDB_BASE_URL`` or ``wandb login --host``).
        id: The wandb run id; the ``Wandb`` link uses it too.
        name, tags, config, mode, group: ``wandb.init`` arguments (``mode="offline"`` runs
            without a network; ``config`` must be JSON-serializable).
        run_mode: How ``@wandb_init`` tasks pick their run: ``"auto"``, ``"new"`` or ``"shared"``.
        rank_scope, download_logs: Accepted for programs written for the upstream plugin;
            distributed training and log download are not part of this plugin and ignore them.
        **kwargs: Further ``wandb.init`` arguments (``notes=``, ``job_type=``, ...), JSON-serializable.

    Returns:
        A :class:`WandbConfig` (a ``dict[str, str]`` of ``wandb_<setting>`` keys).

    Raises:
        TypeError: a setting has the wrong type.
        ValueError: ``run_mode`` is unknown, or a value is not JSON-serializable.
    """
    entries: dict[str, str] = {}
    texts = {
        "project": project,
        "entity": entity,
        "host": host,
        "id": id,
        "name": name,
        "mode": mode,
        "group": group,
        "run_mode": run_mode,
        "rank_scope": rank_scope,
    }
    for setting, value in texts.items():
        if value is None:
            continue
        if not isinstance(value, str):
            raise TypeError(f"wandb_config({setting}=...): expected a string, got {type(value).__name__} {value!r:.60}")
        entries[PREFIX + setting] = value
    if run_mode is not None and run_mode not in RUN_MODES:
        raise ValueError(f"wandb_config(run_mode={run_mode!r}): use one of {', '.join(map(repr, RUN_MODES))}")
    if tags is not None:
        if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
            raise TypeError(f"wandb_config(tags={tags!r:.60}): expected a list of strings, e.g. tags=['baseline']")
        entries[PREFIX + "tags"] = json.dumps(list(tags))
    if config is not None:
        if not isinstance(config, Mapping):
            raise TypeError(f"wandb_config(config=...): expected a dict, got {type(config).__name__} {config!r:.60}")
        entries[PREFIX + "config"] = _to_json("config", dict(config))
    if download_logs is not None:
        entries[PREFIX + "download_logs"] = _to_json("download_logs", download_logs)
    for setting, value in kwargs.items():
        if value is not None:
            entries[PREFIX + setting] = _to_json(setting, value)
    return WandbConfig(entries)


def _to_json(setting: str, value: Any) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as e:
        raise ValueError(
            f"wandb_config({setting}=...): the custom context holds strings, so the value must be "
            f"JSON-serializable; {value!r:.80} is not ({e})"
        ) from None


def get_wandb_context() -> Optional[WandbConfig]:
    """The Weights & Biases settings of the running task's custom context; ``None`` when it has none."""
    found = WandbConfig.from_context(flyte.get_custom_context())
    return found or None
