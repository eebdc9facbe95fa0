"""How often a failed task is retried and how long to wait between attempts.

A retry is a fresh attempt after a failure. Every user exception and timeout consumes a retry
except ``flyte.errors.NonRecoverableError``. At most :data:`MAX_RETRIES` retries may be declared.

Pacing: with a :class:`Backoff`, the wait before retry ``n`` (0 for the first retry) is
``min(base * factor**n, cap)``. Without one, :data:`DEFAULT_BACKOFF` applies: 0.1 s, doubling
each retry, capped at 5 s (0.1, 0.2, 0.4, ... 3.2, 5, 5, ...), which spaces quick local retries
without making a short run wait long.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional, Union

from flyte._model.durations import parse_duration

__all__ = ["DEFAULT_BACKOFF", "MAX_RETRIES", "Backoff", "RetryStrategy", "normalize_retries"]

#: The most retries a task may declare.
MAX_RETRIES = 10


@dataclass(frozen=True)
class Backoff:
    """Delay policy between retries: ``min(base * factor**n, cap)`` before retry ``n`` (0-indexed).

    Args:
        base: Delay before the first retry: a ``timedelta``, seconds, or text such as ``"10s"``.
        factor: Multiplier per retry, at least 1 (``1.0`` keeps the delay constant).
        cap: Upper bound on any delay, or ``None`` for none.

    ``base`` and ``cap`` are stored as ``timedelta``.
    """

    base: Union[timedelta, float] = timedelta(seconds=1)
    factor: float = 1.0
    cap: Union[timedelta, float, None] = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", parse_duration(self.base, "Backoff base"))
        if isinstance(self.factor, bool) or not isinstance(self.factor, (int, float)) or not math.isfinite(self.factor):
            raise TypeError(f"Backoff factor: got {self.factor!r}; expected a finite number >= 1")
        if self.factor < 1:
            raise ValueError(
                f"Backoff factor: got {self.factor!r}; expected a number >= 1 (1 keeps the delay constant)"
            )
        if self.cap is not None:
            object.__setattr__(self, "cap", parse_duration(self.cap, "Backoff cap"))

    def compute_delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0 for the first retry)."""
        if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 0:
            raise ValueError(f"Backoff.compute_delay: attempt got {attempt!r}; expected an int >= 0")
        base = self.base.total_seconds() if isinstance(self.base, timedelta) else float(self.base)
        try:
            delay = base * (self.factor**attempt)
        except OverflowError:
            delay = math.inf
        if self.cap is not None:
            cap = self.cap.total_seconds() if isinstance(self.cap, timedelta) else float(self.cap)
            delay = min(delay, cap)
        return delay

    def describe(self) -> str:
        """One line such as ``backoff 1.0s x2.0 (cap 30.0s)``."""
        base = self.base.total_seconds() if isinstance(self.base, timedelta) else self.base
        text = f"backoff {base}s x{self.factor}"
        if self.cap is not None:
            cap = self.cap.total_seconds() if isinstance(self.cap, timedelta) else self.cap
            text += f" (cap {cap}s)"
        return text


#: Pacing used when a RetryStrategy has no Backoff: 0.1 s doubling, capped at 5 s.
DEFAULT_BACKOFF = Backoff(base=timedelta(milliseconds=100), factor=2.0, cap=timedelta(seconds=5))


@dataclass(frozen=True)
class RetryStrategy:
    """How many times a failed task is retried, and how retries are paced.

    Args:
        count: Number of retries (0 disables retries).
        backoff: Delay policy; ``None`` uses :data:`DEFAULT_BACKOFF`.
    """

    count: int
    backoff: Optional[Backoff] = None

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int):
            raise TypeError(f"RetryStrategy count: got {type(self.count).__name__} {self.count!r}; expected an int")
        if self.count < 0:
            raise ValueError(f"RetryStrategy count: got {self.count}; expected 0 or more retries")
        if self.backoff is not None and not isinstance(self.backoff, Backoff):
            raise TypeError(
                f"RetryStrategy backoff: got {type(self.backoff).__name__} {self.backoff!r}; expected flyte.Backoff or None"
            )

    @property
    def attempts(self) -> int:
        """Total attempts allowed: the first one plus ``count`` retries."""
        return self.count + 1

    def delay(self, retry_index: int) -> float:
        """Seconds to wait before retry ``retry_index`` (0 for the first retry)."""
        return (self.backoff or DEFAULT_BACKOFF).compute_delay(retry_index)

    def describe(self) -> str:
        """One line such as ``3 retries, backoff 1.0s x2.0``."""
        text = f"{self.count} retr{'y' if self.count == 1 else 'ies'}"
        return text + (f", {self.backoff.describe()}" if self.backoff else "")


def normalize_retries(value: Union[int, RetryStrategy, None], task_name: str) -> RetryStrategy:
    """Turn a ``retries=`` argument into a :class:`RetryStrategy`, enforcing the limits.

    Raises:
        TypeError: not an int, a RetryStrategy or None.
        ValueError: a negative count, or more than :data:`MAX_RETRIES`; the message names the task.
    """
    if value is None:
        return RetryStrategy(count=0)
    if isinstance(value, RetryStrategy):
        count = value.count
    elif isinstance(value, int) and not isinstance(value, bool):
        count = value
    else:
        raise TypeError(
            f"retries: got {type(value).__name__} {value!r} for task `{task_name}`; "
            f"accepted: an int or flyte.RetryStrategy(count=..., backoff=...)"
        )
    if count < 0:
        raise ValueError(f"retries must be 0 or more; got {count} for task `{task_name}`")
    if count > MAX_RETRIES:
        raise ValueError(f"at most {MAX_RETRIES} retries are allowed; got {count} for task `{task_name}`")
    return value if isinstance(value, RetryStrategy) else RetryStrategy(count=count)
