"""HTML of the event app (form, result pages, index) and of the task's report section.

Every piece of text that comes from a task or a client (event names, prompts, ids, values,
paths, error messages) goes through :func:`esc`; nothing is interpolated raw. The app's pages
carry no script, so the app's Content-Security-Policy can forbid scripts altogether.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import shlex
from typing import Any

from flyteplugins.hitl._store import EventRequest, Outcome

#: An example answer per type, for the ready-to-run curl command of the report.
EXAMPLE_VALUES = {"bool": "true", "int": "42", "float": "3.14", "str": "looks good"}

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;
 color:#1f2328;line-height:1.45}
h1{font-size:1.4rem}
.prompt{white-space:pre-wrap;background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.8rem}
.meta{color:#59636e;font-size:.85rem}
.error{color:#82071e;background:#ffebe9;border:1px solid #ff818266;border-radius:6px;padding:.6rem .8rem}
.ok{color:#116329;background:#dafbe1;border:1px solid #4ac26b66;border-radius:6px;padding:.6rem .8rem}
label{display:block;font-weight:600;margin:.8rem 0 .3rem}
input[type=text],select{font:inherit;padding:.35rem .5rem;min-width:16rem}
button{font:inherit;margin-top:.8rem;padding:.4rem 1.1rem;cursor:pointer}
table{border-collapse:collapse}td,th{border-bottom:1px solid #d0d7de;padding:.3rem .6rem;text-align:left}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem}
"""


def esc(value: Any) -> str:
    """``value`` as text that HTML shows literally (quotes escaped too, so attributes are safe)."""
    return html.escape(str(value), quote=True)


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def _input(data_type: str, value: str) -> str:
    if data_type == "bool":
        options = "".join(
            f'<option value="{v}"{" selected" if value.lower() == v else ""}>{v}</option>' for v in ("true", "false")
        )
        return (
            '<select id="value" name="value" required>'
            f'<option value=""{"" if value else " selected"} disabled>choose…</option>{options}</select>'
        )
    hint = {"int": ' inputmode="numeric" placeholder="a whole number, e.g. 42"',
            "float": ' inputmode="decimal" placeholder="a number, e.g. 3.14"',
            "str": ' placeholder="your answer"'}[data_type]
    required = "" if data_type == "str" else " required"
    return f'<input type="text" id="value" name="value" value="{esc(value)}" autocomplete="off"{hint}{required}>'


def form_page(request: EventRequest, token: str, *, error: str | None = None, value: str = "") -> str:
    """The form that answers one event; posts the answer with the anti-forgery token."""
    problem = f'<p class="error" role="alert">{esc(error)}</p>' if error else ""
    body = (
        f"<h1>{esc(request.event_name)}</h1>\n"
        f'<p class="prompt" id="prompt">{esc(request.prompt)}</p>\n{problem}\n'
        '<form method="post" action="../submit">\n'
        f'<input type="hidden" name="request_id" value="{esc(request.request_id)}">\n'
        f'<input type="hidden" name="csrf_token" value="{esc(token)}">\n'
        f'<label for="value">Your answer ({esc(request.data_type)})</label>\n{_input(request.data_type, value)}\n'
        '<br><button type="submit">Submit</button>\n</form>\n'
        f'<p class="meta">Request <code>{esc(request.request_id)}</code> · run {esc(request.run_name or "-")} · '
        f"answer by {esc(_when(request.deadline))}</p>"
    )
    return page(f"{request.event_name} · human input", body)


def result_page(title: str, message: str, *, ok: bool, request: EventRequest | None = None) -> str:
    cls = "ok" if ok else "error"
    about = f"<h1>{esc(request.event_name)}</h1>\n" if request is not None else f"<h1>{esc(title)}</h1>\n"
    return page(title, f'{about}<p class="{cls}" role="{"status" if ok else "alert"}">{esc(message)}</p>')


def index_page(pending: list[EventRequest]) -> str:
    rows = "".join(
        f'<tr><td><a href="form/{esc(r.request_id)}">{esc(r.event_name)}</a></td><td>{esc(r.data_type)}</td>'
        f"<td>{esc(r.run_name or '-')}</td><td>{esc(_when(r.deadline))}</td></tr>"
        for r in pending
    )
    table = (
        f"<table><thead><tr><th>event</th><th>type</th><th>run</th><th>answer by</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        if pending
        else "<p>No event is waiting for an answer.</p>"
    )
    routes = (
        "<ul><li><code>GET /form/{request_id}</code>: the form of one event</li>"
        "<li><code>POST /submit/json</code>: answer with JSON "
        "<code>{\"request_id\": ..., \"value\": ...}</code></li>"
        "<li><code>GET /status/{request_id}</code>: pending, completed or timed_out</li>"
        "<li><code>GET /pending</code>: the events waiting for an answer, as JSON</li>"
        "<li><code>GET /health</code></li></ul>"
    )
    return page("Human-in-the-loop events", f"<h1>Events waiting for an answer</h1>\n{table}\n<h2>API</h2>\n{routes}")


def curl_command(endpoint: str, request: EventRequest, response_path: str) -> str:
    """A curl command that answers the event through the JSON API (with an example value)."""
    body = json.dumps(
        {
            "request_id": request.request_id,
            "response_path": response_path,
            "value": EXAMPLE_VALUES[request.data_type],
            "data_type": request.data_type,
        },
        indent=2,
    )
    return (
        f"curl -X POST {shlex.quote(endpoint + '/submit/json')} \\\n"
        '  -H "Content-Type: application/json" \\\n'
        f"  -d {shlex.quote(body)}"
    )


def report_section(request: EventRequest, form_url: str, endpoint: str, response_path: str) -> str:
    """The task report's view of a waiting event: prompt, form link, request id and curl command."""
    rid = esc(request.request_id)
    return (
        f'<section class="hitl-event" data-request-id="{rid}" data-event-name="{esc(request.event_name)}">\n'
        f"<h3>Human input needed: {esc(request.event_name)}</h3>\n"
        f'<p class="hitl-prompt" style="white-space:pre-wrap">{esc(request.prompt)}</p>\n'
        f'<p><b>Option 1: web form</b> — <a class="hitl-form-link" href="{esc(form_url)}" target="_blank" '
        f'rel="noopener noreferrer">open the form</a> (<code>{esc(form_url)}</code>)</p>\n'
        f"<p><b>Option 2: JSON API</b> — answer a <code>{esc(request.data_type)}</code> "
        f"(replace the example value):</p>\n"
        f'<pre class="hitl-curl">{esc(curl_command(endpoint, request, response_path))}</pre>\n'
        f'<p class="meta">request_id: <code class="hitl-request-id">{rid}</code><br>'
        f'response_path: <code class="hitl-response-path">{esc(response_path)}</code><br>'
        f"answer by {esc(_when(request.deadline))} (timeout {esc(_seconds(request.timeout_seconds))})</p>\n"
        "</section>"
    )


def report_outcome(request: EventRequest, outcome: Outcome) -> str:
    """The task report's line once the event is settled."""
    rid = esc(request.request_id)
    if outcome.status == "completed":
        text = f"Received {esc(json.dumps(outcome.value))} for {esc(request.event_name)} (via {esc(outcome.via)})."
    else:
        text = f"No answer for {esc(request.event_name)} before {esc(_when(request.deadline))}: timed out."
    return f'<p class="hitl-outcome" data-request-id="{rid}" data-status="{esc(outcome.status)}">{text}</p>'


def _seconds(value: float) -> str:
    return f"{value:g}s"
