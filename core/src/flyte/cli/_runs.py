"""``flyte runs``, ``flyte runs show RUN``, ``flyte runs logs RUN [ACTION]`` and ``flyte abort RUN [ACTION]``.

All of them read the journal through its query API (``RunJournal``), so they see runs of other
processes as they progress.
"""

from __future__ import annotations

import json
import time
from typing import Any

import click

from flyte.cli import one_line


def _journal() -> Any:
    from flyte._runtime.journal import journal

    return journal()


def _get_run(j: Any, name: str) -> Any:
    run = j.get_run(name)
    if run is None:
        raise click.ClickException(f"No run named {name!r} in {j.path}; list runs with `flyte runs`")
    return j.reconcile(run)


def _get_action(j: Any, run_name: str, name: str) -> Any:
    action = j.find_action(run_name, name)
    if action is None:
        raise click.ClickException(
            f"Run {run_name} has no action {name!r} (give an action id, a unique id prefix or a unique short name); "
            f"see `flyte runs show {run_name}`"
        )
    return action


def fmt_time(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "-"


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}h{minutes:02d}m{secs:02.0f}s" if hours else f"{minutes}m{secs:04.1f}s"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


# ------------------------------------------------------------------------------ flyte runs


@click.group("runs", invoke_without_command=True)
@click.option("--limit", default=20, show_default=True, help="How many runs to list, newest first.")
@click.option("--phase", default=None, help="Only runs in this phase (running, succeeded, failed, aborted, ...).")
@click.option("--project", default=None, help="Only runs of this project.")
@click.option("--domain", default=None, help="Only runs of this domain.")
@click.pass_context
def runs_group(ctx: click.Context, limit: int, phase: str | None, project: str | None, domain: str | None) -> None:
    """List runs, newest first.

    `flyte runs show RUN` shows one run's actions, `flyte runs logs RUN [ACTION]` its output.
    """
    if ctx.invoked_subcommand is not None:
        return
    from flyte.models import ActionPhase

    if phase is not None:
        try:
            phase = ActionPhase(phase.lower()).value
        except ValueError:
            raise click.BadParameter(
                f"{phase!r} is not a phase; phases: {', '.join(p.value for p in ActionPhase)}", param_hint="--phase"
            ) from None
    j = _journal()
    if limit < 1:
        raise click.BadParameter(f"{limit} is not a positive number of runs", param_hint="--limit")
    wanted = [
        r
        for r in j.list_runs(limit if project is None and domain is None else 1_000_000, phase)
        if (project is None or r.project == project) and (domain is None or r.domain == domain)
    ]
    runs = [j.reconcile(r) for r in wanted[:limit]]
    if not runs:
        click.echo(f"No runs in {j.path}" + (f" in phase {phase}" if phase else ""))
        return
    rows = [["NAME", "TASK", "PHASE", "STARTED", "DURATION", "ACTIONS"]]
    for r in runs:
        counts = j.count_phases(r.name)
        rows.append(
            [r.name, r.task_name, r.phase, fmt_time(r.started_at), fmt_duration(r.duration), str(sum(counts.values()))]
        )
    for line in _table(rows):
        click.echo(line)


def _action_lines(j: Any, run_name: str, actions: list[Any], tracebacks: bool) -> list[str]:
    children: dict[str | None, list[Any]] = {}
    for a in actions:
        children.setdefault(a.parent_id, []).append(a)
    lines: list[str] = []

    def detail(indent: str, label: str, text: str) -> None:
        lines.append(f"{indent}  {label}: {text}")

    def emit(parent: str | None, depth: int) -> None:
        shown_groups: tuple[str, ...] = ()
        for a in children.get(parent, []):
            groups = tuple(a.groups)
            common = 0
            while common < min(len(groups), len(shown_groups)) and groups[common] == shown_groups[common]:
                common += 1
            for level in range(common, len(groups)):
                lines.append(f"{'  ' * (depth + level)}[group] {groups[level]}")
            shown_groups = groups
            indent = "  " * (depth + len(groups))
            extras = []
            if a.attempts > 1:
                extras.append(f"{a.attempts} attempts")
            if a.cache_hit:
                extras.append("cache hit")
            if a.replayed_from:
                extras.append(f"replayed from {a.replayed_from}")
            lines.append(
                f"{indent}{a.short_name}  {a.action_id}  {a.phase}  {fmt_duration(a.duration)}"
                + (f"  ({', '.join(extras)})" if extras else "")
            )
            for label, url in json.loads(a.links or "[]"):
                detail(indent, f"link {label}", url)
            if a.report_uri:
                detail(indent, "report", a.report_uri)
            if a.attempts > 1:  # the failed attempts before the last one
                for attempt in j.list_attempts(run_name, a.action_id):
                    if attempt.error_code and attempt.attempt < a.attempts:
                        message = f"{attempt.error_code}: {one_line(attempt.error_message or '')}"
                        detail(indent, f"attempt {attempt.attempt}", message)
            if a.error_code:
                detail(indent, "error", f"{a.error_code}: {one_line(a.error_message or '')}")
                if tracebacks and a.error_traceback:
                    lines.extend(f"{indent}    | {tb_line}" for tb_line in a.error_traceback.rstrip().splitlines())
            emit(a.action_id, depth + len(groups) + 1)

    emit(None, 0)
    known = {a.action_id for a in actions}
    orphans = [a for a in actions if a.parent_id is not None and a.parent_id not in known]
    for a in orphans:  # parents journaled elsewhere (never expected; shown rather than lost)
        lines.append(f"{a.short_name}  {a.action_id}  {a.phase}  (parent {a.parent_id})")
    return lines


@runs_group.command("show")
@click.argument("run_name", metavar="RUN")
@click.option("--tracebacks", is_flag=True, help="Also print the original traceback of each failed action.")
def show_command(run_name: str, tracebacks: bool) -> None:
    """Show RUN and its actions.

    The actions form a tree (groups included) with their phases, durations, attempts, errors,
    links, reports and cache hits.
    """
    from flyte._runtime.runpage import run_page

    j = _journal()
    run = _get_run(j, run_name)
    click.echo(f"Run {run.name}  {run.phase}  {fmt_duration(run.duration)}")
    click.echo(f"  task: {run.task_name}")
    click.echo(f"  project: {run.project}  domain: {run.domain}")
    click.echo(f"  started: {fmt_time(run.started_at)}  ended: {fmt_time(run.ended_at)}")
    if run.source:
        click.echo(f"  source: {run.source}")
    context = json.loads(run.custom_context or "{}")
    if context:
        click.echo(f"  custom context: {context}")
    if run.error_code:
        click.echo(f"  error: {run.error_code}: {one_line(run.error_message or '')}")
    click.echo(f"  page: {run_page(j, run.name).as_uri()}")
    actions = j.list_actions(run.name)
    counts: dict[str, int] = {}
    for a in actions:
        counts[a.phase] = counts.get(a.phase, 0) + 1
    click.echo(f"Actions ({len(actions)}: {', '.join(f'{n} {p}' for p, n in counts.items())}):")
    for line in _action_lines(j, run.name, actions, tracebacks):
        click.echo("  " + line)


@runs_group.command("logs")
@click.argument("run_name", metavar="RUN")
@click.argument("action_name", metavar="ACTION", required=False)
def logs_command(run_name: str, action_name: str | None) -> None:
    """Print what RUN (or one ACTION of it) printed."""
    j = _journal()
    run = _get_run(j, run_name)
    action_id = _get_action(j, run.name, action_name).action_id if action_name else None
    for record in j.get_logs(run.name, action_id):
        click.echo(record.text, nl=False)


# ------------------------------------------------------------------------------ flyte abort


@click.command("abort")
@click.argument("run_name", metavar="RUN")
@click.argument("action_name", metavar="ACTION", required=False)
@click.option("--reason", default="aborted from the command line", help="Recorded with the abort.")
@click.option("--project", default=None, help="Accepted for compatibility; runs are looked up by name.")
@click.option("--domain", default=None, help="Accepted for compatibility; runs are looked up by name.")
def abort_command(run_name: str, action_name: str | None, reason: str, project: str | None, domain: str | None) -> None:
    """Abort a running RUN, or one ACTION of it.

    ACTION is an action id, a unique id prefix or a unique short name. The process running the run picks the request up within a fraction of a second: the
    action's task is cancelled, and its parent gets flyte.errors.ActionAbortedError.
    """
    from flyte.models import ActionPhase

    j = _journal()
    run = _get_run(j, run_name)
    if ActionPhase(run.phase).is_terminal:
        raise click.ClickException(f"Run {run_name} already finished ({run.phase}); nothing to abort")
    target = run.root_action
    if action_name:
        action = _get_action(j, run_name, action_name)
        if ActionPhase(action.phase).is_terminal:
            raise click.ClickException(
                f"Action {action.action_id} of run {run_name} already finished ({action.phase}); nothing to abort"
            )
        target = action.action_id
    j.request_abort(run_name, target, reason)
    click.echo(f"Abort requested for {'action ' + target if action_name else 'run'} of {run_name}")
