"""The `TypeTransformer` base class and small helpers shared by the built-in transformers."""

from __future__ import annotations

import types
import typing
from abc import ABC, abstractmethod
from typing import Any, Generic, TypeVar

from flyteidl2.core import literals_pb2, types_pb2

from flyte.errors import TypeTransformerFailedError

T = TypeVar("T")

NoneType = type(None)


class TypeTransformer(ABC, Generic[T]):
    """Converts values of one Python type to and from Flyte literals.

    Subclass it, implement the three abstract methods, and register an instance with
    `TypeEngine.register`. `to_literal` and `to_python_value` are coroutines so a transformer
    may do I/O (uploads, downloads); one that doesn't simply never awaits.

    Args:
        name: A short human-readable name, used in error messages and listings.
        t: The Python type this transformer handles.
        enable_type_assertions: When true, `TypeEngine` calls `assert_type` on every value
            before `to_literal`. Disable it when `to_literal` validates the value itself.
    """

    def __init__(self, name: str, t: type[T], enable_type_assertions: bool = True):
        self._name = name
        self._t = t
        self._type_assertions_enabled = enable_type_assertions

    @property
    def name(self) -> str:
        """The transformer's human-readable name."""
        return self._name

    @property
    def python_type(self) -> type[T]:
        """The Python type this transformer was registered for."""
        return self._t

    @property
    def type_assertions_enabled(self) -> bool:
        """Whether `TypeEngine` checks values with `assert_type` before converting them."""
        return self._type_assertions_enabled

    def assert_type(self, t: Any, v: Any) -> None:
        """Raise `TypeTransformerFailedError` unless `v` is an instance of `t` (or of its origin)."""
        check = typing.get_origin(strip_annotated(t)) or strip_annotated(t)
        if check is not Any and isinstance(check, type) and not isinstance(v, check):
            raise wrong_type(t, v)

    @abstractmethod
    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        """Return the literal type that values of Python type `t` are stored as."""

    @abstractmethod
    async def to_literal(
        self, python_val: T, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        """Convert `python_val` (declared as `python_type`) into a literal of type `expected`."""

    @abstractmethod
    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> T:
        """Convert the literal `lv` back into a value of `expected_python_type`."""

    def guess_python_type(self, literal_type: types_pb2.LiteralType) -> Any:
        """Return the Python type for `literal_type`; raise `ValueError` if it isn't this transformer's."""
        raise ValueError(f"Transformer `{self.name}` cannot guess a Python type for literal type {literal_type}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, python_type={type_name(self.python_type)})"


def strip_annotated(t: Any) -> Any:
    """Return `T` for `Annotated[T, ...]`, else `t` unchanged."""
    while typing.get_origin(t) is typing.Annotated:
        t = t.__origin__
    return t


def is_union(t: Any) -> bool:
    """Whether `t` is `Union[...]`, `Optional[...]` or `X | Y`."""
    origin = typing.get_origin(t)
    return origin is typing.Union or origin is types.UnionType


def type_name(t: Any) -> str:
    """Render a type the way a user wrote it: `int`, `list[str]`, `Optional[int]`, `None`."""
    if t is None or t is NoneType:
        return "None"
    if isinstance(t, type) and typing.get_origin(t) is None:
        return t.__qualname__.rpartition("<locals>.")[2]
    return repr(t).replace("typing.", "")


def short_repr(v: Any, limit: int = 80) -> str:
    """`repr(v)` cut to `limit` characters, so error messages stay readable for big values."""
    try:
        text = repr(v)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(v).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def wrong_type(expected: Any, v: Any) -> TypeTransformerFailedError:
    """Build the error for a value that is not of the `expected` type."""
    if v is None:
        return TypeTransformerFailedError(
            f"Expected a value of type `{type_name(expected)}`, got None; "
            f"declare the type as `Optional[{type_name(expected)}]` to allow None"
        )
    return TypeTransformerFailedError(
        f"Expected a value of type `{type_name(expected)}`, got a value of type `{type_name(type(v))}`: {short_repr(v)}"
    )


def literal_kind(lv: literals_pb2.Literal) -> str:
    """Name what a literal holds, for error messages: `integer`, `collection`, `binary(msgpack)`, ..."""
    kind = lv.WhichOneof("value")
    if kind != "scalar":
        return kind or "empty literal"
    scalar_kind = lv.scalar.WhichOneof("value")
    if scalar_kind == "primitive":
        return lv.scalar.primitive.WhichOneof("value") or "empty primitive"
    if scalar_kind == "binary":
        return f"binary({lv.scalar.binary.tag})"
    return scalar_kind or "empty scalar"


def wrong_literal(lv: literals_pb2.Literal, expected_python_type: Any) -> TypeTransformerFailedError:
    """Build the error for a literal that cannot become a value of `expected_python_type`."""
    return TypeTransformerFailedError(
        f"Cannot convert a literal holding `{literal_kind(lv)}` into a value of type `{type_name(expected_python_type)}`"
    )
