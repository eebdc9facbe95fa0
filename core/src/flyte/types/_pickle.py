"""The fallback transformer: values of types nothing else handles are cloudpickled inline."""

from __future__ import annotations

import logging
import pickle
import typing
from typing import Any

from flyteidl2.core import literals_pb2, types_pb2
from google.protobuf import struct_pb2

from flyte.types._codec import PICKLE_TAG
from flyte.types._engine import BuiltinTransformer
from flyte.types._transformer import type_name, wrong_type

logger = logging.getLogger("flyte")

#: Top-level modules of third-party libraries whose types a Flyte plugin converts efficiently.
KNOWN_TYPE_PLUGINS: dict[str, str] = {
    "polars": "flyteplugins-polars",
}

_warned: set[Any] = set()


def warn_pickled(t: type) -> None:
    """Say once per type that its values will be pickled, and which plugin would do better."""
    if t in _warned:
        return
    _warned.add(t)
    module = getattr(t, "__module__", "") or ""
    plugin = KNOWN_TYPE_PLUGINS.get(module.partition(".")[0])
    if plugin is not None:
        logger.warning(
            "No type transformer for `%s.%s`: its values will be pickled. `pip install %s` converts them efficiently.",
            module,
            t.__qualname__,
            plugin,
        )
    else:
        logger.info(
            "No type transformer for `%s.%s`: its values will be pickled (register a TypeTransformer to avoid this).",
            module,
            t.__qualname__,
        )


class PickleTransformer(BuiltinTransformer):
    """`Any`, callables and unknown classes <-> a binary tagged `pickle` (cloudpickle, inline)."""

    def __init__(self) -> None:
        super().__init__("pickle", object)

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        python_class = struct_pb2.Struct()
        python_class.update({"python_class": _qualified_name(t)})
        return types_pb2.LiteralType(
            simple=types_pb2.SimpleType.BINARY,
            structure=types_pb2.TypeStructure(tag=PICKLE_TAG),
            metadata=python_class,
        )

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        # For `Callable[...]` the check is against `collections.abc.Callable`, true for any callable.
        check = typing.get_origin(python_type) or python_type
        if check is not Any and isinstance(check, type) and not isinstance(python_val, check):
            raise wrong_type(python_type, python_val)
        import cloudpickle

        lit = literals_pb2.Literal()
        lit.scalar.binary.value = cloudpickle.dumps(python_val)
        lit.scalar.binary.tag = PICKLE_TAG
        return lit

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> Any:
        if lv.scalar.binary.tag == PICKLE_TAG:
            return pickle.loads(lv.scalar.binary.value)
        return await self._from_other_literal(lv, expected_python_type)


def _qualified_name(t: Any) -> str:
    if isinstance(t, type):
        return f"{t.__module__}.{t.__qualname__}"
    return type_name(t)


PICKLE = PickleTransformer()
