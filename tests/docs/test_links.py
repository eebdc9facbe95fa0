"""Page "Links": links rendered with the real run, project, domain, context and action names,
journaled as (name, URL) pairs and shown wherever a run is shown (the run page, `flyte runs
show`, the progress lines of `flyte run`)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import flyte
from flyte import Link
from flyte._runtime.blobstore import local_path
from flyte.models import ActionPhase

from ._support import actions_named, explain, run_cli
from .examples import links_examples

POD = f"{socket.gethostname()}-{os.getpid()}"


def test_grafana_link_of_the_page():
    run = flyte.run(links_examples.my_task)
    assert run.outputs() == "done"
    (action,) = actions_named(run, "my_task")
    assert action.links == [("Grafana", f"https://grafana.example.com/d/abc123?var-pod={POD}")]


@dataclass
class EverythingLink(Link):
    """Puts every argument get_link receives into the URL."""

    name: str = "Everything"

    def get_link(self, run_name, project, domain, context, parent_action_name, action_name, pod_name, **kwargs):
        ctx = ",".join(f"{k}={v}" for k, v in sorted(context.items()))
        return (
            f"https://example.com/{project}/{domain}/{run_name}/{parent_action_name or '-'}/{action_name}"
            f"?pod={pod_name}&ctx={ctx}"
        )


env = flyte.TaskEnvironment(name="links_metadata")


@env.task(links=EverythingLink())
async def leaf(x: int) -> int:
    return x


@env.task
async def parent() -> int:
    with flyte.custom_context(team="vision"):
        return await leaf(1) + await leaf.override(links=(EverythingLink(name="Again"),))(2)


def test_links_get_the_real_run_and_action_names():
    before = flyte.current_project(), flyte.current_domain()
    flyte.init(project="proj", domain="staging")
    try:
        run = flyte.with_runcontext(name="links-run", custom_context={"exp": "e1"}).run(parent)
    finally:
        flyte.init(project=before[0], domain=before[1])
    assert run.outputs() == 3
    (parent_action,) = actions_named(run, "parent")
    first, second = actions_named(run, "leaf")
    assert first.links == [
        (
            "Everything",
            f"https://example.com/proj/staging/links-run/{parent_action.name}/{first.name}?pod={POD}&ctx=exp=e1,team=vision",
        )
    ]
    # override(links=...) replaces the decorator's links for that call.
    assert second.links == [
        (
            "Again",
            f"https://example.com/proj/staging/links-run/{parent_action.name}/{second.name}?pod={POD}&ctx=exp=e1,team=vision",
        )
    ]
    assert parent_action.links == []


def test_override_links_at_call_time_from_the_page():
    run = flyte.run(links_examples.main, wandb_id="my-run-id")
    assert run.outputs() == {"accuracy": 0.95}
    (train,) = actions_named(run, "train_model")
    assert train.links == [("Weights & Biases", "https://wandb.ai/my-team/my-ml-project/runs/my-run-id")]


@env.task(links=links_examples.Wandb(project="p", entity="e"))
async def tracked() -> str:
    return "ok"


def test_metadata_link_reads_the_custom_context_or_falls_back_to_the_run_name():
    with_id = flyte.with_runcontext(name="with-wandb-id", custom_context={"wandb_id": "abc"}).run(tracked)
    assert actions_named(with_id, "tracked")[0].links == [("Weights & Biases", "https://wandb.ai/e/p/runs/abc")]
    without = flyte.with_runcontext(name="without-wandb-id").run(tracked)
    assert actions_named(without, "tracked")[0].links == [
        ("Weights & Biases", "https://wandb.ai/e/p/runs/without-wandb-id")
    ]


def test_links_are_shown_wherever_the_run_is_shown():
    proc = run_cli("run", "--name", "links-cli", "links_examples.py", "my_task")
    assert proc.returncode == 0, explain(proc)
    run = flyte.remote.Run.get("links-cli")
    assert run.phase == ActionPhase.SUCCEEDED
    (action,) = actions_named(run, "my_task")
    ((label, url),) = action.links
    assert url.startswith("https://grafana.example.com/d/abc123?var-pod=")
    # the progress lines of `flyte run` (stderr) name the link when the action starts
    assert f"Grafana: {url}" in proc.stderr
    # flyte runs show
    show = run_cli("runs", "show", "links-cli")
    assert show.returncode == 0, explain(show)
    assert f"link Grafana: {url}" in show.stdout
    # the run page
    page = local_path(run.url).read_text()
    assert f'href="{url}"' in page and ">Grafana</a>" in page
