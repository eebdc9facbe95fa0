"""``flyte.io.File``: a reference to one file in the blob store, and its type transformer."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from flyteidl2.core import literals_pb2, types_pb2

from flyte._runtime import blobstore
from flyte.io._common import (
    AsyncOpen,
    BlobRef,
    HashMethod,
    digest_of,
    existing_file,
    new_hasher,
    open_uri,
)
from flyte.types import TypeEngine, TypeTransformer, TypeTransformerFailedError

T = TypeVar("T")

#: Files up to this size are read into memory before ``File.from_local`` first yields to the event
#: loop, so a concurrent task that rewrites the same path right after cannot change what is uploaded.
SNAPSHOT_BYTES = 16 * 1024 * 1024

NAME_KEY = "flyte.io.name"


@dataclass
class File(BlobRef, Generic[T]):
    """A file in the blob store (local or remote), passed between tasks by reference.

    The data moves only when the file is opened or downloaded. Create one with `from_local`
    (uploads a local file now), `new_remote` / `named_remote` (a location to write to with
    `open("wb")`) or `from_existing_remote` (data already in a store). Every I/O method is a
    coroutine with a blocking `_sync` twin.

    Attributes:
        path: Where the data is: an absolute local path, or a URI such as ``s3://bucket/key``.
        name: The file's name (defaults to the last part of `path`).
        format: An optional format label (``"csv"``, ``"jsonl"``, ...), carried on the literal type.
        hash: An optional content hash (set when uploaded with ``hash_method``).
    """

    path: str
    name: str | None = None
    format: str = ""
    hash: str | None = None

    def __post_init__(self) -> None:
        self.path = str(self.path)
        if self.name is None:
            self.name = blobstore.basename(self.path)

    # --------------------------------------------------------------------------- creating

    @classmethod
    async def from_local(
        cls,
        local_path: str | Path,
        remote_destination: str | None = None,
        hash_method: str | HashMethod | None = None,
    ) -> File[T]:
        """Upload a local file into the run's data area (or ``remote_destination``) and return it.

        The bytes are taken when this is called: rewriting the local file afterwards does not
        change the uploaded data.

        Raises:
            FileNotFoundError: `local_path` does not exist.
            IsADirectoryError: `local_path` is a directory (use `Dir.from_local`).
        """
        src = existing_file(local_path, "File.from_local")
        if src.stat().st_size <= SNAPSHOT_BYTES:
            data = src.read_bytes()  # before the first await: see SNAPSHOT_BYTES
            return await asyncio.to_thread(cls._store_bytes, data, src.name, remote_destination, hash_method)
        return await asyncio.to_thread(cls.from_local_sync, src, remote_destination, hash_method)

    @classmethod
    def from_local_sync(
        cls,
        local_path: str | Path,
        remote_destination: str | None = None,
        hash_method: str | HashMethod | None = None,
    ) -> File[T]:
        """Blocking twin of `from_local`."""
        src = existing_file(local_path, "File.from_local_sync")
        dest = remote_destination or blobstore.data_uri(src.name)
        store = blobstore.storage_for(dest)
        digest = None
        if hash_method is None:
            store.put_file(src, dest)
        else:
            hasher = new_hasher(hash_method)
            with store.open_write(dest) as out:
                blobstore.copy_with_hash(src, out, hasher)
            digest = digest_of(hasher)
        return cls(path=dest, name=src.name, hash=digest)

    @classmethod
    def _store_bytes(
        cls, data: bytes, name: str, remote_destination: str | None, hash_method: str | HashMethod | None
    ) -> File[T]:
        dest = remote_destination or blobstore.data_uri(name)
        digest = None
        if hash_method is not None:
            hasher = new_hasher(hash_method)
            hasher.update(data)
            digest = digest_of(hasher)
        with blobstore.storage_for(dest).open_write(dest) as out:
            out.write(data)
        return cls(path=dest, name=name, hash=digest)

    @classmethod
    def new_remote(cls, file_name: str | None = None, hash_method: str | HashMethod | None = None) -> File[T]:
        """A new, unique location in the run's data area; write it with ``open("wb")``."""
        return cls(path=blobstore.data_uri(file_name or "file"))

    @classmethod
    def named_remote(cls, name: str) -> File[T]:
        """A location in the run's data area that is the same for every call with `name` in one run."""
        if not name or name.startswith("/") or ".." in name.split("/"):
            raise ValueError(f"File.named_remote needs a relative name without '..', got {name!r}")
        return cls(path=blobstore.named_data_uri(name))

    @classmethod
    def from_existing_remote(cls, remote_path: str, file_cache_key: str | None = None) -> File[T]:
        """Refer to data already at `remote_path` (a path or URI); nothing is copied or checked."""
        if not remote_path:
            raise ValueError("File.from_existing_remote needs a path or URI, got an empty string")
        return cls(path=str(remote_path), hash=file_cache_key)

    # --------------------------------------------------------------------------- reading

    def open(self, mode: str = "rb", encoding: str | None = None, **_: Any) -> AsyncOpen:
        """Stream the file: ``async with file.open("rb") as fh: data = await fh.read()``.

        Modes ``rb`` and ``r`` read; ``wb`` and ``w`` write, and the data appears at `path` only
        when the block exits without an error.
        """
        return AsyncOpen(lambda: open_uri(self.path, mode, encoding))

    def open_sync(
        self, mode: str = "rb", encoding: str | None = None, **_: Any
    ) -> contextlib.AbstractContextManager[IO[Any]]:
        """Blocking twin of `open`: ``with file.open_sync("rb") as fh: ...``."""
        return open_uri(self.path, mode, encoding)

    async def download(self, local_path: str | Path | None = None) -> str:
        """Copy the file to `local_path` (a new temporary directory by default); return the local path.

        When `local_path` is an existing directory the file is placed inside it under `name`.
        """
        return await asyncio.to_thread(self.download_sync, local_path)

    def download_sync(self, local_path: str | Path | None = None) -> str:
        """Blocking twin of `download`."""
        if local_path is None:
            target = Path(tempfile.mkdtemp(prefix="flyte-download-")) / (self.name or "file")
        else:
            target = Path(local_path).expanduser()
            if target.is_dir():
                target = target / (self.name or blobstore.basename(self.path))
        store = blobstore.storage_for(self.path)
        if not store.exists(self.path):
            raise FileNotFoundError(f"File {self.path} has no data to download; was it written?")
        store.get_file(self.path, target)
        return str(target)


def format_of(t: Any) -> str:
    """The format label of ``File[fmt]`` / ``Dir[fmt]`` (a string, or a class/TypeVar named after it)."""
    args = typing.get_args(t)
    if not args:
        return ""
    fmt = args[0]
    if isinstance(fmt, str):
        return fmt
    if isinstance(fmt, typing.ForwardRef):
        return fmt.__forward_arg__
    return getattr(fmt, "__name__", "")


def blob_literal(uri: str, fmt: str, dimensionality: int, name: str | None, hash: str | None) -> literals_pb2.Literal:
    lit = literals_pb2.Literal()
    blob = lit.scalar.blob
    blob.uri = uri
    blob.metadata.type.format = fmt
    blob.metadata.type.dimensionality = dimensionality
    if hash:
        lit.hash = hash
    if name and name != blobstore.basename(uri):
        lit.metadata[NAME_KEY] = name
    return lit


def user_class(t: Any) -> Any:
    """The class of ``t``, without ``Annotated`` and generic parameters."""
    while typing.get_origin(t) is typing.Annotated:
        t = t.__origin__
    return typing.get_origin(t) or t


class BlobTransformer(TypeTransformer[Any]):
    """A File or Dir <-> a blob literal holding its URI, name and hash (subclasses fix which)."""

    DIMENSIONALITY: int
    #: How to turn a plain path into a value of this type, for the wrong-type error.
    UPLOAD_HINT: str
    #: (what a blob of the other dimensionality is, the type to declare for it)
    OTHER_KIND: tuple[str, str]
    #: What this transformer's literal type is, for guess_python_type's error.
    KIND: str

    def __init__(self, value_class: type) -> None:
        super().__init__(value_class.__name__, value_class, enable_type_assertions=False)
        self._value_class = value_class

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        return types_pb2.LiteralType(blob=types_pb2.BlobType(format=format_of(t), dimensionality=self.DIMENSIONALITY))

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        cls = user_class(python_type)
        if not isinstance(python_val, cls):
            hint = f" {self.UPLOAD_HINT}" if isinstance(python_val, (str, Path)) else ""
            raise TypeTransformerFailedError(
                f"Expected a {cls.__name__}, got {type(python_val).__name__} {python_val!r:.80}.{hint}"
            )
        fmt = python_val.format or expected.blob.format
        return blob_literal(python_val.path, fmt, self.DIMENSIONALITY, python_val.name, python_val.hash)

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> Any:
        cls = user_class(expected_python_type)
        if not (lv.HasField("scalar") and lv.scalar.HasField("blob")):
            raise TypeTransformerFailedError(f"Cannot make a {cls.__name__} from a literal without a blob: {lv}")
        blob = lv.scalar.blob
        if blob.metadata.type.dimensionality != self.DIMENSIONALITY:
            other, declare = self.OTHER_KIND
            raise TypeTransformerFailedError(f"The blob at {blob.uri} is a {other}; declare the value as {declare}")
        return cls(
            path=blob.uri,
            name=lv.metadata.get(NAME_KEY) or None,
            format=blob.metadata.type.format,
            hash=lv.hash or None,
        )

    def guess_python_type(self, literal_type: types_pb2.LiteralType) -> Any:
        if literal_type.HasField("blob") and literal_type.blob.dimensionality == self.DIMENSIONALITY:
            return self._value_class
        raise ValueError(f"{literal_type} is not a {self.KIND} blob type")


class FileTransformer(BlobTransformer):
    """File <-> a blob literal (dimensionality SINGLE)."""

    DIMENSIONALITY = types_pb2.BlobType.BlobDimensionality.SINGLE
    UPLOAD_HINT = "Upload a local path with `await File.from_local(path)` first."
    OTHER_KIND = ("directory", "Dir")
    KIND = "single-file"

    def __init__(self) -> None:
        super().__init__(File)


def register() -> None:
    TypeEngine.register(FileTransformer())
