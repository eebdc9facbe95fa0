"""How polars reaches the blob store: the path it reads, and object-store options for it.

Flyte's storage layer writes and lists through fsspec, configured by ``FLYTE_BLOB_URI`` and
``FLYTE_BLOB_OPTIONS`` (a JSON object of fsspec options). Polars reads remote data with its own
object-store client, which takes differently named options; ``scan_options`` translates the
fsspec options for S3 (s3fs), GCS (gcsfs) and Azure (adlfs) into polars' ``storage_options``.
Credentials that are not in ``FLYTE_BLOB_OPTIONS`` (``AWS_ACCESS_KEY_ID``,
``AWS_SESSION_TOKEN``, ``GOOGLE_APPLICATION_CREDENTIALS``, ...) are found by polars itself in the
environment, as fsspec finds them.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from flyte.io.extend import local_path, protocol_of, storage_options

logger = logging.getLogger("flyteplugins.polars")

#: The variable ``storage_options()`` reads, named in messages.
BLOB_OPTIONS_ENV = "FLYTE_BLOB_OPTIONS"

#: URI schemes polars reads itself (lazily, with projection and predicate pushdown).
NATIVE_SCHEMES = frozenset(
    {"s3", "s3a", "gs", "gcs", "gcp", "az", "azure", "abfs", "abfss", "adl", "http", "https", "hf"}
)
_S3 = frozenset({"s3", "s3a"})
_GCS = frozenset({"gs", "gcs", "gcp"})
_AZURE = frozenset({"az", "azure", "abfs", "abfss", "adl"})

#: fsspec options that tune caching, listing or concurrency only: nothing for polars to translate.
_TUNING = frozenset(
    {
        "asynchronous",
        "loop",
        "skip_instance_cache",
        "use_listings_cache",
        "listings_expiry_time",
        "max_paths",
        "default_block_size",
        "default_fill_cache",
        "default_cache_type",
        "cache_regions",
        "max_concurrency",
        "fixed_upload_size",
        "s3_additional_kwargs",  # upload arguments (encryption, ACLs): reads need none
        "version_aware",
        "use_ssl",  # the endpoint's scheme says it
        "project",  # gcsfs: billing project for bucket creation, not needed to read
        "requests_timeout",
        "timeout",
        "blocksize",
    }
)

_warned: set[str] = set()


def polars_path(uri: str) -> str:
    """The path or URL polars opens for `uri` (a ``file://`` URI becomes a plain path)."""
    path = local_path(uri)
    return uri if path is None else str(path)


def reads_natively(uri: str) -> bool:
    """Whether polars can open `uri` itself (else the data must be downloaded first)."""
    protocol = protocol_of(uri)
    return protocol == "file" or protocol in NATIVE_SCHEMES


def scan_options(uri: str) -> dict[str, Any]:
    """Keyword arguments for ``pl.scan_parquet`` to read `uri` from the configured blob store.

    Empty for local paths. For object stores: ``storage_options`` translated from
    ``FLYTE_BLOB_OPTIONS``, and a ``credential_provider`` when the options name an AWS profile.
    """
    protocol = protocol_of(uri)
    if protocol == "file":
        return {}
    options = storage_options()
    if protocol in _S3:
        storage, unknown, profile = s3_options(options)
    elif protocol in _GCS:
        storage, unknown, profile = gcs_options(options), _unknown(options, _GCS_KEYS), None
    elif protocol in _AZURE:
        storage, unknown, profile = azure_options(options), _unknown(options, _AZURE_KEYS), None
    else:  # http(s), hf: public URLs, nothing of the blob store's configuration applies
        storage, unknown, profile = {}, [], None
    _warn_unknown(protocol, unknown)
    kwargs: dict[str, Any] = {}
    if storage:
        kwargs["storage_options"] = storage
    if profile:
        import polars as pl

        kwargs["credential_provider"] = pl.CredentialProviderAWS(profile_name=profile)
    return kwargs


def describe(kwargs: dict[str, Any]) -> str:
    """The option names in `kwargs`, for error messages (values may be secrets)."""
    names = sorted(kwargs.get("storage_options") or {})
    if "credential_provider" in kwargs:
        names.append("credential_provider")
    return ", ".join(names) or "none"


# ------------------------------------------------------------------------------ S3 (s3fs)

_S3_KEYS = frozenset(
    {"key", "secret", "token", "anon", "endpoint_url", "client_kwargs", "config_kwargs", "profile", "requester_pays"}
)


def s3_options(options: dict[str, Any]) -> tuple[dict[str, str], list[str], str | None]:
    """s3fs options -> (polars storage options, untranslated keys, AWS profile name)."""
    client = dict(options.get("client_kwargs") or {})
    config = dict(options.get("config_kwargs") or {})
    out: dict[str, str] = {}

    def put(name: str, value: Any) -> None:
        if value not in (None, ""):
            out[name] = str(value)

    from_client = {k: client.pop(k, None) for k in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")}
    put("aws_access_key_id", options.get("key") or from_client["aws_access_key_id"])
    put("aws_secret_access_key", options.get("secret") or from_client["aws_secret_access_key"])
    put("aws_session_token", options.get("token") or from_client["aws_session_token"])
    put("aws_region", client.pop("region_name", None) or config.pop("region_name", None))
    client_endpoint = client.pop("endpoint_url", None)
    endpoint = (
        options.get("endpoint_url")
        or client_endpoint
        or os.environ.get("AWS_ENDPOINT_URL_S3")
        or os.environ.get("AWS_ENDPOINT_URL")
    )
    put("aws_endpoint_url", endpoint)
    if endpoint and str(endpoint).lower().startswith("http://"):
        out["aws_allow_http"] = "true"
    if _truthy(options.get("anon")):
        out["aws_skip_signature"] = "true"
    if _truthy(options.get("requester_pays")):
        out["aws_request_payer"] = "true"
    style = (config.pop("s3", None) or {}).get("addressing_style")
    if style in ("virtual", "path"):
        out["aws_virtual_hosted_style_request"] = "true" if style == "virtual" else "false"
    unknown = _unknown(options, _S3_KEYS)
    unknown += [f"client_kwargs.{k}" for k in sorted(client)]
    profile = options.get("profile")
    return out, unknown, str(profile) if profile else None


# ------------------------------------------------------------------------------ GCS (gcsfs)

_GCS_KEYS = frozenset({"token"})


def gcs_options(options: dict[str, Any]) -> dict[str, str]:
    """gcsfs options -> polars storage options (credentials only; the rest comes from the environment)."""
    token = options.get("token")
    if token is None or token in ("google_default", "cloud", "browser"):
        return {}
    if token == "anon":
        return {"google_skip_signature": "true"}
    if isinstance(token, dict):
        return {"google_service_account_key": json.dumps(token)}
    return {"google_service_account_path": str(token)}


# ------------------------------------------------------------------------------ Azure (adlfs)

_AZURE_MAP = {
    "account_name": "azure_storage_account_name",
    "account_key": "azure_storage_account_key",
    "sas_token": "azure_storage_sas_token",
    "tenant_id": "azure_storage_tenant_id",
    "client_id": "azure_storage_client_id",
    "client_secret": "azure_storage_client_secret",
}
_AZURE_KEYS = frozenset({*_AZURE_MAP, "anon"})


def azure_options(options: dict[str, Any]) -> dict[str, str]:
    """adlfs options -> polars storage options."""
    out = {_AZURE_MAP[k]: str(v) for k, v in options.items() if k in _AZURE_MAP and v not in (None, "")}
    if _truthy(options.get("anon")):
        out["azure_skip_signature"] = "true"
    return out


# ------------------------------------------------------------------------------ helpers


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true", "yes")


def _unknown(options: dict[str, Any], known: frozenset[str]) -> list[str]:
    return sorted(k for k in options if k not in known and k not in _TUNING)


def _warn_unknown(protocol: str, keys: list[str]) -> None:
    fresh = [k for k in keys if f"{protocol}:{k}" not in _warned]
    if not fresh:
        return
    _warned.update(f"{protocol}:{k}" for k in fresh)
    logger.warning(
        "%s options %s have no polars equivalent and are not used when polars reads %s:// data; "
        "if reads fail, set the equivalent through the environment polars reads (AWS_*, GOOGLE_*, AZURE_*)",
        BLOB_OPTIONS_ENV,
        fresh,
        protocol,
    )
