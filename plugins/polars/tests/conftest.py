"""Fixtures: a FLYTE_HOME per test, and the stores the tests run against.

`store` runs a test once on the local store and once on S3. The S3 variant starts moto's real
server (``ThreadedMotoServer``) on 127.0.0.1, makes a fresh bucket per test and points Flyte at
it through ``FLYTE_BLOB_URI`` / ``FLYTE_BLOB_OPTIONS`` (as core/tests/io does). Every request to
it passes through `CountingProxy`, a loopback HTTP proxy that records each request's method,
path, headers and the number of body bytes the server sent back: the tests measure how much
data a read fetched, and check which credentials polars signed with. Skipped, with the reason,
when moto, boto3 or s3fs is not installed.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flyte_fixtures import StoreUnderTest, moto_s3_server, s3_test_bucket

# Headers that belong to one connection, not to the request (RFC 9110 7.6.1), and Expect,
# which the proxy answers itself.
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "expect",
}


@pytest.fixture(autouse=True)
def flyte_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test journals into its own FLYTE_HOME, on the local store unless it asks for S3."""
    home = tmp_path / "flyte-home"
    monkeypatch.setenv("FLYTE_HOME", str(home))
    monkeypatch.delenv("FLYTE_BLOB_URI", raising=False)
    monkeypatch.delenv("FLYTE_BLOB_OPTIONS", raising=False)
    return home


# ------------------------------------------------------------------------------ the proxy


@dataclass
class Exchange:
    """One request through the proxy and what the server answered."""

    method: str
    path: str
    headers: dict[str, str]
    status: int
    response_bytes: int

    def header(self, name: str) -> str | None:
        """A request header, whatever its case."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    @property
    def by_polars(self) -> bool:
        """Whether polars' own object-store client sent it, not s3fs (which Flyte's storage uses)."""
        agent = (self.header("User-Agent") or "").lower()
        return not agent.startswith(("aiobotocore", "botocore", "boto3"))


@dataclass
class CountingProxy:
    """A loopback HTTP proxy in front of an S3 endpoint that records every exchange."""

    upstream: str
    exchanges: list[Exchange] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: Any = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> CountingProxy:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="s3-counting-proxy", daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def record(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)

    def reset(self) -> None:
        with self._lock:
            self.exchanges.clear()

    def reads(self, bucket: str | None = None) -> list[Exchange]:
        """GET requests for objects (not listings) that succeeded, optionally in one bucket."""
        with self._lock:
            found = list(self.exchanges)
        out = []
        for e in found:
            path, _, query = e.path.partition("?")
            key = path.lstrip("/").partition("/")[2]
            if e.method != "GET" or e.status >= 300 or not key or "list-type" in query:
                continue
            if bucket is None or path.lstrip("/").startswith(f"{bucket}/"):
                out.append(e)
        return out

    def bytes_read(self, bucket: str | None = None) -> int:
        """Object bytes the server sent back for GET requests since the last `reset`."""
        return sum(e.response_bytes for e in self.reads(bucket))


def _handler_for(proxy: CountingProxy) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(proxy.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _forward(self) -> None:
            body = self._body()
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            headers["Content-Length"] = str(len(body))
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                upstream_headers = resp.getheaders()
            finally:
                conn.close()
            self.send_response_only(resp.status)
            length = str(len(data))
            for k, v in upstream_headers:
                if k.lower() in _HOP_BY_HOP:
                    continue
                if k.lower() == "content-length":
                    if self.command == "HEAD":
                        length = v
                    continue
                self.send_header(k, v)
            self.send_header("Content-Length", length)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            proxy.record(Exchange(self.command, self.path, dict(self.headers.items()), resp.status, len(data)))

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

    return Handler


# ------------------------------------------------------------------------------ stores


@dataclass
class Store(StoreUnderTest):
    """The store a test runs against, with ways to check where data landed (`StoreUnderTest`)."""

    proxy: CountingProxy | None = None

    def assert_in_store(self, uri: str) -> None:
        """The data at `uri` is in this store: in the bucket and not on local disk for S3."""
        if self.remote:
            assert uri.startswith(f"s3://{self.bucket}/data/"), uri
            key = uri[len(f"s3://{self.bucket}/") :]
            assert self.client.list_objects_v2(Bucket=self.bucket, Prefix=key).get("KeyCount", 0) > 0, uri
            assert self.local_data_files() == [], f"offloaded data on local disk: {self.local_data_files()}"
        else:
            assert Path(uri).exists() and str(self.home) in uri, f"{uri} is not under FLYTE_HOME {self.home}"

    def put(self, name: str, data: bytes) -> str:
        """Store raw bytes under `name` in this store (bypassing Flyte) and return the URI."""
        if self.remote:
            key = f"data/raw/{name}"
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data)
            return f"s3://{self.bucket}/{key}"
        path = self.home / "raw" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return str(path)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_s3_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def counting_proxy(moto_endpoint: str) -> Iterator[CountingProxy]:
    proxy = CountingProxy(moto_endpoint).start()
    try:
        yield proxy
    finally:
        proxy.stop()


#: Credentials moto accepts (it does not check them); distinctive, so tests can find them in requests.
TEST_KEY_ID = "AKIDPOLARSTEST"
TEST_SECRET = "polars-test-secret"


@pytest.fixture
def s3_store(flyte_home: Path, counting_proxy: CountingProxy, monkeypatch: pytest.MonkeyPatch) -> Store:
    """A fresh bucket behind the counting proxy, configured as Flyte's blob store."""
    bucket = s3_test_bucket(
        monkeypatch,
        counting_proxy.upstream,  # created directly on moto; Flyte and polars go through the proxy
        name_prefix="polars-test",
        blob_endpoint=counting_proxy.url,
        access_key_id=TEST_KEY_ID,
        secret_access_key=TEST_SECRET,
    )
    counting_proxy.reset()
    return Store("s3", flyte_home, bucket=bucket.name, client=bucket.client, proxy=counting_proxy)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, flyte_home: Path) -> Store:
    """The local store, then S3 (moto on loopback)."""
    if request.param == "local":
        return Store("local", flyte_home)
    return request.getfixturevalue("s3_store")
