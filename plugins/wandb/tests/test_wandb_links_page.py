"""Page "Links" (seed 002): its two Weights & Biases examples, run through flyte.run.

The links are read back from the journal (``run.actions()[i].links``), where the core stores
what it rendered when each action started, with the real run and action names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import flyte
from flyte import Link
from flyteplugins.wandb import Wandb


def links_of(run, short_name: str) -> list[list[tuple[str, str]]]:
    return [a.links for a in run.actions() if a.short_name == short_name]


# --------------------------------------------------------------- "Using execution metadata"
# The page's example, as written there: "modeled on the built-in Wandb link".
@dataclass
class PageWandb(Link):
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


metadata_env = flyte.TaskEnvironment("links-metadata")


@metadata_env.task(links=(Wandb(project="my-ml-project", entity="my-team"),))
async def tracked() -> str:
    return flyte.ctx().action.run_name


@metadata_env.task(
    links=(Wandb(project="my-ml-project", entity="my-team"), PageWandb(project="my-ml-project", entity="my-team"))
)
async def tracked_twice() -> str:
    return "done"


@metadata_env.task
async def calls_tracked() -> str:
    return await tracked()


def test_execution_metadata_example_uses_the_real_run_name():
    run = flyte.run(tracked)
    assert run.outputs() == run.name  # the name the task saw is the run's
    [links] = links_of(run, "tracked")
    assert links == [("Weights & Biases", f"https://wandb.ai/my-team/my-ml-project/runs/{run.name}")]


def test_execution_metadata_example_uses_wandb_id_from_the_custom_context():
    run = flyte.with_runcontext(custom_context={"wandb_id": "exp-42"}).run(tracked)
    [links] = links_of(run, "tracked")
    assert links == [("Weights & Biases", "https://wandb.ai/my-team/my-ml-project/runs/exp-42")]


def test_the_plugin_link_renders_what_the_pages_link_renders():
    for context in ({}, {"wandb_id": "exp-42"}):
        run = flyte.with_runcontext(custom_context=context).run(tracked_twice)
        [[ours, page]] = links_of(run, "tracked_twice")
        assert ours == page
        assert ours[1] == f"https://wandb.ai/my-team/my-ml-project/runs/{context.get('wandb_id', run.name)}"


def test_a_child_link_gets_the_run_name_of_its_run():
    run = flyte.with_runcontext(name="links-page-parent-run").run(calls_tracked)
    [links] = links_of(run, "tracked")
    assert links == [("Weights & Biases", "https://wandb.ai/my-team/my-ml-project/runs/links-page-parent-run")]
    assert links_of(run, "calls_tracked") == [[]]


# -------------------------------------------------------------- "Dynamic links with override"
# The page's program, with its `flyte.TaskEnvironment(...)` given a name.
override_env = flyte.TaskEnvironment("links-override")

WANDB_PROJECT = "my-ml-project"
WANDB_ENTITY = "my-team"


@override_env.task
def train_model(config: dict) -> dict:
    # Training logic here
    return {"accuracy": 0.95}


@override_env.task
async def main(wandb_id: str) -> dict:
    result = train_model.override(
        links=(
            Wandb(
                project=WANDB_PROJECT,
                entity=WANDB_ENTITY,
                id=wandb_id,
            ),
        )
    )(config={"lr": 0.001})

    return result


def test_dynamic_links_with_override():
    run = flyte.run(main, wandb_id="my-run-id")
    assert run.outputs() == {"accuracy": 0.95}
    assert links_of(run, "train_model") == [[("Weights & Biases", "https://wandb.ai/my-team/my-ml-project/runs/my-run-id")]]
    assert links_of(run, "main") == [[]]
    # the task itself is unchanged: a direct call has no link
    assert train_model.links == ()


def test_dynamic_link_ids_are_escaped():
    run = flyte.run(main, wandb_id="run #7 (lr=1e-3)")
    [[(_, url)]] = links_of(run, "train_model")
    assert url == "https://wandb.ai/my-team/my-ml-project/runs/run%20%237%20%28lr%3D1e-3%29"
