"""The dataframe extension API: teach Flyte to pass another dataframe type between tasks.

Write a `DataFrameEncoder` (in-memory frame -> stored files) and a `DataFrameDecoder` (stored
files -> frame) and register both, typically from a ``flyte.plugins.types`` entry point::

    from flyte.io.extend import DataFrameDecoder, DataFrameEncoder, DataFrameTransformerEngine

    def register():
        DataFrameTransformerEngine.register(MyParquetEncoder(), default_format_for_type=True)
        DataFrameTransformerEngine.register(MyParquetDecoder())

The helpers below do the storage part, for local and remote stores alike: an encoder writes
``part_uri(dataframe.uri, "parquet")`` through ``write_path``; a decoder reads every file of
``list_parts(uri)`` through ``read_path``. `flyte.testing.DataFrameCodecConformance` checks a
codec against the contract.

Libraries that open stored data with their own client (polars, duckdb, ...) ask where it is:
``local_path(uri)`` for data on this machine, else ``protocol_of(uri)`` and the configured
store's ``storage_options()`` (``FLYTE_BLOB_OPTIONS``) to pass on, translated to their names.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from flyte._runtime import blobstore
from flyte.io._dataframe import (
    ANY_PROTOCOL,
    GENERIC_FORMAT,
    DataFrameDecoder,
    DataFrameEncoder,
    DataFrameHandlerError,
    DataFrameTransformerEngine,
    StructuredDataset,
    StructuredDatasetMetadata,
    StructuredDatasetType,
    extract_cols_and_format,
    list_parts,
    requested_columns,
)
from flyte.io._dataframe_handlers import arrow_columns, check_columns, part_uri, read_error

__all__ = [
    "ANY_PROTOCOL",
    "GENERIC_FORMAT",
    "DataFrameDecoder",
    "DataFrameEncoder",
    "DataFrameHandlerError",
    "DataFrameTransformerEngine",
    "StructuredDataset",
    "StructuredDatasetMetadata",
    "StructuredDatasetType",
    "arrow_columns",
    "check_columns",
    "extract_cols_and_format",
    "list_parts",
    "local_path",
    "part_uri",
    "protocol_of",
    "read_error",
    "read_path",
    "requested_columns",
    "storage_options",
    "write_dir_path",
    "write_path",
]


def write_path(uri: str) -> contextlib.AbstractContextManager[Path]:
    """A local path to write; it becomes the object at `uri` (any store) when the block succeeds."""
    return blobstore.storage_for(uri).write_path(uri)


def write_dir_path(uri: str) -> contextlib.AbstractContextManager[Path]:
    """A local directory to fill; it becomes directory `uri` (any store) when the block succeeds."""
    return blobstore.storage_for(uri).write_dir_path(uri)


def read_path(uri: str) -> contextlib.AbstractContextManager[Path]:
    """A local path holding the object at `uri` (downloaded first from a remote store) during the block."""
    return blobstore.storage_for(uri).read_path(uri)


def protocol_of(uri: str) -> str:
    """``file`` for paths and ``file://`` URIs, else the URI's scheme in lower case (``s3``, ``gs``, ...)."""
    return blobstore.protocol_of(uri)


def local_path(uri: str) -> Path | None:
    """The filesystem path of `uri` when it is on this machine (a path or a ``file://`` URI), else ``None``."""
    return blobstore.local_path(uri) if blobstore.protocol_of(uri) == "file" else None


def storage_options() -> dict[str, Any]:
    """The fsspec options of the configured remote store (``FLYTE_BLOB_OPTIONS``, a JSON object), read now.

    Raises:
        ValueError: the variable is set but is not a JSON object.
    """
    return blobstore.storage_options()
