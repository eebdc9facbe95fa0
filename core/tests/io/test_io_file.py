"""flyte.io.File: uploads, streaming reads and writes, downloads, and File as task input and output."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from pathlib import Path

import pytest

import flyte
from flyte.io import File
from flyte.types import TypeEngine

env = flyte.TaskEnvironment(name="io-file-tests")


def test_flyte_exports_the_io_types():
    from flyte import io
    from flyte.io import DataFrame, Dir

    assert flyte.File is File and flyte.Dir is Dir and flyte.Directory is Dir and flyte.DataFrame is DataFrame
    assert set(io.__all__) >= {"File", "Dir", "Directory", "DataFrame", "PARQUET"}


# ------------------------------------------------------------------------ outside a run


def test_from_local_uploads_the_bytes_now(store, tmp_path):
    src = tmp_path / "notes.txt"
    src.write_text("first")
    f = File.from_local_sync(src)
    src.write_text("second, longer content")  # rewriting the source changes nothing uploaded
    assert f.name == "notes.txt" and f.path.endswith("/notes.txt")
    store.assert_in_store(f.path)
    assert store.read(f.path) == b"first"
    with f.open_sync("rb") as fh:
        assert fh.read() == b"first"
    with f.open_sync("r") as fh:
        assert fh.read() == "first"
    assert f.exists_sync()


@pytest.mark.asyncio
async def test_async_api(store, tmp_path):
    src = tmp_path / "a.bin"
    src.write_bytes(b"\x00\x01" * 1000)
    f = await File.from_local(src)
    store.assert_in_store(f.path)
    assert await f.exists()
    async with f.open("rb") as fh:
        assert await fh.read(4) == b"\x00\x01\x00\x01"
        assert len(await fh.read()) == 1996
    local = await f.download(tmp_path / "out.bin")
    assert Path(local).read_bytes() == src.read_bytes()


def test_download_default_and_into_a_directory(store, tmp_path):
    src = tmp_path / "d.txt"
    src.write_text("data")
    f = File.from_local_sync(src)
    default = Path(f.download_sync())
    assert default.name == "d.txt" and default.read_text() == "data"
    target_dir = tmp_path / "into"
    target_dir.mkdir()
    assert Path(f.download_sync(target_dir)) == target_dir / "d.txt"
    assert (target_dir / "d.txt").read_text() == "data"


def test_hash_method(store, tmp_path):
    src = tmp_path / "h.txt"
    src.write_bytes(b"hash me")
    f = File.from_local_sync(src, hash_method="sha256")
    assert f.hash == hashlib.sha256(b"hash me").hexdigest()
    lit = TypeEngine.to_literal_sync(f, File)
    assert lit.hash == f.hash
    assert TypeEngine.to_python_value_sync(lit, File) == f
    with pytest.raises(ValueError, match="Unknown hash_method 'nope'.*sha256"):
        File.from_local_sync(src, hash_method="nope")


def test_new_remote_written_with_open(store):
    f = File.new_remote("report.csv")
    assert not f.exists_sync()
    with f.open_sync("w") as fh:
        fh.write("a,b\n1,2\n")
    store.assert_in_store(f.path)
    with f.open_sync("r") as fh:
        assert fh.read() == "a,b\n1,2\n"


def test_a_failed_write_leaves_nothing(store):
    f = File.new_remote("broken.bin")
    with pytest.raises(RuntimeError, match="boom"), f.open_sync("wb") as fh:
        fh.write(b"partial data")
        raise RuntimeError("boom")
    assert not f.exists_sync()
    assert store.keys() == []


def test_from_existing_remote_moves_nothing(store, tmp_path):
    src = tmp_path / "x.txt"
    src.write_text("x")
    uploaded = File.from_local_sync(src)
    before = store.keys()
    ref = File.from_existing_remote(uploaded.path)
    assert ref.path == uploaded.path and ref.name == "x.txt"
    assert store.keys() == before
    with ref.open_sync("rb") as fh:
        assert fh.read() == b"x"


def test_missing_local_path_is_a_clear_error(store, tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(FileNotFoundError, match=r"File.from_local_sync: no file at .*nope.txt"):
        File.from_local_sync(missing)
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        asyncio.run(File.from_local(missing))
    with pytest.raises(IsADirectoryError, match="use Dir.from_local"):
        File.from_local_sync(tmp_path)
    assert store.keys() == []


def test_reading_a_file_that_was_never_written(store):
    f = File.new_remote("never.txt")
    with pytest.raises(FileNotFoundError):
        f.download_sync()
    with pytest.raises(FileNotFoundError), f.open_sync("rb"):
        pass


def test_unsupported_mode():
    with pytest.raises(ValueError, match="Unsupported open mode 'a'"), File(path="/tmp/x").open_sync("a"):
        pass


def test_a_path_is_not_a_file():
    with pytest.raises(Exception, match=r"Expected a File, got str.*File.from_local"):
        TypeEngine.to_literal_sync("/tmp/x.txt", File)


def test_literal_round_trip_keeps_name_format_and_hash():
    f = File(path="/store/abc/data.bin", name="original.csv", format="csv", hash="h1")
    lit = TypeEngine.to_literal_sync(f, File)
    assert lit.scalar.blob.uri == "/store/abc/data.bin"
    assert TypeEngine.to_python_value_sync(lit, File) == f
    assert TypeEngine.guess_python_type(TypeEngine.to_literal_type(File)) is File


# ------------------------------------------------------------------------ inside runs


@env.task
async def write_text(name: str) -> File:
    # The docs' pattern: every call rewrites the same local path, then uploads it.
    with open("test.txt", "w") as f:
        f.write(f"hello world {name}")
    return await File.from_local("test.txt")


@env.task
async def three_writers() -> list[File]:
    return list(await asyncio.gather(*(write_text(name=n) for n in ["Alice", "Bob", "Eve"])))


@env.task
async def read_text(f: File) -> str:
    async with f.open("rb") as fh:
        return (await fh.read()).decode()


def test_concurrent_tasks_upload_their_own_contents(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = flyte.run(three_writers).outputs()[0]
    contents = [store.read(f.path).decode() for f in files]
    assert contents == ["hello world Alice", "hello world Bob", "hello world Eve"]
    assert len({f.path for f in files}) == 3
    for f in files:
        store.assert_in_store(f.path)


@env.task
async def produce(text: str) -> File:
    f = File.new_remote("made.txt")
    async with f.open("w") as fh:
        await fh.write(text)
    return f


@env.task
async def relay(f: File) -> File:
    return f  # passes the reference on: no data moves


@env.task
async def produce_relay_read(text: str) -> str:
    return await read_text(await relay(await produce(text)))


def test_data_moves_only_when_opened(store):
    run = flyte.run(produce_relay_read, "passed along")
    assert run.outputs()[0] == "passed along"
    # one object was written, by `produce`; relaying and reading copied nothing
    assert len(store.keys()) == 1


def test_file_lives_in_the_run_data_area(store, tmp_path):
    @env.task
    async def where() -> tuple[str, File]:
        f = File.named_remote("same.txt")
        with f.open_sync("w") as fh:
            fh.write("x")
        assert File.named_remote("same.txt").path == f.path
        return flyte.ctx().raw_data_path.path, f

    run = flyte.run(where)
    raw, f = run.outputs()
    if store.remote:
        assert f.path.startswith(f"s3://{store.bucket}/data/runs/{run.name}/data/")
    else:
        assert f.path.startswith(raw + "/") and raw.startswith(str(store.home))
    store.assert_in_store(f.path)


@dataclasses.dataclass
class Bundle:
    label: str
    main: File
    extras: list[File]
    by_name: dict[str, File]


@env.task
async def make_bundle(base: str) -> Bundle:
    files = {}
    for name in ("a", "b"):
        path = Path(base) / f"{name}.txt"
        path.write_text(f"content {name}")
        files[name] = await File.from_local(path)
    return Bundle(label="two", main=files["a"], extras=[files["b"]], by_name=files)


@env.task
async def read_bundle(bundle: Bundle) -> list[str]:
    out = [await read_text(bundle.main)]
    out += [await read_text(f) for f in bundle.extras]
    out += [await read_text(bundle.by_name[k]) for k in sorted(bundle.by_name)]
    return out


@env.task
async def bundle_pipeline(base: str) -> list[str]:
    return await read_bundle(await make_bundle(base))


def test_files_nested_in_dataclasses_lists_and_dicts(store, tmp_path):
    run = flyte.run(bundle_pipeline, str(tmp_path))
    assert run.outputs()[0] == ["content a", "content b", "content a", "content b"]


def test_sync_api_inside_sync_tasks(store, tmp_path):
    src = tmp_path / "s.txt"
    src.write_text("sync world")

    @env.task
    def upload(path: str) -> File:
        return File.from_local_sync(path)

    @env.task
    def download(f: File) -> str:
        return Path(f.download_sync()).read_text()

    @env.task
    def sync_pipeline(path: str) -> str:
        return download(upload(path))

    assert flyte.run(sync_pipeline, str(src)).outputs()[0] == "sync world"
