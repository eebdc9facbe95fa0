"""JSONL throughput: flyteplugins-jsonl side by side with the raw libraries, in one run.

The records are the page's, ``{"id": i, "score": i * 0.1}``, 1,000,000 of them by default. The
raw limits are the plain library loops a careful programmer would write:

- write: ``f.write(orjson.dumps(rec, option=OPT_APPEND_NEWLINE))`` into a 64 KB-buffered file;
  for zstd, a 64 KB ``io.BufferedWriter`` over ``zstandard``'s ``stream_writer`` (level 3);
- read: ``for line in f: orjson.loads(line)`` over a 64 KB-buffered file; for zstd, a 64 KB
  ``io.BufferedReader`` over ``stream_reader(read_across_frames=True)``;
- Arrow: ``pyarrow.json.read_json(path)`` on the plain file (the whole table at once).

Against them: the documented per-record forms (``await writer.write(rec)``, ``async for rec in
f.iter_records()`` and their sync twins), and, reported separately, ``write_many``, batches and
Arrow batches; plus a sharded JsonlDir. For reference, "bare async generator" wraps the raw
read loop in an async generator, the floor of any async per-record reader.

Each round runs every measurement once, in an order shuffled from round to round; the
figures compared are the best of each (a shared machine varies a lot from one try to the next).
Each write goes to a new file (as a task writing to ``new_remote()`` does), after an ``os.sync``. Besides throughput, each line shows records
per CPU second of the whole process (background threads included), which other load on the
machine disturbs less. Run: python bench/bench_jsonl.py [records] [rounds]
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("FLYTE_HOME", tempfile.mkdtemp(prefix="flyte-bench-"))

try:
    import orjson
    import pyarrow.json as pj
    import zstandard

    from flyteplugins.jsonl import JsonlDir, JsonlFile
except ImportError as e:  # the bench session may run without the plugin installed
    sys.exit(f"bench_jsonl needs flyteplugins-jsonl[arrow]: pip install -e 'plugins/jsonl[arrow]' ({e})")

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 7
OPT = orjson.OPT_APPEND_NEWLINE
LEVEL = 3


def make_records() -> list[dict]:
    return [{"id": i, "score": i * 0.1} for i in range(N)]


# ------------------------------------------------------------------------------ raw limits


def raw_write(path: Path, recs: list[dict]) -> None:
    dumps = orjson.dumps
    with open(path, "wb", buffering=65536) as f:
        write = f.write
        for rec in recs:
            write(dumps(rec, option=OPT))


def raw_write_zstd(path: Path, recs: list[dict]) -> None:
    dumps = orjson.dumps
    with open(path, "wb") as fh:
        compressor = zstandard.ZstdCompressor(level=LEVEL).stream_writer(fh, closefd=False)
        buffered = io.BufferedWriter(compressor, 65536)
        write = buffered.write
        for rec in recs:
            write(dumps(rec, option=OPT))
        buffered.flush()
        compressor.flush(zstandard.FLUSH_FRAME)


def raw_read(path: Path) -> int:
    loads = orjson.loads
    n = 0
    with open(path, "rb", buffering=65536) as f:
        for line in f:
            loads(line)
            n += 1
    return n


def raw_read_zstd(path: Path) -> int:
    loads = orjson.loads
    n = 0
    with open(path, "rb") as fh:
        reader = zstandard.ZstdDecompressor().stream_reader(fh, read_across_frames=True)
        for line in io.BufferedReader(reader, 65536):
            loads(line)
            n += 1
    return n


async def bare_async_read(path: Path) -> int:
    async def records():
        loads = orjson.loads
        with open(path, "rb", buffering=65536) as f:
            for line in f:
                yield loads(line)

    n = 0
    async for _ in records():
        n += 1
    return n


def raw_arrow(path: Path) -> int:
    return pj.read_json(path).num_rows


# ------------------------------------------------------------------------------ the plugin


def sync_write(f: JsonlFile, recs: list[dict]) -> None:
    with f.writer_sync() as w:
        write = w.write
        for rec in recs:
            write(rec)


async def async_write(f: JsonlFile, recs: list[dict]) -> None:
    async with f.writer() as w:
        for rec in recs:
            await w.write(rec)


def sync_write_many(f: JsonlFile, recs: list[dict]) -> None:
    with f.writer_sync() as w:
        w.write_many(recs)


async def async_write_many(f: JsonlFile, recs: list[dict]) -> None:
    async with f.writer() as w:
        await w.write_many(recs)


def sync_read(f: JsonlFile | JsonlDir) -> int:
    n = 0
    for _ in f.iter_records_sync():
        n += 1
    return n


async def async_read(f: JsonlFile | JsonlDir) -> int:
    n = 0
    async for _ in f.iter_records():
        n += 1
    return n


def sync_batches(f: JsonlFile) -> int:
    return sum(len(b) for b in f.iter_batches_sync(batch_size=1000))


async def async_batches(f: JsonlFile) -> int:
    return sum([len(b) async for b in f.iter_batches(batch_size=1000)])


def sync_arrow(f: JsonlFile) -> int:
    return sum(b.num_rows for b in f.iter_arrow_batches_sync(batch_size=65_536))


async def async_arrow(f: JsonlFile) -> int:
    return sum([b.num_rows async for b in f.iter_arrow_batches(batch_size=65_536)])


def dir_write(d: JsonlDir, recs: list[dict]) -> None:
    with d.writer_sync(max_records_per_shard=100_000) as w:
        write = w.write
        for rec in recs:
            write(rec)


# ------------------------------------------------------------------------------ harness


def timed(fn: Callable[[], object], prepare: Callable[[], None] | None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the whole process, every thread included) of one run of `fn`."""
    if prepare is not None:
        prepare()
        os.sync()
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    if asyncio.iscoroutine(result):
        return asyncio.run(_timed_async(result))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    _check(result)
    return wall, cpu


async def _timed_async(coro) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = await coro
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    _check(result)
    return wall, cpu


def _check(result: object) -> None:
    if isinstance(result, int) and result != N:
        raise AssertionError(f"read {result} records, expected {N}")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="flyte-bench-jsonl-"))
    recs = make_records()
    # read by the read measurements, written once before the first round
    plain = JsonlFile(path=str(work / "data.jsonl"))
    packed = JsonlFile(path=str(work / "data.jsonl.zst"))
    raw_plain, raw_packed = work / "raw.jsonl", work / "raw.jsonl.zst"
    sharded = JsonlDir(path=str(work / "sharded"))
    # written by the write measurements: each writes a new file, as a task writing new_remote() does
    out = work / "out"
    out.mkdir()

    def clean() -> None:
        shutil.rmtree(out)
        out.mkdir()

    def to(name: str) -> JsonlFile:
        return JsonlFile(path=str(out / name))

    ops: dict[str, tuple[Callable[[], object], Callable[[], None] | None]] = {
        "raw write": (lambda: raw_write(out / "raw.jsonl", recs), clean),
        "raw read": (lambda: raw_read(raw_plain), None),
        "bare async generator read": (lambda: bare_async_read(raw_plain), None),
        "sync write": (lambda: sync_write(to("a.jsonl"), recs), clean),
        "async write": (lambda: async_write(to("a.jsonl"), recs), clean),
        "sync write_many": (lambda: sync_write_many(to("a.jsonl"), recs), clean),
        "async write_many": (lambda: async_write_many(to("a.jsonl"), recs), clean),
        "sync read": (lambda: sync_read(plain), None),
        "async read": (lambda: async_read(plain), None),
        "sync batches": (lambda: sync_batches(plain), None),
        "async batches": (lambda: async_batches(plain), None),
        "raw zstd write": (lambda: raw_write_zstd(out / "raw.jsonl.zst", recs), clean),
        "raw zstd read": (lambda: raw_read_zstd(raw_packed), None),
        "zstd sync write": (lambda: sync_write(to("a.jsonl.zst"), recs), clean),
        "zstd async write": (lambda: async_write(to("a.jsonl.zst"), recs), clean),
        "zstd sync read": (lambda: sync_read(packed), None),
        "zstd async read": (lambda: async_read(packed), None),
        "raw arrow read_json": (lambda: raw_arrow(raw_plain), None),
        "arrow batches sync": (lambda: sync_arrow(plain), None),
        "arrow batches async": (lambda: async_arrow(plain), None),
        "dir sync write (10 shards)": (lambda: dir_write(JsonlDir(path=str(out / "ds")), recs), clean),
        "dir sync read (10 shards)": (lambda: sync_read(sharded), None),
        "dir async read (10 shards)": (lambda: async_read(sharded), None),
    }
    raw_write(raw_plain, recs)
    raw_write_zstd(raw_packed, recs)
    sync_write(plain, recs)
    sync_write(packed, recs)
    dir_write(sharded, recs)

    times: dict[str, list[tuple[float, float]]] = {name: [] for name in ops}
    names = list(ops)
    try:
        for r in range(ROUNDS):
            order = names[:]
            random.Random(r).shuffle(order)  # no measurement always follows the same one
            for name in order:
                fn, prepare = ops[name]
                times[name].append(timed(fn, prepare))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rate = {name: N / min(w for w, _ in t) for name, t in times.items()}
    cpu_rate = {name: N / min(c for _, c in t) for name, t in times.items()}
    print(f"{N:,} records of {{'id': i, 'score': i * 0.1}}, best of {ROUNDS} rounds")
    print(f"  {'':<28} {'records/s':>10} {'per CPU s':>10}")
    for name in names:
        print(f"  {name:<28} {rate[name] / 1e6:8.2f} M {cpu_rate[name] / 1e6:8.2f} M")

    def ratio(name: str, limit: str, target: float | None = None) -> None:
        value = rate[name] / rate[limit]
        by_cpu = cpu_rate[name] / cpu_rate[limit]
        goal = f"target >= {target}" if target is not None else ""
        verdict = "" if target is None else ("ok" if value >= target else "BELOW TARGET")
        print(f"  {name:<28} / {limit:<20} {value:5.2f}x   {by_cpu:5.2f}x   {goal} {verdict}")

    print(f"ratios to the raw limit: {'throughput':>44} {'CPU':>6}")
    ratio("sync write", "raw write", 0.8)
    ratio("async write", "raw write", 0.7)
    ratio("sync read", "raw read", 0.8)
    ratio("async read", "raw read", 0.6)
    ratio("bare async generator read", "raw read")
    ratio("sync write_many", "raw write")
    ratio("async write_many", "raw write")
    ratio("sync batches", "raw read")
    ratio("async batches", "raw read")
    ratio("zstd sync write", "raw zstd write", 0.7)
    ratio("zstd async write", "raw zstd write", 0.7)
    ratio("zstd sync read", "raw zstd read", 0.7)
    ratio("zstd async read", "raw zstd read", 0.7)
    ratio("arrow batches sync", "raw arrow read_json", 0.5)
    ratio("arrow batches async", "raw arrow read_json", 0.5)
    ratio("dir sync write (10 shards)", "raw write")
    ratio("dir sync read (10 shards)", "raw read")
    ratio("dir async read (10 shards)", "raw read")


if __name__ == "__main__":
    main()
