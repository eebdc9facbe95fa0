"""JsonlFile and JsonlDir in an object store: S3 served by moto's real server on loopback."""

from __future__ import annotations

import pyarrow as pa
import pytest

from flyteplugins.jsonl import JsonlDir, JsonlFile


def key_of(bucket, uri: str) -> str:
    assert uri.startswith(f"{bucket.uri}/"), uri
    return uri[len(bucket.uri) + 1 :]


@pytest.mark.asyncio
async def test_a_file_round_trip_in_s3(s3_bucket, tmp_path):
    f = JsonlFile.new_remote("results.jsonl.zst")
    assert f.path.startswith(f"{s3_bucket.uri}/data/")
    recs = [{"id": i, "score": i * 0.1} for i in range(50_000)]
    async with f.writer() as w:
        await w.write_many(recs)
    assert s3_bucket.read(key_of(s3_bucket, f.path))[:4] == b"\x28\xb5\x2f\xfd"
    assert [r async for r in f.iter_records()] == recs
    assert sum(b.num_rows for b in f.iter_arrow_batches_sync()) == 50_000
    assert not list(tmp_path.iterdir())  # nothing spooled locally was left behind


@pytest.mark.asyncio
async def test_a_failed_file_writer_leaves_no_object(s3_bucket):
    f = JsonlFile.new_remote("failed.jsonl")
    with pytest.raises(RuntimeError):
        async with f.writer(flush_bytes=1024) as w:
            await w.write_many({"i": i} for i in range(5_000))
            raise RuntimeError("boom")
    assert s3_bucket.keys("data/") == []


@pytest.mark.asyncio
async def test_shards_in_s3_rotate_continue_and_read_in_order(s3_bucket):
    d = JsonlDir.new_remote("dataset/")
    prefix = key_of(s3_bucket, d.path)
    async with d.writer(max_records_per_shard=1_000) as w:
        for i in range(3_500):
            await w.write({"index": i, "value": i * i})
    with d.writer_sync(max_records_per_shard=1_000, shard_extension=".jsonl.zst") as ws:
        ws.write_many({"index": i, "value": i * i} for i in range(3_500, 4_000))
    assert s3_bucket.keys(prefix) == [f"{prefix}/part-0000{k}.jsonl" for k in range(4)] + [f"{prefix}/part-00004.jsonl.zst"]
    assert ws.shards == [f"{d.path}/part-00004.jsonl.zst"]
    total = 0
    async for record in d.iter_records():
        total += record["value"]
    assert total == sum(i * i for i in range(4_000))
    assert [r["index"] for r in d.iter_records_sync(prefetch=3)] == list(range(4_000))
    table = pa.Table.from_batches(list(d.iter_arrow_batches_sync(batch_size=1_500)))
    assert table.column("index").to_pylist() == list(range(4_000))


def test_an_exception_keeps_the_uploaded_shards_and_nothing_else(s3_bucket):
    d = JsonlDir.new_remote("dataset/")
    prefix = key_of(s3_bucket, d.path)
    with pytest.raises(KeyError):
        with d.writer_sync(max_records_per_shard=100, flush_bytes=128) as w:
            for i in range(450):
                w.write({"i": i})
            raise KeyError("boom")
    assert s3_bucket.keys(prefix) == [f"{prefix}/part-0000{k}.jsonl" for k in range(4)]
    assert [r["i"] for r in d.iter_records_sync()] == list(range(400))


def test_a_writer_skips_names_published_meanwhile_in_s3(s3_bucket):
    d = JsonlDir.new_remote("dataset/")
    prefix = key_of(s3_bucket, d.path)
    with d.writer_sync(max_records_per_shard=10) as w:
        w.write_many({"w": "mine", "i": i} for i in range(10))  # part-00000
        w.flush()  # waits until it is uploaded
        assert w.shards == [f"{d.path}/part-00000.jsonl"]
        # another writer publishes the next two names while this one writes its second shard
        s3_bucket.client.put_object(Bucket=s3_bucket.name, Key=f"{prefix}/part-00001.jsonl", Body=b'{"w": "other"}\n')
        s3_bucket.client.put_object(Bucket=s3_bucket.name, Key=f"{prefix}/part-00002.jsonl", Body=b'{"w": "other"}\n')
        w.write_many({"w": "mine", "i": i} for i in range(10, 20))
    assert w.shards == [f"{d.path}/part-00000.jsonl", f"{d.path}/part-00003.jsonl"]
    assert s3_bucket.read(f"{prefix}/part-00001.jsonl") == b'{"w": "other"}\n'
    assert [r["w"] for r in d.iter_records_sync()] == ["mine"] * 10 + ["other"] * 2 + ["mine"] * 10


def test_the_next_shard_downloads_while_the_current_one_is_consumed(s3_bucket, caplog):
    import logging
    import threading
    import time

    d = JsonlDir.new_remote("dataset/")
    with d.writer_sync(max_records_per_shard=1_000) as w:
        w.write_many({"i": i} for i in range(3_000))

    def reading(name: str) -> bool:
        return any(r.getMessage() == f"reading {d.path}/{name}" for r in caplog.records)

    before = threading.active_count()
    with caplog.at_level(logging.DEBUG, logger="flyteplugins.jsonl"):
        records = d.iter_records_sync()
        assert next(records) == {"i": 0}
        deadline = time.monotonic() + 30
        while not reading("part-00001.jsonl"):
            assert time.monotonic() < deadline, "part-00001 was not read ahead"
            time.sleep(0.01)
        assert not reading("part-00002.jsonl")  # one shard ahead, not more
        assert [r["i"] for r in records] == list(range(1, 3_000))
    # stopping early stops the background readers
    for rec in d.iter_records_sync(prefetch=2):
        if rec["i"] == 10:
            break
    deadline = time.monotonic() + 30
    while threading.active_count() > before:
        assert time.monotonic() < deadline, "background readers still running"
        time.sleep(0.01)
