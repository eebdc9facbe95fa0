"""Page "Custom context": run-level context, overrides inside a task, added keys, access."""

from __future__ import annotations

import json

import pytest

import flyte
from flyte.models import ActionPhase

from ._support import actions_named, printed_dicts
from .examples import custom_context as ex


def _docs(text: str) -> dict:
    """A dict as the docs print it (JSON quoting)."""
    return json.loads(text)


def test_run_level_context(capsys):
    # flyte.with_runcontext(custom_context={"trace_id": "root-abc", "experiment": "v1"}).run(root)
    run = flyte.with_runcontext(custom_context={"trace_id": "root-abc", "experiment": "v1"}).run(ex.root)
    out = capsys.readouterr().out
    # Output: leaf sees: {"trace_id": "root-abc", "experiment": "v1"}
    assert printed_dicts(out, "leaf sees:") == [_docs('{"trace_id": "root-abc", "experiment": "v1"}')]
    assert run.outputs() == "root-abc"
    leaf = actions_named(run, "leaf_task")[0]
    assert printed_dicts(leaf.logs(), "leaf sees:") == [{"trace_id": "root-abc", "experiment": "v1"}]
    assert run.phase == ActionPhase.SUCCEEDED


def test_override_inside_a_task(capsys):
    run = flyte.with_runcontext(custom_context={"trace_id": "root-abc"}).run(ex.parent)
    out = capsys.readouterr().out
    # parent initial: {"trace_id": "root-abc"}
    # downstream sees: {"trace_id": "child-override"}
    # parent after: {"trace_id": "root-abc"}
    lines = [line for line in out.splitlines() if ":" in line]
    assert [line.split(":", 1)[0] for line in lines] == ["parent initial", "downstream sees", "parent after"]
    assert printed_dicts(out, "parent initial:") == [_docs('{"trace_id": "root-abc"}')]
    assert printed_dicts(out, "downstream sees:") == [_docs('{"trace_id": "child-override"}')]
    assert printed_dicts(out, "parent after:") == [_docs('{"trace_id": "root-abc"}')]
    assert run.outputs() == "child-override"
    # each action's own output, as recorded by the run
    parent_action = actions_named(run, "parent")[0]
    downstream_action = actions_named(run, "downstream")[0]
    assert printed_dicts(parent_action.logs(), "parent initial:") == [{"trace_id": "root-abc"}]
    assert printed_dicts(parent_action.logs(), "parent after:") == [{"trace_id": "root-abc"}]
    assert printed_dicts(downstream_action.logs(), "downstream sees:") == [{"trace_id": "child-override"}]
    assert "downstream sees" not in parent_action.logs()


def test_run_logs_keep_the_printed_order():
    # run.logs() is "every action, in order": the page's three lines in the order printed.
    run = flyte.with_runcontext(custom_context={"trace_id": "root-abc"}).run(ex.parent)
    heads = [line.split(":", 1)[0] for line in run.logs().splitlines() if line]
    assert heads == ["parent initial", "downstream sees", "parent after"]


def test_adding_new_keys_for_nested_tasks():
    run = flyte.with_runcontext(custom_context={"trace_id": "root-abc", "experiment": "v1"}).run(ex.add_keys)
    # some_task sees both base keys + the new keys (experiment overridden by the innermost value)
    expected = {"trace_id": "root-abc", "experiment": "exp-blue", "run_group": "g-7"}
    assert run.outputs() == expected
    some = actions_named(run, "some_task")[0]
    assert printed_dicts(some.logs(), "some_task sees:") == [expected]


def test_accessing_custom_context_values_are_strings():
    run = flyte.with_runcontext(custom_context={"timeout_seconds": "45", "key": "value"}).run(ex.read_timeout)
    assert run.outputs() == 45
    assert "key: value" in run.logs()


def test_custom_context_values_must_be_strings():
    with pytest.raises(TypeError):
        flyte.with_runcontext(custom_context={"timeout_seconds": 45})


def test_script_main_block(capsys):
    # The page's __main__ block, in process.
    flyte.init_from_config()
    # Base context for the entire run
    flyte.with_runcontext(custom_context={"trace_id": "root-abc", "experiment": "v1"}).run(ex.root)
    assert printed_dicts(capsys.readouterr().out, "leaf sees:") == [{"trace_id": "root-abc", "experiment": "v1"}]
