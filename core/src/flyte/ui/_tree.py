"""The run page's action tree: each action under its parent, ``flyte.group`` blocks as folders.

Group paths are journaled relative to the calling task (a child's body starts outside any
group), so the items under an action are its children without a group, and one folder per
group name opened in its body, placed where the group's first action was created. A folder
holds the children whose group path starts with its own, and shows their aggregated status.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from flyte.models import ActionPhase

#: Phases that make a folder (or a run) count as failed.
FAILED_PHASES = frozenset({ActionPhase.FAILED.value, ActionPhase.TIMED_OUT.value})
_TERMINAL = frozenset(p.value for p in ActionPhase if p.is_terminal)


@dataclass(slots=True, eq=False)
class ActionSummary:
    """One action as the tree shows it (``RunJournal.SUMMARY_COLUMNS`` plus the parsed group path)."""

    action_id: str
    parent_id: str | None
    task_name: str
    short_name: str
    kind: str
    group_path: str
    phase: str
    seq: int
    queued_at: float | None
    started_at: float | None
    ended_at: float | None
    attempts: int
    cache_hit: int
    replayed_from: str | None
    error_code: str | None
    groups: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return action_key(self.action_id)

    @property
    def duration(self) -> float | None:
        if self.started_at is None:
            return None
        return (self.ended_at or time.time()) - self.started_at


@dataclass(slots=True, eq=False)
class Folder:
    """A ``flyte.group`` block inside one action's body (``path`` is every enclosing group, this one last)."""

    parent_id: str | None
    path: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def key(self) -> str:
        return folder_key(self.parent_id, self.path)

    @property
    def size(self) -> int:
        return sum(self.counts.values())

    @property
    def status(self) -> str:
        return aggregate_status(self.counts)


Item = ActionSummary | Folder


def action_key(action_id: str) -> str:
    return "a:" + action_id


def folder_key(parent_id: str | None, path: tuple[str, ...]) -> str:
    return f"g:{parent_id or ''}:{json.dumps(list(path), separators=(',', ':'), ensure_ascii=False)}"


def aggregate_status(counts: dict[str, int]) -> str:
    """One status for a set of actions: failed if any failed, else running while any is unfinished, ..."""
    present = {phase for phase, n in counts.items() if n}
    if present & FAILED_PHASES:
        return ActionPhase.FAILED.value
    if present - _TERMINAL:
        return ActionPhase.RUNNING.value
    if ActionPhase.ABORTED.value in present:
        return ActionPhase.ABORTED.value
    if present:
        return ActionPhase.SUCCEEDED.value
    return ActionPhase.QUEUED.value


class RunTree:
    """The actions of one run, indexed for rendering the tree a page at a time."""

    def __init__(self, rows: Iterable[tuple]):
        self.by_id: dict[str, ActionSummary] = {}
        self.children: dict[str | None, list[ActionSummary]] = {}
        self._folders: dict[tuple[str | None, tuple[str, ...]], Folder] = {}
        self._items: dict[tuple[str | None, tuple[str, ...]], list[Item]] = {}
        paths: dict[str, tuple[str, ...]] = {"[]": ()}  # actions of one group share its journaled path text
        for row in rows:
            a = ActionSummary(*row)
            groups = paths.get(a.group_path)
            if groups is None:
                groups = paths[a.group_path] = tuple(json.loads(a.group_path))
            a.groups = groups
            self.by_id[a.action_id] = a
        # Actions come in creation order, so each folder lands where its first action was created.
        for a in self.by_id.values():
            parent = a.parent_id if a.parent_id in self.by_id else None  # orphans are shown at the top
            self.children.setdefault(parent, []).append(a)
            container = self._items.setdefault((parent, ()), [])
            for depth in range(1, len(a.groups) + 1):
                folder_id = (parent, a.groups[:depth])
                folder = self._folders.get(folder_id)
                if folder is None:
                    folder = self._folders[folder_id] = Folder(parent, a.groups[:depth])
                    container.append(folder)
                folder.counts[a.phase] = folder.counts.get(a.phase, 0) + 1
                container = self._items.setdefault(folder_id, [])
            container.append(a)

    def __len__(self) -> int:
        return len(self.by_id)

    @property
    def top(self) -> list[Item]:
        """The items shown at the top level: the root action (and any action whose parent is unknown)."""
        return self.items(None, ())

    def items(self, parent_id: str | None, path: tuple[str, ...]) -> list[Item]:
        """The actions and folders directly inside ``parent_id``'s body at group path ``path``."""
        return self._items.get((parent_id, path), [])

    def has_children(self, item: Item) -> bool:
        return isinstance(item, Folder) or bool(self.children.get(item.action_id))

    def item_count(self, item: Item) -> int:
        if isinstance(item, Folder):
            return len(self.items(item.parent_id, item.path))
        return len(self.items(item.action_id, ()))

    def child_items(self, item: Item) -> list[Item]:
        if isinstance(item, Folder):
            return self.items(item.parent_id, item.path)
        return self.items(item.action_id, ())

    def path_to(self, action_id: str) -> list[tuple[str, int]]:
        """The keys of the nodes to open to show ``action_id``, outermost first, each with how many of its
        items to show so that the way down is among them."""
        node = self.by_id.get(action_id)
        if node is None:
            return []
        opened: list[tuple[str, int]] = []
        while True:
            parent = node.parent_id if node.parent_id in self.by_id else None
            inner: Item = node
            for depth in range(len(node.groups), 0, -1):
                folder = self._folders[(parent, node.groups[:depth])]
                opened.append((folder.key, _index(self.items(parent, folder.path), inner) + 1))
                inner = folder
            if parent is None:
                return opened[::-1]
            opened.append((action_key(parent), _index(self.items(parent, ()), inner) + 1))
            node = self.by_id[parent]

    def phase_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for a in self.by_id.values():
            counts[a.phase] = counts.get(a.phase, 0) + 1
        return counts


def _index(items: list[Item], item: Item) -> int:
    return next(i for i, x in enumerate(items) if x is item)
