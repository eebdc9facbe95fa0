"""A type-directed msgpack codec for records: dataclasses, pydantic models, NamedTuples, typed tuples.

`codec_for(t)` compiles a tree of nodes from the declared type once; each node turns a value
into msgpack-native data (`encode`) and back into a value of its declared type (`decode`), so
nested dataclasses, enums, datetimes, Optionals and collections come back with their real
types. Two msgpack extension types carry what msgpack cannot express natively:

- `PICKLE_EXT`: a cloudpickled value (fields typed `Any` holding non-native data, unknown classes);
- `LITERAL_EXT`: a serialized Flyte literal, for field types that have their own registered
  third-party transformer (files, directories, plugin types). The field is converted through
  `TypeEngine`, so such types work inside records exactly as they do at the top level.

Nodes are coroutines because a third-party transformer may await I/O.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import inspect
import logging
import numbers
import pickle
import sys
import threading
import typing
from abc import ABC, abstractmethod
from typing import Any

import msgpack
from flyteidl2.core import literals_pb2

from flyte.errors import TypeTransformerFailedError
from flyte.types._engine import BuiltinTransformer, RestrictedTransformer, TypeEngine
from flyte.types._text import format_duration, parse_duration
from flyte.types._transformer import (
    NoneType,
    TypeTransformer,
    is_union,
    short_repr,
    strip_annotated,
    type_name,
    wrong_type,
)

logger = logging.getLogger("flyte")

#: Binary tags of serialized values: msgpack data, and cloudpickle payloads.
MSGPACK_TAG = "msgpack"
PICKLE_TAG = "pickle"
#: msgpack extension type codes used inside msgpack data.
PICKLE_EXT = 1
LITERAL_EXT = 2

# Map keys msgpack can carry and hand back as the same, hashable value.
_KEY_TYPES = (str, int, float, bool, bytes, NoneType)
_INT_RANGE = (-(2**63), 2**64)


def pack(data: Any) -> bytes:
    """Serialize msgpack-native data."""
    return msgpack.packb(data, use_bin_type=True, datetime=False)


def unpack(payload: bytes) -> Any:
    """Deserialize what `pack` produced (lists stay lists, non-str map keys are allowed)."""
    return msgpack.unpackb(payload, raw=False, strict_map_key=False, use_list=True)


def is_msgpack_native(v: Any) -> bool:
    """Whether msgpack stores `v` and gives back an equal value of the same types (no tuples, sets, ...)."""
    t = type(v)
    if t is str or t is bool or t is float or t is bytes or v is None:
        return True
    if t is int:
        return _INT_RANGE[0] <= v < _INT_RANGE[1]
    try:
        if t is list:
            return all(is_msgpack_native(x) for x in v)
        if t is dict:
            return all(type(k) in _KEY_TYPES and is_msgpack_native(k) and is_msgpack_native(x) for k, x in v.items())
    except RecursionError:
        return False
    return False


def pickle_ext(v: Any) -> msgpack.ExtType:
    """Wrap a value msgpack can't carry as a cloudpickle payload."""
    import cloudpickle

    return msgpack.ExtType(PICKLE_EXT, cloudpickle.dumps(v))


def _stored_error(expected: Any, raw: Any) -> TypeTransformerFailedError:
    return TypeTransformerFailedError(
        f"Stored data does not match `{type_name(expected)}`: found {type_name(type(raw))} {short_repr(raw)}"
    )


class Node(ABC):
    """Encodes one declared type to msgpack-native data and back."""

    #: Types `encode` produces; a union tries variants whose raw types match the data first.
    raw_types: tuple[type, ...] = ()
    #: Values of exactly this class pick this node among union variants without trying others.
    py_type: Any = None
    #: Set when `encode` and `decode` are the identity for values of exactly this class, so
    #: sequences of them can be copied without a per-item await.
    exact: type | None = None

    @abstractmethod
    async def encode(self, v: Any) -> Any:
        """Return msgpack-native data for `v`, or raise `TypeTransformerFailedError`."""

    @abstractmethod
    async def decode(self, raw: Any) -> Any:
        """Return the value `raw` stands for, or raise `TypeTransformerFailedError`."""


class ScalarNode(Node):
    """int, str, bool, bytes and None: stored as they are."""

    def __init__(self, t: type):
        self.py_type = self.exact = t
        self.raw_types = (t,)

    async def encode(self, v: Any) -> Any:
        t = self.py_type
        if type(v) is t:
            return v
        if t is int and isinstance(v, numbers.Integral) and not isinstance(v, bool):
            return int(v)
        if isinstance(v, t) and not (t is int and isinstance(v, bool)):
            return v
        raise wrong_type(t, v)

    async def decode(self, raw: Any) -> Any:
        if type(raw) is self.py_type:
            return raw
        raise _stored_error(self.py_type, raw)


class FloatNode(Node):
    """float; an int is accepted and stored as a float."""

    py_type = exact = float
    raw_types = (float,)

    async def encode(self, v: Any) -> Any:
        if type(v) is float:
            return v
        if isinstance(v, numbers.Real) and not isinstance(v, bool):
            return float(v)
        raise wrong_type(float, v)

    async def decode(self, raw: Any) -> Any:
        if type(raw) is float or type(raw) is int:
            return float(raw)
        raise _stored_error(float, raw)


class TemporalNode(Node):
    """datetime, date and timedelta, stored as ISO-8601 text (exact, and readable in any viewer)."""

    raw_types = (str,)

    def __init__(self, t: type):
        self.py_type = t

    async def encode(self, v: Any) -> Any:
        t = self.py_type
        if not isinstance(v, t) or (t is dt.date and isinstance(v, dt.datetime)):
            raise wrong_type(t, v)
        return format_duration(v) if t is dt.timedelta else v.isoformat()

    async def decode(self, raw: Any) -> Any:
        if type(raw) is not str:
            raise _stored_error(self.py_type, raw)
        try:
            if self.py_type is dt.timedelta:
                return parse_duration(raw)
            return self.py_type.fromisoformat(raw)
        except ValueError:
            raise _stored_error(self.py_type, raw) from None


class EnumNode(Node):
    """An Enum member, stored as its value."""

    def __init__(self, t: type[enum.Enum]):
        self.py_type = t
        self.raw_types = tuple({type(m.value) for m in t})

    async def encode(self, v: Any) -> Any:
        if not isinstance(v, self.py_type):
            raise wrong_type(self.py_type, v)
        return v.value

    async def decode(self, raw: Any) -> Any:
        try:
            return self.py_type(raw)
        except ValueError:
            raise _stored_error(self.py_type, raw) from None


class LiteralValuesNode(Node):
    """`typing.Literal[...]`: one of a fixed set of values."""

    def __init__(self, t: Any):
        self.t = t
        self.choices = typing.get_args(t)
        self.raw_types = tuple({type(c) for c in self.choices})

    def _check(self, v: Any, error: TypeTransformerFailedError) -> Any:
        if any(v == c and type(v) is type(c) for c in self.choices):
            return v
        raise error

    async def encode(self, v: Any) -> Any:
        return self._check(v, wrong_type(self.t, v))

    async def decode(self, raw: Any) -> Any:
        return self._check(raw, _stored_error(self.t, raw))


class SequenceNode(Node):
    """`list[T]`, `set[T]`, `frozenset[T]` and `tuple[T, ...]`, stored as an array."""

    raw_types = (list,)

    def __init__(self, container: type, item: Node):
        self.py_type = container
        self.item = item

    async def encode(self, v: Any) -> Any:
        if not isinstance(v, self.py_type):
            raise wrong_type(self.py_type, v)
        if isinstance(v, (set, frozenset)):
            v = _stable_order(v)  # equal sets must serialize to equal bytes (cache keys)
        exact = self.item.exact
        if exact is not None and all(type(x) is exact for x in v):
            return list(v)
        out = []
        for i, x in enumerate(v):
            try:
                out.append(await self.item.encode(x))
            except TypeTransformerFailedError as e:
                raise TypeTransformerFailedError(f"item {i}: {e}") from e
        return out

    async def decode(self, raw: Any) -> Any:
        if type(raw) is not list:
            raise _stored_error(self.py_type, raw)
        exact = self.item.exact
        if exact is not None and all(type(x) is exact for x in raw):
            return raw if self.py_type is list else self.py_type(raw)
        return self.py_type([await self.item.decode(x) for x in raw])


class TupleNode(Node):
    """`tuple[A, B, ...]`, stored as an array of its items."""

    py_type = tuple
    raw_types = (list,)

    def __init__(self, t: Any, items: list[Node]):
        self.t = t
        self.items = items

    async def encode(self, v: Any) -> Any:
        if not isinstance(v, tuple) or len(v) != len(self.items):
            raise wrong_type(self.t, v)
        out = []
        for i, (node, x) in enumerate(zip(self.items, v)):
            try:
                out.append(await node.encode(x))
            except TypeTransformerFailedError as e:
                raise TypeTransformerFailedError(f"item {i}: {e}") from e
        return out

    async def decode(self, raw: Any) -> Any:
        if type(raw) is not list or len(raw) != len(self.items):
            raise _stored_error(self.t, raw)
        return tuple([await node.decode(x) for node, x in zip(self.items, raw)])


class DictNode(Node):
    """`dict[K, V]`: a map when keys are msgpack scalars, else an array of `[key, value]` pairs."""

    py_type = dict

    def __init__(self, key: Node, value: Node):
        self.key = key
        self.value = value
        self.as_pairs = not key.raw_types or not all(t in _KEY_TYPES for t in key.raw_types)
        self.raw_types = (list,) if self.as_pairs else (dict,)

    async def encode(self, v: Any) -> Any:
        if not isinstance(v, dict):
            raise wrong_type(dict, v)
        pairs = []
        for k, x in v.items():
            try:
                pairs.append((await self.key.encode(k), await self.value.encode(x)))
            except TypeTransformerFailedError as e:
                raise TypeTransformerFailedError(f"key {short_repr(k)}: {e}") from e
        return [list(p) for p in pairs] if self.as_pairs else dict(pairs)

    async def decode(self, raw: Any) -> Any:
        items: Any
        if self.as_pairs:
            if type(raw) is not list:
                raise _stored_error(dict, raw)
            items = raw
        elif type(raw) is dict:
            items = raw.items()
        else:
            raise _stored_error(dict, raw)
        return {await self.key.decode(k): await self.value.decode(x) for k, x in items}


class UnionNode(Node):
    """`Union[...]` / `Optional[...]`: the first variant that fits, trying exact matches first."""

    def __init__(self, t: Any, variants: list[Node]):
        self.t = t
        self.variants = variants
        self.nullable = any(node.py_type is NoneType for node in variants)

    async def encode(self, v: Any) -> Any:
        if v is None and self.nullable:
            return None
        for node in self.variants:
            if node.py_type is not None and type(v) is node.py_type:
                return await node.encode(v)
        for node in self.variants:
            try:
                return await node.encode(v)
            except TypeTransformerFailedError:
                continue
        raise wrong_type(self.t, v)

    async def decode(self, raw: Any) -> Any:
        if raw is None and self.nullable:
            return None
        # Variants whose stored form has this data's type first, so `Union[float, int]` gives 1 back as int.
        first = [n for n in self.variants if type(raw) in n.raw_types]
        for node in first + [n for n in self.variants if n not in first]:
            try:
                return await node.decode(raw)
            except TypeTransformerFailedError:
                continue
        raise _stored_error(self.t, raw)


class RecordNode(Node):
    """A dataclass, NamedTuple or pydantic model, stored as a map of field name -> field data."""

    raw_types = (dict,)

    def __init__(self, t: type):
        self.py_type = t
        self.fields: list[tuple[str, Node]] = []  # filled after creation: records may be recursive
        self.required: frozenset[str] = frozenset()
        self.kind = "pydantic" if is_pydantic_model(t) else "namedtuple" if issubclass(t, tuple) else "dataclass"
        self.deferred: tuple[str, ...] = ()  # dataclass fields with init=False

    async def encode(self, v: Any) -> Any:
        if not isinstance(v, self.py_type):
            raise wrong_type(self.py_type, v)
        out = {}
        for name, node in self.fields:
            try:
                out[name] = await node.encode(getattr(v, name))
            except TypeTransformerFailedError as e:
                raise TypeTransformerFailedError(f"field `{type_name(self.py_type)}.{name}`: {e}") from e
        return out

    async def decode(self, raw: Any) -> Any:
        if type(raw) is not dict:
            raise _stored_error(self.py_type, raw)
        missing = self.required - raw.keys()
        if missing:
            raise TypeTransformerFailedError(
                f"Stored data for `{type_name(self.py_type)}` lacks the required fields {sorted(missing)}"
            )
        values = {}
        for name, node in self.fields:
            if name in raw:
                try:
                    values[name] = await node.decode(raw[name])
                except TypeTransformerFailedError as e:
                    raise TypeTransformerFailedError(f"field `{type_name(self.py_type)}.{name}`: {e}") from e
        try:
            return self._build(values)
        except TypeTransformerFailedError:
            raise
        except Exception as e:
            raise TypeTransformerFailedError(
                f"Could not rebuild `{type_name(self.py_type)}` from stored data: {type(e).__name__}: {e}"
            ) from e

    def _build(self, values: dict[str, Any]) -> Any:
        cls = self.py_type
        if self.kind == "pydantic":
            return _pydantic_validate(cls, values)
        late = {name: values.pop(name) for name in self.deferred if name in values}
        obj = cls(**values)
        for name, value in late.items():
            object.__setattr__(obj, name, value)  # works for frozen dataclasses too
        return obj


class AnyNode(Node):
    """`Any`, bare `list` / `dict`: msgpack-native data as is, anything else pickled."""

    async def encode(self, v: Any) -> Any:
        return v if is_msgpack_native(v) else pickle_ext(v)

    async def decode(self, raw: Any) -> Any:
        if isinstance(raw, msgpack.ExtType):
            if raw.code != PICKLE_EXT:
                raise _stored_error(Any, raw)
            return pickle.loads(raw.data)
        return raw


class PickleNode(Node):
    """A class without a transformer, or a callable: always pickled."""

    raw_types = (msgpack.ExtType,)

    def __init__(self, t: Any):
        self.t = t
        check = typing.get_origin(t) or t
        self.check = check if isinstance(check, type) else None

    async def encode(self, v: Any) -> Any:
        if self.check is not None and not isinstance(v, self.check):
            raise wrong_type(self.t, v)
        return pickle_ext(v)

    async def decode(self, raw: Any) -> Any:
        if not isinstance(raw, msgpack.ExtType) or raw.code != PICKLE_EXT:
            raise _stored_error(self.t, raw)
        return pickle.loads(raw.data)


class ProtobufNode(Node):
    """A protobuf message, stored as its serialized bytes."""

    raw_types = (bytes,)

    def __init__(self, t: type):
        self.py_type = t

    async def encode(self, v: Any) -> Any:
        if not isinstance(v, self.py_type):
            raise wrong_type(self.py_type, v)
        return v.SerializeToString()

    async def decode(self, raw: Any) -> Any:
        if type(raw) is not bytes:
            raise _stored_error(self.py_type, raw)
        return self.py_type.FromString(raw)


class LiteralNode(Node):
    """A type with its own third-party transformer: stored as that transformer's serialized literal."""

    raw_types = (msgpack.ExtType,)

    def __init__(self, t: Any):
        self.t = t
        base = typing.get_origin(strip_annotated(t)) or strip_annotated(t)
        self.py_type = base if isinstance(base, type) else None

    async def encode(self, v: Any) -> Any:
        lit = await TypeEngine.to_literal(v, self.t)
        return msgpack.ExtType(LITERAL_EXT, lit.SerializeToString())

    async def decode(self, raw: Any) -> Any:
        if not isinstance(raw, msgpack.ExtType) or raw.code != LITERAL_EXT:
            raise _stored_error(self.t, raw)
        return await TypeEngine.to_python_value(literals_pb2.Literal.FromString(raw.data), self.t)


# ------------------------------------------------------------------------------ compilation

_SCALARS: dict[Any, Node] = {
    int: ScalarNode(int),
    str: ScalarNode(str),
    bool: ScalarNode(bool),
    bytes: ScalarNode(bytes),
    NoneType: ScalarNode(NoneType),
    float: FloatNode(),
    dt.datetime: TemporalNode(dt.datetime),
    dt.date: TemporalNode(dt.date),
    dt.timedelta: TemporalNode(dt.timedelta),
}
_ANY = AnyNode()
_CODECS: dict[Any, Node] = {}
TypeEngine._dependent_caches.append(_CODECS)
_COMPILE_LOCK = threading.RLock()


def codec_for(t: Any) -> Node:
    """Return the (cached) node tree that encodes values of type `t`."""
    try:
        node = _CODECS.get(t)
    except TypeError:  # unhashable Annotated metadata
        return _compile(t, {})
    if node is None:
        with _COMPILE_LOCK:
            memo: dict[Any, Node] = {}
            node = _compile(t, memo)
            _CODECS.update(memo)
    return node


def _compile(t: Any, memo: dict[Any, Node]) -> Node:
    try:
        if t in memo:
            return memo[t]
    except TypeError:
        pass
    if typing.get_origin(t) is typing.Annotated:
        if any(isinstance(m, TypeTransformer) for m in t.__metadata__):
            return LiteralNode(t)
        return _compile(t.__origin__, memo)
    if t is Any or t is object or t is list or t is dict:
        return _ANY
    if t is None:
        t = NoneType

    transformer = TypeEngine.get_transformer(t)
    if not isinstance(transformer, BuiltinTransformer) or isinstance(transformer, RestrictedTransformer):
        return LiteralNode(t)
    if t in _SCALARS:
        return _SCALARS[t]
    if is_union(t):
        return UnionNode(t, [_compile(a, memo) for a in typing.get_args(t)])

    origin = typing.get_origin(t)
    args = typing.get_args(t)
    if origin is typing.Literal:
        return LiteralValuesNode(t)
    if origin in (list, set, frozenset):
        return SequenceNode(origin, _compile(args[0], memo))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return SequenceNode(tuple, _compile(args[0], memo))
        return TupleNode(t, [_compile(a, memo) for a in args if a != ()])
    if origin is dict:
        return DictNode(_compile(args[0], memo), _compile(args[1], memo))
    if origin is not None or not isinstance(t, type):
        return PickleNode(t)

    if issubclass(t, enum.Enum):
        return EnumNode(t)
    if is_record_class(t):
        node = memo[t] = RecordNode(t)
        fields = record_fields(t)
        node.fields = [(f.name, _compile(f.type, memo)) for f in fields]
        node.required = frozenset(f.name for f in fields if f.required)
        node.deferred = tuple(f.name for f in fields if not f.init)
        return node
    if is_protobuf_message(t):
        return ProtobufNode(t)
    return PickleNode(t)


# --------------------------------------------------------------------------- record fields


class RecordField(typing.NamedTuple):
    """One field of a record class, with its annotation resolved."""

    name: str
    type: Any
    required: bool
    init: bool = True


def is_record_class(t: Any) -> bool:
    """Whether `t` is a dataclass, a NamedTuple class or a pydantic model class."""
    if not isinstance(t, type):
        return False
    return dataclasses.is_dataclass(t) or (issubclass(t, tuple) and hasattr(t, "_fields")) or is_pydantic_model(t)


def record_fields(t: Any) -> list[RecordField]:
    """List a record class's fields with resolved types; unresolvable annotations become `Any`."""
    if is_pydantic_model(t):
        fields = []
        for name, info in t.model_fields.items():
            annotation = info.rebuild_annotation() if info.metadata else info.annotation
            fields.append(RecordField(name, annotation, info.is_required()))
        return fields
    hints = _type_hints(t)
    if dataclasses.is_dataclass(t):
        return [
            RecordField(
                f.name,
                hints.get(f.name, Any),
                f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
                f.init,
            )
            for f in dataclasses.fields(t)
        ]
    defaults = getattr(t, "_field_defaults", {})
    return [RecordField(name, hints.get(name, Any), name not in defaults) for name in t._fields]


def _type_hints(t: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(t, include_extras=True)
    except Exception:
        pass
    # Some annotation can't be resolved (e.g. a class local to a function under
    # `from __future__ import annotations`): resolve what we can, the rest becomes Any.
    module = vars(sys.modules.get(t.__module__, object()))
    hints: dict[str, Any] = {}
    for klass in reversed(t.__mro__):
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            if isinstance(annotation, str):
                try:
                    annotation = eval(annotation, dict(module), dict(vars(t)))
                except Exception:
                    logger.debug(
                        "Field `%s.%s`: cannot resolve %r; storing it as Any", t.__qualname__, name, annotation
                    )
                    annotation = Any
            hints[name] = annotation
    return hints


def is_pydantic_model(t: Any) -> bool:
    """Whether `t` is a pydantic model class (never imports pydantic)."""
    # If pydantic isn't imported yet, `t` can't be one of its models.
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(t, type) and issubclass(t, pydantic.BaseModel)


def is_protobuf_message(t: Any) -> bool:
    """Whether `t` is a protobuf message class."""
    message = sys.modules.get("google.protobuf.message")
    return message is not None and isinstance(t, type) and issubclass(t, message.Message)


def _pydantic_validate(cls: Any, values: dict[str, Any]) -> Any:
    if _pydantic_has_by_name():
        # Keys are field names, which pydantic accepts for aliased fields only when asked to.
        return cls.model_validate(values, by_alias=False, by_name=True)
    return cls.model_validate(values)


@functools.cache
def _pydantic_has_by_name() -> bool:
    # pydantic < 2.11 has no `by_name`.
    return "by_name" in inspect.signature(sys.modules["pydantic"].BaseModel.model_validate).parameters


def _stable_order(items: Any) -> list[Any]:
    try:
        return sorted(items)
    except TypeError:
        return sorted(items, key=repr)
