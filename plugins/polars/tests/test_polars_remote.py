"""Remote storage: polars reads the blob store with the store's URI, endpoint and credentials.

Writes go through Flyte's storage (s3fs); reads through polars' own S3 client. The counting
proxy in front of moto records every request, so these tests check what polars actually sent:
which access key signed it, in which region, with which session token.
"""

from __future__ import annotations

import json
import logging

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import flyte
from flyte.types import TypeEngine
from flyteplugins.polars import _storage


def frame() -> pl.DataFrame:
    return pl.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})


def polars_requests(store) -> list:
    found = [e for e in store.proxy.reads(store.bucket) if e.by_polars]
    assert found, "polars sent no request for stored data"
    return found


def read_back(store, lazy: bool = True) -> pl.DataFrame:
    lit = TypeEngine.to_literal_sync(frame(), pl.DataFrame)
    store.assert_in_store(lit.scalar.structured_dataset.uri)
    store.proxy.reset()
    back = TypeEngine.to_python_value_sync(lit, pl.LazyFrame if lazy else pl.DataFrame)
    back = back.collect() if lazy else back
    assert_frame_equal(back, frame())
    return back


def set_options(monkeypatch, store, **options) -> None:
    monkeypatch.setenv("FLYTE_BLOB_OPTIONS", json.dumps({"endpoint_url": store.proxy.url, **options}))


def test_a_run_keeps_its_data_in_the_bucket(s3_store):
    env = flyte.TaskEnvironment("polars-remote")

    @env.task
    async def produce() -> pl.LazyFrame:
        return frame().lazy()

    @env.task
    async def double(lf: pl.LazyFrame) -> pl.DataFrame:
        return lf.with_columns(pl.col("a") * 2).collect()

    @env.task
    async def pipeline() -> pl.DataFrame:
        return await double(lf=await produce())

    run = flyte.run(pipeline)
    assert_frame_equal(run.outputs()[0], frame().with_columns(pl.col("a") * 2))
    keys = s3_store.keys()
    assert len(keys) >= 2 and all(k.startswith("data/runs/") and k.endswith("/part-00000.parquet") for k in keys)
    assert s3_store.local_data_files() == []
    assert any(e.by_polars for e in s3_store.proxy.reads(s3_store.bucket))


@pytest.mark.parametrize("lazy", [True, False], ids=["lazy", "eager"])
def test_polars_signs_with_the_keys_and_session_token_of_the_blob_options(s3_store, monkeypatch, lazy):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    set_options(monkeypatch, s3_store, key="AKIDFROMOPTIONS", secret="s3cr3t", token="session-token-from-options")
    read_back(s3_store, lazy)
    for e in polars_requests(s3_store):
        assert "Credential=AKIDFROMOPTIONS/" in (e.header("Authorization") or "")
        assert e.header("x-amz-security-token") == "session-token-from-options"


def test_polars_signs_with_a_session_token_from_the_environment(s3_store, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token-from-env")
    read_back(s3_store)
    for e in polars_requests(s3_store):
        assert "Credential=AKIDFROMENV/" in (e.header("Authorization") or "")
        assert e.header("x-amz-security-token") == "session-token-from-env"


def test_the_region_of_the_client_options_is_used(s3_store, monkeypatch):
    set_options(monkeypatch, s3_store, client_kwargs={"region_name": "eu-west-3"})
    read_back(s3_store)
    for e in polars_requests(s3_store):
        assert "/eu-west-3/s3/aws4_request" in (e.header("Authorization") or "")


def test_an_aws_profile_named_in_the_blob_options(s3_store, monkeypatch, tmp_path):
    credentials = tmp_path / "credentials"
    credentials.write_text(
        "[flyte-polars]\naws_access_key_id = AKIDFROMPROFILE\naws_secret_access_key = profile-secret\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    set_options(monkeypatch, s3_store, profile="flyte-polars")
    read_back(s3_store)
    for e in polars_requests(s3_store):
        assert "Credential=AKIDFROMPROFILE/" in (e.header("Authorization") or "")


def test_anonymous_access_sends_no_signature(s3_store, monkeypatch):
    lit = TypeEngine.to_literal_sync(frame(), pl.DataFrame)
    bucket = s3_store.bucket
    public_read = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"},
            {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"},
        ],
    }
    s3_store.client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read))
    set_options(monkeypatch, s3_store, anon=True)
    s3_store.proxy.reset()
    assert_frame_equal(TypeEngine.to_python_value_sync(lit, pl.LazyFrame).collect(), frame())
    for e in polars_requests(s3_store):
        assert e.header("Authorization") is None


# ------------------------------------------------------------------------------ translation


def test_s3fs_options_translate_to_polars_options():
    options, unknown, profile = _storage.s3_options(
        {
            "key": "K",
            "secret": "S",
            "token": "T",
            "endpoint_url": "http://127.0.0.1:9000",
            "client_kwargs": {"region_name": "eu-central-1"},
            "config_kwargs": {"s3": {"addressing_style": "virtual"}},
            "requester_pays": True,
            "use_listings_cache": False,
            "mystery": 1,
        }
    )
    assert options == {
        "aws_access_key_id": "K",
        "aws_secret_access_key": "S",
        "aws_session_token": "T",
        "aws_region": "eu-central-1",
        "aws_endpoint_url": "http://127.0.0.1:9000",
        "aws_allow_http": "true",
        "aws_request_payer": "true",
        "aws_virtual_hosted_style_request": "true",
    }
    assert unknown == ["mystery"] and profile is None


def test_credentials_may_come_through_client_kwargs(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    options, unknown, _ = _storage.s3_options(
        {"client_kwargs": {"aws_access_key_id": "K", "aws_secret_access_key": "S", "endpoint_url": "https://x"}}
    )
    assert options == {"aws_access_key_id": "K", "aws_secret_access_key": "S", "aws_endpoint_url": "https://x"}
    assert unknown == []


def test_gcs_and_azure_options_translate():
    assert _storage.gcs_options({"token": "/keys/sa.json", "project": "p"}) == {
        "google_service_account_path": "/keys/sa.json"
    }
    assert _storage.gcs_options({"token": "anon"}) == {"google_skip_signature": "true"}
    assert _storage.gcs_options({"token": {"type": "service_account"}}) == {
        "google_service_account_key": '{"type": "service_account"}'
    }
    assert _storage.gcs_options({}) == {}
    assert _storage.azure_options({"account_name": "acct", "sas_token": "sv=1", "anon": False}) == {
        "azure_storage_account_name": "acct",
        "azure_storage_sas_token": "sv=1",
    }


def test_untranslatable_options_are_named_once(monkeypatch, caplog):
    monkeypatch.setenv("FLYTE_BLOB_OPTIONS", json.dumps({"endpoint_url": "http://h:1", "odd_option": 1}))
    with caplog.at_level(logging.WARNING, logger="flyteplugins.polars"):
        kwargs = _storage.scan_options("s3://bucket/key")
        _storage.scan_options("s3://bucket/other")
    assert kwargs["storage_options"]["aws_endpoint_url"] == "http://h:1"
    warnings = [r.getMessage() for r in caplog.records if "odd_option" in r.getMessage()]
    assert len(warnings) == 1 and "FLYTE_BLOB_OPTIONS" in warnings[0]
    assert _storage.scan_options("/local/path") == {}
