"""The Wandb link's URL: each way the run id, project, entity and host are resolved, and escaping."""

from __future__ import annotations

import pytest

import flyte
from flyteplugins.wandb import Wandb
from flyteplugins.wandb._link import WandbInitLink, default_run_id, run_url


def render(link, context=None, run_name="train-20250101-000000-abc123", action_name="a0123456789abcdef"):
    """Render the way the core does: through flyte.Link's signature, with keyword arguments."""
    return link.get_link(
        run_name=run_name,
        project="flyte-project",
        domain="development",
        context=context if context is not None else {},
        parent_action_name="a-parent",
        action_name=action_name,
        pod_name="localhost",
    )


def test_is_a_flyte_link_named_weights_and_biases():
    link = Wandb(project="p", entity="e")
    assert isinstance(link, flyte.Link)
    assert link.name == "Weights & Biases"
    assert link.icon_uri == ""
    assert Wandb(project="p", entity="e", name="Training run").name == "Training run"


# ---------------------------------------------------------------------------------------- run id
def test_run_id_from_the_instance_wins_over_the_context_and_the_run_name():
    link = Wandb(project="p", entity="e", id="my-run-id")
    assert render(link, {"wandb_id": "from-context"}) == "https://wandb.ai/e/p/runs/my-run-id"


def test_run_id_from_the_custom_context_when_the_instance_has_none():
    assert render(Wandb(project="p", entity="e"), {"wandb_id": "ctx-id"}) == "https://wandb.ai/e/p/runs/ctx-id"


def test_run_id_falls_back_to_the_flyte_run_name():
    link = Wandb(project="p", entity="e")
    assert render(link, run_name="my-flyte-run") == "https://wandb.ai/e/p/runs/my-flyte-run"
    # an empty wandb_id is no id
    assert render(link, {"wandb_id": ""}, run_name="my-flyte-run") == "https://wandb.ai/e/p/runs/my-flyte-run"


# ------------------------------------------------------------------------------ project / entity
def test_project_and_entity_from_the_instance_win_over_the_context():
    link = Wandb(project="p", entity="e", id="r")
    context = {"wandb_project": "ctx-p", "wandb_entity": "ctx-e"}
    assert render(link, context) == "https://wandb.ai/e/p/runs/r"


def test_project_and_entity_from_the_custom_context():
    context = {"wandb_project": "ctx-p", "wandb_entity": "ctx-e"}
    assert render(Wandb(id="r"), context) == "https://wandb.ai/ctx-e/ctx-p/runs/r"
    # one from each place
    assert render(Wandb(project="p", id="r"), {"wandb_entity": "ctx-e"}) == "https://wandb.ai/ctx-e/p/runs/r"
    assert render(Wandb(entity="e", id="r"), {"wandb_project": "ctx-p"}) == "https://wandb.ai/e/ctx-p/runs/r"


@pytest.mark.parametrize(
    "link, context",
    [(Wandb(entity="e", id="r"), {}), (Wandb(project="p", id="r"), {}), (Wandb(id="r"), {"wandb_host": "wandb.example.com"})],
    ids=["no-project", "no-entity", "neither"],
)
def test_without_project_or_entity_the_link_is_the_host(link, context):
    expected = "https://wandb.example.com" if context else "https://wandb.ai"
    assert render(link, context) == expected


# ------------------------------------------------------------------------------------------ host
def test_host_defaults_to_wandb_ai():
    assert render(Wandb(project="p", entity="e", id="r")).startswith("https://wandb.ai/e/")


def test_host_from_the_instance_wins_over_the_context():
    link = Wandb(project="p", entity="e", id="r", host="https://wandb.mycorp.internal")
    url = render(link, {"wandb_host": "https://other.example.com"})
    assert url == "https://wandb.mycorp.internal/e/p/runs/r"


def test_host_from_the_custom_context():
    url = render(Wandb(project="p", entity="e", id="r"), {"wandb_host": "https://wandb.example.com"})
    assert url == "https://wandb.example.com/e/p/runs/r"


@pytest.mark.parametrize(
    "host, base",
    [
        ("https://wandb.example.com/", "https://wandb.example.com"),
        ("wandb.example.com", "https://wandb.example.com"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("https://example.com/wandb/", "https://example.com/wandb"),
    ],
)
def test_host_is_normalised(host, base):
    assert render(Wandb(project="p", entity="e", id="r", host=host)) == f"{base}/e/p/runs/r"


# ------------------------------------------------------------------------------------- escaping
@pytest.mark.parametrize(
    "entity, project, run_id, path",
    [
        ("my team", "ML project", "run 1", "my%20team/ML%20project/runs/run%201"),
        ("a/b", "p?x=1", "id#frag", "a%2Fb/p%3Fx%3D1/runs/id%23frag"),
        ("r&d", "100%", "x+y", "r%26d/100%25/runs/x%2By"),
        ("équipe", "проект", "実験", "%C3%A9quipe/%D0%BF%D1%80%D0%BE%D0%B5%D0%BA%D1%82/runs/%E5%AE%9F%E9%A8%93"),
    ],
)
def test_each_name_is_escaped_as_one_path_segment(entity, project, run_id, path):
    assert render(Wandb(project=project, entity=entity, id=run_id)) == f"https://wandb.ai/{path}"


def test_values_from_the_context_and_the_run_name_are_escaped_too():
    context = {"wandb_project": "p q", "wandb_entity": "e/f"}
    assert render(Wandb(), context, run_name="run #1") == "https://wandb.ai/e%2Ff/p%20q/runs/run%20%231"
    assert render(Wandb(), {**context, "wandb_id": "a?b"}) == "https://wandb.ai/e%2Ff/p%20q/runs/a%3Fb"


def test_run_url_without_a_run_id_is_the_project_page():
    assert run_url(None, "e", "p q", None) == "https://wandb.ai/e/p%20q"


# ----------------------------------------------------------------- the link @wandb_init attaches
RUN, ACTION = "train-20250101-000000-abc123", "a0123456789abcdef"


def test_init_link_names_the_run_after_the_flyte_run_and_action():
    url = render(WandbInitLink(project="p", entity="e"), run_name=RUN, action_name=ACTION)
    assert url == f"https://wandb.ai/e/p/runs/{RUN}-{ACTION}"


def test_init_link_takes_an_explicit_id_then_the_context_id():
    assert render(WandbInitLink(project="p", entity="e", id="mine"), {"wandb_id": "ctx"}).endswith("/runs/mine")
    assert render(WandbInitLink(project="p", entity="e"), {"wandb_id": "ctx"}).endswith("/runs/ctx")


def test_init_link_in_auto_mode_points_at_the_callers_run():
    context = {"_wandb_run_id": "parent-run"}
    assert render(WandbInitLink(project="p", entity="e"), context).endswith("/runs/parent-run")
    assert render(WandbInitLink(project="p", entity="e", run_mode="shared"), context).endswith("/runs/parent-run")
    # the run mode can come from the custom context
    context_new = {**context, "wandb_run_mode": "new"}
    url = render(WandbInitLink(project="p", entity="e"), context_new, run_name=RUN, action_name=ACTION)
    assert url.endswith(f"/runs/{RUN}-{ACTION}")


def test_init_link_in_new_mode_does_not_reuse_the_callers_inherited_id():
    # wandb_config(id="exp-1") at run level names the root's run; a "new" child needs its own id
    context = {"wandb_id": "exp-1", "_wandb_run_id": "exp-1"}
    url = render(WandbInitLink(project="p", entity="e", run_mode="new"), context, run_name=RUN, action_name=ACTION)
    assert url.endswith(f"/runs/{RUN}-{ACTION}")


def test_init_link_in_shared_mode_without_a_caller_run_is_the_project_page():
    assert render(WandbInitLink(project="p", entity="e", run_mode="shared")) == "https://wandb.ai/e/p"


@pytest.mark.parametrize(
    "run_name, expected",
    [
        ("plain-run", "plain-run-a1"),
        ("exp: lr=0.1; bs=32", "exp--lr=0.1--bs=32-a1"),
        ("it's #1?/x", "it-s--1--x-a1"),
        ("100% done\\now", "100--done-now-a1"),
    ],
)
def test_default_run_id_replaces_what_wandb_refuses(run_name, expected):
    assert default_run_id(run_name, "a1") == expected
