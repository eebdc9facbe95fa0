"""Where a writer's bytes go, and how they become visible: one file, or the shards of a directory.

Every target stages its bytes out of sight and publishes them whole, so a reader never sees a
torn file, and a failed or killed writer leaves nothing half-written behind:

- `FileTarget` (a JsonlFile): `File.open_sync("wb")` of flyte.io, which stages and renames
  (locally) or uploads the object whole (object stores); the file is replaced as a whole.
- `LocalShards` (a JsonlDir on this machine's filesystem): each shard is written to a hidden
  temporary file in the directory and published with a hard link under the next free
  ``part-NNNNN`` name. A link never replaces an existing name, so two writers (threads or
  processes) appending to one directory can't overwrite each other's shards; the loser of a race
  for a name takes the next one.
- `RemoteShards` (a JsonlDir in an object store): each shard is spooled to a local temporary
  file and uploaded whole under the name after the highest one listed just before. flyte.io has
  no "create only if absent" upload (object stores do: S3 ``If-None-Match: *``, GCS
  ``ifGenerationMatch=0``), so two writers that list and upload at the same moment can still
  pick the same name there; one writer at a time, or writers taking turns, never collide.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import IO, Any

from flyte.io import Dir, File
from flyte.io.extend import local_path
from flyteplugins.jsonl._format import is_jsonl_name, logger, natural_key, shard_index, shard_name


class Target(ABC):
    """Opens, seals and publishes one output file after another.

    `open`, `seal` and `discard` are called on the writer's thread; `publish` and `drop` may be
    called on another thread (one at a time, in sealing order) when `slow_publish` is set.
    """

    #: Whether a writer that wrote no records still publishes one (empty) file.
    publishes_empty = False
    #: Whether publishing talks to a remote store (and is better done off the writer's thread).
    slow_publish = False

    def prepare(self) -> None:  # noqa: B027 - optional hook, nothing to do by default
        """Called when the writer opens, before any file is started."""

    @abstractmethod
    def open(self) -> IO[bytes]:
        """Start a new file; returns the stream to write its bytes to."""

    @abstractmethod
    def seal(self) -> Any:
        """End the current file's bytes; returns what `publish` or `drop` takes."""

    @abstractmethod
    def publish(self, sealed: Any) -> str:
        """Make a sealed file visible, complete; returns its path."""

    @abstractmethod
    def drop(self, sealed: Any) -> None:
        """Forget a sealed file without publishing it."""

    @abstractmethod
    def discard(self) -> None:
        """Drop the file being written (if any)."""


class _Discarded(Exception):
    """Passed to a staging context manager to make it drop its data."""


class FileTarget(Target):
    """The single file of a JsonlFile, replaced as a whole when published."""

    publishes_empty = True

    def __init__(self, path: str):
        self.path = path
        self._cm: contextlib.AbstractContextManager[IO[bytes]] | None = None

    def open(self) -> IO[bytes]:
        self._cm = File(path=self.path).open_sync("wb")
        return self._cm.__enter__()

    def seal(self) -> Any:
        cm, self._cm = self._cm, None
        return cm

    def publish(self, sealed: Any) -> str:
        sealed.__exit__(None, None, None)  # flyte.io renames or uploads the staged data into place
        return self.path

    def drop(self, sealed: Any) -> None:
        error = _Discarded()
        sealed.__exit__(type(error), error, None)  # the store removes what it staged

    def discard(self) -> None:
        cm, self._cm = self._cm, None
        if cm is not None:
            self.drop(cm)


def existing_shard_indexes(dir_path: str) -> list[int]:
    """Indexes of the ``part-N`` shards in a directory (none if it does not exist yet)."""
    local = local_path(dir_path)
    if local is not None:
        try:
            names = [e.name for e in os.scandir(local)]
        except FileNotFoundError:
            return []
    else:
        d: Dir = Dir(path=dir_path)
        if not d.exists_sync():
            return []
        names = [f.name or "" for f in d.list_files_sync()]
    return [i for i in map(shard_index, names) if i is not None]


def _after_highest(indexes: list[int]) -> int:
    return max(indexes) + 1 if indexes else 0


class _SpooledShards(Target):
    """Shards written to temporary files first; subclasses choose where and how they are published."""

    def __init__(self, dir_path: str, extension: str):
        self.dir_path = dir_path.rstrip("/")
        self.extension = extension
        self._next: int | None = None  # the index to try first; found on the first publish
        self._tmp: Path | None = None
        self._fh: IO[bytes] | None = None

    @abstractmethod
    def _temp_path(self) -> Path: ...

    def open(self) -> IO[bytes]:
        self._tmp = self._temp_path()
        self._fh = open(self._tmp, "xb")
        return self._fh

    def seal(self) -> Path:
        assert self._fh is not None and self._tmp is not None
        self._fh.close()
        tmp, self._tmp, self._fh = self._tmp, None, None
        return tmp

    def drop(self, sealed: Any) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(sealed)

    def discard(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
        if self._tmp is not None:
            self.drop(self._tmp)
        self._tmp = self._fh = None


class LocalShards(_SpooledShards):
    """Shards of a directory on this machine, published with no-overwrite hard links."""

    def __init__(self, dir_path: str, local: Path, extension: str):
        super().__init__(dir_path, extension)
        self.local = local

    def prepare(self) -> None:
        # the directory exists from the start, so a dataset of no records reads as empty
        self.local.mkdir(parents=True, exist_ok=True)

    def _temp_path(self) -> Path:
        # hidden and without a .jsonl suffix, so readers and other writers never take it for a shard
        return self.local / f".part-{secrets.token_hex(8)}{self.extension}.partial"

    def publish(self, sealed: Any) -> str:
        index = self._next
        if index is None:  # the first shard: continue after the highest one there
            index = _after_highest(existing_shard_indexes(self.dir_path))
        while True:
            name = shard_name(index, self.extension)
            try:
                _move_exclusive(sealed, self.local / name)
                break
            except FileExistsError:  # another writer published this index first
                index = max(index + 1, _after_highest(existing_shard_indexes(self.dir_path)))
            except BaseException:
                self.drop(sealed)
                raise
        self._next = index + 1
        return f"{self.dir_path}/{name}"


#: errnos of filesystems that have no hard links
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS}


def _move_exclusive(src: Path, dst: Path) -> None:
    """Rename the complete file `src` to `dst`, unless `dst` exists (then FileExistsError)."""
    try:
        os.link(src, dst)
        os.unlink(src)
        return
    except FileExistsError:
        raise
    except OSError as e:
        if e.errno not in _NO_LINKS:
            raise
        logger.debug("no hard links in %s (%s); claiming shard names with marker files", dst.parent, e)
    # No hard links here: claim the name with an exclusively created hidden marker, then rename.
    claim = dst.parent / f".{dst.name}.claim"
    try:
        fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, "shard name claimed by another writer", str(dst)) from None
    os.close(fd)
    try:
        if dst.exists():  # published by a writer that has since dropped its claim
            raise FileExistsError(errno.EEXIST, "shard exists", str(dst))
        os.replace(src, dst)
    finally:
        os.unlink(claim)


class RemoteShards(_SpooledShards):
    """Shards of a directory in an object store: spooled locally, uploaded whole under a free name."""

    slow_publish = True

    def _temp_path(self) -> Path:
        fd, name = tempfile.mkstemp(prefix="flyte-jsonl-", suffix=".partial")
        os.close(fd)
        os.unlink(name)  # `open` creates it exclusively
        return Path(name)

    def publish(self, sealed: Any) -> str:
        try:
            # A fresh listing before every upload (one LIST per shard, next to a shard's upload):
            # an existence check could be answered from fsspec's listing cache.
            index = max(self._next or 0, _after_highest(existing_shard_indexes(self.dir_path)))
            uri = f"{self.dir_path}/{shard_name(index, self.extension)}"
            File.from_local_sync(sealed, remote_destination=uri)
        finally:
            self.drop(sealed)
        self._next = index + 1
        return uri


def shard_target(dir_path: str, extension: str) -> Target:
    local = local_path(dir_path)
    return LocalShards(dir_path, local, extension) if local is not None else RemoteShards(dir_path, extension)


def readable_files(dir_path: str) -> list[str]:
    """The JSONL files directly in a directory, in reading order (digit runs compare as numbers)."""
    local = local_path(dir_path)
    prefix = dir_path.rstrip("/")
    if local is not None:
        try:
            names = [e.name for e in os.scandir(local) if is_jsonl_name(e.name) and e.is_file()]
        except FileNotFoundError:
            raise FileNotFoundError(f"JsonlDir {dir_path} does not exist; was it written or uploaded?") from None
        except NotADirectoryError:
            raise NotADirectoryError(f"JsonlDir {dir_path} is a file, not a directory; read it as a JsonlFile") from None
        found = [(name, f"{prefix}/{name}") for name in names]
    else:
        files = Dir(path=dir_path).list_files_sync()
        found = [(f.name or "", f.path) for f in files if is_jsonl_name(f.name or "")]
    found.sort(key=lambda item: natural_key(item[0]))
    return [path for _, path in found]
