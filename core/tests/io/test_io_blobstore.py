"""The storage layer under flyte.io: locations, atomic writes, configuration, transient-failure retries."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from flyte._runtime import blobstore
from flyte._runtime.blobstore import BlobStore, FsspecStorage, LocalStorage, is_transient, storage_for


def test_blobstore_content_api_still_works(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    uri = store.put_content(b"payload")
    assert uri.startswith("file://") and store.get(uri) == b"payload"
    assert store.put_content(b"payload") == uri
    assert blobstore.local_path(uri).read_bytes() == b"payload"


def test_storage_is_chosen_by_uri(monkeypatch):
    assert isinstance(storage_for("/some/path"), LocalStorage)
    assert isinstance(storage_for("file:///some/path"), LocalStorage)
    pytest.importorskip("s3fs")
    assert isinstance(storage_for("s3://bucket/key"), FsspecStorage)


def test_unknown_protocol_names_the_fix():
    pytest.importorskip("fsspec")
    with pytest.raises(ImportError, match=r"No filesystem for nosuchproto://.*install"):
        storage_for("nosuchproto://x/y")


def test_bad_options_are_a_clear_error(monkeypatch):
    monkeypatch.setenv("FLYTE_BLOB_OPTIONS", "{not json")
    with pytest.raises(ValueError, match="FLYTE_BLOB_OPTIONS must be a JSON object"):
        storage_for("s3://bucket/key")


def test_data_locations(flyte_home, monkeypatch):
    monkeypatch.delenv("FLYTE_BLOB_URI", raising=False)
    assert blobstore.data_area() == str(flyte_home / "blobs" / "uploads")
    assert blobstore.run_data_path(flyte_home / "runs" / "r1") == str(flyte_home / "runs" / "r1" / "data")
    monkeypatch.setenv("FLYTE_BLOB_URI", "s3://bucket/prefix/")
    assert blobstore.data_area() == "s3://bucket/prefix/uploads"
    assert blobstore.run_data_path(flyte_home / "runs" / "r1") == "s3://bucket/prefix/runs/r1/data"
    first, second = blobstore.data_uri("x.txt"), blobstore.data_uri("x.txt")
    assert first != second and first.endswith("/x.txt")


def test_local_writes_are_atomic(tmp_path):
    local = LocalStorage()
    target = tmp_path / "out" / "obj.bin"
    with pytest.raises(RuntimeError), local.open_write(str(target)) as f:
        f.write(b"half")
        assert not target.exists()  # nothing visible while writing
        raise RuntimeError("interrupted")
    assert not target.exists() and list(target.parent.iterdir()) == []
    with local.open_write(str(target)) as f:
        f.write(b"whole")
    assert target.read_bytes() == b"whole"
    with pytest.raises(RuntimeError), local.write_dir_path(str(tmp_path / "d")) as staging:
        (staging / "a").write_text("a")
        raise RuntimeError("interrupted")
    assert not (tmp_path / "d").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_transient_errors_are_recognised():
    assert is_transient(ConnectionResetError())
    assert is_transient(TimeoutError())
    assert is_transient(OSError(errno.ECONNRESET, "reset"))
    assert not is_transient(FileNotFoundError("gone"))
    assert not is_transient(PermissionError("denied"))
    assert not is_transient(ValueError("bad"))

    class ClientError(Exception):
        response = {"Error": {"Code": "SlowDown"}}

    assert is_transient(OSError("wrapped")) is False
    wrapped = OSError("throttled")
    wrapped.__cause__ = ClientError()
    assert is_transient(wrapped)


@pytest.fixture
def flaky_protocol():
    """A real in-memory fsspec filesystem whose first calls fail the way a dropped connection does."""
    fsspec = pytest.importorskip("fsspec")
    from fsspec.implementations.memory import MemoryFileSystem

    class FlakyFileSystem(MemoryFileSystem):
        protocol = "flaky"
        store: dict = {}
        pseudo_dirs = [""]
        failures = 0
        calls = 0

        def put_file(self, lpath, rpath, **kwargs):
            type(self).calls += 1
            if type(self).failures > 0:
                type(self).failures -= 1
                raise ConnectionResetError("connection reset by peer")
            return super().put_file(lpath, rpath, **kwargs)

    fsspec.register_implementation("flaky", FlakyFileSystem, clobber=True)
    yield FlakyFileSystem
    FlakyFileSystem.store.clear()


def test_transient_failures_are_retried_with_backoff(flaky_protocol, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("FLYTE_BLOB_RETRIES", "4")
    src = tmp_path / "f.txt"
    src.write_text("eventually")
    flaky_protocol.failures = 2
    store = FsspecStorage("flaky")
    store.put_file(src, "flaky://bucket/f.txt")
    assert flaky_protocol.calls == 3
    assert store.fs.cat_file("flaky://bucket/f.txt") == b"eventually"
    assert "retry 1 of 3" in caplog.text and "retry 2 of 3" in caplog.text


def test_retries_give_up(flaky_protocol, tmp_path, monkeypatch):
    monkeypatch.setenv("FLYTE_BLOB_RETRIES", "2")
    src = tmp_path / "f.txt"
    src.write_text("never")
    flaky_protocol.failures = 5
    flaky_protocol.calls = 0
    with pytest.raises(ConnectionResetError):
        FsspecStorage("flaky").put_file(src, "flaky://bucket/g.txt")
    assert flaky_protocol.calls == 2


def test_local_read_path_of_missing_data(tmp_path):
    with pytest.raises(FileNotFoundError, match="No data at"), LocalStorage().read_path(str(tmp_path / "nope")):
        pass
    assert not Path(tmp_path / "nope").exists()


def test_extension_helpers_say_where_data_is(monkeypatch, tmp_path):
    from flyte.io.extend import local_path, protocol_of, storage_options

    assert local_path(str(tmp_path / "a.parquet")) == tmp_path / "a.parquet"
    assert local_path(f"file://{tmp_path}/a.parquet") == tmp_path / "a.parquet"
    assert local_path("s3://bucket/a.parquet") is None
    assert [protocol_of(u) for u in ("/x", "file:///x", "S3://b/x", "gs://b/x")] == ["file", "file", "s3", "gs"]
    monkeypatch.delenv("FLYTE_BLOB_OPTIONS", raising=False)
    assert storage_options() == {}
    monkeypatch.setenv("FLYTE_BLOB_OPTIONS", '{"key": "k", "client_kwargs": {"endpoint_url": "http://127.0.0.1:9"}}')
    assert storage_options() == {"key": "k", "client_kwargs": {"endpoint_url": "http://127.0.0.1:9"}}
    monkeypatch.setenv("FLYTE_BLOB_OPTIONS", "[1]")
    with pytest.raises(ValueError, match="FLYTE_BLOB_OPTIONS must be a JSON object"):
        storage_options()
