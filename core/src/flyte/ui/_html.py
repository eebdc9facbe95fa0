"""HTML of the UI's pages and of the fragments its script swaps in while a run progresses.

Every value that comes from a run (names, groups, messages, tracebacks, logs, link labels and
URLs, values) goes through :func:`e`. Pages carry no inline script or style: the
Content-Security-Policy allows only the UI's own ``/static`` files.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from flyte._runtime.journal import ActionRecord, AttemptRecord, RunRecord
from flyte.cli._runs import fmt_duration, fmt_time
from flyte.models import ActionPhase
from flyte.ui._tree import ActionSummary, Folder, Item, RunTree

PAGE_SIZE = 100  # items shown under a node before "Show more"
MORE_STEP = 500
AUTO_OPEN_ITEMS = 25  # nodes with at most this many items start open ...
AUTO_OPEN_DEPTH = 4  # ... down to this depth ...
AUTO_OPEN_ROWS = 400  # ... while the tree has fewer rows than this
LINK_SCHEMES = ("http", "https", "mailto")
PHASES = [p.value for p in ActionPhase]


def e(text: Any) -> str:
    """``text`` as HTML that shows it literally (attribute-safe)."""
    return html.escape(str(text), quote=True)


def q(text: str) -> str:
    """``text`` as one URL path segment."""
    return quote(text, safe="")


def run_href(run_name: str, action_id: str | None = None) -> str:
    return f"/runs/{q(run_name)}" + (f"?{urlencode({'action': action_id})}" if action_id else "")


def action_base(run_name: str, action_id: str) -> str:
    return f"/runs/{q(run_name)}/actions/{q(action_id)}"


def phase_label(phase: str) -> str:
    return phase.replace("_", " ").capitalize()


def badge(phase: str, text: str | None = None, attrs: str = "") -> str:
    return f'<span class="badge phase-{e(phase)}"{attrs}>{e(text or phase_label(phase))}</span>'


def phase_chips(counts: dict[str, int]) -> str:
    ordered = [p for p in PHASES if counts.get(p)] + sorted(p for p in counts if p not in PHASES and counts[p])
    return "".join(
        f'<span class="chip phase-{e(p)}" title="{e(phase_label(p))}">{counts[p]:,} {e(phase_label(p).lower())}</span>'
        for p in ordered
    )


def safe_link(label: str, url: str) -> str:
    """A clickable link when ``url`` is http(s) or mailto; anything else (``javascript:``...) stays text."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme in LINK_SCHEMES:
        return (
            f'<a class="ext-link" href="{e(url.strip())}" target="_blank" rel="noopener noreferrer">{e(label)}</a>'
            f' <span class="muted link-url">{e(url)}</span>'
        )
    return f'<span class="ext-link not-clickable">{e(label)}</span> <code class="link-url">{e(url)}</code>'


# ------------------------------------------------------------------------------ the page shell


def page(title: str, body: str, *, csrf: str, home: Path, body_attrs: dict[str, str] | None = None,
         static_version: str = "") -> str:
    attrs = "".join(f' {k}="{e(v)}"' for k, v in (body_attrs or {}).items())
    v = f"?v={e(static_version)}" if static_version else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="flyte-csrf" content="{e(csrf)}">'
        f'<title>{e(title)} · Flyte</title><link rel="icon" href="data:,">'
        f'<link rel="stylesheet" href="/static/ui.css{v}">'
        f'<script src="/static/ui.js{v}" defer></script></head>\n'
        f"<body{attrs}>\n"
        '<header class="top"><a class="brand" href="/">Flyte</a><nav><a href="/">Runs</a></nav>'
        f'<span class="home" title="FLYTE_HOME">{e(home)}</span></header>\n'
        f'<div id="flash" role="status" aria-live="polite" hidden></div>\n'
        f"<main>{body}</main>\n"
        '<dialog id="confirm-dialog"><form method="dialog"><h2 class="confirm-title"></h2>'
        '<p class="confirm-message"></p><div class="confirm-buttons">'
        '<button value="cancel" type="submit" class="secondary">Cancel</button>'
        '<button value="ok" type="submit" class="danger confirm-ok">Confirm</button></div></form></dialog>\n'
        "</body></html>\n"
    )


def error_page(title: str, message: str, **kw: Any) -> str:
    return page(title, f'<section class="error-page"><h1>{e(title)}</h1><p>{e(message)}</p>'
                       '<p><a href="/">All runs</a></p></section>', **kw)


# ------------------------------------------------------------------------------ runs page


@dataclass
class RunsQuery:
    phase: str = ""
    q: str = ""
    limit: int = 100

    def params(self, **override: Any) -> str:
        values = {"phase": self.phase, "q": self.q, "limit": self.limit, **override}
        return urlencode({k: v for k, v in values.items() if v not in ("", None) and not (k == "limit" and v == 100)})


def runs_body(query: RunsQuery, table: str) -> str:
    options = "".join(
        f'<option value="{e(p)}"{" selected" if p == query.phase else ""}>{e(phase_label(p))}</option>' for p in PHASES
    )
    return (
        '<section class="runs-page"><h1>Runs</h1>'
        '<form class="filters" id="run-filters" method="get" action="/" role="search">'
        f'<label>Phase <select name="phase" id="filter-phase"><option value="">Any</option>{options}</select></label>'
        f'<label>Name <input type="search" name="q" id="filter-name" value="{e(query.q)}" '
        'placeholder="part of a run name" autocomplete="off"></label>'
        '<button type="submit">Filter</button></form>'
        f'<div id="runs-table" data-src="/fragments/runs?{e(query.params())}">{table}</div></section>'
    )


def runs_table(runs: list[RunRecord], counts: dict[str, dict[str, int]], query: RunsQuery, home: Path) -> str:
    if not runs:
        if query.phase or query.q:
            return '<p class="empty">No runs match these filters.</p>'
        return (
            f'<p class="empty">No runs in {e(home / "runs.db")} yet. Run a task with '
            "<code>flyte run FILE TASK</code> or <code>flyte.run(task)</code>; it shows up here as it starts.</p>"
        )
    rows = []
    for r in runs:
        resumed = (
            f' <span class="muted">resumes <a href="{e(run_href(r.resumed_from))}">{e(r.resumed_from)}</a></span>'
            if r.resumed_from
            else ""
        )
        c = counts.get(r.name, {})
        rows.append(
            f'<tr class="run-row" data-run="{e(r.name)}" data-phase="{e(r.phase)}">'
            f'<td class="run-name"><a href="{e(run_href(r.name))}">{e(r.name)}</a>{resumed}</td>'
            f"<td>{e(r.task_name)}</td><td>{badge(r.phase)}</td>"
            f"<td>{e(fmt_time(r.started_at or r.created_at))}</td><td>{e(fmt_duration(r.duration))}</td>"
            f'<td class="counts"><span class="total">{sum(c.values()):,}</span> {phase_chips(c)}</td></tr>'
        )
    more = ""
    if len(runs) >= query.limit:
        more = f'<p class="more"><a href="/?{e(query.params(limit=query.limit + 100))}">Show more runs</a></p>'
    return (
        '<table class="runs"><thead><tr><th>Name</th><th>Root task</th><th>Phase</th><th>Started</th>'
        f'<th>Duration</th><th>Actions</th></tr></thead><tbody>{"".join(rows)}</tbody></table>{more}'
    )


# ------------------------------------------------------------------------------ run page: header


def run_head(run: RunRecord, counts: dict[str, int], can_rerun: str | None) -> str:
    """The run's summary and its buttons. ``can_rerun`` is ``None`` when a rerun is possible, else why not."""
    terminal = ActionPhase(run.phase).is_terminal
    buttons = []
    if not terminal:
        buttons.append('<button type="button" class="danger" id="abort-run" data-confirm="abort-run">Abort run</button>')
    elif can_rerun is None:
        buttons.append('<button type="button" id="rerun-run" data-confirm="rerun">Rerun</button>')
    else:
        buttons.append(f'<button type="button" id="rerun-run" disabled title="{e(can_rerun)}">Rerun</button>')
    meta = [
        ("Root task", e(run.task_name)),
        ("Project / domain", f"{e(run.project)} / {e(run.domain)}"),
        ("Started", e(fmt_time(run.started_at or run.created_at))),
        ("Ended", e(fmt_time(run.ended_at))),
        ("Duration", f'<span class="run-duration">{e(fmt_duration(run.duration))}</span>'),
    ]
    if run.source:
        meta.append(("Source", f"<code>{e(run.source)}</code>"))
    if run.resumed_from:
        meta.append(("Resumes", f'<a href="{e(run_href(run.resumed_from))}">{e(run.resumed_from)}</a>'))
    context = json.loads(run.custom_context or "{}")
    if context:
        meta.append(("Custom context", ", ".join(f"<code>{e(k)}={e(v)}</code>" for k, v in context.items())))
    if run.pid:
        meta.append(("Process", f"{e(run.pid)} on {e(run.host or '?')}"))
    dl = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in meta)
    phase = badge(run.phase, attrs=' id="run-phase"')
    error = ""
    if run.error_code:
        error = (
            f'<div class="error-box run-error"><b>{e(run.error_code)}</b> '
            f'<span class="message">{e(run.error_message or "")}</span></div>'
        )
    return (
        f'<div class="run-title"><h1><span class="run-name">{e(run.name)}</span> {phase}</h1>'
        f'<div class="run-buttons">{"".join(buttons)}</div></div>'
        f'<dl class="meta">{dl}</dl>{error}'
        f'<p class="phase-counts"><span class="total">{sum(counts.values()):,} actions</span> {phase_chips(counts)}</p>'
    )


# ------------------------------------------------------------------------------ run page: the tree


@dataclass
class TreeState:
    """Which nodes the reader opened (with how many of their items are shown) or closed."""

    open: dict[str, int] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    selected: str | None = None
    #: Open the way to the selected action, even through nodes the reader closed.
    reveal: bool = False

    @classmethod
    def from_json(cls, data: Any) -> TreeState:
        if not isinstance(data, dict):
            return cls()
        opened = data.get("open")
        closed = data.get("closed")
        opened = opened if isinstance(opened, dict) else {}
        closed = closed if isinstance(closed, list) else []
        selected = data.get("selected")
        return cls(
            open={str(k): max(1, min(int(v), 1_000_000)) for k, v in opened.items() if isinstance(v, int)},
            closed={str(k) for k in closed},
            selected=str(selected) if isinstance(selected, str) else None,
            reveal=data.get("reveal") is True,
        )


class TreeRenderer:
    """Renders the visible part of a run's tree as nested lists (``role=tree``)."""

    def __init__(self, tree: RunTree, run_name: str, state: TreeState):
        self.tree = tree
        self.run_name = run_name
        self.state = state
        self.rows = 0
        self.forced = dict(tree.path_to(state.selected)) if state.selected and state.reveal else {}

    def render(self) -> str:
        if not len(self.tree):
            return '<p class="empty">No actions yet.</p>'
        top = self.tree.top
        items = self._items(top, "top", 0, self.state.open.get("top", PAGE_SIZE))
        return f'<ul class="tree" role="tree" aria-label="Actions of {e(self.run_name)}">{items}</ul>'

    def _shown(self, key: str, count: int, depth: int) -> int | None:
        """How many items of an open node to show; ``None`` when it is closed."""
        shown = self.state.open.get(key)
        forced = self.forced.get(key)
        if forced is not None:
            return max(shown or PAGE_SIZE, forced)
        if shown is not None:
            return shown
        if key in self.state.closed:
            return None
        if depth == 0 or (count <= AUTO_OPEN_ITEMS and depth <= AUTO_OPEN_DEPTH and self.rows < AUTO_OPEN_ROWS):
            return PAGE_SIZE
        return None

    def _items(self, items: list[Item], key: str, depth: int, shown: int) -> str:
        out = []
        for item in items[:shown]:
            out.append(self._folder(item, depth) if isinstance(item, Folder) else self._action(item, depth))
        rest = len(items) - shown
        if rest > 0:
            step = min(MORE_STEP, rest)
            out.append(
                f'<li class="more" role="none"><button type="button" class="link" data-more="{e(key)}" '
                f'data-shown="{shown + step}">Show {step:,} more</button> '
                f'<span class="muted">({rest:,} not shown of {len(items):,})</span></li>'
            )
        return "".join(out)

    def _children(self, item: Item, key: str, depth: int) -> tuple[str, str]:
        """(attributes of the node's ``li``, its child list)."""
        if not self.tree.has_children(item):
            return "", ""
        items = self.tree.child_items(item)
        shown = self._shown(key, len(items), depth)
        if shown is None:
            return ' aria-expanded="false"', ""
        children = self._items(items, key, depth + 1, shown)
        return ' aria-expanded="true"', f'<ul role="group" data-shown="{shown}">{children}</ul>'

    def _toggle(self, item: Item) -> str:
        if not self.tree.has_children(item):
            return '<span class="toggle-space"></span>'
        return '<button type="button" class="toggle" data-toggle aria-label="Expand or collapse"></button>'

    def _action(self, a: ActionSummary, depth: int) -> str:
        self.rows += 1
        key = a.key
        attrs, children = self._children(a, key, depth)
        marks = []
        if a.kind == "trace":
            marks.append('<span class="mark trace" title="@flyte.trace call">trace</span>')
        if a.cache_hit:
            marks.append('<span class="mark cache" title="result taken from the cache">cache hit</span>')
        if a.replayed_from:
            marks.append(f'<span class="mark replayed" title="replayed from {e(a.replayed_from)}">replayed</span>')
        if a.attempts > 1:
            marks.append(f'<span class="mark attempts">{a.attempts} attempts</span>')
        if a.error_code:
            marks.append(f'<span class="mark error-code">{e(a.error_code)}</span>')
        n = self.tree.item_count(a)
        count = f'<span class="count">{n:,} item{"s" if n != 1 else ""}</span>' if n else ""
        selected = a.action_id == self.state.selected
        aria_selected = ' aria-selected="true"' if selected else ""
        return (
            f'<li class="node action{" selected" if selected else ""}" role="treeitem" data-key="{e(key)}" '
            f'data-action="{e(a.action_id)}" data-phase="{e(a.phase)}" data-name="{e(a.short_name)}"{attrs}'
            f"{aria_selected}>"
            f'<div class="row">{self._toggle(a)}{badge(a.phase)}'
            f'<a class="name" href="{e(run_href(self.run_name, a.action_id))}" data-select="{e(a.action_id)}" '
            f'title="{e(a.task_name)} ({e(a.action_id)})">{e(a.short_name)}</a>'
            f'{"".join(marks)}{count}<span class="duration">{e(fmt_duration(a.duration))}</span></div>'
            f"{children}</li>"
        )

    def _folder(self, f: Folder, depth: int) -> str:
        self.rows += 1
        key = f.key
        attrs, children = self._children(f, key, depth)
        status = f.status
        return (
            f'<li class="node folder" role="treeitem" data-key="{e(key)}" data-group="{e(f.name)}" '
            f'data-status="{e(status)}"{attrs}>'
            f'<div class="row">{self._toggle(f)}<span class="folder-icon" aria-hidden="true"></span>'
            f'<span class="name group-name">{e(f.name)}</span>{badge(status, attrs=" data-group-status")}'
            f'<span class="group-counts">{phase_chips(f.counts)}</span>'
            f'<span class="count">{f.size:,} action{"s" if f.size != 1 else ""}</span></div>{children}</li>'
        )


# ------------------------------------------------------------------------------ run page: one action


def action_detail_top(run_name: str, a: ActionRecord, attempts: list[AttemptRecord], n_children: int,
                      abortable: bool) -> str:
    base = action_base(run_name, a.action_id)
    marks = []
    if a.kind == "trace":
        marks.append('<span class="mark trace">trace</span>')
    if a.cache_hit:
        marks.append('<span class="mark cache">cache hit</span> <span class="muted">the result came from the task cache</span>')
    if a.replayed_from:
        src_run, _, src_action = a.replayed_from.partition("/")
        marks.append(
            '<span class="mark replayed">replayed</span> <span class="muted">outputs replayed from</span> '
            f'<a href="{e(run_href(src_run, src_action or None))}">{e(a.replayed_from)}</a>'
        )
    buttons = ""
    if abortable:
        buttons = (
            f'<button type="button" class="danger" id="abort-action" data-confirm="abort-action" '
            f'data-action="{e(a.action_id)}" data-name="{e(a.short_name)}">Abort action</button>'
        )
    groups = json.loads(a.group_path or "[]")
    terminal = ActionPhase(a.phase).is_terminal
    # The journal counts an action's attempts when it ends; while it runs, the one under way follows the failed ones.
    last_failed = max((t.attempt for t in attempts), default=0)
    current = a.attempts if terminal else last_failed + 1
    info = [
        ("Task", f"<code>{e(a.task_name)}</code>"),
        ("Action id", f"<code>{e(a.action_id)}</code>"),
        ("Kind", e(a.kind)),
    ]
    if groups:
        info.append(("Group", " / ".join(e(g) for g in groups)))
    if a.parent_id:
        info.append(("Parent", f'<a href="{e(run_href(run_name, a.parent_id))}" data-select="{e(a.parent_id)}">'
                               f"<code>{e(a.parent_id)}</code></a>"))
    info += [
        ("Queued", e(fmt_time(a.queued_at))),
        ("Started", e(fmt_time(a.started_at))),
        ("Ended", e(fmt_time(a.ended_at))),
        ("Duration", e(fmt_duration(a.duration))),
        ("Attempts", str(current) if terminal else f"{current} (running)"),
    ]
    if n_children:
        info.append(("Children", f"{n_children:,}"))
    dl = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in info)
    phase_attrs = ' id="action-phase"'
    parts = [
        f'<div class="detail-title"><h2><span class="action-name">{e(a.short_name)}</span> '
        f'{badge(a.phase, attrs=phase_attrs)}</h2>{buttons}</div>',
        f'<p class="marks">{" ".join(marks)}</p>' if marks else "",
        f'<dl class="meta">{dl}</dl>',
    ]
    if a.error_code:
        tb = (
            f'<details class="traceback" open><summary>Traceback</summary><pre>{e(a.error_traceback)}</pre></details>'
            if a.error_traceback
            else ""
        )
        kind = f' <span class="muted">({e(a.error_kind)})</span>' if a.error_kind else ""
        parts.append(
            f'<section class="error-box action-error"><h3>Error</h3><p><b class="error-code">{e(a.error_code)}</b>{kind}'
            f' <span class="message">{e(a.error_message or "")}</span></p>{tb}</section>'
        )
    if current > 1:
        rows = []
        shown = list(attempts)
        if current > last_failed:
            # The journal records failed attempts; the last one is the action itself (its start is not recorded).
            shown.append(AttemptRecord(a.run_name, a.action_id, current, None, a.ended_at, a.phase))
        for t in shown:
            err = ""
            if t.error_code:
                tb = (
                    f'<details class="traceback"><summary>Traceback</summary><pre>{e(t.error_traceback)}</pre></details>'
                    if t.error_traceback
                    else ""
                )
                err = f'<b>{e(t.error_code)}</b> <span class="message">{e(t.error_message or "")}</span>{tb}'
            rows.append(
                f'<tr data-attempt="{t.attempt}"><td>{t.attempt}</td><td>{badge(t.phase)}</td>'
                f"<td>{e(fmt_time(t.started_at))}</td><td>{e(fmt_duration(_span(t.started_at, t.ended_at)))}</td>"
                f"<td>{err}</td></tr>"
            )
        parts.append(
            '<section class="attempts"><h3>Attempts</h3><table><thead><tr><th>#</th><th>Phase</th><th>Started</th>'
            f'<th>Duration</th><th>Error</th></tr></thead><tbody>{"".join(rows)}</tbody></table></section>'
        )
    links = json.loads(a.links or "[]")
    if links:
        items = "".join(f"<li>{safe_link(str(label), str(url))}</li>" for label, url in links)
        parts.append(f'<section class="links"><h3>Links</h3><ul>{items}</ul></section>')
    if a.report_uri:
        parts.append(
            f'<p class="report-open"><a href="{e(base)}/report" target="_blank" rel="noopener">Open the report on its own</a></p>'
        )
    return "".join(parts)


def _span(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else end - start


def action_detail_bottom(inputs: str, outputs: str, logs: str, logs_truncated: bool, logs_href: str) -> str:
    cut = (
        f'<p class="muted">Earlier output left out; <a href="{e(logs_href)}" target="_blank" rel="noopener">'
        "all of it</a>.</p>"
        if logs_truncated
        else ""
    )
    log_html = f'{cut}<pre class="logs">{e(logs)}</pre>' if logs else '<p class="muted">nothing printed</p>'
    return (
        f'<section class="inputs"><h3>Inputs</h3>{inputs}</section>'
        f'<section class="outputs"><h3>Outputs</h3>{outputs}</section>'
        f'<section class="output-logs"><h3>Printed output</h3>{log_html}</section>'
    )


def run_body(run_name: str, head: str, tree: str, detail: str, selected: str | None) -> str:
    return (
        f'<section class="run-head" id="run-head">{head}</section>'
        '<div class="run-body">'
        f'<section class="tree-pane" id="tree" aria-label="Action tree">{tree}</section>'
        f'<section class="detail-pane" id="detail" data-action="{e(selected or "")}">{detail}</section>'
        "</div>"
    )


def detail_shell(top: str, bottom: str) -> str:
    return (
        f'<div id="detail-top">{top}</div>'
        '<section id="detail-report" class="report" hidden><h3>Report</h3><div class="report-frames"></div></section>'
        f'<div id="detail-bottom">{bottom}</div>'
    )


def data_listing(title: str, uri: str, entries: Iterable[tuple[str, str, int | None]], preview: str = "") -> str:
    rows = "".join(
        f'<tr><td><a href="{e(href)}">{e(name)}</a></td><td class="num">{"" if size is None else f"{size:,}"}</td></tr>'
        for name, href, size in entries
    )
    return (
        f'<section class="data-page"><h1>{e(title)}</h1><p><code>{e(uri)}</code></p>{preview}'
        f'<table class="listing"><thead><tr><th>File</th><th>Bytes</th></tr></thead><tbody>{rows}</tbody></table></section>'
    )


def preview_table(columns: list[str], rows: list[list[Any]], total: int | None) -> str:
    head = "".join(f"<th>{e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{e(_cell(v))}</td>" for v in row) + "</tr>" for row in rows)
    count = f"first {len(rows):,} of {total:,} rows" if total is not None else f"first {len(rows):,} rows"
    return (
        f'<section class="preview"><h2>Preview <span class="muted">({count})</span></h2>'
        f'<div class="scroll-x"><table class="v-map preview-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div></section>"
    )


def _cell(v: Any) -> str:
    text = str(v)
    return text if len(text) <= 200 else text[:200] + "…"


def report_bridge() -> str:
    """A script added to a report shown inside the run page: it tells the page the report's height and
    which tab is shown, and shows a tab when asked (so a live update keeps the reader's tab)."""
    return _BRIDGE


_BRIDGE = """<script>(function(){
  function post(m){ try { parent.postMessage(m, "*"); } catch (err) {} }
  function size(){ post({flyteReport: "height", value: document.documentElement.scrollHeight}); }
  document.addEventListener("click", function(ev){
    var b = ev.target && ev.target.closest ? ev.target.closest("nav.flyte-report-tabs button") : null;
    if (b) { post({flyteReport: "tab", value: b.textContent}); }
    setTimeout(size, 0);
  }, true);
  window.addEventListener("message", function(ev){
    if (ev.source !== parent || !ev.data || ev.data.flyteReport !== "show-tab") return;
    var buttons = document.querySelectorAll("nav.flyte-report-tabs button");
    for (var i = 0; i < buttons.length; i++) {
      if (buttons[i].textContent === ev.data.value) { buttons[i].click(); break; }
    }
    size();
    post({flyteReport: "shown"});
  });
  if (window.ResizeObserver) { new ResizeObserver(size).observe(document.documentElement); }
  window.addEventListener("load", size);
  size();
  post({flyteReport: "ready"});
})();</script>"""
