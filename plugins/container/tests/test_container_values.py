"""What values look like on the container's side, and back (no Docker engine needed)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import Literal, Optional

import pydantic
import pytest

from flyte.types import parse_text
from flyteplugins.container import _templates, _values


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@pytest.mark.parametrize(
    ("value", "t", "text"),
    [
        ("Ada Lovelace", str, "Ada Lovelace"),
        (-42, int, "-42"),
        (0.1, float, "0.1"),
        (1e-07, float, "1e-07"),
        (True, bool, "true"),
        (False, bool, "false"),
        (dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc), dt.datetime, "2024-05-01T12:30:00+00:00"),
        (dt.datetime(2024, 5, 1, 12, 30, 0, 250), dt.datetime, "2024-05-01T12:30:00.000250"),
        (dt.date(2024, 2, 29), dt.date, "2024-02-29"),
        (dt.timedelta(hours=1, minutes=30), dt.timedelta, "5400"),
        (dt.timedelta(microseconds=1), dt.timedelta, "0.000001"),
        (dt.timedelta(days=-1, hours=23), dt.timedelta, "-3600"),
        (Colour.BLUE, Colour, "blue"),
        ("b", Literal["a", "b"], "b"),
        (None, Optional[int], ""),
        (7, Optional[int], "7"),
    ],
)
def test_scalars_round_trip_through_their_text(value, t, text):
    assert _values.to_text(value) == text
    assert parse_text(text, t) == value


@dataclasses.dataclass
class Point:
    x: int
    y: float
    label: str = "p"
    when: Optional[dt.datetime] = None


@dataclasses.dataclass
class Shape:
    name: str
    points: list[Point]
    tags: dict[str, int]
    colour: Colour


class Model(pydantic.BaseModel):
    name: str
    size: int
    shape: Optional[Shape] = None


@pytest.mark.parametrize("fmt", ["JSON", "YAML"])
def test_documents_round_trip(fmt):
    shape = Shape("tri", [Point(1, 2.5), Point(3, 4.0, "q", dt.datetime(2024, 1, 2, 3, 4, 5))], {"a": 1}, Colour.RED)
    for value, t in [(shape, Shape), (Model(name="m", size=3, shape=shape), Model), ([Point(1, 1.0)], list[Point])]:
        data = _values.dump_document(value, fmt)
        assert _values.from_document(_values.load_document(data, fmt), t, "v") == value


def test_document_errors_name_the_field():
    with pytest.raises(ValueError, match=r"shape\.points\[1\]\.x: Cannot parse 'many' as .int."):
        _values.from_document({"name": "s", "points": [{"x": 1, "y": 1}, {"x": "many", "y": 1}], "tags": {},
                               "colour": "red"}, Shape, "shape")
    with pytest.raises(ValueError, match=r"p: Point has no field\(s\) z; fields: x, y, label, when"):
        _values.from_document({"x": 1, "y": 2, "z": 3}, Point, "p")
    with pytest.raises(ValueError, match=r"p: Point is missing field\(s\) y"):
        _values.from_document({"x": 1}, Point, "p")


def test_kinds():
    from flyte.io import Dir, File

    assert _values.kind_of(Optional[File]) == "file" and _values.kind_of(Dir) == "dir"
    assert _values.kind_of(Optional[dt.timedelta]) == "scalar" and _values.kind_of(Colour) == "scalar"
    assert _values.kind_of(Model) == "structured" and _values.kind_of(dict[str, list[Point]]) == "structured"
    assert _values.kind_of(list[File]) is None and _values.kind_of(object) is None


def test_templates_render_every_reference_also_beside_a_path():
    strings = ["uv run /var/inputs/script.py {{.inputs.a}} {{ .inputs.b }}", "{{.inputs.script.py}}", "plain"]
    assert _templates.referenced_inputs(strings) == [(0, "a"), (0, "b"), (1, "script.py")]
    values = {"a": "10", "b": "20", "script.py": "/var/inputs/script.py"}
    assert _templates.render(strings, values.__getitem__) == [
        "uv run /var/inputs/script.py 10 20",
        "/var/inputs/script.py",
        "plain",
    ]
