"""JsonlFile: writing and reading records, compression, bad lines, durability of the file."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson
import pytest
import zstandard

from flyte.io import File
from flyteplugins.jsonl import JsonlDecodeError, JsonlFile

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def records(n: int, start: int = 0) -> list[dict]:
    return [{"id": i, "score": i * 0.1, "name": f"item-{i}", "tags": ["a", "b"][: i % 3]} for i in range(start, start + n)]


def write_sync(path: Path, recs: list, **kwargs) -> JsonlFile:
    f = JsonlFile(path=str(path))
    with f.writer_sync(**kwargs) as w:
        for r in recs:
            w.write(r)
    return f


# ------------------------------------------------------------------------------ round trips


def test_sync_round_trip_writes_standard_json_lines(tmp_path):
    recs = records(2_000)
    f = write_sync(tmp_path / "out.jsonl", recs)
    assert list(f.iter_records_sync()) == recs
    # the format is plain JSON Lines: one JSON document per line, each line ending in \n
    lines = (tmp_path / "out.jsonl").read_bytes().split(b"\n")
    assert lines[-1] == b"" and [json.loads(line) for line in lines[:-1]] == recs


@pytest.mark.asyncio
async def test_async_round_trip(tmp_path):
    recs = records(5_000)
    f = JsonlFile(path=str(tmp_path / "out.jsonl"))
    async with f.writer() as w:
        for r in recs:
            await w.write(r)
    got = [r async for r in f.iter_records()]
    assert got == recs


@pytest.mark.asyncio
async def test_write_many_async_and_sync(tmp_path):
    recs = records(3_000)
    a = JsonlFile(path=str(tmp_path / "a.jsonl"))
    async with a.writer(flush_bytes=4096) as w:
        await w.write_many(recs[:1000])
        await w.write(recs[1000])
        await w.write_many(iter(recs[1001:]))
    b = JsonlFile(path=str(tmp_path / "b.jsonl.zst"))
    with b.writer_sync(flush_bytes=4096) as ws:
        ws.write_many(recs)
    assert list(a.iter_records_sync()) == recs == list(b.iter_records_sync())


def test_records_spanning_many_read_blocks_and_long_lines(tmp_path):
    # lines far longer than a read block (1 MB) and many blocks in all
    recs = [{"i": i, "blob": "x" * (3_000_000 if i % 7 == 3 else 10)} for i in range(20)] + records(100_000)
    for name in ("long.jsonl", "long.jsonl.zst"):
        f = write_sync(tmp_path / name, recs)
        assert list(f.iter_records_sync()) == recs


@pytest.mark.parametrize("name", ["plain.jsonl", "packed.jsonl.zst"])
@pytest.mark.asyncio
async def test_batches_async_and_sync(tmp_path, name):
    recs = records(2_500)
    f = write_sync(tmp_path / name, recs)
    sync_batches = list(f.iter_batches_sync(batch_size=1000))
    async_batches = [b async for b in f.iter_batches(batch_size=1000)]
    assert [len(b) for b in sync_batches] == [1000, 1000, 500]
    assert sync_batches == async_batches
    assert [r for b in sync_batches for r in b] == recs


def test_an_empty_writer_leaves_an_empty_file(tmp_path):
    for name in ("empty.jsonl", "empty.jsonl.zst"):
        f = write_sync(tmp_path / name, [])
        assert (tmp_path / name).exists()
        assert list(f.iter_records_sync()) == []
        assert list(f.iter_batches_sync()) == []


def test_last_line_without_a_newline_crlf_and_blank_lines(tmp_path):
    path = tmp_path / "hand.jsonl"
    path.write_bytes(b'{"a": 1}\r\n\n   \n{"a": 2}\r\n{"a": 3}')
    f = JsonlFile(path=str(path))
    assert list(f.iter_records_sync()) == [{"a": 1}, {"a": 2}, {"a": 3}]
    assert list(f.iter_batches_sync(2)) == [[{"a": 1}, {"a": 2}], [{"a": 3}]]


def test_values_other_than_objects_are_records_too(tmp_path):
    f = write_sync(tmp_path / "values.jsonl", [1, "two", [3], None, {"four": 4}])
    assert list(f.iter_records_sync()) == [1, "two", [3], None, {"four": 4}]


# ------------------------------------------------------------------------------ compression


@pytest.mark.parametrize("name", ["a.jsonl.zst", "b.jsonl.zstd", "C.JSONL.ZST", "d.JsonL.ZstD"])
def test_zstd_names_are_compressed_any_case(tmp_path, name):
    recs = records(10_000)
    f = write_sync(tmp_path / name, recs)
    raw = (tmp_path / name).read_bytes()
    assert raw[:4] == ZSTD_MAGIC
    assert len(raw) < len(b"".join(orjson.dumps(r) + b"\n" for r in recs)) / 4
    # an independent decoder gets back the same JSON Lines
    text = zstandard.ZstdDecompressor().decompressobj().decompress(raw)
    assert [json.loads(line) for line in text.splitlines()] == recs
    assert list(f.iter_records_sync()) == recs


def test_plain_names_are_not_compressed(tmp_path):
    write_sync(tmp_path / "a.jsonl", records(10), compression_level=19)
    assert (tmp_path / "a.jsonl").read_bytes().startswith(b'{"id":0')


def test_compression_level_is_used(tmp_path):
    rng = random.Random(7)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    recs = [{"i": i, "w": " ".join(rng.choice(words) for _ in range(8)), "x": rng.random()} for i in range(20_000)]
    write_sync(tmp_path / "fast.jsonl.zst", recs, compression_level=1)
    write_sync(tmp_path / "small.jsonl.zst", recs, compression_level=19)
    assert (tmp_path / "small.jsonl.zst").stat().st_size < (tmp_path / "fast.jsonl.zst").stat().st_size
    assert list(JsonlFile(path=str(tmp_path / "small.jsonl.zst")).iter_records_sync()) == recs


def test_reading_detects_zstd_by_content_not_name(tmp_path):
    recs = records(100)
    payload = b"".join(orjson.dumps(r) + b"\n" for r in recs)
    (tmp_path / "misnamed.jsonl").write_bytes(zstandard.ZstdCompressor().compress(payload))
    (tmp_path / "plain.jsonl.zst").write_bytes(payload)
    assert list(JsonlFile(path=str(tmp_path / "misnamed.jsonl")).iter_records_sync()) == recs
    assert list(JsonlFile(path=str(tmp_path / "plain.jsonl.zst")).iter_records_sync()) == recs


def test_multi_frame_zstd_is_read_completely(tmp_path):
    # three frames (as `cat a.zst b.zst c.zst` or pzstd make) with a skippable frame between two
    parts = [records(5_000, start=k * 5_000) for k in range(3)]
    cctx = zstandard.ZstdCompressor(level=3)
    frames = [cctx.compress(b"".join(orjson.dumps(r) + b"\n" for r in part)) for part in parts]
    skippable = b"\x5a\x2a\x4d\x18" + (6).to_bytes(4, "little") + b"notes!"
    path = tmp_path / "multi.jsonl.zst"
    path.write_bytes(frames[0] + skippable + frames[1] + frames[2])
    f = JsonlFile(path=str(path))
    everything = parts[0] + parts[1] + parts[2]
    assert list(f.iter_records_sync()) == everything
    assert [r for b in f.iter_batches_sync(4_000) for r in b] == everything
    assert sum(b.num_rows for b in f.iter_arrow_batches_sync()) == 15_000


def test_a_frame_split_exactly_at_a_read_boundary(tmp_path):
    # frames much larger than the 64 KB pieces fed to the decompressor, ending mid-piece
    part = b"".join(orjson.dumps({"n": i, "pad": os.urandom(40).hex()}) + b"\n" for i in range(30_000))
    cctx = zstandard.ZstdCompressor(level=1)
    path = tmp_path / "frames.jsonl.zst"
    path.write_bytes(cctx.compress(part) * 4)
    assert sum(1 for _ in JsonlFile(path=str(path)).iter_records_sync()) == 120_000


def test_a_truncated_zstd_file_is_an_error_not_a_short_read(tmp_path):
    full = zstandard.ZstdCompressor().compress(b"".join(orjson.dumps(r) + b"\n" for r in records(50_000)))
    path = tmp_path / "cut.jsonl.zst"
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(ValueError, match=r"cut\.jsonl\.zst: the zstd stream ends in the middle of a frame"):
        list(JsonlFile(path=str(path)).iter_records_sync())


def test_corrupt_zstd_is_an_error_naming_the_file(tmp_path):
    full = bytearray(zstandard.ZstdCompressor(write_checksum=True).compress(b'{"a": 1}\n' * 1000))
    full[len(full) // 2] ^= 0xFF
    path = tmp_path / "bad.jsonl.zst"
    path.write_bytes(bytes(full))
    with pytest.raises(ValueError, match=r"bad\.jsonl\.zst: the zstd stream is corrupt"):
        list(JsonlFile(path=str(path)).iter_records_sync())


def test_gzip_is_named_in_the_error(tmp_path):
    import gzip

    path = tmp_path / "old.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a": 1}\n'))
    with pytest.raises(ValueError, match=r"old\.jsonl\.gz is gzip-compressed.*gunzip"):
        list(JsonlFile(path=str(path)).iter_records_sync())


@pytest.mark.skipif(
    shutil.which("zstd") is None or shutil.which("jq") is None,
    reason="needs the zstd and jq command-line tools (apt-get install zstd jq)",
)
def test_a_compressed_file_reads_with_zstd_and_jq(tmp_path):
    recs = records(1_000) + [{"unicode": "żółw ✓", "nested": {"x": [1, 2.5, None, True]}}]
    write_sync(tmp_path / "out.jsonl.zst", recs)
    pipeline = f"zstd -dc {tmp_path / 'out.jsonl.zst'} | jq -c ."
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", pipeline], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    assert [json.loads(line) for line in proc.stdout.decode().splitlines()] == recs
    # and the other way: a file made by the zstd tool is read here
    (tmp_path / "made.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in recs))
    subprocess.run(["zstd", "-q", "-19", str(tmp_path / "made.jsonl"), "-o", str(tmp_path / "made.jsonl.zst")], check=True)
    assert list(JsonlFile(path=str(tmp_path / "made.jsonl.zst")).iter_records_sync()) == recs


# ------------------------------------------------------------------------------ bad lines


def file_with_bad_lines(tmp_path: Path, name: str) -> tuple[JsonlFile, list[dict], dict[int, bytes]]:
    """200,000 lines (several read blocks) with bad ones at known line numbers, first and last included."""
    bad = {1: b"{not json", 70_001: b'{"id": 70000, "truncated', 150_000: b"]]", 200_000: b'{"last": '}
    good: list[dict] = []
    lines: list[bytes] = []
    for n in range(1, 200_001):
        if n in bad:
            lines.append(bad[n])
        else:
            rec = {"line": n}
            good.append(rec)
            lines.append(orjson.dumps(rec))
    payload = b"\n".join(lines) + b"\n"
    path = tmp_path / name
    path.write_bytes(zstandard.ZstdCompressor().compress(payload) if name.endswith(".zst") else payload)
    return JsonlFile(path=str(path)), good, bad


@pytest.mark.parametrize("name", ["bad.jsonl", "bad.jsonl.zst"])
def test_on_error_raise_names_file_and_line(tmp_path, name):
    f, _, _ = file_with_bad_lines(tmp_path, name)
    with pytest.raises(JsonlDecodeError) as caught:
        next(iter(f.iter_records_sync()))
    e = caught.value
    assert (e.path, e.line_number, e.raw_line) == (f.path, 1, b"{not json")
    assert f"{f.path}, line 1: not valid JSON" in str(e) and "on_error='skip'" in str(e)
    # the same error type as orjson's and json's, for code that catches those
    assert isinstance(e, orjson.JSONDecodeError) and isinstance(e, json.JSONDecodeError)

    # records before a bad line in the middle are delivered first (line 1 repaired here)
    path2 = Path(f.path).with_name("mid-" + Path(f.path).name)
    data = Path(f.path).read_bytes()
    if name.endswith(".zst"):
        data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
    path2.write_bytes(data.replace(b"{not json\n", b'{"line": 1}\n', 1))
    it = iter(JsonlFile(path=str(path2)).iter_records_sync())
    got = []
    with pytest.raises(JsonlDecodeError, match=r", line 70001: not valid JSON"):
        for rec in it:
            got.append(rec)
    assert got == [{"line": n} for n in range(1, 70_001)]


@pytest.mark.asyncio
async def test_on_error_raise_in_the_async_and_batch_forms(tmp_path):
    f, _, _ = file_with_bad_lines(tmp_path, "bad.jsonl.zst")
    for read in (f.iter_records, lambda: f.iter_batches(batch_size=7)):
        with pytest.raises(JsonlDecodeError, match=r"bad\.jsonl\.zst, line 1: not valid JSON"):
            [r async for r in read()]
    with pytest.raises(JsonlDecodeError, match=r"bad\.jsonl\.zst, line 1: not valid JSON"):
        list(f.iter_batches_sync(batch_size=7))


@pytest.mark.parametrize("name", ["bad.jsonl", "bad.jsonl.zst"])
@pytest.mark.asyncio
async def test_on_error_skip_warns_once_per_bad_line(tmp_path, name, caplog):
    f, good, bad = file_with_bad_lines(tmp_path, name)
    with caplog.at_level(logging.WARNING, logger="flyteplugins.jsonl"):
        assert list(f.iter_records_sync(on_error="skip")) == good
    warned = [r.getMessage() for r in caplog.records if r.name == "flyteplugins.jsonl"]
    assert len(warned) == len(bad)
    for (n, _), message in zip(sorted(bad.items()), warned):
        assert f"{f.path}, line {n}: skipped, not valid JSON" in message
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="flyteplugins.jsonl"):
        assert [r async for r in f.iter_records(on_error="skip")] == good
    assert len([r for r in caplog.records if r.name == "flyteplugins.jsonl"]) == len(bad)


@pytest.mark.parametrize("name", ["bad.jsonl", "bad.jsonl.zst"])
@pytest.mark.asyncio
async def test_on_error_callable_gets_line_number_raw_line_and_error(tmp_path, name):
    f, good, bad = file_with_bad_lines(tmp_path, name)
    for read in ("records", "batches"):
        seen: list[tuple[int, bytes, type]] = []

        def collect(line_number, raw_line, exc, seen=seen):
            seen.append((line_number, raw_line, type(exc)))

        if read == "records":
            got = [r async for r in f.iter_records(on_error=collect)]
        else:
            got = [r async for b in f.iter_batches(batch_size=999, on_error=collect) for r in b]
        assert got == good
        assert seen == [(n, raw, orjson.JSONDecodeError) for n, raw in sorted(bad.items())]


def test_an_on_error_callable_that_raises_stops_the_read(tmp_path):
    f, _, _ = file_with_bad_lines(tmp_path, "bad.jsonl")

    def stop(line_number, raw_line, exc):
        raise RuntimeError(f"stop at {line_number}")

    with pytest.raises(RuntimeError, match="stop at 1"):
        list(f.iter_records_sync(on_error=stop))


def test_a_bad_on_error_is_refused_when_called(tmp_path):
    f = write_sync(tmp_path / "a.jsonl", records(3))
    for read in (f.iter_records_sync, f.iter_records, f.iter_batches_sync, f.iter_arrow_batches_sync):
        with pytest.raises(ValueError, match=r"on_error must be 'raise', 'skip' or a callable.*'ignore'"):
            read(on_error="ignore")
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        f.iter_batches_sync(batch_size=0)


# ------------------------------------------------------------------------------ writer errors


def test_an_unserialisable_record_names_the_value_and_the_fix(tmp_path):
    f = JsonlFile(path=str(tmp_path / "a.jsonl"))
    with pytest.raises(TypeError, match=r"Cannot write dict .*object.* to JsonlFile .*a\.jsonl as JSON.*convert"):
        with f.writer_sync() as w:
            w.write({"ok": 1})
            w.write({"bad": object()})
    assert not (tmp_path / "a.jsonl").exists()


@pytest.mark.asyncio
async def test_writer_outside_its_block_says_how_to_use_it(tmp_path):
    f = JsonlFile(path=str(tmp_path / "a.jsonl"))
    w = f.writer()
    with pytest.raises(RuntimeError, match=r"not open; use it as a context manager: `async with f.writer\(\) as w:`"):
        await w.write({"a": 1})
    async with w:
        await w.write({"a": 1})
    with pytest.raises(RuntimeError, match="is closed"):
        await w.write({"a": 2})
    assert list(f.iter_records_sync()) == [{"a": 1}]


def test_writer_arguments_are_checked(tmp_path):
    f = JsonlFile(path=str(tmp_path / "a.jsonl.zst"))
    with pytest.raises(ValueError, match=r"compression_level 99 is outside zstd's range"):
        f.writer_sync(compression_level=99)
    with pytest.raises(TypeError, match="compression_level must be an int"):
        f.writer(compression_level="3")
    with pytest.raises(ValueError, match="flush_bytes must be a positive int"):
        f.writer_sync(flush_bytes=0)


# ------------------------------------------------------------------------------ durability


def test_an_exception_inside_the_writer_leaves_no_file(tmp_path):
    f = JsonlFile(path=str(tmp_path / "a.jsonl"))
    with pytest.raises(KeyError):
        with f.writer_sync(flush_bytes=1024) as w:
            for r in records(10_000):  # several flushes to the staged file first
                w.write(r)
            raise KeyError("boom")
    assert list(tmp_path.iterdir()) == []  # nothing published, nothing staged left behind


@pytest.mark.asyncio
async def test_an_exception_inside_the_writer_keeps_the_previous_content(tmp_path):
    f = write_sync(tmp_path / "a.jsonl.zst", records(5))
    with pytest.raises(ValueError, match="boom"):
        async with f.writer(flush_bytes=1024) as w:
            for r in records(10_000, start=100):
                await w.write(r)
            raise ValueError("boom")
    assert list(f.iter_records_sync()) == records(5)
    assert [p.name for p in tmp_path.iterdir()] == ["a.jsonl.zst"]


@pytest.mark.asyncio
async def test_cancelling_a_task_inside_the_writer_leaves_no_file(tmp_path):
    f = JsonlFile(path=str(tmp_path / "a.jsonl"))
    started = asyncio.Event()

    async def produce():
        async with f.writer(flush_bytes=1024) as w:
            for r in records(1_000):
                await w.write(r)
            started.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(produce())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list(tmp_path.iterdir()) == []


@pytest.mark.subprocess
def test_a_writer_killed_mid_write_leaves_no_torn_file(tmp_path):
    target = tmp_path / "big.jsonl.zst"
    code = textwrap.dedent(
        f"""
        import sys
        from flyteplugins.jsonl import JsonlFile
        with JsonlFile(path={str(target)!r}).writer_sync(flush_bytes=64 * 1024) as w:
            i = 0
            while True:
                w.write({{"i": i, "pad": "x" * 50}})
                i += 1
                if i == 200_000:
                    print("writing", flush=True)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=dict(os.environ))
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"writing\n"
        staged = [p for p in tmp_path.iterdir() if p.name.startswith(".big.jsonl.zst.")]
        deadline = time.monotonic() + 30
        while not staged or staged[0].stat().st_size == 0:
            assert time.monotonic() < deadline, "the writer never wrote to its staged file"
            time.sleep(0.01)
            staged = [p for p in tmp_path.iterdir() if p.name.startswith(".big.jsonl.zst.")]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert not target.exists()  # the staged bytes never became the file
    # the staged file is hidden and is not a JSONL name: no reader of the directory would take it
    assert all(p.name.startswith(".") and p.name.endswith(".partial") for p in tmp_path.iterdir())


# ------------------------------------------------------------------------------ File behaviour


def test_new_remote_is_a_jsonl_file_in_the_data_area(flyte_home):
    f = JsonlFile.new_remote("results.jsonl")
    assert isinstance(f, JsonlFile) and f.format == "jsonl"
    assert f.path.endswith("/results.jsonl") and f.path.startswith(str(flyte_home))
    assert JsonlFile.new_remote("results.jsonl").path != f.path
    with f.writer_sync() as w:
        w.write({"a": 1})
    # it is a File: the File API works on it
    assert f.exists_sync()
    with f.open_sync("rb") as fh:
        assert fh.read() == b'{"a":1}\n'
    assert isinstance(f, File)


def test_a_missing_file_is_named(tmp_path):
    f = JsonlFile(path=str(tmp_path / "nope.jsonl"))
    with pytest.raises(FileNotFoundError, match=r"No JSONL data at .*nope\.jsonl"):
        list(f.iter_records_sync())


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files through /proc (Linux)")
def test_breaking_out_of_a_read_closes_the_files(tmp_path):
    f = write_sync(tmp_path / "a.jsonl", records(300_000))

    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    before = open_files()
    for _ in range(20):
        for rec in f.iter_records_sync():
            if rec["id"] == 5:
                break
    assert open_files() == before
