"""JsonlFile and JsonlDir as task inputs and outputs: registration, literals, runs, sync tasks."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from importlib import metadata

import pytest

import flyte
import flyteplugins.jsonl
from flyte.io import Dir, File
from flyte.models import ActionPhase
from flyte.testing import TypeTransformerConformance
from flyte.types import TypeEngine
from flyteplugins.jsonl import JsonlDir, JsonlFile

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class TestJsonlFileTransformer(TypeTransformerConformance):
    transformer = TypeEngine.get_transformer(File)
    python_type = JsonlFile
    sample_values = [
        JsonlFile(path="/data/results.jsonl"),
        JsonlFile(path="s3://bucket/x/results.jsonl.zst", name="renamed.jsonl.zst", hash="abc123"),
    ]
    wrong_values = ["/data/results.jsonl", File(path="/data/results.jsonl"), 42]
    guessed_type = File  # a literal does not say which File subclass produced it


class TestJsonlDirTransformer(TypeTransformerConformance):
    transformer = TypeEngine.get_transformer(Dir)
    python_type = JsonlDir
    sample_values = [JsonlDir(path="/data/dataset"), JsonlDir(path="s3://bucket/dataset", hash="key-1")]
    wrong_values = ["/data/dataset", Dir(path="/data/dataset"), JsonlFile(path="/data/a.jsonl")]
    guessed_type = Dir


def test_the_entry_point_registers_both_types():
    (ep,) = [e for e in metadata.entry_points(group="flyte.plugins.types") if e.name == "jsonl"]
    assert ep.value == "flyteplugins.jsonl:register" and ep.load() is flyteplugins.jsonl.register
    flyteplugins.jsonl.register()
    flyteplugins.jsonl.register()  # idempotent
    registered = TypeEngine.get_available_transformers()
    assert registered[JsonlFile] is TypeEngine.get_transformer(File)
    assert registered[JsonlDir] is TypeEngine.get_transformer(Dir)


def test_literals_carry_the_jsonl_format():
    lit = TypeEngine.to_literal_sync(JsonlFile(path="/d/a.jsonl"), JsonlFile)
    assert lit.scalar.blob.metadata.type.format == "jsonl"
    # a plain File received as a JsonlFile reads as JSONL all the same
    plain = TypeEngine.to_literal_sync(File(path="/d/a.jsonl"), File)
    got = TypeEngine.to_python_value_sync(plain, JsonlFile)
    assert type(got) is JsonlFile and got.format == "jsonl" and got.path == "/d/a.jsonl"


@pytest.mark.subprocess
def test_importing_the_package_loads_no_pyarrow_and_registers_through_discovery():
    code = textwrap.dedent(
        """
        import sys
        from flyte.types import TypeEngine
        from flyte.io import File
        import flyteplugins.jsonl
        assert "pyarrow" not in sys.modules
        # discovery (lazy, at the first lookup) calls register(): the type is in the registry
        assert TypeEngine.get_available_transformers()[flyteplugins.jsonl.JsonlFile] is TypeEngine.get_transformer(File)
        print("ok", "pyarrow" in sys.modules)
        """
    )
    env = dict(os.environ, FLYTE_STRICT_PLUGINS="1")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ok", "False"]


env = flyte.TaskEnvironment(name="jsonl-types")


@env.task
async def produce(n: int) -> JsonlFile:
    out = JsonlFile.new_remote("numbers.jsonl.zst")
    async with out.writer() as w:
        for i in range(n):
            await w.write({"i": i})
    return out


@env.task
async def produce_dir(n: int, per_shard: int) -> JsonlDir:
    out = JsonlDir.new_remote("numbers/")
    async with out.writer(max_records_per_shard=per_shard) as w:
        for i in range(n):
            await w.write({"i": i})
    return out


@env.task
def total(data: JsonlFile) -> int:
    return sum(r["i"] for r in data.iter_records_sync())


@env.task
async def total_dir(data: JsonlDir) -> int:
    return sum([r["i"] async for r in data.iter_records()])


@env.task
def shards_of(data: JsonlDir) -> list[str]:
    with data.writer_sync(max_records_per_shard=1) as w:  # appending inside another task
        w.write({"i": -1})
    return [f.name for f in data.walk_sync()]


@env.task
async def pipeline(n: int) -> tuple[int, int]:
    f = await produce(n=n)
    d = await produce_dir(n=n, per_shard=1_000)
    return await total.aio(data=f), await total_dir(data=d)


@env.task
async def as_plain_file(data: File) -> str:
    async with data.open("rb") as fh:
        head = await fh.read(4)
    compressed = head == ZSTD_MAGIC
    return f"{type(data).__name__} {data.format} {compressed}"


def test_files_and_dirs_pass_between_tasks(flyte_home):
    run = flyte.run(pipeline, n=2_500)
    assert run.phase == ActionPhase.SUCCEEDED
    assert run.outputs()[0] == run.outputs()[1] == sum(range(2_500))
    f = flyte.run(produce, n=10).outputs()[0]
    assert isinstance(f, JsonlFile) and f.path.startswith(str(flyte_home / "runs"))
    assert list(f.iter_records_sync()) == [{"i": i} for i in range(10)]
    # received as a plain File by a task that doesn't know about JSONL
    assert flyte.run(as_plain_file, data=f).outputs()[0] == "File jsonl True"


def test_a_sync_task_appends_to_a_dataset(flyte_home):
    d = flyte.run(produce_dir, n=5, per_shard=2).outputs()[0]
    assert flyte.run(shards_of, data=d).outputs()[0] == [f"part-0000{k}.jsonl" for k in range(4)]
    assert [r["i"] for r in d.iter_records_sync()] == [0, 1, 2, 3, 4, -1]
