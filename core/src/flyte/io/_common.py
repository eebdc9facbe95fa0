"""Pieces shared by File, Dir and DataFrame: hashing, async file handles, pydantic support."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

from flyte._runtime import blobstore


@runtime_checkable
class HashMethod(Protocol):
    """Anything that accumulates bytes into a digest, like a ``hashlib`` object."""

    def update(self, data: Any, /) -> Any: ...


def new_hasher(hash_method: str | HashMethod) -> HashMethod:
    """A fresh hasher: a ``hashlib`` algorithm by name (``"sha256"``), or the object given."""
    if isinstance(hash_method, str):
        try:
            return hashlib.new(hash_method)
        except ValueError:
            names = ", ".join(sorted(hashlib.algorithms_guaranteed))
            raise ValueError(f"Unknown hash_method {hash_method!r}; use one of {names} or an object with update()")
    if not callable(getattr(hash_method, "update", None)):
        raise TypeError(
            f"hash_method must be a hashlib algorithm name or an object with update(bytes), "
            f"got {type(hash_method).__name__}"
        )
    return hash_method


def digest_of(hasher: HashMethod) -> str:
    """The hex digest of a hasher (``hexdigest()``, else ``result()``, else ``digest()``)."""
    for attr in ("hexdigest", "result", "digest"):
        method = getattr(hasher, attr, None)
        if callable(method):
            value = method()
            return value.hex() if isinstance(value, bytes) else str(value)
    raise TypeError(f"hash method {type(hasher).__name__} has no hexdigest(), result() or digest()")


def existing_file(local_path: str | Path, api: str) -> Path:
    """``local_path`` as a Path, or an error that names it when it is not an existing file."""
    path = Path(local_path).expanduser()
    if path.is_file():
        return path.absolute()
    if path.is_dir():
        raise IsADirectoryError(f"{api}: {path} is a directory; use Dir.from_local for directories")
    raise FileNotFoundError(f"{api}: no file at {path} (cwd {Path.cwd()}); pass the path of an existing file")


def existing_dir(local_path: str | Path, api: str) -> Path:
    path = Path(local_path).expanduser()
    if path.is_dir():
        return path.absolute()
    if path.exists():
        raise NotADirectoryError(f"{api}: {path} is a file, not a directory; use File.from_local for files")
    raise FileNotFoundError(f"{api}: no directory at {path} (cwd {Path.cwd()}); pass an existing directory")


@contextlib.contextmanager
def open_uri(uri: str, mode: str, encoding: str | None = None) -> Iterator[IO[Any]]:
    """Open the object at ``uri`` for streaming: ``rb``/``r`` read, ``wb``/``w`` write (atomic on success)."""
    binary = "b" in mode
    kind = mode.replace("b", "").replace("t", "")
    if kind not in ("r", "w") or ("b" in mode and "t" in mode):
        raise ValueError(f"Unsupported open mode {mode!r}; use 'rb', 'r', 'wb' or 'w'")
    store = blobstore.storage_for(uri)
    if kind == "r":
        with store.open_read(uri) as raw:
            if binary:
                yield raw
            else:
                with io.TextIOWrapper(raw, encoding=encoding or "utf-8") as text:
                    yield text
        return
    with store.open_write(uri) as raw:
        if binary:
            yield raw
        else:
            text = io.TextIOWrapper(raw, encoding=encoding or "utf-8")
            yield text
            text.flush()
            text.detach()  # the store closes (and commits) the underlying stream


class AsyncFileHandle:
    """An open file whose blocking calls run on a worker thread: ``await fh.read()``."""

    def __init__(self, fh: IO[Any]):
        self._fh = fh

    @property
    def raw(self) -> IO[Any]:
        """The underlying blocking file object."""
        return self._fh

    async def read(self, size: int = -1) -> Any:
        return await asyncio.to_thread(self._fh.read, size)

    async def readline(self, size: int = -1) -> Any:
        return await asyncio.to_thread(self._fh.readline, size)

    async def readlines(self) -> list[Any]:
        return await asyncio.to_thread(self._fh.readlines)

    async def write(self, data: Any) -> int:
        return await asyncio.to_thread(self._fh.write, data)

    async def seek(self, offset: int, whence: int = 0) -> int:
        return await asyncio.to_thread(self._fh.seek, offset, whence)

    async def tell(self) -> int:
        return self._fh.tell()

    async def flush(self) -> None:
        await asyncio.to_thread(self._fh.flush)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._lines()

    async def _lines(self) -> AsyncIterator[Any]:
        while line := await self.readline():
            yield line


class AsyncOpen:
    """The async context manager ``File.open`` returns; the sync block runs on a worker thread."""

    def __init__(self, opener: Callable[[], contextlib.AbstractContextManager[IO[Any]]]):
        self._opener = opener
        self._cm: contextlib.AbstractContextManager[IO[Any]] | None = None

    async def __aenter__(self) -> AsyncFileHandle:
        self._cm = self._opener()
        return AsyncFileHandle(await asyncio.to_thread(self._cm.__enter__))

    async def __aexit__(self, *exc: Any) -> bool | None:
        assert self._cm is not None
        return await asyncio.to_thread(self._cm.__exit__, *exc)


class BlobRef:
    """What File and Dir share: a `path` in the blob store, with a name, a format label and a hash."""

    path: str
    name: str | None
    format: str
    hash: str | None

    async def exists(self) -> bool:
        """Whether anything is stored at `path`."""
        return await asyncio.to_thread(self.exists_sync)

    def exists_sync(self) -> bool:
        return blobstore.storage_for(self.path).exists(self.path)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "name": self.name, "format": self.format, "hash": self.hash}

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        return pydantic_schema(cls, lambda d: cls(**d))


def pydantic_schema(cls: type, from_dict: Callable[[dict], Any]) -> Any:
    """A pydantic-core schema that accepts instances of ``cls`` (or their dict form) and dumps dicts."""
    from pydantic_core import core_schema

    def validate(value: Any) -> Any:
        if isinstance(value, cls):
            return value
        if isinstance(value, dict):
            return from_dict(value)
        raise ValueError(f"expected a {cls.__name__} or a dict of its fields, got {type(value).__name__}")

    return core_schema.no_info_plain_validator_function(
        validate,
        serialization=core_schema.plain_serializer_function_ser_schema(lambda v: v.to_dict()),
    )
