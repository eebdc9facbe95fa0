"""Fixtures: a FLYTE_HOME per test, and an S3 store served by moto on loopback for the remote tests."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def flyte_home(tmp_path, monkeypatch):
    """Every test journals into its own FLYTE_HOME, and offloads data locally unless it asks for S3."""
    home = tmp_path / "flyte-home"
    monkeypatch.setenv("FLYTE_HOME", str(home))
    monkeypatch.delenv("FLYTE_BLOB_URI", raising=False)
    return home


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


@dataclass
class Bucket:
    """A fresh S3 bucket that Flyte offloads data to (``FLYTE_BLOB_URI``)."""

    name: str
    client: Any

    @property
    def uri(self) -> str:
        return f"s3://{self.name}"

    def keys(self, prefix: str = "") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


@pytest.fixture
def s3_bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Bucket:
    import boto3

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    name = f"jsonl-test-{secrets.token_hex(4)}"
    client = boto3.client("s3", endpoint_url=moto_endpoint)
    client.create_bucket(Bucket=name)
    monkeypatch.setenv("FLYTE_BLOB_URI", f"s3://{name}/data")
    monkeypatch.setenv("FLYTE_BLOB_OPTIONS", json.dumps({"endpoint_url": moto_endpoint}))
    return Bucket(name, client)
