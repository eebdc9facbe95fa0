"""Page "Controlling parallel execution": unbounded gather, asyncio.Semaphore, flyte.map(concurrency=3).

The docs' program is run unchanged. How many calls ran at once is counted twice: around the
simulated API call (the module's ``asyncio.sleep``, instrumented by a fixture) and from the
journal (each action's start and end times). The wall time shows the same: 8 calls of 0.5 s take 0.5 s
unbounded, 1.5 s three at a time (3 + 3 + 2), 4 s one at a time.
"""

from __future__ import annotations

import asyncio
import threading
import time
import types

import pytest

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


class SleepCounter:
    """Counts the ``asyncio.sleep`` calls in progress (the simulated API calls) and their peak."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.peak = 0
        self.calls = 0

    async def sleep(self, delay: float, *args, **kwargs):
        with self._lock:
            self.now += 1
            self.calls += 1
            self.peak = max(self.peak, self.now)
        try:
            return await asyncio.sleep(delay, *args, **kwargs)
        finally:
            with self._lock:
                self.now -= 1


@pytest.fixture
def api_calls(monkeypatch):
    """Instrument the docs' code without changing it: its module's ``asyncio`` gets a counting
    ``sleep`` (everything else is the real asyncio)."""
    counter = SleepCounter()
    patched = types.SimpleNamespace(**{k: getattr(asyncio, k) for k in dir(asyncio) if not k.startswith("__")})
    patched.sleep = counter.sleep
    monkeypatch.setattr(ex, "asyncio", patched)
    return counter


def _timed_run(task, *args):
    t0 = time.monotonic()
    run = flyte.run(task, *args)
    return run, time.monotonic() - t0


def test_process_all_at_once_is_unbounded(api_calls):
    run, elapsed = _timed_run(ex.process_all_at_once, PROMPTS)
    assert (api_calls.calls, api_calls.peak) == (8, 8)
    assert run.outputs() == EXPECTED
    calls = actions_named(run, "call_llm_api")
    assert len(calls) == 8
    # "With eight prompts, this fires eight concurrent API calls."
    assert max_overlap(calls) == 8
    assert elapsed < 1.4


def test_semaphore_limits_to_three_at_a_time(api_calls):
    run, elapsed = _timed_run(ex.process_batch_with_semaphore, PROMPTS)
    # counted around the sleep itself: never more than three at once, and three do overlap
    assert (api_calls.calls, api_calls.peak) == (8, 3)
    assert run.outputs() == EXPECTED  # results in input order
    assert run.phase == ActionPhase.SUCCEEDED
    calls = actions_named(run, "call_llm_api")
    assert len(calls) == 8 and all(a.phase == ActionPhase.SUCCEEDED for a in calls)
    # never more than three at once, and they do overlap: exactly three at the peak
    assert max_overlap(calls) == 3
    assert 1.4 <= elapsed < 3.5, elapsed  # 3 rounds of 0.5 s; serial would be 4 s


def test_semaphore_limit_is_a_parameter(api_calls):
    run, elapsed = _timed_run(ex.process_batch_with_semaphore, PROMPTS[:4], 2)
    assert (api_calls.calls, api_calls.peak) == (4, 2)
    assert run.outputs() == EXPECTED[:4]
    assert max_overlap(actions_named(run, "call_llm_api")) == 2
    assert elapsed >= 0.9, elapsed  # 2 rounds of 0.5 s


def test_flyte_map_with_concurrency_three(api_calls):
    run, elapsed = _timed_run(ex.process_batch_with_map, PROMPTS)
    assert (api_calls.calls, api_calls.peak) == (8, 3)
    assert run.outputs() == EXPECTED
    calls = actions_named(run, "call_llm_api")
    assert len(calls) == 8 and all(a.phase == ActionPhase.SUCCEEDED for a in calls)
    assert max_overlap(calls) == 3
    assert 1.4 <= elapsed < 3.5, elapsed
    root = run.actions()[0]
    assert all(a.parent == root.name for a in calls)
