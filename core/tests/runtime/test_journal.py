"""The journal: its writer commits everything put, and journals written by older versions open
with the current schema and keep their data."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from flyte._runtime.journal import SCHEMA_VERSION, RunJournal

# The tables of schema 2 that schema 3 changed (the cache), plus the ones a migration must leave alone.
SCHEMA_2 = """
CREATE TABLE runs (name TEXT PRIMARY KEY, task_name TEXT NOT NULL, root_action TEXT NOT NULL,
    project TEXT NOT NULL, domain TEXT NOT NULL, phase TEXT NOT NULL, created_at REAL NOT NULL,
    started_at REAL, ended_at REAL, custom_context TEXT NOT NULL DEFAULT '{}', pid INTEGER, host TEXT,
    error_code TEXT, error_message TEXT, source TEXT, resumed_from TEXT);
CREATE TABLE cache (key TEXT PRIMARY KEY, task_name TEXT NOT NULL, version TEXT NOT NULL, outputs BLOB,
    outputs_ref TEXT, created_at REAL NOT NULL, run_name TEXT NOT NULL, action_id TEXT NOT NULL);
CREATE INDEX cache_by_task ON cache(task_name, version);
INSERT INTO runs (name, task_name, root_action, project, domain, phase, created_at)
    VALUES ('old-run', 'm.main', 'a1', 'p', 'd', 'SUCCEEDED', 1.0);
INSERT INTO cache VALUES ('k1', 'm.t', 'v1', X'0a01', NULL, 1.0, 'old-run', 'a2');
INSERT INTO cache VALUES ('k2', 'm.t', 'v1', NULL, 'file:///blob', 2.0, 'old-run', 'a3');
PRAGMA user_version=2;
"""


def _old_journal(home):
    home.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(home / "runs.db")
    conn.execute("PRAGMA journal_mode=WAL")  # as flyte has always opened its journals
    conn.executescript(SCHEMA_2)
    conn.close()


def test_schema_2_journal_is_migrated_with_its_cache_entries(tmp_path):
    home = tmp_path / "home"
    _old_journal(home)
    j = RunJournal(home)

    conn = sqlite3.connect(home / "runs.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    table_sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'cache'").fetchone()[0]
    assert "WITHOUT ROWID" in table_sql
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1  # other tables untouched
    conn.close()

    entries = {e.key: e for e in j.list_cache("m.t")}
    assert set(entries) == {"k1", "k2"}
    assert entries["k1"].outputs == b"\x0a\x01"
    assert entries["k2"].outputs_ref == "file:///blob"
    assert j.cache_index("m.t", "v1", 10) == {"k1": b"\x0a\x01", "k2": "file:///blob"}
    assert j.get_cache("k2").run_name == "old-run"
    assert j.clear_cache("m.t") == 2


def test_two_processes_opening_an_old_journal_at_once_both_succeed(tmp_path):
    home = tmp_path / "home"
    _old_journal(home)
    errors: list[BaseException] = []

    def open_it():
        try:
            RunJournal(home)
        except BaseException as e:  # the test reports any failure
            errors.append(e)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [e.key for e in RunJournal(home).list_cache()] == ["k2", "k1"]  # newest first


def test_a_failed_migration_leaves_the_old_journal_as_it_was(tmp_path, monkeypatch):
    from flyte._runtime import journal as journal_module

    home = tmp_path / "home"
    _old_journal(home)
    broken = {**journal_module._MIGRATIONS, 3: [*journal_module._MIGRATIONS[3][:2], "THIS IS NOT SQL"]}
    monkeypatch.setattr(journal_module, "_MIGRATIONS", broken)
    with pytest.raises(sqlite3.OperationalError):
        RunJournal(home)

    conn = sqlite3.connect(home / "runs.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "cache_v3" not in names
    assert conn.execute("SELECT count(*) FROM cache").fetchone()[0] == 2
    conn.close()

    monkeypatch.undo()
    assert len(RunJournal(home).list_cache()) == 2  # the next open migrates it


def test_a_journal_from_a_newer_flyte_is_refused(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    conn = sqlite3.connect(home / "runs.db")
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer flyte"):
        RunJournal(home)


class _RacingQueue:
    """A queue whose first ``empty()`` lets a record in just after answering: a put racing the
    writer's retirement, by a producer that still saw the writer."""

    def __init__(self, real, item):
        self._real, self._item = real, item

    def empty(self):
        answer = self._real.empty()
        if self._item is not None:
            self._real.put(self._item)
            self._item = None
        return answer

    def __getattr__(self, name):
        return getattr(self._real, name)


def test_a_record_put_while_the_writer_retires_is_still_committed(tmp_path, monkeypatch):
    from flyte._runtime.journal import ActionRecord

    j = RunJournal(tmp_path / "home")
    monkeypatch.setattr(RunJournal, "IDLE_SECONDS", 0.05)
    first = ActionRecord("r", "a1", None, "m.t", "t", "task", "[]", "SUCCEEDED", 1)
    j.put_action(first)
    j.flush()
    late = ActionRecord("r", "a2", None, "m.t", "t", "task", "[]", "SUCCEEDED", 2)
    j._queue = _RacingQueue(j._queue, ("a", _row(late)))
    writer = j._writer
    writer.join(5)  # idles out, finds the queue empty, and retires while the late record arrives
    assert not writer.is_alive()
    assert j._writer is not None  # a replacement writer took the late record
    j.flush()
    assert [a.action_id for a in j.list_actions("r")] == ["a1", "a2"]


def _row(record):
    from flyte._runtime.journal import _action_row

    return _action_row(record)
