"""The event app: a FastAPI app over the event store (served by ``_server.py``).

Routes:

- ``GET /health``: ``{"status": "healthy", "store": ..., "pid": ...}``
- ``GET /``: the events waiting for an answer, as a page with links to their forms
- ``GET /pending``: the same as JSON
- ``GET /form/{request_id}``: the form of one event
- ``POST /submit``: the form's post (``application/x-www-form-urlencoded``, with its token)
- ``POST /submit/json``: ``{"request_id", "value", "data_type"?, "response_path"?}``
- ``GET /status/{request_id}``: ``pending``, ``completed`` or ``timed_out``

Answers: 200 stored; 400 a value that is not of the event's type, or a ``data_type`` /
``response_path`` that does not match the event; 403 a form post without its token, or from
another site; 404 an unknown request id; 409 the event was answered already; 410 the event
timed out; 413 a body over ``MAX_BODY_BYTES``; 415 a body of the wrong content type. Nothing is
stored unless the answer is 200. The store decides where answers go; paths from clients are
only compared with the event's own, never used.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.parse
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from flyteplugins.hitl import _html
from flyteplugins.hitl._store import EventRequest, EventStore, Outcome, SlotTaken, is_request_id

#: The largest request body accepted (an answer is short text).
MAX_BODY_BYTES = 64 * 1024
SUCCESS_MESSAGE = "Input received successfully. The workflow will continue."

_HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # no-referrer would make browsers send `Origin: null`
    "Cache-Control": "no-store",
}
_LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1", "[::1]"}


class Rejection(Exception):
    """An answer the app does not store: the HTTP status and why."""

    def __init__(self, status: int, detail: str, outcome: Outcome | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.outcome = outcome


def create_app(
    store: EventStore,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    idle_seconds: float | None = None,
    on_idle: Callable[[], None] | None = None,
) -> Any:
    """The ASGI app serving ``store`` (FastAPI inside a guard that checks hosts, origins and body sizes).

    ``host``/``port`` are where it listens: requests naming another host are refused (a web page
    cannot reach the app through DNS rebinding). With ``idle_seconds`` and ``on_idle``, the app
    calls ``on_idle`` once no event is pending and no request came for that long.
    """
    store.ensure()
    activity = {"last": time.monotonic()}

    async def watch_idle() -> None:
        assert idle_seconds is not None and on_idle is not None
        while True:
            await asyncio.sleep(min(max(idle_seconds / 4, 0.05), 5.0))
            quiet = time.monotonic() - activity["last"]
            if quiet >= idle_seconds and not await asyncio.to_thread(_pending, store):
                on_idle()
                return

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        watcher = asyncio.create_task(watch_idle()) if idle_seconds is not None and on_idle is not None else None
        try:
            yield
        finally:
            if watcher is not None:
                watcher.cancel()

    app = FastAPI(title="Human-in-the-loop events", version="1.0.0", lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url=None)

    # ------------------------------------------------------------------ reading
    @app.get("/health")
    def get_health() -> dict[str, Any]:
        return {"status": "healthy", "store": str(store.root), "pid": os.getpid()}

    @app.get("/pending")
    def get_pending() -> dict[str, Any]:
        return {"events": [_summary(store, r) for r in _pending(store)]}

    @app.get("/", response_class=HTMLResponse)
    def get_index() -> HTMLResponse:
        return HTMLResponse(_html.index_page(_pending(store)), headers=_HTML_HEADERS)

    @app.get("/status/{request_id}")
    def get_status(request_id: str) -> JSONResponse:
        event = store.get_request(request_id)
        if event is None:
            return JSONResponse({"detail": _unknown(request_id)}, status_code=404)
        outcome = store.get_outcome(request_id)
        body = _summary(store, event)
        body["status"] = outcome.status if outcome is not None else "pending"
        if outcome is not None:
            body["settled_at"] = outcome.at
            if outcome.status == "completed":
                body["value"] = outcome.value
        return JSONResponse(body)

    @app.get("/form/{request_id}", response_class=HTMLResponse)
    def get_form(request_id: str) -> HTMLResponse:
        event = store.get_request(request_id)
        if event is None:
            return _html_page("Unknown event", _unknown(request_id), 404)
        outcome = store.get_outcome(request_id)
        if outcome is not None:
            rejection = _settled(event, outcome)
            return _html_page("Already settled", rejection.detail, rejection.status, event)
        return HTMLResponse(_html.form_page(event, store.form_token(request_id)), headers=_HTML_HEADERS)

    # ------------------------------------------------------------------ answering
    @app.post("/submit/json")
    async def post_json(request: Request) -> JSONResponse:
        if _media_type(request) != "application/json":
            return JSONResponse(
                {"detail": "Send the answer as JSON with the header `Content-Type: application/json`"}, status_code=415
            )
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError) as e:
            return JSONResponse({"detail": f"The body is not valid JSON: {e}"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"detail": "The body must be a JSON object with request_id and value"}, status_code=400)
        try:
            event, outcome = await asyncio.to_thread(_answer, store, body, "json")
        except Rejection as r:
            content: dict[str, Any] = {"detail": r.detail}
            if r.outcome is not None:
                content["status"] = r.outcome.status
            return JSONResponse(content, status_code=r.status)
        return JSONResponse(
            {
                "status": "submitted",
                "request_id": event.request_id,
                "event_name": event.event_name,
                "value": outcome.value,
                "data_type": event.data_type,
                "message": SUCCESS_MESSAGE,
            }
        )

    @app.post("/submit", response_class=HTMLResponse)
    async def post_form(request: Request) -> HTMLResponse:
        if _media_type(request) != "application/x-www-form-urlencoded":
            return _html_page("Not accepted", "The form must be posted as application/x-www-form-urlencoded.", 415)
        try:
            fields = _form_fields((await request.body()).decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            return _html_page("Not accepted", f"The form data could not be read: {e}", 400)
        request_id = fields.get("request_id", "")
        event = store.get_request(request_id)
        if event is None:
            return _html_page("Unknown event", _unknown(request_id), 404)
        if not store.check_form_token(request_id, fields.get("csrf_token")):
            return _html_page(
                "Not accepted",
                "This answer was not accepted: the form's anti-forgery token is missing or wrong. "
                "Open the form from the task's report and submit it there.",
                403,
                event,
            )
        try:
            event, _outcome = await asyncio.to_thread(_answer, store, fields, "form")
        except Rejection as r:
            if r.status == 400:  # a bad value: show the form again, with what was wrong
                page = _html.form_page(event, store.form_token(request_id), error=r.detail, value=fields.get("value", ""))
                return HTMLResponse(page, status_code=400, headers=_HTML_HEADERS)
            return _html_page("Not accepted", r.detail, r.status, event)
        return _html_page("Thank you", f"{SUCCESS_MESSAGE} Your answer: {fields['value']}", 200, event)

    guarded = _Guard(app, host=host, port=port)

    # Any request keeps the idle app alive.
    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            activity["last"] = time.monotonic()
        await guarded(scope, receive, send)

    asgi.fastapi = app  # type: ignore[attr-defined]
    return asgi


# ---------------------------------------------------------------------------------------- answering


def _answer(store: EventStore, body: dict[str, Any], via: str) -> tuple[EventRequest, Outcome]:
    """Validate a submission against its event and store it; ``Rejection`` says why it was not stored."""
    request_id = body.get("request_id")
    event = store.get_request(request_id) if isinstance(request_id, str) else None
    if event is None:
        raise Rejection(404, _unknown(request_id))
    claimed_type = body.get("data_type")
    if claimed_type not in (None, "", event.data_type):
        raise Rejection(
            400,
            f"data_type {claimed_type!r:.40} does not match event {event.event_name!r}, which takes "
            f"{event.data_type!r}; send data_type {event.data_type!r} or leave it out",
        )
    response_path = str(store.response_path(event.request_id))
    claimed_path = body.get("response_path")
    if claimed_path not in (None, "", response_path):
        raise Rejection(
            400,
            f"response_path {claimed_path!r:.200} is not where event {event.event_name!r} keeps its answer; "
            "the app decides that: send the response_path shown in the task's report, or leave it out",
        )
    if "value" not in body or body["value"] is None:
        raise Rejection(400, f"No value: event {event.event_name!r} takes a {event.data_type}")
    text = _value_text(body["value"], event)
    outcome = store.get_outcome(event.request_id)
    if outcome is not None:
        raise _settled(event, outcome)
    try:
        return event, store.answer(event, text, via)
    except ValueError as e:
        raise Rejection(400, f"{e}. Event {event.event_name!r} takes a {event.data_type}.") from None
    except SlotTaken as taken:
        raise _settled(event, taken.outcome) from None


def _value_text(value: Any, event: EventRequest) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    raise Rejection(
        400,
        f"value must be a string, a number or true/false, got {type(value).__name__}; "
        f"event {event.event_name!r} takes a {event.data_type}",
    )


def _settled(event: EventRequest, outcome: Outcome) -> Rejection:
    if outcome.status == "timed_out":
        return Rejection(
            410, f"Event {event.event_name!r} timed out: the answer was due by its deadline and none came.", outcome
        )
    return Rejection(
        409, f"Event {event.event_name!r} was answered already ({json.dumps(outcome.value)}); the first answer wins.",
        outcome,
    )


def _unknown(request_id: Any) -> str:
    if not is_request_id(request_id):
        return f"{request_id!r:.60} is not an event's request id (ids are 32 characters of A-Z, a-z, 0-9, '-', '_')"
    return f"No event has request id {request_id!r}; see GET /pending for the events waiting for an answer"


def _form_fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for key, value in urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=20):
        if key in fields:
            raise ValueError(f"field {key!r} is given twice")
        fields[key] = value
    return fields


# ---------------------------------------------------------------------------------------- helpers


def _pending(store: EventStore) -> list[EventRequest]:
    now = time.time()
    return [r for r in store.list_requests() if r.deadline > now and not store.has_outcome(r.request_id)]


def _summary(store: EventStore, event: EventRequest) -> dict[str, Any]:
    return {
        "request_id": event.request_id,
        "event_name": event.event_name,
        "prompt": event.prompt,
        "data_type": event.data_type,
        "scope": event.scope,
        "run_name": event.run_name,
        "action_name": event.action_name,
        "created_at": event.created_at,
        "deadline": event.deadline,
        "form_url": f"/form/{event.request_id}",
        "response_path": str(store.response_path(event.request_id)),
    }


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _html_page(title: str, message: str, status: int, event: EventRequest | None = None) -> HTMLResponse:
    return HTMLResponse(_html.result_page(title, message, ok=status == 200, request=event), status_code=status,
                        headers=_HTML_HEADERS)


class _Guard:
    """ASGI guard: refuses foreign Host headers, cross-site posts and bodies over MAX_BODY_BYTES."""

    def __init__(self, app: Any, *, host: str, port: int):
        self.app = app
        wildcard = host in ("0.0.0.0", "::", "")
        self.allowed_hosts: set[str] | None = None if wildcard else {*_LOOPBACK_NAMES, host, f"[{host}]"}
        self.port = port

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host_header = headers.get("host", "")
        if self.allowed_hosts is not None and _hostname(host_header) not in self.allowed_hosts:
            await _plain(send, 403, f"Host {host_header!r} is not served here; use the app's own address")
            return
        if scope["method"] == "POST":
            origin = headers.get("origin")
            if origin is not None and _origin_host(origin) != host_header.lower():
                await _plain(send, 403, f"Cross-site submission from origin {origin!r} refused")
                return
            if headers.get("sec-fetch-site") == "cross-site":
                await _plain(send, 403, "Cross-site submission refused")
                return
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                await _plain(send, 400, f"Content-Length {length!r} is not a number")
                return
            if int(length) > MAX_BODY_BYTES:
                await _plain(send, 413, f"Request body of {length} bytes is over the limit of {MAX_BODY_BYTES} bytes")
                return
        # Read the body now (bounded, also when it is chunked) and hand it on in one piece.
        chunks: list[bytes] = []
        size = 0
        more = scope["method"] in ("POST", "PUT", "PATCH")
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                await _plain(send, 413, f"Request body is over the limit of {MAX_BODY_BYTES} bytes")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        delivered = False

        async def replay() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", []), (b"x-content-type-options", b"nosniff")]
            await send(message)

        await self.app(scope, replay, send_with_headers)


def _hostname(host_header: str) -> str:
    host = host_header.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _origin_host(origin: str) -> str:
    parsed = urllib.parse.urlsplit(origin)
    return parsed.netloc.lower() if parsed.scheme in ("http", "https") else ""


async def _plain(send: Any, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                        (b"x-content-type-options", b"nosniff")],
        }
    )
    await send({"type": "http.response.body", "body": body})
