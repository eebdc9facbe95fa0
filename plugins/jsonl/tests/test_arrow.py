"""Arrow record batches, parsed by Arrow's own JSON reader."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

import pyarrow as pa
import pyarrow.json as pj
import pytest

from flyteplugins.jsonl import JsonlDecodeError, JsonlDir, JsonlFile


def write(path, recs, **kwargs) -> JsonlFile:
    f = JsonlFile(path=str(path))
    with f.writer_sync(**kwargs) as w:
        w.write_many(recs)
    return f


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["a.jsonl", "a.jsonl.zst"])
async def test_batches_have_the_asked_size_and_one_schema(tmp_path, name):
    recs = [{"id": i, "score": i * 0.5, "label": f"l{i % 7}"} for i in range(200_000)]
    f = write(tmp_path / name, recs)
    batches = list(f.iter_arrow_batches_sync(batch_size=65_536))
    assert [b.num_rows for b in batches] == [65_536, 65_536, 65_536, 3_392]
    assert all(isinstance(b, pa.RecordBatch) for b in batches)
    assert {b.schema for b in batches} == {pa.schema([("id", pa.int64()), ("score", pa.float64()), ("label", pa.string())])}
    table = pa.Table.from_batches(batches)
    assert table.column("id").to_pylist() == list(range(200_000))
    assert table.column("label").to_pylist()[:8] == ["l0", "l1", "l2", "l3", "l4", "l5", "l6", "l0"]
    async_batches = [b async for b in f.iter_arrow_batches(batch_size=65_536)]
    assert pa.Table.from_batches(async_batches).equals(table)


def test_parsing_is_done_by_arrows_json_reader(tmp_path, monkeypatch):
    f = write(tmp_path / "a.jsonl", [{"x": i} for i in range(10_000)])
    calls = []
    real = pj.read_json

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(pj, "read_json", spy)
    assert sum(b.num_rows for b in f.iter_arrow_batches_sync(batch_size=1_000)) == 10_000
    assert len(calls) == 1  # the whole file in one call: no batch is built from Python dicts


def test_batches_span_shards_and_shards_share_the_schema(tmp_path):
    d = JsonlDir(path=str(tmp_path / "ds"))
    with d.writer_sync(max_records_per_shard=3_000, shard_extension=".jsonl.zst") as w:
        w.write_many({"index": i, "value": i * i} for i in range(10_000))
    batches = list(d.iter_arrow_batches_sync(batch_size=4_096))
    assert [b.num_rows for b in batches] == [4_096, 4_096, 1_808]
    table = pa.Table.from_batches(batches)
    assert table.column("value").to_pylist() == [i * i for i in range(10_000)]


def test_a_given_schema_sets_types_and_drops_other_fields(tmp_path):
    f = write(tmp_path / "a.jsonl", [{"id": i, "value": i, "extra": "x"} for i in range(100)])
    schema = pa.schema([("id", pa.int32()), ("value", pa.float64())])
    (batch,) = f.iter_arrow_batches_sync(schema=schema)
    assert batch.schema == schema and batch.column("value").to_pylist()[:3] == [0.0, 1.0, 2.0]
    with pytest.raises(TypeError, match="schema must be a pyarrow.Schema"):
        f.iter_arrow_batches_sync(schema={"id": "int"})


def test_a_field_that_appears_later_asks_for_a_schema(tmp_path):
    # 12 MB: the late field is three Arrow chunks (4 MB each) after the first
    recs = [{"id": i, "pad": "p" * 20} for i in range(300_000)] + [{"id": 1, "pad": "", "late": True}]
    f = write(tmp_path / "a.jsonl", recs)
    with pytest.raises(ValueError, match=r"a\.jsonl: field\(s\) 'late' first appear in lines .*pass schema="):
        list(f.iter_arrow_batches_sync())
    schema = pa.schema([("id", pa.int64()), ("pad", pa.string()), ("late", pa.bool_())])
    table = pa.Table.from_batches(list(f.iter_arrow_batches_sync(schema=schema)))
    assert table.num_rows == 300_001 and table.column("late").null_count == 300_000


def test_a_type_that_changes_later_names_the_lines_and_the_fix(tmp_path):
    recs = [{"v": i, "pad": "p" * 20} for i in range(300_000)] + [{"v": "text", "pad": ""}]
    f = write(tmp_path / "a.jsonl", recs)
    with pytest.raises(ValueError, match=r"a\.jsonl: a line among lines \d+-300001 does not fit the Arrow schema \{v: int64, pad: string\}.*schema="):
        list(f.iter_arrow_batches_sync())


@pytest.mark.asyncio
async def test_bad_lines_under_each_on_error_mode(tmp_path, caplog):
    lines = [b'{"id": %d}' % i for i in range(1, 1_001)]
    lines[9] = b"{broken"  # line 10
    lines[499] = b"[1, 2]"  # line 500: JSON, but not an object (a row)
    lines[999] = b'{"id": '  # line 1000
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    f = JsonlFile(path=str(path))
    good = [i for i in range(1, 1_001) if i not in (10, 500, 1000)]

    with pytest.raises(JsonlDecodeError) as caught:
        list(f.iter_arrow_batches_sync())
    assert caught.value.line_number == 10 and "bad.jsonl, line 10: not valid JSON" in str(caught.value)

    with caplog.at_level(logging.WARNING, logger="flyteplugins.jsonl"):
        table = pa.Table.from_batches(list(f.iter_arrow_batches_sync(on_error="skip")))
    assert table.column("id").to_pylist() == good
    assert [r.getMessage().split(": skipped")[0] for r in caplog.records] == [
        f"{path}, line 10", f"{path}, line 500", f"{path}, line 1000"
    ]
    assert "not a JSON object" in caplog.records[1].getMessage()

    seen = []
    batches = [b async for b in f.iter_arrow_batches(on_error=lambda n, raw, e: seen.append((n, raw)))]
    assert pa.Table.from_batches(batches).column("id").to_pylist() == good
    assert seen == [(10, b"{broken"), (500, b"[1, 2]"), (1000, b'{"id": ')]


def test_lines_longer_than_arrows_block(tmp_path):
    recs = [{"i": i, "blob": "b" * 3_000_000} for i in range(3)] + [{"i": 3, "blob": ""}]
    f = write(tmp_path / "wide.jsonl", recs)
    table = pa.Table.from_batches(list(f.iter_arrow_batches_sync()))
    assert table.column("i").to_pylist() == [0, 1, 2, 3]


def test_empty_input_gives_no_batches(tmp_path):
    f = write(tmp_path / "empty.jsonl.zst", [])
    assert list(f.iter_arrow_batches_sync()) == []
    blank = tmp_path / "blank.jsonl"
    blank.write_bytes(b"\n\n  \n")
    assert list(JsonlFile(path=str(blank)).iter_arrow_batches_sync()) == []


@pytest.mark.subprocess
def test_without_pyarrow_the_error_names_the_extra(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"a": 1}\n')
    code = textwrap.dedent(
        f"""
        import sys
        class NoArrow:
            def find_spec(self, name, path=None, target=None):
                if name == "pyarrow" or name.startswith("pyarrow."):
                    raise ImportError("No module named 'pyarrow'")
        sys.meta_path.insert(0, NoArrow())
        from flyteplugins.jsonl import JsonlFile
        f = JsonlFile(path={str(path)!r})
        assert list(f.iter_records_sync()) == [{{"a": 1}}]  # everything else works without pyarrow
        try:
            f.iter_arrow_batches_sync()
        except ModuleNotFoundError as e:
            print(e)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    assert "pip install 'flyteplugins-jsonl[arrow]'" in proc.stdout
