from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import flyte
import flyte.errors
from flyte.models import ActionPhase
from flyte.remote import Run

env = flyte.TaskEnvironment("traces")
seen: list[str] = []


@flyte.trace
async def async_api_call(topic: str) -> dict:
    seen.append("api")
    await asyncio.sleep(0.01)
    return {"data": ["item1", "item2", "item3"], "status": "success"}


@flyte.trace
async def stream_data(items: list[str]):
    for item in items:
        await asyncio.sleep(0.001)
        yield f"Processing: {item}"


@flyte.trace
def sync_helper(x: int) -> int:
    seen.append(f"sync {x}")
    return x + 1


@flyte.trace
def numbers(n: int):
    yield from range(n)


@env.task
async def research_workflow(topic: str) -> dict:
    llm_result = await async_api_call(topic)
    processed = [item async for item in stream_data(llm_result["data"])]
    return {"topic": topic, "processed_data": processed, "n": sync_helper(1), "nums": list(numbers(3))}


def test_every_function_kind_is_traced_and_journaled():
    seen.clear()
    run = flyte.run(research_workflow, "ml")
    out = run.outputs()[0]
    assert out["processed_data"] == ["Processing: item1", "Processing: item2", "Processing: item3"]
    assert out["n"] == 2 and out["nums"] == [0, 1, 2]
    traces = [a for a in run.actions() if a.record.kind == "trace"]
    assert [t.short_name for t in traces] == ["async_api_call", "stream_data", "sync_helper", "numbers"]
    assert all(t.phase == ActionPhase.SUCCEEDED and t.parent == run.actions()[0].name for t in traces)
    assert all(t.duration is not None for t in traces)
    from flyte._runtime.journal import journal
    from flyte._runtime.run import _decode_journal_values

    assert _decode_journal_values(traces[1].record, "outputs", journal())[0] == out["processed_data"]


@flyte.trace
async def traced_multiply(a: int, b: int) -> int:
    return a * b


@pytest.mark.asyncio
async def test_traced_function_outside_a_run_is_a_plain_call():
    assert await traced_multiply(a=6, b=7) == 42
    assert sync_helper(1) == 2


@env.task
async def add(a: int, b: int) -> int:
    return a + b


@flyte.trace
async def calls_a_task() -> int:
    return await add(1, 2)


@env.task
async def bad_trace_user() -> int:
    return await calls_a_task()


def test_calling_a_task_inside_a_trace_is_a_clear_error():
    with pytest.raises(flyte.errors.TraceDoesNotAllowNestedTasksError, match="inside a @flyte.trace"):
        flyte.run(bad_trace_user)


@flyte.trace
async def flaky_step(x: int) -> int:
    raise ValueError("boom")


@env.task
async def handles_trace_error() -> str:
    try:
        await flaky_step(1)
    except ValueError as e:
        return f"caught {e}"
    return "no"


def test_trace_failures_propagate_unwrapped_and_are_recorded_not_checkpointed():
    run = flyte.run(handles_trace_error)
    assert run.outputs() == "caught boom"
    trace = [a for a in run.actions() if a.record.kind == "trace"][0]
    assert trace.phase == ActionPhase.FAILED and trace.record.error_code == "ValueError"


PIPELINE = textwrap.dedent(
    '''
    import asyncio
    import os
    from typing import List

    import flyte

    env = flyte.TaskEnvironment("env")


    def side_effect(step: str) -> None:
        with open(os.environ["SIDE_EFFECTS"], "a") as f:
            f.write(step + "\\n")


    @flyte.trace
    async def traced_data_cleaning(dataset_id: str) -> List[str]:
        side_effect("cleaning")
        await asyncio.sleep(0.02)
        return [f"cleaned_record_{i}_{dataset_id}" for i in range(100)]


    @flyte.trace
    async def traced_feature_extraction(data: List[str]) -> dict:
        side_effect("features")
        await asyncio.sleep(0.03)
        return {
            "features": [f"feature_{i}" for i in range(10)],
            "feature_count": len(data),
            "processed_samples": len(data),
        }


    @flyte.trace
    async def traced_model_training(features: dict) -> dict:
        side_effect("training")
        await asyncio.sleep(0.04)
        raise RuntimeError("GPU fell off the bus")  # BUG
        sample_count = features["processed_samples"]
        accuracy = min(0.95, 0.7 + (sample_count / 1000))
        return {"accuracy": accuracy, "epochs": 50, "model_size": "125MB"}


    @env.task(cache="auto")
    async def data_pipeline(dataset_id: str) -> dict:
        cleaned_data = await traced_data_cleaning(dataset_id)
        features = await traced_feature_extraction(cleaned_data)
        model_results = await traced_model_training(features)
        return {"dataset_id": dataset_id, "accuracy": model_results["accuracy"]}
    '''
)


def _steps(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_caching_vs_checkpointing_pipeline_resumes_after_a_fix(tmp_path, monkeypatch):
    from flyte._runtime.loader import load_module

    effects = tmp_path / "effects.txt"
    monkeypatch.setenv("SIDE_EFFECTS", str(effects))
    source = tmp_path / "caching_vs_checkpointing.py"
    source.write_text(PIPELINE)
    module = load_module(source, fresh=True)
    with pytest.raises(flyte.errors.RuntimeUserError, match="GPU fell off the bus"):
        flyte.with_runcontext(name="broken").run(module.data_pipeline, "ds1")
    assert _steps(effects) == ["cleaning", "features", "training"]
    assert Run.get("broken").phase == ActionPhase.FAILED

    fixed = "\n".join(line for line in PIPELINE.splitlines() if not line.endswith("# BUG"))
    assert fixed != PIPELINE
    source.write_text(fixed)
    effects.unlink()
    resumed = flyte.rerun("broken")
    assert resumed.outputs() == {"dataset_id": "ds1", "accuracy": pytest.approx(0.8)}
    assert _steps(effects) == ["training"]  # steps 1 and 2 were replayed, not executed
    traces = {a.short_name: a.record for a in resumed.actions() if a.record.kind == "trace"}
    assert traces["traced_data_cleaning"].replayed_from == "broken/" + traces["traced_data_cleaning"].action_id
    assert traces["traced_feature_extraction"].replayed_from is not None
    assert traces["traced_model_training"].replayed_from is None
    assert resumed._record().resumed_from == "broken"
    # the task result is cached now: a plain run of the same inputs executes nothing at all
    effects.unlink()
    again = flyte.run(load_module(source, fresh=True).data_pipeline, "ds1")
    assert again.outputs()[0]["accuracy"] == pytest.approx(0.8) and _steps(effects) == []


FANOUT = textwrap.dedent(
    """
    import asyncio
    import os
    import flyte

    env = flyte.TaskEnvironment("fan50")

    @env.task
    async def child(i: int) -> int:
        if i >= 30 and os.environ.get("STUCK") == "1":
            await asyncio.sleep(600)
        with open(os.environ["SIDE_EFFECTS"], "a") as f:
            f.write(f"{i}\\n")
        return i * i

    @env.task
    async def main(n: int) -> int:
        return sum(await asyncio.gather(*(child(i) for i in range(n))))

    if __name__ == "__main__":
        flyte.with_runcontext(name="fan50").run(main, 50)
    """
)


@pytest.mark.subprocess
def test_sigkilled_fanout_rerun_executes_only_the_unfinished_children(tmp_path, flyte_home, monkeypatch):
    effects = tmp_path / "effects.txt"
    source = tmp_path / "fan.py"
    source.write_text(FANOUT)
    child_env = {**os.environ, "FLYTE_HOME": str(flyte_home), "SIDE_EFFECTS": str(effects), "STUCK": "1"}
    proc = subprocess.Popen([sys.executable, str(source)], env=child_env)
    try:
        deadline = time.monotonic() + 30
        done = 0
        while time.monotonic() < deadline and done < 30:
            time.sleep(0.05)
            try:
                with sqlite3.connect(flyte_home / "runs.db") as conn:
                    done = conn.execute(
                        "SELECT count(*) FROM actions WHERE run_name='fan50' AND task_name='fan50.child' AND phase='succeeded'"
                    ).fetchone()[0]
            except sqlite3.OperationalError:
                pass
        assert done == 30
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert len(_steps(effects)) == 30
    effects.unlink()
    monkeypatch.setenv("SIDE_EFFECTS", str(effects))
    monkeypatch.delenv("STUCK", raising=False)
    resumed = flyte.rerun("fan50", name="fan50-resumed")
    assert resumed.outputs() == sum(i * i for i in range(50))
    assert sorted(int(x) for x in _steps(effects)) == list(range(30, 50))
    children = [a.record for a in resumed.actions() if a.task_name == "fan50.child"]
    assert sum(1 for c in children if c.replayed_from) == 30 and len(children) == 50


def test_rerun_bad_input():
    with pytest.raises(ValueError, match="No run named 'nope'"):
        flyte.rerun("nope")
    run = flyte.run(add, 1, 2)
    with pytest.raises(TypeError, match=r"input `a` expects int, got str"):
        flyte.rerun(run.name, {"a": "x"}, task=add)
    rerun = flyte.rerun(run.name, {"b": 10}, task=add)
    assert rerun.outputs() == 11


fail_root = {"on": True}


@env.task
async def parent_with_steps(x: int) -> int:
    a = await add(x, 1)
    with flyte.group("g"):
        b = await add(a, 1)
    if fail_root["on"]:
        raise RuntimeError("fails after its children")
    return b


def test_identities_are_stable_across_reruns():
    with pytest.raises(flyte.errors.RuntimeUserError):
        flyte.with_runcontext(name="first").run(parent_with_steps, 1)
    fail_root["on"] = False
    second = flyte.rerun("first", task=parent_with_steps)
    assert second.outputs() == 3
    first_ids = [(a.task_name, a.name) for a in Run.get("first").actions()]
    assert first_ids == [(a.task_name, a.name) for a in second.actions()]
    assert [a.record.replayed_from is not None for a in second.actions()] == [False, True, True]
    # a succeeded run rerun with the same inputs replays as a whole
    third = flyte.rerun(second.name, task=parent_with_steps)
    assert third.outputs() == 3 and [a.record.replayed_from is not None for a in third.actions()] == [True]
