"""``flyte.io.Dir``: a reference to a directory in the blob store, and its type transformer."""

from __future__ import annotations

import asyncio
import fnmatch
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from flyteidl2.core import types_pb2

from flyte._runtime import blobstore
from flyte.io._common import BlobRef, existing_dir
from flyte.io._file import BlobTransformer, File
from flyte.types import TypeEngine

T = TypeVar("T")


@dataclass
class Dir(BlobRef, Generic[T]):
    """A directory in the blob store (local or remote), passed between tasks by reference.

    Its files move only when they are opened or the directory is downloaded. Every I/O method is
    a coroutine with a blocking `_sync` twin.

    Attributes:
        path: Where the directory is: an absolute local path or a URI such as ``s3://bucket/prefix``.
        name: The directory's name (defaults to the last part of `path`).
        format: An optional format label for the files inside.
        hash: An optional content hash or cache key (``dir_cache_key``).
    """

    path: str
    name: str | None = None
    format: str = ""
    hash: str | None = None

    def __post_init__(self) -> None:
        self.path = str(self.path).rstrip("/") or "/"
        if self.name is None:
            self.name = blobstore.basename(self.path)

    # --------------------------------------------------------------------------- creating

    @classmethod
    async def from_local(
        cls,
        local_path: str | Path,
        remote_destination: str | None = None,
        dir_cache_key: str | None = None,
        batch_size: int | None = None,
    ) -> Dir[T]:
        """Upload a local directory (all of it, recursively) and return it.

        Raises:
            FileNotFoundError: `local_path` does not exist.
            NotADirectoryError: `local_path` is a file (use `File.from_local`).
        """
        return await asyncio.to_thread(cls.from_local_sync, local_path, remote_destination, dir_cache_key, batch_size)

    @classmethod
    def from_local_sync(
        cls,
        local_path: str | Path,
        remote_destination: str | None = None,
        dir_cache_key: str | None = None,
        batch_size: int | None = None,
    ) -> Dir[T]:
        """Blocking twin of `from_local`."""
        src = existing_dir(local_path, "Dir.from_local")
        dest = remote_destination or blobstore.data_uri(src.name)
        blobstore.storage_for(dest).put_dir(src, dest)
        return cls(path=dest, name=src.name, hash=dir_cache_key)

    @classmethod
    def new_remote(cls, dir_name: str | None = None, hash: str | None = None) -> Dir[T]:
        """A new, unique directory location in the run's data area."""
        return cls(path=blobstore.data_uri(dir_name or "dir"), hash=hash)

    @classmethod
    def from_existing_remote(cls, remote_path: str, dir_cache_key: str | None = None) -> Dir[T]:
        """Refer to a directory already at `remote_path` (a path or URI); nothing is copied or checked."""
        if not remote_path:
            raise ValueError("Dir.from_existing_remote needs a path or URI, got an empty string")
        return cls(path=str(remote_path), hash=dir_cache_key)

    # --------------------------------------------------------------------------- reading

    def _files(self, recursive: bool, max_depth: int | None, file_pattern: str) -> list[File]:
        store = blobstore.storage_for(self.path)
        if not store.is_dir(self.path):
            if store.exists(self.path):
                raise NotADirectoryError(f"Dir {self.path} is a file, not a directory")
            raise FileNotFoundError(f"Dir {self.path} does not exist; was it uploaded?")
        prefix = self.path.rstrip("/") + "/"
        found: list[File] = []
        for uri in store.list_files(self.path, recursive=recursive):
            rel = uri[len(prefix) :]
            if max_depth is not None and rel.count("/") >= max_depth:
                continue
            if not fnmatch.fnmatch(blobstore.basename(rel), file_pattern):
                continue
            found.append(File(path=uri, format=self.format))
        return found

    async def walk(
        self, recursive: bool = True, max_depth: int | None = None, file_pattern: str = "*"
    ) -> AsyncIterator[File]:
        """Yield the directory's files (in path order): ``async for f in d.walk(): ...``.

        Args:
            recursive: Descend into subdirectories.
            max_depth: With `recursive`, how many directory levels to descend (1 = top level only).
            file_pattern: Only files whose name matches this glob.
        """
        for f in await asyncio.to_thread(self._files, recursive, max_depth, file_pattern):
            yield f

    def walk_sync(
        self, recursive: bool = True, file_pattern: str = "*", max_depth: int | None = None
    ) -> Iterator[File]:
        """Blocking twin of `walk`."""
        yield from self._files(recursive, max_depth, file_pattern)

    async def list_files(self) -> list[File]:
        """The files directly inside the directory (not in subdirectories)."""
        return await asyncio.to_thread(self._files, False, None, "*")

    def list_files_sync(self) -> list[File]:
        return self._files(False, None, "*")

    async def get_file(self, file_name: str) -> File | None:
        """The file `file_name` (a relative path) inside the directory, or None if it isn't there."""
        return await asyncio.to_thread(self.get_file_sync, file_name)

    def get_file_sync(self, file_name: str) -> File | None:
        uri = blobstore.join(self.path, file_name)
        store = blobstore.storage_for(uri)
        return File(path=uri, format=self.format) if store.exists(uri) and not store.is_dir(uri) else None

    async def download(self, local_path: str | Path | None = None) -> str:
        """Copy the whole directory to `local_path` (a new temporary directory by default).

        Raises:
            FileExistsError: `local_path` exists and is not an empty directory.
        """
        return await asyncio.to_thread(self.download_sync, local_path)

    def download_sync(self, local_path: str | Path | None = None) -> str:
        if local_path is None:
            target = Path(tempfile.mkdtemp(prefix="flyte-download-")) / (self.name or "dir")
        else:
            target = Path(local_path).expanduser()
            if target.exists() and (not target.is_dir() or any(target.iterdir())):
                raise FileExistsError(
                    f"Dir.download: {target} already exists and is not an empty directory; "
                    "pass a new path (or an empty directory)"
                )
        store = blobstore.storage_for(self.path)
        if not store.is_dir(self.path):
            raise FileNotFoundError(f"Dir {self.path} does not exist; was it uploaded?")
        store.get_dir(self.path, target)
        return str(target)


class DirTransformer(BlobTransformer):
    """Dir <-> a blob literal (dimensionality MULTIPART)."""

    DIMENSIONALITY = types_pb2.BlobType.BlobDimensionality.MULTIPART
    UPLOAD_HINT = "Upload a local directory with `await Dir.from_local(path)` first."
    OTHER_KIND = ("single file", "File")
    KIND = "multipart (directory)"

    def __init__(self) -> None:
        super().__init__(Dir)


def register() -> None:
    TypeEngine.register(DirTransformer())
