"""Built-in transformers run through the conformance suite that plugin authors use (`flyte.testing`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import Literal, Optional

from flyteidl2.core import types_pb2

from flyte.testing import TypeTransformerConformance
from flyte.types import TypeEngine


class Shade(enum.Enum):
    DARK = "dark"
    LIGHT = "light"


@dataclasses.dataclass
class Sample:
    name: str
    values: list[float]
    shade: Shade = Shade.DARK
    taken: Optional[dt.datetime] = None


class TestIntConformance(TypeTransformerConformance):
    transformer = TypeEngine.get_transformer(int)
    python_type = int
    sample_values = (0, 1, -5, 2**62)
    wrong_values = ("1", 1.5, True, object())
    literal_type = types_pb2.LiteralType(simple=types_pb2.SimpleType.INTEGER)


class TestDatetimeConformance(TypeTransformerConformance):
    transformer = TypeEngine.get_transformer(dt.datetime)
    python_type = dt.datetime
    sample_values = (dt.datetime(2024, 1, 1, 1, 2, 3, 4), dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    wrong_values = ("2024-01-01", dt.date(2024, 1, 1))


class TestListOfStrConformance(TypeTransformerConformance):
    transformer = TypeEngine.get_transformer(list[str])
    python_type = list[str]
    sample_values = ([], ["a", "b"])
    wrong_values = ("ab", [1], ("a",))


class TestEnumConformance(TypeTransformerConformance):
    transformer = TypeEngine.get_transformer(Shade)
    python_type = Shade
    sample_values = tuple(Shade)
    wrong_values = ("dark",)
    guessed_type = Literal["dark", "light"]


class TestDataclassConformance(TypeTransformerConformance):
    transformer = TypeEngine.get_transformer(Sample)
    python_type = Sample
    sample_values = (Sample("a", [1.0, 2.5]), Sample("b", [], Shade.LIGHT, dt.datetime(2024, 1, 1)))
    wrong_values = ({"name": "a", "values": []}, object())
    guessable = False  # guessed as a generated dataclass with the same fields


class TestOptionalConformance(TypeTransformerConformance):
    transformer = TypeEngine.get_transformer(Optional[int])
    python_type = Optional[int]
    sample_values = (None, 3)
    wrong_values = ("3",)
    nullable = True


class TestTupleConformance(TypeTransformerConformance):
    transformer = TypeEngine.get_transformer(tuple[str, str])
    python_type = tuple[str, str]
    sample_values = (("a", "b"),)
    wrong_values = (("a",), ["a", "b"], ("a", 1))
