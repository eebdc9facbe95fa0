"""Reports: HTML a task writes while it runs, kept as one self-contained page per action.

Each action gets a :class:`Report` with a ``main`` tab. ``flush()`` renders every tab into one
HTML page and writes it atomically into the blob store (``reports/<run>/<action>/report.html``),
so a reader sees either the previous flushed state or the new one, never half of it. The
executor flushes once more when the task ends, if the report has content.
"""

from __future__ import annotations

import html
import logging
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flyte._runtime.context import Frame

logger = logging.getLogger("flyte")

MAIN_TAB = "main"


class Tab:
    """One tab of a report: a list of HTML fragments shown in order."""

    __slots__ = ("_lock", "content", "name")

    def __init__(self, name: str, lock: threading.Lock | None = None):
        self.name = name
        self.content: list[str] = []
        self._lock = lock or threading.Lock()

    def log(self, content: str) -> None:
        """Append HTML to this tab."""
        _check_html(content, f"Tab {self.name!r}.log")
        with self._lock:
            self.content.append(content)

    def replace(self, content: str) -> None:
        """Replace this tab's HTML."""
        _check_html(content, f"Tab {self.name!r}.replace")
        with self._lock:
            self.content = [content]

    def get_html(self) -> str:
        with self._lock:
            return "\n".join(self.content)

    def __repr__(self) -> str:
        return f"Tab({self.name!r}, {len(self.content)} fragment(s))"


class Report:
    """The report of one action: named tabs of HTML, ``main`` first."""

    def __init__(self, name: str, title: str = ""):
        self.name = name
        self.title = title or name
        self._lock = threading.Lock()
        self.tabs: dict[str, Tab] = {MAIN_TAB: Tab(MAIN_TAB, self._lock)}

    def get_tab(self, name: str, /, create_if_missing: bool = True) -> Tab:
        """The tab called ``name``; created (after the existing ones) unless ``create_if_missing=False``."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"A report tab needs a non-empty name, got {name!r}")
        with self._lock:
            tab = self.tabs.get(name)
            if tab is None:
                if not create_if_missing:
                    raise ValueError(
                        f"Report {self.name!r} has no tab {name!r}; its tabs: {', '.join(self.tabs)}. "
                        "Call get_tab(name) to create it."
                    )
                tab = self.tabs[name] = Tab(name, self._lock)
            return tab

    def has_content(self) -> bool:
        with self._lock:
            return any(tab.content for tab in self.tabs.values())

    def get_final_report(self) -> str:
        """The report as one self-contained HTML page."""
        with self._lock:
            tabs = [(name, "\n".join(tab.content)) for name, tab in self.tabs.items()]
        # The main tab is listed only when it has content or other tabs exist beside it.
        shown = [(n, c) for n, c in tabs if n != MAIN_TAB or c or len(tabs) == 1]
        return render_page(self.title, shown)

    def _repr_html_(self) -> str:  # notebooks show the report inline
        return self.get_final_report()

    def __repr__(self) -> str:
        return f"Report({self.name!r}, tabs={list(self.tabs)})"


def _check_html(content: Any, where: str) -> None:
    if not isinstance(content, str):
        raise TypeError(f"{where}: expected HTML as a str, got {type(content).__name__} {content!r:.60}")


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328}
header.flyte-report-header{padding:8px 16px;background:#f6f8fa;border-bottom:1px solid #d0d7de;font-size:13px}
nav.flyte-report-tabs{display:flex;gap:2px;padding:8px 16px 0;border-bottom:1px solid #d0d7de}
nav.flyte-report-tabs button{font:inherit;padding:6px 14px;border:1px solid transparent;border-bottom:none;
 background:none;cursor:pointer;border-radius:6px 6px 0 0}
nav.flyte-report-tabs button[aria-selected=true]{border-color:#d0d7de;background:#fff;font-weight:600;
 margin-bottom:-1px}
section.flyte-report-tab{padding:16px}
"""

_SCRIPT = """
(function(){
  var buttons = document.querySelectorAll("nav.flyte-report-tabs button");
  function show(id){
    buttons.forEach(function(b){ b.setAttribute("aria-selected", String(b.dataset.tab === id)); });
    document.querySelectorAll("section.flyte-report-tab").forEach(function(s){ s.hidden = s.id !== id; });
  }
  buttons.forEach(function(b){ b.addEventListener("click", function(){ show(b.dataset.tab); }); });
})();
"""


def render_page(title: str, tabs: list[tuple[str, str]]) -> str:
    """One HTML page holding each ``(name, html)`` tab; the first tab is shown, a tab bar switches.

    Tab content is embedded as is (not escaped, not sandboxed), so scripts a task logs run when
    the page loads, in the order they were logged.
    """
    nav = ""
    if len(tabs) > 1:
        buttons = "".join(
            f'<button type="button" role="tab" id="flyte-tab-button-{i}" data-tab="flyte-tab-{i}" '
            f'aria-selected="{"true" if i == 0 else "false"}">{html.escape(name)}</button>'
            for i, (name, _) in enumerate(tabs)
        )
        nav = f'<nav class="flyte-report-tabs" role="tablist">{buttons}</nav>\n'
    sections = "\n".join(
        f'<section class="flyte-report-tab" id="flyte-tab-{i}" role="tabpanel" data-name="{html.escape(name, True)}"'
        f"{' hidden' if i else ''}>\n{content}\n</section>"
        for i, (name, content) in enumerate(tabs)
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        f'<header class="flyte-report-header">Report: {html.escape(title)}</header>\n'
        f"{nav}{sections}\n<script>{_SCRIPT}</script>\n</body></html>\n"
    )


# ---------------------------------------------------------------------------- the running action's report

_outside = threading.local()


def current_report() -> Report:
    """The report of the running action; outside a task, a throw-away report that is never written."""
    from flyte._runtime.context import current_frame

    frame = current_frame.get()
    if frame is not None and isinstance(frame.report, Report):
        return frame.report
    report = getattr(_outside, "report", None)
    if report is None:
        report = _outside.report = Report("outside-a-task")
    return report


def report_key(run_name: str, action_id: str) -> str:
    """Where an action's report lives in the blob store."""
    return f"reports/{run_name}/{action_id}/report.html"


def write_report(frame: Frame, report: Report) -> str:
    """Render ``report`` and store it atomically as the report of ``frame``'s action; return its URI."""
    run = frame.run
    page = report.get_final_report().encode("utf-8")
    uri = run.blobs.put(report_key(run.name, frame.action_id), page)
    _record_location(frame, uri)
    return uri


def _record_location(frame: Frame, uri: str) -> None:
    # The journal's action row names the report as soon as there is one, so readers find it
    # while the task still runs. Only the process that owns the action's record can write it; a
    # process-isolated worker leaves this to its parent (see flyte.remote's deployed tasks).
    frame.run.record_report(frame.action_id, uri)


def flush_frame(frame: Frame | None) -> str | None:
    """Write the report of ``frame``'s action (nothing outside a task); return its URI."""
    if frame is None or not isinstance(frame.report, Report):
        return None
    return write_report(frame, frame.report)


def flush_at_task_end(frame: Frame) -> None:
    """The implicit flush when an action ends: only when its report has content; never raises."""
    report = frame.report
    if not isinstance(report, Report) or not report.has_content():
        return
    try:
        write_report(frame, report)
    except Exception as e:  # a report that cannot be written must not change the task's outcome
        logger.warning("Could not write the report of action %s: %s: %s", frame.action_id, type(e).__name__, e)


def new_report(frame: Frame) -> Report:
    return Report(frame.action_id, title=f"{frame.task_name} ({frame.action_id}) in run {frame.run.name}")
