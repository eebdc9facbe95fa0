"""``@flyte.trace``: journal a helper function's calls and replay them when a run is resumed.

Each call inside a task is recorded with its inputs, outputs and duration; a successful call is
a checkpoint that a rerun of the run returns instead of calling the function again. Failures
propagate to the caller and are recorded, but never replayed. Outside a task a traced function
is just the function.
"""

from __future__ import annotations

import collections.abc
import functools
import inspect
import typing
from typing import TYPE_CHECKING, Any

from flyte._runtime.context import Frame, current_frame

if TYPE_CHECKING:
    from flyte._runtime.wire import LiteralFields

_GENERATOR_ORIGINS = {
    collections.abc.Generator,
    collections.abc.Iterator,
    collections.abc.Iterable,
    collections.abc.AsyncGenerator,
    collections.abc.AsyncIterator,
    collections.abc.AsyncIterable,
}


class _Signature:
    """What a traced function takes and returns, resolved on first call."""

    def __init__(self, func: Any, generator: bool):
        from flyte._model.cache import function_fingerprint
        from flyte._runtime.convert import literal_types_interface
        from flyte._runtime.wire import LiteralFields, frame

        try:
            hints = typing.get_type_hints(func, include_extras=True)
        except Exception:
            hints = {}
        self.params = inspect.signature(func)
        self.inputs = {name: hints.get(name, Any) for name in self.params.parameters}
        returns = hints.get("return", Any)
        if returns is None:
            returns = type(None)
        if generator:
            # Generators are recorded as the list of the items they yielded.
            args = typing.get_args(returns) if typing.get_origin(returns) in _GENERATOR_ORIGINS else ()
            returns = list[args[0]] if args else list  # type: ignore[valid-type]
        self.output = returns
        self.name = func.__qualname__
        self.body = function_fingerprint(func)
        self.interface = literal_types_interface(self.inputs, {"o0": returns})
        self.input_fields = LiteralFields(self.inputs)
        self.output_fields = LiteralFields({"o0": returns})
        #: ``wire.frame``, kept here: an import statement costs more than a replayed call.
        self.frame = frame

    def bind(self, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
        try:
            bound = self.params.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"traced function `{self.name}`: {e}") from None
        bound.apply_defaults()
        flat = dict(bound.arguments)
        for name, p in self.params.parameters.items():
            if p.kind is p.VAR_KEYWORD and name in flat:
                flat.update(flat.pop(name))
        return flat


def _input_error(sig: _Signature, name: str, value: Any, e: Exception) -> TypeError:
    return TypeError(f"traced function `{sig.name}`: input `{name}` cannot be recorded: {e}")


def _output_error(sig: _Signature, name: str, value: Any, e: Exception) -> TypeError:
    return TypeError(
        f"traced function `{sig.name}` returned {type(value).__name__} {value!r:.80}, which cannot be recorded: {e}"
    )


async def _encode(sig: _Signature, fields: LiteralFields, values: dict[str, Any], error: Any) -> dict[str, bytes]:
    """Each value's literal bytes: directly for plain scalars, else through ``TypeEngine``."""
    parts = fields.encode(values)
    if parts is not None:
        return parts
    from flyte.types import TypeEngine

    parts = {}
    for name, value in values.items():
        try:
            literal = await TypeEngine.to_literal(value, fields.types.get(name, Any))
        except Exception as e:
            raise error(sig, name, value, e) from e
        parts[name] = literal.SerializeToString(deterministic=True)
    return parts


def _encode_sync(sig: _Signature, fields: LiteralFields, values: dict[str, Any], error: Any) -> dict[str, bytes]:
    """Blocking twin of ``_encode``."""
    parts = fields.encode(values)
    if parts is not None:
        return parts
    from flyte.types import TypeEngine

    parts = {}
    for name, value in values.items():
        try:
            literal = TypeEngine.to_literal_sync(value, fields.types.get(name, Any))
        except Exception as e:
            raise error(sig, name, value, e) from e
        parts[name] = literal.SerializeToString(deterministic=True)
    return parts


async def _inputs(sig: _Signature, bound: dict[str, Any]) -> dict[str, bytes]:
    return await _encode(sig, sig.input_fields, bound, _input_error)


def _inputs_sync(sig: _Signature, bound: dict[str, Any]) -> dict[str, bytes]:
    return _encode_sync(sig, sig.input_fields, bound, _input_error)


async def _outputs(sig: _Signature, value: Any) -> bytes:
    """The return value as literal map bytes."""
    return sig.frame(await _encode(sig, sig.output_fields, {"o0": value}, _output_error))


def _outputs_sync(sig: _Signature, value: Any) -> bytes:
    return sig.frame(_encode_sync(sig, sig.output_fields, {"o0": value}, _output_error))


def trace(func: Any) -> Any:
    """Record each call of ``func`` inside a task as a checkpoint that a resumed run replays.

    Works on async functions, sync functions, generators and async generators (whose yielded
    items are recorded as a list and replayed as a generator).
    """
    from flyte._model.task import TaskTemplate

    if isinstance(func, TaskTemplate):
        raise TypeError(f"@flyte.trace decorates helper functions; `{func.name}` is a task, call it from a task instead")
    if not callable(func):
        raise TypeError(f"@flyte.trace decorates functions, got {func!r}")
    generator = inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func)
    sig_cache: list[_Signature] = []

    def signature() -> _Signature:
        if not sig_cache:
            sig_cache.append(_Signature(func, generator))
        return sig_cache[0]

    def begin(frame: Frame, inputs: dict[str, bytes]):
        sig = signature()
        return frame.run.trace_begin(frame, sig.name, sig.body, inputs, sig.interface, sig.output_fields)

    if inspect.isasyncgenfunction(func):

        @functools.wraps(func)
        async def agen_wrapper(*args: Any, **kwargs: Any) -> Any:
            frame = current_frame.get()
            if frame is None:
                async for item in func(*args, **kwargs):
                    yield item
                return
            sig = signature()
            record, trace_frame, replayed = begin(frame, await _inputs(sig, sig.bind(args, kwargs)))
            if replayed is not None:
                for item in await _replayed(sig, replayed):
                    yield item
                return
            items: list[Any] = []
            gen = func(*args, **kwargs)
            try:
                while True:
                    token = current_frame.set(trace_frame)
                    try:
                        item = await gen.__anext__()
                    except StopAsyncIteration:
                        break
                    finally:
                        current_frame.reset(token)
                    items.append(item)
                    yield item
                outputs = await _outputs(sig, items)
            except BaseException as e:
                frame.run.trace_end(record, None, e)
                await gen.aclose()
                raise
            frame.run.trace_end(record, outputs, None)

        return agen_wrapper

    if inspect.isgeneratorfunction(func):

        @functools.wraps(func)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            frame = current_frame.get()
            if frame is None:
                yield from func(*args, **kwargs)
                return
            sig = signature()
            record, trace_frame, replayed = begin(frame, _inputs_sync(sig, sig.bind(args, kwargs)))
            if replayed is not None:
                yield from _replayed_sync(sig, replayed)
                return
            items: list[Any] = []
            gen = func(*args, **kwargs)
            try:
                while True:
                    token = current_frame.set(trace_frame)
                    try:
                        item = next(gen)
                    except StopIteration:
                        break
                    finally:
                        current_frame.reset(token)
                    items.append(item)
                    yield item
                outputs = _outputs_sync(sig, items)
            except BaseException as e:
                frame.run.trace_end(record, None, e)
                gen.close()
                raise
            frame.run.trace_end(record, outputs, None)

        return gen_wrapper

    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            frame = current_frame.get()
            if frame is None:
                return await func(*args, **kwargs)
            sig = signature()
            record, trace_frame, replayed = begin(frame, await _inputs(sig, sig.bind(args, kwargs)))
            if replayed is not None:
                return await _replayed(sig, replayed)
            token = current_frame.set(trace_frame)
            try:
                value = await func(*args, **kwargs)
                outputs = await _outputs(sig, value)
            except BaseException as e:
                frame.run.trace_end(record, None, e)
                raise
            finally:
                current_frame.reset(token)
            frame.run.trace_end(record, outputs, None)
            return value

        return async_wrapper

    @functools.wraps(func)
    def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
        frame = current_frame.get()
        if frame is None:
            return func(*args, **kwargs)
        sig = signature()
        record, trace_frame, replayed = begin(frame, _inputs_sync(sig, sig.bind(args, kwargs)))
        if replayed is not None:
            return _replayed_sync(sig, replayed)
        token = current_frame.set(trace_frame)
        try:
            value = func(*args, **kwargs)
            outputs = _outputs_sync(sig, value)
        except BaseException as e:
            frame.run.trace_end(record, None, e)
            raise
        finally:
            current_frame.reset(token)
        frame.run.trace_end(record, outputs, None)
        return value

    return sync_wrapper


async def _replayed(sig: _Signature, reused: tuple[dict[str, Any] | None, dict[str, Any] | None]) -> Any:
    values, literals = reused
    if values is not None:
        return values["o0"]
    from flyte.types import TypeEngine

    return await TypeEngine.to_python_value(literals["o0"], sig.output)  # type: ignore[index]


def _replayed_sync(sig: _Signature, reused: tuple[dict[str, Any] | None, dict[str, Any] | None]) -> Any:
    values, literals = reused
    if values is not None:
        return values["o0"]
    from flyte.types import TypeEngine

    return TypeEngine.to_python_value_sync(literals["o0"], sig.output)  # type: ignore[index]
