"""Round trips and literal shapes of scalar built-ins."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from flyteidl2.core import types_pb2

from flyte.types import TypeEngine, TypeTransformerFailedError

SimpleType = types_pb2.SimpleType


@pytest.mark.parametrize(
    "value, t, simple",
    [
        (0, int, SimpleType.INTEGER),
        (-(2**63), int, SimpleType.INTEGER),
        (2**63 - 1, int, SimpleType.INTEGER),
        (3.25, float, SimpleType.FLOAT),
        (float("inf"), float, SimpleType.FLOAT),
        ("", str, SimpleType.STRING),
        ("héllo\nwörld", str, SimpleType.STRING),
        (True, bool, SimpleType.BOOLEAN),
        (False, bool, SimpleType.BOOLEAN),
        (dt.timedelta(0), dt.timedelta, SimpleType.DURATION),
    ],
)
def test_scalar_round_trip(roundtrip, value, t, simple):
    out = roundtrip(value, t)
    assert out == value and type(out) is t
    assert TypeEngine.to_literal_type(t) == types_pb2.LiteralType(simple=simple)


def test_none_round_trip(roundtrip, to_literal):
    assert roundtrip(None, None) is None
    assert roundtrip(None, type(None)) is None
    assert to_literal(None, None).scalar.HasField("none_type")
    assert TypeEngine.to_literal_type(None).simple == SimpleType.NONE


def test_int_for_float_becomes_float(roundtrip):
    out = roundtrip(3, float)
    assert out == 3.0 and type(out) is float


def test_bytes_are_stored_as_tagged_binary_not_pickled(roundtrip, to_literal):
    payload = bytes(range(256))
    lit = to_literal(payload, bytes)
    assert lit.scalar.binary.tag == "bytes"
    assert lit.scalar.binary.value == payload
    assert roundtrip(payload, bytes) == payload
    assert TypeEngine.to_literal_type(bytes).simple == SimpleType.BINARY


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2024, 5, 1, 12, 30, 15, 123456),
        dt.datetime(1, 1, 1),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
        dt.datetime(1960, 7, 4, 1, 2, 3, 4),
    ],
)
def test_naive_datetime_stays_naive(roundtrip, value):
    out = roundtrip(value, dt.datetime)
    assert out == value
    assert out.tzinfo is None


@pytest.mark.parametrize(
    "tz",
    [
        dt.timezone.utc,
        dt.timezone(dt.timedelta(hours=5, minutes=30)),
        dt.timezone(-dt.timedelta(hours=8)),
        zoneinfo.ZoneInfo("Europe/Berlin"),
    ],
)
def test_aware_datetime_stays_aware_and_equal(roundtrip, tz):
    value = dt.datetime(2024, 7, 1, 12, 0, 0, 42, tzinfo=tz)
    out = roundtrip(value, dt.datetime)
    assert out == value
    assert out.utcoffset() == value.utcoffset()
    assert out.isoformat() == value.isoformat()


def test_zoneinfo_keeps_its_zone(roundtrip):
    value = dt.datetime(2024, 1, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
    out = roundtrip(value, dt.datetime)
    assert out.tzinfo == zoneinfo.ZoneInfo("America/New_York")
    # The zone, not just the offset: DST rules still apply after arithmetic.
    assert (out + dt.timedelta(days=180)).utcoffset() == dt.timedelta(hours=-4)


def test_datetime_literal_holds_the_utc_instant(to_literal):
    value = dt.datetime(1970, 1, 1, 2, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert to_literal(value, dt.datetime).scalar.primitive.datetime.seconds == 0


def test_date_round_trip(roundtrip):
    for value in (dt.date(2024, 2, 29), dt.date(1, 1, 1), dt.date(1969, 12, 31)):
        out = roundtrip(value, dt.date)
        assert out == value and type(out) is dt.date
    assert TypeEngine.to_literal_type(dt.date).simple == SimpleType.DATETIME


@pytest.mark.parametrize(
    "value",
    [
        dt.timedelta(hours=1, minutes=30),
        dt.timedelta(microseconds=1),
        dt.timedelta(days=-1, microseconds=5),
        -dt.timedelta(seconds=1.5),
        dt.timedelta(days=999999, microseconds=999999),
    ],
)
def test_timedelta_round_trip_is_exact(roundtrip, value):
    assert roundtrip(value, dt.timedelta) == value


@pytest.mark.parametrize(
    "value, t",
    [
        ("1", int),
        (1.0, int),
        (True, int),
        (None, int),
        ("1.5", float),
        (True, float),
        (1, str),
        (b"x", str),
        (1, bool),
        ("true", bool),
        ("x", bytes),
        (bytearray(b"x"), bytes),
        ("2024-01-01", dt.datetime),
        (dt.date(2024, 1, 1), dt.datetime),
        (dt.datetime(2024, 1, 1), dt.date),
        (5, dt.timedelta),
        (0, None),
    ],
)
def test_wrong_scalar_type_is_rejected(to_literal, value, t):
    with pytest.raises(TypeTransformerFailedError):
        to_literal(value, t)


def test_error_names_expected_type_and_given_type(to_literal):
    with pytest.raises(TypeTransformerFailedError, match=r"Expected a value of type `int`, got a value of type `str`"):
        to_literal("seven", int)


def test_none_for_non_optional_is_an_error_that_suggests_optional(to_literal):
    with pytest.raises(TypeTransformerFailedError, match=r"got None.*Optional\[int\]"):
        to_literal(None, int)


def test_int_outside_64_bits_is_rejected(to_literal):
    with pytest.raises(TypeTransformerFailedError, match="64 bits"):
        to_literal(2**64, int)


def test_integral_types_are_accepted_as_int(roundtrip):
    import numbers

    class FakeInt64:  # stands in for numpy.int64 and friends
        def __init__(self, v):
            self.v = v

        def __int__(self):
            return self.v

    numbers.Integral.register(FakeInt64)
    out = roundtrip(FakeInt64(7), int)
    assert out == 7 and type(out) is int


def test_literal_of_another_kind_is_rejected_on_the_way_back(to_literal, to_python):
    with pytest.raises(TypeTransformerFailedError, match="string_value.*`int`"):
        to_python(to_literal("x", str), int)
    with pytest.raises(TypeTransformerFailedError):
        to_python(to_literal(None, None), str)


def test_int_literal_is_read_as_float(to_literal, to_python):
    assert to_python(to_literal(2, int), float) == 2.0


def test_sync_helpers_match_async(to_literal):
    for value, t in [(1, int), ("a", str), (dt.datetime(2020, 1, 1), dt.datetime), (None, None)]:
        assert TypeEngine.to_literal_sync(value, t) == to_literal(value, t)
        assert TypeEngine.to_python_value_sync(TypeEngine.to_literal_sync(value, t), t) == value
