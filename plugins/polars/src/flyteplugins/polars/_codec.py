"""The polars handlers: ``pl.DataFrame`` and ``pl.LazyFrame`` stored as parquet in the blob store.

Both types share core's layout (a directory holding ``part-00000.parquet``, or the file a user
URI names), so either reads what the other, pandas, pyarrow or dask wrote. Writes go through
Flyte's storage layer (atomic, retried, any fsspec store). Reads go through polars' own
object-store client, so a ``LazyFrame`` input is a real scan whose projections and filters reach
the stored file; data in a store polars cannot open is downloaded first (eager reads only).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import polars as pl

from flyte.io import PARQUET, DataFrame
from flyte.io.extend import (
    DataFrameDecoder,
    DataFrameEncoder,
    DataFrameTransformerEngine,
    StructuredDataset,
    StructuredDatasetMetadata,
    StructuredDatasetType,
    check_columns,
    list_parts,
    part_uri,
    read_error,
    read_path,
    requested_columns,
    write_path,
)
from flyteplugins.polars import _storage
from flyteplugins.polars._schema import dataset_columns

#: Columns pandas adds for a non-default index; polars has no index, so they are left out.
_PANDAS_INDEX_PREFIX = "__index_level_"


# ------------------------------------------------------------------------------ handlers


class PolarsParquetEncoder(DataFrameEncoder):
    """Writes a ``pl.DataFrame`` as one parquet file (``write_parquet``)."""

    def __init__(self) -> None:
        super().__init__(pl.DataFrame, None, PARQUET)

    async def encode(self, dataframe: DataFrame, structured_dataset_type: StructuredDatasetType) -> StructuredDataset:
        assert dataframe.uri is not None
        return await asyncio.to_thread(write_frame, dataframe.val, dataframe.uri, structured_dataset_type)


class PolarsParquetDecoder(DataFrameDecoder):
    """Reads stored parquet (every part) into a ``pl.DataFrame``."""

    def __init__(self) -> None:
        super().__init__(pl.DataFrame, None, PARQUET)

    async def decode(self, flyte_value: StructuredDataset, current_task_metadata: StructuredDatasetMetadata) -> Any:
        return await asyncio.to_thread(read_frame, flyte_value.uri, requested_columns(current_task_metadata))


class LazyFrameParquetEncoder(DataFrameEncoder):
    """Writes a ``pl.LazyFrame`` by streaming its plan into one parquet file (``sink_parquet``)."""

    def __init__(self) -> None:
        super().__init__(pl.LazyFrame, None, PARQUET)

    async def encode(self, dataframe: DataFrame, structured_dataset_type: StructuredDatasetType) -> StructuredDataset:
        assert dataframe.uri is not None
        return await asyncio.to_thread(write_lazy, dataframe.val, dataframe.uri, structured_dataset_type)


class LazyFrameParquetDecoder(DataFrameDecoder):
    """Reads stored parquet as a ``pl.LazyFrame``: a scan, nothing is read until it is collected."""

    def __init__(self) -> None:
        super().__init__(pl.LazyFrame, None, PARQUET)

    async def decode(self, flyte_value: StructuredDataset, current_task_metadata: StructuredDatasetMetadata) -> Any:
        return await asyncio.to_thread(scan, flyte_value.uri, requested_columns(current_task_metadata))


_lock = threading.Lock()
_registered = False


def register_handlers() -> None:
    """Register the four handlers with Flyte's dataframe engine, once per process."""
    global _registered
    with _lock:
        if _registered:
            return
        for h in (PolarsParquetEncoder(), PolarsParquetDecoder(), LazyFrameParquetEncoder(), LazyFrameParquetDecoder()):
            DataFrameTransformerEngine.register(h, default_format_for_type=True)
        _registered = True


# ------------------------------------------------------------------------------ writing


def write_frame(df: pl.DataFrame, uri: str, sd_type: StructuredDatasetType) -> StructuredDataset:
    """Write `df` under `uri` (atomically) and describe what was written."""
    _check_declared(sd_type, df.columns, uri)
    target = part_uri(uri, PARQUET)
    with write_path(target) as path:
        try:
            df.write_parquet(path)
        except pl.exceptions.PolarsError as e:
            if df.width == 0:
                raise _zero_width_error(df.height, str(e)) from e
            raise
        if df.width == 0:
            _check_stored_height(path, df.height)
    return _described(uri, sd_type, df.schema)


def write_lazy(lf: pl.LazyFrame, uri: str, sd_type: StructuredDatasetType) -> StructuredDataset:
    """Stream the plan of `lf` into a parquet file under `uri` (atomically); the frame is never collected."""
    schema = lf.collect_schema()
    _check_declared(sd_type, schema.names(), uri)
    target = part_uri(uri, PARQUET)
    with write_path(target) as path:
        lf.sink_parquet(path)
        if not schema:
            _check_stored_height(path, lf.select(pl.len()).collect().item())
    return _described(uri, sd_type, schema)


def _described(uri: str, sd_type: StructuredDatasetType, schema: Any) -> StructuredDataset:
    out = StructuredDatasetType()
    out.CopyFrom(sd_type)
    out.format = PARQUET
    if not out.columns:
        out.columns.extend(dataset_columns(schema))
    return StructuredDataset(uri=uri, metadata=StructuredDatasetMetadata(structured_dataset_type=out))


def _check_declared(sd_type: StructuredDatasetType, available: list[str], uri: str) -> None:
    declared = [c.name for c in sd_type.columns]
    missing = [c for c in declared if c not in available]
    if missing:
        raise ValueError(
            f"The output type declares columns {missing} that the polars frame written to {uri} does not have "
            f"(it has {available}); fix the column names in the Annotated[...] return type or add the columns"
        )


def _check_stored_height(path: Any, height: int) -> None:
    """A frame without columns still has a height; make sure the file kept it."""
    stored = pl.scan_parquet(path).select(pl.len()).collect().item()
    if stored != height:
        raise _zero_width_error(height, f"the parquet file polars {pl.__version__} wrote holds {stored} rows")


def _zero_width_error(height: int, reason: str) -> ValueError:
    return ValueError(
        f"Cannot store a polars frame with no columns and {height} rows as parquet: {reason}. "
        "Add at least one column (e.g. df.with_row_index()) or return None instead of an empty frame"
    )


# ------------------------------------------------------------------------------ reading


def scan(uri: str, columns: list[str] | None) -> pl.LazyFrame:
    """A lazy scan of every parquet part stored at `uri`, limited to `columns` when given.

    Only the parquet footer is read here (for the schema); polars reads the data, pruned by
    the plan's projections and filters, when the frame is collected.
    """
    if not _storage.reads_natively(uri):
        raise ValueError(
            f"polars cannot scan {uri} lazily: it has no reader for {_storage.protocol_of(uri)}:// storage. "
            "Declare the input as pl.DataFrame (read through Flyte's storage) or keep the data in a store "
            f"polars reads ({', '.join(sorted(_storage.NATIVE_SCHEMES))} or local files)"
        )
    parts = list_parts(uri)
    kwargs = _storage.scan_options(uri)
    try:
        lf = pl.scan_parquet([_storage.polars_path(p) for p in parts], hive_partitioning=False, **kwargs)
        available = lf.collect_schema().names()
    except (pl.exceptions.PolarsError, OSError) as e:
        raise _read_error(uri, e, kwargs) from e
    return _project(lf, available, columns, uri)


def read_frame(uri: str, columns: list[str] | None) -> pl.DataFrame:
    """Every parquet part stored at `uri`, read into one ``pl.DataFrame`` (only `columns` when given)."""
    if not _storage.reads_natively(uri):
        return _read_downloaded(uri, columns)
    lf = scan(uri, columns)
    try:
        return lf.collect()
    except (pl.exceptions.PolarsError, OSError) as e:
        raise _read_error(uri, e, _storage.scan_options(uri)) from e


def _read_downloaded(uri: str, columns: list[str] | None) -> pl.DataFrame:
    """Read data in a store polars cannot open: each part is downloaded through Flyte's storage."""
    frames = []
    for part in list_parts(uri):
        with read_path(part) as path:
            try:
                lf = pl.scan_parquet(path, hive_partitioning=False)
                frames.append(_project(lf, lf.collect_schema().names(), columns, part).collect())
            except (pl.exceptions.PolarsError, OSError) as e:
                raise read_error(PARQUET, part, e) from e
    return frames[0] if len(frames) == 1 else pl.concat(frames)


def _project(lf: pl.LazyFrame, available: list[str], columns: list[str] | None, uri: str) -> pl.LazyFrame:
    if columns:
        check_columns(columns, available, uri)
        return lf.select(columns)
    index = [c for c in available if c.startswith(_PANDAS_INDEX_PREFIX)]
    return lf.drop(index) if index else lf


def _read_error(uri: str, e: BaseException, kwargs: dict[str, Any]) -> Exception:
    if _storage.protocol_of(uri) == "file":
        return read_error(PARQUET, uri, e)
    return ValueError(
        f"Cannot read parquet data at {uri} with polars: {type(e).__name__}: {e}. Either the stored data is "
        "truncated or not parquet (rewrite it, or point the DataFrame at complete data), or polars could not "
        f"reach the store with the options translated from {_storage.BLOB_OPTIONS_ENV} ({_storage.describe(kwargs)}) "
        "and the credentials in the environment; check both"
    )
