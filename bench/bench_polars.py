"""Polars frames passed task to task, side by side with the raw polars parquet calls.

The frame (5M rows by default: int, float, string and datetime columns) is built once. Each
round times, in a rotating order:

- raw: `df.write_parquet(path)` then `pl.read_parquet(path)`;
- one hop: a run whose task `produce() -> pl.DataFrame` returns the frame to the task that
  called it, which receives it as a `pl.DataFrame` (written once, read once);
- raw lazy: `df.lazy().sink_parquet(path)` then `pl.scan_parquet(path).collect()`;
- one hop lazy: the same through tasks: `produce_lazy() -> pl.LazyFrame` (streamed with
  sink_parquet), received as a `pl.LazyFrame` that the caller collects;
- one column: the caller of `produce` declares `Annotated[pl.LazyFrame, ...]` and collects one
  column, beside the raw `pl.scan_parquet(path).select(col).collect()`.

Then, for a 20-column frame, the bytes a task reads (growth of /proc/self/io rchar, Linux)
when it selects one column of its LazyFrame input versus when it collects all of it.

Prints, for each, the best and the median wall time and the best CPU time (all threads of the
process; steadier than wall time on a busy machine), and the one-hop ratios (target: <= 1.15).
Needs polars and flyteplugins-polars: pip install -e plugins/polars
Run: python bench/bench_polars.py [rows] [rounds]
"""

from __future__ import annotations

import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import polars as pl

import flyte
from flyte.io import DataFrame

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5

rng = np.random.default_rng(0)
FRAME = pl.DataFrame(
    {
        "id": np.arange(ROWS, dtype=np.int64),
        "value": rng.random(ROWS),
        "category": rng.integers(0, 1000, ROWS),
        "ts": rng.integers(0, 10**6, ROWS),
    }
).with_columns(
    pl.format("cat-{}", "category").alias("category"),
    (pl.datetime(2024, 1, 1) + pl.duration(seconds=pl.col("ts"))).alias("ts"),
)

env = flyte.TaskEnvironment("bench-polars")


@env.task
async def produce() -> pl.DataFrame:
    return FRAME


@env.task
async def produce_lazy() -> pl.LazyFrame:
    return FRAME.lazy()


@env.task
async def one_hop() -> int:
    return (await produce()).height


@env.task
async def one_hop_lazy() -> int:
    lf: pl.LazyFrame = await produce_lazy()
    return lf.collect().height


@env.task
async def one_column_of(lf: Annotated[pl.LazyFrame, {"value": float}]) -> int:
    return lf.collect().height


@env.task
async def one_hop_one_column() -> int:
    return await one_column_of(lf=await produce_ref())


@env.task
async def produce_ref() -> DataFrame:
    return DataFrame.wrap_df(FRAME)


def fresh(work: Path) -> Path:
    # A new name each time: rewriting an existing file makes ext4 flush it on close.
    return work / f"{secrets.token_hex(8)}.parquet"


def raw(work: Path) -> None:
    path = fresh(work)
    FRAME.write_parquet(path)
    assert pl.read_parquet(path).height == ROWS


def raw_lazy(work: Path) -> None:
    path = fresh(work)
    FRAME.lazy().sink_parquet(path)
    assert pl.scan_parquet(path).collect().height == ROWS


def raw_one_column(work: Path) -> None:
    path = fresh(work)
    FRAME.write_parquet(path)
    assert pl.scan_parquet(path).select("value").collect().height == ROWS


def through_tasks(task) -> None:
    assert flyte.run(task).outputs()[0] == ROWS


def _rchar() -> int:
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    raise RuntimeError("no rchar in /proc/self/io")


@env.task
async def select_one(lf: pl.LazyFrame) -> int:
    return lf.select("c7").collect().height


@env.task
async def collect_all(lf: pl.LazyFrame) -> int:
    return lf.collect().height


def bytes_read() -> None:
    if not Path("/proc/self/io").exists():
        print("  (bytes read: needs Linux /proc/self/io)")
        return
    wide = pl.DataFrame({f"c{i}": rng.random(500_000) for i in range(20)})
    stored = DataFrame.from_local_sync(wide)
    counts = {}
    for name, task in (("one column", select_one), ("all columns", collect_all)):
        before = _rchar()
        flyte.run(task, lf=stored)
        counts[name] = _rchar() - before
    one, full = counts["one column"], counts["all columns"]
    print(f"LazyFrame input, 20 columns x 500,000 rows ({wide.estimated_size() / 1e6:.0f} MB in memory)")
    print(f"  select one column, bytes read    {one:>12,}")
    print(f"  collect every column, bytes read {full:>12,}  one/all = {one / full:.3f} (target < 0.25)")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="flyte-bench-polars-"))
    flyte.run(one_column_of, lf=FRAME.head(10).lazy())  # warm up the runtime and the handlers
    ops = {
        "raw": lambda: raw(work),
        "one hop": lambda: through_tasks(one_hop),
        "raw lazy": lambda: raw_lazy(work),
        "one hop lazy": lambda: through_tasks(one_hop_lazy),
        "raw one column": lambda: raw_one_column(work),
        "one hop one column": lambda: through_tasks(one_hop_one_column),
    }
    wall: dict[str, list[float]] = {k: [] for k in ops}
    cpu: dict[str, list[float]] = {k: [] for k in ops}
    try:
        for r in range(ROUNDS):
            names = list(ops)
            for name in names[r % len(names) :] + names[: r % len(names)]:
                os.sync()
                t0, c0 = time.perf_counter(), time.process_time()
                ops[name]()
                wall[name].append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)
            # Outside the timings, as for the runs' data: deleting files is not part of either side.
            shutil.rmtree(Path(os.environ["FLYTE_HOME"]) / "runs", ignore_errors=True)
            for stale in work.glob("*.parquet"):
                stale.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    best = {k: min(v) for k, v in wall.items()}
    median = {k: statistics.median(v) for k, v in wall.items()}
    best_cpu = {k: min(v) for k, v in cpu.items()}
    print(f"polars {pl.__version__}, DataFrame of {ROWS:,} rows x 4 columns, {ROUNDS} rounds")
    print(f"  {'':<44}{'best wall':>10}{'median':>10}{'best CPU':>10}")
    for raw_name, hop_name, label in (
        ("raw", "one hop", "write_parquet + read_parquet"),
        ("raw lazy", "one hop lazy", "sink_parquet + scan_parquet().collect()"),
        ("raw one column", "one hop one column", "write_parquet + scan().select(1 col)"),
    ):
        print(f"  {label:<44}{best[raw_name]:9.3f}s{median[raw_name]:9.3f}s{best_cpu[raw_name]:9.3f}s")
        print(
            f"  {'task -> task, ' + hop_name:<44}{best[hop_name]:9.3f}s{median[hop_name]:9.3f}s{best_cpu[hop_name]:9.3f}s"
        )
        print(
            f"  {'  ratio (target <= 1.15)':<44}{best[hop_name] / best[raw_name]:9.2f}x"
            f"{median[hop_name] / median[raw_name]:9.2f}x{best_cpu[hop_name] / best_cpu[raw_name]:9.2f}x"
        )
    bytes_read()


if __name__ == "__main__":
    # A FLYTE_HOME of its own (Flyte reads the variable at each call) unless one is given.
    own_home = None if "FLYTE_HOME" in os.environ else tempfile.mkdtemp(prefix="flyte-bench-polars-home-")
    if own_home:
        os.environ["FLYTE_HOME"] = own_home
    try:
        main()
    finally:
        if own_home:
            shutil.rmtree(own_home, ignore_errors=True)
