"""Writing JSONL: records are buffered as JSON lines and written out a megabyte at a time.

A writer appends each record's line to a buffer; every `flush_bytes` the buffer is compressed
(zstd targets) and written to the staged file, on the caller's thread: a background thread
would spend more time waiting for the GIL than it saves. A directory writer also ends a shard
when it holds `max_records_per_shard` records or the next record would take it past
`max_bytes_per_shard` (uncompressed bytes), and publishes it at once: locally by linking it
under its name, which takes microseconds; in an object store with an upload, done by a
`Publisher` thread while the next shard is written.

Leaving the writer's block normally publishes what was written; leaving it with an exception
(or a cancellation) discards the file or shard being written, and only that.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import weakref
from collections import deque
from collections.abc import Awaitable, Iterable
from typing import IO, Any

import orjson
import zstandard

from flyteplugins.jsonl._format import logger
from flyteplugins.jsonl._pipe import CLOSED, Pipe
from flyteplugins.jsonl._targets import Target

_dumps = orjson.dumps
_OPT = orjson.OPT_APPEND_NEWLINE

#: Sealed shards waiting for their upload, at most, before the writer waits for the uploads.
PUBLISH_DEPTH = 2

_STOP: Any = object()


class Publisher:
    """Publishes sealed shards on a thread of its own, in order (uploads to an object store)."""

    def __init__(self, target: Target, label: str):
        self.target = target
        self.pipe = Pipe(PUBLISH_DEPTH)
        self.published: list[str] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"jsonl-publish {label}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            sealed = self.pipe.get()
            if sealed is _STOP or sealed is CLOSED:
                return
            if type(sealed) is threading.Event:  # a writer's flush() waits for what came before
                sealed.set()
                continue
            if self.error is not None:  # after a failure, the rest is dropped, never published out of order
                self.target.drop(sealed)
                continue
            try:
                self.published.append(self.target.publish(sealed))
            except BaseException as e:
                self.error = e

    def stop(self) -> None:
        self.pipe.put(_STOP)
        self.thread.join()


class _WriterBase:
    """State and slow paths shared by the four writer classes; `write` is each class's own.

    `write` runs once per record, so each class keeps its own copy of that fast path, written
    out in full: calling a shared method from it, or counting records in the file writers
    (which have no record limit), costs 15-25% of the write throughput.
    """

    def __init__(
        self,
        target: Target,
        label: str,
        compression_level: int | None,
        flush_bytes: int,
        max_records: int | None = None,
        max_bytes: int | None = None,
    ):
        self._label = label
        self._target = target
        self._cctx = (
            zstandard.ZstdCompressor(level=compression_level, write_checksum=True)
            if compression_level is not None
            else None
        )
        self._flush_bytes = flush_bytes
        self._max_records = max_records or sys.maxsize
        self._max_bytes = max_bytes or sys.maxsize
        self._buf = bytearray()
        # The buffer size at which `write` takes the slow path. Zero while the writer is not open,
        # so that the first `write` says what is wrong.
        self._flush_at = 0
        self._left = self._max_records  # records the current shard may still take
        self._room = self._max_bytes  # bytes the current shard may still take
        self._out: IO[bytes] | None = None  # the staged file being written
        self._frame: Any = None  # its zstd compressor
        self._published: list[str] = []
        self._publisher: Publisher | None = None
        self._backlog: deque[Any] = deque()  # sealed shards for the publisher, when its pipe is full
        self._state = "new"

    # ------------------------------------------------------------------------------ lifecycle

    def _open(self) -> None:
        if self._state != "new":
            raise RuntimeError(f"The JSONL writer for {self._label} was already used; call writer() again")
        self._target.prepare()
        if self._target.slow_publish:
            self._publisher = Publisher(self._target, self._label)
            weakref.finalize(self, self._publisher.pipe.close)
        weakref.finalize(self, self._target.discard)  # an abandoned writer publishes nothing
        self._state = "open"
        self._flush_at = min(self._flush_bytes, self._room)

    def _not_open(self) -> RuntimeError:
        if self._state == "new":
            return RuntimeError(
                f"The JSONL writer for {self._label} is not open; use it as a context manager: "
                "`async with f.writer() as w:` (or `with f.writer_sync() as w:`)"
            )
        return RuntimeError(f"The JSONL writer for {self._label} is closed; open a new one with writer()")

    def _finish(self, commit: bool) -> list[str]:
        """Publish (commit) or discard what is being written; returns every published path.

        Shards completed before an error are published either way. Blocking: the async writers
        call it on a worker thread.
        """
        if self._state != "open":
            return self.shards
        self._state = "closed"
        self._flush_at = 0
        try:
            if commit:
                try:
                    if self._buf:
                        self._write_out(self._buf)
                    if self._out is None and self._target.publishes_empty:
                        self._start_file()  # a file written with no records exists, empty
                    self._end_file()
                except BaseException:
                    self._target.discard()
                    raise
            else:
                self._target.discard()
        finally:
            self._frame = self._out = None
            self._buf = bytearray()
            self._shutdown_publisher(raise_error=commit)
        return self.shards

    def _shutdown_publisher(self, raise_error: bool) -> None:
        publisher = self._publisher
        if publisher is None:
            return
        self._drain_blocking()
        publisher.stop()
        if publisher.error is not None:
            if raise_error:
                raise publisher.error
            logger.warning("%s: publishing a completed shard failed: %s", self._label, publisher.error)

    # ------------------------------------------------------------------------------ bytes out

    def _start_file(self) -> None:
        self._out = self._target.open()
        self._frame = self._cctx.compressobj() if self._cctx is not None else None

    def _write_out(self, data: bytearray) -> None:
        if self._out is None:
            self._start_file()
        assert self._out is not None
        self._out.write(self._frame.compress(data) if self._frame is not None else data)

    def _end_file(self) -> None:
        """Seal the file being written and publish it (or hand it to the publisher)."""
        if self._out is None:
            return
        if self._frame is not None:
            self._out.write(self._frame.flush())
        self._out = self._frame = None
        sealed = self._target.seal()
        if self._publisher is None:
            self._published.append(self._target.publish(sealed))
            return
        if self._publisher.error is not None:
            self._target.drop(sealed)
            raise self._publisher.error
        if self._backlog or not self._publisher.pipe.try_put(sealed):
            self._backlog.append(sealed)

    def _drain_blocking(self) -> None:
        publisher = self._publisher
        while self._backlog and publisher is not None:
            publisher.pipe.put(self._backlog.popleft())

    async def _drain(self) -> None:
        publisher = self._publisher
        while self._backlog and publisher is not None:
            await publisher.pipe.aput(self._backlog[0])
            self._backlog.popleft()

    def _spill(self, size: int) -> None:
        """The buffer reached a flush or shard limit after a record of `size` bytes was added."""
        if self._state != "open":
            del self._buf[-size:]
            raise self._not_open()
        buf = self._buf
        if len(buf) > self._room and (len(buf) > size or self._room < self._max_bytes):
            # the record does not fit in this shard, which holds others: it starts the next one
            line = bytes(buf[-size:])
            del buf[-size:]
            self._end_shard()
            self._buf = buf = bytearray(line)
            self._left = self._max_records - 1
        if len(buf) >= self._room or not self._left:  # the shard is complete
            self._end_shard()
        elif len(buf) >= self._flush_bytes:
            self._write_buffer()
        self._flush_at = min(self._flush_bytes, self._room)

    def _write_buffer(self) -> None:
        """Write the buffer out to the shard being written, whose room it takes."""
        self._write_out(self._buf)
        self._room -= len(self._buf)
        self._buf = bytearray()

    def _end_shard(self) -> None:
        """Write out the buffer (if any) and seal the shard; the next one starts empty."""
        if self._buf:
            self._write_out(self._buf)
        self._end_file()
        self._buf = bytearray()
        self._left = self._max_records
        self._room = self._max_bytes

    def _flush_buffer(self) -> threading.Event | None:
        """Write out the buffer; returns an event set once completed shards are all published."""
        if self._state != "open":
            raise self._not_open()
        if self._buf:
            self._write_buffer()
            self._flush_at = min(self._flush_bytes, self._room)
        if self._out is not None:
            self._out.flush()
        if self._publisher is None:
            return None
        published = threading.Event()
        self._backlog.append(published)
        return published

    def _check_publisher(self) -> None:
        if self._publisher is not None and self._publisher.error is not None:
            raise self._publisher.error

    def _serialise_error(self, record: Any, error: Exception) -> TypeError:
        return TypeError(
            f"Cannot write {type(record).__name__} {record!r:.100} to {self._label} as JSON: {error}. "
            "Records are serialised with orjson: dicts with str keys, lists, str, int, float, bool, None, "
            "datetime, UUID, dataclasses, numpy arrays; convert other values first (e.g. str(value))"
        )

    @property
    def shards(self) -> list[str]:
        """Paths of the files published so far, in publishing order."""
        published = self._publisher.published if self._publisher is not None else self._published
        return list(published)


class JsonlWriter(_WriterBase):
    """Writes records to a JsonlFile: ``async with f.writer() as w: await w.write(record)``.

    The file appears, complete, when the block exits without an error; an error or a
    cancellation inside the block leaves the previous content (or nothing) in place.
    """

    _done: asyncio.Future[None]

    def write(self, record: Any) -> Awaitable[None]:
        """Append one record (anything orjson serialises; usually a dict) as one line.

        Returns an awaitable: ``await w.write(record)``; it is already complete unless
        completed shards are waiting for their upload to an object store.
        """
        try:
            line = _dumps(record, option=_OPT)
        except TypeError as e:
            raise self._serialise_error(record, e) from e
        buf = self._buf
        buf += line
        if len(buf) >= self._flush_at:
            self._spill(len(line))
            if self._backlog:
                return self._drain()
        return self._done

    async def write_many(self, records: Iterable[Any]) -> None:
        """Append every record of `records`, in order."""
        if self._state != "open":
            raise self._not_open()
        write = self.write
        done = self._done
        for record in records:
            pending = write(record)
            if pending is not done:
                await pending

    async def flush(self) -> None:
        """Write the buffered records to the file being written (hidden until it is complete),
        and wait until every completed shard is published."""
        published = self._flush_buffer()
        if published is not None:
            await self._drain()
            await asyncio.to_thread(published.wait)
            self._check_publisher()

    async def __aenter__(self) -> JsonlWriter:
        self._open()
        # `write` hands out this completed future: awaiting it costs less than a coroutine
        self._done = asyncio.get_running_loop().create_future()
        self._done.set_result(None)
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        await asyncio.to_thread(self._finish, exc_type is None)

    async def close(self) -> list[str]:
        """Publish what was written (the block's exit does this); returns the published paths."""
        return await asyncio.to_thread(self._finish, True)


class JsonlWriterSync(_WriterBase):
    """Writes records to a JsonlFile from blocking code: ``with f.writer_sync() as w: w.write(record)``."""

    def write(self, record: Any) -> None:
        """Append one record (anything orjson serialises; usually a dict) as one line."""
        try:
            line = _dumps(record, option=_OPT)
        except TypeError as e:
            raise self._serialise_error(record, e) from e
        buf = self._buf
        buf += line
        if len(buf) >= self._flush_at:
            self._spill(len(line))
            if self._backlog:
                self._drain_blocking()

    def write_many(self, records: Iterable[Any]) -> None:
        """Append every record of `records`, in order."""
        write = self.write
        for record in records:
            write(record)

    def flush(self) -> None:
        """Write the buffered records to the file being written (hidden until it is complete),
        and wait until every completed shard is published."""
        published = self._flush_buffer()
        if published is not None:
            self._drain_blocking()
            published.wait()
            self._check_publisher()

    def __enter__(self) -> JsonlWriterSync:
        self._open()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self._finish(exc_type is None)

    def close(self) -> list[str]:
        """Publish what was written (the block's exit does this); returns the published paths."""
        return self._finish(True)


class JsonlDirWriter(JsonlWriter):
    """Writes records to the shards of a JsonlDir: ``async with d.writer() as w: await w.write(record)``.

    Each shard is published as soon as it is complete. An error or a cancellation inside the
    block discards only the shard being written; the shards completed before stay readable.
    """

    def write(self, record: Any) -> Awaitable[None]:
        """Append one record; a new shard starts when the current one is full."""
        try:
            line = _dumps(record, option=_OPT)
        except TypeError as e:
            raise self._serialise_error(record, e) from e
        buf = self._buf
        buf += line
        self._left -= 1
        if len(buf) >= self._flush_at or not self._left:
            self._spill(len(line))
            if self._backlog:
                return self._drain()
        return self._done

    async def __aenter__(self) -> JsonlDirWriter:
        await super().__aenter__()
        return self


class JsonlDirWriterSync(JsonlWriterSync):
    """Writes records to the shards of a JsonlDir from blocking code: ``with d.writer_sync() as w: ...``."""

    def write(self, record: Any) -> None:
        """Append one record; a new shard starts when the current one is full."""
        try:
            line = _dumps(record, option=_OPT)
        except TypeError as e:
            raise self._serialise_error(record, e) from e
        buf = self._buf
        buf += line
        self._left -= 1
        if len(buf) >= self._flush_at or not self._left:
            self._spill(len(line))
            if self._backlog:
                self._drain_blocking()

    def __enter__(self) -> JsonlDirWriterSync:
        super().__enter__()
        return self
