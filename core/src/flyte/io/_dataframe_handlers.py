"""Core's dataframe handlers: pandas (parquet, csv), pyarrow (parquet), dask (parquet).

Each ``register_<library>()`` runs only once that library has been imported by the user's code
(see ``DataFrameTransformerEngine``), and the libraries themselves are imported inside the
handlers, so ``import flyte`` never loads them.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flyteidl2.core import types_pb2

from flyte._runtime import blobstore
from flyte.io._dataframe import (
    CSV,
    PARQUET,
    DataFrame,
    DataFrameDecoder,
    DataFrameEncoder,
    DataFrameTransformerEngine,
    StructuredDataset,
    StructuredDatasetMetadata,
    StructuredDatasetType,
    list_parts,
    requested_columns,
)

PART_NAME = "part-00000"
SimpleType = types_pb2.SimpleType


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as e:
        raise ImportError(
            "Reading and writing parquet needs pyarrow: pip install pyarrow (or 'flyte[dataframe]')"
        ) from e
    return pyarrow


def part_uri(uri: str, fmt: str) -> str:
    """Where an encoder writes a single part: inside directory `uri` (unless `uri` names a file)."""
    if uri.lower().endswith(f".{fmt}"):
        return uri
    return blobstore.join(uri, f"{PART_NAME}.{fmt}")


def read_error(fmt: str, uri: str, e: BaseException) -> ValueError:
    return ValueError(
        f"Cannot read {fmt} data at {uri}: {type(e).__name__}: {e}. The file is truncated or not {fmt}; "
        "rewrite it, or point the DataFrame at complete data (and pass the right format)"
    )


def check_columns(wanted: list[str] | None, available: list[str], uri: str) -> None:
    if wanted:
        missing = [c for c in wanted if c not in available]
        if missing:
            raise ValueError(
                f"Columns {missing} were requested but the data at {uri} has only {available}; "
                "fix the column names in the Annotated[...] type"
            )


def arrow_columns(schema: Any) -> list[types_pb2.StructuredDatasetType.DatasetColumn]:
    """Column metadata (name and literal type) from a pyarrow schema."""
    return [
        types_pb2.StructuredDatasetType.DatasetColumn(name=field.name, literal_type=_arrow_literal_type(field.type))
        for field in schema
        if not field.name.startswith("__index_level_")
    ]


def _arrow_literal_type(t: Any) -> types_pb2.LiteralType:
    pa = _pyarrow()
    types = pa.types
    if types.is_boolean(t):
        return types_pb2.LiteralType(simple=SimpleType.BOOLEAN)
    if types.is_integer(t):
        return types_pb2.LiteralType(simple=SimpleType.INTEGER)
    if types.is_floating(t) or types.is_decimal(t):
        return types_pb2.LiteralType(simple=SimpleType.FLOAT)
    if types.is_string(t) or types.is_large_string(t) or getattr(types, "is_string_view", lambda _: False)(t):
        return types_pb2.LiteralType(simple=SimpleType.STRING)
    if types.is_timestamp(t):
        return types_pb2.LiteralType(simple=SimpleType.DATETIME)
    if types.is_duration(t):
        return types_pb2.LiteralType(simple=SimpleType.DURATION)
    if types.is_list(t) or types.is_large_list(t):
        return types_pb2.LiteralType(collection_type=_arrow_literal_type(t.value_type))
    return types_pb2.LiteralType(simple=SimpleType.STRUCT, structure=types_pb2.TypeStructure(tag=f"arrow:{t}"))


def _described(uri: str, sd_type: StructuredDatasetType, schema: Any) -> StructuredDataset:
    """The stored dataset at `uri`: declared columns kept, else the columns of `schema`; the arrow schema attached."""
    out = StructuredDatasetType()
    out.CopyFrom(sd_type)
    if schema is not None:
        if not out.columns:
            out.columns.extend(arrow_columns(schema))
        if not out.external_schema_type:
            out.external_schema_type = "arrow"
            out.external_schema_bytes = schema.remove_metadata().serialize().to_pybytes()
    return StructuredDataset(uri=uri, metadata=StructuredDatasetMetadata(structured_dataset_type=out))


def _write_part(uri: str, fmt: str) -> contextlib.AbstractContextManager[Path]:
    """A local path to write the single part of the dataframe stored at `uri`; stored when the block succeeds."""
    target = part_uri(uri, fmt)
    return blobstore.storage_for(target).write_path(target)


def _read_parts(
    uri: str,
    fmt: str,
    columns: list[str] | None,
    column_names: Callable[[Path], list[str]],
    read: Callable[[Path], Any],
    errors: tuple[type[BaseException], ...],
) -> list[Any]:
    """``read(path)`` of every part of ``uri``, checking requested columns against ``column_names(path)``.

    `errors` (what the reader raises for bad data) become a `read_error` that names the part.
    """
    out = []
    for part in list_parts(uri):
        with blobstore.storage_for(part).read_path(part) as path:
            try:
                if columns:
                    check_columns(columns, column_names(path), part)
                out.append(read(path))
            except errors as e:
                raise read_error(fmt, part, e) from e
    return out


def _read_parquet_parts(uri: str, columns: list[str] | None, read: Callable[[Path], Any]) -> list[Any]:
    """`_read_parts` for parquet: the column names come from each part's footer (cheap)."""
    pa = _pyarrow()
    return _read_parts(
        uri, PARQUET, columns, lambda path: pa.parquet.read_schema(path).names, read, (pa.ArrowException, OSError)
    )


class _BlockingEncoder(DataFrameEncoder):
    """Core's encoders: `_write` does the (blocking) work on a worker thread."""

    async def encode(self, dataframe: DataFrame, structured_dataset_type: StructuredDatasetType) -> StructuredDataset:
        assert dataframe.uri is not None  # the engine always picks a location
        return await asyncio.to_thread(self._write, dataframe.val, dataframe.uri, structured_dataset_type)

    @abstractmethod
    def _write(self, frame: Any, uri: str, sd_type: StructuredDatasetType) -> StructuredDataset:
        """Store `frame` at `uri` and describe it (see `DataFrameEncoder.encode`)."""


class _BlockingDecoder(DataFrameDecoder):
    """Core's decoders: `_read` does the (blocking) work on a worker thread."""

    async def decode(self, flyte_value: StructuredDataset, current_task_metadata: StructuredDatasetMetadata) -> Any:
        return await asyncio.to_thread(self._read, flyte_value.uri, requested_columns(current_task_metadata))

    @abstractmethod
    def _read(self, uri: str, columns: list[str] | None) -> Any:
        """The data stored at `uri`, only `columns` when given (see `DataFrameDecoder.decode`)."""


def _register(*handlers: DataFrameEncoder | DataFrameDecoder) -> None:
    """Register core's handlers; parquet is the default format of each type."""
    for h in handlers:
        DataFrameTransformerEngine.register(h, default_format_for_type=h.supported_format == PARQUET)


# ------------------------------------------------------------------------------ pandas


class PandasParquetEncoder(_BlockingEncoder):
    def __init__(self) -> None:
        import pandas as pd

        super().__init__(pd.DataFrame, None, PARQUET)

    def _write(self, frame: Any, uri: str, sd_type: StructuredDatasetType) -> StructuredDataset:
        pa = _pyarrow()
        with _write_part(uri, PARQUET) as path:
            frame.to_parquet(path)
            schema = pa.parquet.read_schema(path)  # the footer only: cheap
        return _described(uri, sd_type, schema)


def _pandas_concat(frames: list[Any]) -> Any:
    """One pandas frame from the frames read from the parts."""
    import pandas as pd

    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


class PandasParquetDecoder(_BlockingDecoder):
    def __init__(self) -> None:
        import pandas as pd

        super().__init__(pd.DataFrame, None, PARQUET)

    def _read(self, uri: str, columns: list[str] | None) -> Any:
        import pandas as pd

        return _pandas_concat(_read_parquet_parts(uri, columns, lambda path: pd.read_parquet(path, columns=columns)))


class PandasCsvEncoder(_BlockingEncoder):
    def __init__(self) -> None:
        import pandas as pd

        super().__init__(pd.DataFrame, None, CSV)

    def _write(self, frame: Any, uri: str, sd_type: StructuredDatasetType) -> StructuredDataset:
        with _write_part(uri, CSV) as path:
            frame.to_csv(path, index=False)
        out = StructuredDatasetType()
        out.CopyFrom(sd_type)
        if not out.columns:
            out.columns.extend(
                types_pb2.StructuredDatasetType.DatasetColumn(name=str(name), literal_type=_pandas_literal_type(dtype))
                for name, dtype in frame.dtypes.items()
            )
        return StructuredDataset(uri=uri, metadata=StructuredDatasetMetadata(structured_dataset_type=out))


def _pandas_literal_type(dtype: Any) -> types_pb2.LiteralType:
    kind = getattr(dtype, "kind", "O")
    simple = {"b": SimpleType.BOOLEAN, "i": SimpleType.INTEGER, "u": SimpleType.INTEGER, "f": SimpleType.FLOAT,
              "M": SimpleType.DATETIME, "m": SimpleType.DURATION}.get(kind, SimpleType.STRING)  # fmt: skip
    return types_pb2.LiteralType(simple=simple)


class PandasCsvDecoder(_BlockingDecoder):
    def __init__(self) -> None:
        import pandas as pd

        super().__init__(pd.DataFrame, None, CSV)

    def _read(self, uri: str, columns: list[str] | None) -> Any:
        import pandas as pd

        frames = _read_parts(
            uri,
            CSV,
            columns,
            lambda path: list(pd.read_csv(path, nrows=0).columns),
            lambda path: pd.read_csv(path, usecols=columns),
            (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError),
        )
        return _pandas_concat(frames)


def register_pandas() -> None:
    _register(PandasParquetEncoder(), PandasParquetDecoder(), PandasCsvEncoder(), PandasCsvDecoder())


# ------------------------------------------------------------------------------ pyarrow


class ArrowParquetEncoder(_BlockingEncoder):
    def __init__(self) -> None:
        import pyarrow as pa

        super().__init__(pa.Table, None, PARQUET)

    def _write(self, frame: Any, uri: str, sd_type: StructuredDatasetType) -> StructuredDataset:
        pa = _pyarrow()
        with _write_part(uri, PARQUET) as path:
            pa.parquet.write_table(frame, path)
        return _described(uri, sd_type, frame.schema)


class ArrowParquetDecoder(_BlockingDecoder):
    def __init__(self) -> None:
        import pyarrow as pa

        super().__init__(pa.Table, None, PARQUET)

    def _read(self, uri: str, columns: list[str] | None) -> Any:
        pa = _pyarrow()
        tables = _read_parquet_parts(uri, columns, lambda path: pa.parquet.read_table(path, columns=columns))
        return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def register_pyarrow() -> None:
    _register(ArrowParquetEncoder(), ArrowParquetDecoder())


# ------------------------------------------------------------------------------ dask


def _dask_options(uri: str) -> dict[str, Any]:
    return blobstore.storage_options() if blobstore.protocol_of(uri) != "file" else {}


class DaskParquetEncoder(_BlockingEncoder):
    """Writes one parquet part per dask partition into the dataframe's directory."""

    def __init__(self) -> None:
        import dask.dataframe as dd

        super().__init__(dd.DataFrame, None, PARQUET)

    def _write(self, frame: Any, uri: str, sd_type: StructuredDatasetType) -> StructuredDataset:
        pa = _pyarrow()
        with blobstore.storage_for(uri).write_dir_path(uri) as staging:
            frame.to_parquet(str(staging), write_index=False, write_metadata_file=False)
            parts = sorted(p for p in staging.iterdir() if p.suffix == ".parquet")
            schema = pa.parquet.read_schema(parts[0]) if parts else None
        return _described(uri, sd_type, schema)


class DaskParquetDecoder(_BlockingDecoder):
    def __init__(self) -> None:
        import dask.dataframe as dd

        super().__init__(dd.DataFrame, None, PARQUET)

    def _read(self, uri: str, columns: list[str] | None) -> Any:
        import dask.dataframe as dd

        parts = list_parts(uri)
        try:
            return dd.read_parquet(parts, columns=columns, storage_options=_dask_options(uri) or None)
        except Exception as e:
            raise read_error(PARQUET, uri, e) from e


def register_dask() -> None:
    _register(DaskParquetEncoder(), DaskParquetDecoder())
