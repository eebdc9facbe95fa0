"""``new_event`` and ``Event``: ask a human for a value and wait for the answer, durably.

An event is identified by the action that creates it and its name: ``new_event`` draws the
event's request id inside a ``@flyte.trace`` call, so a rerun of the run (``flyte.rerun``)
replays the same id from the journal instead of drawing a new one, and finds the stored request
with its original deadline and any answer given in the meantime. The request is written to the
store only once that checkpoint is in the journal, so no request is ever visible to a human
without the journal being able to find it again.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any, Generic, Literal, TypeVar

import flyte
from flyteplugins.hitl import _html
from flyteplugins.hitl._server import AppInfo, ensure_app, pid_alive
from flyteplugins.hitl._store import (
    DATA_TYPES,
    EventRequest,
    EventStore,
    Outcome,
    SlotTaken,
    new_request_id,
    parse_answer,
    type_name,
)

logger = logging.getLogger("flyteplugins.hitl")

T = TypeVar("T")

#: Where an event can be answered from; only the run that created it (and its reruns).
EventScope = Literal["run"]

#: List it in ``depends_on`` of the environments whose tasks create events (as on a cluster,
#: where it brings the event app). Locally the app is started on first need.
env = flyte.TaskEnvironment(name="hitl", description="Human-in-the-loop events: the event app (started on demand)")

#: A waiting event tries to restart a stopped app at most this often.
APP_RESTART_SECONDS = 5.0


@flyte.trace
def hitl_request_id(event_name: str) -> str:
    """Draw a new event's request id; a rerun replays the id from the journal."""
    return new_request_id()


class _SyncOrAio(Generic[T]):
    """A callable with a blocking form ``f(...)`` and an async form ``await f.aio(...)``."""

    def __init__(self, fn: Callable[..., T], aio: Callable[..., Coroutine[Any, Any, T]], doc: str | None):
        self._fn = fn
        self._aio = aio
        self.__doc__ = doc

    def __call__(self, *args: Any, **kwargs: Any) -> T:
        return self._fn(*args, **kwargs)

    async def aio(self, *args: Any, **kwargs: Any) -> T:
        return await self._aio(*args, **kwargs)


class _WaitMethod:
    """``event.wait()`` blocks; ``await event.wait.aio()`` does not block the event loop."""

    def __get__(self, event: Event | None, owner: type) -> Any:
        if event is None:
            return self
        return _SyncOrAio(event._wait_blocking, event._wait_async, Event._wait_blocking.__doc__)


class Event:
    """A question to a human, answered through the event app's form or JSON API.

    Attributes: ``name``, ``scope``, ``data_type``, ``prompt``, ``request_id``,
    ``timeout_seconds``, ``poll_interval_seconds``, ``deadline`` (epoch seconds), and the
    URLs ``endpoint``, ``form_url``, ``api_url``, ``status_url``, plus ``response_path``:
    where the app stores the answer (send it along in the JSON API, or leave it out).
    """

    wait = _WaitMethod()

    def __init__(self, request: EventRequest, app: AppInfo, store: EventStore, poll_interval_seconds: float):
        self._request = request
        self._app = app
        self._store = store
        self.name = request.event_name
        self.scope = request.scope
        self.data_type: type = DATA_TYPES[request.data_type]
        self.prompt = request.prompt
        self.request_id = request.request_id
        self.timeout_seconds = request.timeout_seconds
        self.poll_interval_seconds = poll_interval_seconds
        self.deadline = request.deadline
        self._set_app(app)
        self.response_path = str(store.response_path(request.request_id))
        self._reported = False
        self._next_restart = 0.0

    def _set_app(self, app: AppInfo) -> None:
        self._app = app
        self.endpoint = app.endpoint
        self.form_url = f"{app.endpoint}/form/{self.request_id}"
        self.api_url = f"{app.endpoint}/submit/json"
        self.status_url = f"{app.endpoint}/status/{self.request_id}"

    def __repr__(self) -> str:
        return (
            f"Event(name={self.name!r}, scope={self.scope!r}, data_type={self.data_type.__name__}, "
            f"request_id={self.request_id!r})"
        )

    def status(self) -> str:
        """``pending``, ``completed`` or ``timed_out``."""
        outcome = self._store.get_outcome(self.request_id)
        return "pending" if outcome is None else outcome.status

    # ------------------------------------------------------------------ waiting
    def _wait_blocking(self) -> Any:
        """Wait for the answer and return it as ``data_type``; ``TimeoutError`` when none came by the deadline."""
        while True:
            settled, value = self._check()
            if settled:
                return value
            time.sleep(self._sleep_seconds())

    async def _wait_async(self) -> Any:
        while True:
            settled, value = await asyncio.to_thread(self._check)
            if settled:
                return value
            await asyncio.sleep(self._sleep_seconds())

    def _sleep_seconds(self) -> float:
        return max(0.0, min(self.poll_interval_seconds, self.deadline - time.time()))

    def _check(self) -> tuple[bool, Any]:
        """One poll: (True, value) once answered; raises TimeoutError once past the deadline."""
        outcome = self._store.get_outcome(self.request_id)
        if outcome is None and time.time() >= self.deadline:
            try:
                outcome = self._store.claim(Outcome("timed_out", self.request_id, time.time()))
            except SlotTaken as taken:  # an answer arrived at the last moment: it counts
                outcome = taken.outcome
        if outcome is None:
            self._keep_app_serving()
            return False, None
        if not self._reported:
            self._reported = True
            _report(_html.report_outcome(self._request, outcome))
        if outcome.status == "completed":
            # The stored text is converted again, by this task's own type (the app checked it too).
            return True, parse_answer(outcome.text if outcome.text is not None else str(outcome.value),
                                      self._request.data_type)
        raise TimeoutError(
            f"Event {self.name!r} (request_id={self.request_id}) timed out after {self.timeout_seconds:g} seconds: "
            "no human input was received. Give people more time with new_event(..., timeout_seconds=...)."
        )

    def _keep_app_serving(self) -> None:
        # The app may have been stopped while the task waits; whoever waits brings it back. The
        # answer is read from the store, so failing to restart the app is no reason to stop waiting.
        if pid_alive(self._app.pid) or time.monotonic() < self._next_restart:
            return
        self._next_restart = time.monotonic() + APP_RESTART_SECONDS
        try:
            app = ensure_app(self._store)
        except Exception as e:
            logger.warning("HITL event %r: the event app is down and could not be restarted (%s); still waiting",
                           self.name, e)
            return
        moved = app.endpoint != self.endpoint
        self._set_app(app)
        if moved:  # the old port was taken meanwhile: say where the form is now
            _report(_html.report_section(self._request, self.form_url, app.endpoint, self.response_path))
            print(f"[hitl] The event app moved: event {self.name!r} is answered at {self.form_url}", file=sys.stderr)


# ---------------------------------------------------------------------------------------- creating


def _validate(name: Any, data_type: Any, scope: Any, prompt: Any, timeout_seconds: Any, poll_interval_seconds: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"hitl.new_event(name={name!r}): an event needs a non-empty name, e.g. 'review_decision'")
    kind = type_name(data_type)
    if scope != "run":
        raise ValueError(f"hitl.new_event(scope={scope!r}): the only scope is 'run'; leave scope out")
    if not isinstance(prompt, str):
        raise TypeError(f"hitl.new_event(prompt=...): the prompt is text, got {type(prompt).__name__}")
    for label, value in (("timeout_seconds", timeout_seconds), ("poll_interval_seconds", poll_interval_seconds)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"hitl.new_event({label}={value!r}): use a number of seconds above 0")
    return kind




def _create(
    name: str,
    data_type: type,
    scope: EventScope = "run",
    prompt: str = "Please provide a value",
    timeout_seconds: float = 3600,
    poll_interval_seconds: float = 5,
) -> Event:
    kind = _validate(name, data_type, scope, prompt, timeout_seconds, poll_interval_seconds)
    store = EventStore.for_home().ensure()
    app = ensure_app(store)
    context = flyte.ctx()
    request_id = hitl_request_id(name)
    if context:
        # The request id is a trace checkpoint: make it durable before anyone is asked.
        flyte.extend.commit_journal()
    now = time.time()
    request = store.create_request(
        EventRequest(
            request_id=request_id,
            event_name=name,
            scope=scope,
            prompt=prompt,
            data_type=kind,
            created_at=now,
            deadline=now + float(timeout_seconds),
            timeout_seconds=float(timeout_seconds),
            poll_interval_seconds=float(poll_interval_seconds),
            run_name=context.action.run_name,
            action_name=context.action.name,
            project=context.action.project,
            domain=context.action.domain,
        )
    )
    if request.data_type != kind or request.event_name != name:
        raise ValueError(
            f"Event {name!r} of action {context.action.name} was first created as {request.event_name!r} taking a "
            f"{request.data_type} (request {request.request_id}, run {request.run_name}); this call asks for {_a(kind)}. "
            "Give a different question its own event name."
        )
    event = Event(request, app, store, float(poll_interval_seconds))
    resumed = request.created_at != now
    _report(_html.report_section(request, event.form_url, app.endpoint, event.response_path))
    print(
        f"[hitl] {'Resumed' if resumed else 'New'} event {name!r} waits for {_a(kind)}: form {event.form_url} "
        f"(request_id {request.request_id})",
        file=sys.stderr,
    )
    return event


def _a(kind: str) -> str:
    return f"an {kind}" if kind == "int" else f"a {kind}"


def _report(section: str) -> None:
    """Add ``section`` to the running task's report and publish it (nothing outside a task)."""
    if not flyte.ctx():
        return
    try:
        flyte.report.log(section, do_flush=True)
    except Exception as e:  # the report is a view; waiting for the answer matters more
        logger.warning("Could not update the task's report with a HITL event: %s: %s", type(e).__name__, e)


async def _create_aio(*args: Any, **kwargs: Any) -> Event:
    return await asyncio.to_thread(functools.partial(_create, *args, **kwargs))


new_event: _SyncOrAio[Event] = _SyncOrAio(
    _create,
    _create_aio,
    doc="""Create an event that asks a human for a value; ``await hitl.new_event.aio(...)`` in async code.

    Args:
        name: What is asked, shown in the form, the report and the logs.
        data_type: The answer's type: ``int``, ``float``, ``str`` or ``bool`` (true/false, 1/0, yes/no).
        scope: ``"run"``, the only scope.
        prompt: The question shown on the form.
        timeout_seconds: How long the answer may take; then ``wait`` raises ``TimeoutError``.
        poll_interval_seconds: How often ``wait`` looks for the answer.

    The event app is started (on loopback) if it is not running. The task's report shows the
    prompt, a link to the form, the request id and a curl command for the JSON API. In a rerun
    of a run (``flyte.rerun``) the same call finds the same request, with its original
    deadline and any answer given since.
    """,
)
