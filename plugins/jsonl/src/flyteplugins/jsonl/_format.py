"""JSON Lines conventions shared by readers and writers: names, compression, bad lines."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, Literal, Union

import orjson

logger = logging.getLogger("flyteplugins.jsonl")

#: Names a JsonlDir reads, lowercased; the last two are zstd-compressed.
JSONL_SUFFIXES = (".jsonl", ".jsonl.zst", ".jsonl.zstd")
ZSTD_SUFFIXES = (".zst", ".zstd")
#: What a zstd stream starts with: a frame, or a skippable frame (0x184D2A50..5F, little-endian).
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"
#: zstd's level range (negative levels trade ratio for speed); zstandard.MAX_COMPRESSION_LEVEL is 22.
MIN_LEVEL, MAX_LEVEL = -(1 << 17), 22

#: A bad-line handler: called with the 1-based line number, the line's bytes (without the line
#: break) and the parse error; the line is then skipped. Raising from it stops the read.
ErrorHandler = Callable[[int, bytes, Exception], Any]
OnError = Union[Literal["raise", "skip"], ErrorHandler]

_SHARD_NAME = re.compile(r"^part-(\d+)\.jsonl(?:\.zstd?)?$", re.IGNORECASE)
_DIGITS = re.compile(r"(\d+)")


class JsonlDecodeError(orjson.JSONDecodeError):
    """A line of a JSONL file is not valid JSON (or, for Arrow batches, not a JSON object).

    Also an `orjson.JSONDecodeError`, `json.JSONDecodeError` and `ValueError`.

    Attributes:
        path: The file the line is in.
        line_number: 1-based line number in that file (blank lines count).
        raw_line: The line's bytes, without the line break.
    """

    def __init__(self, path: str, line_number: int, raw_line: bytes, reason: str):
        message = (
            f"{path}, line {line_number}: {reason}: {_preview(raw_line)}. Fix or remove the line, or read "
            "with on_error='skip' (log and skip bad lines) or on_error=callable(line_number, raw_line, exc)"
        )
        ValueError.__init__(self, message)
        self.path = path
        self.line_number = line_number
        self.raw_line = raw_line
        # json.JSONDecodeError's attributes, for code that inspects them
        self.msg = reason
        self.doc = raw_line.decode("utf-8", "replace")
        self.pos = 0
        self.lineno = line_number
        self.colno = 1

    def __reduce__(self) -> Any:
        return (type(self), (self.path, self.line_number, self.raw_line, self.msg))


def _preview(raw: bytes, limit: int = 120) -> str:
    text = repr(raw[:limit])
    return text + f" ... ({len(raw)} bytes)" if len(raw) > limit else text


def is_compressed_name(path: str) -> bool:
    """Whether a writer compresses `path` with zstd (its name ends in .zst or .zstd, any case)."""
    return path.lower().endswith(ZSTD_SUFFIXES)


def is_jsonl_name(name: str) -> bool:
    """Whether a JsonlDir reads the file `name`: a visible *.jsonl, *.jsonl.zst or *.jsonl.zstd."""
    return not name.startswith(".") and name.lower().endswith(JSONL_SUFFIXES)


def shard_index(name: str) -> int | None:
    """The index of a shard named ``part-<digits>.jsonl[.zst|.zstd]``, else None."""
    m = _SHARD_NAME.match(name)
    return int(m.group(1)) if m else None


def shard_name(index: int, extension: str) -> str:
    return f"part-{index:05d}{extension}"


def natural_key(name: str) -> tuple[Any, ...]:
    """Sort key comparing digit runs as numbers: part-99999 < part-100000, file2 < file10."""
    parts = _DIGITS.split(name)
    # split() alternates text and digits, starting with text, so positions always hold one kind
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


def check_level(compression_level: Any) -> int:
    if isinstance(compression_level, bool) or not isinstance(compression_level, int):
        raise TypeError(f"compression_level must be an int, got {compression_level!r}; use e.g. 3 (zstd's default)")
    if not MIN_LEVEL <= compression_level <= MAX_LEVEL:
        raise ValueError(
            f"compression_level {compression_level} is outside zstd's range {MIN_LEVEL}..{MAX_LEVEL}; "
            "use 1-22 (3 is zstd's default; higher is smaller and slower) or a negative level for speed"
        )
    return compression_level


def check_positive(name: str, value: Any, allow_none: bool = False) -> Any:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        none = " or None (no limit)" if allow_none else ""
        raise ValueError(f"{name} must be a positive int{none}, got {value!r}")
    return value


def check_shard_extension(extension: Any) -> str:
    if not isinstance(extension, str) or extension.lower() not in JSONL_SUFFIXES:
        raise ValueError(
            f"shard_extension must be one of {', '.join(JSONL_SUFFIXES)} (any case), got {extension!r}; "
            "readers of a JsonlDir only look at files with these extensions"
        )
    return extension


class LineErrors:
    """What to do with a line that does not parse: the `on_error` argument of every reader."""

    __slots__ = ("handler", "mode")

    def __init__(self, on_error: Any):
        if on_error == "raise" or on_error == "skip":
            self.mode: str = on_error
            self.handler: ErrorHandler | None = None
        elif callable(on_error):
            self.mode = "call"
            self.handler = on_error
        else:
            raise ValueError(
                f"on_error must be 'raise', 'skip' or a callable(line_number, raw_line, exc), got {on_error!r}"
            )

    def bad_line(self, path: str, line_number: int, line: bytes, error: Exception, reason: str = "") -> None:
        """Deal with one bad line: raise, log and skip, or hand it to the callable. Blank lines are skipped."""
        raw = line.rstrip(b"\r\n")
        if not raw.strip():
            return
        reason = reason or f"not valid JSON ({error})"
        if self.mode == "raise":
            raise JsonlDecodeError(path, line_number, raw, reason) from error
        if self.mode == "skip":
            logger.warning("%s, line %d: skipped, %s: %s", path, line_number, reason, _preview(raw))
            return
        assert self.handler is not None
        self.handler(line_number, raw, error)

    def bad_line_in(self, path: str, data: bytes, start: int, first_line: int, line: bytes, error: Exception) -> None:
        """`bad_line` for the line that starts at offset `start` of `data`, whose first line is `first_line`."""
        self.bad_line(path, first_line + data.count(b"\n", 0, start), line, error)
