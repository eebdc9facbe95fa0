"""Transformers for scalar built-in types: int, float, str, bool, None, bytes and date/time types."""

from __future__ import annotations

import datetime as dt
import numbers
from typing import Any

from flyteidl2.core import literals_pb2, types_pb2

from flyte.errors import TypeTransformerFailedError
from flyte.types._engine import BuiltinTransformer, TypeEngine
from flyte.types._transformer import NoneType, wrong_type

SimpleType = types_pb2.SimpleType

#: Binary tag of `bytes` values (stored as they are, never pickled).
BYTES_TAG = "bytes"
#: Literal metadata keys that keep an aware datetime aware: its zone name or its UTC offset.
TZ_NAME_KEY = "flyte.tz"
TZ_OFFSET_KEY = "flyte.utcoffset_us"

_EPOCH = dt.datetime(1970, 1, 1)
_MICROSECOND = dt.timedelta(microseconds=1)


class IntTransformer(BuiltinTransformer):
    """`int` <-> integer primitive (bools and floats are rejected)."""

    def __init__(self) -> None:
        super().__init__("int", int)

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        return types_pb2.LiteralType(simple=SimpleType.INTEGER)

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        if type(python_val) is not int:
            if isinstance(python_val, bool) or not isinstance(python_val, numbers.Integral):
                raise wrong_type(python_type, python_val)
            python_val = int(python_val)  # numpy and other integral types
        lit = literals_pb2.Literal()
        try:
            lit.scalar.primitive.integer = python_val
        except ValueError:
            raise TypeTransformerFailedError(f"Integer {python_val} does not fit in 64 bits") from None
        return lit

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> int:
        primitive = lv.scalar.primitive
        if primitive.WhichOneof("value") == "integer":
            return primitive.integer
        return await self._from_other_literal(lv, expected_python_type)


class FloatTransformer(BuiltinTransformer):
    """`float` <-> float primitive; an int is accepted and becomes a float."""

    def __init__(self) -> None:
        super().__init__("float", float)

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        return types_pb2.LiteralType(simple=SimpleType.FLOAT)

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        if type(python_val) is not float:
            if isinstance(python_val, bool) or not isinstance(python_val, numbers.Real):
                raise wrong_type(python_type, python_val)
            python_val = float(python_val)
        lit = literals_pb2.Literal()
        lit.scalar.primitive.float_value = python_val
        return lit

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> float:
        primitive = lv.scalar.primitive
        kind = primitive.WhichOneof("value")
        if kind == "float_value":
            return primitive.float_value
        if kind == "integer":
            return float(primitive.integer)
        return await self._from_other_literal(lv, expected_python_type)


class StrTransformer(BuiltinTransformer):
    """`str` <-> string primitive."""

    def __init__(self) -> None:
        super().__init__("str", str)

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        return types_pb2.LiteralType(simple=SimpleType.STRING)

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        if not isinstance(python_val, str):
            raise wrong_type(python_type, python_val)
        lit = literals_pb2.Literal()
        lit.scalar.primitive.string_value = python_val
        return lit

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> str:
        primitive = lv.scalar.primitive
        if primitive.WhichOneof("value") == "string_value":
            return primitive.string_value
        return await self._from_other_literal(lv, expected_python_type)


class BoolTransformer(BuiltinTransformer):
    """`bool` <-> boolean primitive (0 and 1 are not bools)."""

    def __init__(self) -> None:
        super().__init__("bool", bool)

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        return types_pb2.LiteralType(simple=SimpleType.BOOLEAN)

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        if not isinstance(python_val, bool):
            raise wrong_type(python_type, python_val)
        lit = literals_pb2.Literal()
        lit.scalar.primitive.boolean = python_val
        return lit

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> bool:
        primitive = lv.scalar.primitive
        if primitive.WhichOneof("value") == "boolean":
            return primitive.boolean
        return await self._from_other_literal(lv, expected_python_type)


class NoneTransformer(BuiltinTransformer):
    """`None` <-> the none scalar."""

    def __init__(self) -> None:
        super().__init__("none", NoneType)

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        return types_pb2.LiteralType(simple=SimpleType.NONE)

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        if python_val is not None:
            raise wrong_type(NoneType, python_val)
        return none_literal()

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> None:
        if lv.scalar.HasField("none_type"):
            return None
        return await self._from_other_literal(lv, expected_python_type)


class BytesTransformer(BuiltinTransformer):
    """`bytes` <-> a binary scalar tagged `bytes`, stored as is."""

    def __init__(self) -> None:
        super().__init__("bytes", bytes)

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        return types_pb2.LiteralType(simple=SimpleType.BINARY, structure=types_pb2.TypeStructure(tag=BYTES_TAG))

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        if not isinstance(python_val, bytes):
            raise wrong_type(python_type, python_val)
        lit = literals_pb2.Literal()
        lit.scalar.binary.value = python_val
        lit.scalar.binary.tag = BYTES_TAG
        return lit

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> bytes:
        if lv.scalar.binary.tag == BYTES_TAG:
            return lv.scalar.binary.value
        return await self._from_other_literal(lv, expected_python_type)


class DatetimeTransformer(BuiltinTransformer):
    """`datetime` <-> datetime primitive; naive values stay naive, aware ones keep their zone."""

    def __init__(self) -> None:
        super().__init__("datetime", dt.datetime)

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        return types_pb2.LiteralType(simple=SimpleType.DATETIME)

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        if not isinstance(python_val, dt.datetime):
            raise wrong_type(python_type, python_val)
        lit = literals_pb2.Literal()
        offset = python_val.utcoffset()
        if offset is None:
            # A naive value is stored as its wall-clock time read as UTC, and read back the same way.
            _set_timestamp(lit.scalar.primitive.datetime, python_val)
        else:
            _set_timestamp(lit.scalar.primitive.datetime, python_val.replace(tzinfo=None) - offset)
            zone_name = getattr(python_val.tzinfo, "key", None)  # zoneinfo.ZoneInfo keeps DST rules
            if zone_name:
                lit.metadata[TZ_NAME_KEY] = zone_name
            lit.metadata[TZ_OFFSET_KEY] = str(offset // _MICROSECOND)
        return lit

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> dt.datetime:
        primitive = lv.scalar.primitive
        if primitive.WhichOneof("value") != "datetime":
            return await self._from_other_literal(lv, expected_python_type)
        ts = primitive.datetime
        naive = _EPOCH + dt.timedelta(seconds=ts.seconds, microseconds=ts.nanos // 1000)
        if TZ_OFFSET_KEY not in lv.metadata:
            return naive
        utc = naive.replace(tzinfo=dt.timezone.utc)
        zone_name = lv.metadata.get(TZ_NAME_KEY)
        if zone_name:
            import zoneinfo

            return utc.astimezone(zoneinfo.ZoneInfo(zone_name))
        return utc.astimezone(dt.timezone(int(lv.metadata[TZ_OFFSET_KEY]) * _MICROSECOND))


class DateTransformer(BuiltinTransformer):
    """`date` <-> datetime primitive at midnight (a `datetime` is not accepted as a date)."""

    def __init__(self) -> None:
        super().__init__("date", dt.date)

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        return types_pb2.LiteralType(simple=SimpleType.DATETIME, structure=types_pb2.TypeStructure(tag="date"))

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        if not isinstance(python_val, dt.date) or isinstance(python_val, dt.datetime):
            raise wrong_type(python_type, python_val)
        lit = literals_pb2.Literal()
        _set_timestamp(lit.scalar.primitive.datetime, dt.datetime.combine(python_val, dt.time()))
        return lit

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> dt.date:
        primitive = lv.scalar.primitive
        if primitive.WhichOneof("value") != "datetime":
            return await self._from_other_literal(lv, expected_python_type)
        return (_EPOCH + dt.timedelta(seconds=primitive.datetime.seconds)).date()


class TimedeltaTransformer(BuiltinTransformer):
    """`timedelta` <-> duration primitive, exact to the microsecond."""

    def __init__(self) -> None:
        super().__init__("timedelta", dt.timedelta)

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        return types_pb2.LiteralType(simple=SimpleType.DURATION)

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        if not isinstance(python_val, dt.timedelta):
            raise wrong_type(python_type, python_val)
        micros = python_val // _MICROSECOND
        # Duration wants seconds and nanos of the same sign.
        sign = -1 if micros < 0 else 1
        seconds, rest = divmod(abs(micros), 1_000_000)
        lit = literals_pb2.Literal()
        lit.scalar.primitive.duration.seconds = sign * seconds
        lit.scalar.primitive.duration.nanos = sign * rest * 1000
        return lit

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> dt.timedelta:
        primitive = lv.scalar.primitive
        if primitive.WhichOneof("value") != "duration":
            return await self._from_other_literal(lv, expected_python_type)
        duration = primitive.duration
        return dt.timedelta(seconds=duration.seconds, microseconds=int(duration.nanos / 1000))


def none_literal() -> literals_pb2.Literal:
    """A literal holding None."""
    lit = literals_pb2.Literal()
    lit.scalar.none_type.SetInParent()
    return lit


def _set_timestamp(ts: Any, naive_utc: dt.datetime) -> None:
    # Integer arithmetic keeps microseconds exact (a float timestamp would round them).
    delta = naive_utc - _EPOCH
    ts.seconds = delta.days * 86400 + delta.seconds
    ts.nanos = delta.microseconds * 1000


def register_builtins() -> None:
    """Register the scalar transformers and the untyped containers; called once on import."""
    from flyte.types import _containers

    for transformer in (
        IntTransformer(),
        FloatTransformer(),
        StrTransformer(),
        BoolTransformer(),
        NoneTransformer(),
        BytesTransformer(),
        DatetimeTransformer(),
        DateTransformer(),
        TimedeltaTransformer(),
    ):
        TypeEngine.register(transformer)
    TypeEngine.register(_containers.UNTYPED, additional_types=[dict])
