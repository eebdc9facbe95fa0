"""002 "Traces" and the unit-testing page's traced function, on the local runtime.

Resuming a failed run (the caching_vs_checkpointing example made to fail, fixed and rerun) is
tested in core/tests/runtime/test_traces_and_rerun.py.
"""

from __future__ import annotations

import pytest

import flyte
from flyte.models import ActionPhase

from .examples import traces


def trace_records(run):
    return [(a.short_name, a.phase) for a in run.actions() if a.record.kind == "trace"]


def test_task_vs_trace():
    run = flyte.run(traces.research_workflow, "quantum")
    assert run.outputs() == {
        "topic": "quantum",
        "result": {"processed": "LLM response for: Generate research plan for: quantum", "status": "completed"},
    }
    assert trace_records(run) == [("call_llm", ActionPhase.SUCCEEDED), ("process_data", ActionPhase.SUCCEEDED)]
    durations = [a.duration for a in run.actions() if a.record.kind == "trace"]
    assert durations[0] >= 0.1 and durations[1] >= 0.2


def test_function_types():
    run = flyte.run(traces.research_workflow_types, "ml")
    assert run.outputs() == {
        "topic": "ml",
        "processed_data": ["Processing: item1", "Processing: item2", "Processing: item3"],
        "llm_summary": "Research shows that machine learning continues to evolve.",
    }
    assert [name for name, _ in trace_records(run)] == ["async_api_call", "stream_data", "async_stream_llm"]


def test_orchestration_pattern():
    run = flyte.run(traces.research_pipeline, "bees")
    assert run.outputs() == {
        "topic": "bees",
        "insights": {"insights": ["key theme 1", "key theme 2"], "count": 1},
        "sources_count": 1,
    }
    assert [name for name, _ in trace_records(run)] == ["search_web", "summarize_content", "extract_insights"]


def test_caching_vs_checkpointing_caches_the_task_result():
    first = flyte.run(traces.data_pipeline, "ds")
    assert first.outputs()[0]["accuracy"] == pytest.approx(0.8)
    assert len(trace_records(first)) == 3
    second = flyte.run(traces.data_pipeline, "ds")
    assert second.outputs() == first.outputs()
    # a cache hit: the task did not run, so no trace checkpoints were needed
    assert [a.record.cache_hit for a in second.actions()] == [1]


@pytest.mark.asyncio
async def test_traced_multiply():
    result = await traces.traced_multiply(a=6, b=7)
    assert result == 42
