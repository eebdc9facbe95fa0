"""Lists, dicts, tuples, unions, enums and Literal."""

from __future__ import annotations

import datetime as dt
import enum
import typing
from collections import OrderedDict
from typing import Any, List, NamedTuple, Optional, Tuple, Union  # noqa: UP035  (the old spellings must work too)

import pytest
from flyteidl2.core import types_pb2

from flyte.types import TypeEngine, TypeTransformerFailedError

SimpleType = types_pb2.SimpleType


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Point(NamedTuple):
    x: int
    y: float
    label: str = "origin"


# ------------------------------------------------------------------------------------- lists


@pytest.mark.parametrize(
    "value, t",
    [
        ([1, 2, 3], list[int]),
        ([], list[str]),
        (["a"], List[str]),  # noqa: UP006
        ([[1], [], [2, 3]], list[list[int]]),
        ([dt.date(2024, 1, 1)], list[dt.date]),
        ([None, 1], list[Optional[int]]),
        ([{"a": 1}], list[dict[str, int]]),
    ],
)
def test_list_round_trip(roundtrip, value, t):
    assert roundtrip(value, t) == value


def test_list_is_a_collection_literal(to_literal):
    lit = to_literal([1, 2], list[int])
    assert [x.scalar.primitive.integer for x in lit.collection.literals] == [1, 2]
    assert TypeEngine.to_literal_type(list[int]) == types_pb2.LiteralType(
        collection_type=types_pb2.LiteralType(simple=SimpleType.INTEGER)
    )


def test_ints_in_a_float_list_become_floats(roundtrip):
    out = roundtrip([1, 2.5, 3], list[float])
    assert out == [1.0, 2.5, 3.0]
    assert all(type(x) is float for x in out)


def test_list_error_names_the_item(to_literal):
    with pytest.raises(TypeTransformerFailedError, match=r"item 1 of `list\[int\]`.*got a value of type `str`"):
        to_literal([1, "two"], list[int])


def test_tuple_is_not_a_list(to_literal):
    with pytest.raises(TypeTransformerFailedError, match="list"):
        to_literal((1, 2), list[int])


# -------------------------------------------------------------------------------------- dicts


def test_str_keyed_dict_is_a_map(roundtrip, to_literal):
    value = {"a": 1, "b": 2}
    assert roundtrip(value, dict[str, int]) == value
    assert set(to_literal(value, dict[str, int]).map.literals) == {"a", "b"}
    assert TypeEngine.to_literal_type(dict[str, int]).map_value_type.simple == SimpleType.INTEGER


def test_nested_typed_dict(roundtrip):
    value = {"x": [dt.timedelta(seconds=1)], "y": []}
    assert roundtrip(value, dict[str, list[dt.timedelta]]) == value


def test_map_rejects_non_str_keys(to_literal):
    with pytest.raises(TypeTransformerFailedError, match="Keys .* must be str"):
        to_literal({1: 1}, dict[str, int])


def test_map_error_names_the_key(to_literal):
    with pytest.raises(TypeTransformerFailedError, match="key 'b'"):
        to_literal({"a": 1, "b": "x"}, dict[str, int])


@pytest.mark.parametrize(
    "value, t",
    [
        ({"a": 1, "b": [1, 2.5, "x", None, True], "c": {"d": b"raw"}}, dict),
        ({1: "a", 2: "b"}, dict[int, str]),
        ({"k": [1, {"n": None}]}, dict[str, Any]),
        ([1, "a", None, [2]], list),
        ([1, "a"], list[Any]),
    ],
)
def test_untyped_json_like_data_is_msgpack(roundtrip, to_literal, value, t):
    assert to_literal(value, t).scalar.binary.tag == "msgpack"
    out = roundtrip(value, t)
    assert out == value and type(out) is type(value)


@pytest.mark.parametrize(
    "value, t",
    [
        ({"a": (1, 2)}, dict),  # msgpack would give the tuple back as a list
        ({(1, 2): "pair"}, dict[tuple[int, int], str]),
        ({"when": dt.datetime(2024, 1, 1)}, dict[str, Any]),
        ([{1, 2}], list),
        (OrderedDict(a=1), dict),
    ],
)
def test_untyped_data_msgpack_cannot_carry_is_pickled(roundtrip, to_literal, value, t):
    assert to_literal(value, t).scalar.binary.tag == "pickle"
    out = roundtrip(value, t)
    assert out == value and type(out) is type(value)


def test_untyped_dict_literal_type_is_struct():
    assert TypeEngine.to_literal_type(dict).simple == SimpleType.STRUCT


def test_untyped_dict_rejects_a_list(to_literal):
    with pytest.raises(TypeTransformerFailedError):
        to_literal([1], dict)


# ------------------------------------------------------------------------------------- tuples


@pytest.mark.parametrize(
    "value, t",
    [
        ((1, "a"), tuple[int, str]),
        (("a", "b"), Tuple[str, str]),  # noqa: UP006  (restricted upstream once; supported here)
        ((1, 2, 3), tuple[int, ...]),
        ((), tuple[()]),
        (((1, 2.5), [dt.date(2024, 1, 1)]), tuple[tuple[int, float], list[dt.date]]),
        ((None, Color.RED), tuple[Optional[int], Color]),
    ],
)
def test_typed_tuple_round_trip(roundtrip, value, t):
    out = roundtrip(value, t)
    assert out == value and type(out) is tuple


def test_typed_tuple_literal_type_lists_positions():
    lt = TypeEngine.to_literal_type(tuple[int, str])
    assert lt.simple == SimpleType.STRUCT
    assert lt.structure.tag == "tuple"
    assert lt.structure.dataclass_type["0"].simple == SimpleType.INTEGER
    assert lt.structure.dataclass_type["1"].simple == SimpleType.STRING


def test_typed_tuple_checks_length_and_items(to_literal):
    with pytest.raises(TypeTransformerFailedError):
        to_literal((1,), tuple[int, str])
    with pytest.raises(TypeTransformerFailedError, match="item 1"):
        to_literal((1, 2), tuple[int, str])
    with pytest.raises(TypeTransformerFailedError):
        to_literal([1, "a"], tuple[int, str])


def test_named_tuple_round_trip(roundtrip):
    value = Point(1, 2.5)
    out = roundtrip(value, Point)
    assert out == value and type(out) is Point
    assert TypeEngine.to_literal_type(Point).structure.tag == "Point"


def test_named_tuple_int_field_given_for_float(roundtrip):
    out = roundtrip(Point(1, 2, "p"), Point)
    assert type(out.y) is float


def test_sets_round_trip(roundtrip):
    assert roundtrip({3, 1, 2}, set[int]) == {1, 2, 3}
    assert roundtrip(frozenset({"a"}), frozenset[str]) == frozenset({"a"})


def test_equal_sets_give_equal_literals(to_literal):
    # Literal bytes feed cache keys; set iteration order must not leak into them.
    a = to_literal({"x", "y", "z", "w"}, set[str])
    b = to_literal(set(reversed(["x", "y", "z", "w"])), set[str])
    assert a.SerializeToString() == b.SerializeToString()


def test_bare_tuple_is_pickled(roundtrip, to_literal):
    assert to_literal((1, "a"), tuple).scalar.binary.tag == "pickle"
    assert roundtrip((1, "a"), tuple) == (1, "a")


# ------------------------------------------------------------------------------------- unions


@pytest.mark.parametrize(
    "value, t",
    [
        (None, Optional[int]),
        (5, Optional[int]),
        (None, int | None),
        ("x", Union[int, str]),
        (3, int | str),
        (True, Union[int, bool]),
        (1, Union[bool, int]),
        (1, Union[float, int]),
        (1.5, Union[int, float]),
        ([1], Union[list[int], list[str]]),
        (["a"], Union[list[int], list[str]]),
        (Color.GREEN, Optional[Color]),
        (dt.date(2024, 1, 1), Union[dt.datetime, dt.date]),
        (dt.datetime(2024, 1, 1), Union[dt.date, dt.datetime]),
        ({"a": 1}, Optional[dict[str, int]]),
    ],
)
def test_union_round_trip_keeps_the_exact_type(roundtrip, value, t):
    out = roundtrip(value, t)
    assert out == value and type(out) is type(value)


def test_union_literal_records_the_variant(to_literal):
    lit = to_literal("x", Optional[str])
    assert lit.scalar.union.type.simple == SimpleType.STRING
    assert lit.scalar.union.value.scalar.primitive.string_value == "x"
    assert to_literal(None, Optional[str]).scalar.union.value.scalar.HasField("none_type")
    lt = TypeEngine.to_literal_type(Optional[str])
    assert [v.simple for v in lt.union_type.variants] == [SimpleType.STRING, SimpleType.NONE]


def test_int_goes_to_the_float_variant_when_there_is_no_int_variant(roundtrip):
    out = roundtrip(2, Union[float, str])
    assert out == 2.0 and type(out) is float


def test_union_rejects_a_value_no_variant_accepts(to_literal):
    with pytest.raises(TypeTransformerFailedError, match=r"`(int \| str|Union\[int, str\])`.*`bytes`"):
        to_literal(b"x", int | str)
    with pytest.raises(TypeTransformerFailedError, match="None"):
        to_literal(None, int | str)


def test_plain_literal_is_accepted_for_an_optional(to_literal, to_python):
    assert to_python(to_literal(4, int), Optional[int]) == 4
    assert to_python(to_literal(None, None), Optional[int]) is None


def test_union_literal_is_unwrapped_for_a_plain_type(to_literal, to_python):
    assert to_python(to_literal(4, Optional[int]), int) == 4
    with pytest.raises(TypeTransformerFailedError):
        to_python(to_literal(None, Optional[int]), int)


# -------------------------------------------------------------------------------------- enums


def test_enum_round_trip_and_literal_type(roundtrip, to_literal):
    assert roundtrip(Color.RED, Color) is Color.RED
    assert to_literal(Color.GREEN, Color).scalar.primitive.string_value == "green"
    lt = TypeEngine.to_literal_type(Color)
    assert list(lt.enum_type.values) == ["red", "green"]


def test_int_enum_is_stored_as_string(roundtrip, to_literal):
    assert to_literal(Level.HIGH, Level).scalar.primitive.string_value == "2"
    assert roundtrip(Level.HIGH, Level) is Level.HIGH


def test_enum_rejects_raw_values_and_other_enums(to_literal):
    with pytest.raises(TypeTransformerFailedError):
        to_literal("red", Color)
    with pytest.raises(TypeTransformerFailedError):
        to_literal(Level.LOW, Color)


def test_unknown_enum_value_is_rejected_on_the_way_back(to_literal, to_python):
    with pytest.raises(TypeTransformerFailedError, match="'blue' is not a value of `Color`"):
        to_python(to_literal("blue", str), Color)


def test_typing_literal_of_strings_is_an_enum(roundtrip, to_literal):
    t = typing.Literal["fast", "slow"]
    assert roundtrip("slow", t) == "slow"
    assert list(TypeEngine.to_literal_type(t).enum_type.values) == ["fast", "slow"]
    with pytest.raises(TypeTransformerFailedError):
        to_literal("medium", t)


def test_typing_literal_of_ints(roundtrip, to_literal, to_python):
    t = typing.Literal[1, 2]
    assert roundtrip(2, t) == 2
    assert TypeEngine.to_literal_type(t).simple == SimpleType.INTEGER
    with pytest.raises(TypeTransformerFailedError):
        to_literal(3, t)
    with pytest.raises(TypeTransformerFailedError):
        to_python(to_literal(3, int), t)


def test_union_of_literals(roundtrip):
    t = Union[typing.Literal["a"], typing.Literal[1]]
    assert roundtrip("a", t) == "a"
    assert roundtrip(1, t) == 1
