"""`TypeEngine`: the registry of transformers and the entry point for every conversion.

Lookups are cached per Python type: the first conversion of a type resolves its transformer
(and loads entry-point plugins, once); every later conversion is a dict lookup. Any change to
the registry clears the caches.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import logging
import threading
import types
import typing
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from flyteidl2.core import literals_pb2, types_pb2

from flyte.errors import RestrictedTypeError, TypeTransformerFailedError
from flyte.types import _plugins
from flyte.types._transformer import (
    NoneType,
    TypeTransformer,
    is_union,
    strip_annotated,
    type_name,
    wrong_literal,
    wrong_type,
)

logger = logging.getLogger("flyte")

# Generic origins converted by the msgpack record codec (see `_structured`).
_RECORD_ORIGINS = (tuple, set, frozenset)
# Callables of these classes are pickled without the "unsupported type" warning: passing a
# function as an input is a documented pattern, not an accident.
_CALLABLE_CLASSES = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    functools.partial,
)


class BuiltinTransformer(TypeTransformer[Any]):
    """Base of the transformers that ship with core.

    Built-ins validate values inside `to_literal` (so the engine skips `assert_type`), receive
    types with `Annotated` already stripped, and declare the types they delegate to so the
    engine knows whether a conversion can ever need an event loop.
    """

    def __init__(self, name: str, t: Any):
        super().__init__(name, t, enable_type_assertions=False)

    def child_types(self, t: Any) -> tuple[Any, ...]:
        """The types whose transformers this one calls when converting a value of type `t`."""
        return ()

    async def _from_other_literal(self, lv: literals_pb2.Literal, t: Any) -> Any:
        """Handle a literal of an unexpected shape: unwrap a union value, else fail."""
        if lv.HasField("scalar") and lv.scalar.HasField("union"):
            return await TypeEngine.to_python_value(lv.scalar.union.value, t)
        raise wrong_literal(lv, t)


class RestrictedTransformer(BuiltinTransformer):
    """Rejects every conversion of a type registered with `TypeEngine.register_restricted_type`."""

    def _error(self, t: Any) -> RestrictedTypeError:
        return RestrictedTypeError(
            f"Type `{type_name(t)}` is restricted ({self.name}) and cannot be used as a task input or output"
        )

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        raise self._error(t)

    async def to_literal(self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType) -> Any:
        raise self._error(python_type)

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> Any:
        raise self._error(expected_python_type)


class _Entry:
    """What the engine caches per Python type."""

    __slots__ = ("_literal_type", "_loop_free", "builtin", "call_type", "nullable", "python_type", "transformer")

    def __init__(self, python_type: Any, transformer: TypeTransformer, call_type: Any, nullable: bool):
        self.python_type = python_type
        self.transformer = transformer
        # Built-ins get the type without `Annotated`; third-party transformers get it as written
        # so they can read its metadata (a dataframe format, a file extension, ...).
        self.call_type = call_type
        self.nullable = nullable
        self.builtin = isinstance(transformer, BuiltinTransformer)
        self._literal_type: types_pb2.LiteralType | None = None
        self._loop_free: bool | None = None

    @property
    def literal_type(self) -> types_pb2.LiteralType:
        if self._literal_type is None:
            self._literal_type = self.transformer.get_literal_type(self.call_type)
        return self._literal_type


class TypeEngine:
    """Converts Python values to Flyte literals and back, choosing a transformer per type.

    All methods are classmethods. Conversions are coroutines (`to_literal`,
    `to_python_value`); `to_literal_sync` and `to_python_value_sync` are their blocking twins.
    Everything else (registration, lookups, `to_literal_type`, `guess_python_type`) is sync.
    """

    _registry: typing.ClassVar[dict[Any, TypeTransformer]] = {}
    _entries: typing.ClassVar[dict[Any, _Entry]] = {}
    # Caches of other modules derived from the registry; cleared together with `_entries`.
    _dependent_caches: typing.ClassVar[list[dict]] = []
    _lazy_hooks: typing.ClassVar[dict[str, list[Callable[[], None]]]] = {}
    _lock = threading.RLock()
    _generation = 0

    # ----------------------------------------------------------------------------- registry

    @classmethod
    def register(
        cls, transformer: TypeTransformer, additional_types: typing.Iterable[Any] | None = None, override: bool = False
    ) -> None:
        """Register `transformer` for its `python_type` and for each of `additional_types`.

        Raises:
            ValueError: One of the types already has a transformer and `override` is false.
        """
        if not isinstance(transformer, TypeTransformer):
            raise TypeError(f"Expected a TypeTransformer instance, got {type(transformer).__name__}")
        with cls._lock:
            targets = [transformer.python_type, *(additional_types or ())]
            if not override:
                for t in targets:
                    cls._check_free(t, transformer)
            for t in targets:
                cls._registry[NoneType if t is None else t] = transformer
            cls._clear_caches()

    @classmethod
    def register_additional_type(cls, transformer: TypeTransformer, t: Any, override: bool = False) -> None:
        """Make `transformer` also handle type `t` (same duplicate rule as `register`)."""
        with cls._lock:
            if not override:
                cls._check_free(t, transformer)
            cls._registry[NoneType if t is None else t] = transformer
            cls._clear_caches()

    @classmethod
    def register_restricted_type(cls, name: str, t: Any) -> None:
        """Forbid type `t`: every conversion of it raises `flyte.errors.RestrictedTypeError`."""
        cls.register(RestrictedTransformer(name, t), override=True)

    @classmethod
    def register_lazy(cls, module: str, register: Callable[[], None]) -> None:
        """Call `register()` the first time a type from top-level module `module` is looked up.

        Lets core and plugins support types of heavy libraries (pandas, pyarrow, ...) without
        importing them: the hook runs only once the user's own code has produced such a type.
        """
        with cls._lock:
            cls._lazy_hooks.setdefault(module, []).append(register)
            cls._clear_caches()

    @classmethod
    def get_available_transformers(cls) -> Mapping[Any, TypeTransformer]:
        """A read-only view of the registry: Python type -> transformer (plugins included)."""
        _plugins.autoload()
        return types.MappingProxyType(cls._registry)

    @classmethod
    def _check_free(cls, t: Any, transformer: TypeTransformer) -> None:
        existing = cls._registry.get(NoneType if t is None else t)
        if existing is not None and existing is not transformer:
            raise ValueError(
                f"Type `{type_name(t)}` is already handled by transformer `{existing.name}` "
                f"({type(existing).__name__}); cannot register `{transformer.name}` ({type(transformer).__name__}). "
                "Pass override=True to replace it."
            )

    @classmethod
    def _clear_caches(cls) -> None:
        with cls._lock:
            cls._generation += 1
            cls._entries.clear()
            for cache in cls._dependent_caches:
                cache.clear()

    # ------------------------------------------------------------------------------ lookups

    @classmethod
    def get_transformer(cls, t: Any) -> TypeTransformer:
        """Return the transformer that converts values of Python type `t` (pickle if none fits)."""
        return cls._entry(t).transformer

    @classmethod
    def to_literal_type(cls, t: Any) -> types_pb2.LiteralType:
        """Return the literal type values of Python type `t` are stored as (a fresh copy)."""
        copy = types_pb2.LiteralType()
        copy.CopyFrom(cls._entry(t).literal_type)
        return copy

    @classmethod
    def _entry(cls, t: Any) -> _Entry:
        try:
            entry = cls._entries.get(t)
        except TypeError:  # unhashable `Annotated` metadata: resolve every time
            return cls._build_entry(t)
        if entry is None:
            generation = cls._generation
            entry = cls._build_entry(t)
            # A registration while we resolved would make this entry stale; don't keep it.
            if generation == cls._generation:
                cls._entries[t] = entry
        return entry

    @classmethod
    def _build_entry(cls, t: Any) -> _Entry:
        _plugins.autoload()
        transformer, call_type = cls._resolve(t)
        base = strip_annotated(t)
        nullable = (
            base is None or base is NoneType or base is Any or (is_union(base) and NoneType in typing.get_args(base))
        )
        return _Entry(t, transformer, call_type, nullable)

    @classmethod
    def _resolve(cls, t: Any) -> tuple[TypeTransformer, Any]:
        """Find the transformer for `t`, and the type to hand to it."""
        from flyte.types import _codec, _containers, _pickle, _structured

        if t is None:
            t = NoneType
        if typing.get_origin(t) is typing.Annotated:
            for meta in t.__metadata__:
                if isinstance(meta, TypeTransformer):
                    return meta, t
            transformer, call_type = cls._resolve(t.__origin__)
            return transformer, call_type if isinstance(transformer, BuiltinTransformer) else t

        hit = cls._lookup(t)
        if hit is not None:
            return hit, t
        if t is Any or t is Callable:
            return _pickle.PICKLE, t
        if is_union(t):
            return _containers.UNION, t

        origin = typing.get_origin(t)
        if origin is typing.Literal:
            return _containers.LITERAL, t
        if origin is list:
            (arg,) = typing.get_args(t)
            return (_containers.UNTYPED if arg is Any else _containers.LIST), t
        if origin is dict:
            key, value = typing.get_args(t)
            return (_containers.MAP if key is str and value is not Any else _containers.UNTYPED), t
        if origin in _RECORD_ORIGINS:
            return _structured.RECORD, t
        if origin is not None:
            if origin is Callable:
                return _pickle.PICKLE, t
            # A parametrised user class (`File[csv]`): the class's transformer handles it.
            transformer, _ = cls._resolve(origin)
            return transformer, t

        if isinstance(t, type):
            hit = cls._run_lazy_hooks(t)
            if hit is not None:
                return hit, t
            if issubclass(t, enum.Enum):
                return _containers.ENUM, t
            if issubclass(t, tuple) and hasattr(t, "_fields"):
                return _structured.RECORD, t
            # Subclasses of a registered third-party type share its transformer. Subclasses of
            # built-in types (an `OrderedDict`, a `Counter`) are pickled instead, to keep their class.
            for base in t.__mro__[1:-1]:
                hit = cls._lookup(base)
                if hit is not None and not isinstance(hit, BuiltinTransformer):
                    return hit, t
            if dataclasses.is_dataclass(t):
                return _structured.RECORD, t
            if _codec.is_pydantic_model(t):
                return _structured.RECORD, t
            if _codec.is_protobuf_message(t):
                return _structured.PROTOBUF, t
            if not issubclass(t, _CALLABLE_CLASSES):
                _pickle.warn_pickled(t)
            return _pickle.PICKLE, t

        if isinstance(t, (str, typing.ForwardRef)):
            raise TypeTransformerFailedError(
                f"Cannot convert values of the unresolved forward reference `{type_name(t)}`; "
                "make sure the annotation names a class that is importable where the task is defined"
            )
        return _pickle.PICKLE, t

    @classmethod
    def _lookup(cls, t: Any) -> TypeTransformer | None:
        try:
            return cls._registry.get(t)
        except TypeError:  # unhashable type object
            return None

    @classmethod
    def _run_lazy_hooks(cls, t: type) -> TypeTransformer | None:
        module = getattr(t, "__module__", "").partition(".")[0]
        if module not in cls._lazy_hooks:
            return None
        with cls._lock:
            hooks = cls._lazy_hooks.pop(module, [])
            for hook in hooks:
                try:
                    hook()
                except Exception as e:
                    logger.warning("Type registration hook for module `%s` failed: %s: %s", module, type(e).__name__, e)
            return cls._lookup(t)

    # -------------------------------------------------------------------------- conversions

    @classmethod
    async def to_literal(cls, v: Any, t: Any, expected: types_pb2.LiteralType | None = None) -> literals_pb2.Literal:
        """Convert value `v`, declared as Python type `t`, into a literal.

        Raises:
            TypeTransformerFailedError: `v` is not a value of type `t` (or is None for a
                non-Optional type), or the transformer failed.
            RestrictedTypeError: `t` is a restricted type.
        """
        try:
            entry = cls._entries[t]
        except (KeyError, TypeError):
            entry = cls._entry(t)
        if v is None and not entry.nullable:
            raise wrong_type(t, v)
        transformer = entry.transformer
        try:
            # Built-ins validate inside `to_literal`; others get the documented `assert_type` first.
            if not entry.builtin and transformer.type_assertions_enabled:
                transformer.assert_type(entry.call_type, v)
            return await transformer.to_literal(
                v, entry.call_type, expected if expected is not None else entry.literal_type
            )
        except (TypeTransformerFailedError, RestrictedTypeError):
            raise
        except Exception as e:
            raise TypeTransformerFailedError(
                f"Transformer `{transformer.name}` failed to convert a value of type `{type_name(type(v))}` "
                f"declared as `{type_name(t)}`: {type(e).__name__}: {e}"
            ) from e

    @classmethod
    async def to_python_value(cls, lv: literals_pb2.Literal, t: Any) -> Any:
        """Convert literal `lv` into a value of Python type `t`.

        Raises:
            TypeTransformerFailedError: The literal does not hold a value of type `t`.
            RestrictedTypeError: `t` is a restricted type.
        """
        try:
            entry = cls._entries[t]
        except (KeyError, TypeError):
            entry = cls._entry(t)
        transformer = entry.transformer
        if not entry.builtin and lv.HasField("scalar"):
            # Third-party transformers expect the plain value: unwrap unions, reject None here.
            if lv.scalar.HasField("union"):
                return await cls.to_python_value(lv.scalar.union.value, t)
            if lv.scalar.HasField("none_type"):
                raise wrong_literal(lv, t)
        try:
            return await transformer.to_python_value(lv, entry.call_type)
        except (TypeTransformerFailedError, RestrictedTypeError):
            raise
        except Exception as e:
            raise TypeTransformerFailedError(
                f"Transformer `{transformer.name}` failed to convert a literal into `{type_name(t)}`: "
                f"{type(e).__name__}: {e}"
            ) from e

    @classmethod
    def to_literal_sync(cls, v: Any, t: Any, expected: types_pb2.LiteralType | None = None) -> literals_pb2.Literal:
        """Blocking twin of `to_literal` for callers without an event loop.

        Costs the same as the async form when every transformer involved is a built-in; a type
        that involves a third-party transformer (which may await I/O) is converted on a private
        event loop instead (tens of microseconds more). Prefer the async form inside coroutines.
        """
        loop_free = cls._loop_free(t)
        return _run_sync(loop_free, t, cls.to_literal(v, t, expected))

    @classmethod
    def to_python_value_sync(cls, lv: literals_pb2.Literal, t: Any) -> Any:
        """Blocking twin of `to_python_value`; see `to_literal_sync` for its cost."""
        loop_free = cls._loop_free(t)
        return _run_sync(loop_free, t, cls.to_python_value(lv, t))

    @classmethod
    def _loop_free(cls, t: Any, _seen: set[int] | None = None) -> bool:
        """Whether converting `t` involves only built-ins, which never await anything."""
        try:
            entry = cls._entries[t]
        except (KeyError, TypeError):
            entry = cls._entry(t)
        if entry._loop_free is not None:
            return entry._loop_free
        seen = _seen if _seen is not None else set()
        if id(entry) in seen:  # a recursive type: decided by its other parts
            return True
        seen.add(id(entry))
        transformer = entry.transformer
        result = isinstance(transformer, BuiltinTransformer) and all(
            cls._loop_free(child, seen) for child in transformer.child_types(entry.call_type)
        )
        if _seen is None:
            # Only the outermost answer is final: inner ones assumed their recursive parts were fine.
            entry._loop_free = result
        return result

    # ------------------------------------------------------------------------------ guessing

    @classmethod
    def guess_python_type(cls, literal_type: types_pb2.LiteralType) -> Any:
        """Return a Python type whose values are stored as `literal_type`.

        Third-party transformers are asked first, the most recently registered first, then the
        built-in rules.

        Raises:
            ValueError: No transformer recognises the literal type.
        """
        from flyte.types import _guess

        _plugins.autoload()
        seen: set[int] = set()
        for transformer in reversed(list(cls._registry.values())):
            if isinstance(transformer, BuiltinTransformer) or id(transformer) in seen:
                continue
            seen.add(id(transformer))
            try:
                return transformer.guess_python_type(literal_type)
            except ValueError:
                continue
        return _guess.guess_builtin(literal_type)


def _run_sync(loop_free: bool, t: Any, coro: Coroutine[Any, Any, Any]) -> Any:
    if not loop_free:
        return _run_on_private_loop(coro)
    # Built-in conversions never suspend: step the coroutine once instead of running a loop.
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError(f"Converting `{type_name(t)}` suspended although only built-in transformers are involved")


def _run_on_private_loop(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine to completion from sync code, whether or not this thread runs a loop."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_new_loop(coro)
    # This thread's loop is busy running our caller: block on a helper thread instead.
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append((True, _run_new_loop(coro)))
        except BaseException as e:
            outcome.append((False, e))

    helper = threading.Thread(target=target, name="flyte-type-conversion")
    helper.start()
    helper.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def _run_new_loop(coro: Coroutine[Any, Any, Any]) -> Any:
    import asyncio

    # Not `asyncio.run`: it would reset this thread's current event loop as a side effect.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()
