"""Dataclasses, pydantic models and protobuf messages, including fields with their own transformers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import Any, Optional

import msgpack
import pytest
from flyteidl2.core import literals_pb2, types_pb2

from flyte.types import TypeEngine, TypeTransformer, TypeTransformerFailedError

SimpleType = types_pb2.SimpleType


class Mode(enum.Enum):
    TRAIN = "train"
    EVAL = "eval"


@dataclasses.dataclass
class Hyper:
    lr: float
    layers: list[int]
    mode: Mode = Mode.TRAIN


@dataclasses.dataclass
class Experiment:
    name: str
    hyper: Hyper
    started: dt.datetime
    budget: dt.timedelta
    day: dt.date
    tags: dict[str, str]
    history: list[Hyper]
    parent: Optional[Experiment] = None
    notes: Optional[str] = None
    blob: bytes = b""
    extra: dict = dataclasses.field(default_factory=dict)
    anything: Any = None
    shape: tuple[int, int] = (0, 0)
    by_mode: dict[Mode, float] = dataclasses.field(default_factory=dict)


def make_experiment() -> Experiment:
    return Experiment(
        name="exp",
        hyper=Hyper(0.1, [64, 32]),
        started=dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.timezone.utc),
        budget=dt.timedelta(hours=2, microseconds=7),
        day=dt.date(2024, 5, 1),
        tags={"team": "ml"},
        history=[Hyper(1, [], Mode.EVAL)],
        parent=Experiment(
            "root", Hyper(0.5, [1]), dt.datetime(2020, 1, 1), dt.timedelta(0), dt.date(2020, 1, 1), {}, []
        ),
        blob=b"\x00\xff",
        extra={"k": [1, "v", None]},
        anything=dt.date(2000, 1, 1),
        shape=(3, 4),
        by_mode={Mode.EVAL: 0.5},
    )


def test_nested_dataclass_round_trip_keeps_real_types(roundtrip):
    value = make_experiment()
    out = roundtrip(value, Experiment)
    assert out == value
    assert type(out.hyper) is Hyper and type(out.history[0]) is Hyper
    assert out.hyper.mode is Mode.TRAIN
    assert type(out.history[0].lr) is float  # an int given for a float field
    assert out.started.tzinfo is not None
    assert type(out.shape) is tuple
    assert type(out.parent) is Experiment


def test_dataclass_is_a_msgpack_binary_with_a_struct_type(to_literal):
    lit = to_literal(Hyper(0.1, [1]), Hyper)
    assert lit.scalar.binary.tag == "msgpack"
    assert msgpack.unpackb(lit.scalar.binary.value) == {"lr": 0.1, "layers": [1], "mode": "train"}
    lt = TypeEngine.to_literal_type(Hyper)
    assert lt.simple == SimpleType.STRUCT
    assert lt.structure.tag == "Hyper"
    assert lt.structure.dataclass_type["layers"].collection_type.simple == SimpleType.INTEGER


def test_recursive_dataclass_literal_type_terminates():
    lt = TypeEngine.to_literal_type(Experiment)
    assert lt.structure.dataclass_type["parent"].union_type.variants[0].structure.tag == "Experiment"


def test_wrong_field_type_names_the_field(to_literal):
    with pytest.raises(TypeTransformerFailedError, match=r"field `Hyper.layers`: item 1.*`int`.*`str`"):
        to_literal(Hyper(0.1, [1, "2"]), Hyper)


def test_wrong_record_class_is_rejected(to_literal):
    with pytest.raises(TypeTransformerFailedError, match="`Hyper`"):
        to_literal(make_experiment(), Hyper)


def test_frozen_dataclass_with_init_false_field(roundtrip):
    @dataclasses.dataclass(frozen=True)
    class Area:
        w: int
        h: int
        size: int = dataclasses.field(init=False)

        def __post_init__(self):
            object.__setattr__(self, "size", self.w * self.h)

    out = roundtrip(Area(2, 3), Area)
    assert out == Area(2, 3) and out.size == 6


def test_dataclass_in_function_with_unresolvable_annotations(roundtrip):
    # With `from __future__ import annotations`, `Local` below can't be resolved from the
    # module: such fields fall back to Any, and their values still round-trip.
    @dataclasses.dataclass
    class Local:
        v: int

    @dataclasses.dataclass
    class Holder:
        item: Local
        when: dt.datetime

    value = Holder(Local(1), dt.datetime(2024, 1, 1))
    assert roundtrip(value, Holder) == value


def test_missing_required_field_is_reported(to_literal, to_python):
    lit = to_literal(Hyper(0.1, [1]), Hyper)
    data = msgpack.unpackb(lit.scalar.binary.value)
    del data["lr"]
    lit.scalar.binary.value = msgpack.packb(data)
    with pytest.raises(TypeTransformerFailedError, match=r"lacks the required fields \['lr'\]"):
        to_python(lit, Hyper)


def test_dataclass_union_picks_the_matching_class(roundtrip):
    @dataclasses.dataclass
    class Cat:
        meow: str

    @dataclasses.dataclass
    class Dog:
        bark: str

    @dataclasses.dataclass
    class Pet:
        animal: Cat | Dog

    assert type(roundtrip(Pet(Dog("woof")), Pet).animal) is Dog
    assert type(roundtrip(Pet(Cat("mew")), Pet).animal) is Cat


def test_union_field_keeps_int_and_float_apart(roundtrip):
    @dataclasses.dataclass
    class Num:
        n: float | int

    assert type(roundtrip(Num(1), Num).n) is int
    assert type(roundtrip(Num(1.0), Num).n) is float


def test_any_field_with_unknown_object_is_pickled_inside(roundtrip):
    class Opaque:
        def __init__(self, v):
            self.v = v

        def __eq__(self, other):
            return isinstance(other, Opaque) and other.v == self.v

    @dataclasses.dataclass
    class Box:
        content: Any
        fn: Any = None

    out = roundtrip(Box(Opaque(3), fn=lambda x: x + 1), Box)
    assert out.content == Opaque(3)
    assert out.fn(1) == 2


# ---------------------------------------------------------------- fields with custom transformers


class Celsius:
    def __init__(self, degrees: float):
        self.degrees = degrees

    def __eq__(self, other):
        return isinstance(other, Celsius) and other.degrees == self.degrees


class CelsiusTransformer(TypeTransformer[Celsius]):
    def __init__(self):
        super().__init__("Celsius", Celsius)
        self.calls = 0

    def get_literal_type(self, t):
        return types_pb2.LiteralType(simple=SimpleType.FLOAT, structure=types_pb2.TypeStructure(tag="Celsius"))

    async def to_literal(self, python_val, python_type, expected):
        self.calls += 1
        lit = literals_pb2.Literal()
        lit.scalar.primitive.float_value = python_val.degrees
        return lit

    async def to_python_value(self, lv, expected_python_type):
        return Celsius(lv.scalar.primitive.float_value)


@dataclasses.dataclass
class Reading:
    temp: Celsius
    history: list[Celsius]
    peak: Optional[Celsius] = None


def test_field_with_registered_transformer_goes_through_it(isolated_registry, roundtrip, to_literal):
    transformer = CelsiusTransformer()
    isolated_registry.register(transformer)
    value = Reading(Celsius(21.5), [Celsius(1), Celsius(2)], None)
    assert roundtrip(value, Reading) == value
    assert transformer.calls == 3
    raw = msgpack.unpackb(to_literal(value, Reading).scalar.binary.value)
    embedded = literals_pb2.Literal.FromString(raw["temp"].data)
    assert embedded.scalar.primitive.float_value == 21.5
    assert TypeEngine.to_literal_type(Reading).structure.dataclass_type["temp"].structure.tag == "Celsius"


def test_field_with_transformer_in_annotated_metadata(roundtrip):
    from typing import Annotated

    @dataclasses.dataclass
    class Sensor:
        temp: Annotated[Celsius, CelsiusTransformer()]

    assert roundtrip(Sensor(Celsius(3)), Sensor) == Sensor(Celsius(3))


def test_unregistered_class_field_is_pickled(roundtrip):
    value = Reading(Celsius(1), [], Celsius(2))
    assert roundtrip(value, Reading) == value


# ------------------------------------------------------------------------------------ pydantic

pydantic = pytest.importorskip("pydantic")


class Address(pydantic.BaseModel):
    street: str
    zip_code: str = pydantic.Field(alias="zip")


class Person(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)

    name: str
    born: dt.date
    address: Address
    previous: list[Address] = []
    mode: Mode = Mode.EVAL
    temp: Optional[Celsius] = None
    hyper: Optional[Hyper] = None


def make_person() -> Person:
    return Person(
        name="Ada",
        born=dt.date(1815, 12, 10),
        address=Address(street="Main", zip="12345"),
        previous=[Address(street="Old", zip="1")],
        mode=Mode.TRAIN,
        hyper=Hyper(0.2, [8]),
    )


def test_pydantic_model_round_trip(roundtrip):
    value = make_person()
    out = roundtrip(value, Person)
    assert out == value
    assert type(out.address) is Address and out.address.zip_code == "12345"
    assert out.mode is Mode.TRAIN and type(out.hyper) is Hyper
    assert TypeEngine.to_literal_type(Person).structure.tag == "Person"


def test_pydantic_field_with_registered_transformer(isolated_registry, roundtrip):
    isolated_registry.register(CelsiusTransformer())
    value = make_person().model_copy(update={"temp": Celsius(37)})
    assert roundtrip(value, Person).temp == Celsius(37)


def test_pydantic_model_rejects_other_values(to_literal):
    with pytest.raises(TypeTransformerFailedError):
        to_literal({"name": "Ada"}, Person)


# ------------------------------------------------------------------------------------ protobuf


def test_protobuf_message_is_binary_with_its_full_name(roundtrip, to_literal):
    value = types_pb2.LiteralType(simple=SimpleType.INTEGER)
    lit = to_literal(value, types_pb2.LiteralType)
    assert lit.scalar.binary.tag == "flyteidl2.core.LiteralType"
    assert roundtrip(value, types_pb2.LiteralType) == value
    assert TypeEngine.to_literal_type(types_pb2.LiteralType).structure.tag == "flyteidl2.core.LiteralType"


def test_protobuf_message_inside_a_dataclass(roundtrip):
    @dataclasses.dataclass
    class Wrapper:
        lt: types_pb2.LiteralType

    value = Wrapper(types_pb2.LiteralType(simple=SimpleType.STRING))
    assert roundtrip(value, Wrapper) == value
