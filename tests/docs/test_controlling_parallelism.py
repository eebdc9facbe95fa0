"""Page "Controlling parallel execution": unbounded gather, asyncio.Semaphore, flyte.map(concurrency=3).

The docs' program is run unchanged. How many calls ran at once is read from the journal (each
action's start and end times); the wall time shows the same: 8 calls of 0.5 s take 0.5 s
unbounded, 1.5 s three at a time (3 + 3 + 2), 4 s one at a time.
"""

from __future__ import annotations

import time

import flyte
from flyte.models import ActionPhase

from ._support import actions_named, max_overlap
from .examples import controlling_parallelism as ex

PROMPTS = [
    "Summarize this text",
    "Translate to French",
    "Extract key points",
    "Generate a title",
    "Write a conclusion",
    "List the main topics",
    "Identify the tone",
    "Suggest improvements",
]
EXPECTED = [f"Response to: {p}" for p in PROMPTS]


def _timed_run(task, *args):
    t0 = time.monotonic()
    run = flyte.run(task, *args)
    return run, time.monotonic() - t0


def test_process_all_at_once_is_unbounded():
    run, elapsed = _timed_run(ex.process_all_at_once, PROMPTS)
    assert run.outputs() == EXPECTED
    calls = actions_named(run, "call_llm_api")
    assert len(calls) == 8
    # "With eight prompts, this fires eight concurrent API calls."
    assert max_overlap(calls) == 8
    assert elapsed < 1.4


def test_semaphore_limits_to_three_at_a_time():
    run, elapsed = _timed_run(ex.process_batch_with_semaphore, PROMPTS)
    assert run.outputs() == EXPECTED  # results in input order
    assert run.phase == ActionPhase.SUCCEEDED
    calls = actions_named(run, "call_llm_api")
    assert len(calls) == 8 and all(a.phase == ActionPhase.SUCCEEDED for a in calls)
    # never more than three at once, and they do overlap: exactly three at the peak
    assert max_overlap(calls) == 3
    assert 1.4 <= elapsed < 3.5, elapsed  # 3 rounds of 0.5 s; serial would be 4 s


def test_semaphore_limit_is_a_parameter():
    run, elapsed = _timed_run(ex.process_batch_with_semaphore, PROMPTS[:4], 2)
    assert run.outputs() == EXPECTED[:4]
    assert max_overlap(actions_named(run, "call_llm_api")) == 2
    assert 0.9 <= elapsed < 1.9, elapsed


def test_flyte_map_with_concurrency_three():
    run, elapsed = _timed_run(ex.process_batch_with_map, PROMPTS)
    assert run.outputs() == EXPECTED
    calls = actions_named(run, "call_llm_api")
    assert len(calls) == 8 and all(a.phase == ActionPhase.SUCCEEDED for a in calls)
    assert max_overlap(calls) == 3
    assert 1.4 <= elapsed < 3.5, elapsed
    root = run.actions()[0]
    assert all(a.parent == root.name for a in calls)
