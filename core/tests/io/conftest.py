"""The blob stores the I/O tests run against: the local store, and S3 served by moto on loopback.

Tests that take the `store` fixture run once per store. The S3 variant starts moto's real
server (``ThreadedMotoServer``) on 127.0.0.1 with a free port, makes a fresh bucket per test,
and points Flyte at it through ``FLYTE_BLOB_URI`` / ``FLYTE_BLOB_OPTIONS``; it is skipped, with
the reason, when moto or s3fs is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flyte_fixtures import StoreUnderTest, moto_s3_server, s3_test_bucket


@dataclass
class Store(StoreUnderTest):
    """The store a test runs against, with ways to check where data landed (`StoreUnderTest`)."""

    prefix: str = ""

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
    with moto_s3_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["local", "s3"])
def store(request, flyte_home: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    if request.param == "local":
        monkeypatch.delenv("FLYTE_BLOB_URI", raising=False)
        return Store("local", flyte_home)
    bucket = s3_test_bucket(monkeypatch, request.getfixturevalue("moto_endpoint"), name_prefix="flyte-test")
    return Store("s3", flyte_home, bucket=bucket.name, client=bucket.client, prefix="data")
