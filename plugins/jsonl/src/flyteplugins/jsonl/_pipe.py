"""A bounded hand-over of items between a background thread and a thread or an event loop."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from typing import Any

#: What `Pipe.get` returns once the pipe has been closed and emptied.
CLOSED: Any = object()


class Pipe:
    """A bounded FIFO between exactly one producer and one consumer.

    Either side may block (`put`, `get`) or await (`aput`, `aget`); `close` tells the other side
    that this one is gone: pending items are dropped, `put` returns False and `get` returns
    `CLOSED`. Only one side can be waiting at any moment (a producer waits only while the pipe
    is full, a consumer only while it is empty), so one condition serves both directions.
    """

    __slots__ = ("_capacity", "_changed", "_closed", "_items", "_lock", "_waiter")

    def __init__(self, capacity: int):
        self._items: deque[Any] = deque()
        self._capacity = capacity
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._closed = False
        # The event-loop side waiting for a change: (loop, future); woken from the other thread.
        self._waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future[None]] | None = None

    # ------------------------------------------------------------------------------ producer

    def put(self, item: Any) -> bool:
        """Append `item`, blocking while the pipe is full; False when the consumer is gone."""
        with self._lock:
            while len(self._items) >= self._capacity and not self._closed:
                self._changed.wait()
            if self._closed:
                return False
            self._items.append(item)
            waiter = self._changed_locked()
        _wake(waiter)
        return True

    def try_put(self, item: Any) -> bool | None:
        """Append `item` if there is room: True; None when full; False when the consumer is gone."""
        with self._lock:
            if self._closed:
                return False
            if len(self._items) >= self._capacity:
                return None
            self._items.append(item)
            waiter = self._changed_locked()
        _wake(waiter)
        return True

    async def aput(self, item: Any) -> bool:
        """`put` for an event loop: waits without blocking the loop."""
        while True:
            with self._lock:
                if self._closed:
                    return False
                if len(self._items) < self._capacity:
                    self._items.append(item)
                    waiter = self._changed_locked()
                    break
                future = self._wait_async()
            await future
        _wake(waiter)
        return True

    # ------------------------------------------------------------------------------ consumer

    def get(self) -> Any:
        """The oldest item, blocking while the pipe is empty; `CLOSED` once closed."""
        with self._lock:
            while not self._items:
                if self._closed:
                    return CLOSED
                self._changed.wait()
            item = self._items.popleft()
            waiter = self._changed_locked()
        _wake(waiter)
        return item

    async def aget(self) -> Any:
        """`get` for an event loop: waits without blocking the loop."""
        while True:
            with self._lock:
                if self._items:
                    item = self._items.popleft()
                    waiter = self._changed_locked()
                    break
                if self._closed:
                    return CLOSED
                future = self._wait_async()
            await future
        _wake(waiter)
        return item

    # ------------------------------------------------------------------------------ both

    def close(self) -> None:
        """This side is gone: drop pending items and release the other side (idempotent)."""
        with self._lock:
            self._closed = True
            self._items.clear()
            waiter = self._changed_locked(everyone=True)
        _wake(waiter)

    def _changed_locked(self, everyone: bool = False) -> Any:
        if everyone:
            self._changed.notify_all()
        else:
            self._changed.notify()
        waiter, self._waiter = self._waiter, None
        return waiter

    def _wait_async(self) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._waiter = (loop, future)
        return future


def _wake(waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future[None]] | None) -> None:
    if waiter is None:
        return
    loop, future = waiter
    try:
        loop.call_soon_threadsafe(_resolve, future)
    except RuntimeError:  # the loop has been closed: nobody is waiting any more
        pass


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
