"""Durations as the task model accepts them: ``timedelta``, seconds, or text such as ``"1h30m"``.

Accepted text: one or more ``<number><unit>`` parts, optionally separated by spaces, where the
unit is ``ms``, ``s``, ``m``, ``h``, ``d`` or ``w`` (long forms such as ``sec``, ``min``,
``hours``, ``days`` work too). A bare number (``"90"``) means seconds. Examples: ``"2h"``,
``"30m"``, ``"45s"``, ``"1h30m"``, ``"1d"``, ``"500ms"``, ``"1.5h"``.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Union

__all__ = ["DurationLike", "format_duration", "parse_duration", "to_seconds"]

#: What every duration-typed parameter of the task model accepts.
DurationLike = Union[timedelta, int, float, str]

_UNIT_SECONDS: dict[str, float] = {
    "ms": 0.001,
    "msec": 0.001,
    "millisecond": 0.001,
    "milliseconds": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
    "w": 604800.0,
    "week": 604800.0,
    "weeks": 604800.0,
}

_PART = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]+)\s*")
_BARE_NUMBER = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*")

_ACCEPTED = 'a timedelta, seconds as int/float, or text like "2h", "30m", "45s", "1h30m", "1d", "500ms"'


def _parse_text(text: str, param: str) -> float:
    bare = _BARE_NUMBER.fullmatch(text)
    if bare:
        return float(bare.group(1))
    pos = 0
    total = 0.0
    seen = False
    while pos < len(text):
        match = _PART.match(text, pos)
        if not match:
            break
        unit = match.group(2).lower()
        if unit not in _UNIT_SECONDS:
            raise ValueError(
                f"{param}: unknown duration unit `{match.group(2)}` in {text!r}; "
                f"units are ms, s, m, h, d, w (accepted: {_ACCEPTED})"
            )
        total += float(match.group(1)) * _UNIT_SECONDS[unit]
        pos = match.end()
        seen = True
    if not seen or pos != len(text):
        raise ValueError(f"{param}: cannot read {text!r} as a duration; accepted: {_ACCEPTED}")
    return total


def to_seconds(value: DurationLike, param: str = "duration") -> float:
    """Return ``value`` as a number of seconds.

    Args:
        value: A ``timedelta``, a number of seconds, or duration text (see the module docstring).
        param: The parameter name used in error messages.

    Raises:
        TypeError: ``value`` is of an unsupported type (``bool`` included).
        ValueError: ``value`` is negative, not finite, or unreadable text.
    """
    if isinstance(value, bool):
        raise TypeError(f"{param}: got the bool {value!r}; accepted: {_ACCEPTED}")
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        if not value.strip():
            raise ValueError(f"{param}: got an empty string; accepted: {_ACCEPTED}")
        seconds = _parse_text(value, param)
    else:
        raise TypeError(f"{param}: got {type(value).__name__} {value!r}; accepted: {_ACCEPTED}")
    if not math.isfinite(seconds):
        raise ValueError(f"{param}: got {value!r}, which is not a finite duration")
    if seconds < 0:
        raise ValueError(f"{param}: got {value!r}; a duration must not be negative")
    return seconds


def parse_duration(value: DurationLike, param: str = "duration") -> timedelta:
    """Return ``value`` as a ``timedelta``; same rules as :func:`to_seconds`."""
    if isinstance(value, timedelta) and value >= timedelta(0):
        return value
    return timedelta(seconds=to_seconds(value, param))


def format_duration(value: timedelta) -> str:
    """Format a ``timedelta`` compactly, e.g. ``timedelta(hours=1, minutes=30)`` -> ``"1h30m"``."""
    total = value.total_seconds()
    if total == 0:
        return "0s"
    parts: list[str] = []
    whole = int(total)
    millis = round((total - whole) * 1000)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count}{unit}")
    if millis:
        parts.append(f"{millis}ms")
    return "".join(parts)
