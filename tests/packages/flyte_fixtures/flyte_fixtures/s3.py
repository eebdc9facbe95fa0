"""S3 on loopback for tests: moto's server, a fresh bucket per test, and where data landed."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest


@contextmanager
def moto_s3_server() -> Iterator[str]:
    """Serve S3 with moto's real server (``ThreadedMotoServer``) on 127.0.0.1, on a free port.

    Yields the endpoint URL (``http://127.0.0.1:<port>``) and stops the server afterwards. Under
    pytest, skips the test (with the reason) when moto, s3fs or boto3 is not installed.
    """
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


@dataclass
class S3Bucket:
    """An S3 bucket of a test, with a boto3 client to look inside it."""

    name: str
    client: Any

    @property
    def uri(self) -> str:
        """``s3://<name>``."""
        return f"s3://{self.name}"

    def keys(self, prefix: str = "") -> list[str]:
        """The bucket's object keys under `prefix`, sorted."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def read(self, key: str) -> bytes:
        """The bytes of the object at `key`."""
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


# Where else boto3 and s3fs look for credentials or an endpoint: cleared, so only the test's count.
_AWS_AMBIENT = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")


def s3_test_bucket(
    monkeypatch: Any,
    endpoint: str,
    *,
    name_prefix: str = "flyte-test",
    blob_endpoint: str | None = None,
    access_key_id: str = "testing",
    secret_access_key: str = "testing",
) -> S3Bucket:
    """Make a fresh bucket on the S3 server at `endpoint` Flyte's blob store for one test.

    Through `monkeypatch` (pytest's, so all is undone after the test) it sets the AWS credentials
    to `access_key_id` / `secret_access_key` in region us-east-1, clears the other variables boto3
    and s3fs read credentials or an endpoint from, and points ``FLYTE_BLOB_URI`` at
    ``s3://<bucket>/data`` and ``FLYTE_BLOB_OPTIONS`` at `blob_endpoint` (default `endpoint`; a
    proxy in front of the server, say). The bucket is named ``<name_prefix>-<8 hex digits>`` and
    created through a boto3 client of `endpoint`, which the returned `S3Bucket` carries.
    """

    import boto3

    for name, value in {
        "AWS_ACCESS_KEY_ID": access_key_id,
        "AWS_SECRET_ACCESS_KEY": secret_access_key,
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in _AWS_AMBIENT:
        monkeypatch.delenv(name, raising=False)
    bucket = f"{name_prefix}-{secrets.token_hex(4)}"
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket=bucket)
    monkeypatch.setenv("FLYTE_BLOB_URI", f"s3://{bucket}/data")
    monkeypatch.setenv("FLYTE_BLOB_OPTIONS", json.dumps({"endpoint_url": blob_endpoint or endpoint}))
    return S3Bucket(bucket, client)


@dataclass
class StoreUnderTest:
    """The blob store a test runs against, with ways to check where data landed.

    Either the local store (``kind="local"``: offloaded data are files under `home`, the test's
    ``FLYTE_HOME``) or S3 (``kind="s3"``: objects in `bucket`, read through the boto3 `client`).
    Suites subclass it to add checks of their own.
    """

    kind: str
    home: Path
    bucket: str | None = None
    client: Any = None

    #: The journal's files (SQLite in WAL mode): they stay under FLYTE_HOME whatever the store.
    JOURNAL_FILES: ClassVar[frozenset[str]] = frozenset({"runs.db", "runs.db-wal", "runs.db-shm"})

    @property
    def remote(self) -> bool:
        """Whether the store is S3 (else the local one)."""
        return self.kind == "s3"

    def keys(self) -> list[str]:
        """Object keys in the bucket (S3), or offloaded data files under FLYTE_HOME (local)."""
        if self.remote:
            return S3Bucket(str(self.bucket), self.client).keys()
        return sorted(str(p) for p in self.local_data_files())

    def local_data_files(self) -> list[Path]:
        """Files under FLYTE_HOME that are not the journal, its run pages or the runtime's own blobs."""
        if not self.home.exists():
            return []
        return [
            p
            for p in self.home.rglob("*")
            if p.is_file() and p.name not in self.JOURNAL_FILES and p.suffix != ".html" and "sha256" not in p.parts
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
        """The bytes stored at `uri`."""
        if self.remote:
            return S3Bucket(str(self.bucket), self.client).read(uri[len(f"s3://{self.bucket}/") :])
        return Path(uri).read_bytes()
