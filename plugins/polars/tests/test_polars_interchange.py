"""Polars frames interchange with pandas, pyarrow and flyte.io.DataFrame, both ways; column subsets."""

from __future__ import annotations

import datetime
from typing import Annotated

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

import flyte
from flyte.io import DataFrame
from flyte.types import TypeEngine


def polars_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [1, 2, 3],
            "name": ["ann", "bob", None],
            "score": [0.5, None, 2.5],
            "ok": [True, False, True],
            "when": [datetime.datetime(2024, 5, 1, 8), None, datetime.datetime(2024, 5, 3, 9)],
            "tags": [["x"], [], ["y", "z"]],
        }
    )


def as_pandas(df: pl.DataFrame) -> pd.DataFrame:
    return df.to_pandas()


@pytest.mark.parametrize("lazy", [False, True], ids=["eager", "lazy"])
def test_a_polars_output_reads_as_pandas_pyarrow_and_flyte_dataframe(store, lazy):
    frame = polars_frame()
    lit = TypeEngine.to_literal_sync(frame.lazy() if lazy else frame, pl.LazyFrame if lazy else pl.DataFrame)

    got_pd = TypeEngine.to_python_value_sync(lit, pd.DataFrame)
    assert list(got_pd.columns) == frame.columns
    assert got_pd["id"].tolist() == [1, 2, 3]
    assert got_pd["name"].tolist()[:2] == ["ann", "bob"] and pd.isna(got_pd["name"].iloc[2])
    assert [list(t) for t in got_pd["tags"]] == [["x"], [], ["y", "z"]]

    got_pa = TypeEngine.to_python_value_sync(lit, pa.Table)
    assert isinstance(got_pa, pa.Table)
    assert_frame_equal(pl.from_arrow(got_pa), frame)

    wrapped = TypeEngine.to_python_value_sync(lit, DataFrame)
    assert isinstance(wrapped, DataFrame) and wrapped.val is None and wrapped.format == "parquet"
    assert wrapped.column_names() == frame.columns
    assert_frame_equal(wrapped.open(pl.DataFrame).all_sync(), frame)
    assert_frame_equal(wrapped.open(pl.LazyFrame).all_sync().collect(), frame)
    assert wrapped.open(pd.DataFrame).all_sync()["score"].tolist()[0] == 0.5


@pytest.mark.parametrize("read_as", [pl.DataFrame, pl.LazyFrame], ids=["eager", "lazy"])
def test_pandas_and_pyarrow_outputs_read_as_polars(store, read_as):
    frame = polars_frame()

    def read(lit):
        got = TypeEngine.to_python_value_sync(lit, read_as)
        assert isinstance(got, read_as)
        return got.collect() if read_as is pl.LazyFrame else got

    from_pandas = read(TypeEngine.to_literal_sync(as_pandas(frame), pd.DataFrame))
    assert from_pandas.columns == frame.columns
    assert from_pandas["id"].to_list() == [1, 2, 3]
    assert from_pandas["tags"].to_list() == [["x"], [], ["y", "z"]]

    from_arrow = read(TypeEngine.to_literal_sync(frame.to_arrow(), pa.Table))
    assert_frame_equal(from_arrow, frame)

    # A flyte.io.DataFrame wrapping pandas, written by core's pandas handler.
    wrapped = DataFrame.from_local_sync(as_pandas(frame))
    via_wrapper = read(TypeEngine.to_literal_sync(wrapped, DataFrame))
    assert via_wrapper["name"].to_list() == ["ann", "bob", None]


def test_a_pandas_index_is_not_a_polars_column(store):
    indexed = pd.DataFrame({"v": [10, 20]}, index=pd.Index(["a", "b"], name=None))
    lit = TypeEngine.to_literal_sync(indexed, pd.DataFrame)
    for read_as in (pl.DataFrame, pl.LazyFrame):
        got = TypeEngine.to_python_value_sync(lit, read_as)
        got = got.collect() if read_as is pl.LazyFrame else got
        assert got.columns == ["v"]


def test_wrapping_a_polars_frame_in_flyte_dataframe(store):
    frame = polars_frame()
    for value in (frame, frame.lazy()):
        lit = TypeEngine.to_literal_sync(DataFrame.wrap_df(value), DataFrame)
        store.assert_in_store(lit.scalar.structured_dataset.uri)
        assert_frame_equal(
            pl.from_pandas(TypeEngine.to_python_value_sync(lit, pd.DataFrame)), frame, check_dtypes=False
        )
        assert_frame_equal(TypeEngine.to_python_value_sync(lit, pl.DataFrame), frame)


def test_tasks_of_different_engines_exchange_frames(store):
    env = flyte.TaskEnvironment("polars-interchange")
    frame = polars_frame()

    @env.task
    async def from_pandas() -> pd.DataFrame:
        return as_pandas(frame)

    @env.task
    async def in_polars(df: pl.LazyFrame) -> pl.LazyFrame:
        return df.filter(pl.col("id") > 1).with_columns((pl.col("id") * 10).alias("id10"))

    @env.task
    async def in_arrow(table: pa.Table) -> int:
        return sum(table.column("id10").to_pylist())

    @env.task
    async def wrapped() -> DataFrame:
        return DataFrame.from_df(frame)

    @env.task
    async def in_polars_eager(df: pl.DataFrame) -> DataFrame:
        return DataFrame.from_df(df.select("id", "name"))

    @env.task
    async def pipeline() -> list[int]:
        total = await in_arrow(table=await in_polars(df=await from_pandas()))
        back = await in_polars_eager(df=await wrapped())
        ids = (await back.open(pd.DataFrame).all())["id"].tolist()
        return [total, *ids]

    assert flyte.run(pipeline).outputs()[0] == [50, 1, 2, 3]


# ------------------------------------------------------------------------------ column subsets


def test_annotated_columns_select_a_subset_eager_and_lazy(store):
    frame = polars_frame()
    lit = TypeEngine.to_literal_sync(frame, pl.DataFrame)
    eager = TypeEngine.to_python_value_sync(lit, Annotated[pl.DataFrame, {"score": float, "id": int}])
    assert eager.columns == ["score", "id"]
    assert_frame_equal(eager, frame.select("score", "id"))

    lazy = TypeEngine.to_python_value_sync(lit, Annotated[pl.LazyFrame, {"name": str}])
    plan = lazy.explain()
    assert "PROJECT 1/6 COLUMNS" in plan, plan  # the subset is pushed into the scan
    assert_frame_equal(lazy.collect(), frame.select("name"))


def test_annotated_columns_on_a_task_input(store):
    env = flyte.TaskEnvironment("polars-subset")

    @env.task
    async def produce() -> pl.DataFrame:
        return polars_frame()

    @env.task
    async def names(df: Annotated[pl.DataFrame, {"name": str}]) -> list[str]:
        assert df.columns == ["name"]
        return [n or "-" for n in df["name"].to_list()]

    @env.task
    async def ids(df: Annotated[pl.LazyFrame, {"id": int}]) -> list[int]:
        return df.collect()["id"].to_list()

    @env.task
    async def pipeline() -> tuple[list[str], list[int]]:
        df = await produce()
        return await names(df=df), await ids(df=df)

    assert flyte.run(pipeline).outputs() == (["ann", "bob", "-"], [1, 2, 3])


def test_annotated_columns_through_flyte_dataframe():
    frame = polars_frame()
    lit = TypeEngine.to_literal_sync(DataFrame.wrap_df(frame), DataFrame)
    wrapped = TypeEngine.to_python_value_sync(lit, Annotated[DataFrame, {"ok": bool, "id": int}])
    assert wrapped.open(pl.DataFrame).all_sync().columns == ["ok", "id"]
    assert wrapped.open(pl.LazyFrame).all_sync().collect_schema().names() == ["ok", "id"]
