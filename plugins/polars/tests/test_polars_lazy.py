"""LazyFrame inputs are real scans (pushdown measured in bytes read); LazyFrame outputs are streamed.

Bytes read are measured, not assumed: on S3 as the object bytes moto's server sent back
(through the counting proxy of conftest.py), on the local store as the growth of this
process's ``rchar`` in /proc/self/io (bytes returned by read system calls: polars 2 reads local
files that way; polars 1 maps them into memory, which rchar misses, so there only S3 measures).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

import flyte
from flyte.io import DataFrame
from flyte.types import TypeEngine

env = flyte.TaskEnvironment("polars-lazy")

COLUMNS = 20


@env.task
async def one_column(lf: pl.LazyFrame) -> float:
    return lf.select(pl.col("c7").sum()).collect().item()


@env.task
async def every_column(lf: pl.LazyFrame) -> float:
    return lf.collect().select(pl.sum_horizontal(pl.all().sum())).item()


@env.task
async def every_column_eager(df: pl.DataFrame) -> float:
    return df.select(pl.sum_horizontal(pl.all().sum())).item()


@env.task
async def few_rows(lf: pl.LazyFrame) -> int:
    return lf.filter(pl.col("id") < 1_000).select(pl.len()).collect().item()


@env.task
async def plan_of(lf: pl.LazyFrame) -> str:
    return lf.filter(pl.col("id") < 1_000).select("v").explain()


def _rchar() -> int:
    if not Path("/proc/self/io").exists():
        pytest.skip("local byte counts come from Linux /proc/self/io")
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def measure(store: Any, action: Callable[[], object]) -> tuple[object, int]:
    """Run `action`; return its result and the bytes of stored data it read."""
    if store.remote:
        assert store.proxy is not None
        store.proxy.reset()
        result = action()
        return result, store.proxy.bytes_read(store.bucket)
    if not _local_reads_are_counted(store.home):
        pytest.skip(
            f"polars {pl.__version__} maps local files into memory, which /proc/self/io does not count; "
            "the S3 variant of this test measures the bytes instead"
        )
    before = _rchar()
    result = action()
    return result, _rchar() - before


def _local_reads_are_counted(work: Path) -> bool:
    """Whether this polars reads local parquet with read calls (counted in rchar) rather than mmap."""
    path = work / "probe.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"x": np.random.default_rng(0).random(500_000)}).write_parquet(path)
    try:
        before = _rchar()
        pl.scan_parquet(path).collect()
        return _rchar() - before > path.stat().st_size / 2
    finally:
        path.unlink()


@pytest.fixture
def wide(store: Any) -> tuple[DataFrame, pl.DataFrame]:
    """A 20-column frame of random floats (~32 MB as parquet), stored once; a reference to it."""
    rng = np.random.default_rng(7)
    frame = pl.DataFrame({f"c{i}": rng.random(200_000) for i in range(COLUMNS)})
    return DataFrame.from_local_sync(frame), frame


def test_selecting_one_of_20_columns_reads_under_a_quarter_of_the_bytes(store, wide, capsys):
    stored, frame = wide
    one, one_bytes = measure(store, lambda: flyte.run(one_column, lf=stored).outputs()[0])
    full, full_bytes = measure(store, lambda: flyte.run(every_column, lf=stored).outputs()[0])
    eager, eager_bytes = measure(store, lambda: flyte.run(every_column_eager, df=stored).outputs()[0])
    assert one == pytest.approx(frame["c7"].sum())
    assert full == pytest.approx(eager) and full == pytest.approx(frame.select(pl.all().sum()).sum_horizontal()[0])
    with capsys.disabled():
        print(
            f"\n[{store.kind}] one of {COLUMNS} columns: {one_bytes:,} bytes; all columns (lazy): {full_bytes:,}; "
            f"all columns (eager): {eager_bytes:,}; ratio {one_bytes / full_bytes:.3f}"
        )
    assert full_bytes > 0.9 * frame.estimated_size()  # the full read really read the data
    assert one_bytes < full_bytes / 4


def test_a_filter_on_a_sorted_column_skips_row_groups(store, capsys):
    n = 2_000_000
    frame = pl.DataFrame({"id": np.arange(n), "v": np.random.default_rng(3).random(n)})
    stored = DataFrame.from_local_sync(frame)
    count, filtered_bytes = measure(store, lambda: flyte.run(few_rows, lf=stored).outputs()[0])
    _, full_bytes = measure(store, lambda: flyte.run(every_column, lf=stored).outputs()[0])
    assert count == 1_000
    with capsys.disabled():
        print(f"\n[{store.kind}] filter id < 1000 of {n:,}: {filtered_bytes:,} bytes; full read {full_bytes:,}")
    assert filtered_bytes < full_bytes / 4
    # The filter is pushed into the scan of the stored file.
    plan = flyte.run(plan_of, lf=stored).outputs()[0]
    scan = plan[plan.index("SCAN") :]
    assert "SELECTION" in scan and "id" in scan, plan
    assert ("s3://" if store.remote else str(store.home)) in scan, plan


def test_decoding_a_lazyframe_reads_only_the_footer(store, wide):
    stored, frame = wide
    lit = TypeEngine.to_literal_sync(stored, DataFrame)
    lf, read = measure(store, lambda: TypeEngine.to_python_value_sync(lit, pl.LazyFrame))
    assert isinstance(lf, pl.LazyFrame)
    assert read < frame.estimated_size() / 100, read  # the schema, not the data


def test_a_lazyframe_input_scans_the_store_itself(store, wide):
    stored, _ = wide
    plan = TypeEngine.to_python_value_sync(TypeEngine.to_literal_sync(stored, DataFrame), pl.LazyFrame).explain()
    assert "Parquet SCAN" in plan
    assert ("s3://" if store.remote else str(store.home)) in plan


# ------------------------------------------------------------------------------ streamed output

_BASE = pl.LazyFrame({"k": [1, 2, 1, 3], "v": [1.0, 2.0, 3.0, 4.0], "tags": [["a"], ["b", "c"], [], None]})
PLANS = {
    "group_by": _BASE.group_by("k").agg(pl.col("v").sum()).sort("k"),
    "sort": _BASE.sort("v", descending=True),
    "join": _BASE.join(_BASE.select("k", w=pl.col("v") * 10), on="k").sort("k", "v", "w"),
    "python udf": _BASE.select(pl.col("v").map_batches(lambda s: s * 2, return_dtype=pl.Float64)),
    "window": _BASE.with_columns(pl.col("v").sum().over("k").alias("per_k")),
    "cumulative": _BASE.with_columns(pl.col("v").cum_sum().alias("running")),
    "row index": _BASE.with_row_index(),
    "unique": _BASE.select("k").unique().sort("k"),
    "head": _BASE.head(2),
}


@pytest.mark.parametrize("plan", list(PLANS.values()), ids=list(PLANS))
def test_lazyframe_outputs_of_any_plan_are_written(store, plan):
    lit = TypeEngine.to_literal_sync(plan, pl.LazyFrame)
    store.assert_in_store(lit.scalar.structured_dataset.uri)
    back = TypeEngine.to_python_value_sync(lit, pl.DataFrame)
    assert back.equals(plan.collect())


STREAM_PROGRAM = """
import json, sys
import polars as pl
import flyte

def status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(field)

seed, copies = sys.argv[1], int(sys.argv[2])
env = flyte.TaskEnvironment("polars-stream")

@env.task
async def produce() -> pl.LazyFrame:
    return pl.concat([pl.scan_parquet(seed)] * copies).with_columns((pl.col("a") * 2).alias("a2"))

@env.task
async def rows(lf: pl.LazyFrame) -> int:
    return lf.select(pl.len()).collect().item()

@env.task
async def warm_up() -> pl.LazyFrame:
    return pl.scan_parquet(seed).with_columns((pl.col("a") * 2).alias("a2"))

flyte.run(warm_up)  # start the runtime and polars' thread pool before the baseline
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current resident size
base = status("VmRSS")
out = flyte.run(produce).outputs()[0]
rise = status("VmHWM") - base
print(json.dumps({"rise": rise, "rows": flyte.run(rows, lf=out).outputs()[0]}))
"""


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="peak memory is read from Linux /proc")
def test_a_lazyframe_output_is_streamed_not_collected(tmp_path, capsys):
    # 1M rows of low-entropy data: a small file that is 24 MB per copy once in memory.
    seed = tmp_path / "seed.parquet"
    i = pl.int_range(0, 1_000_000, eager=True)
    pl.DataFrame({"a": (i % 997).cast(pl.Float64), "b": i % 13}).write_parquet(seed)
    copies = 40
    materialised = copies * 1_000_000 * (8 + 8 + 8)  # a, b and a2, 8 bytes each: 960 MB
    program = tmp_path / "stream.py"
    program.write_text(textwrap.dedent(STREAM_PROGRAM))
    proc = subprocess.run(
        [sys.executable, str(program), str(seed), str(copies)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "FLYTE_HOME": str(tmp_path / "home")},
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["rows"] == copies * 1_000_000
    with capsys.disabled():
        print(f"\nLazyFrame output of {materialised / 1e6:.0f} MB: peak RSS rise {result['rise'] / 1e6:.0f} MB")
    assert result["rise"] < materialised / 4
