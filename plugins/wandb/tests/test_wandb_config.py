"""wandb_config: settings as custom-context strings, read back as Python values, scoped in tasks."""

from __future__ import annotations

import json

import pytest

import flyte
from flyteplugins.wandb import WandbConfig, get_wandb_context, wandb_config


def test_settings_become_wandb_prefixed_strings():
    cfg = wandb_config(
        project="p", entity="e", id="123", name="true", tags=["a", "b"], config={"lr": 0.1, "layers": [1, 2]},
        mode="offline", group="g", run_mode="new", notes="hello", job_type="train", save_code=False,
    )
    assert isinstance(cfg, dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in cfg.items())
    assert cfg == {
        "wandb_project": "p",
        "wandb_entity": "e",
        "wandb_id": "123",
        "wandb_name": "true",
        "wandb_tags": '["a", "b"]',
        "wandb_config": '{"lr": 0.1, "layers": [1, 2]}',
        "wandb_mode": "offline",
        "wandb_group": "g",
        "wandb_run_mode": "new",
        "wandb_notes": '"hello"',
        "wandb_job_type": '"train"',
        "wandb_save_code": "false",
    }


def test_unset_settings_are_left_out():
    assert wandb_config() == {}
    assert wandb_config(project="p", entity=None, notes=None) == {"wandb_project": "p"}


def test_settings_read_back_with_their_types():
    cfg = WandbConfig.from_context(
        {**wandb_config(id="123", name="true", tags=["a"], config={"lr": 0.1}, notes="42"), "trace_id": "x"}
    )
    assert "trace_id" not in cfg
    assert cfg.id == "123" and cfg.name == "true"  # text stays text, even when it looks like JSON
    assert cfg.tags == ["a"] and cfg.config == {"lr": 0.1}
    assert cfg.init_kwargs() == {"id": "123", "name": "true", "tags": ["a"], "config": {"lr": 0.1}, "notes": "42"}


def test_plugin_settings_are_not_wandb_init_arguments():
    cfg = wandb_config(project="p", host="https://h", run_mode="shared", rank_scope="worker", download_logs=False)
    assert cfg.init_kwargs() == {"project": "p"}
    assert cfg.host == "https://h" and cfg.run_mode == "shared"


def test_hand_written_context_entries_are_read_as_text_unless_json():
    cfg = WandbConfig.from_context({"wandb_id": "007", "wandb_notes": "plain words", "wandb_resume": '"allow"'})
    assert cfg.init_kwargs() == {"id": "007", "notes": "plain words", "resume": "allow"}


def test_upstream_sweep_keys_are_ignored():
    cfg = WandbConfig.from_context({"wandb_project": "p", "wandb_sweep_method": "grid"})
    assert cfg == {"wandb_project": "p"}


def test_a_malformed_json_setting_names_the_key_and_the_fix():
    with pytest.raises(ValueError, match=r"`wandb_tags` is 'a,b'.*wandb_config\(tags=\.\.\.\)"):
        _ = WandbConfig.from_context({"wandb_tags": "a,b"}).tags


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"project": 3}, TypeError, r"wandb_config\(project=\.\.\.\): expected a string, got int 3"),
        ({"tags": "baseline"}, TypeError, r"tags=\['baseline'\]"),
        ({"tags": ["a", 1]}, TypeError, r"expected a list of strings"),
        ({"config": [1, 2]}, TypeError, r"config=\.\.\.\): expected a dict, got list"),
        ({"config": {"f": object()}}, ValueError, r"config=\.\.\.\).*JSON-serializable"),
        ({"run_mode": "sometimes"}, ValueError, r"run_mode='sometimes'.*'auto', 'new', 'shared'"),
        ({"notes": {1, 2}}, ValueError, r"notes=\.\.\.\).*JSON-serializable"),
    ],
)
def test_bad_settings_are_rejected_naming_the_setting(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        wandb_config(**kwargs)


# ------------------------------------------------------------------------------ in a run
env = flyte.TaskEnvironment("wandb-config")


@env.task
async def show() -> str:
    found = get_wandb_context()
    return json.dumps(None if found is None else {"project": found.project, "tags": found.tags, "all": dict(found)})


@env.task
async def scoped() -> list[str]:
    outside = await show()
    with wandb_config(project="inner", tags=["eval"]):
        inside = await show()
    with flyte.custom_context(**wandb_config(project="via-custom-context")):
        via = await show()
    after = await show()
    return [outside, inside, via, after]


def test_run_level_settings_reach_every_task():
    run = flyte.with_runcontext(custom_context={**wandb_config(project="p", tags=["t"]), "other": "x"}).run(show)
    assert json.loads(run.outputs()[0]) == {
        "project": "p",
        "tags": ["t"],
        "all": {"wandb_project": "p", "wandb_tags": '["t"]'},
    }


def test_no_settings_read_as_none():
    assert json.loads(flyte.run(show).outputs()[0]) is None
    assert get_wandb_context() is None  # outside a task


def test_with_wandb_config_scopes_the_settings_for_tasks_called_inside():
    run = flyte.with_runcontext(custom_context=wandb_config(project="outer")).run(scoped)
    outside, inside, via, after = (json.loads(s) for s in run.outputs()[0])
    assert outside["project"] == "outer" and outside["tags"] is None
    assert inside["project"] == "inner" and inside["tags"] == ["eval"]
    assert via["project"] == "via-custom-context"
    assert after == outside
