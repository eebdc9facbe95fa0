"""Round trips of every column type polars writes to parquet, empty frames, frames without columns."""

from __future__ import annotations

import asyncio
import datetime
import decimal
import io
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import flyte
from flyte.io import DataFrame
from flyte.types import TypeEngine


def _series() -> list[pl.Series]:
    utc = datetime.timezone.utc
    when = [datetime.datetime(2024, 1, 1, 12, 30, tzinfo=utc), None, datetime.datetime(1969, 7, 20, 20, 17, tzinfo=utc)]
    out = [
        pl.Series("i8", [-128, None, 127], dtype=pl.Int8),
        pl.Series("i16", [-(2**15), 0, None], dtype=pl.Int16),
        pl.Series("i32", [None, -(2**31), 2**31 - 1], dtype=pl.Int32),
        pl.Series("i64", [-(2**63), 0, 2**63 - 1], dtype=pl.Int64),
        pl.Series("u8", [0, 255, None], dtype=pl.UInt8),
        pl.Series("u16", [0, 2**16 - 1, None], dtype=pl.UInt16),
        pl.Series("u32", [0, 2**32 - 1, None], dtype=pl.UInt32),
        pl.Series("u64", [0, 2**64 - 1, None], dtype=pl.UInt64),
        pl.Series("f32", [1.5, None, float("inf")], dtype=pl.Float32),
        pl.Series("f64", [float("nan"), -0.0, None], dtype=pl.Float64),
        pl.Series("dec", [decimal.Decimal("12345.67"), None, decimal.Decimal("-0.01")], dtype=pl.Decimal(10, 2)),
        pl.Series("str", ["plain", None, "ünïcødé ✓"], dtype=pl.String),
        pl.Series("bin", [b"\x00\x01", None, b""], dtype=pl.Binary),
        pl.Series("bool", [True, None, False], dtype=pl.Boolean),
        pl.Series("date", [datetime.date(2024, 2, 29), None, datetime.date(1900, 1, 1)], dtype=pl.Date),
        pl.Series("time", [datetime.time(0, 0), datetime.time(23, 59, 59, 999999), None], dtype=pl.Time),
        pl.Series("dt_naive_us", [datetime.datetime(2024, 1, 1, 0, 0, 0, 1), None, datetime.datetime(2000, 1, 1)]),
        pl.Series("dt_utc", when, dtype=pl.Datetime("us", "UTC")),
        pl.Series("dt_paris_ms", when).dt.convert_time_zone("Europe/Paris").dt.cast_time_unit("ms"),
        pl.Series("dt_ny_ns", when).dt.convert_time_zone("America/New_York").dt.cast_time_unit("ns"),
        pl.Series("dur_us", [datetime.timedelta(days=1, microseconds=1), None, datetime.timedelta(seconds=-5)]),
        pl.Series("dur_ms", [datetime.timedelta(milliseconds=3), None, datetime.timedelta(0)], dtype=pl.Duration("ms")),
        pl.Series("list_int", [[1, 2, None], [], None], dtype=pl.List(pl.Int64)),
        pl.Series("list_str", [["a"], None, ["b", None]], dtype=pl.List(pl.String)),
        pl.Series("list_list", [[[1], [2, 3]], None, [[]]], dtype=pl.List(pl.List(pl.Int32))),
        pl.Series("array", [[1.0, 2.0], None, [3.0, 4.0]], dtype=pl.Array(pl.Float64, 2)),
        pl.Series("struct", [{"x": 1, "y": "a"}, None, {"x": None, "y": "c"}]),
        pl.Series(
            "struct_nested",
            [{"p": {"q": [1, 2]}, "when": datetime.date(2020, 1, 1)}, {"p": None, "when": None}, None],
        ),
        pl.Series("null", [None, None, None], dtype=pl.Null),
        pl.Series("cat", ["red", None, "blue"], dtype=pl.Categorical),
        pl.Series("enum", ["lo", "hi", None], dtype=pl.Enum(["lo", "mid", "hi"])),
    ]
    # Types only some polars versions have, or can write to parquet.
    for name, dtype, values in (
        ("i128", "Int128", [-(2**100), None, 2**100]),
        ("u128", "UInt128", [0, None, 2**120]),
        ("f16", "Float16", [0.5, None, -2.0]),
    ):
        if hasattr(pl, dtype):
            series = pl.Series(name, values, dtype=getattr(pl, dtype))
            if _polars_writes(series):
                out.append(series)
    return out


def _polars_writes(series: pl.Series) -> bool:
    try:
        series.to_frame().write_parquet(io.BytesIO())
    except pl.exceptions.PolarsError:
        return False
    return True


def assert_same(expected: pl.DataFrame, actual: pl.DataFrame) -> None:
    """Exactly equal, dtypes included; categoricals compared by value (polars 1 gives each read its own cache)."""
    assert actual.schema == expected.schema
    assert_frame_equal(expected, actual, check_exact=True, categorical_as_str=True)


def every_type() -> pl.DataFrame:
    return pl.DataFrame(_series())


def test_the_sample_covers_every_kind_of_column():
    schema = every_type().schema
    kinds = {dtype.base_type() for dtype in schema.values()}
    for kind in (pl.Int8, pl.UInt64, pl.Float32, pl.Decimal, pl.String, pl.Binary, pl.Boolean, pl.Date, pl.Time,
                 pl.Datetime, pl.Duration, pl.List, pl.Array, pl.Struct, pl.Null, pl.Categorical, pl.Enum):  # fmt: skip
        assert kind in kinds
    zones = {dtype.time_zone for dtype in schema.values() if isinstance(dtype, pl.Datetime)}
    assert zones == {None, "UTC", "Europe/Paris", "America/New_York"}


def test_every_column_type_round_trips_eager(store):
    frame = every_type()
    lit = TypeEngine.to_literal_sync(frame, pl.DataFrame)
    store.assert_in_store(lit.scalar.structured_dataset.uri)
    back = TypeEngine.to_python_value_sync(lit, pl.DataFrame)
    assert back.schema == frame.schema
    assert_same(frame, back)


def test_every_column_type_round_trips_lazy(store):
    frame = every_type()
    lit = TypeEngine.to_literal_sync(frame.lazy(), pl.LazyFrame)
    store.assert_in_store(lit.scalar.structured_dataset.uri)
    back = TypeEngine.to_python_value_sync(lit, pl.LazyFrame)
    assert isinstance(back, pl.LazyFrame)
    assert back.collect_schema() == frame.schema
    assert_same(frame, back.collect())


def test_eager_and_lazy_outputs_share_one_layout(store):
    frame = every_type()
    eager = TypeEngine.to_literal_sync(frame, pl.DataFrame).scalar.structured_dataset
    lazy = TypeEngine.to_literal_sync(frame.lazy(), pl.LazyFrame).scalar.structured_dataset
    for sd in (eager, lazy):
        assert sd.metadata.structured_dataset_type.format == "parquet"
    if store.remote:
        names = [k.rsplit("/", 1)[-1] for k in store.keys()]
    else:
        names = [Path(p).name for p in store.keys()]
    assert names == ["part-00000.parquet", "part-00000.parquet"]
    # Each reads as the other.
    for lit_type, read_as in ((pl.DataFrame, pl.LazyFrame), (pl.LazyFrame, pl.DataFrame)):
        lit = TypeEngine.to_literal_sync(frame if lit_type is pl.DataFrame else frame.lazy(), lit_type)
        back = TypeEngine.to_python_value_sync(lit, read_as)
        assert_same(frame, back.collect() if read_as is pl.LazyFrame else back)


def test_column_metadata_records_flyte_types():
    frame = every_type()
    lit = TypeEngine.to_literal_sync(frame, pl.DataFrame)
    columns = TypeEngine.to_python_value_sync(lit, DataFrame).columns()
    assert list(columns) == frame.columns
    expected = {
        "i8": int, "u64": int, "f32": float, "dec": float, "str": str, "cat": str, "enum": str, "bin": bytes,
        "bool": bool, "date": datetime.date, "dt_utc": datetime.datetime, "dur_ms": datetime.timedelta,
        "list_int": list[int], "list_list": list[list[int]], "array": list[float],
        "struct": dict,
    }  # fmt: skip
    for name, python_type in expected.items():
        assert columns[name] == python_type, name
    # No Flyte type for a time of day: recorded as a struct tagged with the polars dtype.
    (time,) = [c for c in lit.scalar.structured_dataset.metadata.structured_dataset_type.columns if c.name == "time"]
    assert time.literal_type.structure.tag == "polars:Time"


@pytest.mark.parametrize("lazy", [False, True], ids=["eager", "lazy"])
def test_empty_frames_keep_their_schema(store, lazy):
    frame = every_type().clear()
    assert frame.height == 0
    t = pl.LazyFrame if lazy else pl.DataFrame
    lit = TypeEngine.to_literal_sync(frame.lazy() if lazy else frame, t)
    for read_as in (pl.DataFrame, pl.LazyFrame):
        back = TypeEngine.to_python_value_sync(lit, read_as)
        back = back.collect() if read_as is pl.LazyFrame else back
        assert back.height == 0
        assert back.schema == frame.schema


def _parquet_keeps_zero_width_height(frame: pl.DataFrame, tmp_path: Path) -> bool:
    """Whether this polars writes `frame` (no columns) to parquet and reads its height back."""
    path = tmp_path / "probe.parquet"
    try:
        frame.write_parquet(path)
        return pl.read_parquet(path).height == frame.height
    except pl.exceptions.PolarsError:
        return False


@pytest.mark.parametrize("lazy", [False, True], ids=["eager", "lazy"])
def test_a_frame_without_columns_round_trips_or_is_a_clear_error(store, lazy, tmp_path):
    # Polars 2 keeps the height of a frame whose columns were all dropped (3 here); polars 1 has
    # no such frame and makes it 0 x 0.
    frame = pl.DataFrame({"a": [1, 2, 3]}).drop("a")
    assert frame.width == 0
    t = pl.LazyFrame if lazy else pl.DataFrame
    value = frame.lazy() if lazy else frame
    if _parquet_keeps_zero_width_height(frame, tmp_path):
        lit = TypeEngine.to_literal_sync(value, t)
        back = TypeEngine.to_python_value_sync(lit, pl.DataFrame)
        assert back.shape == frame.shape
        assert TypeEngine.to_python_value_sync(lit, pl.LazyFrame).collect().shape == frame.shape
    else:
        with pytest.raises(Exception, match=rf"no columns and {frame.height} rows as parquet.*Add at least one column"):
            TypeEngine.to_literal_sync(value, t)
        assert store.keys() == [], "a failed write left data behind"


def test_a_directory_of_parts_reads_whole_and_part_by_part(store):
    first = pl.DataFrame({"k": [1, 2], "v": ["a", "b"]})
    second = pl.DataFrame({"k": [3], "v": ["c"]})
    uri = flyte.io.DataFrame.from_local_sync(first).uri
    # A second part beside the first, as parallel writers produce.
    buf = io.BytesIO()
    second.write_parquet(buf)
    if store.remote:
        key = uri[len(f"s3://{store.bucket}/") :] + "/part-00001.parquet"
        store.client.put_object(Bucket=store.bucket, Key=key, Body=buf.getvalue())
    else:
        (Path(uri) / "part-00001.parquet").write_bytes(buf.getvalue())
    stored = DataFrame.from_existing_remote(uri)
    expected = pl.concat([first, second])
    assert_same(stored.open(pl.DataFrame).all_sync(), expected)
    assert_same(stored.open(pl.LazyFrame).all_sync().collect(), expected)

    async def parts():
        return [p async for p in stored.open(pl.DataFrame).iter()]

    got = asyncio.run(parts())
    assert len(got) == 2
    assert_same(got[0], first)
    assert_same(got[1], second)


def test_every_column_type_passes_task_to_task(store):
    env = flyte.TaskEnvironment("polars-types")
    frame = every_type()

    @env.task
    async def produce_lazy() -> pl.LazyFrame:
        return frame.lazy()

    @env.task
    async def relay(df: pl.DataFrame) -> pl.DataFrame:
        return df

    @env.task
    async def pipeline() -> pl.LazyFrame:
        eager = await relay(df=await produce_lazy())
        assert_same(eager, frame)
        return eager.lazy()

    out = flyte.run(pipeline).outputs()[0]
    assert isinstance(out, pl.LazyFrame)
    assert_same(out.collect(), frame)
