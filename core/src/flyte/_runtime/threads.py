"""Threads of the embedded runtime: the runtime event loop, and an elastic worker pool.

The runtime loop runs async task bodies. Sync task bodies, and blocking calls made from a thread
that already runs an event loop, run on worker threads. The pool grows whenever every worker is
busy: a sync task blocked on its own children must never wait for a free worker, or nested
sync calls would deadlock a bounded pool.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import queue
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_IDLE_SECONDS = 30.0


class _ElasticPool:
    """A thread pool that starts a new worker whenever none is idle; idle workers retire."""

    def __init__(self, name: str):
        self._name = name
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], concurrent.futures.Future] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._count = 0

    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()
        with self._lock:
            start_worker = self._idle == 0
            if start_worker:
                self._count += 1
                number = self._count
            else:
                self._idle -= 1
        self._jobs.put((fn, fut))
        if start_worker:
            threading.Thread(target=self._work, name=f"{self._name}-{number}", daemon=True).start()
        return fut

    def _work(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=_IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    # Retire only if no job was handed to us in the meantime.
                    if self._idle > 0 and self._jobs.empty():
                        self._idle -= 1
                        return
                continue
            if job is None:
                return
            fn, fut = job
            if fut.set_running_or_notify_cancel():
                try:
                    fut.set_result(fn())
                except BaseException as e:  # delivered to the waiter, never lost
                    fut.set_exception(e)
            with self._lock:
                self._idle += 1


_pool = _ElasticPool("flyte-worker")
_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()
_worker_loops = threading.local()


def runtime_loop() -> asyncio.AbstractEventLoop:
    """The process-wide runtime event loop, started on its own daemon thread on first use."""
    global _loop
    if _loop is not None:
        return _loop
    with _loop_lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def serve() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            threading.Thread(target=serve, name="flyte-runtime", daemon=True).start()
            ready.wait()
            _loop = loop
    return _loop


def in_thread(fn: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
    """Run ``fn(*args)`` on a worker thread, carrying the caller's context variables."""
    context = contextvars.copy_context()
    return _pool.submit(lambda: context.run(fn, *args))


def _run_on_worker_loop(coro: Coroutine[Any, Any, T]) -> T:
    loop = getattr(_worker_loops, "loop", None)
    if loop is None:
        loop = asyncio.new_event_loop()
        _worker_loops.loop = loop
    return loop.run_until_complete(coro)


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, from any thread.

    From a plain thread the coroutine runs on the runtime loop. From a thread whose event loop
    is running (an async task calling a sync API, Jupyter) that loop is blocked by this very
    call, so the coroutine runs on a private loop of a worker thread instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run_coroutine_threadsafe(coro, runtime_loop()).result()
    return in_thread(_run_on_worker_loop, coro).result()


async def run_elsewhere(coro: Coroutine[Any, Any, T]) -> T:
    """Await a coroutine on the runtime loop from any event loop (hops only if needed)."""
    loop = runtime_loop()
    if asyncio.get_running_loop() is loop:
        return await coro
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))
