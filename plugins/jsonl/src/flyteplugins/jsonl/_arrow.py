"""Arrow record batches from JSONL, parsed by Arrow's own JSON reader (``pyarrow.json``).

Chunks of lines (see `_read`) go to `pyarrow.json.read_json` whole, with the schema fixed by
the first rows (or given by the caller) so that every batch has the same columns and types.
Only a chunk that Arrow rejects is looked at line by line, to apply ``on_error`` with line
numbers; its good lines are then parsed by Arrow again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson

from flyteplugins.jsonl._format import LineErrors
from flyteplugins.jsonl._read import Chunk, ReadAhead

#: Arrow parses a chunk in blocks of this size, in parallel.
BLOCK_BYTES = 1 << 20


def require_pyarrow() -> tuple[Any, Any]:
    """``(pyarrow, pyarrow.json)``, or an error that says which extra to install."""
    try:
        import pyarrow
        import pyarrow.json
    except ImportError as e:
        raise ModuleNotFoundError(
            f"iter_arrow_batches needs pyarrow, which is not installed ({e}); "
            "pip install 'flyteplugins-jsonl[arrow]'"
        ) from e
    return pyarrow, pyarrow.json


def check_schema(schema: Any) -> Any:
    if schema is None:
        return None
    pa, _ = require_pyarrow()
    if not isinstance(schema, pa.Schema):
        raise TypeError(
            f"schema must be a pyarrow.Schema, got {type(schema).__name__}; "
            "e.g. pa.schema([('id', pa.int64()), ('value', pa.float64())])"
        )
    return schema


class ArrowChunks:
    """Parses chunks into tables that all share one schema."""

    def __init__(self, errors: LineErrors, schema: Any = None):
        self.pa, self.pj = require_pyarrow()
        self.errors = errors
        self.given = schema is not None
        self.schema = schema

    def _read(self, data: bytes, block_size: int) -> Any:
        pj = self.pj
        parse = None
        if self.schema is not None:
            # given: other fields are not wanted; inferred: a new field is reported by `accept`
            behaviour = "ignore" if self.given else "infer"
            parse = pj.ParseOptions(explicit_schema=self.schema, unexpected_field_behavior=behaviour)
        read = pj.ReadOptions(use_threads=True, block_size=block_size)
        return pj.read_json(self.pa.BufferReader(data), read_options=read, parse_options=parse)

    def parse(self, data: bytes) -> Any:
        """Arrow's table of `data`; raises ``pyarrow.ArrowInvalid`` when Arrow rejects it."""
        if not data:
            return None
        try:
            return self._read(data, BLOCK_BYTES)
        except self.pa.ArrowInvalid:
            if len(data) <= BLOCK_BYTES:
                raise
            # a line longer than a block straddles blocks: try the chunk as one block
            return self._read(data, len(data) + 1)

    def recover(self, chunk: Chunk) -> bytes:
        """The chunk without its bad lines, each handed to ``on_error`` (which may raise)."""
        data, first_line, path = chunk
        keep: list[bytes] = []
        for i, line in enumerate(data.split(b"\n")):
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as e:
                self.errors.bad_line(path, first_line + i, line, e)
                continue
            if not isinstance(value, dict):
                error = ValueError(f"Arrow rows are JSON objects; this line holds a {type(value).__name__}")
                self.errors.bad_line(path, first_line + i, line, error, reason="not a JSON object")
                continue
            keep.append(line)
        return b"\n".join(keep) + b"\n" if keep else b""

    def parse_recovered(self, data: bytes, chunk: Chunk) -> Any:
        try:
            return self.parse(data)
        except self.pa.ArrowInvalid as e:
            raise self._mismatch(chunk, e) from e

    def _mismatch(self, chunk: Chunk, error: Exception) -> ValueError:
        data, first_line, path = chunk
        last = _last_line(data, first_line)
        hint = (
            "check the schema you passed"
            if self.given
            else "pass schema=pyarrow.schema([...]) to iter_arrow_batches with the types you expect"
        )
        where = f"a line among lines {first_line}-{last}" if last > first_line else f"line {first_line}"
        return ValueError(
            f"{path}: {where} does not fit the Arrow schema {self._schema_text()} ({error}); {hint}"
        )

    def _schema_text(self) -> str:
        if self.schema is None:
            return "being inferred"
        return "{" + ", ".join(f"{f.name}: {f.type}" for f in self.schema) + "}"

    def accept(self, table: Any, chunk: Chunk) -> Any:
        """The table if it has rows, after checking it against (or fixing) the schema."""
        if table is None or table.num_rows == 0:
            return None
        if self.schema is None:
            self.schema = table.schema
        elif table.schema.names != self.schema.names:
            new = [n for n in table.schema.names if n not in self.schema.names]
            data, first_line, path = chunk
            last = _last_line(data, first_line)
            raise ValueError(
                f"{path}: field(s) {', '.join(map(repr, new))} first appear in lines {first_line}-"
                f"{last}, after the Arrow schema was fixed from the first rows as "
                f"{self._schema_text()}; pass schema=pyarrow.schema([...]) to iter_arrow_batches with every field"
            )
        return table

    def table(self, chunk: Chunk) -> Any:
        """Parse one chunk on this thread (the blocking readers)."""
        try:
            table = self.parse(chunk[0])
        except self.pa.ArrowInvalid:
            table = self.parse_recovered(self.recover(chunk), chunk)
        return self.accept(table, chunk)

    async def table_async(self, chunk: Chunk) -> Any:
        """Parse one chunk on a worker thread; ``on_error`` callables still run on the loop's thread."""
        try:
            table = await asyncio.to_thread(self.parse, chunk[0])
        except self.pa.ArrowInvalid:
            table = await asyncio.to_thread(self.parse_recovered, self.recover(chunk), chunk)
        return self.accept(table, chunk)


def _last_line(data: bytes, first_line: int) -> int:
    return first_line + data.count(b"\n") - (1 if data.endswith(b"\n") else 0)


class Rebatcher:
    """Cuts a stream of tables into record batches of exactly `size` rows (the last may be short)."""

    def __init__(self, pa: Any, size: int):
        self.pa = pa
        self.size = size
        self.pending: list[Any] = []
        self.rows = 0

    def add(self, table: Any) -> list[Any]:
        self.pending.append(table)
        self.rows += table.num_rows
        if self.rows < self.size:
            return []
        whole = self.pa.concat_tables(self.pending) if len(self.pending) > 1 else self.pending[0]
        out = []
        start = 0
        while whole.num_rows - start >= self.size:
            out.append(_one_batch(whole.slice(start, self.size)))
            start += self.size
        rest = whole.slice(start)
        self.pending = [rest] if rest.num_rows else []
        self.rows = rest.num_rows
        return out

    def finish(self) -> list[Any]:
        if not self.rows:
            return []
        whole = self.pa.concat_tables(self.pending) if len(self.pending) > 1 else self.pending[0]
        self.pending, self.rows = [], 0
        return [_one_batch(whole)]


def _one_batch(table: Any) -> Any:
    batches = table.combine_chunks().to_batches()
    return batches[0]


def arrow_batches_sync(source: ReadAhead, converter: ArrowChunks, batch_size: int) -> Iterator[Any]:
    batches = Rebatcher(converter.pa, batch_size)
    try:
        while (chunk := source.get()) is not None:
            table = converter.table(chunk)
            if table is not None:
                yield from batches.add(table)
        yield from batches.finish()
    finally:
        source.close()


async def arrow_batches_async(source: ReadAhead, converter: ArrowChunks, batch_size: int) -> AsyncIterator[Any]:
    batches = Rebatcher(converter.pa, batch_size)
    try:
        while (chunk := await source.aget()) is not None:
            table = await converter.table_async(chunk)
            if table is not None:
                for batch in batches.add(table):
                    yield batch
        for batch in batches.finish():
            yield batch
    finally:
        source.close()
