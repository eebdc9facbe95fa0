"""The literal bytes written without protobuf are exactly protobuf's, and read back the same values."""

from __future__ import annotations

import math
import random
import struct

from flyteidl2.core import literals_pb2

from flyte._runtime import convert, wire
from flyte.types import TypeEngine
from flyte.types._builtins import IntTransformer


def _proto_map(literals: dict[str, literals_pb2.Literal]) -> bytes:
    lm = literals_pb2.LiteralMap()
    for k, v in literals.items():
        lm.literals[k].CopyFrom(v)
    return lm.SerializeToString(deterministic=True)


def _values() -> list[tuple[type, object]]:
    rng = random.Random(7)
    ints = [0, 1, -1, 127, 128, 255, 300, 16383, 16384, -(2**63), 2**63 - 1, 2**31, -(2**31) - 1]
    ints += [rng.randrange(-(2**63), 2**63) for _ in range(300)] + [rng.randrange(0, 2**20) for _ in range(300)]
    floats = [0.0, -0.0, 1.5, -2.25, math.inf, -math.inf, 5e-324, 1.7976931348623157e308, math.pi]
    floats += [rng.uniform(-1e9, 1e9) for _ in range(200)]
    floats += [struct.unpack("<d", rng.randbytes(8))[0] for _ in range(200)]
    strs = ["", "a", "é", "日本語", "\x00", "x" * 127, "y" * 128, "z" * 20000, "emoji 🎉"]
    strs += ["".join(chr(rng.randrange(1, 0xD7FF)) for _ in range(rng.randrange(0, 50))) for _ in range(100)]
    return (
        [(int, v) for v in ints]
        + [(float, v) for v in floats]
        + [(str, v) for v in strs]
        + [(bool, True), (bool, False)]
    )


def test_scalar_literals_match_protobuf_and_read_back() -> None:
    for t, value in _values():
        fields = wire.LiteralFields({"x": t})
        parts = fields.encode({"x": value})
        assert parts is not None, (t, value)
        literal = TypeEngine.to_literal_sync(value, t)
        assert parts["x"] == literal.SerializeToString(deterministic=True), (t, value)
        back = fields.decode(parts)["x"]
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(back)
        else:
            assert back == value and type(back) is type(value), (t, value, back)
            if isinstance(value, float):
                assert math.copysign(1, back) == math.copysign(1, value)


def test_maps_frame_like_protobuf() -> None:
    big = literals_pb2.Literal()
    big.collection.literals.add().scalar.primitive.integer = 3
    big.map.literals["k"].scalar.primitive.string_value = "v" * 1000
    big.metadata["z"] = "1"
    big.metadata["a"] = "2"
    cases = [
        {},
        {"a": literals_pb2.Literal()},
        {"": literals_pb2.Literal()},
        {"é": literals_pb2.Literal(hash="x"), "z": literals_pb2.Literal(), "b" * 200: literals_pb2.Literal(hash="y" * 300)},
        {"x": big, "ÿ": big, "Ā": big, "o0": big, "o10": big, "o2": big},
    ]
    for literals in cases:
        data = convert.encode_literals(literals)
        assert data == _proto_map(literals)
        assert wire.split(data) == convert.literal_bytes(literals)
        assert convert.decode_literals(data) == literals


def test_positional_values_encode_like_a_framed_mapping() -> None:
    rng = random.Random(11)
    values = _values()
    # declaration order differs from the map's (sorted) entry order; names need multi-byte sizes too
    layouts = [(), ("x",), ("zeta", "alpha", "mid"), ("b" * 200, "é", "a")]
    for names in layouts:
        for _ in range(50):
            chosen = [rng.choice(values) for _ in names]
            fields = wire.LiteralFields({name: t for name, (t, _) in zip(names, chosen)})
            args = tuple(v for _, v in chosen)
            parts = fields.encode(dict(zip(names, args)))
            assert fields.encode_positional(args) == (parts, wire.frame(parts)), (names, args)
            assert wire.frame(parts) == _proto_map(convert.parse_literals(parts))
    fields = wire.LiteralFields({"a": int, "b": str})
    assert fields.encode_positional((1,)) is None  # not one value per field
    assert fields.encode_positional((1, "x", 2)) is None
    assert fields.encode_positional((True, "x")) is None  # a bool is not an int here: the type engine decides
    assert wire.LiteralFields({"a": list[int]}).encode_positional(([1],)) is None
    assert wire.LiteralFields({"s": str}).encode_positional(("\ud800",)) is None  # not encodable: left to it


def test_values_that_need_the_type_engine_are_left_to_it() -> None:
    fields = wire.LiteralFields({"i": int, "f": float, "s": str, "b": bool})
    # wrong types (the engine raises the error), widening (int for float), out-of-range ints, surrogates
    for values in (
        {"i": True},
        {"i": 1.0},
        {"i": 2**63},
        {"i": -(2**63) - 1},
        {"f": 1},
        {"s": b"x"},
        {"s": "\ud800"},
        {"b": 1},
        {"unknown": 1},
    ):
        assert fields.encode(values) is None, values
    # a float input given an int literal, a union-wrapped literal, a none literal: decoded by the engine
    int_literal = TypeEngine.to_literal_sync(3, int).SerializeToString()
    assert fields.decode({"f": int_literal}) is None
    assert fields.decode({"i": literals_pb2.Literal().SerializeToString()}) is None
    union = literals_pb2.Literal()
    union.scalar.union.value.scalar.primitive.integer = 3
    assert fields.decode({"i": union.SerializeToString()}) is None
    assert wire.LiteralFields({"l": list[int]}).encode({"l": [1]}) is None


def test_damaged_bytes_are_not_misread() -> None:
    data = convert.encode_literals({"o0": TypeEngine.to_literal_sync(12345, int)})
    for cut in range(1, len(data)):
        parts = wire.split(data[:cut])
        assert parts is None or wire.LiteralFields({"o0": int}).decode(parts) in (None, {})
    assert wire.split(b"\xff\x00garbage") is None
    assert wire.LiteralFields({"o0": int}).decode({"o0": b"\x0a\x04\x0a\x02\x08"}) is None


def test_a_registered_replacement_for_a_builtin_is_followed() -> None:
    class Doubling(IntTransformer):
        async def to_literal(self, python_val, python_type, expected):  # type: ignore[override]
            return await super().to_literal(python_val * 2, python_type, expected)

    fields = wire.LiteralFields({"x": int})
    assert fields.encode({"x": 2}) is not None
    original = TypeEngine.get_transformer(int)
    TypeEngine.register(Doubling(), override=True)
    try:
        assert fields.encode({"x": 2}) is None  # no longer the built-in: the engine converts
    finally:
        TypeEngine.register(original, override=True)
    assert fields.encode({"x": 2}) is not None


def test_read_takes_the_short_path_and_the_long_one_alike() -> None:
    for types, values in (
        ({"o0": int}, {"o0": 7}),
        ({"o0": str}, {"o0": "x" * 300}),  # sizes over one byte
        ({"o0": int, "o1": str}, {"o0": -5, "o1": "é"}),
        ({"o0": float}, {"o0": 2.5}),
    ):
        fields = wire.LiteralFields(types)
        data = convert.encode_literals({k: TypeEngine.to_literal_sync(v, types[k]) for k, v in values.items()})
        assert fields.read(data) == values
    fields = wire.LiteralFields({"o0": int})
    other = convert.encode_literals({"o1": TypeEngine.to_literal_sync(7, int)})
    assert fields.read(other) is None  # another output name
    assert fields.read(b"") is None
    assert wire.LiteralFields({}).read(b"") == {}


def test_inputs_are_identified_by_their_bytes_when_short_else_by_their_digest() -> None:
    import hashlib

    short, limit, long = b"\x0a\x03abc", b"x" * 32, b"x" * 33
    assert convert.inputs_hash(short) == "=0a03616263"
    assert convert.inputs_hash(limit) == "=" + limit.hex()
    assert convert.inputs_hash(long) == hashlib.sha256(long).hexdigest()
    # the two forms never meet: a digest has no "=", and distinct bytes give distinct ids
    samples = {bytes([i]) * n for i in range(4) for n in range(40)}
    assert len({convert.inputs_hash(b) for b in samples}) == len(samples)
