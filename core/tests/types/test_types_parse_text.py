"""`flyte.types.parse_text`: the one text-to-value converter (CLI, container outputs, HITL answers)."""

from __future__ import annotations

import datetime as dt
import enum
import typing
from typing import Annotated, Optional, Union

import pytest

from flyte.types import parse_text
from flyte.types._text import format_duration, parse_duration


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@pytest.mark.parametrize(
    "text, expected",
    [
        ("true", True),
        ("TRUE", True),
        ("True", True),
        ("tRuE", True),
        ("1", True),
        ("yes", True),
        ("YES", True),
        ("Yes", True),
        ("false", False),
        ("FALSE", False),
        ("False", False),
        ("0", False),
        ("no", False),
        ("NO", False),
        ("No", False),
        ("  true\n", True),
        ("\tno ", False),
    ],
)
def test_bool_accepts_the_documented_spellings(text, expected):
    assert parse_text(text, bool) is expected


@pytest.mark.parametrize("text", ["", "y", "n", "t", "f", "on", "off", "2", "-1", "truee", "1.0", "none", "null"])
def test_bool_rejects_anything_else(text):
    with pytest.raises(ValueError, match=r"as `bool`: expected true/false, 1/0 or yes/no \(any case\)"):
        parse_text(text, bool)


@pytest.mark.parametrize(
    "text, t, expected",
    [
        ("42", int, 42),
        (" -7 ", int, -7),
        ("1_000", int, 1000),
        ("3.14", float, 3.14),
        ("1e-3", float, 0.001),
        ("42", float, 42.0),
        (" x ", str, " x "),
        ("", str, ""),
        ("2024-05-01T12:30:00", dt.datetime, dt.datetime(2024, 5, 1, 12, 30)),
        ("2024-05-01T12:30:00Z", dt.datetime, dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc)),
        (
            "2024-05-01T12:30:00.250000+02:00",
            dt.datetime,
            dt.datetime(2024, 5, 1, 12, 30, 0, 250000, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        ),
        ("2024-05-01", dt.datetime, dt.datetime(2024, 5, 1)),
        (" 2024-05-01 ", dt.date, dt.date(2024, 5, 1)),
        ("90", dt.timedelta, dt.timedelta(seconds=90)),
        ("1.5", dt.timedelta, dt.timedelta(seconds=1.5)),
        ("PT1H30M", dt.timedelta, dt.timedelta(hours=1, minutes=30)),
        ("pt45s", dt.timedelta, dt.timedelta(seconds=45)),
        ("P2D", dt.timedelta, dt.timedelta(days=2)),
        ("P1W", dt.timedelta, dt.timedelta(weeks=1)),
        ("P1DT2H3M4.5S", dt.timedelta, dt.timedelta(days=1, hours=2, minutes=3, seconds=4.5)),
        ("-PT1H", dt.timedelta, dt.timedelta(hours=-1)),
        ("01:30:00", dt.timedelta, dt.timedelta(hours=1, minutes=30)),
        ("1:02:03.5", dt.timedelta, dt.timedelta(hours=1, minutes=2, seconds=3.5)),
        ("-0:00:01", dt.timedelta, dt.timedelta(seconds=-1)),
        ("2 days, 1:00:00", dt.timedelta, dt.timedelta(days=2, hours=1)),
        ("-1 day, 23:00:00", dt.timedelta, dt.timedelta(hours=-1)),
        ("red", Color, Color.RED),
        ("GREEN", Color, Color.GREEN),
        (" red ", Color, Color.RED),
        ("2", Level, Level.HIGH),
        ("LOW", Level, Level.LOW),
        ("a", typing.Literal["a", "b"], "a"),
        ("2", typing.Literal[1, 2], 2),
        ("5", Annotated[int, "meta"], 5),
    ],
)
def test_parse_text(text, t, expected):
    out = parse_text(text, t)
    assert out == expected and type(out) is type(expected)


@pytest.mark.parametrize("text", ["", " ", "none", "None", "NULL", "null"])
def test_optional_empty_none_null_is_none(text):
    assert parse_text(text, Optional[int]) is None
    assert parse_text(text, int | None) is None


def test_optional_parses_the_inner_type():
    assert parse_text(" 5 ", Optional[int]) == 5
    assert parse_text("yes", Optional[bool]) is True
    assert parse_text("null", Optional[str]) is None


def test_union_tries_variants_in_order():
    assert parse_text("5", Union[int, str]) == 5
    assert parse_text("five", Union[int, str]) == "five"
    assert parse_text("2.5", int | float) == 2.5


def test_str_text_is_kept_exactly_even_in_optional():
    assert parse_text("  padded  ", Optional[str]) == "  padded  "


@pytest.mark.parametrize(
    "text, t, accepted",
    [
        ("4.2", int, "an integer"),
        ("abc", float, "a number"),
        ("2024-13-01", dt.date, "ISO-8601 date"),
        ("yesterday", dt.datetime, "ISO-8601 date-time"),
        ("P1Y", dt.timedelta, "PT1H30M"),
        ("1h", dt.timedelta, "HH:MM:SS"),
        ("nan", dt.timedelta, "seconds"),
        ("blue", Color, "red, green"),
        ("c", typing.Literal["a", "b"], "'a', 'b'"),
        ("x", Optional[int], "none or null"),
    ],
)
def test_errors_name_the_text_the_type_and_what_is_accepted(text, t, accepted):
    with pytest.raises(ValueError) as info:
        parse_text(text, t)
    message = str(info.value)
    assert repr(text) in message
    assert accepted in message


def test_unsupported_type_is_a_value_error():
    with pytest.raises(ValueError, match=r"`list\[int\]`.*supports int, float"):
        parse_text("[1]", list[int])


def test_non_str_input_is_a_type_error():
    with pytest.raises(TypeError):
        parse_text(5, int)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [dt.timedelta(0), dt.timedelta(microseconds=1), dt.timedelta(days=-3, seconds=5), dt.timedelta(days=10**6)],
)
def test_duration_format_and_parse_are_inverse(value):
    assert parse_duration(format_duration(value)) == value
