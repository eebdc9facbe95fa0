"""@wandb_init against the real wandb library, offline (WANDB_MODE=offline, WANDB_DIR in tmp).

Every check reads what wandb wrote to its offline run log (see conftest.OfflineRun) and what the
core journaled for the run's actions.
"""

from __future__ import annotations

import asyncio

import pytest

import flyte
import flyte.errors
from flyte.models import ActionPhase
from flyteplugins.wandb import Wandb, get_wandb_run, get_wandb_run_dir, wandb_config, wandb_init

wandb = pytest.importorskip("wandb", reason="@wandb_init tests need the wandb package (requirements-dev.txt)")

env = flyte.TaskEnvironment("wandb-init")
TEAM = wandb_config(project="my-ml-project", entity="my-team")


def action(run, short_name: str):
    [found] = [a for a in run.actions() if a.short_name == short_name]
    return found


def failed_run(task, name: str, context=None, **inputs):
    """Run a task that must fail; return the error and the run read back from the journal."""
    with pytest.raises(Exception) as caught:
        flyte.with_runcontext(name=name, custom_context=context or TEAM).run(task, **inputs)
    return caught.value, flyte.remote.Run.get(name)


def link_run_id(url: str) -> str:
    return url.rsplit("/runs/", 1)[1]


# ------------------------------------------------------------------------------------- basics
@wandb_init(config={"lr": 0.001, "layers": [64, 32]})
@env.task
async def train(epochs: int) -> float:
    run = get_wandb_run()
    for epoch in range(epochs):
        run.log({"loss": 1 / (epoch + 1), "epoch": epoch})
    run.config.update({"epochs_done": epochs})
    print("trained in", get_wandb_run_dir())
    return 1 / epochs


def test_a_run_per_execution_with_the_metrics_the_config_and_a_matching_link(offline_runs):
    run = flyte.with_runcontext(custom_context={**TEAM, **wandb_config(tags=["baseline"])}).run(train, epochs=3)
    assert run.outputs() == pytest.approx(1 / 3)
    act = action(run, "train")
    expected_id = f"{run.name}-{act.name}"  # named after the real run and action
    assert act.links == [("Weights & Biases", f"https://wandb.ai/my-team/my-ml-project/runs/{expected_id}")]

    [logged] = offline_runs(expected_id)
    assert logged.display_name == expected_id
    assert (logged.project, logged.entity, logged.tags) == ("my-ml-project", "my-team", ["baseline"])
    assert logged.config == {"lr": 0.001, "layers": [64, 32], "epochs_done": 3}
    assert logged.metric("loss") == pytest.approx([1.0, 0.5, 1 / 3])
    assert logged.metric("epoch") == [0, 1, 2]
    assert logged.exit_code == 0
    # the body saw the run's directory, and its prints still land in the action's logs
    assert f"trained in {logged.directory}" in act.logs()


@wandb_init
@env.task
async def fails_after_logging() -> int:
    get_wandb_run().log({"loss": 0.9})
    raise ValueError("diverged at step 1")


def test_a_failing_task_finishes_its_run_as_failed(offline_runs):
    error, run = failed_run(fails_after_logging, "wandb-fails")
    assert "diverged at step 1" in str(error)
    assert run.phase == ActionPhase.FAILED
    act = action(run, "fails_after_logging")
    [logged] = offline_runs(link_run_id(act.links[0][1]))
    assert logged.run_id == f"wandb-fails-{act.name}"
    assert logged.metric("loss") == [0.9]
    assert logged.exit_code == 1


@wandb_init
@env.task(timeout=1)
async def too_slow() -> int:
    get_wandb_run().log({"started": 1})
    await asyncio.sleep(60)
    return 0


def test_a_timed_out_task_finishes_its_run_as_failed(offline_runs):
    error, run = failed_run(too_slow, "wandb-timeout")
    assert isinstance(error, flyte.errors.TaskTimeoutError)
    act = action(run, "too_slow")
    assert act.phase == ActionPhase.TIMED_OUT
    [logged] = offline_runs(f"wandb-timeout-{act.name}")
    assert logged.metric("started") == [1]
    assert logged.exit_code == 1


@wandb_init
@env.task(retries=1)
async def flaky() -> int:
    attempt = flyte.ctx().attempt_number
    get_wandb_run().log({"attempt": attempt})
    if attempt == 0:
        raise ConnectionError("lost the data loader")
    return attempt


def test_a_retry_continues_the_same_run_id_and_only_the_failed_attempt_is_failed(offline_runs):
    run = flyte.with_runcontext(custom_context=TEAM).run(flaky)
    assert run.outputs() == 1
    act = action(run, "flaky")
    assert act.attempts == 2
    first, second = offline_runs(f"{run.name}-{act.name}")
    assert (first.metric("attempt"), first.exit_code) == ([0], 1)
    assert (second.metric("attempt"), second.exit_code) == ([1], 0)


@wandb_init(project="sync-project", entity="sync-team", notes="a sync body")
@env.task
def sync_train(steps: int) -> int:
    run = get_wandb_run()
    for step in range(steps):
        run.log({"acc": step / steps})
    return steps


@wandb_init(project="sync-project", entity="sync-team")
@env.task
def sync_fails() -> int:
    get_wandb_run().log({"acc": 0.1})
    raise RuntimeError("out of memory")


def test_sync_tasks(offline_runs):
    run = flyte.run(sync_train, steps=2)
    act = action(run, "sync_train")
    assert act.links == [("Weights & Biases", f"https://wandb.ai/sync-team/sync-project/runs/{run.name}-{act.name}")]
    [logged] = offline_runs(f"{run.name}-{act.name}")
    assert (logged.notes, logged.metric("acc"), logged.exit_code) == ("a sync body", [0.0, 0.5], 0)

    _, failed = failed_run(sync_fails, "wandb-sync-fails")
    [logged] = offline_runs(f"wandb-sync-fails-{action(failed, 'sync_fails').name}")
    assert (logged.metric("acc"), logged.exit_code) == ([0.1], 1)


@flyte.trace
async def evaluate(step: int) -> float:
    score = step / 10
    get_wandb_run().log({"eval_score": score})
    return score


@wandb_init(project="traced", entity="me")
@env.task
async def train_with_traces(steps: int) -> float:
    return sum([await evaluate(step) for step in range(steps)])


def test_traces_log_into_the_run_of_their_task(offline_runs):
    run = flyte.run(train_with_traces, steps=3)
    [logged] = offline_runs(f"{run.name}-{action(run, 'train_with_traces').name}")
    assert logged.metric("eval_score") == pytest.approx([0.0, 0.1, 0.2])
    assert (logged.project, logged.entity, logged.exit_code) == ("traced", "me", 0)


# --------------------------------------------------------------------------- parents and children
@wandb_init
@env.task
async def auto_child(x: int) -> str:
    get_wandb_run().log({"child_x": x})
    return get_wandb_run().id


@wandb_init
@env.task
def sync_auto_child(x: int) -> str:
    # a sync body runs on a worker thread; it joins the parent's run all the same
    get_wandb_run().log({"child_x": x})
    return get_wandb_run().id


@wandb_init(run_mode="new", tags=["child"])
@env.task
async def new_child(x: int) -> str:
    get_wandb_run().log({"child_x": x})
    return get_wandb_run().id


@env.task
async def plain_child() -> str:
    # no @wandb_init: it logs into the run of the task that called it
    get_wandb_run().log({"plain": 1})
    return get_wandb_run().id


@wandb_init
@env.task
async def parent(fan_out: int) -> list[str]:
    get_wandb_run().log({"parent_step": 0})
    ids = await asyncio.gather(*(auto_child(i) for i in range(fan_out)))
    ids.append(await sync_auto_child.aio(fan_out))
    ids += await asyncio.gather(*(new_child(i) for i in range(fan_out)))
    ids.append(await plain_child())
    return [get_wandb_run().id, *ids]


def test_children_share_the_parents_run_unless_they_ask_for_their_own(offline_runs):
    run = flyte.with_runcontext(custom_context=TEAM).run(parent, fan_out=2)
    parent_id, auto_a, auto_b, sync_auto, new_a, new_b, plain = run.outputs()[0]
    parent_action = action(run, "parent")
    assert parent_id == f"{run.name}-{parent_action.name}"
    assert auto_a == auto_b == sync_auto == plain == parent_id
    new_actions = [a for a in run.actions() if a.short_name == "new_child"]
    assert sorted([new_a, new_b]) == sorted(f"{run.name}-{a.name}" for a in new_actions)

    # links follow: sharing children point at the parent's run, new ones at their own
    for a in run.actions():
        if a.short_name in ("parent", "auto_child", "sync_auto_child", "new_child"):
            own = f"{run.name}-{a.name}"
            expected = own if a.short_name in ("parent", "new_child") else parent_id
            assert a.links == [("Weights & Biases", f"https://wandb.ai/my-team/my-ml-project/runs/{expected}")]
    assert action(run, "plain_child").links == []

    [shared] = offline_runs(parent_id)
    assert shared.metric("parent_step") == [0]
    assert sorted(shared.metric("child_x")) == [0, 1, 2]
    assert shared.metric("plain") == [1]
    assert shared.exit_code == 0
    for own_id in (new_a, new_b):
        [own] = offline_runs(own_id)
        assert own.tags == ["child"] and len(own.metric("child_x")) == 1 and own.exit_code == 0
    assert len(offline_runs(prefix=run.name)) == 3


@wandb_init(run_mode="shared")
@env.task
async def must_share() -> str:
    return get_wandb_run().id


@env.task
async def no_wandb_parent() -> str:
    return await must_share()


def test_shared_mode_without_a_calling_run_fails_with_the_fix():
    error, run = failed_run(no_wandb_parent, "wandb-shared-orphan")
    assert "must_share" in str(error) and "run_mode 'shared'" in str(error)
    assert "use run_mode 'auto'" in str(error)
    assert action(run, "must_share").phase == ActionPhase.FAILED


@env.task
async def scoped_parent() -> list[str]:
    with wandb_config(run_mode="new", tags=["scoped"]):
        inner = await auto_child(7)
    return [inner]


@wandb_init
@env.task
async def root_with_scoped_children() -> list[str]:
    return [get_wandb_run().id, *(await scoped_parent())]


def test_run_mode_and_tags_from_a_wandb_config_block(offline_runs):
    run = flyte.with_runcontext(custom_context=TEAM).run(root_with_scoped_children)
    root_id, child_id = run.outputs()[0]
    assert child_id != root_id
    assert child_id == f"{run.name}-{action(run, 'auto_child').name}"
    [child] = offline_runs(child_id)
    assert child.tags == ["scoped"] and child.metric("child_x") == [7]


@wandb_init(run_mode="new")
@env.task
async def new_with_inherited_id() -> str:
    return get_wandb_run().id


@wandb_init
@env.task
async def root_with_fixed_id() -> list[str]:
    return [get_wandb_run().id, await new_with_inherited_id()]


def test_a_run_level_wandb_id_names_the_root_run_and_new_children_get_their_own(offline_runs):
    run = flyte.with_runcontext(custom_context={**TEAM, **wandb_config(id="experiment-7")}).run(root_with_fixed_id)
    root_id, child_id = run.outputs()[0]
    assert root_id == "experiment-7"
    assert child_id == f"{run.name}-{action(run, 'new_with_inherited_id').name}"
    assert action(run, "root_with_fixed_id").links[0][1].endswith("/runs/experiment-7")
    assert action(run, "new_with_inherited_id").links[0][1].endswith(f"/runs/{child_id}")
    assert offline_runs("experiment-7")[0].exit_code == 0


# ---------------------------------------------------------------------------------- settings
@wandb_init(project="decorator-project", config={"from": "decorator"})
@env.task
async def overlaid() -> str:
    run = get_wandb_run()
    return f"{run.project}|{run.name}"


def test_decorator_arguments_overlay_the_custom_context(offline_runs):
    context = {**TEAM, **wandb_config(config={"from": "context"}, name="context-name", notes="from context")}
    run = flyte.with_runcontext(custom_context=context).run(overlaid)
    assert run.outputs() == "decorator-project|context-name"
    act = action(run, "overlaid")
    assert act.links[0][1] == f"https://wandb.ai/my-team/decorator-project/runs/{run.name}-{act.name}"
    [logged] = offline_runs(f"{run.name}-{act.name}")
    assert logged.config == {"from": "decorator"}
    assert logged.notes == "from context"


@wandb_init
@env.task
async def anything() -> str:
    return get_wandb_run().id


def test_run_names_wandb_refuses_are_made_valid_and_escaped_in_the_link(offline_runs):
    run = flyte.with_runcontext(name="lr: 0.1; #3", custom_context=TEAM).run(anything)
    act = action(run, "anything")
    assert run.outputs() == f"lr--0.1---3-{act.name}"
    assert act.links[0][1] == f"https://wandb.ai/my-team/my-ml-project/runs/lr--0.1---3-{act.name}"
    assert offline_runs(f"lr--0.1---3-{act.name}")[0].exit_code == 0


def test_a_context_id_wandb_refuses_fails_the_task_naming_it():
    error, _ = failed_run(anything, "wandb-bad-id", {**TEAM, "wandb_id": "exp:1"})
    assert "wandb run id 'exp:1'" in str(error) and "wandb_config(id=...)" in str(error)


def test_an_unknown_wandb_init_argument_names_where_it_came_from():
    error, _ = failed_run(anything, "wandb-unknown-arg", {**TEAM, **wandb_config(colour="blue")})
    assert "`wandb_colour` (custom context)" in str(error)


def test_an_unknown_run_mode_in_the_context_fails_the_task():
    error, _ = failed_run(anything, "wandb-bad-mode", {**TEAM, "wandb_run_mode": "sometimes"})
    assert "`wandb_run_mode` is 'sometimes'" in str(error)


# ------------------------------------------------------------------------- the decorated task
def test_the_task_keeps_its_interface_code_version_and_environment_entry():
    other_env = flyte.TaskEnvironment("wandb-init-plain")

    async def body(epochs: int) -> float:
        return float(epochs)

    plain = other_env.task(body)
    decorated = wandb_init(flyte.TaskEnvironment("wandb-init-decorated").task(body))
    assert decorated.cache_version() == plain.cache_version()
    assert list(decorated.interface.inputs) == ["epochs"]
    assert env.tasks[train.name] is train
    assert isinstance(train.links[-1], Wandb)


@env.task
async def calls_override() -> str:
    return await anything.override(retries=2)()


def test_override_keeps_the_wandb_run():
    run = flyte.with_runcontext(custom_context=TEAM).run(calls_override)
    assert run.outputs() == f"{run.name}-{action(run, 'anything').name}"


def test_override_links_replaces_the_link_as_the_links_page_shows():
    replaced = anything.override(links=(Wandb(project="p", entity="e", id="manual"),))
    assert [type(link).__name__ for link in replaced.links] == ["Wandb"]
    assert replaced.func is anything.func


def test_called_outside_a_run_it_opens_and_finishes_a_run_of_its_own(offline_runs):
    run_id = asyncio.run(anything())
    [logged] = offline_runs(run_id)
    assert logged.exit_code == 0
    assert get_wandb_run() is None


@pytest.mark.parametrize(
    "make, error, pattern",
    [
        (lambda: wandb_init(run_mode="sometimes"), ValueError, r"run_mode='sometimes'.*'auto', 'new', 'shared'"),
        (lambda: wandb_init(id="a/b"), ValueError, r"id='a/b'.*cannot contain '/'"),
        (lambda: wandb_init(lambda: 1), TypeError, r"got function .*put @wandb_init above @env.task"),
        (lambda: wandb_init(train), ValueError, r"`wandb-init.train` already has @wandb_init"),
    ],
    ids=["run-mode", "id", "plain-function", "twice"],
)
def test_decoration_errors(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()
