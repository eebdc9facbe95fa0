"""flyte.map with concurrency=4 over 16 tasks of 50 ms, side by side with raw asyncio.

The raw limit: 16 coroutines sleeping 50 ms behind an asyncio.Semaphore(4) — 4 waves, 0.2 s.
Run: python bench/bench_map.py
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time

os.environ.setdefault("FLYTE_HOME", tempfile.mkdtemp(prefix="flyte-bench-"))

import flyte

env = flyte.TaskEnvironment("bench-map")
timing: dict[str, float] = {}


@env.task
async def work(i: int) -> int:
    await asyncio.sleep(0.05)
    return i


@env.task
def sync_work(i: int) -> int:
    time.sleep(0.05)
    return i


@env.task
async def mapped(n: int) -> list[int]:
    t0 = time.perf_counter()
    out = [r async for r in flyte.map.aio(work, range(n), concurrency=4)]
    timing["async"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    out_sync = list(flyte.map(sync_work, range(n), concurrency=4))
    timing["sync"] = time.perf_counter() - t0
    assert out == out_sync
    return out


async def raw(n: int) -> float:
    sem = asyncio.Semaphore(4)

    async def one(i: int) -> int:
        async with sem:
            await asyncio.sleep(0.05)
            return i

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return time.perf_counter() - t0


def main() -> None:
    raw_s = asyncio.run(raw(16))
    flyte.run(mapped, 16)
    print("16 tasks of 50 ms, concurrency=4")
    print(f"  raw asyncio + semaphore      : {raw_s:.3f} s")
    print(f"  flyte.map.aio (async tasks)  : {timing['async']:.3f} s  ratio {timing['async'] / raw_s:.2f}x")
    print(f"  flyte.map (sync tasks, sync) : {timing['sync']:.3f} s  ratio {timing['sync'] / raw_s:.2f}x")


if __name__ == "__main__":
    main()
