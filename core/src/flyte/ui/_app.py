"""The UI's web application (FastAPI): pages, the fragments a page refreshes, actions, reports and data.

Everything is read from the journal of one ``FLYTE_HOME`` through ``RunJournal``'s query API, as
``flyte runs`` reads it; aborts go through ``RunJournal.request_abort`` like ``flyte abort``;
reruns run ``flyte rerun`` in a process of their own, so user code never runs in the server.

Safety: requests must name a loopback host (no DNS rebinding) unless the server was bound to
another address on purpose; state-changing requests need the page's CSRF token in a header, a
JSON body and, when the browser sends one, the UI's own ``Origin``; pages allow only the UI's
own scripts and cannot be framed; reports and stored data are served with a sandboxing
Content-Security-Policy (and framed with ``sandbox``), so their scripts run in an opaque origin
with no access to the UI.
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
import os
import posixpath
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Body, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles

from flyte._runtime.journal import RunJournal, RunRecord, journal
from flyte.models import ActionPhase
from flyte.ui import _html as h
from flyte.ui._tree import RunTree
from flyte.ui._values import DataRef, ValueRenderer, data_refs, decode, full_text

STATIC = Path(__file__).parent / "static"
LOG_TAIL_CHARS = 64_000

UI_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# A report's scripts run (it is a page of the task's HTML), in an opaque origin: no access to
# the UI's DOM, storage or API, even when the report is opened on its own.
REPORT_CSP = (
    "sandbox allow-scripts allow-popups allow-popups-to-escape-sandbox allow-forms allow-modals allow-downloads; "
    "frame-ancestors 'self'"
)
DATA_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'none'"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_SHOWN_AS_TEXT = {"application/json", "application/x-yaml", "application/yaml", "application/xml", "application/x-sh"}


@dataclass
class Settings:
    """What the application needs to know about where it serves."""

    home: Path
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    #: ``Host`` header values accepted; ``None`` accepts any (a server bound to a non-loopback address).
    allowed_hosts: set[str] | None = field(default_factory=set)

    def bind(self, host: str, port: int) -> None:
        """Accept requests for ``host:port``; a loopback host also accepts the other loopback names."""
        if host in ("127.0.0.1", "localhost", "::1", "[::1]"):
            self.allowed_hosts = {f"{name}:{port}" for name in LOOPBACK_HOSTS}
        else:
            self.allowed_hosts = None


class _Guard:
    """ASGI middleware: the Host check, the CSRF check of state-changing requests, security headers."""

    def __init__(self, app: Any, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "").lower()
        allowed = self.settings.allowed_hosts
        if allowed is not None and host not in allowed:
            await _plain(send, 421, f"This Flyte UI answers requests for {', '.join(sorted(allowed))} only, not {host!r}.")
            return
        if scope["method"] not in ("GET", "HEAD"):
            problem = self._forgery(headers, host)
            if problem:
                await _plain(send, 403, problem)
                return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy", UI_CSP.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"cache-control", b"max-age=3600" if static else b"no-store"),
                ]
                message["headers"] = list(message.get("headers", [])) + [(k, v) for k, v in extra if k not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _forgery(self, headers: dict[str, str], host: str) -> str | None:
        token = headers.get("x-flyte-csrf", "")
        if not hmac.compare_digest(token.encode(), self.settings.csrf_token.encode()):
            return "Missing or wrong CSRF token: use the buttons of the UI's pages (the X-Flyte-CSRF header)."
        origin = headers.get("origin")
        if origin is not None and origin.lower() != f"http://{host}":
            return f"Cross-origin request from {origin!r} refused."
        if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return "Cross-site request refused."
        if not headers.get("content-type", "").startswith("application/json"):
            return "State-changing requests must send JSON (Content-Type: application/json)."
        return None


async def _plain(send: Any, status: int, text: str) -> None:
    body = text.encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})


class Reruns:
    """Reruns started from the UI: each is ``flyte rerun`` in a process of its own."""

    def __init__(self, home: Path):
        self.home = home
        self._procs: dict[str, tuple[subprocess.Popen, Path]] = {}
        self._lock = threading.Lock()

    def start(self, run: RunRecord, new_name: str) -> None:
        log = self.home / "ui" / "reruns" / f"{new_name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "FLYTE_HOME": str(self.home), "FLYTE_PROGRESS": "off"}
        command = [sys.executable, "-c", "from flyte.cli import main; main()", "rerun", "--name", new_name, run.name]
        with open(log, "wb") as out:
            # A session of its own: stopping the UI (Ctrl+C) does not stop a rerun it started.
            proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                cwd=str(Path(run.source or ".").parent), env=env, start_new_session=True,
            )
        with self._lock:
            self._procs[new_name] = (proc, log)

    def status(self, name: str, j: RunJournal) -> tuple[str, str]:
        """(``starting`` | ``started`` | ``failed`` | ``unknown``, a message)."""
        with self._lock:
            entry = self._procs.get(name)
        started = j.get_run(name) is not None
        if entry is None:
            return ("started", "") if started else ("unknown", f"No rerun named {name!r} was started by this UI")
        proc, log = entry
        code = proc.poll()  # also reaps a finished process
        if started:
            return "started", ""
        if code is None:
            return "starting", ""
        text = log.read_text(errors="replace") if log.exists() else ""
        lines = [line for line in text.splitlines() if line.strip()]
        message = next((line for line in reversed(lines) if line.startswith("Error:")), lines[-1] if lines else "")
        return "failed", message or f"flyte rerun exited with code {code}"

    def reap(self) -> None:
        with self._lock:
            for proc, _ in self._procs.values():
                proc.poll()

    def wait(self, timeout: float) -> dict[str, int | None]:
        """Wait up to ``timeout`` seconds for every rerun started here to end; their exit codes (None: still running)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            procs = dict(self._procs)
        codes: dict[str, int | None] = {}
        for name, (proc, _) in procs.items():
            try:
                codes[name] = proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                codes[name] = None
        return codes


def _digest(value: Any) -> str:
    return hashlib.sha1(repr(value).encode()).hexdigest()[:20]


def _static_version() -> str:
    digest = hashlib.sha1()
    for path in sorted(STATIC.iterdir()):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


class _NotFound(Exception):
    pass


class _Conflict(Exception):
    pass


def create_app(settings: Settings) -> FastAPI:
    """The UI application over the journal of ``settings.home``."""
    app = FastAPI(title="Flyte UI", docs_url=None, redoc_url=None, openapi_url=None)
    ui = _UI(settings)
    app.state.ui = ui
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(_NotFound)
    async def not_found(request: Request, exc: _NotFound) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc)}, status_code=404)
        return HTMLResponse(ui.page_kw_error("Not found", str(exc)), status_code=404)

    @app.exception_handler(_Conflict)
    async def conflict(request: Request, exc: _Conflict) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=409)

    # ------------------------------------------------------------------ pages
    @app.get("/", response_class=HTMLResponse)
    def runs_page(phase: str = "", q: str = "", limit: int = 100) -> HTMLResponse:
        query = ui.runs_query(phase, q, limit)
        body = h.runs_body(query, ui.runs_table(query))
        return HTMLResponse(ui.page("Runs", body, {"data-page": "runs"}))

    @app.get("/fragments/runs", response_class=HTMLResponse)
    def runs_fragment(phase: str = "", q: str = "", limit: int = 100) -> HTMLResponse:
        return HTMLResponse(ui.runs_table(ui.runs_query(phase, q, limit)))

    @app.get("/runs/{run_name}", response_class=HTMLResponse)
    def run_page(run_name: str, action: str | None = None) -> HTMLResponse:
        return HTMLResponse(ui.run_page(run_name, action))

    # ------------------------------------------------------------------ live updates
    @app.get("/api/runs/{run_name}/poll")
    def poll(run_name: str, action: str | None = None) -> dict[str, Any]:
        return ui.poll(run_name, action)

    @app.post("/api/runs/{run_name}/view")
    def view(run_name: str, body: dict[str, Any] = Body(default_factory=dict)) -> dict[str, Any]:
        return ui.view(run_name, body)

    # ------------------------------------------------------------------ actions
    @app.post("/api/runs/{run_name}/abort")
    def abort(run_name: str, body: dict[str, Any] = Body(default_factory=dict)) -> dict[str, Any]:
        return ui.abort(run_name, body.get("action"))

    @app.post("/api/runs/{run_name}/rerun")
    def rerun(run_name: str) -> dict[str, Any]:
        return ui.rerun(run_name)

    @app.get("/api/reruns/{name}")
    def rerun_status(name: str) -> dict[str, Any]:
        state, message = ui.reruns.status(name, ui.journal)
        return {"run": name, "state": state, "message": message, "url": h.run_href(name)}

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        return {"flyte_home": str(settings.home), "pid": os.getpid()}

    # ------------------------------------------------------------------ reports, logs, values, data
    @app.get("/runs/{run_name}/actions/{action_id}/report")
    def report(run_name: str, action_id: str, embed: int = 0) -> Response:
        return ui.report(run_name, action_id, bool(embed))

    @app.get("/runs/{run_name}/actions/{action_id}/logs")
    def logs(run_name: str, action_id: str) -> Response:
        record = ui.action(run_name, action_id)
        text = "".join(r.text for r in ui.journal.get_logs(run_name, record.action_id))
        return PlainTextResponse(text, headers={"content-security-policy": DATA_CSP})

    @app.get("/runs/{run_name}/actions/{action_id}/values/{which}/{name}")
    def value(run_name: str, action_id: str, which: str, name: str) -> Response:
        if which not in ("inputs", "outputs"):
            raise _NotFound(f"{which!r} is neither inputs nor outputs")
        values = decode(ui.action(run_name, action_id), which) or []
        found = next((v for v in values if v.name == name), None)
        if found is None:
            raise _NotFound(f"Action {action_id} of run {run_name} has no {which[:-1]} {name!r}")
        return PlainTextResponse(full_text(found), headers={"content-security-policy": DATA_CSP})

    @app.get("/runs/{run_name}/actions/{action_id}/data")
    def data(run_name: str, action_id: str, uri: str) -> Response:
        return ui.data(run_name, action_id, uri)

    app.add_middleware(_Guard, settings=settings)
    return app


class _UI:
    """The application's behaviour, apart from the routing."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.home = settings.home
        self.journal = journal(settings.home)
        self.reruns = Reruns(settings.home)
        self.static_version = _static_version()

    # ------------------------------------------------------------------ helpers
    def page(self, title: str, body: str, attrs: dict[str, str] | None = None) -> str:
        return h.page(title, body, csrf=self.settings.csrf_token, home=self.home, body_attrs=attrs,
                      static_version=self.static_version)

    def page_kw_error(self, title: str, message: str) -> str:
        return h.error_page(title, message, csrf=self.settings.csrf_token, home=self.home,
                            static_version=self.static_version)

    def get_run(self, name: str) -> RunRecord:
        run = self.journal.get_run(name)
        if run is None:
            raise _NotFound(f"No run named {name!r} in {self.journal.path}")
        return self.journal.reconcile(run)

    def action(self, run_name: str, action_id: str) -> Any:
        record = self.journal.get_action(run_name, action_id)
        if record is None:
            raise _NotFound(f"Run {run_name!r} has no action {action_id!r}")
        return record

    def rerun_blocker(self, run: RunRecord) -> str | None:
        if not ActionPhase(run.phase).is_terminal:
            return f"Run {run.name} is still {run.phase}; wait for it or abort it first"
        if not run.source:
            return f"Run {run.name}'s task {run.task_name} was not defined in a file; rerun it from Python with task="
        if not Path(run.source).is_file():
            return f"{run.source}, which defined {run.task_name}, is not there any more"
        return None

    # ------------------------------------------------------------------ runs page
    def runs_query(self, phase: str, q: str, limit: int) -> h.RunsQuery:
        phase = phase.strip().lower()
        if phase and phase not in h.PHASES:
            raise _NotFound(f"{phase!r} is not a phase; phases: {', '.join(h.PHASES)}")
        return h.RunsQuery(phase=phase, q=q.strip(), limit=max(1, min(limit, 10_000)))

    def runs_table(self, query: h.RunsQuery) -> str:
        runs = self.journal.list_runs(query.limit, query.phase or None, query.q or None)
        runs = [r if ActionPhase(r.phase).is_terminal else self.journal.reconcile(r) for r in runs]
        if query.phase:
            runs = [r for r in runs if r.phase == query.phase]
        counts = self.journal.count_phases_of_runs([r.name for r in runs])
        return h.runs_table(runs, counts, query, self.home)

    # ------------------------------------------------------------------ run page
    def run_page(self, run_name: str, action: str | None) -> str:
        run = self.get_run(run_name)
        signature = _digest(self.journal.run_signature(run_name))
        tree = RunTree(self.journal.action_summaries(run_name))
        selected = action if action in tree.by_id else (run.root_action if run.root_action in tree.by_id else None)
        state = h.TreeState(selected=selected, reveal=True)
        tree_html = h.TreeRenderer(tree, run_name, state).render()
        head = h.run_head(run, tree.phase_counts(), self.rerun_blocker(run))
        detail, report, action_sig = ("", None, "")
        if selected:
            action_sig = _digest(self.journal.action_signature(run_name, selected))
            top, bottom, report = self.detail(run, selected, tree)
            detail = h.detail_shell(top, bottom)
        else:
            detail = '<p class="muted">Select an action to see its details.</p>'
        attrs = {
            "data-page": "run",
            "data-run": run_name,
            "data-terminal": "1" if ActionPhase(run.phase).is_terminal else "0",
            "data-run-sig": signature,
            "data-action-sig": action_sig,
            "data-report-src": report["src"] if report else "",
            "data-report-version": report["version"] if report else "",
        }
        body = h.run_body(run_name, head, tree_html, detail, selected)
        return self.page(f"Run {run_name}", body, attrs)

    def detail(self, run: RunRecord, action_id: str, tree: RunTree | None) -> tuple[str, str, dict[str, str] | None]:
        """(top of the action's panel, its bottom, where its report is and which version)."""
        record = self.action(run.name, action_id)
        attempts = self.journal.list_attempts(run.name, action_id)
        if tree is not None:
            n_children = len(tree.children.get(action_id, ()))
        else:
            n_children = sum(1 for row in self.journal.action_summaries(run.name) if row[1] == action_id)
        abortable = not ActionPhase(run.phase).is_terminal and not ActionPhase(record.phase).is_terminal
        top = h.action_detail_top(run.name, record, attempts, n_children, abortable)
        base = h.action_base(run.name, action_id)
        renderer = ValueRenderer(lambda ref: f"{base}/data?{urlencode({'uri': ref.uri})}")
        terminal = ActionPhase(record.phase).is_terminal

        def render(which: str) -> str:
            try:
                values = decode(record, which)
            except Exception as exc:  # a payload that cannot be read must not hide the rest of the panel
                return f'<p class="v-error">could not read the {which}: {h.e(type(exc).__name__)}: {h.e(exc)}</p>'
            if values is None:
                if which == "outputs" and not terminal:
                    return '<p class="muted">not yet: the action has not finished</p>'
                if which == "outputs" and record.phase != ActionPhase.SUCCEEDED.value:
                    return f'<p class="muted">none: the action {h.e(record.phase.replace("_", " "))}</p>'
                return '<p class="muted">none</p>'
            return renderer.render_all(values, lambda name: f"{base}/values/{which}/{h.q(name)}")

        logs, truncated = self.journal.tail_logs(run.name, action_id, LOG_TAIL_CHARS)
        bottom = h.action_detail_bottom(render("inputs"), render("outputs"), logs, truncated, f"{base}/logs")
        report = None
        if record.report_uri:
            report = {"src": f"{base}/report?embed=1", "version": self.report_version(record.report_uri)}
        return top, bottom, report

    @staticmethod
    def report_version(uri: str | None) -> str:
        if not uri:
            return ""
        from flyte._runtime.blobstore import local_path, protocol_of, storage_for

        try:
            if protocol_of(uri) == "file":
                st = local_path(uri).stat()
                return f"{st.st_mtime_ns}-{st.st_size}"
            return str(storage_for(uri).size(uri))
        except (OSError, ValueError):
            return "missing"

    def poll(self, run_name: str, action: str | None) -> dict[str, Any]:
        record = self.journal.get_run(run_name)
        if record is None:
            raise _NotFound(f"No run named {run_name!r} in {self.journal.path}")
        if not ActionPhase(record.phase).is_terminal:
            record = self.journal.reconcile(record)
        result: dict[str, Any] = {
            "run": _digest(self.journal.run_signature(run_name)),
            "terminal": ActionPhase(record.phase).is_terminal,
            "phase": record.phase,
        }
        if action:
            signature = self.journal.action_signature(run_name, action)
            result["action"] = _digest(signature)
            result["report"] = self.report_version(signature[4] if signature else None)
        self.reruns.reap()
        return result

    def view(self, run_name: str, body: dict[str, Any]) -> dict[str, Any]:
        """Fragments of the run page for its script: ``head``, ``tree`` and ``detail`` (the selected action)."""
        run = self.get_run(run_name)
        asked = body.get("parts")
        parts: list[Any] = asked if isinstance(asked, list) else ["head", "tree", "detail"]
        state = h.TreeState.from_json(body)
        result: dict[str, Any] = {
            "run": _digest(self.journal.run_signature(run_name)),
            "terminal": ActionPhase(run.phase).is_terminal,
            "phase": run.phase,
        }
        tree = None
        if "head" in parts or "tree" in parts:
            tree = RunTree(self.journal.action_summaries(run_name))
            if "head" in parts:
                result["head"] = h.run_head(run, tree.phase_counts(), self.rerun_blocker(run))
            if "tree" in parts:
                result["tree"] = h.TreeRenderer(tree, run_name, state).render()
        if "detail" in parts and state.selected:
            result["action"] = _digest(self.journal.action_signature(run_name, state.selected))
            top, bottom, report = self.detail(run, state.selected, tree)
            result["detail"] = {"id": state.selected, "top": top, "bottom": bottom, "report": report}
        return result

    # ------------------------------------------------------------------ abort and rerun
    def abort(self, run_name: str, action_id: Any) -> dict[str, Any]:
        run = self.get_run(run_name)
        if ActionPhase(run.phase).is_terminal:
            raise _Conflict(f"Run {run_name} already finished ({run.phase}); nothing to abort")
        target = run.root_action
        if action_id:
            record = self.action(run_name, str(action_id))
            if ActionPhase(record.phase).is_terminal:
                raise _Conflict(f"Action {record.short_name} ({record.action_id}) already finished ({record.phase})")
            target = record.action_id
        self.journal.request_abort(run_name, target, "aborted from the UI")
        what = f"action {target}" if action_id else "the run"
        return {"message": f"Abort requested for {what} of {run_name}", "action": target}

    def rerun(self, run_name: str) -> dict[str, Any]:
        from flyte._runtime.run import _new_run_name

        run = self.get_run(run_name)
        blocker = self.rerun_blocker(run)
        if blocker:
            raise _Conflict(blocker)
        new_name = _new_run_name(run.task_name)
        self.reruns.start(run, new_name)
        return {
            "run": new_name,
            "status": f"/api/reruns/{h.q(new_name)}",
            "url": h.run_href(new_name),
            "message": f"Rerunning {run_name} as {new_name}",
        }

    # ------------------------------------------------------------------ reports and data
    def report(self, run_name: str, action_id: str, embed: bool) -> Response:
        from flyte._runtime.blobstore import storage_for

        record = self.action(run_name, action_id)
        if not record.report_uri:
            raise _NotFound(f"Action {action_id} of run {run_name} has no report")
        try:
            with storage_for(record.report_uri).open_read(record.report_uri) as f:
                text = f.read().decode("utf-8", errors="replace")
        except OSError as exc:
            raise _NotFound(f"The report of action {action_id} ({record.report_uri}) cannot be read: {exc}") from exc
        if embed:
            bridge = h.report_bridge()
            cut = text.lower().rfind("</body>")
            text = text[:cut] + bridge + text[cut:] if cut >= 0 else text + bridge
        return HTMLResponse(text, headers={"content-security-policy": REPORT_CSP, "x-frame-options": "SAMEORIGIN"})

    def data(self, run_name: str, action_id: str, uri: str) -> Response:
        """Stored data an input or output of the action refers to (a file, or a directory's listing)."""
        from flyte._runtime.blobstore import local_path, protocol_of, storage_for

        record = self.action(run_name, action_id)
        refs: list[DataRef] = []
        for which in ("inputs", "outputs"):
            try:
                refs += data_refs(decode(record, which))
            except Exception:
                continue
        ref = _referenced(refs, uri)
        if ref is None:
            raise _NotFound(f"{uri!r} is not data of an input or output of action {action_id} of run {run_name}")
        storage = storage_for(uri)
        try:
            is_dir = storage.is_dir(uri)
        except (OSError, ValueError) as exc:
            raise _NotFound(f"{uri} cannot be read: {exc}") from exc
        base = h.action_base(run_name, action_id)
        if is_dir:
            entries = []
            for file_uri in sorted(storage.list_files(uri))[:5_000]:
                name = file_uri[len(uri.rstrip("/")) + 1 :] if file_uri.startswith(uri.rstrip("/")) else file_uri
                try:
                    size: int | None = storage.size(file_uri)
                except (OSError, ValueError):
                    size = None
                entries.append((name, f"{base}/data?{urlencode({'uri': file_uri})}", size))
            preview = _preview(ref, uri) if ref.kind == "dataframe" and ref.uri == uri else ""
            title = f"{ref.kind.capitalize()} {ref.name}"
            return HTMLResponse(self.page(title, h.data_listing(title, uri, entries, preview), {"data-page": "data"}))
        name = uri.rstrip("/").rsplit("/", 1)[-1]
        media = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if media in _SHOWN_AS_TEXT or (media.startswith("text/") and media != "text/html"):
            media = "text/plain; charset=utf-8"  # shown in the browser rather than downloaded
        disposition = "attachment" if media == "application/octet-stream" else "inline"
        headers = {"content-security-policy": DATA_CSP, "content-disposition": f"{disposition}; filename*=UTF-8''{h.q(name)}"}
        if protocol_of(uri) == "file":
            path = local_path(uri)
            if not path.is_file():
                raise _NotFound(f"{uri} is not there any more")
            return FileResponse(path, media_type=media, headers=headers)
        stream = storage.open_read(uri)

        def chunks() -> Any:
            with stream:
                while chunk := stream.read(1 << 20):
                    yield chunk

        return StreamingResponse(chunks(), media_type=media, headers=headers)


def _referenced(refs: list[DataRef], uri: str) -> DataRef | None:
    """The reference ``uri`` is (or lies inside, for a directory); ``None`` if it is none of them."""
    from flyte._runtime.blobstore import local_path, protocol_of

    for ref in refs:
        if uri == ref.uri:
            return ref
    if any(part == ".." for part in uri.replace("\\", "/").split("/")):
        return None
    for ref in refs:
        if ref.kind == "file":
            continue
        if protocol_of(uri) == "file" and protocol_of(ref.uri) == "file":
            inner, outer = local_path(uri).resolve(), local_path(ref.uri).resolve()
            if outer in inner.parents:
                return ref
        elif protocol_of(uri) == protocol_of(ref.uri):
            prefix = ref.uri.rstrip("/") + "/"
            if uri.startswith(prefix) and posixpath.normpath(uri.split("://", 1)[-1]).startswith(
                posixpath.normpath(prefix.split("://", 1)[-1])
            ):
                return ref
    return None


def _preview(ref: DataRef, uri: str) -> str:
    """The first rows of a local parquet dataframe, when pyarrow is installed."""
    from flyte._runtime.blobstore import local_path, protocol_of

    if protocol_of(uri) != "file" or (ref.format and ref.format != "parquet"):
        return ""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return ""
    path = local_path(uri)
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")) if path.is_dir() else [path]
    try:
        total = 0
        first = None
        for f in files:
            pf = pq.ParquetFile(f)
            total += pf.metadata.num_rows
            if first is None:
                first = next(pf.iter_batches(batch_size=50), None)
        if first is None:
            return ""
        rows = [list(r.values()) for r in first.to_pylist()]
        return h.preview_table(list(first.schema.names), rows, total)
    except Exception:
        return ""
