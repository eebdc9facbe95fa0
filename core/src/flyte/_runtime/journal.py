"""The run journal: every run and action, durably recorded in SQLite under ``FLYTE_HOME``.

Writes go through one writer thread that commits in groups a few milliseconds apart; the
latest state of a record wins within a group. A record counts once its group is committed;
``flush()`` waits for that. Reads open their own connections, so the CLI, the UI and
``flyte.remote`` see what a running process has committed (SQLite WAL mode).
"""

from __future__ import annotations

import atexit
import json
import operator
import os
import queue
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from flyte.models import ActionPhase

SCHEMA_VERSION = 4

_CACHE_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    key TEXT NOT NULL,
    task_name TEXT NOT NULL,
    version TEXT NOT NULL,
    outputs BLOB,
    outputs_ref TEXT,
    created_at REAL NOT NULL,
    run_name TEXT NOT NULL,
    action_id TEXT NOT NULL,
    PRIMARY KEY (task_name, version, key)
) WITHOUT ROWID
"""

# Every row written or deleted in the cache, by any connection, counts one change.
_CACHE_CHANGES = [
    "CREATE TABLE IF NOT EXISTS cache_changes (id INTEGER PRIMARY KEY CHECK (id = 0), n INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO cache_changes VALUES (0, 0)",
    *(
        f"CREATE TRIGGER IF NOT EXISTS cache_{name} AFTER {event} ON cache BEGIN UPDATE cache_changes SET n = n + 1; END"
        for event, name in (("INSERT", "inserted"), ("UPDATE", "updated"), ("DELETE", "deleted"))
    ),
]

# Changes after schema 1, applied to journals written by older versions.
_MIGRATIONS = {
    2: [
        "ALTER TABLE runs ADD COLUMN resumed_from TEXT",
        "ALTER TABLE actions ADD COLUMN replayed_from TEXT",
    ],
    # Cache entries clustered by task version: a run reads one version's entries in one range.
    3: [
        _CACHE_TABLE.format(name="cache_v3"),
        "INSERT OR REPLACE INTO cache_v3 SELECT key, task_name, version, outputs, outputs_ref, created_at, run_name,"
        " action_id FROM cache",
        "DROP TABLE cache",
        "ALTER TABLE cache_v3 RENAME TO cache",
    ],
    # A count of changes to the cache, so that a process can tell whether others changed it.
    4: _CACHE_CHANGES,
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    name TEXT PRIMARY KEY,
    task_name TEXT NOT NULL,
    root_action TEXT NOT NULL,
    project TEXT NOT NULL,
    domain TEXT NOT NULL,
    phase TEXT NOT NULL,
    created_at REAL NOT NULL,
    started_at REAL,
    ended_at REAL,
    custom_context TEXT NOT NULL DEFAULT '{}',
    pid INTEGER,
    host TEXT,
    error_code TEXT,
    error_message TEXT,
    source TEXT,
    resumed_from TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_time ON runs(created_at);
CREATE TABLE IF NOT EXISTS actions (
    run_name TEXT NOT NULL,
    action_id TEXT NOT NULL,
    parent_id TEXT,
    task_name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    group_path TEXT NOT NULL DEFAULT '[]',
    phase TEXT NOT NULL,
    seq INTEGER NOT NULL,
    queued_at REAL,
    started_at REAL,
    ended_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    interface BLOB,
    inputs BLOB,
    inputs_ref TEXT,
    outputs BLOB,
    outputs_ref TEXT,
    error_code TEXT,
    error_kind TEXT,
    error_class TEXT,
    error_message TEXT,
    error_traceback TEXT,
    links TEXT NOT NULL DEFAULT '[]',
    report_uri TEXT,
    cache_hit INTEGER NOT NULL DEFAULT 0,
    config TEXT NOT NULL DEFAULT '{}',
    replayed_from TEXT,
    PRIMARY KEY (run_name, action_id)
);
CREATE INDEX IF NOT EXISTS actions_by_seq ON actions(run_name, seq);
CREATE TABLE IF NOT EXISTS attempts (
    run_name TEXT NOT NULL,
    action_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    started_at REAL,
    ended_at REAL,
    phase TEXT NOT NULL,
    error_code TEXT,
    error_class TEXT,
    error_message TEXT,
    error_traceback TEXT,
    PRIMARY KEY (run_name, action_id, attempt)
);
CREATE TABLE IF NOT EXISTS logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_name TEXT NOT NULL,
    action_id TEXT NOT NULL,
    ts REAL NOT NULL,
    stream TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_by_action ON logs(run_name, action_id, id);
CREATE TABLE IF NOT EXISTS abort_requests (
    run_name TEXT NOT NULL,
    action_id TEXT NOT NULL,
    requested_at REAL NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_name, action_id)
);
"""
_SCHEMA_STATEMENTS = [
    *(statement for statement in _SCHEMA.split(";") if statement.strip()),
    _CACHE_TABLE.format(name="cache"),
    "CREATE UNIQUE INDEX IF NOT EXISTS cache_by_key ON cache(key)",
    *_CACHE_CHANGES,
]


@dataclass
class RunRecord:
    """One run, as journaled."""

    name: str
    task_name: str
    root_action: str
    project: str
    domain: str
    phase: str
    created_at: float
    started_at: float | None = None
    ended_at: float | None = None
    custom_context: str = "{}"
    pid: int | None = None
    host: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    source: str | None = None
    resumed_from: str | None = None

    @property
    def duration(self) -> float | None:
        return _duration(self.started_at, self.ended_at)


def _duration(started_at: float | None, ended_at: float | None) -> float | None:
    if started_at is None:
        return None
    return (ended_at or time.time()) - started_at


@dataclass(slots=True)
class ActionRecord:
    """One action (a task call or a trace call), as journaled."""

    run_name: str
    action_id: str
    parent_id: str | None
    task_name: str
    short_name: str
    kind: str
    group_path: str
    phase: str
    seq: int
    queued_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    attempts: int = 0
    interface: bytes | None = None
    config: str = "{}"
    inputs: bytes | None = None
    inputs_ref: str | None = None
    outputs: bytes | None = None
    outputs_ref: str | None = None
    error_code: str | None = None
    error_kind: str | None = None
    error_class: str | None = None
    error_message: str | None = None
    error_traceback: str | None = None
    links: str = "[]"
    report_uri: str | None = None
    cache_hit: int = 0
    #: ``<run>/<action>`` whose journaled outputs this action replayed, if any.
    replayed_from: str | None = None

    @property
    def groups(self) -> list[str]:
        return json.loads(self.group_path)

    @property
    def duration(self) -> float | None:
        return _duration(self.started_at, self.ended_at)


@dataclass
class AttemptRecord:
    """One failed or finished attempt of an action."""

    run_name: str
    action_id: str
    attempt: int
    started_at: float | None
    ended_at: float | None
    phase: str
    error_code: str | None = None
    error_class: str | None = None
    error_message: str | None = None
    error_traceback: str | None = None


@dataclass
class CacheEntry:
    """One cached task result."""

    key: str
    task_name: str
    version: str
    outputs: bytes | None
    outputs_ref: str | None
    created_at: float
    run_name: str
    action_id: str

    @property
    def stored_outputs(self) -> bytes | str:
        """The outputs as ``cache_index`` gives them: the inline bytes, else the blob reference."""
        if self.outputs is not None:
            return self.outputs
        return self.outputs_ref if self.outputs_ref is not None else b""


@dataclass
class LogRecord:
    """A chunk of captured output of one action."""

    action_id: str
    ts: float
    stream: str
    text: str


_RUN_COLS = [f.name for f in fields(RunRecord)]
_ACTION_COLS = [f.name for f in fields(ActionRecord)]
_ATTEMPT_COLS = [f.name for f in fields(AttemptRecord)]
_CACHE_COLS = [f.name for f in fields(CacheEntry)]


def _upsert(table: str, cols: list[str]) -> str:
    return f"INSERT OR REPLACE INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"


_run_row = operator.attrgetter(*_RUN_COLS)
_action_row = operator.attrgetter(*_ACTION_COLS)
_attempt_row = operator.attrgetter(*_ATTEMPT_COLS)
_cache_row = operator.attrgetter(*_CACHE_COLS)

_RUN_SQL = _upsert("runs", _RUN_COLS)
_ACTION_SQL = _upsert("actions", _ACTION_COLS)
_ATTEMPT_SQL = _upsert("attempts", _ATTEMPT_COLS)
_CACHE_SQL = _upsert("cache", _CACHE_COLS)
_LOG_SQL = "INSERT INTO logs (run_name, action_id, ts, stream, text) VALUES (?, ?, ?, ?, ?)"


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def _schema_version(conn: sqlite3.Connection, path: Path) -> int:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"The run journal at {path} was written by a newer flyte (schema {version}, this one reads "
            f"{SCHEMA_VERSION}); upgrade flyte or point FLYTE_HOME elsewhere."
        )
    return version


def _open_schema(path: Path) -> None:
    conn = _connect(path)
    try:
        if _schema_version(conn, path) == SCHEMA_VERSION:
            return
        # One transaction, so that a crash mid-migration leaves the old schema, and a second process
        # opening the journal at the same time waits, then finds the new one.
        conn.execute("BEGIN IMMEDIATE")
        version = _schema_version(conn, path)
        if version < SCHEMA_VERSION:
            if version:
                for target in range(version + 1, SCHEMA_VERSION + 1):
                    for statement in _MIGRATIONS.get(target, []):
                        conn.execute(statement)
            for statement in _SCHEMA_STATEMENTS:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
    finally:
        conn.close()  # without COMMIT, everything above is rolled back


#: Cache entries a process keeps loaded across runs, at most (about 200 bytes each); beyond, the
#: task versions loaded before are dropped when another one is loaded.
MAX_KEPT_CACHE_ENTRIES = 200_000


class _Flush:
    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


class RunJournal:
    """Reads and writes the journal at ``<home>/runs.db``."""

    GROUP_SECONDS = 0.004
    IDLE_SECONDS = 2.0

    def __init__(self, home: Path):
        home.mkdir(parents=True, exist_ok=True)
        self.path = home / "runs.db"
        _open_schema(self.path)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()
        self._local = threading.local()
        self._error: BaseException | None = None
        self._atexit_registered = False
        self._cache_pending: dict[str, CacheEntry] = {}
        #: Cache entries of the task versions this process has looked up, by (task, version): their
        #: outputs (inline bytes or a blob reference) by key. They stay valid across runs while the
        #: cache changes only through this process (``cache_changes`` counts every change).
        self._cache_indexes: dict[tuple[str, str], dict[str, bytes | str]] = {}
        self._cache_changes: int | None = None

    # ---------------------------------------------------------------- writing
    def _ensure_writer(self) -> None:
        # Called when a put finds no writer: one that retired while idle is replaced.
        with self._writer_lock:
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_loop, name="flyte-journal", daemon=True)
                self._writer.start()
                if not self._atexit_registered:
                    self._atexit_registered = True
                    atexit.register(self.flush)

    # Queued items are (kind, row); the writer keys rows by their leading columns.
    def _put(self, item: Any) -> None:
        self._queue.put(item)
        if self._writer is None:
            self._ensure_writer()

    def put_run(self, rec: RunRecord) -> None:
        self._put(("r", _run_row(rec)))

    def put_action(self, rec: ActionRecord) -> None:
        # ``_put`` spelled out: this runs for every action, twice for most.
        self._queue.put(("a", _action_row(rec)))
        if self._writer is None:
            self._ensure_writer()

    def put_attempt(self, rec: AttemptRecord) -> None:
        self._put(("t", _attempt_row(rec)))

    def put_cache(self, entry: CacheEntry) -> None:
        # Readable at once in this process; committed with the next group.
        with self._writer_lock:
            self._cache_pending[entry.key] = entry
            index = self._cache_indexes.get((entry.task_name, entry.version))
            if index is not None:
                index[entry.key] = entry.stored_outputs
        self._put(("c", _cache_row(entry)))

    def put_log(self, run_name: str, action_id: str, stream: str, text: str) -> None:
        self._put(("l", (run_name, action_id, stream, time.time(), text)))

    def flush(self) -> None:
        """Block until everything put so far is committed."""
        if self._writer is not None or not self._queue.empty():
            marker = _Flush()
            self._put(marker)
            marker.done.wait()
        if self._error is not None:
            error, self._error = self._error, None
            raise RuntimeError(f"writing the run journal {self.path} failed: {error}") from error

    def _write_loop(self) -> None:
        conn = _connect(self.path)
        try:
            while True:
                try:
                    items = [self._queue.get(timeout=self.IDLE_SECONDS)]
                except queue.Empty:
                    with self._writer_lock:
                        if not self._queue.empty():
                            continue
                        self._writer = None
                    # An item put while this writer retired may have seen it still there: replace it.
                    if not self._queue.empty():
                        self._ensure_writer()
                    return
                # Let a group gather without waking up for each item (each wake-up takes the GIL
                # from the threads producing the records), unless a flush is waiting.
                if not isinstance(items[0], _Flush):
                    time.sleep(self.GROUP_SECONDS)
                while True:
                    try:
                        items.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                self._commit(conn, items)
        finally:
            conn.close()

    def _commit(self, conn: sqlite3.Connection, items: list[Any]) -> None:
        runs: dict[Any, tuple] = {}
        actions: dict[Any, tuple] = {}
        attempts: list[tuple] = []
        cache: dict[str, tuple] = {}
        logs: list[list] = []  # [key, ts, chunks]; consecutive chunks of one action are merged
        flushes: list[_Flush] = []
        for item in items:
            if isinstance(item, _Flush):
                flushes.append(item)
                continue
            kind, row = item
            if kind == "a":
                actions[row[0], row[1]] = row  # run_name, action_id
            elif kind == "r":
                runs[row[0]] = row  # name
            elif kind == "t":
                attempts.append(row)
            elif kind == "c":
                cache[row[0]] = row  # key
            elif logs and logs[-1][0] == row[:3]:  # run_name, action_id, stream
                logs[-1][2].append(row[4])
            else:
                logs.append([row[:3], row[3], [row[4]]])
        try:
            conn.execute("BEGIN")
            if runs:
                conn.executemany(_RUN_SQL, runs.values())
            if actions:
                conn.executemany(_ACTION_SQL, actions.values())
            if attempts:
                conn.executemany(_ATTEMPT_SQL, attempts)
            changes = None
            if cache:
                conn.executemany(_CACHE_SQL, cache.values())
                changes = conn.execute("SELECT n FROM cache_changes").fetchone()[0]
            if logs:
                conn.executemany(_LOG_SQL, [(k[0], k[1], ts, k[2], "".join(chunks)) for k, ts, chunks in logs])
            conn.execute("COMMIT")
            if cache:
                with self._writer_lock:
                    for key, row in cache.items():
                        pending = self._cache_pending.get(key)
                        if pending is not None and _cache_row(pending) == row:
                            del self._cache_pending[key]
                    self._count_own_cache_changes(changes, len(cache))
        except BaseException as e:  # keep the writer alive; report on the next flush
            self._error = e
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        for f in flushes:
            f.done.set()

    # ---------------------------------------------------------------- reading
    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path)
            self._local.conn = conn
        return conn

    def get_run(self, name: str) -> RunRecord | None:
        row = self._reader().execute(f"SELECT {', '.join(_RUN_COLS)} FROM runs WHERE name = ?", (name,)).fetchone()
        return RunRecord(*row) if row else None

    def list_runs(
        self, limit: int = 100, phase: str | None = None, name_contains: str | None = None
    ) -> list[RunRecord]:
        """Runs, newest first, optionally filtered by phase and by a substring of the name."""
        sql = f"SELECT {', '.join(_RUN_COLS)} FROM runs"
        where, args = [], []
        if phase:
            where.append("phase = ?")
            args.append(phase)
        if name_contains:
            where.append("instr(name, ?) > 0")
            args.append(name_contains)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC LIMIT ?"
        args.append(limit)
        return [RunRecord(*r) for r in self._reader().execute(sql, args)]

    def list_actions(self, run_name: str) -> list[ActionRecord]:
        """A run's actions in the order they were created."""
        rows = self._reader().execute(
            f"SELECT {', '.join(_ACTION_COLS)} FROM actions WHERE run_name = ? ORDER BY seq", (run_name,)
        )
        return [ActionRecord(*r) for r in rows]

    def get_action(self, run_name: str, action_id: str) -> ActionRecord | None:
        row = self._reader().execute(
            f"SELECT {', '.join(_ACTION_COLS)} FROM actions WHERE run_name = ? AND action_id = ?",
            (run_name, action_id),
        ).fetchone()
        return ActionRecord(*row) if row else None

    def find_action(self, run_name: str, name: str) -> ActionRecord | None:
        """An action by id, by unique id prefix, or by unique short name."""
        found = self.get_action(run_name, name)
        if found:
            return found
        matches = [
            a for a in self.list_actions(run_name) if a.action_id.startswith(name) or a.short_name == name
        ]
        return matches[0] if len(matches) == 1 else None

    def list_attempts(self, run_name: str, action_id: str) -> list[AttemptRecord]:
        rows = self._reader().execute(
            f"SELECT {', '.join(_ATTEMPT_COLS)} FROM attempts WHERE run_name = ? AND action_id = ? ORDER BY attempt",
            (run_name, action_id),
        )
        return [AttemptRecord(*r) for r in rows]

    def get_logs(self, run_name: str, action_id: str | None = None) -> list[LogRecord]:
        sql = "SELECT action_id, ts, stream, text FROM logs WHERE run_name = ?"
        args: list[Any] = [run_name]
        if action_id is not None:
            sql += " AND action_id = ?"
            args.append(action_id)
        return [LogRecord(*r) for r in self._reader().execute(sql + " ORDER BY id", args)]

    def count_phases(self, run_name: str) -> dict[str, int]:
        rows = self._reader().execute(
            "SELECT phase, count(*) FROM actions WHERE run_name = ? GROUP BY phase", (run_name,)
        )
        return dict(rows.fetchall())

    # ---------------------------------------------------------------- cache
    def get_cache(self, key: str) -> CacheEntry | None:
        pending = self._cache_pending.get(key)
        if pending is not None:
            return pending
        row = self._reader().execute(f"SELECT {', '.join(_CACHE_COLS)} FROM cache WHERE key = ?", (key,)).fetchone()
        return CacheEntry(*row) if row else None

    def cache_index(self, task_name: str, version: str, limit: int) -> dict[str, bytes | str] | None:
        """The outputs of one task version's cache entries by key: inline bytes or a blob reference
        (str); ``None`` when there are more than ``limit`` entries.

        Loaded once per process and kept up to date with this process's own entries; loaded again
        when another process has changed the cache since."""
        changes = self._reader().execute("SELECT n FROM cache_changes").fetchone()[0]
        with self._writer_lock:
            if changes != self._cache_changes:
                self._cache_indexes.clear()
                self._cache_changes = changes
            index = self._cache_indexes.get((task_name, version))
            # Entries still pending now are either read below or committed before the query runs.
            pending = list(self._cache_pending.items())
        if index is not None:
            return index
        index = dict(
            self._reader().execute(
                "SELECT key, coalesce(outputs, outputs_ref, X'') FROM cache WHERE task_name = ? AND version = ? LIMIT ?",
                (task_name, version, limit + 1),
            )
        )
        if len(index) > limit:
            return None
        for key, e in pending:
            if e.task_name == task_name and e.version == version:
                index[key] = e.stored_outputs
        with self._writer_lock:
            if self._cache_changes == changes:  # still current: keep it for the next runs
                kept = sum(map(len, self._cache_indexes.values()))
                if kept and kept + len(index) > MAX_KEPT_CACHE_ENTRIES:
                    self._cache_indexes.clear()
                index = self._cache_indexes.setdefault((task_name, version), index)
        return index

    def _count_own_cache_changes(self, changes: int, written: int) -> None:
        # Called under the writer lock after committing cache entries: the count moved by as many
        # if nothing else changed the cache since the indexes were loaded; else they may be stale.
        if self._cache_changes is not None and changes == self._cache_changes + written:
            self._cache_changes = changes
        else:
            self._drop_cache_indexes()

    def _drop_cache_indexes(self) -> None:
        # Under the writer lock: the next lookup of each task version loads it again.
        self._cache_indexes.clear()
        self._cache_changes = None

    def _delete_cache(self, where: str, args: tuple) -> int:
        deleted = self._reader().execute(f"DELETE FROM cache {where}", args).rowcount
        with self._writer_lock:
            self._drop_cache_indexes()
        return deleted

    def list_cache(self, task_name: str | None = None) -> list[CacheEntry]:
        """Cached results, newest first, optionally of one task."""
        self.flush()
        sql = f"SELECT {', '.join(_CACHE_COLS)} FROM cache"
        args: tuple = ()
        if task_name:
            sql += " WHERE task_name = ?"
            args = (task_name,)
        return [CacheEntry(*r) for r in self._reader().execute(sql + " ORDER BY created_at DESC", args)]

    def clear_cache(self, task_name: str | None = None) -> int:
        """Delete cached results (all, or one task's); returns how many were deleted."""
        self.flush()
        with self._writer_lock:
            self._cache_pending = {
                k: e for k, e in self._cache_pending.items() if task_name is not None and e.task_name != task_name
            }
        if task_name:
            return self._delete_cache("WHERE task_name = ?", (task_name,))
        return self._delete_cache("", ())

    def delete_cache_entry(self, key: str) -> None:
        with self._writer_lock:
            self._cache_pending.pop(key, None)
        self._delete_cache("WHERE key = ?", (key,))

    # ---------------------------------------------------------------- replay
    def succeeded_actions(self, run_name: str) -> dict[str, tuple[bytes | str, str]]:
        """Outputs of a run's succeeded actions by id: (inline bytes or a blob reference, kind)."""
        rows = self._reader().execute(
            "SELECT action_id, coalesce(outputs, outputs_ref, X''), kind FROM actions WHERE run_name = ? AND phase = ?",
            (run_name, ActionPhase.SUCCEEDED.value),
        )
        return {r[0]: (r[1], r[2]) for r in rows}

    # ---------------------------------------------------------------- aborts
    def request_abort(self, run_name: str, action_id: str, reason: str = "") -> None:
        """Ask the process running ``run_name`` to abort one action (or the run: its root action)."""
        self._reader().execute(
            "INSERT OR REPLACE INTO abort_requests VALUES (?, ?, ?, ?)", (run_name, action_id, time.time(), reason)
        )

    def abort_requests(self, run_name: str) -> list[tuple[str, str]]:
        return self._reader().execute(
            "SELECT action_id, reason FROM abort_requests WHERE run_name = ?", (run_name,)
        ).fetchall()

    # ---------------------------------------------------------------- recovery
    def reconcile(self, run: RunRecord) -> RunRecord:
        """Mark a run whose owning process died as failed, with its unfinished actions."""
        if ActionPhase(run.phase).is_terminal or run.host != socket.gethostname() or run.pid is None:
            return run
        if _pid_alive(run.pid):
            return run
        now = time.time()
        message = f"The process running this run (pid {run.pid}) exited before the run finished."
        conn = self._reader()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "UPDATE actions SET phase = ?, ended_at = ?, error_code = 'ProcessExited', error_kind = 'system',"
                " error_message = ? WHERE run_name = ? AND phase NOT IN (?, ?, ?, ?, ?)",
                (ActionPhase.FAILED.value, now, message, run.name, *(p.value for p in _TERMINAL_PHASES)),
            )
            conn.execute(
                "UPDATE runs SET phase = ?, ended_at = ?, error_code = 'ProcessExited', error_message = ?"
                " WHERE name = ?",
                (ActionPhase.FAILED.value, now, message, run.name),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return self.get_run(run.name) or run

    # ---------------------------------------------------------------- read-only queries of the web UI (flyte.ui)
    #: Columns of ``action_summaries``: everything the run page's tree shows, none of the payloads.
    SUMMARY_COLUMNS = (
        "action_id", "parent_id", "task_name", "short_name", "kind", "group_path", "phase", "seq", "queued_at",
        "started_at", "ended_at", "attempts", "cache_hit", "replayed_from", "error_code",
    )

    def action_summaries(self, run_name: str) -> list[tuple]:
        """A run's actions in creation order, as tuples of ``SUMMARY_COLUMNS`` (no inputs, outputs or logs)."""
        return self._reader().execute(
            f"SELECT {', '.join(self.SUMMARY_COLUMNS)} FROM actions WHERE run_name = ? ORDER BY seq", (run_name,)
        ).fetchall()

    def run_signature(self, run_name: str) -> tuple:
        """A value that changes whenever the run or any of its actions changes (phase, attempts, links, report)."""
        conn = self._reader()
        run = conn.execute("SELECT phase, started_at, ended_at FROM runs WHERE name = ?", (run_name,)).fetchone()
        actions = conn.execute(
            "SELECT phase, count(*), total(attempts), max(coalesce(started_at, 0)), max(coalesce(ended_at, 0)),"
            " sum(report_uri IS NOT NULL), sum(links != '[]') FROM actions WHERE run_name = ? GROUP BY phase",
            (run_name,),
        ).fetchall()
        return (run, tuple(actions))

    def action_signature(self, run_name: str, action_id: str) -> tuple | None:
        """A value that changes whenever the action's record or its captured output changes."""
        conn = self._reader()
        row = conn.execute(
            "SELECT phase, attempts, started_at, ended_at, report_uri, links, error_code, cache_hit,"
            " outputs IS NOT NULL OR outputs_ref IS NOT NULL FROM actions WHERE run_name = ? AND action_id = ?",
            (run_name, action_id),
        ).fetchone()
        if row is None:
            return None
        logs = conn.execute(
            "SELECT count(*), max(id) FROM logs WHERE run_name = ? AND action_id = ?", (run_name, action_id)
        ).fetchone()
        return (*row, *logs)

    def count_phases_of_runs(self, run_names: list[str]) -> dict[str, dict[str, int]]:
        """``count_phases`` of several runs in one query."""
        counts: dict[str, dict[str, int]] = {name: {} for name in run_names}
        for start in range(0, len(run_names), 500):  # SQLite bounds the number of parameters
            chunk = run_names[start : start + 500]
            rows = self._reader().execute(
                f"SELECT run_name, phase, count(*) FROM actions WHERE run_name IN ({', '.join('?' * len(chunk))})"
                " GROUP BY run_name, phase",
                chunk,
            )
            for name, phase, n in rows:
                counts[name][phase] = n
        return counts

    def tail_logs(self, run_name: str, action_id: str, max_chars: int) -> tuple[str, bool]:
        """The last ``max_chars`` characters an action printed, and whether earlier output was left out."""
        rows = self._reader().execute(
            "SELECT text FROM logs WHERE run_name = ? AND action_id = ? ORDER BY id DESC", (run_name, action_id)
        )
        chunks: list[str] = []
        size = 0
        truncated = False
        try:
            for (text,) in rows:
                if size + len(text) > max_chars:
                    chunks.append(text[len(text) - (max_chars - size) :] if max_chars > size else "")
                    truncated = True
                    break
                chunks.append(text)
                size += len(text)
        finally:
            rows.close()  # an unfinished read would keep its snapshot open
        return "".join(reversed(chunks)), truncated


_TERMINAL_PHASES = [p for p in ActionPhase if p.is_terminal]


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed but not yet reaped by its parent) no longer runs anything.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


_journals: dict[Path, RunJournal] = {}
_journals_lock = threading.Lock()


def flyte_home() -> Path:
    """``$FLYTE_HOME``, else ``~/.flyte``."""
    return Path(os.environ.get("FLYTE_HOME") or Path.home() / ".flyte").expanduser()


def journal(home: Path | None = None) -> RunJournal:
    """The journal of ``home`` (default: the current ``FLYTE_HOME``), opened once per process."""
    home = (home or flyte_home()).resolve()
    j = _journals.get(home)
    if j is None:
        with _journals_lock:
            j = _journals.get(home)
            if j is None:
                j = _journals[home] = RunJournal(home)
    return j

