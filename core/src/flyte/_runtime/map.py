"""``flyte.map``: run one task over iterables of inputs, with a concurrency limit."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from flyte._runtime.context import current_frame, group
from flyte._runtime.threads import run_sync


def _resolve(func: Any) -> tuple[Any, dict[str, Any]]:
    from flyte._model.task import TaskTemplate

    if isinstance(func, functools.partial):
        task, bound = func.func, dict(func.keywords)
        if func.args:
            raise TypeError("flyte.map: bind a partial's arguments by keyword (functools.partial(task, x=1))")
    else:
        task, bound = func, {}
    if not isinstance(task, TaskTemplate):
        raise TypeError(f"flyte.map takes a task (or a functools.partial of one), got {task!r}")
    free = [n for n in task.interface.inputs if n not in bound]
    if not free:
        raise TypeError(f"flyte.map: every input of `{task.name}` is already bound; leave the mapped ones free")
    return task, bound


async def _call_one(task: Any, bound: dict[str, Any], item: tuple) -> Any:
    result = task.aio(*item, **bound) if current_frame.get() is not None else task.forward(*item, **bound)
    return await result if inspect.isawaitable(result) else result


async def _map_in_order(
    func: Any, iterables: tuple[Iterable[Any], ...], group_name: str | None, concurrency: int, return_exceptions: bool
) -> AsyncIterator[Any]:
    task, bound = _resolve(func)
    items = zip(*iterables)
    limit = concurrency if concurrency and concurrency > 0 else None
    semaphore = asyncio.Semaphore(limit) if limit else None

    async def one(item: tuple) -> Any:
        if semaphore is None:
            return await _call_one(task, bound, item)
        async with semaphore:
            return await _call_one(task, bound, item)

    # Group only the calls: the caller's own code between iterations stays outside the group.
    pending: dict[int, asyncio.Future] = {}
    with group(group_name or f"{task.short_name}-map") if current_frame.get() is not None else _nullcontext():
        for i, item in enumerate(items):
            pending[i] = asyncio.ensure_future(one(item))
    try:
        for i in range(len(pending)):
            fut = pending.pop(i)
            try:
                yield await fut
            except asyncio.CancelledError:
                raise
            except Exception as e:
                if not return_exceptions:
                    raise
                yield e
    finally:
        for fut in pending.values():
            fut.cancel()
        if pending:
            await asyncio.gather(*pending.values(), return_exceptions=True)


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


class _Mapper:
    """``flyte.map(task, *iterables, concurrency=0, return_exceptions=True, group_name=None)``.

    Results come back in input order. ``concurrency`` caps how many calls run at once (0: no
    cap). With ``return_exceptions`` (the default) a failed call yields its exception in its
    place; otherwise the first failure is raised and the remaining calls are cancelled.
    """

    def __call__(
        self,
        func: Any,
        *iterables: Iterable[Any],
        group_name: str | None = None,
        concurrency: int = 0,
        return_exceptions: bool = True,
    ) -> Iterator[Any]:
        _resolve(func)

        async def collect() -> list[Any]:
            out: list[Any] = []
            try:
                async for value in _map_in_order(func, iterables, group_name, concurrency, return_exceptions):
                    out.append(value)
            except Exception as e:
                out.append(_Raise(e))
            return out

        def generate() -> Iterator[Any]:
            for value in run_sync(collect()):
                if isinstance(value, _Raise):
                    raise value.error
                yield value

        return generate()

    def aio(
        self,
        func: Any,
        *iterables: Iterable[Any],
        group_name: str | None = None,
        concurrency: int = 0,
        return_exceptions: bool = True,
    ) -> AsyncIterator[Any]:
        """The async form: ``async for result in flyte.map.aio(task, items): ...``."""
        _resolve(func)
        return _map_in_order(func, iterables, group_name, concurrency, return_exceptions)


class _Raise:
    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


map = _Mapper()
