"""Wall-clock bounds on a task.

Three independent bounds, each optional; unset or zero means no bound:

- ``max_runtime``: time one attempt may spend running (resets on each retry).
- ``max_queued_time``: time one attempt may wait before it starts running.
- ``deadline``: time from the first submission to a terminal phase, across all attempts.

Each accepts a ``timedelta``, seconds as int/float, or text such as ``"2h"``, ``"30m"``,
``"1h30m"``, ``"500ms"`` (the docs' remote-tasks page writes ``timeout="2h"``). A bare value
given as ``timeout=`` means ``max_runtime``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Optional, Union

from flyte._model.durations import DurationLike, format_duration, parse_duration

__all__ = ["Timeout", "TimeoutType", "normalize_timeout"]


def _bound(value: object, param: str) -> Optional[timedelta]:
    if value is None:
        return None
    delta = parse_duration(value, f"Timeout {param}")  # type: ignore[arg-type]
    return None if delta == timedelta(0) else delta


@dataclass(frozen=True)
class Timeout:
    """Timeout bounds for a task; see the module docstring for what each bound means.

    Values are stored as ``timedelta`` (or ``None`` when unset or zero).
    """

    max_runtime: Union[DurationLike, None] = None
    max_queued_time: Union[DurationLike, None] = None
    deadline: Union[DurationLike, None] = None

    def __post_init__(self) -> None:
        for name in ("max_runtime", "max_queued_time", "deadline"):
            object.__setattr__(self, name, _bound(getattr(self, name), name))

    @staticmethod
    def _seconds(value: object) -> Optional[float]:
        return value.total_seconds() if isinstance(value, timedelta) else None

    @property
    def max_runtime_seconds(self) -> Optional[float]:
        """``max_runtime`` in seconds, or ``None`` for no bound."""
        return self._seconds(self.max_runtime)

    @property
    def max_queued_time_seconds(self) -> Optional[float]:
        """``max_queued_time`` in seconds, or ``None`` for no bound."""
        return self._seconds(self.max_queued_time)

    @property
    def deadline_seconds(self) -> Optional[float]:
        """``deadline`` in seconds, or ``None`` for no bound."""
        return self._seconds(self.deadline)

    def is_unbounded(self) -> bool:
        """``True`` when no bound is set."""
        return self.max_runtime is None and self.max_queued_time is None and self.deadline is None

    def describe(self) -> str:
        """One line such as ``timeout max_runtime=2h, deadline=1d``."""
        parts = [
            f"{name}={format_duration(value)}"
            for name in ("max_runtime", "max_queued_time", "deadline")
            if isinstance(value := getattr(self, name), timedelta)
        ]
        return "timeout " + ", ".join(parts) if parts else "no timeout"


TimeoutType = Union[Timeout, int, float, timedelta, str]


def normalize_timeout(value: Union[TimeoutType, None]) -> Optional[Timeout]:
    """Turn a ``timeout=`` argument into a :class:`Timeout`, or ``None`` when nothing is bounded.

    A bare int/float (seconds), ``timedelta`` or text means ``max_runtime``; zero means no timeout.

    Raises:
        TypeError: an unsupported type (``bool`` included).
        ValueError: a negative or unreadable duration.
    """
    if value is None:
        return None
    if isinstance(value, Timeout):
        timeout = value
    elif isinstance(value, bool) or not isinstance(value, (int, float, timedelta, str)):
        raise TypeError(
            f"timeout: got {type(value).__name__} {value!r}; accepted: seconds as int/float, a timedelta, "
            f'text like "2h" or "1h30m", or flyte.Timeout(...)'
        )
    else:
        timeout = Timeout(max_runtime=parse_duration(value, "timeout"))
    return None if timeout.is_unbounded() else timeout
