"""Transformers for containers and choices: `list[T]`, `dict[str, T]`, untyped dict/list,
unions, enums and `typing.Literal`."""

from __future__ import annotations

import enum
import pickle
import typing
from typing import Any

from flyteidl2.core import literals_pb2, types_pb2

from flyte.errors import TypeTransformerFailedError
from flyte.types import _codec
from flyte.types._engine import BuiltinTransformer, TypeEngine
from flyte.types._transformer import short_repr, strip_annotated, type_name, wrong_literal, wrong_type


class ListTransformer(BuiltinTransformer):
    """`list[T]` <-> a literal collection of T literals."""

    def __init__(self) -> None:
        super().__init__("list", list)

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        (item,) = typing.get_args(t)
        return types_pb2.LiteralType(collection_type=TypeEngine._entry(item).literal_type)

    def child_types(self, t: Any) -> tuple[Any, ...]:
        return typing.get_args(t)

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        if not isinstance(python_val, list):
            raise wrong_type(python_type, python_val)
        (item,) = typing.get_args(python_type)
        literals = []
        for i, x in enumerate(python_val):
            try:
                literals.append(await TypeEngine.to_literal(x, item))
            except TypeTransformerFailedError as e:
                raise TypeTransformerFailedError(f"item {i} of `{type_name(python_type)}`: {e}") from e
        lit = literals_pb2.Literal()
        lit.collection.literals.extend(literals)
        return lit

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> list:
        if not lv.HasField("collection"):
            return await self._from_other_literal(lv, expected_python_type)
        (item,) = typing.get_args(expected_python_type)
        return [await TypeEngine.to_python_value(x, item) for x in lv.collection.literals]


class MapTransformer(BuiltinTransformer):
    """`dict[str, T]` <-> a literal map of T literals."""

    def __init__(self) -> None:
        super().__init__("map", dict)

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        _, value = typing.get_args(t)
        return types_pb2.LiteralType(map_value_type=TypeEngine._entry(value).literal_type)

    def child_types(self, t: Any) -> tuple[Any, ...]:
        return typing.get_args(t)[1:]

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        if not isinstance(python_val, dict):
            raise wrong_type(python_type, python_val)
        _, value = typing.get_args(python_type)
        lit = literals_pb2.Literal()
        literals = lit.map.literals
        for k, x in python_val.items():
            if not isinstance(k, str):
                raise TypeTransformerFailedError(
                    f"Keys of `{type_name(python_type)}` must be str, got {type_name(type(k))} {short_repr(k)}"
                )
            try:
                literals[k].CopyFrom(await TypeEngine.to_literal(x, value))
            except TypeTransformerFailedError as e:
                raise TypeTransformerFailedError(f"key {k!r} of `{type_name(python_type)}`: {e}") from e
        return lit

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> dict:
        if not lv.HasField("map"):
            return await self._from_other_literal(lv, expected_python_type)
        _, value = typing.get_args(expected_python_type)
        return {k: await TypeEngine.to_python_value(x, value) for k, x in lv.map.literals.items()}


class UntypedTransformer(BuiltinTransformer):
    """Bare `dict` / `list`, `dict[str, Any]`, `list[Any]` and dicts with non-str keys.

    Stored as one msgpack binary when msgpack gives back an equal value of the same types
    (JSON-like data), else pickled.
    """

    def __init__(self) -> None:
        super().__init__("untyped", list)

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        tag = (typing.get_origin(t) or t).__name__
        return types_pb2.LiteralType(simple=types_pb2.SimpleType.STRUCT, structure=types_pb2.TypeStructure(tag=tag))

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        if not isinstance(python_val, typing.get_origin(python_type) or python_type):
            raise wrong_type(python_type, python_val)
        lit = literals_pb2.Literal()
        if _codec.is_msgpack_native(python_val):
            lit.scalar.binary.value = _codec.pack(python_val)
            lit.scalar.binary.tag = _codec.MSGPACK_TAG
        else:
            import cloudpickle

            lit.scalar.binary.value = cloudpickle.dumps(python_val)
            lit.scalar.binary.tag = _codec.PICKLE_TAG
        return lit

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> Any:
        binary = lv.scalar.binary
        if binary.tag == _codec.MSGPACK_TAG:
            return _codec.unpack(binary.value)
        if binary.tag == _codec.PICKLE_TAG:
            return pickle.loads(binary.value)
        return await self._from_other_literal(lv, expected_python_type)


class _Variant(typing.NamedTuple):
    python_type: Any
    literal_type: types_pb2.LiteralType
    exact: Any  # the class a value must be exactly to pick this variant first, if any


class UnionTransformer(BuiltinTransformer):
    """`Union[...]`, `Optional[T]`, `X | Y` <-> a union literal recording the chosen variant's type.

    A value picks the variant whose class it is exactly (so `True` stays a bool in
    `int | bool`); otherwise the first variant that accepts it.
    """

    def __init__(self) -> None:
        super().__init__("union", typing.Union)
        self._variants: dict[Any, list[_Variant]] = {}
        TypeEngine._dependent_caches.append(self._variants)

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        return types_pb2.LiteralType(union_type=types_pb2.UnionType(variants=[v.literal_type for v in self._plan(t)]))

    def child_types(self, t: Any) -> tuple[Any, ...]:
        return typing.get_args(t)

    def _plan(self, t: Any) -> list[_Variant]:
        plan = self._variants.get(t)
        if plan is None:
            plan = []
            for variant in typing.get_args(t):
                base = strip_annotated(variant)
                exact = typing.get_origin(base) or base
                plan.append(_Variant(variant, TypeEngine._entry(variant).literal_type, exact))
            self._variants[t] = plan
        return plan

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        plan = self._plan(python_type)
        kind = type(python_val)
        ordered = plan
        for i, variant in enumerate(plan):
            if variant.exact is kind:  # the exact class first, then the others in declaration order
                ordered = [variant, *plan[:i], *plan[i + 1 :]]
                break
        errors = []
        for variant in ordered:
            if variant.exact is typing.Literal and not _is_choice(python_val, variant.python_type):
                continue
            try:
                inner = await TypeEngine.to_literal(python_val, variant.python_type)
            except TypeTransformerFailedError as e:
                errors.append(f"{type_name(variant.python_type)}: {e}")
                continue
            lit = literals_pb2.Literal()
            lit.scalar.union.value.CopyFrom(inner)
            lit.scalar.union.type.CopyFrom(variant.literal_type)
            return lit
        if python_val is None:
            raise wrong_type(python_type, python_val)
        raise TypeTransformerFailedError(
            f"Expected a value of type `{type_name(python_type)}`, got a value of type "
            f"`{type_name(kind)}` that no variant accepts ({'; '.join(errors)})"
        )

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> Any:
        plan = self._plan(expected_python_type)
        if lv.HasField("scalar") and lv.scalar.HasField("union"):
            stored_type = lv.scalar.union.type
            inner = lv.scalar.union.value
            for variant in plan:
                if variant.literal_type == stored_type:
                    return await TypeEngine.to_python_value(inner, variant.python_type)
        else:
            # A plain literal, e.g. produced for a non-Optional output feeding an Optional input.
            inner = lv
        for variant in plan:
            try:
                return await TypeEngine.to_python_value(inner, variant.python_type)
            except TypeTransformerFailedError:
                continue
        raise wrong_literal(inner, expected_python_type)


class EnumTransformer(BuiltinTransformer):
    """`Enum` subclasses <-> an enum literal holding `str(member.value)`."""

    def __init__(self) -> None:
        super().__init__("enum", enum.Enum)

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        return types_pb2.LiteralType(
            enum_type=types_pb2.EnumType(values=[str(m.value) for m in t]),
            structure=types_pb2.TypeStructure(tag=t.__qualname__),
        )

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        if not isinstance(python_val, python_type):
            raise wrong_type(python_type, python_val)
        lit = literals_pb2.Literal()
        lit.scalar.primitive.string_value = str(python_val.value)
        return lit

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> enum.Enum:
        primitive = lv.scalar.primitive
        if primitive.WhichOneof("value") != "string_value":
            return await self._from_other_literal(lv, expected_python_type)
        for member in expected_python_type:
            if str(member.value) == primitive.string_value:
                return member
        raise TypeTransformerFailedError(
            f"{primitive.string_value!r} is not a value of `{type_name(expected_python_type)}`; "
            f"expected one of {[str(m.value) for m in expected_python_type]}"
        )


class LiteralTransformer(BuiltinTransformer):
    """`typing.Literal[...]`: strings become an enum literal; other values use their own type."""

    def __init__(self) -> None:
        super().__init__("literal", typing.Literal)

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        choices = typing.get_args(t)
        if all(isinstance(c, str) for c in choices):
            return types_pb2.LiteralType(enum_type=types_pb2.EnumType(values=list(choices)))
        return TypeEngine._entry(_choice_type(t)).literal_type

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        if not _is_choice(python_val, python_type):
            raise wrong_type(python_type, python_val)
        return await TypeEngine.to_literal(python_val, _choice_type(python_type))

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> Any:
        value = await TypeEngine.to_python_value(lv, _choice_type(expected_python_type))
        if not _is_choice(value, expected_python_type):
            raise TypeTransformerFailedError(
                f"{short_repr(value)} is not one of the values of `{type_name(expected_python_type)}`"
            )
        return value


def _choice_type(t: Any) -> type:
    kinds = {type(c) for c in typing.get_args(t)}
    if len(kinds) != 1:
        raise TypeTransformerFailedError(
            f"`{type_name(t)}` mixes values of several types; use a Union of Literals, one per type"
        )
    return kinds.pop()


def _is_choice(v: Any, t: Any) -> bool:
    return any(v == c and type(v) is type(c) for c in typing.get_args(t))


LIST = ListTransformer()
MAP = MapTransformer()
UNTYPED = UntypedTransformer()
UNION = UnionTransformer()
ENUM = EnumTransformer()
LITERAL = LiteralTransformer()
