"""Page "Files and directories", section "JSONL files": every example, run through flyte.run.

The tasks are the page's (``examples/jsonl_examples.py``); the checks are what the page says
they do: how many records each writes and reads, how shards are named and compressed, what a
reader does with corrupt lines, and the Arrow analysis' result.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import orjson
import pytest
import zstandard

import flyte
import flyte.errors
from flyteplugins.jsonl import JsonlDir, JsonlFile

from ._support import EXAMPLES_DIR, actions_named, explain, run_file
from .examples import jsonl_examples as ex

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
SUM_OF_SQUARES = sum(i * i for i in range(500_000))


def lines_of(path: str) -> list[bytes]:
    data = Path(path).read_bytes()
    if data[:4] == ZSTD_MAGIC:
        data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
    assert data.endswith(b"\n")
    return data[:-1].split(b"\n")


def test_write_records_then_read_records(flyte_home):
    run = flyte.run(ex.write_records)
    out = run.outputs()[0]
    assert isinstance(out, JsonlFile) and out.name == "results.jsonl"
    assert out.path.startswith(str(flyte_home / "runs" / run.name / "data"))
    lines = lines_of(out.path)
    assert len(lines) == 500_000
    assert [orjson.loads(line) for line in (lines[0], lines[1], lines[-1])] == [
        {"id": 0, "score": 0.0},
        {"id": 1, "score": 0.1},
        {"id": 499_999, "score": 499_999 * 0.1},
    ]
    assert flyte.run(ex.read_records, data=out).outputs()[0] == 500_000


def test_write_compressed(flyte_home):
    out = flyte.run(ex.write_compressed).outputs()[0]
    assert out.path.endswith("results.jsonl.zst")
    assert Path(out.path).read_bytes()[:4] == ZSTD_MAGIC
    lines = lines_of(out.path)
    assert len(lines) == 100_000 and orjson.loads(lines[7]) == {"id": 7, "compressed": True}
    # "Reading compressed files requires no code changes"
    assert flyte.run(ex.read_records, data=out).outputs()[0] == 100_000


def test_write_large_dataset_then_sum_batches_and_arrow(flyte_home):
    dataset = flyte.run(ex.write_large_dataset).outputs()[0]
    assert isinstance(dataset, JsonlDir)
    shards = sorted(Path(dataset.path).iterdir())
    assert [p.name for p in shards] == [f"part-0000{k}.jsonl" for k in range(5)]
    assert [len(lines_of(str(p))) for p in shards] == [100_000] * 5
    assert orjson.loads(lines_of(str(shards[1]))[0]) == {"index": 100_000, "value": 100_000**2}

    assert flyte.run(ex.sum_values, dataset=dataset).outputs()[0] == SUM_OF_SQUARES
    assert flyte.run(ex.process_in_batches, dataset=dataset).outputs()[0] == 500_000
    assert flyte.run(ex.analyze_with_arrow, dataset=dataset).outputs()[0] == SUM_OF_SQUARES / 500_000


def test_write_compressed_dir(flyte_home):
    dataset = flyte.run(ex.write_compressed_dir).outputs()[0]
    shards = sorted(Path(dataset.path).iterdir())
    assert [p.name for p in shards] == [f"part-0000{k}.jsonl.zst" for k in range(4)]
    assert all(p.read_bytes()[:4] == ZSTD_MAGIC for p in shards)
    assert [len(lines_of(str(p))) for p in shards] == [50_000] * 4
    assert orjson.loads(lines_of(str(shards[3]))[-1]) == {"id": 199_999, "data": "payload-199999"}
    assert flyte.run(ex.process_in_batches, dataset=dataset).outputs()[0] == 200_000


def test_sum_values_over_mixed_shards_after_an_append(flyte_home):
    dataset = flyte.run(ex.write_large_dataset).outputs()[0]
    # "a writer on a directory that already contains shards ... continues from the next one"
    with dataset.writer_sync(shard_extension=".jsonl.zst", max_records_per_shard=10) as w:
        w.write_many({"index": i, "value": 1} for i in range(25))
    assert sorted(p.name for p in Path(dataset.path).iterdir()) == [f"part-0000{k}.jsonl" for k in range(5)] + [
        "part-00005.jsonl.zst", "part-00006.jsonl.zst", "part-00007.jsonl.zst"
    ]
    assert flyte.run(ex.sum_values, dataset=dataset).outputs()[0] == SUM_OF_SQUARES + 25


def corrupt_file(tmp_path: Path) -> JsonlFile:
    lines = [orjson.dumps({"id": i}) for i in range(10)]
    lines[3] = b'{"id": 3, "oops'  # line 4
    lines[7] = b"not json at all"  # line 8
    path = tmp_path / "corrupt.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return JsonlFile.from_local_sync(path)


def test_read_with_error_handling_skips_and_warns(tmp_path, caplog):
    data = corrupt_file(tmp_path)
    with caplog.at_level(logging.WARNING, logger="flyteplugins.jsonl"):
        run = flyte.run(ex.read_with_error_handling, data=data)
    assert run.outputs()[0] == 8
    warnings = [r.getMessage() for r in caplog.records if r.name == "flyteplugins.jsonl"]
    assert [re.search(r"line (\d+): skipped", w).group(1) for w in warnings] == ["4", "8"]


def test_read_with_custom_handler_collects_errors(tmp_path, capsys):
    data = corrupt_file(tmp_path)
    run = flyte.run(ex.read_with_custom_handler, data=data)
    assert run.outputs()[0] == 8
    assert "8 valid records, 2 errors\n" in capsys.readouterr().out
    assert actions_named(run, "read_with_custom_handler")[0].logs() == "8 valid records, 2 errors\n"


def test_the_default_reader_raises_with_the_file_and_line(tmp_path):
    data = corrupt_file(tmp_path)
    with pytest.raises(flyte.errors.RuntimeUserError, match=r"corrupt\.jsonl, line 4: not valid JSON") as caught:
        flyte.run(ex.read_records, data=data)
    assert caught.value.code == "JsonlDecodeError"


@pytest.mark.subprocess
def test_the_program_runs():
    proc = run_file(EXAMPLES_DIR / "jsonl_examples.py", timeout=300)
    assert proc.returncode == 0, explain(proc)
    assert [line for line in proc.stdout.splitlines() if ": " in line] == [
        "records: 500000",
        "compressed records: 100000",
        f"sum of values: {SUM_OF_SQUARES}",
        "records in batches: 500000",
        f"mean value: {SUM_OF_SQUARES / 500_000}",
        "compressed dataset records: 200000",
    ]
