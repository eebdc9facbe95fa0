"""Fixtures: a FLYTE_HOME per test, wandb offline in a temp dir, and a reader of offline runs.

wandb writes an offline run as a transaction log (``offline-run-*/run-<id>.wandb``): records of
the run (its config, tags, ids), of each ``log`` call (history), of config updates and of the
exit code, framed like a LevelDB log. The reader below decodes it with the protobuf classes
wandb ships, so the tests check what wandb itself wrote, not what the plugin meant to write.
"""

from __future__ import annotations

import json
import struct
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest

#: How long a test waits for wandb's service to finish writing offline run logs.
LOG_WAIT_SECONDS = 20.0
_BLOCK = 32 * 1024
_CHUNK_HEADER = struct.Struct("<IHB")  # crc32, length, type
_FILE_HEADER = struct.Struct("<4sHB")  # ":W&B", magic 0xBEE1, version
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def _records(path: Path) -> list[bytes]:
    data = path.read_bytes()
    if len(data) < _FILE_HEADER.size:  # just created
        return []
    ident, magic, _version = _FILE_HEADER.unpack_from(data)
    assert (ident, magic) == (b":W&B", 0xBEE1), f"{path} is not a wandb transaction log"
    records, pending, pos = [], b"", _FILE_HEADER.size
    while pos + _CHUNK_HEADER.size <= len(data):
        left_in_block = _BLOCK - pos % _BLOCK
        if left_in_block < _CHUNK_HEADER.size:  # block trailer padding
            pos += left_in_block
            continue
        _crc, length, kind = _CHUNK_HEADER.unpack_from(data, pos)
        pos += _CHUNK_HEADER.size
        if (kind == 0 and length == 0) or pos + length > len(data):
            break  # the end, or a record still being written
        chunk, pos = data[pos : pos + length], pos + length
        if kind == _FULL:
            records.append(chunk)
        elif kind == _FIRST:
            pending = chunk
        elif kind == _MIDDLE:
            pending += chunk
        elif kind == _LAST:
            records.append(pending + chunk)
            pending = b""
    return records


def _key(item: Any) -> str:
    return item.key or "/".join(item.nested_key)


@dataclass
class OfflineRun:
    """What wandb wrote for one offline run."""

    directory: Path
    run_id: str = ""
    project: str = ""
    entity: str = ""
    display_name: str = ""
    notes: str = ""
    group: str = ""
    tags: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    exit_code: Optional[int] = None  # None: the run was never finished
    started: float = 0.0

    @classmethod
    def read(cls, log: Path) -> OfflineRun:
        from wandb.proto import wandb_internal_pb2

        run = cls(directory=log.parent)
        for raw in _records(log):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(raw)
            kind = record.WhichOneof("record_type")
            if kind == "run":
                r = record.run
                run.run_id, run.project, run.entity = r.run_id, r.project, r.entity
                run.display_name, run.notes, run.group, run.tags = r.display_name, r.notes, r.run_group, list(r.tags)
                run.started = r.start_time.seconds + r.start_time.nanos / 1e9
                run.config.update({_key(i): json.loads(i.value_json) for i in r.config.update})
            elif kind == "config":
                run.config.update({_key(i): json.loads(i.value_json) for i in record.config.update})
            elif kind == "history":
                run.history.append({_key(i): json.loads(i.value_json) for i in record.history.item})
            elif kind == "exit":
                run.exit_code = record.exit.exit_code
        run.config.pop("_wandb", None)
        return run

    def metric(self, name: str) -> list[Any]:
        """The values logged for ``name``, in order."""
        return [row[name] for row in self.history if name in row]


@pytest.fixture(autouse=True)
def flyte_home(tmp_path, monkeypatch):
    """Every test journals into its own FLYTE_HOME."""
    home = tmp_path / "flyte-home"
    monkeypatch.setenv("FLYTE_HOME", str(home))
    return home


@pytest.fixture(autouse=True, scope="module")
def wandb_dir(tmp_path_factory) -> Iterator[Path]:
    """wandb offline, writing only under a temp dir; a stray network call would hit a closed local port.

    Per module: wandb reads its environment once per process (at the first ``wandb.init`` after
    a ``wandb.teardown()``), so the module's tests share the directory and tell their runs apart
    by id; ids are unique because they contain the Flyte run's name.
    """
    root = tmp_path_factory.mktemp("wandb-home")
    with pytest.MonkeyPatch.context() as env:
        for var, sub in (("WANDB_DIR", "runs"), ("WANDB_CONFIG_DIR", "config"), ("WANDB_CACHE_DIR", "cache"),
                         ("WANDB_DATA_DIR", "data"), ("WANDB_ARTIFACT_DIR", "artifacts")):
            (root / sub).mkdir(parents=True)
            env.setenv(var, str(root / sub))
        env.setenv("WANDB_MODE", "offline")
        env.setenv("WANDB_SILENT", "true")
        env.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")
        env.delenv("WANDB_API_KEY", raising=False)
        try:
            yield root / "runs"
        finally:
            wandb = sys.modules.get("wandb")
            if wandb is not None:
                wandb.teardown()


@pytest.fixture
def offline_runs(wandb_dir) -> Callable[..., list[OfflineRun]]:
    """``offline_runs(run_id)``: the offline runs wandb wrote with that id, oldest first.

    ``offline_runs(prefix=...)``: those whose id starts with ``prefix``. wandb's service writes
    the log on its own after ``finish()`` returns, so this waits (a bounded time) until every log
    in the directory ends with its exit record; a run that was never finished reads as it is.
    """

    def find(run_id: Optional[str] = None, *, prefix: Optional[str] = None) -> list[OfflineRun]:
        deadline = time.monotonic() + LOG_WAIT_SECONDS
        while True:
            runs = [_read_or_none(log) for log in sorted(wandb_dir.glob("wandb/offline-run-*/run-*.wandb"))]
            if all(r is not None and r.exit_code is not None for r in runs) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        found = [r for r in runs if r is not None and (r.run_id == run_id or (prefix and r.run_id.startswith(prefix)))]
        return sorted(found, key=lambda r: r.started)

    return find


def _read_or_none(log: Path) -> Optional[OfflineRun]:
    from google.protobuf.message import DecodeError

    try:
        return OfflineRun.read(log)
    except DecodeError:  # caught in the middle of a write
        return None
