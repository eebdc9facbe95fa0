"""Fan-out throughput and memory: N trivial child actions under asyncio.gather.

Compared side by side with the raw limit, N trivial coroutines gathered by plain asyncio, in the
same process. Prints actions/s for both, their ratio, and the RSS growth of the flyte fan-out.
Run: python bench/bench_fanout.py [N]
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time

os.environ.setdefault("FLYTE_HOME", tempfile.mkdtemp(prefix="flyte-bench-"))

import flyte

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
env = flyte.TaskEnvironment("bench")


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


@env.task
async def child(i: int) -> int:
    return i + 1


timing: dict[str, float] = {}


@env.task
async def fan(n: int) -> int:
    t0 = time.perf_counter()
    results = await asyncio.gather(*(child(i) for i in range(n)))
    timing["fan"] = time.perf_counter() - t0
    return sum(results)


async def raw_child(i: int) -> int:
    return i + 1


async def raw_fan(n: int) -> float:
    t0 = time.perf_counter()
    await asyncio.gather(*(raw_child(i) for i in range(n)))
    return time.perf_counter() - t0


def main() -> None:
    raw = min(asyncio.run(raw_fan(N)) for _ in range(3))
    flyte.run(fan, 100)  # warm up imports and the journal
    before = rss_mb()
    run = flyte.run(fan, N)
    after = rss_mb()
    assert run.outputs()[0] == N * (N + 1) // 2
    assert len(run.actions()) == N + 1
    best = timing["fan"]
    for _ in range(2):
        flyte.run(fan, N)
        best = min(best, timing["fan"])
    flyte_rate = N / best
    raw_rate = N / raw
    print(f"fan-out of {N} trivial children")
    print(f"  raw asyncio : {raw_rate:12,.0f} coroutines/s")
    print(f"  flyte       : {flyte_rate:12,.0f} actions/s   (target >= 20,000)")
    print(f"  ratio       : flyte runs at 1/{raw_rate / flyte_rate:.0f} of raw asyncio speed")
    print(f"  RSS growth  : {after - before:.1f} MB for {N} actions, first run (target <= 60 MB)")


if __name__ == "__main__":
    main()
