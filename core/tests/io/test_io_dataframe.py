"""flyte.io.DataFrame and native dataframes (pandas, pyarrow, dask) as task inputs and outputs."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import pytest

import flyte
from flyte.io import DataFrame
from flyte.io.extend import (
    DataFrameDecoder,
    DataFrameEncoder,
    DataFrameHandlerError,
    DataFrameTransformerEngine,
    list_parts,
)
from flyte.types import TypeEngine

pd = pytest.importorskip("pandas", reason="pandas is an optional extra: pip install 'flyte[dataframe]'")
pa = pytest.importorskip("pyarrow", reason="pyarrow is an optional extra: pip install 'flyte[dataframe]'")
import pyarrow.parquet as pq  # noqa: E402

env = flyte.TaskEnvironment(name="io-dataframe-tests")


def frame(n: int = 5, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": list(range(start, start + n)),
            "name": [f"n{i}" for i in range(start, start + n)],
            "score": [i * 0.5 for i in range(start, start + n)],
        }
    )


def local_files(store) -> list[Path]:
    return store.local_data_files()


# ------------------------------------------------------------------------ creating and reading


def test_wrap_df_writes_when_converted(store):
    df = frame()
    wrapped = DataFrame.wrap_df(df)
    assert DataFrame.from_df(df).val is df and wrapped.uri is None
    assert store.keys() == []
    lit = TypeEngine.to_literal_sync(wrapped, DataFrame)
    sd = lit.scalar.structured_dataset
    assert sd.metadata.structured_dataset_type.format == "parquet"
    store.assert_in_store(sd.uri)
    back = TypeEngine.to_python_value_sync(lit, DataFrame)
    assert back.val is None and back.uri == sd.uri
    pd.testing.assert_frame_equal(back.open(pd.DataFrame).all_sync(), df)
    # converting the same wrapper again passes the same reference on
    assert TypeEngine.to_literal_sync(wrapped, DataFrame).scalar.structured_dataset.uri == sd.uri


def test_from_local_and_existing_remote(store):
    df = frame()
    stored = DataFrame.from_local_sync(df)
    assert stored.val is None
    store.assert_in_store(stored.uri)
    ref = DataFrame.from_existing_remote(stored.uri)
    assert ref.format == "parquet"
    pd.testing.assert_frame_equal(ref.open(pd.DataFrame).all_sync(), df)
    table = ref.open(pa.Table).all_sync()
    assert table.column_names == ["id", "name", "score"] and table.num_rows == 5


def test_from_local_with_a_content_hash(store):
    import hashlib

    stored = DataFrame.from_local_sync(frame(), hash_method="sha256")
    (part,) = list_parts(stored.uri)
    assert stored.hash == hashlib.sha256(store.read(part)).hexdigest()
    assert TypeEngine.to_literal_sync(stored, DataFrame).hash == stored.hash


def test_column_and_schema_metadata(store):
    stored = DataFrame.from_local_sync(frame())
    assert stored.column_names() == ["id", "name", "score"]
    assert stored.columns() == {"id": int, "name": str, "score": float}
    sd_type = stored.metadata.structured_dataset_type
    assert sd_type.external_schema_type == "arrow"
    schema = pa.ipc.read_schema(pa.py_buffer(sd_type.external_schema_bytes))
    assert schema.names == ["id", "name", "score"]
    declared = DataFrame.from_local_sync(frame(), columns={"id": int, "score": float})
    assert declared.columns() == {"id": int, "score": float}


def test_format_hint_csv(store):
    df = frame()
    lit = TypeEngine.to_literal_sync(df, Annotated[pd.DataFrame, "csv"])
    sd = lit.scalar.structured_dataset
    assert sd.metadata.structured_dataset_type.format == "csv"
    assert list_parts(sd.uri)[0].endswith(".csv")
    back = TypeEngine.to_python_value_sync(lit, pd.DataFrame)
    pd.testing.assert_frame_equal(back, df)


def test_column_subsets(store):
    lit = TypeEngine.to_literal_sync(frame(), pd.DataFrame)
    subset = TypeEngine.to_python_value_sync(lit, Annotated[pd.DataFrame, {"score": float, "id": int}])
    assert list(subset.columns) == ["score", "id"]
    as_flyte = TypeEngine.to_python_value_sync(lit, Annotated[DataFrame, {"name": str}])
    assert list(as_flyte.open(pd.DataFrame).all_sync().columns) == ["name"]
    assert as_flyte.open(pa.Table).all_sync().column_names == ["name"]


class Columns:
    id: int
    name: str


def test_column_subset_from_a_class(store):
    lit = TypeEngine.to_literal_sync(frame(), pd.DataFrame)
    assert list(TypeEngine.to_python_value_sync(lit, Annotated[pd.DataFrame, Columns]).columns) == ["id", "name"]


def write_parts(directory: Path, n_parts: int) -> pd.DataFrame:
    """A dataframe stored as several parquet parts, the way parallel writers leave it."""
    directory.mkdir(parents=True)
    frames = [frame(3, start=3 * i) for i in range(n_parts)]
    for i, f in enumerate(frames):
        pq.write_table(pa.Table.from_pandas(f, preserve_index=False), directory / f"part-{i:05d}.parquet")
    (directory / "_SUCCESS").write_text("")
    return pd.concat(frames, ignore_index=True)


@pytest.mark.asyncio
async def test_a_directory_of_parts_read_whole_or_part_by_part(store, tmp_path):
    whole = write_parts(tmp_path / "parts", 3)
    if store.remote:
        from flyte.io import Dir

        uri = (await Dir.from_local(tmp_path / "parts")).path
    else:
        uri = str(tmp_path / "parts")
    df = DataFrame.from_existing_remote(uri, format="parquet")
    pd.testing.assert_frame_equal(await df.open(pd.DataFrame).all(), whole)
    parts = [p async for p in df.open(pd.DataFrame).iter()]
    assert [len(p) for p in parts] == [3, 3, 3]
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole)
    tables = [t async for t in await df.open(pa.Table).iter()]
    assert [t.num_rows for t in tables] == [3, 3, 3]


# ------------------------------------------------------------------------ tasks


@env.task
async def make_pandas(n: int) -> pd.DataFrame:
    return frame(n)


@env.task
async def make_arrow(n: int) -> pa.Table:
    return pa.Table.from_pandas(frame(n), preserve_index=False)


@env.task
async def make_wrapped(n: int) -> Annotated[DataFrame, "parquet"]:
    return DataFrame.from_df(frame(n, start=100))


@env.task
async def as_pandas(a: pd.DataFrame, b: pd.DataFrame, c: pd.DataFrame) -> int:
    return len(a) + len(b) + len(c)


@env.task
async def as_arrow(a: pa.Table, b: pa.Table) -> pa.Table:
    return pa.concat_tables([a, b])


@env.task
async def conversions() -> tuple[int, int]:
    p, a, w = await make_pandas(2), await make_arrow(3), await make_wrapped(4)
    # pandas, arrow and a flyte.io.DataFrame all arrive as pandas; pandas and DataFrame as arrow
    total = await as_pandas(p, a, w)
    joined = await as_arrow(p, w)
    return total, joined.num_rows


def test_automatic_conversion_between_types(store):
    assert tuple(flyte.run(conversions).outputs()) == (9, 6)


@env.task
async def consume_iter(df: DataFrame) -> list[int]:
    return [len(part) async for part in df.open(pd.DataFrame).iter()]


def test_dataframe_input_is_read_lazily(store, tmp_path):
    whole = write_parts(tmp_path / "p", 2)
    src = DataFrame.from_existing_remote(str(tmp_path / "p")) if not store.remote else None
    if src is not None:
        assert flyte.run(consume_iter, src).outputs()[0] == [3, 3]
    stored = DataFrame.from_local_sync(whole)
    assert flyte.run(consume_iter, stored).outputs()[0] == [6]


try:
    import dask.dataframe as dd
except ImportError:  # dask is optional; its test says so when skipped
    dd = None

if dd is not None:

    @env.task
    async def make_dask() -> dd.DataFrame:
        return dd.from_pandas(frame(10), npartitions=3)

    @env.task
    async def dask_parts(df: DataFrame) -> list[int]:
        return [len(p) async for p in df.open(pd.DataFrame).iter()]

    @env.task
    async def dask_total(df: dd.DataFrame) -> float:
        return float(df["score"].sum().compute())

    @env.task
    async def dask_pipeline() -> tuple[list[int], float, int]:
        d = await make_dask()
        return await dask_parts(d), await dask_total(d), await as_pandas(d, d, d)


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # raised inside dask's own parquet writer
def test_dask_dataframes(store):
    if dd is None:
        pytest.skip("dask is optional: pip install 'dask[dataframe]'")
    parts, total, rows = flyte.run(dask_pipeline).outputs()
    assert len(parts) == 3 and sum(parts) == 10  # stored as one parquet part per partition
    assert total == sum(i * 0.5 for i in range(10))
    assert rows == 30


# ------------------------------------------------------------------------ bad input


def test_wrong_format_hint(store):
    with pytest.raises(DataFrameHandlerError, match=r"format `parqet`.*formats registered for it: csv, parquet"):
        TypeEngine.to_literal_sync(frame(), Annotated[pd.DataFrame, "parqet"])
    assert store.keys() == []


class NobodysFrame:
    pass


def test_decoder_for_an_unregistered_type(store):
    stored = DataFrame.from_local_sync(frame())
    with pytest.raises(DataFrameHandlerError) as info:
        stored.open(NobodysFrame).all_sync()
    message = str(info.value)
    assert "No dataframe decoder for `test_io_dataframe.NobodysFrame`" in message
    assert "pandas.DataFrame" in message and "pyarrow.Table" in message
    assert "flyteplugins-polars" in message


def test_a_known_plugin_type_names_its_package():
    fake_polars = type("DataFrame", (), {"__module__": "polars.dataframe.frame"})
    with pytest.raises(DataFrameHandlerError, match=r"`polars.DataFrame`.*pip install flyteplugins-polars"):
        DataFrameTransformerEngine.get_decoder(fake_polars, "file", "parquet")


def test_truncated_parquet(store):
    lit = TypeEngine.to_literal_sync(frame(), pd.DataFrame)
    uri = lit.scalar.structured_dataset.uri
    (part,) = list_parts(uri)
    data = store.read(part)
    if store.remote:
        key = part[len(f"s3://{store.bucket}/") :]
        store.client.put_object(Bucket=store.bucket, Key=key, Body=data[: len(data) // 2])
    else:
        Path(part).write_bytes(data[: len(data) // 2])
    with pytest.raises(Exception, match=r"Cannot read parquet data at .*part-00000.parquet.*truncated or not parquet"):
        TypeEngine.to_python_value_sync(lit, pd.DataFrame)


def test_missing_columns(store):
    lit = TypeEngine.to_literal_sync(frame(), pd.DataFrame)
    with pytest.raises(Exception, match=r"Columns \['nope'\] were requested .* has only \['id', 'name', 'score'\]"):
        TypeEngine.to_python_value_sync(lit, Annotated[pd.DataFrame, {"nope": int}])


class ExplodingEncoder(DataFrameEncoder):
    """Writes a part, then fails: the engine must remove what it wrote."""

    def __init__(self):
        super().__init__(pd.DataFrame, None, "exploding")

    async def encode(self, dataframe, structured_dataset_type):
        from flyte.io.extend import part_uri, write_path

        with write_path(part_uri(dataframe.uri, "half")) as path:
            path.write_bytes(b"half")
        with write_path(part_uri(dataframe.uri, "never")) as path:
            path.write_bytes(b"partial")
            raise OSError("disk full")


def test_a_failing_encoder_leaves_nothing_behind(store):
    DataFrameTransformerEngine.register(ExplodingEncoder(), override=True)
    with pytest.raises(Exception, match="disk full"):
        TypeEngine.to_literal_sync(frame(), Annotated[pd.DataFrame, "exploding"])
    assert store.keys() == []


def test_dataframe_without_data_or_uri():
    with pytest.raises(Exception, match="neither data nor a uri"):
        TypeEngine.to_literal_sync(DataFrame(), DataFrame)
    with pytest.raises(TypeError, match=r"Call open\(<dataframe type>\) before all"):
        asyncio.run(DataFrame.from_existing_remote("/x").all())


def test_registration_rules():
    class Mine:
        pass

    class MineDecoder(DataFrameDecoder):
        def __init__(self):
            super().__init__(Mine, "s3://", "fmt")

        async def decode(self, flyte_value, current_task_metadata):
            return Mine()

    first = MineDecoder()
    assert first.protocol == "s3"
    DataFrameTransformerEngine.register(first)
    with pytest.raises(ValueError, match=r"already registered: MineDecoder.*override=True"):
        DataFrameTransformerEngine.register(MineDecoder())
    DataFrameTransformerEngine.register(MineDecoder(), override=True)
    assert isinstance(DataFrameTransformerEngine.get_decoder(Mine, "s3", "fmt"), MineDecoder)
    with pytest.raises(DataFrameHandlerError, match="on protocol `file`"):
        DataFrameTransformerEngine.get_decoder(Mine, "file", "fmt")
    with pytest.raises(ValueError, match="protocol must be None"):
        DataFrameDecoder.__init__(MineDecoder.__new__(MineDecoder), Mine, "", "fmt")
    with pytest.raises(TypeError, match="abstract"):
        DataFrameEncoder(Mine)  # type: ignore[abstract]


def test_import_flyte_loads_no_dataframe_library():
    import subprocess

    code = "import flyte, flyte.io, sys; print(sorted(m for m in ('pandas', 'pyarrow', 'dask', 'fsspec', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
