"""JsonlDir: shard naming, rotation, continuation, ordering, prefetch and durability of shards."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import orjson
import pytest
import zstandard

from flyte.io import Dir
from flyteplugins.jsonl import JsonlDir, JsonlFile

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def names(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def shard_records(path: Path) -> list:
    return list(JsonlFile(path=str(path)).iter_records_sync())


# ------------------------------------------------------------------------------ rotation


@pytest.mark.asyncio
async def test_rotation_by_record_count(tmp_path):
    d = JsonlDir(path=str(tmp_path / "ds"))
    async with d.writer(max_records_per_shard=10) as w:
        for i in range(25):
            await w.write({"i": i})
    assert names(tmp_path / "ds") == ["part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl"]
    assert [len(shard_records(tmp_path / "ds" / n)) for n in names(tmp_path / "ds")] == [10, 10, 5]
    assert [r["i"] async for r in d.iter_records()] == list(range(25))
    assert w.shards == [f"{d.path}/part-0000{k}.jsonl" for k in range(3)]


def test_rotation_by_bytes_never_exceeds_the_limit(tmp_path):
    d = JsonlDir(path=str(tmp_path / "ds"))
    recs = [{"i": i, "pad": "x" * (i % 50)} for i in range(2_000)]
    with d.writer_sync(max_bytes_per_shard=1_000, flush_bytes=300) as w:
        w.write_many(recs)
    sizes = [(tmp_path / "ds" / n).stat().st_size for n in names(tmp_path / "ds")]
    assert max(sizes) <= 1_000
    # each shard is as full as it can be: the next record would not have fitted
    lines = [orjson.dumps(r) + b"\n" for r in recs]
    pos = 0
    for size in sizes[:-1]:
        taken = 0
        while taken + len(lines[pos]) <= size:
            taken += len(lines[pos])
            pos += 1
        assert taken == size and size + len(lines[pos]) > 1_000
    assert list(d.iter_records_sync()) == recs


def test_a_record_larger_than_the_byte_limit_gets_a_shard_of_its_own(tmp_path):
    d = JsonlDir(path=str(tmp_path / "ds"))
    recs = [{"i": 0}, {"i": 1}, {"i": 2, "big": "y" * 5_000}, {"i": 3}, {"i": 4, "big": "z" * 5_000}, {"i": 5}]
    with d.writer_sync(max_bytes_per_shard=100) as w:
        w.write_many(recs)
    shards = [shard_records(tmp_path / "ds" / n) for n in names(tmp_path / "ds")]
    assert [[r["i"] for r in s] for s in shards] == [[0, 1], [2], [3], [4], [5]]


def test_count_and_byte_limits_together_and_compressed_shards(tmp_path):
    d = JsonlDir(path=str(tmp_path / "ds"))
    recs = [{"i": i, "pad": "p" * (i % 100)} for i in range(5_000)]
    with d.writer_sync(shard_extension=".jsonl.zst", max_records_per_shard=700, max_bytes_per_shard=20_000) as w:
        w.write_many(recs)
    shard_names = names(tmp_path / "ds")
    assert all(n.endswith(".jsonl.zst") for n in shard_names)
    for n in shard_names:
        raw = (tmp_path / "ds" / n).read_bytes()
        assert raw[:4] == ZSTD_MAGIC
        plain = zstandard.ZstdDecompressor().decompressobj().decompress(raw)
        assert len(plain) <= 20_000 and plain.count(b"\n") <= 700
    assert list(d.iter_records_sync()) == recs


def test_writer_arguments_are_checked(tmp_path):
    d = JsonlDir(path=str(tmp_path / "ds"))
    with pytest.raises(ValueError, match=r"shard_extension must be one of \.jsonl, \.jsonl\.zst, \.jsonl\.zstd.*'\.json'"):
        d.writer(shard_extension=".json")
    with pytest.raises(ValueError, match=r"max_records_per_shard must be a positive int or None \(no limit\), got 0"):
        d.writer_sync(max_records_per_shard=0)
    with pytest.raises(ValueError, match="max_bytes_per_shard must be a positive int"):
        d.writer_sync(max_bytes_per_shard=-5)
    with pytest.raises(ValueError, match="prefetch must be True, False or a number"):
        d.iter_records_sync(prefetch=-1)


# ------------------------------------------------------------------------------ continuation and order


@pytest.mark.asyncio
async def test_a_new_writer_continues_after_the_highest_shard(tmp_path):
    d = JsonlDir(path=str(tmp_path / "ds"))
    with d.writer_sync(max_records_per_shard=2) as w:
        w.write_many({"i": i} for i in range(5))
    async with d.writer(max_records_per_shard=2, shard_extension=".jsonl.zst") as w:
        await w.write_many({"i": i} for i in range(5, 9))
    # a gap and a user-named file do not matter: numbering continues after the highest index
    (tmp_path / "ds" / "part-00041.jsonl").write_bytes(b'{"i": 9}\n')
    (tmp_path / "ds" / "extra-part-99.jsonl").write_bytes(b'{"i": "extra"}\n')
    with d.writer_sync() as w:
        w.write({"i": 10})
    assert names(tmp_path / "ds") == [
        "extra-part-99.jsonl",
        "part-00000.jsonl",
        "part-00001.jsonl",
        "part-00002.jsonl",
        "part-00003.jsonl.zst",
        "part-00004.jsonl.zst",
        "part-00041.jsonl",
        "part-00042.jsonl",
    ]
    assert [r["i"] for r in d.iter_records_sync()] == ["extra", *range(11)]


def test_reading_order_and_what_is_read(tmp_path):
    root = tmp_path / "ds"
    root.mkdir()
    for name, rec in {
        "part-2.jsonl": 2,
        "part-10.jsonl": 10,
        "part-00001.jsonl": 1,
        "a-file.JSONL": "a",
        "z-file.jsonl.zstd": "z",
        "notes.txt": "ignored: not JSONL",
        "data.json": "ignored: not JSONL",
        ".part-00000.jsonl": "ignored: hidden",
        ".part-abc.jsonl.partial": "ignored: a shard being written",
    }.items():
        payload = orjson.dumps({"v": rec}) + b"\n"
        if name.endswith(".zstd"):
            payload = zstandard.ZstdCompressor().compress(payload)
        (root / name).write_bytes(payload)
    (root / "sub").mkdir()
    (root / "sub" / "part-00000.jsonl").write_bytes(b'{"v": "ignored: in a subdirectory"}\n')
    d = JsonlDir(path=str(root))
    assert [r["v"] for r in d.iter_records_sync()] == ["a", 1, 2, 10, "z"]
    assert [Path(f.path).name for f in d.jsonl_files_sync()] == [
        "a-file.JSONL", "part-00001.jsonl", "part-2.jsonl", "part-10.jsonl", "z-file.jsonl.zstd"
    ]


@pytest.mark.slow
def test_100001_shards_are_named_and_read_in_numeric_order(tmp_path):
    d = JsonlDir(path=str(tmp_path / "ds"))
    n = 100_001
    with d.writer_sync(max_records_per_shard=1) as w:
        for i in range(n):
            w.write(i)
    listing = os.listdir(tmp_path / "ds")
    assert len(listing) == n
    assert "part-99999.jsonl" in listing and "part-100000.jsonl" in listing
    # lexicographic order would put part-100000 between part-10000 and part-10001
    assert sorted(listing)[10_001] == "part-100000.jsonl"
    assert list(d.iter_records_sync()) == list(range(n))
    with d.writer_sync() as w:
        w.write(n)
    assert (tmp_path / "ds" / "part-100001.jsonl").read_bytes() == b"100001\n"


# ------------------------------------------------------------------------------ reading


@pytest.mark.asyncio
async def test_mixed_shards_read_in_every_form(tmp_path):
    d = JsonlDir(path=str(tmp_path / "ds"))
    recs = [{"index": i, "value": i * i} for i in range(30_000)]
    with d.writer_sync(max_records_per_shard=7_000) as w:
        w.write_many(recs[:14_000])
    with d.writer_sync(max_records_per_shard=7_000, shard_extension=".jsonl.zst") as w:
        w.write_many(recs[14_000:])
    assert len(names(tmp_path / "ds")) == 5
    assert list(d.iter_records_sync()) == recs
    assert [r async for r in d.iter_records()] == recs
    for prefetch in (False, 0, 2, 10):
        assert [r async for r in d.iter_records(prefetch=prefetch)] == recs
    batches = list(d.iter_batches_sync(batch_size=4_000))
    assert [len(b) for b in batches] == [4_000] * 7 + [2_000]  # batches span shards
    assert [r for b in batches for r in b] == recs
    assert [b async for b in d.iter_batches(batch_size=4_000)] == batches


@pytest.mark.asyncio
async def test_an_empty_dataset_reads_as_empty(tmp_path):
    d = JsonlDir(path=str(tmp_path / "ds"))
    async with d.writer():
        pass
    assert (tmp_path / "ds").is_dir() and names(tmp_path / "ds") == []
    assert [r async for r in d.iter_records()] == []
    assert list(d.iter_batches_sync()) == []


def test_a_missing_directory_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"JsonlDir .*nope does not exist"):
        list(JsonlDir(path=str(tmp_path / "nope")).iter_records_sync())
    (tmp_path / "file.jsonl").write_bytes(b"{}\n")
    with pytest.raises(NotADirectoryError, match="read it as a JsonlFile"):
        list(JsonlDir(path=str(tmp_path / "file.jsonl")).iter_records_sync())


def test_bad_lines_are_numbered_within_their_shard(tmp_path):
    root = tmp_path / "ds"
    root.mkdir()
    (root / "part-00000.jsonl").write_bytes(b'{"a": 1}\n{"a": 2}\n')
    (root / "part-00001.jsonl").write_bytes(b'{"a": 3}\n{oops\n{"a": 4}\n')
    seen = []
    got = list(JsonlDir(path=str(root)).iter_records_sync(on_error=lambda n, raw, e: seen.append((n, raw))))
    assert got == [{"a": 1}, {"a": 2}, {"a": 3}, {"a": 4}] and seen == [(2, b"{oops")]
    with pytest.raises(ValueError, match=r"part-00001\.jsonl, line 2: not valid JSON"):
        list(JsonlDir(path=str(root)).iter_records_sync())


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


@pytest.mark.asyncio
async def test_the_next_shard_is_read_while_the_current_one_is_consumed(tmp_path, caplog):
    d = JsonlDir(path=str(tmp_path / "ds"))
    with d.writer_sync(max_records_per_shard=1_000) as w:
        w.write_many({"i": i} for i in range(3_000))

    def reading(name: str) -> bool:
        return any(r.getMessage() == f"reading {d.path}/{name}" for r in caplog.records)

    with caplog.at_level(logging.DEBUG, logger="flyteplugins.jsonl"):
        records = d.iter_records()
        first = await records.__anext__()  # the consumer is at the start of part-00000
        assert first == {"i": 0}
        assert await asyncio.to_thread(_wait_for, lambda: reading("part-00001.jsonl"))
        # one shard ahead, not more
        await asyncio.sleep(0.2)
        assert not reading("part-00002.jsonl")
        rest = [r async for r in records]
        assert [r["i"] for r in rest] == list(range(1, 3_000))

    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="flyteplugins.jsonl"):
        sync_records = d.iter_records_sync(prefetch=False)
        assert next(sync_records) == {"i": 0}
        time.sleep(0.2)
        assert reading("part-00000.jsonl") and not reading("part-00001.jsonl")
        assert sum(1 for _ in sync_records) == 2_999
        assert reading("part-00002.jsonl")


# ------------------------------------------------------------------------------ durability


def test_an_exception_inside_the_writer_keeps_completed_shards(tmp_path):
    d = JsonlDir(path=str(tmp_path / "ds"))
    with pytest.raises(RuntimeError, match="boom"):
        with d.writer_sync(max_records_per_shard=100, flush_bytes=64) as w:
            for i in range(250):
                w.write({"i": i})
            raise RuntimeError("boom")
    # two complete shards; the third, half written, is gone without a trace
    assert names(tmp_path / "ds") == ["part-00000.jsonl", "part-00001.jsonl"]
    assert [r["i"] for r in d.iter_records_sync()] == list(range(200))


@pytest.mark.asyncio
async def test_cancellation_inside_the_writer_keeps_completed_shards(tmp_path):
    d = JsonlDir(path=str(tmp_path / "ds"))
    halfway = asyncio.Event()

    async def produce():
        async with d.writer(max_records_per_shard=100, shard_extension=".jsonl.zst", flush_bytes=64) as w:
            for i in range(350):
                await w.write({"i": i})
            halfway.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(produce())
    await halfway.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert names(tmp_path / "ds") == [f"part-0000{k}.jsonl.zst" for k in range(3)]
    assert [r["i"] async for r in d.iter_records()] == list(range(300))


@pytest.mark.subprocess
@pytest.mark.parametrize("extension", [".jsonl", ".jsonl.zst"])
def test_a_writer_killed_mid_shard_leaves_only_complete_shards(tmp_path, extension):
    root = tmp_path / "ds"
    code = textwrap.dedent(
        f"""
        from flyteplugins.jsonl import JsonlDir
        with JsonlDir(path={str(root)!r}).writer_sync(
            max_records_per_shard=5_000, shard_extension={extension!r}, flush_bytes=4096
        ) as w:
            i = 0
            while True:
                w.write({{"i": i, "pad": "x" * 40}})
                i += 1
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ))
    try:
        def mid_shard() -> bool:
            if not root.exists():
                return False
            entries = os.listdir(root)
            partial = [n for n in entries if n.endswith(".partial")]
            shards = [n for n in entries if not n.startswith(".")]
            try:
                return len(shards) >= 3 and bool(partial) and os.path.getsize(root / partial[0]) > 0
            except FileNotFoundError:  # that shard was just published
                return False

        assert _wait_for(mid_shard, timeout=60), "the writer never got to its fourth shard"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    d = JsonlDir(path=str(root))
    visible = [f.path for f in d.jsonl_files_sync()]
    assert len(visible) >= 3
    # every visible shard is complete: 5,000 whole records, in order, with nothing after them
    for k, path in enumerate(visible):
        assert [r["i"] for r in JsonlFile(path=path).iter_records_sync()] == list(range(k * 5_000, (k + 1) * 5_000))
    assert sum(1 for _ in d.iter_records_sync()) == len(visible) * 5_000
    # a new writer continues after the last complete shard; the dead writer's staged bytes are ignored
    with d.writer_sync(shard_extension=extension) as w:
        w.write({"i": "after"})
    assert [Path(p).name for p in w.shards] == [f"part-{len(visible):05d}{extension}"]


def _writer_script(root: Path, tag: str, shards: int, per_shard: int) -> str:
    return textwrap.dedent(
        f"""
        import sys
        from flyteplugins.jsonl import JsonlDir
        sys.stdin.readline()  # start together
        with JsonlDir(path={str(root)!r}).writer_sync(max_records_per_shard={per_shard}) as w:
            for i in range({shards * per_shard}):
                w.write({{"w": {tag!r}, "i": i}})
        print(len(w.shards))
        """
    )


@pytest.mark.subprocess
def test_two_writer_processes_never_overwrite_each_others_shards(tmp_path):
    root = tmp_path / "ds"
    shards, per_shard = 150, 20
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _writer_script(root, tag, shards, per_shard)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=dict(os.environ),
        )
        for tag in ("a", "b")
    ]
    for p in procs:  # both were started first; both scan an empty directory and start at part-00000
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0] and outs == [f"{shards}\n", f"{shards}\n"]
    listing = os.listdir(root)
    assert sorted(listing) == [f"part-{k:05d}.jsonl" for k in range(2 * shards)]
    got = list(JsonlDir(path=str(root)).iter_records_sync())
    for tag in ("a", "b"):
        assert sorted(r["i"] for r in got if r["w"] == tag) == list(range(shards * per_shard))


def _concurrent_thread_writers(root: Path, writers: int = 4, shards: int = 40, per_shard: int = 10) -> list:
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(tag: int) -> None:
        try:
            with JsonlDir(path=str(root)).writer_sync(max_records_per_shard=per_shard) as w:
                barrier.wait()
                for i in range(shards * per_shard):
                    w.write({"w": tag, "i": i})
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(t,)) for t in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(os.listdir(root)) == [f"part-{k:05d}.jsonl" for k in range(writers * shards)]
    got = list(JsonlDir(path=str(root)).iter_records_sync())
    for tag in range(writers):
        assert [r["i"] for r in got if r["w"] == tag] == list(range(shards * per_shard))
    return got


def test_writer_threads_never_overwrite_each_others_shards(tmp_path):
    _concurrent_thread_writers(tmp_path / "ds")


def test_without_hard_links_names_are_claimed_with_markers(tmp_path, monkeypatch):
    # Some filesystems (FAT, some network mounts) have no hard links: os.link fails with EPERM there.
    def no_links(src, dst, *args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted", str(src))

    monkeypatch.setattr(os, "link", no_links)
    _concurrent_thread_writers(tmp_path / "ds")
    assert not [n for n in os.listdir(tmp_path / "ds") if n.startswith(".")]  # claims are removed


# ------------------------------------------------------------------------------ Dir behaviour


def test_new_remote_is_a_dir_in_the_data_area(flyte_home):
    d = JsonlDir.new_remote("dataset/")
    assert isinstance(d, JsonlDir) and isinstance(d, Dir) and d.format == "jsonl"
    assert d.path.endswith("/dataset") and d.path.startswith(str(flyte_home))
    with d.writer_sync(max_records_per_shard=2) as w:
        w.write_many(range(5))
    assert [f.name for f in d.walk_sync()] == ["part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl"]
    assert list(d.iter_records_sync()) == [0, 1, 2, 3, 4]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files through /proc (Linux)")
@pytest.mark.asyncio
async def test_stopping_early_closes_the_current_and_read_ahead_files(tmp_path):
    d = JsonlDir(path=str(tmp_path / "ds"))
    with d.writer_sync(max_records_per_shard=100) as w:
        w.write_many({"i": i} for i in range(1_000))
    before = len(os.listdir("/proc/self/fd"))
    records = d.iter_records(prefetch=3)
    assert (await records.__anext__()) == {"i": 0}
    assert len(os.listdir("/proc/self/fd")) == before + 4  # part-00000 and the three read ahead
    await records.aclose()
    assert len(os.listdir("/proc/self/fd")) == before
