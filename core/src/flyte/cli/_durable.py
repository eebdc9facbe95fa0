"""``flyte rerun`` and ``flyte cache``: resuming runs and managing cached task results."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from flyte.cli import one_line
from flyte.cli._params import parse_task_args


def _task_of_run(run_name: str) -> Any:
    from flyte._runtime.journal import journal
    from flyte._runtime.loader import find_task, load_module

    record = journal().get_run(run_name)
    if record is None:
        raise click.BadParameter(f"no run named {run_name!r}; list runs with `flyte runs`", param_hint="RUN")
    if not record.source or not Path(record.source).is_file():
        raise click.ClickException(
            f"run {run_name}'s task `{record.task_name}` came from {record.source or 'no file'}, which is not there "
            "any more; rerun it from Python with flyte.rerun(..., task=...)"
        )
    try:
        task = find_task(load_module(Path(record.source), fresh=True), record.task_name)
    except Exception as e:
        raise click.ClickException(f"Importing {record.source} failed: {type(e).__name__}: {one_line(str(e))}") from e
    if task is None:
        raise click.ClickException(f"{record.source} no longer defines task `{record.task_name}`, which run {run_name} ran")
    return task


@click.command(
    "rerun",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "allow_interspersed_args": False},
)
@click.option("--name", default=None, help="Name of the new run (default: generated).")
@click.argument("run_name", metavar="RUN")
@click.pass_context
def rerun_command(ctx: click.Context, name: str | None, run_name: str) -> None:
    """Run RUN's task again, replaying every child action and trace call that already succeeded.

    The task is imported again from its file, so fixes made since the run are used. Inputs given
    as --input value replace the run's; the others are taken from the run.
    """
    import flyte

    task = _task_of_run(run_name)
    inputs = parse_task_args(task, list(ctx.args))
    try:
        run = flyte.rerun(run_name, inputs, task=task, name=name)
    except (TypeError, ValueError) as e:
        raise click.UsageError(one_line(str(e))) from e
    except flyte.errors.BaseRuntimeError as e:
        raise click.ClickException(f"Rerun of {run_name} failed: {type(e).__name__} ({e.code}): {one_line(str(e))}") from e
    replayed = sum(1 for a in run.actions() if a.record.replayed_from)
    click.echo(f"Run: {run.name} (resumes {run_name}; {replayed} actions replayed)")
    click.echo(f"URL: {run.url}")
    click.echo(f"Outputs: {run.outputs()!r}")


@click.group("cache")
def cache_group() -> None:
    """List and clear cached task results."""


@cache_group.command("list")
@click.argument("task_name", metavar="[TASK]", required=False)
def cache_list(task_name: str | None) -> None:
    """Cached results, newest first (optionally of one task, by full name `env.function`)."""
    from flyte.remote import list_cache

    entries = list_cache(task_name)
    if not entries:
        click.echo("No cached results" + (f" for {task_name}" if task_name else ""))
        return
    for e in entries:
        size = len(e.outputs) if e.outputs is not None else "blob"
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.created_at))
        click.echo(f"{e.task_name}  {when}  key {e.key[:12]}  from {e.run_name}/{e.action_id}  outputs {size}")


@cache_group.command("clear")
@click.argument("task_name", metavar="[TASK]", required=False)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def cache_clear(task_name: str | None, yes: bool) -> None:
    """Delete cached results (all, or one task's)."""
    from flyte.remote import clear_cache

    what = f"the cached results of {task_name}" if task_name else "every cached result"
    if not yes and not click.confirm(f"Delete {what}?", default=False):
        raise click.exceptions.Abort()
    click.echo(f"Deleted {clear_cache(task_name)} cached results")
