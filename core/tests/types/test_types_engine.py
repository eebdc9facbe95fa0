"""The registry, lookups, restricted types, Annotated, the pickle fallback and guessing."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import logging
import subprocess
import sys
import typing
from collections.abc import Callable
from typing import Annotated, Any, Optional

import pytest
from flyteidl2.core import literals_pb2, types_pb2

import flyte.errors
import flyte.types
from flyte.types import TypeEngine, TypeTransformer, TypeTransformerFailedError

SimpleType = types_pb2.SimpleType


# The docs' PositiveInt example ("Custom types" page), unchanged apart from living in a test.
class PositiveInt:
    """A wrapper type that only accepts positive integers."""

    def __init__(self, value: int):
        if not isinstance(value, int):
            raise TypeError(f"Expected int, got {type(value).__name__}")
        if value <= 0:
            raise ValueError(f"Expected positive integer, got {value}")
        self._value = value

    @property
    def value(self) -> int:
        return self._value

    def __repr__(self) -> str:
        return f"PositiveInt({self._value})"


class PositiveIntTransformer(TypeTransformer[PositiveInt]):
    def __init__(self):
        super().__init__(name="PositiveInt", t=PositiveInt)

    def get_literal_type(self, t: type[PositiveInt]) -> types_pb2.LiteralType:
        return types_pb2.LiteralType(
            simple=types_pb2.SimpleType.INTEGER,
            structure=types_pb2.TypeStructure(tag="PositiveInt"),
        )

    async def to_literal(self, python_val, python_type, expected) -> literals_pb2.Literal:
        if not isinstance(python_val, PositiveInt):
            raise TypeTransformerFailedError(f"Expected PositiveInt, got {type(python_val).__name__}")
        return literals_pb2.Literal(
            scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=python_val.value))
        )

    async def to_python_value(self, lv, expected_python_type) -> PositiveInt:
        if not lv.scalar or not lv.scalar.primitive:
            raise TypeTransformerFailedError(f"Cannot convert literal {lv} to PositiveInt: missing scalar primitive")
        value = lv.scalar.primitive.integer
        try:
            return PositiveInt(value)
        except (TypeError, ValueError) as e:
            raise TypeTransformerFailedError(f"Cannot convert value {value} to PositiveInt: {e}")

    def guess_python_type(self, literal_type) -> type[PositiveInt]:
        if (
            literal_type.simple == types_pb2.SimpleType.INTEGER
            and literal_type.structure
            and literal_type.structure.tag == "PositiveInt"
        ):
            return PositiveInt
        raise ValueError(f"Cannot guess PositiveInt from literal type {literal_type}")


# -------------------------------------------------------------------------- TypeTransformer


def test_incomplete_transformer_cannot_be_instantiated():
    class Incomplete(TypeTransformer[int]):
        def get_literal_type(self, t):
            return types_pb2.LiteralType(simple=SimpleType.INTEGER)

    with pytest.raises(TypeError, match="abstract"):
        Incomplete("incomplete", int)


def test_transformer_properties():
    transformer = PositiveIntTransformer()
    assert transformer.name == "PositiveInt"
    assert transformer.python_type is PositiveInt
    assert transformer.type_assertions_enabled is True
    assert "PositiveInt" in repr(transformer)


def test_default_assert_type():
    transformer = PositiveIntTransformer()
    transformer.assert_type(PositiveInt, PositiveInt(1))
    with pytest.raises(TypeTransformerFailedError, match="`PositiveInt`.*`int`"):
        transformer.assert_type(PositiveInt, 1)
    transformer.assert_type(list[int], [1])  # generic aliases are checked against their origin


def test_default_guess_python_type_raises_value_error():
    class Minimal(TypeTransformer[int]):
        def get_literal_type(self, t):
            return types_pb2.LiteralType(simple=SimpleType.INTEGER)

        async def to_literal(self, python_val, python_type, expected):
            raise NotImplementedError

        async def to_python_value(self, lv, expected_python_type):
            raise NotImplementedError

    with pytest.raises(ValueError, match="Minimal|cannot guess"):
        Minimal("minimal", int).guess_python_type(types_pb2.LiteralType())


def test_docs_positive_int_transformer_works_unchanged(isolated_registry, roundtrip, to_literal, to_python):
    isolated_registry.register(PositiveIntTransformer())
    out = roundtrip(PositiveInt(42), PositiveInt)
    assert type(out) is PositiveInt and out.value == 42
    assert TypeEngine.to_literal_type(PositiveInt).structure.tag == "PositiveInt"
    assert TypeEngine.guess_python_type(TypeEngine.to_literal_type(PositiveInt)) is PositiveInt
    with pytest.raises(TypeTransformerFailedError, match="PositiveInt"):
        to_literal(42, PositiveInt)
    with pytest.raises(TypeTransformerFailedError, match="positive"):
        to_python(to_literal(-1, int), PositiveInt)
    # Inside containers and unions too.
    assert roundtrip([PositiveInt(1)], list[PositiveInt])[0].value == 1
    assert roundtrip(None, Optional[PositiveInt]) is None
    assert roundtrip(PositiveInt(5), Optional[PositiveInt]).value == 5


def test_exceptions_from_third_party_transformers_become_type_errors(isolated_registry, to_literal):
    class Broken(TypeTransformer[PositiveInt]):
        def get_literal_type(self, t):
            return types_pb2.LiteralType(simple=SimpleType.INTEGER)

        async def to_literal(self, python_val, python_type, expected):
            raise KeyError("boom")

        async def to_python_value(self, lv, expected_python_type):
            raise KeyError("boom")

    isolated_registry.register(Broken("broken", PositiveInt))
    with pytest.raises(TypeTransformerFailedError, match="`broken` failed.*KeyError") as info:
        to_literal(PositiveInt(1), PositiveInt)
    assert isinstance(info.value.__cause__, KeyError)


# --------------------------------------------------------------------------------- registry


def test_registering_a_type_twice_names_both_transformers(isolated_registry):
    isolated_registry.register(PositiveIntTransformer())

    class Other(PositiveIntTransformer):
        def __init__(self):
            TypeTransformer.__init__(self, "OtherPositive", PositiveInt)

    with pytest.raises(ValueError, match=r"`PositiveInt` \(PositiveIntTransformer\).*`OtherPositive` \(Other\)"):
        isolated_registry.register(Other())
    replacement = Other()
    isolated_registry.register(replacement, override=True)
    assert TypeEngine.get_transformer(PositiveInt) is replacement


def test_registering_the_same_instance_again_is_harmless(isolated_registry):
    transformer = PositiveIntTransformer()
    isolated_registry.register(transformer)
    isolated_registry.register(transformer)
    assert TypeEngine.get_transformer(PositiveInt) is transformer


def test_builtin_types_cannot_be_taken_over_silently(isolated_registry):
    with pytest.raises(ValueError, match="`int` is already handled by transformer `int`"):
        isolated_registry.register(PositiveIntTransformer(), additional_types=[int])
    # Nothing was registered by the failed call.
    assert PositiveInt not in TypeEngine.get_available_transformers()


def test_register_additional_type(isolated_registry, roundtrip):
    class Sub(PositiveInt):
        pass

    transformer = PositiveIntTransformer()
    isolated_registry.register(transformer)
    isolated_registry.register_additional_type(transformer, Sub)
    assert TypeEngine.get_transformer(Sub) is transformer
    with pytest.raises(ValueError):
        isolated_registry.register_additional_type(PositiveIntTransformer(), Sub)


def test_subclass_of_a_registered_type_uses_its_transformer(isolated_registry):
    transformer = PositiveIntTransformer()
    isolated_registry.register(transformer)

    class Sub(PositiveInt):
        pass

    assert TypeEngine.get_transformer(Sub) is transformer


def test_register_rejects_non_transformers(isolated_registry):
    with pytest.raises(TypeError, match="TypeTransformer instance"):
        isolated_registry.register(object())  # type: ignore[arg-type]


def test_registration_invalidates_cached_lookups(isolated_registry):
    assert TypeEngine.get_transformer(PositiveInt).name == "pickle"
    isolated_registry.register(PositiveIntTransformer())
    assert TypeEngine.get_transformer(PositiveInt).name == "PositiveInt"


def test_available_transformers_is_a_read_only_view():
    view = TypeEngine.get_available_transformers()
    assert view[int].name == "int"
    assert dt.datetime in view
    with pytest.raises(TypeError):
        view[int] = None  # type: ignore[index]


def test_lookups_are_cached_per_type():
    first = TypeEngine._entry(list[int])
    assert TypeEngine._entry(list[int]) is first
    assert TypeEngine.get_transformer(list[int]) is first.transformer


# ------------------------------------------------------------------------------ restricted


@dataclasses.dataclass
class Secret:
    token: str


@dataclasses.dataclass
class SecretHolder:
    secret: Secret


def test_restricted_type_raises_on_every_conversion(isolated_registry, to_literal, to_python):
    isolated_registry.register_restricted_type("credentials must not be task I/O", Secret)
    with pytest.raises(flyte.errors.RestrictedTypeError, match="`Secret` is restricted"):
        TypeEngine.to_literal_type(Secret)
    with pytest.raises(flyte.errors.RestrictedTypeError, match="`Secret`"):
        to_literal(Secret("x"), Secret)
    with pytest.raises(flyte.errors.RestrictedTypeError, match="`Secret`"):
        to_python(literals_pb2.Literal(), Secret)
    with pytest.raises(flyte.errors.RestrictedTypeError):
        TypeEngine.to_literal_type(list[Secret])
    with pytest.raises(flyte.errors.RestrictedTypeError):
        to_literal(SecretHolder(Secret("x")), SecretHolder)


def test_tuples_are_not_restricted(roundtrip):
    assert roundtrip(("a", "b"), typing.Tuple[str, str]) == ("a", "b")  # noqa: UP006


# ------------------------------------------------------------------------------- Annotated


def test_annotated_uses_the_base_type(roundtrip):
    t = Annotated[list[int], "some metadata"]
    assert roundtrip([1, 2], t) == [1, 2]
    assert TypeEngine.to_literal_type(t) == TypeEngine.to_literal_type(list[int])
    assert TypeEngine.get_transformer(t) is TypeEngine.get_transformer(list[int])


def test_annotated_with_unhashable_metadata(roundtrip):
    assert roundtrip(3, Annotated[int, {"unit": "s"}]) == 3


def test_annotated_transformer_in_metadata_wins(roundtrip):
    transformer = PositiveIntTransformer()
    t = Annotated[PositiveInt, transformer]
    assert TypeEngine.get_transformer(t) is transformer
    assert roundtrip(PositiveInt(7), t).value == 7


def test_third_party_transformer_receives_the_annotated_type(isolated_registry, to_literal):
    seen = []

    class Recording(PositiveIntTransformer):
        async def to_literal(self, python_val, python_type, expected):
            seen.append(python_type)
            return await super().to_literal(python_val, python_type, expected)

    isolated_registry.register(Recording())
    to_literal(PositiveInt(1), Annotated[PositiveInt, "csv"])
    assert seen == [Annotated[PositiveInt, "csv"]]


# ----------------------------------------------------------------------------------- pickle


def double(x: int) -> int:
    return 2 * x


@pytest.mark.parametrize(
    "fn, t",
    [
        (double, Callable[[int], int]),
        (lambda x: x + 1, Callable),
        (functools.partial(double, 3), typing.Callable[[], int]),
        (len, Any),
    ],
)
def test_functions_and_lambdas_are_pickled(roundtrip, to_literal, fn, t):
    lit = to_literal(fn, t)
    assert lit.scalar.binary.tag == "pickle"
    restored = roundtrip(fn, t)
    args = () if isinstance(fn, functools.partial) else ([1, 2],) if fn is len else (5,)
    assert restored(*args) == fn(*args)


def test_callable_type_rejects_non_callables(to_literal):
    with pytest.raises(TypeTransformerFailedError):
        to_literal(5, Callable[[int], int])


def test_any_accepts_anything_including_none(roundtrip):
    for value in (1, "x", None, {1, 2}, dt.date(2024, 1, 1)):
        assert roundtrip(value, Any) == value


class Unknown:
    def __init__(self, v):
        self.v = v

    def __eq__(self, other):
        return isinstance(other, Unknown) and other.v == self.v


def test_unknown_class_is_pickled_with_one_info_log(roundtrip, to_literal, caplog):
    from flyte.types import _pickle

    _pickle._warned.discard(Unknown)
    with caplog.at_level(logging.DEBUG, logger="flyte"):
        assert roundtrip(Unknown(1), Unknown) == Unknown(1)
        TypeEngine._clear_caches()
        assert roundtrip(Unknown(2), Unknown) == Unknown(2)
    messages = [r for r in caplog.records if "Unknown" in r.getMessage()]
    assert len(messages) == 1
    assert messages[0].levelno == logging.INFO
    assert "pickled" in messages[0].getMessage()
    lt = TypeEngine.to_literal_type(Unknown)
    assert lt.structure.tag == "pickle"
    assert lt.metadata["python_class"].endswith("Unknown")
    with pytest.raises(TypeTransformerFailedError):
        to_literal(Unknown(1), PositiveInt)
    with pytest.raises(TypeTransformerFailedError, match="None"):
        to_literal(None, Unknown)


def test_known_plugin_types_mention_the_plugin(caplog):
    fake_polars_frame = type("DataFrame", (), {"__module__": "polars.dataframe.frame"})
    with caplog.at_level(logging.INFO, logger="flyte"):
        TypeEngine.get_transformer(fake_polars_frame)
    (record,) = [r for r in caplog.records if "polars" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "pip install flyteplugins-polars" in record.getMessage()


def test_lazy_registration_hook_runs_on_first_lookup_of_its_module(isolated_registry):
    calls = []
    fake_type = type("Frame", (), {"__module__": "heavylib.frame"})

    def register():
        calls.append(1)
        isolated_registry.register(PositiveIntTransformer(), additional_types=[fake_type], override=True)

    isolated_registry.register_lazy("heavylib", register)
    assert calls == []
    assert TypeEngine.get_transformer(int).name == "int"  # other modules don't trigger it
    assert calls == []
    assert TypeEngine.get_transformer(fake_type).name == "PositiveInt"
    TypeEngine.get_transformer(list[fake_type])
    assert calls == [1]


# ----------------------------------------------------------------------------------- guess


@pytest.mark.parametrize(
    "t",
    [
        int,
        float,
        str,
        bool,
        bytes,
        type(None),
        dt.datetime,
        dt.date,
        dt.timedelta,
        list[int],
        dict[str, list[float]],
        Optional[int],
        typing.Union[int, str],
        dict,
        list,
        tuple[int, str],
        tuple[int, ...],
        set[str],
        typing.Literal["a", "b"],
        types_pb2.LiteralType,
        Any,
    ],
)
def test_guess_python_type_inverts_to_literal_type(t):
    assert TypeEngine.guess_python_type(TypeEngine.to_literal_type(t)) == t


def test_guess_of_an_enum_is_a_literal_of_its_values():
    import enum

    class Color(enum.Enum):
        RED = "red"

    assert TypeEngine.guess_python_type(TypeEngine.to_literal_type(Color)) == typing.Literal["red"]


def test_guess_of_a_dataclass_is_a_compatible_dataclass(roundtrip, to_literal, to_python):
    @dataclasses.dataclass
    class Run:
        name: str
        scores: list[float]

    guessed = TypeEngine.guess_python_type(TypeEngine.to_literal_type(Run))
    assert dataclasses.is_dataclass(guessed) and guessed.__name__ == "Run"
    out = to_python(to_literal(Run("a", [1.0]), Run), guessed)
    assert (out.name, out.scores) == ("a", [1.0])


def test_guess_of_an_unknown_literal_type_raises():
    with pytest.raises(ValueError):
        TypeEngine.guess_python_type(types_pb2.LiteralType(simple=SimpleType.ERROR))


# ------------------------------------------------------------------------------ sync helpers


def test_sync_helpers_work_inside_a_running_loop():
    async def main():
        lit = TypeEngine.to_literal_sync([1, 2], list[int])
        return TypeEngine.to_python_value_sync(lit, list[int])

    assert asyncio.run(main()) == [1, 2]


class Slow:
    def __init__(self, v):
        self.v = v


class SlowTransformer(TypeTransformer[Slow]):
    """A transformer that really awaits, like one that uploads a file."""

    def __init__(self):
        super().__init__("slow", Slow)

    def get_literal_type(self, t):
        return types_pb2.LiteralType(simple=SimpleType.INTEGER, structure=types_pb2.TypeStructure(tag="slow"))

    async def to_literal(self, python_val, python_type, expected):
        await asyncio.sleep(0.001)
        return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=python_val.v)))

    async def to_python_value(self, lv, expected_python_type):
        await asyncio.sleep(0.001)
        return Slow(lv.scalar.primitive.integer)


def test_sync_helpers_run_awaiting_transformers_on_a_private_loop(isolated_registry):
    isolated_registry.register(SlowTransformer())

    @dataclasses.dataclass
    class Holder:
        items: list[Slow]

    lit = TypeEngine.to_literal_sync(Holder([Slow(1), Slow(2)]), Holder)
    assert [s.v for s in TypeEngine.to_python_value_sync(lit, Holder).items] == [1, 2]

    async def inside_a_loop():
        return TypeEngine.to_python_value_sync(TypeEngine.to_literal_sync(Slow(3), Slow), Slow).v

    assert asyncio.run(inside_a_loop()) == 3


def test_awaiting_transformer_inside_records_with_the_async_api(isolated_registry, roundtrip):
    isolated_registry.register(SlowTransformer())

    @dataclasses.dataclass
    class Holder:
        one: Slow
        maybe: Optional[Slow] = None

    out = roundtrip(Holder(Slow(1), Slow(2)), Holder)
    assert (out.one.v, out.maybe.v) == (1, 2)


# --------------------------------------------------------------------------- import hygiene


def _fresh_python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return result.stdout.strip()


def test_import_flyte_does_not_import_the_type_engine():
    out = _fresh_python("import sys, flyte; print('flyte.types' in sys.modules, 'flyteidl2' in sys.modules)")
    assert out == "False False"


def test_import_flyte_types_loads_no_plugins_and_no_pydantic():
    code = (
        "import sys, flyte.types\n"
        "from flyte.types import _plugins\n"
        "print(_plugins._loaded, 'pydantic' in sys.modules, 'cloudpickle' in sys.modules, "
        "'my_transformer' in sys.modules)"
    )
    assert _fresh_python(code) == "False False False False"


def test_public_surface():
    assert set(flyte.types.__all__) == {
        "TypeEngine",
        "TypeTransformer",
        "TypeTransformerFailedError",
        "load_type_plugins",
        "parse_text",
        "set_plugin_autoload",
    }
    assert flyte.types.TypeTransformerFailedError is flyte.errors.TypeTransformerFailedError


# ----------------------------------------------------------------------------- odd inputs


def test_unpicklable_value_is_a_type_error(to_literal):
    import threading

    with pytest.raises(TypeTransformerFailedError, match="`pickle` failed.*lock"):
        to_literal(threading.Lock(), Any)


def test_value_msgpack_cannot_store_is_a_type_error(to_literal):
    @dataclasses.dataclass
    class Big:
        n: int

    with pytest.raises(TypeTransformerFailedError, match="`record` failed"):
        to_literal(Big(2**70), Big)


def test_unresolved_forward_reference_is_reported(to_literal):
    with pytest.raises(TypeTransformerFailedError, match="forward reference `'Missing'`"):
        TypeEngine.get_transformer("Missing")


def test_pickled_literal_is_not_accepted_for_a_typed_record(to_literal, to_python):
    with pytest.raises(TypeTransformerFailedError, match=r"binary\(pickle\).*`SecretHolder`"):
        to_python(to_literal(object(), Any), SecretHolder)
