"""Column metadata for stored polars frames: polars dtypes as Flyte literal types."""

from __future__ import annotations

import datetime
import typing
from typing import Any

import polars as pl
from flyteidl2.core import types_pb2

from flyte.io.extend import StructuredDatasetType
from flyte.types import TypeEngine

DatasetColumn = StructuredDatasetType.DatasetColumn


def python_type_of(dtype: Any) -> Any:
    """The Python type a column of `dtype` holds, as Flyte records column types; None when none fits."""
    base = dtype.base_type()
    if base is pl.Boolean:
        return bool
    if dtype.is_integer():
        return int
    if dtype.is_float() or dtype.is_decimal():
        return float
    if base in (pl.String, pl.Categorical, pl.Enum):
        return str
    if base is pl.Binary:
        return bytes
    if base is pl.Datetime:
        return datetime.datetime
    if base is pl.Date:
        return datetime.date
    if base is pl.Duration:
        return datetime.timedelta
    if base is pl.Null:
        return type(None)
    if base in (pl.List, pl.Array):
        inner = python_type_of(dtype.inner)
        return None if inner is None else list[inner]  # type: ignore[valid-type]
    if base is pl.Struct:
        return dict[str, typing.Any]
    return None  # Time, Object, ...: no Flyte equivalent


def literal_type_of(dtype: Any) -> types_pb2.LiteralType:
    """The literal type recorded for a column of `dtype`."""
    python_type = python_type_of(dtype)
    if python_type is not None:
        return TypeEngine.to_literal_type(python_type)
    return types_pb2.LiteralType(
        simple=types_pb2.SimpleType.STRUCT, structure=types_pb2.TypeStructure(tag=f"polars:{dtype}")
    )


def dataset_columns(schema: Any) -> list[DatasetColumn]:
    """Column metadata (name and literal type) of a polars schema."""
    return [DatasetColumn(name=name, literal_type=literal_type_of(dtype)) for name, dtype in schema.items()]
