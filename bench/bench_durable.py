"""Cost of reused work, side by side in one run: a trivial action executed normally, a cache hit,
a replayed child action (rerun), and a replayed trace call.

A process keeps the cache entries of the task versions it looked up in memory, so a cache hit is
measured twice: in a run after another in the same process, and in the first run of a process,
which loads the task version's entries itself (here: the process's loaded entries are dropped first).

Children are called in the two ways task code calls them: gathered (``asyncio.gather``, the core
fan-out benchmark) and awaited one by one. Each figure is the best of 5 repeats; the repeats of
all figures are interleaved, so that a change in the machine's speed touches them alike.

Targets: a cache hit or a replayed child at most half of a normally executed trivial action;
a replayed trace at most 20 us.
Run: python bench/bench_durable.py [N]
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import tempfile
import time

os.environ.setdefault("FLYTE_HOME", tempfile.mkdtemp(prefix="flyte-bench-"))

import flyte
import flyte.errors
from flyte._runtime.journal import journal

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
REPEATS = 7
PATTERNS = ("gathered", "awaited")
env = flyte.TaskEnvironment("bench-durable")
timing: dict[str, float] = {}
fail = {"on": True}


@env.task
async def plain(i: int) -> int:
    return i + 1


@env.task(cache="auto")
async def cached(i: int) -> int:
    return i + 1


@flyte.trace
async def step(i: int) -> int:
    return i + 1


async def call_all(task, n: int, pattern: str) -> int:
    if pattern == "gathered":
        return sum(await asyncio.gather(*(task(i) for i in range(n))))
    total = 0
    for i in range(n):
        total += await task(i)
    return total


@env.task
async def fan(n: int, which: str, pattern: str) -> int:
    task = plain if which == "executed" else cached
    t0 = time.perf_counter()
    total = await call_all(task, n, pattern)
    timing[which, pattern] = time.perf_counter() - t0
    return total


@env.task
async def fan_then_fail(n: int, pattern: str) -> int:
    t0 = time.perf_counter()
    total = await call_all(plain, n, pattern)
    timing["replayed", pattern] = time.perf_counter() - t0
    if fail["on"]:
        raise RuntimeError("fail after the children, to be resumed")
    return total


@env.task
async def traces(n: int) -> int:
    t0 = time.perf_counter()
    total = 0
    for i in range(n):
        total += await step(i)
    timing["trace", ""] = time.perf_counter() - t0
    if fail["on"]:
        raise RuntimeError("fail after the traces, to be resumed")
    return total


def cold_hit_run(pattern: str) -> None:
    """A cache hit run as the first of a process: the run loads the task version's entries."""
    j = journal()
    with j._writer_lock:
        j._drop_cache_indexes()
    flyte.run(fan, N, "hit", pattern)
    timing["cold hit", pattern] = timing["hit", pattern]


def failed_run(name: str, task, *args) -> None:
    try:
        flyte.with_runcontext(name=name).run(task, *args)
    except flyte.errors.RuntimeUserError:
        pass


def main() -> None:
    flyte.run(fan, 200, "executed", "gathered")  # warm up
    for pattern in PATTERNS:
        flyte.run(fan, N, "hit", pattern)  # fill the cache
        failed_run(f"children-{pattern}", fan_then_fail, N, pattern)
    failed_run("traces", traces, N)
    fail["on"] = False

    measures = {("trace", ""): lambda: flyte.rerun("traces", task=traces)}
    for pattern in PATTERNS:
        measures["executed", pattern] = lambda p=pattern: flyte.run(fan, N, "executed", p)
        measures["hit", pattern] = lambda p=pattern: flyte.run(fan, N, "hit", p)
        measures["cold hit", pattern] = lambda p=pattern: cold_hit_run(p)
        # Each rerun resumes the same failed run, so each replays all N calls.
        measures["replayed", pattern] = lambda p=pattern: flyte.rerun(f"children-{p}", task=fan_then_fail)
    best = dict.fromkeys(measures, float("inf"))
    for _ in range(REPEATS):
        for key, measure in measures.items():
            gc.collect()  # every measure starts with the same collector state
            measure()
            best[key] = min(best[key], timing[key])

    us = {key: s / N * 1e6 for key, s in best.items()}
    print(f"{N} calls each, per call (best of {REPEATS}):")
    print(f"  {'':30}{'gathered':>22}{'awaited one by one':>24}")
    rows = (
        ("executed", "trivial action executed"),
        ("hit", "cache hit"),
        ("cold hit", "cache hit, process's 1st run"),
        ("replayed", "replayed child (rerun)"),
    )
    for which, label in rows:
        cells = []
        for pattern in PATTERNS:
            ratio = "" if which == "executed" else f" ({us[which, pattern] / us['executed', pattern]:.2f}x)"
            cells.append(f"{us[which, pattern]:.1f} us{ratio}")
        print(f"  {label:30}{cells[0]:>22}{cells[1]:>24}")
    print(f"  {'replayed trace (rerun)':30}{us['trace', '']:>19.1f} us")
    print("Targets: a cache hit or a replayed child <= 0.5x of the executed action; a replayed trace <= 20 us")


if __name__ == "__main__":
    main()
