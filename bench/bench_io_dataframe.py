"""A pandas DataFrame passed task to task, side by side with one to_parquet + one read_parquet.

The frame (5M rows by default: int, float, string and timestamp columns) is built once. Each
round times, in a rotating order:

- raw: `df.to_parquet(path)` then `pd.read_parquet(path)`;
- one hop: a run whose task `produce() -> pd.DataFrame` returns the frame to the task that
  called it, which receives it as a `pd.DataFrame` (written once by the producer, read once by
  the receiver);
- two hops: the receiving task passes the frame on to a third task `consume(df: pd.DataFrame)`.
  The middle task holds a materialized pandas frame, so it is written and read twice;
- two hops by reference: the same, with the producer returning a `flyte.io.DataFrame`, which the
  middle task passes on without reading it (written once, read once).

Prints the best of each and the one-hop ratio (target: <= 1.15).
Needs pandas and pyarrow: pip install 'flyte[dataframe]'.
Run: python bench/bench_io_dataframe.py [rows] [rounds]
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("FLYTE_HOME", tempfile.mkdtemp(prefix="flyte-bench-"))

import numpy as np
import pandas as pd

import flyte

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5

rng = np.random.default_rng(0)
FRAME = pd.DataFrame(
    {
        "id": np.arange(ROWS, dtype=np.int64),
        "value": rng.random(ROWS),
        "category": pd.Series(rng.integers(0, 1000, ROWS)).map(lambda i: f"cat-{i}"),
        "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**6, ROWS), unit="s"),
    }
)

env = flyte.TaskEnvironment("bench-dataframe")


@env.task
async def produce() -> pd.DataFrame:
    return FRAME


@env.task
async def consume(df: pd.DataFrame) -> int:
    return len(df)


@env.task
async def produce_ref() -> flyte.io.DataFrame:
    return flyte.io.DataFrame.wrap_df(FRAME)


@env.task
async def two_hops_by_reference() -> int:
    return await consume(await produce_ref())


@env.task
async def one_hop() -> int:
    return len(await produce())


@env.task
async def two_hops() -> int:
    return await consume(await produce())


def raw(work: Path) -> None:
    path = work / "raw.parquet"
    FRAME.to_parquet(path)
    back = pd.read_parquet(path)
    assert len(back) == ROWS
    path.unlink()


def through_tasks(task) -> None:
    assert flyte.run(task).outputs()[0] == ROWS


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="flyte-bench-df-"))
    flyte.run(consume, FRAME.head(10))  # warm up the runtime and the handlers
    ops = {
        "raw": lambda: raw(work),
        "one hop": lambda: through_tasks(one_hop),
        "two hops": lambda: through_tasks(two_hops),
        "by reference": lambda: through_tasks(two_hops_by_reference),
    }
    times: dict[str, list[float]] = {k: [] for k in ops}
    try:
        for r in range(ROUNDS):
            names = list(ops)
            for name in names[r % len(names) :] + names[: r % len(names)]:
                os.sync()
                t0 = time.perf_counter()
                ops[name]()
                times[name].append(time.perf_counter() - t0)
            shutil.rmtree(Path(os.environ["FLYTE_HOME"]) / "runs", ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    best = {k: min(v) for k, v in times.items()}
    print(f"pandas DataFrame of {ROWS:,} rows, best of {ROUNDS} rounds")
    print(f"  to_parquet + read_parquet        {best['raw']:6.3f} s")
    print(
        f"  task -> task, one hop            {best['one hop']:6.3f} s  {best['one hop'] / best['raw']:.2f}x (target <= 1.15)"
    )
    print(f"  task -> task -> task, two hops   {best['two hops']:6.3f} s  {best['two hops'] / best['raw']:.2f}x")
    ref = best["by reference"]
    print(f"  two hops, flyte.io.DataFrame     {ref:6.3f} s  {ref / best['raw']:.2f}x")


if __name__ == "__main__":
    main()
