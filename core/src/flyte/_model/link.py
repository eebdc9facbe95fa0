"""Links shown next to a task's executions (dashboards, experiment trackers, logs).

``Link`` is a ``typing.Protocol``: subclass it as a dataclass and implement ``get_link``::

    @dataclass
    class GrafanaLink(Link):
        dashboard_url: str
        name: str = "Grafana"

        def get_link(self, run_name, project, domain, context, parent_action_name, action_name, pod_name, **kwargs):
            return f"{self.dashboard_url}?var-pod={pod_name}"

Locally, links are rendered when an action is submitted, with the real run and action names and
``pod_name="localhost"``, and journaled as ``(name, url)`` pairs (see :func:`render_links`).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any, Optional, Protocol, runtime_checkable

__all__ = ["Link", "LinkRenderError", "is_link", "render_links"]


@runtime_checkable
class Link(Protocol):
    """The shape of a task link: a display ``name``, an optional ``icon_uri`` and ``get_link``."""

    name: str
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
        """Return the URL for one execution.

        Args:
            run_name: The run's name.
            project: The project the run belongs to.
            domain: The domain the run belongs to.
            context: The run's custom context (``flyte.with_runcontext(custom_context=...)``).
            parent_action_name: The name of the action that called this task.
            action_name: This action's name (remotely a ``{{.actionName}}`` template).
            pod_name: The pod running the action (remotely ``{{.podName}}``; locally ``"localhost"``).
            **kwargs: Room for future metadata; implementations should accept and ignore it.
        """
        ...


class LinkRenderError(RuntimeError):
    """A link's ``get_link`` raised or returned something other than a string."""


def is_link(value: object) -> bool:
    """Whether ``value`` can be used as a link: a string ``name`` and a callable ``get_link``.

    More lenient than ``isinstance(value, Link)``, which also wants ``icon_uri``.
    """
    return isinstance(getattr(value, "name", None), str) and callable(getattr(value, "get_link", None))


def _label(link: object) -> str:
    name = getattr(link, "name", None)
    kind = type(link).__qualname__
    return f"`{name}` ({kind})" if isinstance(name, str) else f"of type {kind}"


def _accepted(method: Any, arguments: dict[str, Any]) -> dict[str, Any]:
    # Links written against older signatures (e.g. without pod_name or **kwargs) still render.
    try:
        parameters = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):
        return arguments
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return arguments
    names = {
        p.name
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }
    return {key: value for key, value in arguments.items() if key in names}


def render_links(
    links: Any,
    *,
    run_name: str,
    project: str,
    domain: str,
    context: Optional[dict[str, str]] = None,
    parent_action_name: str = "",
    action_name: str = "",
    pod_name: str = "localhost",
    **kwargs: Any,
) -> list[tuple[str, str]]:
    """Call each link's ``get_link`` and return ``(name, url)`` pairs, in order.

    Args:
        links: A link, an iterable of links, or ``None``.
        run_name, project, domain, context, parent_action_name, action_name, pod_name: Passed
            to ``get_link`` (``context`` defaults to ``{}``).
        **kwargs: Extra metadata passed through to ``get_link``.

    Raises:
        TypeError: an element is not a link (no string ``name`` or no ``get_link``).
        LinkRenderError: a ``get_link`` raised, or returned a non-string; the link is named.
    """
    if links is None:
        return []
    single = is_link(links) or isinstance(links, (str, bytes)) or not isinstance(links, Iterable)
    items = [links] if single else list(links)
    rendered: list[tuple[str, str]] = []
    for link in items:
        if not is_link(link):
            raise TypeError(
                f"links: got {type(link).__name__} {link!r}; a link needs a string `name` and a get_link(...) method "
                f"(subclass flyte.Link)"
            )
        arguments = {
            "run_name": run_name,
            "project": project,
            "domain": domain,
            "context": dict(context or {}),
            "parent_action_name": parent_action_name,
            "action_name": action_name,
            "pod_name": pod_name,
            **kwargs,
        }
        try:
            url = link.get_link(**_accepted(link.get_link, arguments))
        except Exception as exc:
            raise LinkRenderError(f"link {_label(link)} failed in get_link: {type(exc).__name__}: {exc}") from exc
        if not isinstance(url, str):
            raise LinkRenderError(
                f"link {_label(link)}: get_link returned {type(url).__name__} {url!r}; it must return the URL as a string"
            )
        rendered.append((link.name, url))
    return rendered
