"""Bad input is a clear error naming the thing, the value and the fix; failures leave nothing behind."""

from __future__ import annotations

import json
from typing import Annotated

import polars as pl
import pytest

import flyte
from flyte.io import DataFrame
from flyte.types import TypeEngine

READ_AS = [pl.DataFrame, pl.LazyFrame]
IDS = ["eager", "lazy"]


def frame() -> pl.DataFrame:
    return pl.DataFrame({"a": [1, 2], "b": ["x", "y"]})


@pytest.mark.parametrize("read_as", READ_AS, ids=IDS)
def test_a_stored_object_that_is_not_parquet(store, read_as):
    uri = store.put("notes.parquet", b"these are notes, not a parquet file\n" * 10)
    stored = DataFrame.from_existing_remote(uri)
    # The lazy read fails when the input is decoded, not later inside the task's collect().
    with pytest.raises(ValueError, match=r"Cannot read parquet data at .*notes\.parquet.*not parquet") as info:
        stored.open(read_as).all_sync()
    if store.remote:
        assert "FLYTE_BLOB_OPTIONS" in str(info.value)


def test_a_task_given_data_that_is_not_parquet_fails_clearly(store):
    uri = store.put("bad.parquet", b"not parquet")
    env = flyte.TaskEnvironment("polars-bad-input")

    @env.task
    async def count(lf: pl.LazyFrame) -> int:
        return lf.select(pl.len()).collect().item()

    with pytest.raises(Exception, match=r"Cannot read parquet data at .*bad\.parquet"):
        flyte.run(count, lf=DataFrame.from_existing_remote(uri))


@pytest.mark.parametrize("read_as", READ_AS, ids=IDS)
def test_a_hint_naming_a_missing_column(store, read_as):
    lit = TypeEngine.to_literal_sync(frame(), pl.DataFrame)
    with pytest.raises(ValueError, match=r"Columns \['nope'\] were requested .* has only \['a', 'b'\].*Annotated"):
        TypeEngine.to_python_value_sync(lit, Annotated[read_as, {"a": int, "nope": str}])


def test_nothing_stored_at_the_uri(store):
    missing = store.put("x", b"").rsplit("/", 1)[0] + "/never-written"
    for read_as in READ_AS:
        with pytest.raises(FileNotFoundError, match="never-written"):
            DataFrame.from_existing_remote(missing).open(read_as).all_sync()


@pytest.mark.parametrize("lazy", [False, True], ids=IDS)
def test_an_output_hint_naming_a_missing_column_writes_nothing(store, lazy):
    value = frame().lazy() if lazy else frame()
    t = Annotated[pl.LazyFrame if lazy else pl.DataFrame, {"a": int, "c": float}]
    with pytest.raises(Exception, match=r"declares columns \['c'\].*has \['a', 'b'\]"):
        TypeEngine.to_literal_sync(value, t)
    assert store.keys() == []


def test_a_lazy_plan_that_fails_while_streaming_writes_nothing(store):
    # The schema resolves; the cast fails only once rows flow, i.e. inside sink_parquet.
    bad = pl.LazyFrame({"n": ["1", "2", "three"]}).with_columns(pl.col("n").cast(pl.Int64))
    with pytest.raises(Exception, match=r"(?i)three|conversion|cast"):
        TypeEngine.to_literal_sync(bad, pl.LazyFrame)
    assert store.keys() == []


def test_a_format_polars_is_not_stored_in():
    with pytest.raises(Exception, match=r"No dataframe encoder for format `csv` of `polars.DataFrame`.*parquet"):
        TypeEngine.to_literal_sync(frame(), Annotated[pl.DataFrame, "csv"])


def test_a_store_polars_cannot_open(monkeypatch):
    # fsspec's in-memory filesystem: Flyte's storage can use it, polars' reader cannot.
    pytest.importorskip("fsspec")
    monkeypatch.setenv("FLYTE_BLOB_URI", "memory://polars-test/data")
    lit = TypeEngine.to_literal_sync(frame(), pl.DataFrame)
    uri = lit.scalar.structured_dataset.uri
    assert uri.startswith("memory://")
    # Eager reads download the data through Flyte's storage.
    assert TypeEngine.to_python_value_sync(lit, pl.DataFrame).equals(frame())
    assert TypeEngine.to_python_value_sync(lit, Annotated[pl.DataFrame, {"b": str}]).columns == ["b"]
    with pytest.raises(ValueError, match=r"polars cannot scan memory://.* lazily.*Declare the input as pl.DataFrame"):
        TypeEngine.to_python_value_sync(lit, pl.LazyFrame)


def test_a_broken_blob_options_variable(s3_store, monkeypatch):
    lit = TypeEngine.to_literal_sync(frame(), pl.DataFrame)
    monkeypatch.setenv("FLYTE_BLOB_OPTIONS", json.dumps(["not", "an", "object"]))
    with pytest.raises(ValueError, match=r"FLYTE_BLOB_OPTIONS must be a JSON object"):
        TypeEngine.to_python_value_sync(lit, pl.LazyFrame)
