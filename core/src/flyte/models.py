"""Data models shared by the runtime, the journal and user code (``flyte.ctx()``)."""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

__all__ = [
    "ActionID",
    "ActionPhase",
    "GroupData",
    "MAX_INLINE_IO_BYTES",
    "RawDataPath",
    "TaskContext",
]

#: Literal bytes above this bound are stored in the blob store instead of inline in the journal.
MAX_INLINE_IO_BYTES = 10 * 1024 * 1024


class ActionPhase(str, enum.Enum):
    """The phase of a run or an action."""

    QUEUED = "queued"
    WAITING_FOR_RESOURCES = "waiting_for_resources"
    INITIALIZING = "initializing"
    RUNNING = "running"
    PAUSED = "paused"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ABORTED = "aborted"
    TIMED_OUT = "timed_out"
    RECOVERED = "recovered"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    def to_protobuf_name(self) -> str:
        return "ACTION_PHASE_" + self.name

    def __str__(self) -> str:
        return self.value


_TERMINAL = frozenset(
    {ActionPhase.SUCCEEDED, ActionPhase.FAILED, ActionPhase.ABORTED, ActionPhase.TIMED_OUT, ActionPhase.RECOVERED}
)


@dataclass(frozen=True)
class ActionID:
    """Identifies one action: its name within a run, and the run's coordinates."""

    name: str
    run_name: str = ""
    project: str = ""
    domain: str = ""
    org: str = ""


@dataclass(frozen=True)
class GroupData:
    """The innermost ``flyte.group`` a call is made in; ``path`` lists all enclosing groups."""

    name: str
    path: tuple[str, ...] = ()


@dataclass(frozen=True)
class RawDataPath:
    """Where a task writes offloaded data (files, directories, dataframes)."""

    path: str


@dataclass(frozen=True)
class TaskContext:
    """What a running task can learn about itself; returned by ``flyte.ctx()``.

    Outside a task ``flyte.ctx()`` returns ``None``-like emptiness: a falsy context whose fields
    are empty.
    """

    action: ActionID
    run_base_dir: str = ""
    output_path: str = ""
    raw_data_path: RawDataPath | None = None
    version: str = "local"
    mode: str = "local"
    custom_context: dict[str, str] = field(default_factory=dict)
    group_data: GroupData | None = None
    disable_run_cache: bool = False
    run_start_time: datetime | None = None
    attempt_number: int = 0
    task_name: str = ""
    report: Any = None
    data: dict[str, Any] = field(default_factory=dict)
    interactive_mode: bool = False

    def replace(self, **kwargs: Any) -> TaskContext:
        return replace(self, **kwargs)

    def __getitem__(self, key: str) -> Any:
        return self.data.get(key)

    def is_in_cluster(self) -> bool:
        return self.mode == "remote"

    def __bool__(self) -> bool:
        return bool(self.action.name)

    # Distributed-training coordinates come from the environment, as on a cluster.
    @property
    def rank(self) -> int:
        return int(os.environ.get("RANK", "0"))

    @property
    def world_size(self) -> int:
        return int(os.environ.get("WORLD_SIZE", "1"))
