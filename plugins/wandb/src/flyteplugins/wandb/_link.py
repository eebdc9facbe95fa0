"""The ``Wandb`` link, and the rules that name the wandb run of an action.

The rules live here, beside the link, because ``@wandb_init`` and the link it attaches must agree
on the run id without talking to each other: the link is rendered when the action starts, the
run is opened inside it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Optional
from urllib.parse import quote

import flyte

DEFAULT_HOST = "https://wandb.ai"

#: Custom-context key with the id of the wandb run the calling task logs to (set by ``@wandb_init``
#: for everything its task calls).
RUN_ID_KEY = "_wandb_run_id"

RunMode = Literal["auto", "new", "shared"]
RUN_MODES: tuple[str, ...] = ("auto", "new", "shared")

# wandb refuses run ids with any of :;,#?/' ; whitespace, backslashes and % only make URLs awkward.
_NOT_IN_GENERATED_IDS = re.compile(r"[:;,#?/'\\%\s]")
_NOT_IN_RUN_IDS = frozenset(":;,#?/'")


def default_run_id(run_name: str, action_name: str) -> str:
    """The wandb run id ``@wandb_init`` gives an action: ``{run_name}-{action_name}``.

    Characters wandb refuses in run ids (and whitespace, ``\\`` and ``%``) become ``-``.
    """
    return _NOT_IN_GENERATED_IDS.sub("-", f"{run_name}-{action_name}")


def invalid_run_id_characters(run_id: str) -> str:
    """The characters of ``run_id`` that wandb refuses in a run id, in order; empty when valid."""
    return "".join(sorted({c for c in run_id if c in _NOT_IN_RUN_IDS}, key=run_id.index))


def task_run_id(
    mode: str, explicit_id: Optional[str], context: Mapping[str, str], run_name: str, action_name: str
) -> Optional[str]:
    """The id of the wandb run a ``@wandb_init`` task logs to.

    Args:
        mode: ``"auto"``: the caller's run when it has one, else a new run. ``"shared"``: the
            caller's run. ``"new"``: a run of its own.
        explicit_id: The id given to ``@wandb_init(id=...)``.
        context: The custom context the action starts with.
        run_name: The Flyte run's name.
        action_name: The action's name.

    Returns:
        The caller's run id (``context["_wandb_run_id"]``) when sharing; for a new run the explicit
        id, else ``context["wandb_id"]``, else :func:`default_run_id`. ``None`` in mode ``"shared"``
        when the caller has no run.
    """
    parent = context.get(RUN_ID_KEY) or None
    if mode == "shared" or (mode == "auto" and parent):
        return parent
    user_id = explicit_id or context.get("wandb_id") or None
    if not explicit_id and user_id is not None and user_id == parent:
        # The inherited `wandb_id` names the caller's run; a new run needs an id of its own.
        user_id = None
    return user_id or default_run_id(run_name, action_name)


def _base_url(host: Optional[str]) -> str:
    base = (host or DEFAULT_HOST).strip().rstrip("/")
    return base if "://" in base else f"https://{base}"


def run_url(host: Optional[str], entity: Optional[str], project: Optional[str], run_id: Optional[str]) -> str:
    """``{host}/{entity}/{project}/runs/{run_id}``, each name escaped as one URL path segment.

    Without an entity or a project there is no run page to point at: the host's start page is
    returned. Without a run id, the project page. A host without a scheme gets ``https://``.
    """
    base = _base_url(host)
    if not entity or not project:
        return base
    project_url = f"{base}/{quote(entity, safe='')}/{quote(project, safe='')}"
    return f"{project_url}/runs/{quote(run_id, safe='')}" if run_id else project_url


@dataclass
class Wandb(flyte.Link):
    """A link to a Weights & Biases run, shown with every execution of the task.

    The run id is ``id``, else the custom context's ``wandb_id``, else the Flyte run's name (the
    rule of the Links page). ``project``, ``entity`` and ``host`` default to the custom context's
    ``wandb_project``, ``wandb_entity`` and ``wandb_host`` (see :func:`wandb_config`), and the host
    to ``https://wandb.ai``. Each name is URL-escaped.

    Example::

        @env.task(links=(Wandb(project="my-ml-project", entity="my-team"),))
        def train(config: dict) -> dict: ...

        train.override(links=(Wandb(project="my-ml-project", entity="my-team", id=wandb_id),))(config=cfg)

    Tasks decorated with :func:`wandb_init` get a link of their own, pointing at the run the
    decorator opens.
    """

    project: Optional[str] = None
    entity: Optional[str] = None
    id: Optional[str] = None
    host: Optional[str] = None
    name: str = "Weights & Biases"
    icon_uri: str = ""

    def get_link(
        self,
        run_name: str,
        project: str,
        domain: str,
        context: dict[str, str],
        parent_action_name: str,
        action_name: str,
        pod_name: str,
        **kwargs: Any,
    ) -> str:
        """The run's URL for one execution (``project`` and ``domain`` are Flyte's, unused here)."""
        context = context or {}
        return self._url(context, self.id or context.get("wandb_id") or run_name)

    def _url(self, context: Mapping[str, str], run_id: Optional[str]) -> str:
        return run_url(
            self.host or context.get("wandb_host"),
            self.entity or context.get("wandb_entity"),
            self.project or context.get("wandb_project"),
            run_id,
        )


@dataclass
class WandbInitLink(Wandb):
    """The link ``@wandb_init`` attaches: the wandb run the decorator opens for the action.

    ``run_mode`` is the decorator's; when ``None``, the custom context's ``wandb_run_mode``, else
    ``"auto"`` (see :func:`task_run_id`).
    """

    run_mode: Optional[str] = None

    def get_link(
        self,
        run_name: str,
        project: str,
        domain: str,
        context: dict[str, str],
        parent_action_name: str,
        action_name: str,
        pod_name: str,
        **kwargs: Any,
    ) -> str:
        context = context or {}
        mode = self.run_mode or context.get("wandb_run_mode") or "auto"
        return self._url(context, task_run_id(mode, self.id, context, run_name, action_name))
