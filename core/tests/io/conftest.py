"""The blob stores the I/O tests run against: the local store, and S3 served by moto on loopback.

Tests that take the `store` fixture run once per store. The S3 variant starts moto's real
server (``ThreadedMotoServer``) on 127.0.0.1 with a free port, makes a fresh bucket per test,
and points Flyte at it through ``FLYTE_BLOB_URI`` / ``FLYTE_BLOB_OPTIONS``; it is skipped, with
the reason, when moto or s3fs is not installed.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# The journal and the runtime's own blobs stay local whatever the store; anything else under
# FLYTE_HOME is offloaded data.
_RUNTIME_FILES = {"runs.db", "runs.db-wal", "runs.db-shm"}


@dataclass
class Store:
    """The store a test runs against, with ways to check where data landed."""

    kind: str
    home: Path
    bucket: str | None = None
    client: Any = None
    prefix: str = ""

    @property
    def remote(self) -> bool:
        return self.kind == "s3"

    def keys(self) -> list[str]:
        """Object keys in the bucket (S3), or offloaded data files under FLYTE_HOME (local)."""
        if self.remote:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
            return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))
        return sorted(str(p) for p in self.local_data_files())

    def local_data_files(self) -> list[Path]:
        """Files under FLYTE_HOME that are not the journal or its run pages."""
        if not self.home.exists():
            return []
        return [
            p
            for p in self.home.rglob("*")
            if p.is_file() and p.name not in _RUNTIME_FILES and p.suffix != ".html" and "sha256" not in p.parts
        ]

    def holds(self, uri: str) -> bool:
        """Whether data is stored at `uri` (an object, or objects under it as a prefix)."""
        if self.remote:
            assert uri.startswith(f"s3://{self.bucket}/"), f"{uri} is not in bucket {self.bucket}"
            key = uri[len(f"s3://{self.bucket}/") :]
            listed = self.client.list_objects_v2(Bucket=self.bucket, Prefix=key)
            return listed.get("KeyCount", 0) > 0
        return Path(uri).exists()

    def read(self, uri: str) -> bytes:
        if self.remote:
            key = uri[len(f"s3://{self.bucket}/") :]
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return Path(uri).read_bytes()

    def assert_in_store(self, uri: str) -> None:
        """The data at `uri` is in this store: in the bucket (and not on local disk) for S3."""
        assert self.holds(uri), f"no data at {uri}"
        if self.remote:
            assert uri.startswith(f"s3://{self.bucket}/{self.prefix}/")
            assert self.local_data_files() == [], f"offloaded data on local disk: {self.local_data_files()}"
        else:
            assert Path(uri).is_absolute() and str(self.home) in uri, f"{uri} is outside FLYTE_HOME {self.home}"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    pytest.importorskip("moto", reason="the S3 tests need moto's server: pip install 'moto[server]'")
    pytest.importorskip("s3fs", reason="the S3 tests need s3fs: pip install s3fs")
    pytest.importorskip("boto3", reason="the S3 tests need boto3: pip install boto3")
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(params=["local", "s3"])
def store(request, flyte_home: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    if request.param == "local":
        monkeypatch.delenv("FLYTE_BLOB_URI", raising=False)
        return Store("local", flyte_home)
    endpoint = request.getfixturevalue("moto_endpoint")
    import boto3

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    bucket = f"flyte-test-{secrets.token_hex(4)}"
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket=bucket)
    monkeypatch.setenv("FLYTE_BLOB_URI", f"s3://{bucket}/data")
    monkeypatch.setenv("FLYTE_BLOB_OPTIONS", json.dumps({"endpoint_url": endpoint}))
    return Store("s3", flyte_home, bucket=bucket, client=client, prefix="data")
