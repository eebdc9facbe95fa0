"""Page "Other features": forwarding, tasks and functions as arguments, short names, sync/async
interop (.aio, flyte.map.aio), anyio task groups, and nest_asyncio in a sync task."""

from __future__ import annotations

import asyncio
import json

from flyteidl2.core import interface_pb2

import flyte
from flyte.models import ActionPhase

from ._support import actions_named, explain, run_python, summary
from .examples import (
    other_features_anyio,
    other_features_forward,
    other_features_map_aio,
    other_features_short_names,
    other_features_sync_from_async,
    other_features_udfs,
)

# ------------------------------------------------------------------------------ forwarding


def test_forward_async_creates_no_action():
    run = flyte.run(other_features_forward.outer_task, x=0)
    # inner_task.forward(x=10) -> 11 in the same VM; inner_task(11) -> 12 as a durable action
    assert run.outputs() == 12
    assert summary(run) == [("outer_task", "succeeded", []), ("inner_task", "succeeded", [])]
    # the one inner action is the durable call; the forwarded call left no trace in the run
    (inner,) = actions_named(run, "inner_task")
    assert inner.parent == run.actions()[0].name


def test_forward_sync_creates_no_action():
    run = flyte.run(other_features_forward.sync_outer_task, x=0)
    assert run.outputs() == 12
    assert summary(run) == [("sync_outer_task", "succeeded", []), ("sync_inner_task", "succeeded", [])]


def test_forward_outside_a_run_is_a_plain_call():
    assert other_features_forward.sync_inner_task.forward(x=1) == 2
    assert asyncio.run(other_features_forward.inner_task.forward(x=1)) == 2


# ------------------------------------------------------- tasks and functions as arguments


def _input_tag(action, name: str) -> str:
    iface = interface_pb2.TypedInterface()
    iface.ParseFromString(action.record.interface)
    var = next(v for v in iface.inputs.variables if v.key == name)
    return var.value.type.structure.tag


def test_tasks_and_plain_functions_as_arguments():
    run = flyte.run(other_features_udfs.main)
    assert run.outputs() == [6, 7]
    assert summary(run) == [
        ("main", "succeeded", []),
        ("run_udf", "succeeded", []),
        ("add_one_udf", "succeeded", []),  # the task passed in still runs as an action
        ("run_udf", "succeeded", []),  # the plain function runs inside run_udf: no action
    ]
    first_run_udf = actions_named(run, "run_udf")[0]
    assert actions_named(run, "add_one_udf")[0].parent == first_run_udf.name
    # "Both tasks and regular functions are serialized via pickling when passed as arguments."
    assert _input_tag(first_run_udf, "udf") == "pickle"


# ------------------------------------------------------------------------------ short names


def test_short_names_at_definition_and_at_call_time():
    run = flyte.run(other_features_short_names.main)
    assert run.outputs() == "Hello, Flyte!Hello, Flyte!"
    assert [(a.short_name, a.task_name, a.phase) for a in run.actions()] == [
        ("entrypoint", "friendly_names.main", ActionPhase.SUCCEEDED),
        ("my_task", "friendly_names.some_task", ActionPhase.SUCCEEDED),
        ("my_name", "friendly_names.some_task", ActionPhase.SUCCEEDED),
    ]
    # override() is per call site: the task itself keeps its short name
    assert other_features_short_names.some_task.short_name == "my_task"


# ------------------------------------------------------------------- sync and async interop


def test_aio_on_a_sync_task():
    run = flyte.run(other_features_sync_from_async.async_task, 5)
    assert run.outputs() == "Processed 5"
    assert summary(run) == [("async_task", "succeeded", []), ("sync_task", "succeeded", [])]


def test_flyte_map_aio_over_a_sync_task():
    run = flyte.run(other_features_map_aio.async_main, 4)
    assert run.outputs() == ["Task 0", "Task 1", "Task 2", "Task 3"]
    maps = actions_named(run, "sync_process")
    assert len(maps) == 4 and all(a.phase == ActionPhase.SUCCEEDED for a in maps)
    assert all(a.parent == run.actions()[0].name for a in maps)


def test_anyio_task_group_with_aioresult():
    run = flyte.run(other_features_anyio.batch_process, [1, 2, 3, 4])
    assert run.outputs() == [2, 4, 6, 8]
    items = actions_named(run, "process_item")
    assert len(items) == 4 and all(a.phase == ActionPhase.SUCCEEDED for a in items)


# ------------------------------------------------------------------------------ nest_asyncio

NEST_ASYNCIO_SCRIPT = """
import asyncio
import json
import time

import flyte
from docs.examples import other_features_nest_asyncio as ex  # applies nest_asyncio at import
from docs.examples import (
    controlling_parallelism, fanout, other_features_map_aio, other_features_sync_from_async, tasks,
)

report = {"patched": bool(getattr(asyncio, "_nest_patched", False))}

t0 = time.monotonic()
run = flyte.run(ex.sync_task)
report["sync_task"] = [run.outputs()[0], run.phase.value, [a.short_name for a in run.actions()]]
report["sync_task_seconds"] = time.monotonic() - t0

# the runtime keeps working afterwards, for every kind of run
report["fanout"] = flyte.run(fanout.parallel_data_fetching, [1, 2, 3]).outputs()[0]
report["pipeline"] = flyte.run(tasks.pipeline, x=1).outputs()[0]
report["aio"] = flyte.run(other_features_sync_from_async.async_task, 3).outputs()[0]
report["map_aio"] = flyte.run(other_features_map_aio.async_main, 2).outputs()[0]
report["sync_map"] = flyte.run(controlling_parallelism.process_batch_with_map, ["a", "b"]).outputs()[0]
report["again"] = flyte.run(ex.sync_task).outputs()[0]

async def from_a_loop():
    return (await flyte.run.aio(tasks.greet, name="loop")).outputs()[0]

report["run_aio"] = asyncio.run(from_a_loop())
print("REPORT " + json.dumps(report))
"""


def test_nest_asyncio_in_a_sync_task_and_the_runtime_afterwards():
    proc = run_python(NEST_ASYNCIO_SCRIPT)
    assert proc.returncode == 0, explain(proc)
    line = next((line for line in proc.stdout.splitlines() if line.startswith("REPORT ")), None)
    assert line is not None, explain(proc)
    report = json.loads(line[len("REPORT ") :])
    assert report["patched"] is True
    assert report["sync_task"] == ["done", "succeeded", ["sync_task"]]
    assert report["sync_task_seconds"] >= 1.0  # asyncio.run(async_function()) really slept
    assert [d["user_id"] for d in report["fanout"]] == [1, 2, 3]
    assert report["pipeline"] == 12
    assert report["aio"] == "Processed 3"
    assert report["map_aio"] == ["Task 0", "Task 1"]
    assert report["sync_map"] == ["Response to: a", "Response to: b"]
    assert report["again"] == "done"
    assert report["run_aio"] == "Hello, loop!"
    # the patch stayed in the subprocess
    assert not getattr(asyncio, "_nest_patched", False)
