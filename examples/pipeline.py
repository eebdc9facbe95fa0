"""A small but real pipeline on the embedded runtime.

It generates synthetic sensor readings, cleans them in parallel shards (asyncio.gather fan-out
inside a group), scores each shard with a concurrency-limited flyte.map, retries a flaky step,
and summarises the result. Run it with either of:

    python examples/pipeline.py
    flyte run examples/pipeline.py main --shards 8 --readings 500
"""

from __future__ import annotations

import asyncio
import random
import statistics
from dataclasses import dataclass

import flyte

env = flyte.TaskEnvironment(name="sensor-pipeline", resources=flyte.Resources(cpu=1, memory="512Mi"))


@dataclass
class Shard:
    shard_id: int
    readings: list[float]


@dataclass
class ShardStats:
    shard_id: int
    count: int
    mean: float
    stdev: float
    outliers: int


@env.task
async def generate(shard_id: int, readings: int, seed: int) -> Shard:
    rng = random.Random(seed * 1000 + shard_id)
    values = [rng.gauss(20.0, 2.5) for _ in range(readings)]
    # A few sensor glitches to clean out.
    for i in range(0, readings, 97):
        values[i] = rng.choice([-999.0, 999.0])
    return Shard(shard_id=shard_id, readings=values)


@env.task
async def clean(shard: Shard) -> Shard:
    kept = [v for v in shard.readings if -50.0 < v < 80.0]
    print(f"shard {shard.shard_id}: kept {len(kept)} of {len(shard.readings)} readings")
    return Shard(shard_id=shard.shard_id, readings=kept)


_flaky_calls: dict[int, int] = {}


@env.task(retries=2)
def score(shard: Shard) -> ShardStats:
    # The first attempt for shard 0 fails, as a flaky dependency would; the retry succeeds.
    _flaky_calls[shard.shard_id] = _flaky_calls.get(shard.shard_id, 0) + 1
    if shard.shard_id == 0 and _flaky_calls[0] == 1:
        raise ConnectionError("sensor registry unavailable")
    mean = statistics.fmean(shard.readings)
    stdev = statistics.pstdev(shard.readings)
    outliers = sum(1 for v in shard.readings if abs(v - mean) > 3 * stdev)
    return ShardStats(shard.shard_id, len(shard.readings), round(mean, 3), round(stdev, 3), outliers)


@env.task
async def summarize(stats: list[ShardStats]) -> str:
    total = sum(s.count for s in stats)
    mean = sum(s.mean * s.count for s in stats) / total
    outliers = sum(s.outliers for s in stats)
    return f"{len(stats)} shards, {total} readings, mean {mean:.2f}, {outliers} outliers"


@env.task
async def main(shards: int = 6, readings: int = 400, seed: int = 7) -> str:
    with flyte.group("ingest"):
        raw = await asyncio.gather(*(generate(i, readings, seed) for i in range(shards)))
    with flyte.group("clean"):
        cleaned = await asyncio.gather(*(clean(s) for s in raw))
    stats = [s async for s in flyte.map.aio(score, cleaned, concurrency=3, return_exceptions=False)]
    return await summarize(stats)


if __name__ == "__main__":
    flyte.init_from_config()
    run = flyte.run(main, shards=6, readings=400)
    print("run:", run.name)
    print("phase:", run.phase.value)
    print("result:", run.outputs()[0])
    print("view:", run.url)
