from dataclasses import dataclass
from typing import Optional

import pytest

import flyte
from flyte import Link
from flyte._model.link import LinkRenderError, is_link, render_links


@dataclass
class GrafanaLink(Link):
    dashboard_url: str
    name: str = "Grafana"

    def get_link(
        self,
        run_name: str,
        project: str,
        domain: str,
        context: dict,
        parent_action_name: str,
        action_name: str,
        pod_name: str,
        **kwargs,
    ) -> str:
        return f"{self.dashboard_url}?var-pod={pod_name}"


@dataclass
class Wandb(Link):
    project: str
    entity: str
    id: Optional[str] = None
    name: str = "Weights & Biases"

    def get_link(
        self,
        run_name: str,
        project: str,
        domain: str,
        context: dict[str, str],
        parent_action_name: str,
        action_name: str,
        pod_name: str,
        **kwargs,
    ) -> str:
        run_id = self.id or context.get("wandb_id", run_name)
        return f"https://wandb.ai/{self.entity}/{self.project}/runs/{run_id}"


RUN = {"run_name": "r1", "project": "default", "domain": "development", "action_name": "a0"}


def test_public_name():
    assert flyte.Link is Link


def test_protocol_is_not_instantiable():
    with pytest.raises(TypeError):
        Link()  # type: ignore[misc]


def test_docs_dataclasses_work():
    grafana = GrafanaLink(dashboard_url="https://grafana.example.com/d/abc123")
    assert grafana.name == "Grafana" and grafana.icon_uri == ""
    assert isinstance(grafana, Link) and is_link(grafana)
    wandb = Wandb(project="my-ml-project", entity="my-team", id="my-run-id")
    assert wandb.name == "Weights & Biases" and isinstance(wandb, Link)
    assert GrafanaLink("u") == GrafanaLink("u")


def test_render_the_docs_links():
    links = (
        GrafanaLink(dashboard_url="https://grafana.example.com/d/abc123"),
        Wandb(project="my-ml-project", entity="my-team", id="my-run-id"),
        Wandb(project="p", entity="e"),
    )
    rendered = render_links(links, context={"wandb_id": "ctx-id"}, pod_name="pod-7", **RUN)
    assert rendered == [
        ("Grafana", "https://grafana.example.com/d/abc123?var-pod=pod-7"),
        ("Weights & Biases", "https://wandb.ai/my-team/my-ml-project/runs/my-run-id"),
        ("Weights & Biases", "https://wandb.ai/e/p/runs/ctx-id"),
    ]
    assert render_links(Wandb(project="p", entity="e"), **RUN) == [("Weights & Biases", "https://wandb.ai/e/p/runs/r1")]
    assert render_links(GrafanaLink("g"), **RUN) == [("Grafana", "g?var-pod=localhost")]
    assert render_links(None, **RUN) == [] and render_links((), **RUN) == []


def test_links_with_older_signatures_still_render():
    class OldStyle:
        name = "old"

        def get_link(self, run_name, project, domain, context, parent_action_name, action_name):
            return f"https://logs/{project}/{run_name}/{action_name}"

    assert render_links([OldStyle()], **RUN) == [("old", "https://logs/default/r1/a0")]


def test_failing_link_is_named():
    @dataclass
    class Broken(Link):
        name: str = "Broken dashboard"

        def get_link(self, run_name, project, domain, context, parent_action_name, action_name, pod_name, **kw):
            raise KeyError("missing")

    with pytest.raises(LinkRenderError, match=r"link `Broken dashboard` \(.*Broken\) failed in get_link: KeyError"):
        render_links([GrafanaLink("ok"), Broken()], **RUN)


def test_non_string_result_is_named():
    @dataclass
    class ReturnsNone(Link):
        name: str = "Nothing"

        def get_link(self, run_name, project, domain, context, parent_action_name, action_name, pod_name, **kw):
            return None

    with pytest.raises(
        LinkRenderError, match="link `Nothing` .* get_link returned NoneType None; it must return the URL"
    ):
        render_links(ReturnsNone(), **RUN)


def test_non_links_are_rejected():
    with pytest.raises(TypeError, match="links: got str 'https://x'; a link needs a string `name`"):
        render_links("https://x", **RUN)
    with pytest.raises(TypeError, match="links: got int 3"):
        render_links([3], **RUN)
    assert not is_link(object())
