"""The controller: decides what runs in a run and records it.

It owns action identity, the journal records, retries, timeouts, cancellation and the run's
lifetime. Running one action is delegated to an executor (``executor.py``), which gets only
the task, input literals and a context, and returns output literals or a ``Failure``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import json
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flyte import errors
from flyte._runtime import convert, wire
from flyte._runtime.blobstore import BlobStore, local_path
from flyte._runtime.context import Frame
from flyte._runtime.executor import InProcessExecutor
from flyte._runtime.failures import Failure
from flyte._runtime.journal import ActionRecord, AttemptRecord, CacheEntry, RunJournal, RunRecord
from flyte.models import ActionPhase

if TYPE_CHECKING:
    from flyte._model.task import TaskTemplate

logger = logging.getLogger("flyte")

#: Literal bytes up to this size are kept inline in the journal; larger ones go to the blob store.
INLINE_JOURNAL_BYTES = 64 * 1024
#: Cache entries of one task version loaded at once into memory, at most.
CACHE_INDEX_LIMIT = 50_000
#: Serialized cache keys being computed in this process, each with the future its twins wait on.
_inflight: dict[str, concurrent.futures.Future] = {}
_inflight_lock = threading.Lock()

#: How long the run waits for cancelled descendants to wind down before recording them aborted.
ABORT_GRACE_SECONDS = 5.0
ABORT_POLL_SECONDS = 0.2

_QUEUED = ActionPhase.QUEUED.value
_RUNNING = ActionPhase.RUNNING.value
_SUCCEEDED = ActionPhase.SUCCEEDED.value

#: Reused outputs: Python values when they could be read directly, else literal messages.
Reused = tuple[dict[str, Any] | None, dict[str, Any] | None]
#: Whether a cancellation can be taken back (``Task.uncancel``, Python 3.11+): then a child action
#: awaited directly runs inside its caller's asyncio task instead of a task of its own.
_INLINE = hasattr(asyncio.Task, "uncancel")


@dataclass(slots=True)
class PreparedCall:
    """A task call whose inputs are bound, converted and hashed, ready to become an action."""

    task: TaskTemplate
    #: Each input's literal bytes; the literal messages are built only when the task executes.
    parts: dict[str, bytes]
    encoded: bytes
    inputs_hash: str
    literals: dict[str, Any] | None = None
    cache_key: str | None = None

    def input_literals(self) -> dict[str, Any]:
        if self.literals is None:
            self.literals = convert.parse_literals(self.parts)
        return self.literals


class ActionHandle:
    """The live state of one running action."""

    __slots__ = ("record", "task", "loop", "abort_reason", "inline")

    def __init__(self, record: ActionRecord):
        self.record = record
        #: The asyncio task the action runs in: its own, or its caller's when ``inline``.
        self.task: asyncio.Task | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.abort_reason: str | None = None
        self.inline = False


class RunController:
    """Controls one run: its actions, their journal records, and its lifetime."""

    def __init__(
        self,
        *,
        name: str,
        journal: RunJournal,
        home: Path,
        project: str,
        domain: str,
        org: str | None,
        custom_context: dict[str, str],
        disable_cache: bool = False,
        overwrite_cache: bool = False,
        resumed_from: str | None = None,
    ):
        self.name = name
        self.journal = journal
        self.project = project
        self.domain = domain
        self.org = org
        self.base_context = dict(custom_context)
        self.disable_cache = disable_cache
        self.overwrite_cache = overwrite_cache
        self.resumed_from = resumed_from
        #: The deployed version whose code runs here ("local" for code run from source).
        self.version = "local"
        #: Succeeded actions of the run this one resumes, by action id: what a rerun replays.
        self.replay = journal.succeeded_actions(resumed_from) if resumed_from else {}
        #: The journal's index of cached outputs (``RunJournal.cache_index``) per task version (its cache
        #: scope) this run has looked up; ``None`` for a version with too many entries to hold.
        self._cache_index: dict[str, dict[str, bytes | str] | None] = {}
        self.start_time = datetime.now(timezone.utc)
        self.run_dir = home / "runs" / name
        self.blobs = BlobStore(home / "blobs")
        self.executor = InProcessExecutor()
        self.closed = False
        #: The event loop the root action runs on (where its descendants normally run too).
        self.loop: asyncio.AbstractEventLoop | None = None
        self.live: dict[str, ActionHandle] = {}
        self._seq = 0
        #: How many times each call (parent, callee, inputs, group) was made so far: its sequence.
        self._calls: dict[str, int] = {}
        self._lock = threading.Lock()
        self._owned_keys: set[str] = set()
        self.root_id: str | None = None
        self._root_seq = 0
        #: Called with each action record whenever it starts or finishes (progress displays).
        self.listeners: list[Callable[[ActionRecord], None]] = []

    # ------------------------------------------------------------------ identity
    async def prepare(self, task: TaskTemplate, args: tuple, kwargs: dict[str, Any]) -> PreparedCall:
        return self.prepare_direct(task, args, kwargs) or await self._prepare_converted(task, args, kwargs)

    async def _prepare_converted(self, task: TaskTemplate, args: tuple, kwargs: dict[str, Any]) -> PreparedCall:
        """``prepare`` through the type engine (inputs that are not all plain scalars)."""
        literals = await convert.inputs_to_literals(task, task.interface.bind(task.name, args, kwargs))
        parts = convert.literal_bytes(literals)
        encoded = wire.frame(parts)
        return PreparedCall(task, parts, encoded, convert.inputs_hash(encoded), literals)

    def prepare_direct(self, task: TaskTemplate, args: tuple, kwargs: dict[str, Any]) -> PreparedCall | None:
        """``prepare`` without the type engine, for inputs that are all plain scalars; else ``None``."""
        fields = convert.task_fields(task)[0]
        if not kwargs:
            encoded = fields.encode_positional(args)
            if encoded is not None:
                return PreparedCall(task, encoded[0], encoded[1], convert.inputs_hash(encoded[1]))
        parts = fields.encode(task.interface.bind(task.name, args, kwargs))
        if parts is None:
            return None
        framed = wire.frame(parts)
        return PreparedCall(task, parts, framed, convert.inputs_hash(framed))

    def _identity(self, parent_path: str | None, name: str, body: str, inputs_hash: str, group: tuple[str, ...]):
        """(action id, place, creation order) of a call.

        The place locates a call in the run tree: the parent's path, the callee's name, its inputs
        hash, the group and the call sequence among identical calls. It leaves out every body
        hash, so editing a parent keeps its children's places. Its digest is the path the call's own
        children start from (``Frame.path``), taken only when the call runs. The action id is a
        digest of the place and the callee's own body hash. Both are the same in a rerun as
        in the run it resumes.
        """
        if parent_path is None:
            # The root's inputs name the root action but not its subtree: a rerun with other root
            # inputs still finds the children whose own calls are unchanged.
            with self._lock:
                self._seq += 1
                seq = self._seq
            place = f"root\x1f{name}"
            return "a" + _digest(f"{place}\x1f{body}\x1f{inputs_hash}")[:15], place, seq
        call = f"{parent_path}\x1f{name}\x1f{inputs_hash}\x1f{'/'.join(group) if group else ''}"
        lock = self._lock  # acquire/release: half the cost of `with` on this path, taken for every call
        lock.acquire()
        try:
            self._seq += 1
            seq = self._seq
            n = self._calls.get(call, 0)
            self._calls[call] = n + 1
        finally:
            lock.release()
        place = f"{call}\x1f{n}"
        return "a" + sha256(f"{place}\x1f{body}".encode()).hexdigest()[:15], place, seq

    # ------------------------------------------------------------------ submitting
    async def submit(self, task: TaskTemplate, caller: Frame, args: tuple, kwargs: dict[str, Any]) -> Any:
        """Run ``task`` as a child action of ``caller`` and return its Python output."""
        # ``prepare`` spelled out, sparing a coroutine when the inputs are plain scalars.
        call = self.prepare_direct(task, args, kwargs) or await self._prepare_converted(task, args, kwargs)
        return await self.submit_prepared(call, caller)

    def plan_root(self, call: PreparedCall) -> str:
        """Fix the root action's id before it starts (the run record names it)."""
        self.root_id, self._root_place, self._root_seq = self._identity(
            None, call.task.name, call.task.identity_hash, call.inputs_hash, ()
        )
        return self.root_id

    async def submit_prepared(self, call: PreparedCall, caller: Frame | None) -> Any:
        task = call.task
        if self.closed:
            raise errors.ActionAbortedError(
                f"Run `{self.name}` has finished; task `{task.name}` cannot start after its root action returned"
            )
        group = caller.group_path if caller else ()
        parent_id = caller.action_id if caller else None
        if caller is None:
            self.loop = asyncio.get_running_loop()
            if self.root_id is None:
                self.plan_root(call)
            action_id, place, seq = self.root_id, self._root_place, self._root_seq
        else:
            action_id, place, seq = self._identity(caller.path, task.name, task.identity_hash, call.inputs_hash, group)
        inputs, inputs_ref = self._literals(call.encoded)
        record = ActionRecord(  # positionally: this runs for every call, reused or not
            self.name,
            action_id,
            parent_id,
            task.name,
            task.short_name,
            "task",
            json.dumps(list(group)) if group else "[]",
            _QUEUED,
            seq,
            time.time(),
            None,  # started_at
            None,  # ended_at
            0,  # attempts
            task.literal_interface()[0],
            _config_json(task),
            inputs,
            inputs_ref,
        )
        reused = self._reuse(call, record)
        if reused is None and task.cache.serialize and self._cache_writes(task):
            reused = await self._wait_for_twin(self._cache_key(call), record)
        if reused is not None:
            values, literals = reused
            record.phase = _SUCCEEDED
            record.started_at = record.ended_at = time.time()
            self.journal.put_action(record)
            self._notify(record)
            if values is None:
                values = await convert.literals_to_python(task, literals, outputs=True)
            return task.interface.join_outputs(values)
        cache_key = self._cache_key(call) if self._cache_writes(task) else None
        custom = caller.custom_context if caller else self.base_context
        frame = Frame(run=self, action_id=action_id, task_name=task.name, custom_context=custom, path=_digest(place))
        if task.links:
            record.links = self._render_links(task, frame, parent_id)
        handle = ActionHandle(record)
        loop = handle.loop = asyncio.get_running_loop()
        running = self._run_action(handle, call, frame, cache_key)
        # When the ``submit`` awaiting this is the whole of its asyncio task (asyncio.gather or
        # create_task of a task call), that task is the action's own: cancelling it cancels exactly
        # this action. (Asking the root's loop for its task spares finding the running loop; a call
        # on another loop gets that loop's task or None, never one whose coroutine is that submit.)
        own_task = None
        if caller is not None:
            current = asyncio.current_task(self.loop)
            if current is not None and current.get_coro().cr_frame is sys._getframe(1):  # type: ignore[union-attr]
                own_task = current
        if own_task is not None:
            handle.task = own_task
            awaitable: Any = running
        elif _INLINE and (caller_task := asyncio.current_task()) is not None:
            # Awaited directly by its caller: run in the caller's task, sparing a task and a round
            # trip through the event loop, in a context of its own as a task of its own would have.
            # An abort cancels the caller's task while this action is live and is taken back below.
            handle.task, handle.inline = caller_task, True
            awaitable = _InOwnContext(running)
        else:
            # The caller cannot take a cancellation back (Python 3.10): run the action in a task
            # of its own, so that aborting the action never cancels the caller.
            handle.task = awaitable = loop.create_task(running, name=f"flyte:{task.short_name}")
        self.live[action_id] = handle
        try:
            output_literals = await awaitable
        except asyncio.CancelledError:
            if handle.abort_reason == "external":
                if (own_task is not None or handle.inline) and _INLINE and handle.task.uncancel() > 0:
                    raise  # the caller's task is being cancelled as well
                raise errors.ActionAbortedError(
                    f"Action `{action_id}` ({task.short_name}) of run `{self.name}` was aborted externally"
                ) from None
            if own_task is None and not handle.inline:
                handle.task.cancel()
            raise
        values = await convert.literals_to_python(task, output_literals, outputs=True)
        return task.interface.join_outputs(values)

    def _render_links(self, task: TaskTemplate, frame: Frame, parent_id: str | None) -> str:
        from flyte._model.link import render_links

        try:
            pairs = render_links(
                task.links,
                run_name=self.name,
                project=self.project,
                domain=self.domain,
                context=dict(frame.custom_context),
                parent_action_name=parent_id or "",
                action_name=frame.action_id,
                pod_name=f"{socket.gethostname()}-{os.getpid()}",
            )
        except Exception as e:  # a broken link must not fail the task; say which one
            logger.warning("Could not render links of task `%s`: %s", task.name, e)
            return "[]"
        return json.dumps([list(p) for p in pairs])

    def _literals(self, data: bytes) -> tuple[bytes | None, str | None]:
        """Literal map bytes as a record's (inline bytes, blob reference) columns."""
        if len(data) <= INLINE_JOURNAL_BYTES:
            return data, None
        return None, self.blobs.put_content(data)

    # ------------------------------------------------------------------ running one action
    async def _run_action(
        self, handle: ActionHandle, call: PreparedCall, frame: Frame, cache_key: str | None = None
    ) -> dict[str, Any]:
        task, record = call.task, handle.record
        record.phase = _RUNNING
        record.started_at = time.time()
        self.journal.put_action(record)
        self._notify(record)
        retries = task.retries
        timeout = task.timeout.max_runtime_seconds if task.timeout is not None else None
        outputs: dict[str, Any] | None = None
        try:
            while True:
                record.attempts += 1
                frame.attempt = record.attempts - 1
                attempt_started = time.time()
                try:
                    outputs = await self._attempt(task, frame, call.input_literals(), timeout)
                except Failure as failure:
                    self.journal.put_attempt(
                        AttemptRecord(
                            self.name,
                            record.action_id,
                            record.attempts,
                            attempt_started,
                            time.time(),
                            ActionPhase.TIMED_OUT.value if failure.timed_out else ActionPhase.FAILED.value,
                            failure.code,
                            failure.error_class,
                            failure.message,
                            failure.traceback_text,
                        )
                    )
                    if failure.recoverable and record.attempts <= retries.count and not self.closed:
                        delay = retries.delay(record.attempts - 1)
                        logger.info(
                            "Action %s (%s) failed with %s; retry %d of %d in %.2fs",
                            record.action_id,
                            task.short_name,
                            failure.code,
                            record.attempts,
                            retries.count,
                            delay,
                        )
                        if delay:
                            await asyncio.sleep(delay)
                        continue
                    self._finish(record, ActionPhase.TIMED_OUT if failure.timed_out else ActionPhase.FAILED, failure)
                    raise failure.to_exception() from None
                if handle.abort_reason is not None:
                    # The body swallowed the cancellation (the docs' sleep_for does); it was still aborted.
                    raise asyncio.CancelledError()
                record.outputs, record.outputs_ref = self._literals(convert.encode_literals(outputs))
                self._finish(record, ActionPhase.SUCCEEDED)
                if cache_key is not None:
                    self._cache_store(cache_key, task, record, outputs)
                return outputs
        except asyncio.CancelledError:
            self._finish(record, ActionPhase.ABORTED, abort_reason=handle.abort_reason or "cancelled")
            raise
        finally:
            self.live.pop(record.action_id, None)
            if cache_key is not None:
                self._release_twins(cache_key, outputs if record.phase == ActionPhase.SUCCEEDED.value else None)

    async def _attempt(self, task: TaskTemplate, frame: Frame, literals: dict[str, Any], timeout: float | None):
        if not timeout:
            return await self.executor.execute(task, frame, literals)
        try:
            return await asyncio.wait_for(self.executor.execute(task, frame, literals), timeout)
        except asyncio.TimeoutError:
            raise Failure.timeout(task.name, timeout) from None

    def _finish(
        self, record: ActionRecord, phase: ActionPhase, failure: Failure | None = None, abort_reason: str | None = None
    ) -> None:
        record.phase = phase.value
        record.ended_at = time.time()
        if failure is not None:
            record.error_code = failure.code
            record.error_kind = failure.kind
            record.error_class = failure.error_class
            record.error_message = failure.message
            record.error_traceback = failure.traceback_text
        elif abort_reason is not None:
            record.error_code = "Aborted"
            record.error_kind = "user"
            record.error_message = {
                "external": "aborted externally",
                "run_finished": "aborted because the run's root action finished",
                "parent_finished": "aborted because its deployed parent task finished",
            }.get(abort_reason, "cancelled by its caller")
        self.journal.put_action(record)
        self._notify(record)

    def _notify(self, record: ActionRecord) -> None:
        for listener in self.listeners:
            try:
                listener(record)
            except Exception as e:  # a broken display must never break the run
                logger.debug("action listener %r failed: %s", listener, e)

    # ------------------------------------------------------------------ traces
    def trace_begin(
        self, caller: Frame, name: str, body: str, inputs: dict[str, bytes], interface: bytes, outputs: wire.LiteralFields
    ) -> tuple[ActionRecord, Frame, Reused | None]:
        """Journal the start of a traced call (its inputs as literal bytes); returns its record, its
        frame and, when the call is replayed, its outputs."""
        if self.closed:
            raise errors.ActionAbortedError(f"Run `{self.name}` has finished; trace `{name}` cannot start")
        encoded = wire.frame(inputs)
        group = caller.group_path
        action_id, place, seq = self._identity(caller.path, name, body, convert.inputs_hash(encoded), group)
        now = time.time()
        record = ActionRecord(
            self.name,
            action_id,
            caller.action_id,
            name,
            name.rsplit(".", 1)[-1],
            "trace",
            json.dumps(list(group)) if group else "[]",
            _RUNNING,
            seq,
            now,
            now,  # started_at
            None,  # ended_at
            1,  # attempts
            interface,
            "{}",  # config
            *self._literals(encoded),  # inputs, inputs_ref
        )
        replayed = self._replayed(record, outputs)
        if replayed is not None:
            self._finish(record, ActionPhase.SUCCEEDED)
            return record, caller, replayed
        self.journal.put_action(record)
        self._notify(record)
        frame = Frame(
            run=self,
            action_id=action_id,
            task_name=caller.task_name,
            custom_context=caller.custom_context,
            group_path=(),
            in_trace=True,
            attempt=caller.attempt,
            report=caller.report,
            path=_digest(place),
        )
        return record, frame, None

    def trace_end(self, record: ActionRecord, outputs: bytes | None, error: BaseException | None) -> None:
        """Journal the end of a traced call: its outputs (literal map bytes, a checkpoint), or its
        error (never replayed)."""
        if error is None:
            assert outputs is not None
            record.outputs, record.outputs_ref = self._literals(outputs)
            self._finish(record, ActionPhase.SUCCEEDED)
        elif isinstance(error, (asyncio.CancelledError, GeneratorExit)):
            self._finish(record, ActionPhase.ABORTED, abort_reason="cancelled")
        else:
            self._finish(record, ActionPhase.FAILED, Failure.from_exception(error))

    # ------------------------------------------------------------------ replay and cache
    def _reuse(self, call: PreparedCall, record: ActionRecord) -> Reused | None:
        """Outputs this call can reuse, from the run it resumes or else from the cache, or ``None``.

        The record takes the reused outputs' journaled bytes (never a re-encoding)."""
        task = call.task
        fields = convert.task_fields(task)[1]
        if self.replay:
            reused = self._replayed(record, fields)
            if reused is not None:
                return reused
        if task.cache.behavior != "auto" or self.disable_cache or self.overwrite_cache:
            return None
        key = call.cache_key or self._cache_key(call)
        stored = self._cache_lookup(task, key)
        if stored is None:
            return None
        try:
            reused = self._read_outputs(fields, stored)
        except Exception as e:
            logger.warning(
                "Cache entry %s of task `%s` is corrupt (%s); it was removed and the task runs again", key, task.name, e
            )
            self.journal.delete_cache_entry(key)
            index = self._cache_index.get(task.cache_scope())
            if index:
                index.pop(key, None)
            return None
        record.cache_hit = 1
        _set_outputs(record, stored)
        return reused

    def _replayed(self, record: ActionRecord, fields: wire.LiteralFields) -> Reused | None:
        """The outputs of the same call in the run this one resumes, if it succeeded there."""
        replayed = self.replay.get(record.action_id)
        if replayed is None or replayed[1] != record.kind:
            return None
        stored = replayed[0]
        try:
            reused = self._read_outputs(fields, stored)
        except Exception as e:
            logger.warning(
                "Cannot replay %s %s of run %s (%s); running it again",
                record.kind,
                record.action_id,
                self.resumed_from,
                e,
            )
            return None
        record.replayed_from = f"{self.resumed_from}/{record.action_id}"
        _set_outputs(record, stored)
        return reused

    def _read_outputs(self, fields: wire.LiteralFields, stored: bytes | str) -> Reused:
        """Journaled outputs (inline bytes or a blob reference) as Python values where ``fields``
        reads them directly, else as literals."""
        data = stored if type(stored) is bytes else local_path(stored).read_bytes()
        values = fields.read(data)
        if values is not None:
            return values, None
        parts = convert.split_literals(data)
        if parts.keys() != fields.types.keys():
            raise ValueError(f"it holds outputs {sorted(parts)}, the task declares {sorted(fields.types)}")
        return None, convert.parse_literals(parts)

    def _cache_writes(self, task: TaskTemplate) -> bool:
        return task.cache.behavior in ("auto", "override") and not self.disable_cache

    def _cache_key(self, call: PreparedCall) -> str:
        """The inputs hash (without ``ignored_inputs``) and the task version's scope: no digest of
        its own, so that a cache hit costs no more hashing than a replay."""
        if call.cache_key is None:
            task = call.task
            ignored = task.cache.ignored_inputs  # a tuple (Cache normalizes it)
            inputs_hash = call.inputs_hash
            if ignored:
                kept = {k: v for k, v in call.parts.items() if k not in ignored}
                inputs_hash = convert.inputs_hash(wire.frame(kept))
            call.cache_key = f"{inputs_hash}.{task.cache_scope()}"
        return call.cache_key

    def _cache_lookup(self, task: TaskTemplate, key: str) -> bytes | str | None:
        """A cached result's outputs (inline bytes or a blob reference), or ``None``."""
        # A task version's entries are held in memory when there are not too many: a fan-out of
        # cache hits then costs a dict lookup each instead of a query each.
        scope = task.cache_scope()
        try:
            index = self._cache_index[scope]
        except KeyError:
            index = self._cache_index[scope] = self.journal.cache_index(task.name, task.cache_version(), CACHE_INDEX_LIMIT)
        if index is not None:
            return index.get(key)
        entry = self.journal.get_cache(key)
        return entry.stored_outputs if entry is not None else None

    def _cache_store(self, key: str, task: TaskTemplate, record: ActionRecord, outputs: dict[str, Any]) -> None:
        entry = CacheEntry(
            key=key,
            task_name=task.name,
            version=task.cache_version(),
            outputs=record.outputs,
            outputs_ref=record.outputs_ref,
            created_at=time.time(),
            run_name=self.name,
            action_id=record.action_id,
        )
        self.journal.put_cache(entry)
        index = self._cache_index.get(task.cache_scope())
        if index is not None:  # most often the journal's index, which put_cache updated already
            index[key] = entry.stored_outputs

    async def _wait_for_twin(self, key: str, record: ActionRecord) -> Reused | None:
        """With ``Cache(serialize=True)``: wait while an identical call computes, then reuse its result.

        Returns ``None`` when this call is the one to compute (it then owns the key until it ends).
        """
        while True:
            with _inflight_lock:
                twin = _inflight.get(key)
                if twin is None:
                    _inflight[key] = concurrent.futures.Future()
                    self._owned_keys.add(key)
                    return None
            try:
                outputs = await asyncio.wrap_future(twin)
            except Exception:
                continue  # the computing call failed: compete to compute it ourselves
            record.cache_hit = 1
            record.outputs, record.outputs_ref = self._literals(convert.encode_literals(outputs))
            return None, outputs

    def _release_twins(self, key: str, outputs: dict[str, Any] | None) -> None:
        if key not in self._owned_keys:
            return
        self._owned_keys.discard(key)
        with _inflight_lock:
            fut = _inflight.pop(key, None)
        if fut is not None:
            if outputs is None:
                fut.set_exception(RuntimeError("the serialized computation did not succeed"))
            else:
                fut.set_result(outputs)

    # ------------------------------------------------------------------ run lifetime
    def abort(self, action_id: str, reason: str) -> bool:
        """Cancel a live action from any thread; returns whether it was live."""
        handle = self.live.get(action_id)
        if handle is None or handle.task is None or handle.loop is None:
            return False
        handle.abort_reason = reason
        handle.loop.call_soon_threadsafe(self._cancel, handle)
        return True

    def _cancel(self, handle: ActionHandle) -> None:
        # An inline action shares its caller's task: cancel that only while the action still runs in it.
        if not handle.inline or self.live.get(handle.record.action_id) is handle:
            handle.task.cancel()

    def record_report(self, action_id: str, uri: str) -> None:
        """Name the report of a live action in the journal (readers find it while the task runs)."""
        handle = self.live.get(action_id)
        if handle is not None and handle.record.report_uri != uri:
            handle.record.report_uri = uri
            self.journal.put_action(handle.record)

    def creation_order(self, action_id: str) -> int:
        """Where a live action was created in the run (0 if it is not live here)."""
        handle = self.live.get(action_id)
        return handle.record.seq if handle is not None else 0

    def number_from(self, seq: int) -> None:
        """Number the actions created from now on after ``seq`` (a worker continuing a run)."""
        with self._lock:
            self._seq = max(self._seq, seq)

    async def close(self, reason: str = "run_finished") -> None:
        """The root finished: accept no new actions, abort the ones still running, and wait for them."""
        self.closed = True
        for action_id in list(self.live):
            self.abort(action_id, reason)
        deadline = time.monotonic() + ABORT_GRACE_SECONDS
        while self.live and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        for handle in list(self.live.values()):
            # Sync task bodies cannot be interrupted mid-call; record them aborted all the same.
            self._finish(handle.record, ActionPhase.ABORTED, abort_reason=reason)
        self.live.clear()

    async def watch_aborts(self) -> None:
        """Apply abort requests written to the journal by ``flyte abort`` or the UI."""
        seen: set[str] = set()
        while True:
            await asyncio.sleep(ABORT_POLL_SECONDS)
            try:
                requests = await asyncio.to_thread(self.journal.abort_requests, self.name)
            except Exception as e:  # the journal is shared with other processes; never kill the run over it
                logger.debug("reading abort requests failed: %s", e)
                continue
            for action_id, _reason in requests:
                if action_id not in seen and self.abort(action_id, "external"):
                    seen.add(action_id)

    def run_record(self, task: TaskTemplate, phase: ActionPhase, source: str | None) -> RunRecord:
        return RunRecord(
            name=self.name,
            task_name=task.name,
            root_action=self.root_id or "",
            project=self.project,
            domain=self.domain,
            phase=phase.value,
            created_at=self.start_time.timestamp(),
            started_at=self.start_time.timestamp(),
            custom_context=json.dumps(self.base_context),
            pid=os.getpid(),
            host=socket.gethostname(),
            source=source,
            resumed_from=self.resumed_from,
        )


class _InOwnContext:
    """Awaits a coroutine inside the awaiting task, but in a copy of the current context, as a task
    of its own would run it: context variables it sets stay its own."""

    __slots__ = ("coro", "context")

    def __init__(self, coro: Any):
        self.coro = coro
        self.context = contextvars.copy_context()

    def __await__(self):
        run, coro = self.context.run, self.coro
        step, value = coro.send, None
        while True:
            try:
                yielded = run(step, value)
            except StopIteration as done:
                return done.value
            try:
                value = yield yielded
                step = coro.send
            except GeneratorExit:
                run(coro.close)
                raise
            except BaseException as e:  # thrown in by the task: a cancellation, most often
                step, value = coro.throw, e


def _set_outputs(record: ActionRecord, stored: bytes | str) -> None:
    if type(stored) is bytes:
        record.outputs = stored
    else:
        record.outputs_ref = stored


def _digest(text: str) -> str:
    return sha256(text.encode()).hexdigest()


def _config_json(task: TaskTemplate) -> str:
    cached = getattr(task, "_config_json", None)
    if cached is None:
        config: dict[str, Any] = {"task_type": task.task_type}
        if task.resources is not None:
            config["resources"] = repr(task.resources)
        if task.retries.count:
            config["retries"] = task.retries.count
        if task.timeout is not None:
            config["timeout"] = task.timeout.max_runtime_seconds
        if task.cache.behavior != "disable":
            config["cache"] = task.cache.behavior
        no_effect = {
            k: repr(v)
            for k, v in (
                ("pod_template", task.pod_template),
                ("reusable", task.reusable),
                ("queue", task.queue),
                ("secrets", task.secrets or None),
                ("triggers", task.triggers or None),
                ("interruptible", task.interruptible or None),
            )
            if v is not None
        }
        if no_effect:
            config["no_local_effect"] = no_effect
            logger.debug("Task `%s`: %s have no local effect", task.name, ", ".join(no_effect))
        cached = json.dumps(config)
        object.__setattr__(task, "_config_json", cached)
    return cached
