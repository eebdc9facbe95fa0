"""The local blob store: content under ``<FLYTE_HOME>/blobs``, addressed by ``file://`` URIs.

Every write is atomic: the bytes land in a temporary file in the same directory and are renamed
into place, so a reader never sees a partial object.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


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
