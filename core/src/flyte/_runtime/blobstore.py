"""Where offloaded data lives: the local blob store, and the storage interface over it.

Two layers:

- ``BlobStore``: the runtime's own content-addressed store under ``<FLYTE_HOME>/blobs``
  (journal payloads too large to keep inline), addressed by ``file://`` URIs.
- ``Storage``: how ``flyte.io`` moves offloaded data (files, directories, dataframes). The
  implementation is chosen by URI: plain paths and ``file://`` use ``LocalStorage``; ``s3://``,
  ``gs://``, ``abfs://`` (any fsspec protocol) use ``FsspecStorage``, which needs the optional
  ``remote`` extra (``pip install 'flyte[remote]'`` plus the protocol's package, e.g. s3fs).

Where data goes (see ``data_uri``): inside a run, into the run's data area, which is
``<FLYTE_HOME>/runs/<run>/data`` (= ``flyte.ctx().raw_data_path``) or, when a remote store is
configured, ``<FLYTE_BLOB_URI>/runs/<run>/data``; outside a run into ``<FLYTE_HOME>/blobs/uploads``
or ``<FLYTE_BLOB_URI>/uploads``. Configuration is read from the environment at each call:

- ``FLYTE_BLOB_URI``: the remote store, e.g. ``s3://bucket/prefix``; unset means local.
- ``FLYTE_BLOB_OPTIONS``: JSON object of fsspec options for it, e.g.
  ``{"endpoint_url": "http://127.0.0.1:9000", "key": "...", "secret": "..."}``.
- ``FLYTE_BLOB_RETRIES``: attempts for a remote operation that fails transiently (default 4).

Every write is atomic: readers see all of an object or nothing. Local writes land in a hidden
temporary name in the destination's directory and are renamed into place; remote writes are
single object uploads (which object stores make visible only when complete).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import secrets
import shutil
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

logger = logging.getLogger("flyte")

T = TypeVar("T")

BLOB_URI_ENV = "FLYTE_BLOB_URI"
BLOB_OPTIONS_ENV = "FLYTE_BLOB_OPTIONS"
BLOB_RETRIES_ENV = "FLYTE_BLOB_RETRIES"

#: fsspec protocols and the package that provides each (named in "not installed" errors).
KNOWN_PROTOCOLS = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "abfs": "adlfs", "az": "adlfs"}

_COPY_BUFFER = 8 * 1024 * 1024


class BlobStore:
    """Stores bytes and files under a root directory."""

    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def put_content(self, data: bytes) -> str:
        """Store ``data`` under its sha256 (deduplicated) and return its URI."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.root / "sha256" / digest[:2] / digest
        if not path.exists():
            atomic_write(path, data)
        return path.as_uri()

    def put(self, key: str, data: bytes) -> str:
        """Store ``data`` at ``key`` (a relative path inside the store) and return its URI."""
        path = self.path_for_key(key)
        atomic_write(path, data)
        return path.as_uri()

    def path_for_key(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"blob key {key!r} escapes the blob store root {self.root}; use a relative path")
        return path

    def get(self, uri: str) -> bytes:
        return local_path(uri).read_bytes()


def local_path(uri: str) -> Path:
    """The filesystem path of a ``file://`` URI (or a plain path)."""
    if uri.startswith("file://"):
        return Path(uri[len("file://") :])
    if "://" in uri:
        raise ValueError(f"{uri!r} is not a local blob URI; only file:// is stored locally")
    return Path(uri)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either nothing or all of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# ------------------------------------------------------------------------------ locations


def remote_base() -> str | None:
    """The configured remote store (``FLYTE_BLOB_URI``), without a trailing slash; None when local."""
    base = os.environ.get(BLOB_URI_ENV, "").strip()
    if not base or protocol_of(base) == "file":
        return None
    return base.rstrip("/")


def run_data_path(run_dir: Path) -> str:
    """The data area of the run whose journal directory is ``run_dir``."""
    base = remote_base()
    return str(run_dir / "data") if base is None else f"{base}/runs/{run_dir.name}/data"


def data_area() -> str:
    """Where new offloaded data goes here: the running task's run data area, else the uploads area."""
    from flyte._runtime.context import current_frame

    frame = current_frame.get()
    if frame is not None:
        return run_data_path(frame.run.run_dir)
    base = remote_base()
    if base is None:
        from flyte._runtime.journal import flyte_home

        return str(flyte_home() / "blobs" / "uploads")
    return f"{base}/uploads"


def data_uri(name: str | None = None) -> str:
    """A fresh, unique location for new data, ending in ``name`` when given."""
    uri = join(data_area(), secrets.token_hex(10))
    return join(uri, name) if name else uri


def named_data_uri(name: str) -> str:
    """A location that is the same for every call with ``name`` within one run."""
    return join(data_area(), "named", name)


def protocol_of(uri: str) -> str:
    """``file`` for paths and ``file://`` URIs, else the URI scheme (``s3``, ``gs``, ...)."""
    if "://" not in uri:
        return "file"
    return uri.split("://", 1)[0].lower() or "file"


def join(uri: str, *parts: str) -> str:
    """Append path parts to a path or URI with ``/``."""
    out = uri.rstrip("/")
    for part in parts:
        out = f"{out}/{part.strip('/')}"
    return out


def basename(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


# ------------------------------------------------------------------------------ interface


class Storage(ABC):
    """Moves offloaded data between local files and one kind of store. Every method blocks."""

    protocol: str

    @abstractmethod
    def exists(self, uri: str) -> bool:
        """Whether an object or a directory (a non-empty prefix) is at ``uri``."""

    @abstractmethod
    def is_dir(self, uri: str) -> bool:
        """Whether ``uri`` is a directory (a prefix holding objects)."""

    @abstractmethod
    def size(self, uri: str) -> int:
        """The size in bytes of the object at ``uri``."""

    @abstractmethod
    def list_files(self, uri: str, recursive: bool = True) -> list[str]:
        """The objects under directory ``uri``, as URIs in the same form, sorted."""

    @abstractmethod
    def put_file(self, src: Path, uri: str) -> None:
        """Copy local file ``src`` to ``uri`` atomically."""

    @abstractmethod
    def put_dir(self, src: Path, uri: str) -> None:
        """Copy local directory ``src`` (all of it) to directory ``uri``."""

    @abstractmethod
    def get_file(self, uri: str, dst: Path) -> None:
        """Copy the object at ``uri`` to local file ``dst`` atomically."""

    @abstractmethod
    def open_read(self, uri: str) -> IO[bytes]:
        """A seekable binary stream over the object at ``uri`` (close it when done)."""

    @abstractmethod
    def open_write(self, uri: str) -> contextlib.AbstractContextManager[IO[bytes]]:
        """A binary stream that becomes the object at ``uri`` when the block exits without error."""

    @abstractmethod
    def remove(self, uri: str) -> None:
        """Delete the object or directory at ``uri``; a missing one is no error."""

    @abstractmethod
    def write_path(self, uri: str) -> contextlib.AbstractContextManager[Path]:
        """A local path to write; it becomes the object at ``uri`` when the block exits without error.

        For writers that want a filesystem path (parquet, csv); locally it is a hidden file beside
        the destination, so the data is written once and renamed into place.
        """

    @abstractmethod
    def write_dir_path(self, uri: str) -> contextlib.AbstractContextManager[Path]:
        """A local directory to fill; it becomes directory ``uri`` when the block exits without error."""

    @abstractmethod
    def read_path(self, uri: str) -> contextlib.AbstractContextManager[Path]:
        """A local path holding the object at ``uri`` for the duration of the block."""

    def get_dir(self, uri: str, dst: Path) -> None:
        """Copy every object under directory ``uri`` into local directory ``dst`` (made if missing)."""
        prefix = uri.rstrip("/") + "/"
        dst.mkdir(parents=True, exist_ok=True)
        for item in self.list_files(uri):
            target = dst / item[len(prefix) :]
            target.parent.mkdir(parents=True, exist_ok=True)
            self.get_file(item, target)


class LocalStorage(Storage):
    """Data on this machine's filesystem; URIs are absolute paths (``file://`` accepted)."""

    protocol = "file"

    @staticmethod
    def path(uri: str) -> Path:
        return local_path(uri)

    def exists(self, uri: str) -> bool:
        return self.path(uri).exists()

    def is_dir(self, uri: str) -> bool:
        return self.path(uri).is_dir()

    def size(self, uri: str) -> int:
        return self.path(uri).stat().st_size

    def list_files(self, uri: str, recursive: bool = True) -> list[str]:
        root = self.path(uri)
        if not root.is_dir():
            raise NotADirectoryError(f"{uri} is not a directory")
        prefix = uri.rstrip("/")
        found: list[str] = []
        if recursive:
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames.sort()
                rel = os.path.relpath(dirpath, root)
                for name in filenames:
                    found.append(f"{prefix}/{name}" if rel == "." else f"{prefix}/{rel}/{name}")
        else:
            found = [f"{prefix}/{e.name}" for e in os.scandir(root) if e.is_file()]
        return sorted(found)

    def put_file(self, src: Path, uri: str) -> None:
        dst = self.path(uri)
        with _staged_file(dst) as tmp:
            shutil.copyfile(src, tmp)

    def put_dir(self, src: Path, uri: str) -> None:
        with self.write_dir_path(uri) as staging:
            shutil.copytree(src, staging, copy_function=shutil.copyfile, dirs_exist_ok=True)

    def get_file(self, uri: str, dst: Path) -> None:
        self.put_file(self.path(uri), str(dst))

    def get_dir(self, uri: str, dst: Path) -> None:
        self.put_dir(self.path(uri), str(dst))

    def open_read(self, uri: str) -> IO[bytes]:
        return open(self.path(uri), "rb")

    @contextlib.contextmanager
    def open_write(self, uri: str) -> Iterator[IO[bytes]]:
        with _staged_file(self.path(uri)) as tmp, open(tmp, "wb") as f:
            yield f

    def write_path(self, uri: str) -> contextlib.AbstractContextManager[Path]:
        return _staged_file(self.path(uri))

    @contextlib.contextmanager
    def write_dir_path(self, uri: str) -> Iterator[Path]:
        dst = self.path(uri)
        dst.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", suffix=".partial", dir=dst.parent))
        try:
            yield staging
            os.replace(staging, dst)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    @contextlib.contextmanager
    def read_path(self, uri: str) -> Iterator[Path]:
        path = self.path(uri)
        if not path.exists():
            raise FileNotFoundError(f"No data at {path}")
        yield path

    def remove(self, uri: str) -> None:
        path = self.path(uri)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


@contextlib.contextmanager
def _staged_file(dst: Path) -> Iterator[Path]:
    """A hidden temporary path beside ``dst``, renamed to ``dst`` if the block succeeds, else removed."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    # A fresh name, not a file created in advance: ext4 flushes a file that was truncated and
    # rewritten as soon as it is closed (auto_da_alloc), which would halve copy throughput.
    tmp = dst.parent / f".{dst.name}.{secrets.token_hex(8)}.partial"
    try:
        yield tmp
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


class FsspecStorage(Storage):
    """Data in an object store reached through fsspec; transient failures are retried with backoff."""

    def __init__(self, protocol: str, options: dict[str, Any] | None = None):
        self.protocol = protocol
        self.options = dict(options or {})
        try:
            import fsspec
        except ImportError as e:
            raise ImportError(
                f"Storing data at {protocol}:// needs fsspec: pip install 'flyte[remote]' "
                f"{KNOWN_PROTOCOLS.get(protocol, '')}".rstrip()
            ) from e
        try:
            self.fs = fsspec.filesystem(protocol, **self.options)
        except (ImportError, ValueError) as e:
            package = KNOWN_PROTOCOLS.get(protocol)
            fix = f"pip install {package}" if package else "install the fsspec implementation for it"
            raise ImportError(f"No filesystem for {protocol}:// ({e}); {fix}") from e
        self.attempts = max(1, int(os.environ.get(BLOB_RETRIES_ENV, "4")))

    def _retry(self, what: str, op: Callable[[], T]) -> T:
        delay = 0.1
        for attempt in range(1, self.attempts + 1):
            try:
                return op()
            except Exception as e:
                if attempt == self.attempts or not is_transient(e):
                    raise
                logger.warning(
                    "%s failed (%s: %s); retry %d of %d in %.1fs",
                    what,
                    type(e).__name__,
                    e,
                    attempt,
                    self.attempts - 1,
                    delay,
                )
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def exists(self, uri: str) -> bool:
        return self._retry(f"checking {uri}", lambda: self.fs.exists(uri))

    def is_dir(self, uri: str) -> bool:
        return self._retry(f"checking {uri}", lambda: self.fs.isdir(uri))

    def size(self, uri: str) -> int:
        return int(self._retry(f"reading the size of {uri}", lambda: self.fs.size(uri)))

    def list_files(self, uri: str, recursive: bool = True) -> list[str]:
        self.fs.invalidate_cache(uri)
        if recursive:
            paths = self._retry(f"listing {uri}", lambda: self.fs.find(uri, detail=False))
        else:
            entries = self._retry(f"listing {uri}", lambda: self.fs.ls(uri, detail=True))
            paths = [e["name"] for e in entries if e.get("type") == "file"]
        return sorted(self.fs.unstrip_protocol(p) for p in paths)

    def put_file(self, src: Path, uri: str) -> None:
        self._retry(f"uploading {src} to {uri}", lambda: self.fs.put_file(str(src), uri))
        self.fs.invalidate_cache(uri)

    def put_dir(self, src: Path, uri: str) -> None:
        files = sorted(p for p in src.rglob("*") if p.is_file())
        if not files:
            raise ValueError(f"Directory {src} holds no files; an object store cannot hold an empty directory")
        remote = [join(uri, p.relative_to(src).as_posix()) for p in files]
        try:
            self._retry(f"uploading {src} to {uri}", lambda: self.fs.put([str(p) for p in files], remote))
        except BaseException:
            with contextlib.suppress(Exception):
                self.remove(uri)  # no half-uploaded directory left behind
            raise
        self.fs.invalidate_cache(uri)

    def get_file(self, uri: str, dst: Path) -> None:
        with _staged_file(dst) as tmp:
            self._retry(f"downloading {uri}", lambda: self.fs.get_file(uri, str(tmp)))

    def open_read(self, uri: str) -> IO[bytes]:
        return self._retry(f"opening {uri}", lambda: self.fs.open(uri, "rb"))

    @contextlib.contextmanager
    def open_write(self, uri: str) -> Iterator[IO[bytes]]:
        with self.write_path(uri) as tmp, open(tmp, "wb") as f:
            yield f

    @contextlib.contextmanager
    def write_path(self, uri: str) -> Iterator[Path]:
        # Spooled to a local file and uploaded whole on success: the upload can be retried,
        # and a failed block leaves nothing in the store.
        fd, name = tempfile.mkstemp(prefix="flyte-upload-", suffix=".partial")
        os.close(fd)
        try:
            yield Path(name)
            self.put_file(Path(name), uri)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)

    @contextlib.contextmanager
    def write_dir_path(self, uri: str) -> Iterator[Path]:
        staging = Path(tempfile.mkdtemp(prefix="flyte-upload-"))
        try:
            yield staging
            self.put_dir(staging, uri)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    @contextlib.contextmanager
    def read_path(self, uri: str) -> Iterator[Path]:
        staging = Path(tempfile.mkdtemp(prefix="flyte-download-"))
        try:
            target = staging / basename(uri)
            self.get_file(uri, target)
            yield target
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def remove(self, uri: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._retry(f"removing {uri}", lambda: self.fs.rm(uri, recursive=True))
        self.fs.invalidate_cache(uri)


_TRANSIENT_ERRNOS = {errno.ECONNRESET, errno.ECONNREFUSED, errno.ETIMEDOUT, errno.EAGAIN, errno.EPIPE, errno.EIO}
_TRANSIENT_NAMES = {
    "EndpointConnectionError",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ConnectionClosedError",
    "ServerDisconnectedError",
    "ClientOSError",
    "ClientPayloadError",
    "ResponseStreamingError",
}
_TRANSIENT_CODES = ("SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "Throttling", "503", "500")


def is_transient(e: BaseException) -> bool:
    """Whether a failed storage call may succeed if tried again (network trouble, throttling)."""
    if isinstance(e, (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError, FileExistsError)):
        return False
    if isinstance(e, (ConnectionError, TimeoutError)):
        return True
    for err in (e, e.__cause__, e.__context__):
        if err is None:
            continue
        if type(err).__name__ in _TRANSIENT_NAMES:
            return True
        code = str(getattr(err, "response", {}).get("Error", {}).get("Code", "")) if hasattr(err, "response") else ""
        if code and code.startswith(_TRANSIENT_CODES):
            return True
    return isinstance(e, OSError) and e.errno in _TRANSIENT_ERRNOS


_LOCAL = LocalStorage()
_remote: dict[tuple[str, str], FsspecStorage] = {}
_remote_lock = threading.Lock()


def storage_options() -> dict[str, Any]:
    """The fsspec options from ``FLYTE_BLOB_OPTIONS`` (a JSON object)."""
    raw = os.environ.get(BLOB_OPTIONS_ENV, "").strip()
    if not raw:
        return {}
    try:
        options = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ValueError(f"{BLOB_OPTIONS_ENV} must be a JSON object of fsspec options, got {raw!r}: {e}") from e
    if not isinstance(options, dict):
        raise ValueError(f"{BLOB_OPTIONS_ENV} must be a JSON object of fsspec options, got {raw!r}")
    return options


def storage_for(uri: str) -> Storage:
    """The storage that holds ``uri``: local for paths and ``file://``, fsspec for other schemes."""
    protocol = protocol_of(uri)
    if protocol == "file":
        return _LOCAL
    options = storage_options()
    key = (protocol, json.dumps(options, sort_keys=True, default=str))
    with _remote_lock:
        store = _remote.get(key)
        if store is None:
            store = _remote[key] = FsspecStorage(protocol, options)
    return store


def copy_with_hash(src: Path, dst: IO[bytes], hasher: Any) -> None:
    """Stream ``src`` into ``dst``, feeding every chunk to ``hasher`` (``update(bytes)``)."""
    buf = bytearray(_COPY_BUFFER)
    view = memoryview(buf)
    with open(src, "rb") as f:
        while n := f.readinto(buf):
            hasher.update(view[:n])
            dst.write(view[:n])


def hash_file(src: Path, hasher: Any) -> None:
    """Feed the bytes of local file ``src`` to ``hasher``."""
    buf = bytearray(_COPY_BUFFER)
    view = memoryview(buf)
    with open(src, "rb") as f:
        while n := f.readinto(buf):
            hasher.update(view[:n])
