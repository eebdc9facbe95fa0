"""Cost of reused work, side by side in one run: a trivial action executed normally, a cache hit,
a replayed child action (rerun), and a replayed trace call.

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

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
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


@env.task
async def fan(n: int, which: str) -> int:
    task = plain if which == "plain" else cached
    t0 = time.perf_counter()
    total = sum(await asyncio.gather(*(task(i) for i in range(n))))
    timing[which] = time.perf_counter() - t0
    return total


@env.task
async def fan_then_fail(n: int) -> int:
    t0 = time.perf_counter()
    total = sum(await asyncio.gather(*(plain(i) for i in range(n))))
    timing["children"] = time.perf_counter() - t0
    if fail["on"]:
        raise RuntimeError("fail after the fan-out, to be resumed")
    return total


@env.task
async def traces(n: int) -> int:
    t0 = time.perf_counter()
    total = 0
    for i in range(n):
        total += await step(i)
    timing["traces"] = time.perf_counter() - t0
    if fail["on"]:
        raise RuntimeError("fail after the traces, to be resumed")
    return total


def best_of(label: str, fn, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        gc.collect()  # every repeat starts with the same collector state
        fn()
        best = min(best, timing[label])
    return best


def main() -> None:
    flyte.run(fan, 200, "plain")  # warm up
    plain_s = best_of("plain", lambda: flyte.run(fan, N, "plain"))
    flyte.run(fan, N, "cached")  # fill the cache
    hit_s = best_of("cached", lambda: flyte.run(fan, N, "cached"))

    fail["on"] = True
    try:
        flyte.with_runcontext(name="to-resume").run(fan_then_fail, N)
    except flyte.errors.RuntimeUserError:
        pass
    try:
        flyte.with_runcontext(name="traces-to-resume").run(traces, N)
    except flyte.errors.RuntimeUserError:
        pass
    fail["on"] = False
    # Each rerun resumes the same failed run, so each replays all N calls.
    replay_s = best_of("children", lambda: flyte.rerun("to-resume", task=fan_then_fail))
    trace_replay_s = best_of("traces", lambda: flyte.rerun("traces-to-resume", task=traces))

    per = lambda s: s / N * 1e6  # noqa: E731
    print(f"{N} calls each, per call:")
    print(f"  trivial action executed : {per(plain_s):7.1f} us")
    print(f"  cache hit               : {per(hit_s):7.1f} us  ({hit_s / plain_s:.2f}x of executed; target <= 0.5x)")
    print(f"  replayed child (rerun)  : {per(replay_s):7.1f} us  ({replay_s / plain_s:.2f}x of executed; target <= 0.5x)")
    print(f"  replayed trace (rerun)  : {per(trace_replay_s):7.1f} us  (target <= 20 us)")


if __name__ == "__main__":
    main()
