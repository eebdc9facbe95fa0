"""Guessing a Python type from a literal type, for the types the built-in transformers produce."""

from __future__ import annotations

import datetime as dt
import typing
from typing import Any

from flyteidl2.core import types_pb2

from flyte.types import _structured
from flyte.types._builtins import BYTES_TAG
from flyte.types._codec import PICKLE_TAG
from flyte.types._transformer import NoneType

SimpleType = types_pb2.SimpleType

_SIMPLE: dict[int, Any] = {
    SimpleType.NONE: NoneType,
    SimpleType.INTEGER: int,
    SimpleType.FLOAT: float,
    SimpleType.STRING: str,
    SimpleType.BOOLEAN: bool,
    SimpleType.DATETIME: dt.datetime,
    SimpleType.DURATION: dt.timedelta,
}
_UNTYPED_TAGS = {"dict": dict, "list": list}


def guess_builtin(literal_type: types_pb2.LiteralType) -> Any:
    """Return the Python type the built-in transformers would store as `literal_type`.

    Records come back as generated dataclasses, enums as `typing.Literal` of their values and
    pickled values as `Any` (unpickling restores their class).

    Raises:
        ValueError: The literal type is not one the built-ins produce.
    """
    kind = literal_type.WhichOneof("type")
    tag = literal_type.structure.tag
    if kind == "simple":
        simple = literal_type.simple
        if simple == SimpleType.DATETIME and tag == "date":
            return dt.date
        if simple in _SIMPLE:
            return _SIMPLE[simple]
        if simple == SimpleType.BINARY:
            return _guess_binary(tag)
        if simple == SimpleType.STRUCT:
            return _guess_struct(literal_type.structure)
    elif kind == "collection_type":
        return list[guess_builtin(literal_type.collection_type)]  # type: ignore[misc]
    elif kind == "map_value_type":
        return dict[str, guess_builtin(literal_type.map_value_type)]  # type: ignore[misc]
    elif kind == "union_type":
        return typing.Union[tuple(guess_builtin(v) for v in literal_type.union_type.variants)]
    elif kind == "enum_type":
        return typing.Literal[tuple(literal_type.enum_type.values)]
    elif kind == "blob":
        from flyte.io import Dir, File

        multipart = literal_type.blob.dimensionality == types_pb2.BlobType.BlobDimensionality.MULTIPART
        return Dir if multipart else File
    elif kind == "structured_dataset_type":
        from flyte.io import DataFrame

        return DataFrame
    raise ValueError(f"No transformer recognises the literal type {literal_type}")


def _guess_binary(tag: str) -> Any:
    if tag == BYTES_TAG:
        return bytes
    if tag == PICKLE_TAG:
        return Any
    # A protobuf message is tagged with its full name; we know its class if it was imported.
    from google.protobuf import symbol_database

    try:
        return symbol_database.Default().GetSymbol(tag)
    except KeyError:
        raise ValueError(f"No transformer recognises binary literals tagged {tag!r}") from None


def _guess_struct(structure: types_pb2.TypeStructure) -> Any:
    tag = structure.tag
    if tag in _UNTYPED_TAGS or not tag:
        return _UNTYPED_TAGS.get(tag, dict)
    members = {key: guess_builtin(lt) for key, lt in structure.dataclass_type.items()}
    container: Any = {"set": set, "frozenset": frozenset, "tuple": tuple}.get(tag)
    if container is None:
        return _structured.record_class(tag, members)
    if _structured.ITEMS_KEY in members:
        item = members[_structured.ITEMS_KEY]
        return container[item, ...] if container is tuple else container[item]
    return container[tuple(members[k] for k in sorted(members, key=int))]
