"""`JsonlFile` and `JsonlDir`: a File and a Dir that read and write JSON Lines record by record."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from flyte.io import Dir, File
from flyteplugins.jsonl._arrow import ArrowChunks, arrow_batches_async, arrow_batches_sync, check_schema
from flyteplugins.jsonl._format import (
    LineErrors,
    OnError,
    check_level,
    check_positive,
    check_shard_extension,
    is_compressed_name,
)
from flyteplugins.jsonl._read import (
    ARROW_BLOCK,
    RECORD_BLOCK,
    ReadAhead,
    batches_async,
    batches_sync,
    records_async,
    records_sync,
)
from flyteplugins.jsonl._targets import FileTarget, readable_files, shard_target
from flyteplugins.jsonl._write import JsonlDirWriter, JsonlDirWriterSync, JsonlWriter, JsonlWriterSync

FORMAT = "jsonl"
FLUSH_BYTES = 1 << 20
MAX_SHARD_BYTES = 256 << 20


def _prefetch(prefetch: Any) -> int:
    if prefetch is True:
        return 1
    if prefetch is False or prefetch is None:
        return 0
    if isinstance(prefetch, int) and prefetch >= 0:
        return prefetch
    raise ValueError(f"prefetch must be True, False or a number of files to read ahead (>= 0), got {prefetch!r}")


def _batches_args(
    paths: list[str] | Callable[[], list[str]], batch_size: int, on_error: OnError, prefetch: bool | int = True
) -> tuple[ReadAhead, LineErrors, int]:
    """The arguments of `batches_sync` and `batches_async`, from a reader's (checked here)."""
    size = check_positive("batch_size", batch_size)
    return ReadAhead(paths, RECORD_BLOCK, _prefetch(prefetch)), LineErrors(on_error), size


def _arrow_args(
    paths: list[str] | Callable[[], list[str]],
    batch_size: int,
    on_error: OnError,
    schema: Any,
    prefetch: bool | int = True,
) -> tuple[ReadAhead, ArrowChunks, int]:
    """The arguments of `arrow_batches_sync` and `arrow_batches_async`, from a reader's (checked here)."""
    size = check_positive("batch_size", batch_size)
    converter = ArrowChunks(LineErrors(on_error), check_schema(schema))
    return ReadAhead(paths, ARROW_BLOCK, _prefetch(prefetch)), converter, size


@dataclass
class JsonlFile(File):
    """A JSON Lines file: one JSON value (usually an object) per line, optionally zstd-compressed.

    A `File`, so it is a task input or output like any other and keeps every File method. A
    name ending in ``.jsonl.zst`` or ``.jsonl.zstd`` (any case) is written zstd-compressed;
    reading recognises zstd data by its first bytes, whatever the name. Every method has a
    blocking ``_sync`` twin.
    """

    format: str = FORMAT

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.format:  # e.g. received from a task that returned a plain File
            self.format = FORMAT

    @classmethod
    def new_remote(cls, file_name: str | None = None, hash_method: Any = None) -> JsonlFile:
        """A new, unique location in the run's data area, e.g. ``JsonlFile.new_remote("out.jsonl.zst")``."""
        return cast(JsonlFile, super().new_remote(file_name or "data.jsonl", hash_method))

    # ------------------------------------------------------------------------------ writing

    def _writer_args(self, flush_bytes: int, compression_level: int) -> tuple[int | None, int]:
        level = check_level(compression_level)
        return (level if is_compressed_name(self.path) else None), check_positive("flush_bytes", flush_bytes)

    def writer(self, flush_bytes: int = FLUSH_BYTES, compression_level: int = 3) -> JsonlWriter:
        """Write the file record by record: ``async with f.writer() as w: await w.write({...})``.

        The file appears, complete, when the block exits without an error; an error or a
        cancellation inside the block leaves the previous content (or nothing) in place.

        Args:
            flush_bytes: Serialised bytes buffered before they go to the background writer.
            compression_level: zstd level, used when the name ends in .zst or .zstd.
        """
        level, flush = self._writer_args(flush_bytes, compression_level)
        return JsonlWriter(FileTarget(self.path), f"JsonlFile {self.path}", level, flush)

    def writer_sync(self, flush_bytes: int = FLUSH_BYTES, compression_level: int = 3) -> JsonlWriterSync:
        """Blocking twin of `writer`: ``with f.writer_sync() as w: w.write({...})``."""
        level, flush = self._writer_args(flush_bytes, compression_level)
        return JsonlWriterSync(FileTarget(self.path), f"JsonlFile {self.path}", level, flush)

    # ------------------------------------------------------------------------------ reading

    def iter_records(self, on_error: OnError = "raise") -> AsyncIterator[Any]:
        """The file's records, one per line: ``async for record in f.iter_records(): ...``.

        Args:
            on_error: For a line that is not valid JSON: ``"raise"`` a `JsonlDecodeError`
                naming the file and line number, ``"skip"`` it with a logged warning, or a
                callable ``(line_number, raw_line, exc)`` called before it is skipped.
                Blank lines are always skipped.
        """
        return records_async(ReadAhead([self.path]), LineErrors(on_error))

    def iter_records_sync(self, on_error: OnError = "raise") -> Iterator[Any]:
        """Blocking twin of `iter_records`."""
        return records_sync(ReadAhead([self.path]), LineErrors(on_error))

    def iter_batches(self, batch_size: int = 1000, on_error: OnError = "raise") -> AsyncIterator[list[Any]]:
        """The records in lists of `batch_size` (the last may be shorter)."""
        return batches_async(*_batches_args([self.path], batch_size, on_error))

    def iter_batches_sync(self, batch_size: int = 1000, on_error: OnError = "raise") -> Iterator[list[Any]]:
        """Blocking twin of `iter_batches`."""
        return batches_sync(*_batches_args([self.path], batch_size, on_error))

    def iter_arrow_batches(
        self, batch_size: int = 65_536, on_error: OnError = "raise", schema: Any = None
    ) -> AsyncIterator[Any]:
        """The records as ``pyarrow.RecordBatch`` es of `batch_size` rows, parsed by Arrow's JSON reader.

        Needs ``pip install 'flyteplugins-jsonl[arrow]'``. Every batch has the same schema: the
        one given, or the one Arrow infers from the first rows (a field that first appears
        later is an error that asks for `schema`). With a given schema other fields are ignored.
        """
        return arrow_batches_async(*_arrow_args([self.path], batch_size, on_error, schema))

    def iter_arrow_batches_sync(
        self, batch_size: int = 65_536, on_error: OnError = "raise", schema: Any = None
    ) -> Iterator[Any]:
        """Blocking twin of `iter_arrow_batches`."""
        return arrow_batches_sync(*_arrow_args([self.path], batch_size, on_error, schema))


@dataclass
class JsonlDir(Dir):
    """A directory of JSON Lines shards, read as one stream of records.

    A `Dir`, so it is a task input or output like any other and keeps every Dir method.
    Writers name shards ``part-00000.jsonl``, ``part-00001.jsonl``, ... and continue after the
    highest existing index. Readers take every visible ``*.jsonl``, ``*.jsonl.zst`` and
    ``*.jsonl.zstd`` file directly in the directory (shards or not, compressed or not), ordered
    by name with digit runs compared as numbers (``part-99999`` before ``part-100000``), and
    read the next files in the background while the current one is consumed. Every method has
    a blocking ``_sync`` twin.
    """

    format: str = FORMAT

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.format:
            self.format = FORMAT

    @classmethod
    def new_remote(cls, dir_name: str | None = None, hash: str | None = None) -> JsonlDir:
        """A new, unique directory location in the run's data area."""
        return cast(JsonlDir, super().new_remote(dir_name or "jsonl", hash))

    # ------------------------------------------------------------------------------ writing

    def _writer_args(
        self,
        shard_extension: str,
        max_records_per_shard: int | None,
        max_bytes_per_shard: int | None,
        flush_bytes: int,
        compression_level: int,
    ) -> tuple[Any, ...]:
        extension = check_shard_extension(shard_extension)
        level = check_level(compression_level)
        return (
            shard_target(self.path, extension),
            f"JsonlDir {self.path}",
            level if is_compressed_name(extension) else None,
            check_positive("flush_bytes", flush_bytes),
            check_positive("max_records_per_shard", max_records_per_shard, allow_none=True),
            check_positive("max_bytes_per_shard", max_bytes_per_shard, allow_none=True),
        )

    def writer(
        self,
        shard_extension: str = ".jsonl",
        max_records_per_shard: int | None = None,
        max_bytes_per_shard: int | None = MAX_SHARD_BYTES,
        flush_bytes: int = FLUSH_BYTES,
        compression_level: int = 3,
    ) -> JsonlDirWriter:
        """Write records into shards: ``async with d.writer(max_records_per_shard=100_000) as w: ...``.

        A shard ends when it holds `max_records_per_shard` records, or before a record that
        would take it past `max_bytes_per_shard` uncompressed bytes (a record larger than that
        gets a shard of its own). Each shard appears, complete, as soon as it ends; an error or
        a cancellation inside the block discards only the shard being written.

        Args:
            shard_extension: ``.jsonl``, or ``.jsonl.zst`` / ``.jsonl.zstd`` for zstd shards.
            max_records_per_shard: Records per shard, or None for no limit.
            max_bytes_per_shard: Uncompressed bytes per shard, or None for no limit.
            flush_bytes: Serialised bytes buffered before they go to the background writer.
            compression_level: zstd level for compressed shards.
        """
        args = self._writer_args(
            shard_extension, max_records_per_shard, max_bytes_per_shard, flush_bytes, compression_level
        )
        return JsonlDirWriter(*args)

    def writer_sync(
        self,
        shard_extension: str = ".jsonl",
        max_records_per_shard: int | None = None,
        max_bytes_per_shard: int | None = MAX_SHARD_BYTES,
        flush_bytes: int = FLUSH_BYTES,
        compression_level: int = 3,
    ) -> JsonlDirWriterSync:
        """Blocking twin of `writer`: ``with d.writer_sync(...) as w: w.write({...})``."""
        args = self._writer_args(
            shard_extension, max_records_per_shard, max_bytes_per_shard, flush_bytes, compression_level
        )
        return JsonlDirWriterSync(*args)

    # ------------------------------------------------------------------------------ reading

    def _jsonl_paths(self) -> list[str]:
        return readable_files(self.path)

    async def jsonl_files(self) -> list[JsonlFile]:
        """The files the readers read, in reading order."""
        return [JsonlFile(path=p) for p in await asyncio.to_thread(self._jsonl_paths)]

    def jsonl_files_sync(self) -> list[JsonlFile]:
        """Blocking twin of `jsonl_files`."""
        return [JsonlFile(path=p) for p in self._jsonl_paths()]

    def iter_records(self, on_error: OnError = "raise", prefetch: bool | int = True) -> AsyncIterator[Any]:
        """Every record of every file, in order: ``async for record in d.iter_records(): ...``.

        Args:
            on_error: As for `JsonlFile.iter_records`; line numbers count within each file.
            prefetch: How many of the next files are read in the background while the current
                one is consumed: True (one), False (none; files are read one at a time) or a number.
        """
        errors = LineErrors(on_error)
        return records_async(ReadAhead(self._jsonl_paths, RECORD_BLOCK, _prefetch(prefetch)), errors)

    def iter_records_sync(self, on_error: OnError = "raise", prefetch: bool | int = True) -> Iterator[Any]:
        """Blocking twin of `iter_records`."""
        errors = LineErrors(on_error)
        return records_sync(ReadAhead(self._jsonl_paths, RECORD_BLOCK, _prefetch(prefetch)), errors)

    def iter_batches(
        self, batch_size: int = 1000, on_error: OnError = "raise", prefetch: bool | int = True
    ) -> AsyncIterator[list[Any]]:
        """The records in lists of `batch_size` (the last may be shorter); batches span files."""
        return batches_async(*_batches_args(self._jsonl_paths, batch_size, on_error, prefetch))

    def iter_batches_sync(
        self, batch_size: int = 1000, on_error: OnError = "raise", prefetch: bool | int = True
    ) -> Iterator[list[Any]]:
        """Blocking twin of `iter_batches`."""
        return batches_sync(*_batches_args(self._jsonl_paths, batch_size, on_error, prefetch))

    def iter_arrow_batches(
        self,
        batch_size: int = 65_536,
        on_error: OnError = "raise",
        schema: Any = None,
        prefetch: bool | int = True,
    ) -> AsyncIterator[Any]:
        """The records as ``pyarrow.RecordBatch`` es of `batch_size` rows (batches span files).

        As `JsonlFile.iter_arrow_batches`; every file is held to the same schema.
        """
        return arrow_batches_async(*_arrow_args(self._jsonl_paths, batch_size, on_error, schema, prefetch))

    def iter_arrow_batches_sync(
        self,
        batch_size: int = 65_536,
        on_error: OnError = "raise",
        schema: Any = None,
        prefetch: bool | int = True,
    ) -> Iterator[Any]:
        """Blocking twin of `iter_arrow_batches`."""
        return arrow_batches_sync(*_arrow_args(self._jsonl_paths, batch_size, on_error, schema, prefetch))
