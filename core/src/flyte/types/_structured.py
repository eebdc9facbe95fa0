"""Transformers for structured values: records (dataclasses, pydantic models, NamedTuples, typed
tuples and sets) stored as msgpack, and protobuf messages stored as their own bytes."""

from __future__ import annotations

import dataclasses
import threading
import typing
from typing import Any

from flyteidl2.core import literals_pb2, types_pb2

from flyte.types import _codec
from flyte.types._engine import BuiltinTransformer, TypeEngine
from flyte.types._transformer import wrong_type

#: Key of a homogeneous collection's item type in `TypeStructure.dataclass_type`.
ITEMS_KEY = "..."


class RecordTransformer(BuiltinTransformer):
    """Dataclasses, pydantic models, NamedTuples and `tuple[...]` / `set[T]` / `frozenset[T]`.

    The value is one msgpack binary (see `_codec`); the literal type is a STRUCT whose
    `TypeStructure` names the record and maps each field (or tuple position, or `...` for the
    item type of a homogeneous collection) to its own literal type.
    """

    def __init__(self) -> None:
        super().__init__("record", object)
        self._building = threading.local()

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        structure = types_pb2.TypeStructure(tag=_record_tag(t))
        in_progress = self._building.__dict__.setdefault("types", set())
        if t in in_progress:  # a recursive record: its fields are described by the outer level
            return types_pb2.LiteralType(simple=types_pb2.SimpleType.STRUCT, structure=structure)
        in_progress.add(t)
        try:
            for key, field_type in _record_members(t):
                structure.dataclass_type[key].CopyFrom(TypeEngine._entry(field_type).literal_type)
        finally:
            in_progress.discard(t)
        return types_pb2.LiteralType(simple=types_pb2.SimpleType.STRUCT, structure=structure)

    def child_types(self, t: Any) -> tuple[Any, ...]:
        return tuple(field_type for _, field_type in _record_members(t))

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        data = await _codec.codec_for(python_type).encode(python_val)
        lit = literals_pb2.Literal()
        lit.scalar.binary.value = _codec.pack(data)
        lit.scalar.binary.tag = _codec.MSGPACK_TAG
        return lit

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> Any:
        if lv.scalar.binary.tag != _codec.MSGPACK_TAG:
            return await self._from_other_literal(lv, expected_python_type)
        return await _codec.codec_for(expected_python_type).decode(_codec.unpack(lv.scalar.binary.value))


class ProtobufTransformer(BuiltinTransformer):
    """Protobuf messages: a binary tagged with the message's full name."""

    def __init__(self) -> None:
        super().__init__("protobuf", object)

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        return types_pb2.LiteralType(
            simple=types_pb2.SimpleType.BINARY, structure=types_pb2.TypeStructure(tag=t.DESCRIPTOR.full_name)
        )

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        if not isinstance(python_val, python_type):
            raise wrong_type(python_type, python_val)
        lit = literals_pb2.Literal()
        lit.scalar.binary.value = python_val.SerializeToString()
        lit.scalar.binary.tag = python_type.DESCRIPTOR.full_name
        return lit

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> Any:
        if lv.scalar.binary.tag != expected_python_type.DESCRIPTOR.full_name:
            return await self._from_other_literal(lv, expected_python_type)
        return expected_python_type.FromString(lv.scalar.binary.value)


def _record_tag(t: Any) -> str:
    origin = typing.get_origin(t)
    return origin.__name__ if origin is not None else t.__qualname__


def _record_members(t: Any) -> list[tuple[str, Any]]:
    """(key, type) pairs describing a record's parts, as stored in `TypeStructure.dataclass_type`."""
    origin = typing.get_origin(t)
    if origin is None:
        return [(f.name, f.type) for f in _codec.record_fields(t)]
    args = [a for a in typing.get_args(t) if a != ()]
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        return [(str(i), a) for i, a in enumerate(args)]
    return [(ITEMS_KEY, args[0])]


def record_class(name: str, fields: dict[str, Any]) -> type:
    """Make a dataclass standing in for a record known only by its literal type."""
    return dataclasses.make_dataclass(name.rpartition(".")[2] or "Record", sorted(fields.items()))


RECORD = RecordTransformer()
PROTOBUF = ProtobufTransformer()
