"""How values look on the container's side: text for scalars, files for File/Dir, a metadata format for the rest.

A container sees every input as a file named after it in the input directory and writes every
output as a file named after it in the output directory:

- scalars (``str``, ``int``, ``float``, ``bool``, ``datetime``, ``date``, ``timedelta``, enums,
  ``Literal[...]``, ``Optional`` of those) are text: bools ``true``/``false``, datetimes and dates
  ISO-8601, timedeltas as seconds. Outputs are read back with ``flyte.types.parse_text``;
- ``File`` / ``Dir`` are the file or directory itself;
- everything else (dataclasses, pydantic models, lists and dicts of them) is a document in the
  task's metadata format: JSON, YAML, or PROTO (a serialized ``flyteidl2`` ``Literal``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import types
import typing
from decimal import Decimal
from typing import Any, Literal

from flyte.io import Dir, File

MetadataFormat = Literal["JSON", "YAML", "PROTO"]
METADATA_FORMATS: tuple[str, ...] = ("JSON", "YAML", "PROTO")
#: The inputs metadata file written beside the inputs, per format.
METADATA_FILE = {"JSON": "inputs.json", "YAML": "inputs.yaml", "PROTO": "inputs.pb"}

_SCALARS = (str, int, float, bool, dt.datetime, dt.date, dt.timedelta)
_NONE = type(None)


# --------------------------------------------------------------------------------------------- kinds


def strip_optional(t: Any) -> tuple[Any, bool]:
    """``(X, True)`` for ``Optional[X]`` / ``X | None``, else ``(t, False)``."""
    t = _strip_annotated(t)
    if _is_union(t):
        args = typing.get_args(t)
        if _NONE in args:
            rest = tuple(a for a in args if a is not _NONE)
            return (rest[0] if len(rest) == 1 else typing.Union[rest]), True
    return t, False


def _strip_annotated(t: Any) -> Any:
    return typing.get_args(t)[0] if typing.get_origin(t) is typing.Annotated else t


def _is_union(t: Any) -> bool:
    return typing.get_origin(t) is typing.Union or (hasattr(types, "UnionType") and isinstance(t, types.UnionType))


def _subclass(t: Any, base: type) -> bool:
    cls = typing.get_origin(t) or t
    return isinstance(cls, type) and issubclass(cls, base)


def is_file(t: Any) -> bool:
    return _subclass(strip_optional(t)[0], File)


def is_dir(t: Any) -> bool:
    return _subclass(strip_optional(t)[0], Dir)


def is_pydantic(t: Any) -> bool:
    return isinstance(t, type) and hasattr(t, "model_validate") and hasattr(t, "model_dump")


def is_scalar(t: Any) -> bool:
    """Whether values of ``t`` travel as one line of text."""
    inner, _ = strip_optional(t)
    if inner in _SCALARS or _subclass(inner, enum.Enum) or typing.get_origin(inner) is Literal:
        return True
    if _is_union(inner):  # Union[int, str]: text that parse_text tries variant by variant
        return all(is_scalar(a) for a in typing.get_args(inner))
    return False


def is_structured(t: Any) -> bool:
    """Whether values of ``t`` travel as a document in the metadata format."""
    inner, _ = strip_optional(t)
    if is_file(inner) or is_dir(inner):  # dataclasses themselves, but they travel as files
        return False
    if dataclasses.is_dataclass(inner) or is_pydantic(inner):
        return True
    origin = typing.get_origin(inner)
    args = typing.get_args(inner)
    if origin in (list, set, frozenset) or inner in (list, dict):
        return all(_document_value(a) for a in args)
    if origin is tuple:
        return all(_document_value(a) for a in args if a is not Ellipsis)
    if origin is dict:
        return len(args) == 2 and args[0] in (str, int) and _document_value(args[1])
    return False


def _document_value(t: Any) -> bool:
    return t is Any or is_scalar(t) or is_structured(t)


def kind_of(t: Any) -> str | None:
    """``"file"``, ``"dir"``, ``"scalar"``, ``"structured"``, or ``None`` for an unsupported type."""
    if is_file(t):
        return "file"
    if is_dir(t):
        return "dir"
    if is_scalar(t):
        return "scalar"
    if is_structured(t):
        return "structured"
    return None


SUPPORTED = (
    "str, int, float, bool, datetime, date, timedelta, Enum, Literal, File, Dir, dataclasses, pydantic models, "
    "lists/dicts of those, and Optional[...] of any of them"
)


def type_name(t: Any) -> str:
    return getattr(t, "__name__", None) or str(t).replace("typing.", "")


# --------------------------------------------------------------------------------------------- text


def to_text(value: Any) -> str:
    """The text a container sees for a scalar (in its input file and in ``{{.inputs.x}}``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return seconds_text(value)
    return str(value)


def seconds_text(value: dt.timedelta) -> str:
    """A timedelta as an exact decimal number of seconds: ``90``, ``0.5``, ``-3600``."""
    micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    text = format(Decimal(micros) / Decimal(1_000_000), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# --------------------------------------------------------------------------------------------- documents


def to_document(value: Any) -> Any:
    """A JSON/YAML-ready form of a value (dataclasses and models become mappings)."""
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if hasattr(value, "model_dump") and not isinstance(value, type):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_document(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k.value if isinstance(k, enum.Enum) else k): to_document(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_document(v) for v in value]
    raise TypeError(f"{type(value).__name__} {value!r:.80} cannot be written as a JSON/YAML document")


def dump_document(value: Any, fmt: str) -> bytes:
    if fmt == "YAML":
        import yaml

        return yaml.safe_dump(to_document(value), sort_keys=False, allow_unicode=True).encode()
    return json.dumps(to_document(value), ensure_ascii=False).encode()


def load_document(data: bytes, fmt: str) -> Any:
    text = data.decode("utf-8")
    if fmt == "YAML":
        import yaml

        return yaml.safe_load(text)
    return json.loads(text)


def from_document(data: Any, t: Any, where: str = "value") -> Any:
    """Build a value of type ``t`` from parsed JSON/YAML; errors name the field path ``where``."""
    from flyte.types import parse_text

    t = _strip_annotated(t)
    if t is Any:
        return data
    if _is_union(t):
        args = typing.get_args(t)
        if data is None and _NONE in args:
            return None
        problems = []
        for variant in args:
            if variant is _NONE:
                continue
            try:
                return from_document(data, variant, where)
            except (TypeError, ValueError) as e:
                problems.append(str(e))
        raise ValueError(f"{where}: {data!r:.80} matches none of {type_name(t)} ({'; '.join(problems)})")
    if data is None:
        raise ValueError(f"{where}: got null; expected {type_name(t)}")
    if is_pydantic(t):
        try:
            return t.model_validate(data)
        except Exception as e:
            raise ValueError(f"{where}: not a valid {t.__name__}: {e}") from None
    if dataclasses.is_dataclass(t) and isinstance(t, type):
        return _dataclass_from(data, t, where)
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin in (list, set, frozenset, tuple) or t in (list, set, tuple):
        if not isinstance(data, list):
            raise ValueError(f"{where}: expected a list for {type_name(t)}, got {type(data).__name__} {data!r:.80}")
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            if len(args) != len(data):
                raise ValueError(f"{where}: expected {len(args)} items for {type_name(t)}, got {len(data)}")
            return tuple(from_document(d, a, f"{where}[{i}]") for i, (d, a) in enumerate(zip(data, args)))
        item = args[0] if args else Any
        items = [from_document(d, item, f"{where}[{i}]") for i, d in enumerate(data)]
        return (origin or t)(items) if (origin or t) is not list else items
    if origin is dict or t is dict:
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected a mapping for {type_name(t)}, got {type(data).__name__} {data!r:.80}")
        key_t, value_t = args if args else (Any, Any)
        return {
            (parse_text(str(k), key_t) if key_t not in (Any, str) else k): from_document(v, value_t, f"{where}[{k!r}]")
            for k, v in data.items()
        }
    if t is bool and isinstance(data, bool):
        return data
    if t is int and isinstance(data, int) and not isinstance(data, bool):
        return data
    if t is float and isinstance(data, (int, float)) and not isinstance(data, bool):
        return float(data)
    if t in (bool, int, float) and not isinstance(data, str):
        raise ValueError(f"{where}: expected {_A[t]}, got {type(data).__name__} {data!r:.80}")
    if t is str:
        if isinstance(data, str):
            return data
        raise ValueError(f"{where}: expected a string, got {type(data).__name__} {data!r:.80}")
    if t is dt.timedelta and isinstance(data, (int, float)) and not isinstance(data, bool):
        return dt.timedelta(seconds=data)
    if t in (dt.datetime, dt.date) and isinstance(data, t):  # YAML reads timestamps itself
        return data
    if isinstance(data, str) and is_scalar(t):
        try:
            return parse_text(data, t)
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None
    if _subclass(t, enum.Enum):
        try:
            return t(data)
        except ValueError:
            raise ValueError(f"{where}: {data!r:.80} is not a value of {t.__name__}") from None
    raise ValueError(f"{where}: cannot make {type_name(t)} from {type(data).__name__} {data!r:.80}")


_A = {bool: "a bool", int: "an int", float: "a float"}


def _dataclass_from(data: Any, t: type, where: str) -> Any:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a mapping for {t.__name__}, got {type(data).__name__} {data!r:.80}")
    hints = typing.get_type_hints(t)
    fields = {f.name: f for f in dataclasses.fields(t) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(f"{where}: {t.__name__} has no field(s) {', '.join(map(str, unknown))}; fields: {', '.join(fields)}")
    kwargs = {name: from_document(data[name], hints.get(name, Any), f"{where}.{name}") for name in fields if name in data}
    missing = [
        name
        for name, f in fields.items()
        if name not in data and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ValueError(f"{where}: {t.__name__} is missing field(s) {', '.join(missing)}")
    return t(**kwargs)
