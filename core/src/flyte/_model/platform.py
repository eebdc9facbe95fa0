"""Configuration that matters only on a Flyte cluster: pod templates, reusable containers,
schedule triggers and task documentation.

None of these has an effect on local runs. They are validated and recorded (each object has a
``describe()`` line for the run journal), and creating one logs a debug line saying so, so a
program written for a cluster imports and runs here unchanged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional, Union

from flyte._model.durations import format_duration, parse_duration

__all__ = [
    "Cron",
    "Documentation",
    "FixedRate",
    "PodTemplate",
    "ReusePolicy",
    "Trigger",
    "TriggerTime",
]

logger = logging.getLogger(__name__)


def _note_no_local_effect(obj: Any) -> None:
    logger.debug("%s recorded; it has no effect on local runs", obj.describe())


def _str_map(owner: str, param: str, value: Any) -> Optional[dict[str, str]]:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"{owner} {param}: got {type(value).__name__} {value!r}; expected a dict of str -> str")
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"{owner} {param}: key {key!r} is not a non-empty string")
        if not isinstance(item, str):
            raise TypeError(f"{owner} {param}[{key!r}]: got {type(item).__name__} {item!r}; values must be strings")
    return dict(value)


def _positive_duration(owner: str, param: str, value: Any) -> timedelta:
    delta = parse_duration(value, f"{owner} {param}")
    if delta <= timedelta(0):
        raise ValueError(f"{owner} {param}: got {value!r}; expected a positive duration")
    return delta


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PodTemplate:
    """A Kubernetes pod template for a task's pod (remote only).

    Args:
        pod_spec: A ``kubernetes.client.V1PodSpec`` (or an equivalent dict); kept as given.
        primary_container_name: Name of the container that runs the task.
        labels: Pod labels.
        annotations: Pod annotations.
    """

    pod_spec: Any = None
    primary_container_name: str = "primary"
    labels: Optional[dict[str, str]] = None
    annotations: Optional[dict[str, str]] = None

    def __post_init__(self) -> None:
        if not isinstance(self.primary_container_name, str) or not self.primary_container_name.strip():
            raise ValueError(
                f"PodTemplate primary_container_name: got {self.primary_container_name!r}; expected a non-empty string"
            )
        object.__setattr__(self, "labels", _str_map("PodTemplate", "labels", self.labels))
        object.__setattr__(self, "annotations", _str_map("PodTemplate", "annotations", self.annotations))
        _note_no_local_effect(self)

    @classmethod
    def from_spec(
        cls,
        pod_spec: Any,
        *,
        primary_container_name: Optional[str] = None,
        labels: Optional[dict[str, str]] = None,
        annotations: Optional[dict[str, str]] = None,
    ) -> PodTemplate:
        """Wrap an existing pod spec, picking its primary container.

        The primary container is ``primary_container_name`` if given (it must exist), else the
        container named ``primary``, else the only container.
        """
        containers = (
            pod_spec.get("containers") if isinstance(pod_spec, Mapping) else getattr(pod_spec, "containers", None)
        )
        names = [c.get("name") if isinstance(c, Mapping) else getattr(c, "name", None) for c in containers or []]
        if primary_container_name is not None:
            if primary_container_name not in names:
                raise ValueError(
                    f"PodTemplate.from_spec: primary_container_name {primary_container_name!r} is not in the pod spec; "
                    f"containers: {names}"
                )
            resolved = primary_container_name
        elif "primary" in names:
            resolved = "primary"
        elif len(names) == 1 and names[0]:
            resolved = names[0]
        else:
            raise ValueError(
                f"PodTemplate.from_spec: cannot tell the primary container among {names}; pass primary_container_name="
            )
        return cls(pod_spec=pod_spec, primary_container_name=resolved, labels=labels, annotations=annotations)

    def describe(self) -> str:
        """One line such as ``pod template (primary container 'primary', 2 labels)``."""
        parts = [f"primary container {self.primary_container_name!r}"]
        if self.pod_spec is not None:
            parts.append("custom pod spec")
        if self.labels:
            parts.append(f"{len(self.labels)} label(s)")
        if self.annotations:
            parts.append(f"{len(self.annotations)} annotation(s)")
        return f"pod template ({', '.join(parts)})"


@dataclass(frozen=True)
class ReusePolicy:
    """Keep warm containers and reuse them across task invocations (remote only).

    Args:
        replicas: A fixed count, or ``(min, max)`` for autoscaling; stored as ``(min, max)``.
        idle_ttl: Shut the whole environment down after it was idle this long (seconds,
            ``timedelta`` or text); ``None`` keeps it up.
        concurrency: Task invocations one replica runs at once (more than 1 needs async tasks).
        scaledown_ttl: Minimum idle time before one replica is removed while scaling down.
        scope: ``"global"`` (shared across runs) or ``"run"`` (one environment per run).
    """

    replicas: Union[int, tuple[int, int]] = 2
    idle_ttl: Union[int, float, timedelta, str, None] = 30
    concurrency: int = 1
    scaledown_ttl: Union[int, float, timedelta, str, None] = 30
    scope: str = "global"

    def __post_init__(self) -> None:
        replicas: Any = self.replicas
        if isinstance(replicas, list):
            replicas = tuple(replicas)
        if isinstance(replicas, int) and not isinstance(replicas, bool):
            replicas = (replicas, replicas)
        if (
            not isinstance(replicas, tuple)
            or len(replicas) != 2
            or not all(isinstance(r, int) and not isinstance(r, bool) for r in replicas)
        ):
            raise ValueError(
                f"ReusePolicy replicas: got {self.replicas!r}; expected an int or a (min, max) tuple of ints"
            )
        low, high = replicas
        if low < 0 or high < 1 or low > high:
            raise ValueError(f"ReusePolicy replicas: got {self.replicas!r}; expected min >= 0, max >= 1 and min <= max")
        object.__setattr__(self, "replicas", (low, high))
        if isinstance(self.concurrency, bool) or not isinstance(self.concurrency, int) or self.concurrency < 1:
            raise ValueError(f"ReusePolicy concurrency: got {self.concurrency!r}; expected an int >= 1")
        for name in ("idle_ttl", "scaledown_ttl"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _positive_duration("ReusePolicy", name, value))
        if self.scope not in ("global", "run"):
            raise ValueError(f"ReusePolicy scope: got {self.scope!r}; accepted: ['global', 'run']")
        if high == 1 and self.concurrency == 1:
            logger.debug("ReusePolicy with one replica and concurrency 1 can starve a parent task waiting on children")
        _note_no_local_effect(self)

    @property
    def min_replicas(self) -> int:
        """The minimum number of replicas."""
        return self.replicas[0] if isinstance(self.replicas, tuple) else self.replicas

    @property
    def max_replicas(self) -> int:
        """The maximum number of replicas."""
        return self.replicas[1] if isinstance(self.replicas, tuple) else self.replicas

    def get_scaledown_ttl(self) -> Optional[timedelta]:
        """``scaledown_ttl`` as a ``timedelta`` (``None`` when unset)."""
        return self.scaledown_ttl if isinstance(self.scaledown_ttl, timedelta) else None

    def describe(self) -> str:
        """One line such as ``reuse 1..3 replicas x concurrency 2, idle_ttl 30s``."""
        text = f"reuse {self.min_replicas}..{self.max_replicas} replicas x concurrency {self.concurrency}"
        if isinstance(self.idle_ttl, timedelta):
            text += f", idle_ttl {format_duration(self.idle_ttl)}"
        if isinstance(self.scaledown_ttl, timedelta):
            text += f", scaledown_ttl {format_duration(self.scaledown_ttl)}"
        return text + ("" if self.scope == "global" else f", scope {self.scope}")


# ---------------------------------------------------------------------------------------------
# Triggers


class _TriggerTime:
    """Marker for a trigger input that receives the scheduled time."""

    _instance: Optional[_TriggerTime] = None

    def __new__(cls) -> _TriggerTime:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "flyte.TriggerTime"

    def __reduce__(self) -> str:
        return "TriggerTime"


#: Bind a task input to the time the trigger fired: ``inputs={"when": TriggerTime}``.
TriggerTime = _TriggerTime()

_CRON_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# (field name, low, high, names mapped to numbers starting at `low`)
_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)
_CRON_ITEM = re.compile(r"^(\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:/(\d+))?$")


def _cron_value(text: str, low: int, high: int, names: tuple[str, ...]) -> Optional[int]:
    if text.isdigit():
        number = int(text)
        return number if low <= number <= high else None
    upper = text.upper()
    if upper in names:
        return names.index(upper) + (1 if names is _MONTHS else 0)
    return None


def _check_cron(expression: str) -> None:
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            f"Cron expression: got {expression!r} with {len(fields)} field(s); expected 5 fields "
            f"'minute hour day-of-month month day-of-week' (e.g. '0 * * * *') or one of {list(_CRON_MACROS)}"
        )
    for text, (name, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        if text == "?" and name in ("day of month", "day of week"):
            continue
        for item in text.split(","):
            match = _CRON_ITEM.match(item)
            problem = match is None
            if match is not None:
                span, step = match.group(1), match.group(2)
                if step is not None and int(step) < 1:
                    problem = True
                if span != "*":
                    bounds = [_cron_value(part, low, high, names) for part in span.split("-")]
                    if any(b is None for b in bounds) or (len(bounds) == 2 and bounds[0] > bounds[1]):  # type: ignore[operator]
                        problem = True
            if problem:
                accepted = f"{low}-{high}" + (f" or {names[0]}..{names[-1]}" if names else "")
                raise ValueError(
                    f"Cron expression: {name} field {text!r} in {expression!r} is invalid; "
                    f"accepted: *, a value ({accepted}), a range a-b, a list a,b and steps like */5"
                )


@dataclass(frozen=True)
class Cron:
    """A schedule given by a cron expression, e.g. ``Cron("0 6 * * 1", timezone="Europe/London")``.

    Args:
        expression: Five fields (minute hour day-of-month month day-of-week) or a macro such as
            ``"@daily"``.
        timezone: IANA time zone name the schedule is evaluated in (UTC when ``None``).
    """

    expression: str
    timezone: Optional[str] = None

    def __post_init__(self) -> None:
        if not isinstance(self.expression, str) or not self.expression.strip():
            raise ValueError(f"Cron expression: got {self.expression!r}; expected text such as '0 * * * *'")
        if self.expression.strip().lower() not in _CRON_MACROS:
            _check_cron(self.expression)
        if self.timezone is not None and (not isinstance(self.timezone, str) or not self.timezone.strip()):
            raise ValueError(f"Cron timezone: got {self.timezone!r}; expected an IANA name such as 'America/New_York'")

    def describe(self) -> str:
        """One line such as ``cron '0 * * * *' (Europe/London)``."""
        return f"cron {self.expression!r}" + (f" ({self.timezone})" if self.timezone else "")

    def __str__(self) -> str:
        return f"Cron Trigger: {self.expression}"


@dataclass(frozen=True)
class FixedRate:
    """A schedule that fires every ``interval_minutes``, optionally from ``start_time``."""

    interval_minutes: int
    start_time: Optional[datetime] = None

    def __post_init__(self) -> None:
        if (
            isinstance(self.interval_minutes, bool)
            or not isinstance(self.interval_minutes, int)
            or self.interval_minutes < 1
        ):
            raise ValueError(f"FixedRate interval_minutes: got {self.interval_minutes!r}; expected an int >= 1")
        if self.start_time is not None and not isinstance(self.start_time, datetime):
            raise TypeError(
                f"FixedRate start_time: got {type(self.start_time).__name__} {self.start_time!r}; expected a datetime"
            )

    def describe(self) -> str:
        """One line such as ``every 15 minutes from 2025-01-01T00:00:00``."""
        text = f"every {self.interval_minutes} minute{'s' if self.interval_minutes != 1 else ''}"
        return text + (f" from {self.start_time.isoformat()}" if self.start_time else "")

    def __str__(self) -> str:
        return f"FixedRate Trigger: every {self.interval_minutes} minutes"


def _preset(key: str, inputs: Optional[dict[str, Any]]) -> dict[str, Any]:
    if not isinstance(key, str) or not key:
        raise ValueError(f"Trigger trigger_time_input_key: got {key!r}; expected an input name")
    return {key: TriggerTime, **(inputs or {})}


@dataclass(frozen=True)
class Trigger:
    """Runs a task on a schedule once deployed (remote only).

    Args:
        name: Unique trigger name within the project/domain.
        automation: When it fires: :class:`Cron` or :class:`FixedRate`.
        description: Free text.
        auto_activate: Whether the trigger is active once deployed.
        inputs: Values for task inputs; use :data:`TriggerTime` for the firing time.
        env_vars: Environment variables for triggered runs.
        interruptible: Overrides the task's interruptible setting.
        overwrite_cache: Recompute instead of using cached results.
        queue: Queue to run in.
        labels: Labels for triggered runs.
        annotations: Annotations for triggered runs.
    """

    name: str
    automation: Union[Cron, FixedRate]
    description: str = ""
    auto_activate: bool = True
    inputs: Optional[dict[str, Any]] = None
    env_vars: Optional[dict[str, str]] = None
    interruptible: Optional[bool] = None
    overwrite_cache: bool = False
    queue: Optional[str] = None
    labels: Optional[Mapping[str, str]] = None
    annotations: Optional[Mapping[str, str]] = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"Trigger name: got {self.name!r}; expected a non-empty string")
        if not isinstance(self.automation, (Cron, FixedRate)):
            raise TypeError(
                f"Trigger automation: got {type(self.automation).__name__} {self.automation!r}; "
                f"expected flyte.Cron(...) or flyte.FixedRate(...)"
            )
        if not isinstance(self.description, str):
            raise TypeError(f"Trigger description: got {type(self.description).__name__}; expected a string")
        for flag in ("auto_activate", "overwrite_cache"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"Trigger {flag}: got {getattr(self, flag)!r}; expected True or False")
        if self.interruptible is not None and not isinstance(self.interruptible, bool):
            raise TypeError(f"Trigger interruptible: got {self.interruptible!r}; expected True, False or None")
        if self.inputs is not None:
            if not isinstance(self.inputs, Mapping) or not all(isinstance(k, str) and k for k in self.inputs):
                raise TypeError(f"Trigger inputs: got {self.inputs!r}; expected a dict of input name -> value")
            object.__setattr__(self, "inputs", dict(self.inputs))
        if self.queue is not None and (not isinstance(self.queue, str) or not self.queue.strip()):
            raise ValueError(f"Trigger queue: got {self.queue!r}; expected a non-empty string or None")
        object.__setattr__(self, "env_vars", _str_map("Trigger", "env_vars", self.env_vars))
        object.__setattr__(self, "labels", _str_map("Trigger", "labels", self.labels))
        object.__setattr__(self, "annotations", _str_map("Trigger", "annotations", self.annotations))
        _note_no_local_effect(self)

    def describe(self) -> str:
        """One line such as ``trigger 'nightly': cron '0 0 * * *'``."""
        text = f"trigger {self.name!r}: {self.automation.describe()}"
        return text + ("" if self.auto_activate else " (inactive)")

    @classmethod
    def minutely(
        cls,
        trigger_time_input_key: str = "trigger_time",
        *,
        name: str = "minutely",
        inputs: Optional[dict[str, Any]] = None,
        **kwargs: Any,
    ) -> Trigger:
        """Every minute; the firing time goes to the input ``trigger_time_input_key``."""
        kwargs.setdefault("description", "A trigger that runs every minute")
        return cls(name=name, automation=Cron("* * * * *"), inputs=_preset(trigger_time_input_key, inputs), **kwargs)

    @classmethod
    def hourly(
        cls,
        trigger_time_input_key: str = "trigger_time",
        *,
        name: str = "hourly",
        inputs: Optional[dict[str, Any]] = None,
        **kwargs: Any,
    ) -> Trigger:
        """Every hour, on the hour."""
        kwargs.setdefault("description", "A trigger that runs every hour")
        return cls(name=name, automation=Cron("0 * * * *"), inputs=_preset(trigger_time_input_key, inputs), **kwargs)

    @classmethod
    def daily(
        cls,
        trigger_time_input_key: str = "trigger_time",
        *,
        name: str = "daily",
        inputs: Optional[dict[str, Any]] = None,
        **kwargs: Any,
    ) -> Trigger:
        """Every day at midnight."""
        kwargs.setdefault("description", "A trigger that runs daily at midnight")
        return cls(name=name, automation=Cron("0 0 * * *"), inputs=_preset(trigger_time_input_key, inputs), **kwargs)

    @classmethod
    def weekly(
        cls,
        trigger_time_input_key: str = "trigger_time",
        *,
        name: str = "weekly",
        inputs: Optional[dict[str, Any]] = None,
        **kwargs: Any,
    ) -> Trigger:
        """Every Sunday at midnight."""
        kwargs.setdefault("description", "A trigger that runs weekly on Sundays at midnight")
        return cls(name=name, automation=Cron("0 0 * * 0"), inputs=_preset(trigger_time_input_key, inputs), **kwargs)

    @classmethod
    def monthly(
        cls,
        trigger_time_input_key: str = "trigger_time",
        *,
        name: str = "monthly",
        inputs: Optional[dict[str, Any]] = None,
        **kwargs: Any,
    ) -> Trigger:
        """On the 1st of every month at midnight."""
        kwargs.setdefault("description", "A trigger that runs monthly on the 1st at midnight")
        return cls(name=name, automation=Cron("0 0 1 * *"), inputs=_preset(trigger_time_input_key, inputs), **kwargs)


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Documentation:
    """Human documentation attached to a task (``@env.task(docs=...)``).

    Args:
        description: Short description (upstream truncates it to 255 characters when deploying).
        long_description: Longer free text, e.g. Markdown.
        source_code: A link to or excerpt of the task's source.
    """

    description: Optional[str] = None
    long_description: Optional[str] = None
    source_code: Optional[str] = None

    def __post_init__(self) -> None:
        for name in ("description", "long_description", "source_code"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise TypeError(
                    f"Documentation {name}: got {type(value).__name__} {value!r}; expected a string or None"
                )

    @property
    def short_description(self) -> Optional[str]:
        """``description`` cut to 255 characters."""
        return None if self.description is None else self.description[:255]

    def describe(self) -> str:
        """The first line of the description, or ``no documentation``."""
        text = self.description or self.long_description
        return text.strip().splitlines()[0] if text and text.strip() else "no documentation"
