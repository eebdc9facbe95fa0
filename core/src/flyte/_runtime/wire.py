"""Literal maps as bytes, written and read without building protobuf messages where possible.

The journal, identities and cache keys hold a call's inputs and outputs as the deterministic
bytes of a ``LiteralMap``. Building messages for every call costs more than everything else a
cache hit or a replay does, so this module writes the map framing around each literal's own
bytes, and writes and reads whole literals for ``int``, ``float``, ``str`` and ``bool`` values
that the built-in transformers handle. The bytes are exactly what protobuf's deterministic
serialization produces (the tests compare them over many values), so a hash never depends on
which path made it. Anything else goes through ``TypeEngine`` and the protobuf messages.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

from flyte.types import TypeEngine

_MASK64 = (1 << 64) - 1
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_SMALL = [bytes((i,)) for i in range(128)]
_pack_double = struct.Struct("<d").pack
_unpack_double = struct.Struct("<d").unpack_from


def varint(n: int) -> bytes:
    if n < 0x80:
        return _SMALL[n]
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _read_varint(b: bytes, i: int) -> tuple[int, int]:
    c = b[i]
    if c < 0x80:
        return c, i + 1
    value, shift = 0, 0
    while True:
        c = b[i]
        i += 1
        value |= (c & 0x7F) << shift
        if c < 0x80:
            return value, i
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")


# ------------------------------------------------------------------------------- map framing
_PREFIXES: dict[str, bytes] = {}


def _entry_prefix(name: str) -> bytes:
    prefix = _PREFIXES.get(name)
    if prefix is None:
        key = name.encode()
        prefix = b"\x0a" + varint(len(key)) + key + b"\x12"
        if len(_PREFIXES) < 4096:
            _PREFIXES[name] = prefix
    return prefix


def frame(parts: Mapping[str, bytes]) -> bytes:
    """``LiteralMap`` bytes from each entry's serialized ``Literal`` (entries sorted by name)."""
    if len(parts) == 1:
        for name, value in parts.items():
            entry = _entry_prefix(name) + varint(len(value)) + value
            return b"\x0a" + varint(len(entry)) + entry
    out = []
    for name in sorted(parts):
        value = parts[name]
        entry = _entry_prefix(name) + varint(len(value)) + value
        out.append(b"\x0a" + varint(len(entry)) + entry)
    return b"".join(out)


def split(data: bytes) -> dict[str, bytes] | None:
    """Each entry's ``Literal`` bytes from ``LiteralMap`` bytes, or ``None`` when the bytes are not
    plain framing (another writer's field order, unknown fields, damage): parse those with protobuf."""
    parts: dict[str, bytes] = {}
    n = len(data)
    i = 0
    try:
        while i < n:
            # entry: 0x0a <size> 0x0a <key size> <key> 0x12 <value size> <value>
            if data[i] != 0x0A:
                return None
            size, i = _read_varint(data, i + 1)
            end = i + size
            if end > n or data[i] != 0x0A:
                return None
            key_size = data[i + 1]
            j = i + 2
            if key_size >= 0x80:
                key_size, j = _read_varint(data, i + 1)
            key_end = j + key_size
            if key_end >= end or data[key_end] != 0x12:
                return None
            value_size = data[key_end + 1]
            k = key_end + 2
            if value_size >= 0x80:
                value_size, k = _read_varint(data, key_end + 1)
            if k + value_size != end:
                return None
            parts[data[j:key_end].decode()] = data[k:end]
            i = end
    except (IndexError, ValueError):  # truncated, or a key that is not UTF-8
        return None
    return parts


# --------------------------------------------------------------------------- scalar literals
def _literal(primitive: bytes) -> bytes:
    """A ``Literal`` holding only ``scalar.primitive``."""
    scalar = b"\x0a" + varint(len(primitive)) + primitive
    return b"\x0a" + varint(len(scalar)) + scalar


# An int literal's bytes before its varint, by the varint's length (1 to 10 bytes).
_INT_HEAD = [bytes((0x0A, n + 3, 0x0A, n + 1, 0x08)) for n in range(11)]
# A float literal's bytes before its 8 little-endian bytes.
_FLOAT_HEAD = b"\x0a\x0b\x0a\x09\x11"


def _int_literal(v: Any) -> bytes | None:
    if type(v) is not int or not _INT64_MIN <= v <= _INT64_MAX:
        return None
    if 0 <= v < 0x80:
        return _INT_HEAD[1] + _SMALL[v]
    data = varint(v & _MASK64)
    return _INT_HEAD[len(data)] + data


def _float_literal(v: Any) -> bytes | None:
    if type(v) is not float:
        return None
    return _FLOAT_HEAD + _pack_double(v)


def _str_literal(v: Any) -> bytes | None:
    if type(v) is not str:
        return None
    data = v.encode()  # lone surrogates raise: the type engine then says what is wrong
    return _literal(b"\x1a" + varint(len(data)) + data)


def _bool_literal(v: Any) -> bytes | None:
    if v is True:
        return _TRUE
    if v is False:
        return _FALSE
    return None


_TRUE = _literal(b"\x20\x01")
_FALSE = _literal(b"\x20\x00")


def _primitive(b: bytes, i: int) -> int:
    """Where the primitive's one field starts, in a literal (from ``b[i]`` to the end) that holds
    only ``scalar.primitive``; -1 for any other literal."""
    n = len(b)
    if n - i < 4 or b[i] != 0x0A:
        return -1
    size, i = _read_varint(b, i + 1)
    if i + size != n or b[i] != 0x0A:
        return -1
    size, j = _read_varint(b, i + 1)
    return j if j + size == n and j < n else -1


# The decoders read the literal from b[i] to the end, so that callers need not slice it out.
def _int_value(b: bytes, i: int = 0) -> Any:
    n = len(b) - i
    if n < 6 or n > 15 or not b.startswith(_INT_HEAD[n - 5], i):
        return None
    value, end = _read_varint(b, i + 5)
    if end != len(b):
        return None
    return value - (1 << 64) if value > _INT64_MAX else value


def _float_value(b: bytes, i: int = 0) -> Any:
    if len(b) - i != 13 or not b.startswith(_FLOAT_HEAD, i):
        return None
    return _unpack_double(b, i + 5)[0]


def _str_value(b: bytes, i: int = 0) -> Any:
    j = _primitive(b, i)
    if j < 0 or b[j] != 0x1A:
        return None
    size, start = _read_varint(b, j + 1)
    if start + size != len(b):
        return None
    return b[start:].decode()


def _bool_value(b: bytes, i: int = 0) -> Any:
    tail = b[i:] if i else b
    if tail == _TRUE:
        return True
    if tail == _FALSE:
        return False
    return None


def _scalar_codecs() -> dict[type, tuple[Any, Any]]:
    from flyte.types._builtins import BoolTransformer, FloatTransformer, IntTransformer, StrTransformer

    return {
        IntTransformer: (_int_literal, _int_value),
        FloatTransformer: (_float_literal, _float_value),
        StrTransformer: (_str_literal, _str_value),
        BoolTransformer: (_bool_literal, _bool_value),
    }


_BY_TRANSFORMER: dict[type, tuple[Any, Any]] = {}
_NONE = (None, None)


def _codec_of(t: Any) -> tuple[Any, Any]:
    """(encode, decode) for a type the built-in int/float/str/bool transformers handle, else ``_NONE``."""
    if not _BY_TRANSFORMER:
        _BY_TRANSFORMER.update(_scalar_codecs())
    if t not in (int, float, str, bool):
        return _NONE
    entry = TypeEngine._entry(t)
    return _BY_TRANSFORMER.get(type(entry.transformer), _NONE)


class LiteralFields:
    """Named values of declared types (a task's inputs, or its outputs) as literal bytes and back.

    ``encode`` and ``decode`` return ``None`` whenever a value or a literal is not a plain scalar
    of its declared type; the caller then converts through ``TypeEngine``, which also produces
    the error message for a wrong value.
    """

    __slots__ = ("types", "_generation", "_encoders", "_decoders", "_single", "_readable", "_positional")

    def __init__(self, types: Mapping[str, Any]):
        self.types = dict(types)
        self._generation = -1
        self._encoders: dict[str, Any] = {}
        self._decoders: dict[str, Any] = {}
        # With one field: its name, its map entry's bytes up to the literal, and its decoder.
        self._single: tuple[str, bytes, Any] | None = None
        #: Whether every field has a direct decoder (else ``read`` never has to look at the bytes).
        self._readable = False
        #: (position, name, entry prefix, encoder) per field in the map's entry order (by name), when
        #: every field has a direct encoder; position is the field's place in declaration order.
        self._positional: list[tuple[int, str, bytes, Any]] | None = None

    def _compile(self) -> None:
        generation = TypeEngine._generation
        codecs = {name: _codec_of(t) for name, t in self.types.items()}
        self._encoders = {name: c[0] for name, c in codecs.items()}
        self._decoders = {name: c[1] for name, c in codecs.items()}
        self._single = None
        self._readable = all(decoder is not None for _, decoder in codecs.values())
        self._positional = None
        if all(encoder is not None for encoder, _ in codecs.values()):
            self._positional = sorted(
                ((i, name, _entry_prefix(name), codec[0]) for i, (name, codec) in enumerate(codecs.items())),
                key=lambda field: field[1],
            )
        if len(codecs) == 1:
            ((name, (_, decoder)),) = codecs.items()
            if decoder is not None:
                self._single = (name, _entry_prefix(name), decoder)
        self._generation = generation

    @staticmethod
    def _apply(table: dict[str, Any], items: Any) -> dict[str, Any] | None:
        out = {}
        for name, item in items:
            convert = table.get(name)
            if convert is None:
                return None
            try:
                result = convert(item)
            except (IndexError, ValueError):  # damaged bytes, a string that is not UTF-8
                return None
            if result is None:
                return None
            out[name] = result
        return out

    # Each method starts by following the registry (a type registration may replace a built-in
    # transformer); the check is spelled out in each, as these run for every call.
    def encode(self, values: Mapping[str, Any]) -> dict[str, bytes] | None:
        if self._generation != TypeEngine._generation:
            self._compile()
        return self._apply(self._encoders, values.items())

    def encode_positional(self, values: tuple) -> tuple[dict[str, bytes], bytes] | None:
        """One value per field, in declaration order (a call's positional arguments), as each
        literal's bytes and as the literal map's bytes (``frame`` of the former, without building
        a mapping first); ``None`` when the count differs or a value is not a plain scalar."""
        if self._generation != TypeEngine._generation:
            self._compile()
        plan = self._positional
        if plan is None or len(values) != len(plan):
            return None
        parts: dict[str, bytes] = {}
        entries = []
        for i, name, prefix, encode in plan:
            try:
                literal = encode(values[i])
            except ValueError:  # a string with lone surrogates: the type engine says what is wrong
                return None
            if literal is None:
                return None
            parts[name] = literal
            n = len(literal)
            entry = prefix + (_SMALL[n] if n < 0x80 else varint(n)) + literal
            n = len(entry)
            entries.append(b"\x0a" + (_SMALL[n] if n < 0x80 else varint(n)) + entry)
        return parts, entries[0] if len(entries) == 1 else b"".join(entries)  # no copy for one entry

    def read(self, data: bytes) -> dict[str, Any] | None:
        """The values of literal map bytes that hold exactly these fields, when they can be read
        directly (a shortcut for ``decode(split(data))``); ``None`` otherwise."""
        if self._generation != TypeEngine._generation:
            self._compile()
        if not self._readable:
            return None
        single = self._single
        if single is not None:
            # one entry: 0x0a <size> <prefix> <literal size> <literal>, all sizes one byte
            name, prefix, decoder = single
            n, start = len(data), len(prefix) + 3
            if 2 < n < 0x80 and data[1] == n - 2 and data.startswith(prefix, 2) and data[start - 1] == n - start:
                try:
                    value = decoder(data, start)
                except (IndexError, ValueError):
                    return None
                return None if value is None else {name: value}
        parts = split(data)
        if parts is None or parts.keys() != self.types.keys():
            return None
        return self.decode(parts)

    def decode(self, parts: Mapping[str, bytes]) -> dict[str, Any] | None:
        if self._generation != TypeEngine._generation:
            self._compile()
        return self._apply(self._decoders, parts.items())
