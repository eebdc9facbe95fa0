"""A static HTML page of one run, rendered from the journal (what ``Run.url`` points at)."""

from __future__ import annotations

import html
import json
import time
from pathlib import Path

from flyte._runtime.blobstore import atomic_write
from flyte._runtime.journal import RunJournal


def _fmt_duration(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds:.3f}s"


def run_page(journal: RunJournal, name: str) -> Path:
    """Write (or refresh) the run's page and return its path."""
    run = journal.get_run(name)
    if run is None:
        raise ValueError(f"No run named {name!r} in {journal.path}")
    run = journal.reconcile(run)
    actions = journal.list_actions(name)
    children: dict[str | None, list] = {}
    for a in actions:
        children.setdefault(a.parent_id, []).append(a)
    rows: list[str] = []

    def emit(parent: str | None, depth: int) -> None:
        for a in children.get(parent, []):
            group = " / ".join(json.loads(a.group_path))
            error = html.escape(f"{a.error_code}: {a.error_message}") if a.error_code else ""
            links = " ".join(
                f'<a href="{html.escape(url)}" rel="noopener noreferrer">{html.escape(label)}</a>'
                for label, url in json.loads(a.links)
            )
            if a.report_uri:
                links += f' <a class="report" href="{html.escape(a.report_uri)}">report</a>'
            replayed = f"replayed from {a.replayed_from}" if a.replayed_from else ""
            notes = ", ".join(n for n in ("cache hit" if a.cache_hit else "", replayed) if n)
            rows.append(
                f"<tr class='{html.escape(a.phase)}'><td style='padding-left:{depth * 1.5}em'>"
                f"{html.escape(a.short_name)} <small>{html.escape(a.action_id)}</small></td>"
                f"<td>{html.escape(group)}</td><td>{html.escape(a.phase)}</td><td>{a.attempts}</td>"
                f"<td>{_fmt_duration(a.duration)}</td><td>{html.escape(notes)}</td><td>{links}</td>"
                f"<td><pre>{error}</pre></td></tr>"
            )
            emit(a.action_id, depth + 1)

    emit(None, 0)
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Run {html.escape(name)}</title>
<style>body{{font-family:sans-serif}} table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:2px 6px}}
.failed td,.timed_out td{{background:#fdd}} .aborted td{{background:#eee}} .running td{{background:#ffd}}
pre{{margin:0;white-space:pre-wrap}}</style></head>
<body><h1>Run {html.escape(name)}</h1>
<p>Task <b>{html.escape(run.task_name)}</b> &middot; phase <b>{html.escape(run.phase)}</b> &middot;
project {html.escape(run.project)} / {html.escape(run.domain)} &middot; duration {_fmt_duration(run.duration)}
&middot; rendered {time.strftime("%Y-%m-%d %H:%M:%S")}</p>
<table><tr><th>action</th><th>group</th><th>phase</th><th>attempts</th><th>duration</th><th>notes</th><th>links</th>
<th>error</th></tr>
{"".join(rows)}
</table></body></html>
"""
    path = journal.path.parent / "runs" / name / "index.html"
    atomic_write(path, page.encode())
    return path
