"""`parse_text`: the one converter from user-typed text to Python values.

Used wherever a value arrives as text: CLI arguments, container-task outputs, HITL answers.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import typing
from typing import Any

from flyte.types._transformer import NoneType, is_union, strip_annotated, type_name

_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_NONE = frozenset({"", "none", "null"})

# ISO-8601 durations with days, weeks, hours, minutes and (fractional) seconds. Years and
# months are rejected: their length depends on the calendar.
_ISO_DURATION = re.compile(
    r"(?P<sign>[-+]?)P(?!$)(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?",
    re.IGNORECASE,
)
# `[-]HH:MM:SS[.ffffff]`, optionally preceded by days the way `str(timedelta)` writes them
# (`-1 day, 23:00:00` is minus one hour: the sign belongs to the days only).
_CLOCK_DURATION = re.compile(
    r"(?:(?P<days>[-+]?\d+) days?,\s*)?(?P<sign>[-+]?)(?P<hours>\d+):(?P<minutes>\d{1,2}):(?P<seconds>\d{1,2}(?:\.\d+)?)"
)

_ACCEPTED = {
    int: "an integer such as 42 or -7",
    float: "a number such as 3.14, 1e-3 or 42",
    bool: "true/false, 1/0 or yes/no (any case)",
    dt.datetime: "an ISO-8601 date-time such as 2024-05-01T12:30:00, optionally with an offset or Z",
    dt.date: "an ISO-8601 date such as 2024-05-01",
    dt.timedelta: "seconds as a number (90, 1.5), an ISO-8601 duration (PT1H30M, P2D) or HH:MM:SS",
}


def parse_text(text: str, python_type: Any) -> Any:
    """Convert user-typed `text` into a value of `python_type`.

    Supports int, float, str, bool, datetime (ISO-8601, `Z` accepted), date, timedelta
    (seconds, ISO-8601 durations like `PT1H30M`, or `HH:MM:SS`), Enum (by value, then by
    name), `Literal[...]`, and `Optional[X]` / unions (empty, `none` or `null` give None;
    otherwise the variants are tried in order). Surrounding whitespace is ignored except for
    `str`, which is returned exactly as given.

    Raises:
        ValueError: The text is not a valid value of the type; the message names the text, the
            type and what is accepted.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_text expects a str, got {type(text).__name__}")
    t = strip_annotated(python_type)
    if t is str:
        return text
    stripped = text.strip()
    if is_union(t):
        return _parse_union(text, stripped, t)
    if t is NoneType or t is None:
        if stripped.lower() in _NONE:
            return None
        raise _error(text, t, "empty text, none or null")
    if typing.get_origin(t) is typing.Literal:
        return _parse_literal(text, stripped, t)
    parse = _PARSERS.get(t)
    if parse is not None:
        try:
            return parse(stripped)
        except (ValueError, OverflowError):
            raise _error(text, t, _ACCEPTED[t]) from None
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return _parse_enum(text, stripped, t)
    raise ValueError(
        f"Cannot parse text into a value of type `{type_name(python_type)}`: parsing text supports int, float, "
        "str, bool, datetime, date, timedelta, Enum, Literal and Optional/Union of those"
    )


def format_duration(value: dt.timedelta) -> str:
    """Render a timedelta as an exact ISO-8601 duration, e.g. `P1DT3600.5S` (inverse of parsing)."""
    sign = "-" if value < dt.timedelta(0) else ""
    value = abs(value)
    seconds = f"{value.seconds}.{value.microseconds:06d}".rstrip("0").rstrip(".")
    return f"{sign}P{value.days}DT{seconds}S"


def parse_duration(text: str) -> dt.timedelta:
    """Parse seconds (`90`, `1.5`), an ISO-8601 duration (`PT1H30M`) or `[D days, ]HH:MM:SS`."""
    match = _ISO_DURATION.fullmatch(text)
    if match is not None:
        parts = {k: float(v) for k, v in match.groupdict().items() if k != "sign" and v}
        result = dt.timedelta(**parts)
        return -result if match["sign"] == "-" else result
    match = _CLOCK_DURATION.fullmatch(text)
    if match is not None:
        clock = dt.timedelta(hours=int(match["hours"]), minutes=int(match["minutes"]), seconds=float(match["seconds"]))
        return dt.timedelta(days=int(match["days"] or 0)) + (-clock if match["sign"] == "-" else clock)
    return dt.timedelta(seconds=float(text))


def _parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(text)


def _parse_datetime(text: str) -> dt.datetime:
    # `fromisoformat` only learned to read a `Z` suffix in Python 3.11.
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    return dt.datetime.fromisoformat(text)


_PARSERS: dict[Any, typing.Callable[[str], Any]] = {
    int: int,
    float: float,
    bool: _parse_bool,
    dt.datetime: _parse_datetime,
    dt.date: dt.date.fromisoformat,
    dt.timedelta: parse_duration,
}


def _parse_enum(text: str, stripped: str, t: type[enum.Enum]) -> enum.Enum:
    for member in t:
        if str(member.value) == stripped:
            return member
    if stripped in t.__members__:
        return t[stripped]
    values = ", ".join(str(m.value) for m in t)
    raise _error(text, t, f"one of the values {values} (or a member name)")


def _parse_literal(text: str, stripped: str, t: Any) -> Any:
    choices = typing.get_args(t)
    for choice in choices:
        if isinstance(choice, str):
            if choice == text or choice == stripped:
                return choice
        elif type(choice) in _PARSERS or isinstance(choice, enum.Enum):
            try:
                if parse_text(text, type(choice)) == choice:
                    return choice
            except ValueError:
                continue
    raise _error(text, t, "one of " + ", ".join(repr(c) for c in choices))


def _parse_union(text: str, stripped: str, t: Any) -> Any:
    variants = typing.get_args(t)
    if NoneType in variants and stripped.lower() in _NONE:
        return None
    for variant in variants:
        if variant is NoneType:
            continue
        try:
            return parse_text(text, variant)
        except ValueError:
            continue
    accepted = "; or ".join(
        "empty text, none or null" if v is NoneType else _ACCEPTED.get(v, f"a {type_name(v)}") for v in variants
    )
    raise _error(text, t, accepted)


def _error(text: str, t: Any, accepted: str) -> ValueError:
    return ValueError(f"Cannot parse {text!r} as `{type_name(t)}`: expected {accepted}")
