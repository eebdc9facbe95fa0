"""Fixtures: a FLYTE_HOME per test, and an S3 store served by moto on loopback for the remote tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flyte_fixtures import S3Bucket, moto_s3_server, s3_test_bucket


@pytest.fixture(autouse=True)
def flyte_home(tmp_path, monkeypatch):
    """Every test journals into its own FLYTE_HOME, and offloads data locally unless it asks for S3."""
    home = tmp_path / "flyte-home"
    monkeypatch.setenv("FLYTE_HOME", str(home))
    monkeypatch.delenv("FLYTE_BLOB_URI", raising=False)
    return home


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_s3_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> S3Bucket:
    """A fresh S3 bucket that Flyte offloads data to (``FLYTE_BLOB_URI``)."""
    return s3_test_bucket(monkeypatch, moto_endpoint, name_prefix="jsonl-test")
