"""Reading JSONL: bytes are read ahead of the parser, which runs on the caller's thread.

`ReadAhead` hands the consumer line-aligned chunks of one file after another, in order, and
reads the next `prefetch` files while the consumer works on the current one:

- Local files are read on the consumer's thread, a megabyte per call (from the page cache, that
  is a copy of a few hundred microseconds). The next files are opened early and the kernel is
  asked to read them ahead (``posix_fadvise(WILLNEED)``), so their bytes are in memory when
  the parser gets to them; no Python thread is involved.
- Files in an object store are read by `1 + prefetch` lanes (threads): lane ``i`` reads files
  ``i, i + lanes, ...``, each into its own bounded pipe, so the next files download while the
  current one is parsed. Lanes only move bytes (a read releases the GIL).

Decompression, line splitting, parsing and every ``on_error`` callable run on the consumer's
thread: a second Python thread that needed the GIL for each chunk would spend most of its time
waiting for it behind the parser.
"""

from __future__ import annotations

import asyncio
import io
import operator
import os
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from itertools import islice
from typing import IO, Any

import orjson
import zstandard

from flyte.io import File
from flyte.io.extend import local_path
from flyteplugins.jsonl._format import GZIP_MAGIC, ZSTD_MAGIC, LineErrors, logger
from flyteplugins.jsonl._pipe import CLOSED, Pipe

#: Bytes read at a time when records are parsed, and for Arrow's reader (which parses the
#: blocks of a chunk on several threads).
RECORD_BLOCK = 1 << 20
ARROW_BLOCK = 4 << 20
#: Blocks a lane may read ahead of the consumer (object stores).
PIPE_DEPTH = 4
#: Bytes of lines the async reader parses at once (small enough to stay in the CPU cache).
ASYNC_PART = 16 * 1024
#: Compressed bytes decompressed at a time (the output is several times larger).
ZSTD_INPUT = 64 * 1024

#: (line-aligned bytes, 1-based number of their first line, the file's path)
Chunk = tuple[bytes, int, str]

_FILE_END: Any = object()


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


def _missing(path: str, error: OSError) -> FileNotFoundError:
    return FileNotFoundError(f"No JSONL data at {path} ({error.strerror or error}); was it written?")


class ReadAhead:
    """The line-aligned chunks of some files, file after file, read ahead of the consumer.

    Use `get` (blocking) or `aget` (event loop) until they return None, then `close` (also
    safe to call early).
    """

    def __init__(
        self, paths: list[str] | Callable[[], list[str]], block_bytes: int = RECORD_BLOCK, prefetch: int = 1
    ):
        # a callable lists the files when reading starts (on a worker thread for `aget`)
        self._list = paths if callable(paths) else None
        self._paths: list[str] = [] if callable(paths) else paths
        self._block_bytes = block_bytes
        self._prefetch = prefetch
        self._index = 0  # the file the consumer is on
        self._decoder: LineDecoder | None = None
        self._ready: deque[Chunk] = deque()
        self._closed = False
        self._started = False
        self._local = True
        # local files: open handles, by index (the current file and the ones read ahead)
        self._open: dict[int, IO[bytes]] = {}
        # object stores: the lanes' pipes, and the consumer's progress they wait on
        self._lanes = 1
        self._pipes: list[Pipe] = []
        self._progress = threading.Condition()

    def _start(self, paths: list[str]) -> None:
        self._started = True
        self._paths = paths
        self._local = all(local_path(p) is not None for p in self._paths)
        if self._local or not self._paths:
            return
        self._lanes = max(1, min(len(self._paths), self._prefetch + 1))
        self._pipes = [Pipe(PIPE_DEPTH) for _ in range(self._lanes)]
        for lane in range(self._lanes):
            threading.Thread(target=self._read_lane, args=(lane,), name=f"jsonl-read-{lane}", daemon=True).start()

    # ------------------------------------------------------------------------------ local files

    def _read_local(self) -> Any:
        k = self._index
        fh = self._open.get(k)
        if fh is None:
            fh = self._open_local(k)
        for ahead in range(k + 1, min(k + 1 + self._prefetch, len(self._paths))):
            if ahead not in self._open:
                self._open_local(ahead)
        block = fh.read(self._block_bytes)
        if block:
            return block
        self._open.pop(k).close()
        return _FILE_END

    def _open_local(self, k: int) -> IO[bytes]:
        path = self._paths[k]
        local = local_path(path)
        assert local is not None
        try:
            fh = open(local, "rb", buffering=0)
        except FileNotFoundError as e:
            raise _missing(path, e) from None
        self._open[k] = fh
        if hasattr(os, "posix_fadvise"):
            # the kernel reads the file into the page cache in the background
            os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_WILLNEED)
        logger.debug("reading %s", path)
        return fh

    # ------------------------------------------------------------------------------ object stores

    def _read_lane(self, lane: int) -> None:
        pipe = self._pipes[lane]
        size = self._block_bytes
        for k in range(lane, len(self._paths), self._lanes):
            with self._progress:
                # file k may be read once the consumer is within `prefetch` files of it
                while not self._closed and self._index < k - self._prefetch:
                    self._progress.wait()
                if self._closed:
                    return
            path = self._paths[k]
            try:
                with File(path=path).open_sync("rb") as fh:
                    logger.debug("reading %s", path)
                    while block := fh.read(size):
                        if not pipe.put(block):
                            return
            except FileNotFoundError as e:
                pipe.put(_Failure(_missing(path, e)))
                return
            except BaseException as e:
                pipe.put(_Failure(e))
                return
            if not pipe.put(_FILE_END):
                return

    # ------------------------------------------------------------------------------ consumer

    def _take(self, item: Any) -> bool:
        """Decode one block of the current file; False once every file is done."""
        if item is _FILE_END:
            if self._decoder is not None:
                self._ready.extend(self._decoder.finish())
                self._decoder = None
            with self._progress:
                self._index += 1
                self._progress.notify_all()
            return self._index < len(self._paths) or bool(self._ready)
        if type(item) is _Failure:
            self.close()
            raise item.error
        if item is CLOSED:
            return False
        if self._decoder is None:
            self._decoder = LineDecoder(self._paths[self._index])
        self._ready.extend(self._decoder.feed(item))
        return True

    def _wants_block(self) -> bool:
        """No chunk is ready, and a file is left to read (once started)."""
        return not self._ready and not self._closed and self._index < len(self._paths)

    def get(self) -> Chunk | None:
        if not self._started and not self._closed:
            self._start(self._list() if self._list is not None else self._paths)
        while self._wants_block():
            item = self._read_local() if self._local else self._pipes[self._index % self._lanes].get()
            if not self._take(item):
                break
        return self._ready.popleft() if self._ready else None

    async def aget(self) -> Chunk | None:
        if not self._started and not self._closed:
            self._start(await asyncio.to_thread(self._list) if self._list is not None else self._paths)
        while self._wants_block():
            if self._local:
                item = self._read_local()
            else:
                item = await self._pipes[self._index % self._lanes].aget()
            if not self._take(item):
                break
        return self._ready.popleft() if self._ready else None

    def close(self) -> None:
        with self._progress:
            self._closed = True
            self._progress.notify_all()
        for pipe in self._pipes:
            pipe.close()
        for fh in self._open.values():
            fh.close()
        self._open.clear()


# ---------------------------------------------------------------------------------- bytes


class LineDecoder:
    """Turns one file's bytes (plain or zstd, told apart by its first bytes) into line-aligned chunks."""

    def __init__(self, path: str):
        self.path = path
        self._kind = ""  # "", then "plain" or "zstd" once the first bytes are in
        self._head = b""
        self._line = 1  # number of the next chunk's first line
        self._partial: list[bytes] = []  # the start of a line that continues in the next block
        self._dctx: Any = None
        self._frame: Any = None
        self._in_frame = False  # input fed to `_frame` that has not completed it yet

    def feed(self, block: bytes) -> list[Chunk]:
        if not self._kind:
            block = self._head + block
            if len(block) < 4:  # too short to tell yet
                self._head = block
                return []
            self._head = b""
            self._kind = _sniff(block, self.path)
            if self._kind == "zstd":
                self._dctx = zstandard.ZstdDecompressor()
                self._frame = self._dctx.decompressobj()
        if self._kind == "plain":
            return self._cut(block)
        out: list[Chunk] = []
        view = memoryview(block)
        for start in range(0, len(block), ZSTD_INPUT):
            data = self._decompress(view[start : start + ZSTD_INPUT])
            if data:
                out += self._cut(data)
        return out

    def finish(self) -> list[Chunk]:
        out: list[Chunk] = []
        if not self._kind and self._head:  # a file of 1-3 bytes: too short for any magic number
            self._kind = "plain"
            head, self._head = self._head, b""
            out = self._cut(head)
        if self._in_frame:
            raise ValueError(
                f"{self.path}: the zstd stream ends in the middle of a frame (a truncated or partly copied "
                "file); the records after the last complete frame are missing"
            )
        if self._partial:
            data = b"".join(self._partial)
            self._partial.clear()
            out.append((data, self._line, self.path))
        return out

    def _decompress(self, data: Any) -> bytes:
        """Everything `data` decompresses to; frames may end and begin anywhere in it."""
        pieces = []
        while data:
            try:
                out = self._frame.decompress(data)
            except zstandard.ZstdError as e:
                raise ValueError(f"{self.path}: the zstd stream is corrupt ({e}); the file cannot be read") from e
            self._in_frame = True
            if out:
                pieces.append(out)
            if self._frame.eof:  # this frame is complete; what follows starts another one
                data = self._frame.unused_data
                self._frame = self._dctx.decompressobj()
                self._in_frame = False
            else:
                break
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def _cut(self, block: bytes) -> list[Chunk]:
        cut = block.rfind(b"\n") + 1
        if cut == 0:
            self._partial.append(block)
            return []
        if self._partial:
            self._partial.append(block[:cut])
            data = b"".join(self._partial)
            self._partial.clear()
        else:
            data = block if cut == len(block) else block[:cut]
        if cut < len(block):
            self._partial.append(block[cut:])
        first = self._line
        self._line += data.count(b"\n")
        return [(data, first, self.path)]


def _sniff(head: bytes, path: str) -> str:
    if head[:4] == ZSTD_MAGIC or (len(head) >= 4 and head[0] & 0xF0 == 0x50 and head[1:4] == b"\x2a\x4d\x18"):
        return "zstd"  # a zstd frame, or a skippable frame (magic 0x184D2A5?)
    if head[:2] == GZIP_MAGIC:
        raise ValueError(
            f"{path} is gzip-compressed; JSONL files here are plain or zstd-compressed. Decompress it "
            "(gunzip) or rewrite it with a .jsonl.zst name"
        )
    return "plain"


# -------------------------------------------------------------------------------- records


def records_sync(source: ReadAhead, errors: LineErrors) -> Iterator[Any]:
    """Every record of the chunks from `source`, parsed on the calling thread."""
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    try:
        while (chunk := source.get()) is not None:
            data, first_line, path = chunk
            lines = io.BytesIO(data)
            for line in lines:
                try:
                    record = loads(line)
                except decode_error as e:
                    errors.bad_line_in(path, data, lines.tell() - len(line), first_line, line, e)
                    continue
                yield record
    finally:
        source.close()


async def records_async(source: ReadAhead, errors: LineErrors) -> AsyncIterator[Any]:
    """`records_sync` for an event loop: waits for chunks without blocking it.

    Parses a few hundred lines at a time and yields from the list: each step of an async
    generator costs more than a generator's, and the bulk parse earns part of it back.
    """
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    try:
        while (chunk := await source.aget()) is not None:
            data, line_number, path = chunk
            lines = io.BytesIO(data)
            while part := lines.readlines(ASYNC_PART):
                try:
                    records = list(map(loads, part))
                except decode_error:
                    records = []
                    _parse_lines(part, line_number, path, errors, records)
                line_number += len(part)
                for record in records:
                    yield record
    finally:
        source.close()


def _parse_lines(lines: list[bytes], first_line: int, path: str, errors: LineErrors, into: list[Any]) -> None:
    """Append the records of `lines` (the first is line `first_line` of `path`) to `into`."""
    rest = iter(lines)
    parsed = map(orjson.loads, rest)
    while True:
        try:
            into.extend(parsed)  # keeps the records parsed before a bad line
            return
        except orjson.JSONDecodeError as e:
            bad = len(lines) - operator.length_hint(rest) - 1  # the iterator is just past the bad line
            errors.bad_line(path, first_line + bad, lines[bad], e)


class Batcher:
    """Cuts chunks into lists of `size` records, parsing no more lines at a time than a batch needs."""

    def __init__(self, errors: LineErrors, size: int):
        self.errors = errors
        self.size = size
        self.batch: list[Any] = []

    def add(self, chunk: Chunk) -> list[list[Any]]:
        """The batches this chunk completes; the rest of it waits in `batch`."""
        data, line_number, path = chunk
        lines = io.BytesIO(data)
        full = []
        while part := list(islice(lines, self.size - len(self.batch))):
            _parse_lines(part, line_number, path, self.errors, self.batch)
            line_number += len(part)
            if len(self.batch) == self.size:
                full.append(self.batch)
                self.batch = []
        return full


def batches_sync(source: ReadAhead, errors: LineErrors, batch_size: int) -> Iterator[list[Any]]:
    batcher = Batcher(errors, batch_size)
    try:
        while (chunk := source.get()) is not None:
            yield from batcher.add(chunk)
        if batcher.batch:
            yield batcher.batch
    finally:
        source.close()


async def batches_async(source: ReadAhead, errors: LineErrors, batch_size: int) -> AsyncIterator[list[Any]]:
    batcher = Batcher(errors, batch_size)
    try:
        while (chunk := await source.aget()) is not None:
            for batch in batcher.add(chunk):
                yield batch
        if batcher.batch:
            yield batcher.batch
    finally:
        source.close()
