"""``flyte run FILE TASK --input value ...``"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from flyte.cli import one_line
from flyte.cli._params import parse_task_args


def load_task(file: Path, task_name: str) -> Any:
    """Import ``file`` and return its task ``task_name`` (a task, or a flyte.remote reference to one)."""
    from flyte._runtime.loader import find_task, load_module, tasks_in

    if not file.exists():
        raise click.BadParameter(f"{file} does not exist", param_hint="FILE")
    if not file.is_file():
        raise click.BadParameter(f"{file} is not a file; pass the Python file that defines the task", param_hint="FILE")
    try:
        module = load_module(file)
    except Exception as e:
        raise click.ClickException(f"Importing {file} failed: {type(e).__name__}: {one_line(str(e))}") from e
    task = find_task(module, task_name)
    if task is None:
        from flyte.remote import TaskDetails, TaskReference

        candidate = getattr(module, task_name, None)
        if isinstance(candidate, (TaskReference, TaskDetails)):
            return candidate
        known = ", ".join(sorted(tasks_in(module))) or "none"
        raise click.BadParameter(f"{file} has no task named {task_name!r}; tasks in it: {known}", param_hint="TASK")
    return task


def _template_of(task: Any) -> Any:
    from flyte.errors import BaseRuntimeError
    from flyte.remote import TaskDetails, TaskReference

    try:
        if isinstance(task, TaskReference):
            task = task.fetch()
        if isinstance(task, TaskDetails):
            task = task.template
    except BaseRuntimeError as e:
        raise click.ClickException(f"{type(e).__name__}: {one_line(str(e))}") from e
    return task


def describe_inputs(task: Any) -> str:
    import inspect
    import typing

    lines = [f"Task {task.name}" + (f": {task.__doc__.strip().splitlines()[0]}" if task.__doc__ else ""), "Inputs:"]
    for name, (t, default) in task.interface.inputs.items():
        type_name = str(t).replace("typing.", "") if typing.get_args(t) else getattr(t, "__name__", str(t))
        shown = "required" if default is inspect.Parameter.empty else f"default {default!r}"
        lines.append(f"  --{name} {type_name}  ({shown})")
    if not task.interface.inputs:
        lines.append("  none")
    return "\n".join(lines)


@click.command(
    "run",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "allow_interspersed_args": False},
)
@click.option("--name", default=None, help="Name of the run (default: generated).")
@click.option("--project", default=None, help="Project the run belongs to.")
@click.option("--domain", default=None, help="Domain the run belongs to.")
@click.option("--local", is_flag=True, help="Accepted for compatibility: runs are always local here.")
@click.option("--context", "custom_context", multiple=True, metavar="KEY=VALUE", help="Custom context entry (repeatable).")
@click.argument("file", type=click.Path(path_type=Path))
@click.argument("task_name", metavar="TASK")
@click.pass_context
def run_command(
    ctx: click.Context,
    name: str | None,
    project: str | None,
    domain: str | None,
    local: bool,
    custom_context: tuple[str, ...],
    file: Path,
    task_name: str,
) -> None:
    """Run TASK from FILE, with its inputs as --input value.

    Inputs are parsed from the task's signature: numbers, bools (true/false, yes/no, 1/0), text,
    files and directories as paths, lists, dicts and dataclasses as JSON. `flyte run FILE TASK
    --help` lists them. Prints the run's name, where to look at it, and the outputs; while it
    runs, progress goes to stderr (FLYTE_PROGRESS=off hides it).
    """
    import flyte
    from flyte._runtime.run import _new_run_name

    context = {}
    for entry in custom_context:
        key, eq, value = entry.partition("=")
        if not eq or not key:
            raise click.BadParameter(f"{entry!r} is not KEY=VALUE", param_hint="--context")
        context[key] = value
    task = _template_of(load_task(file, task_name))
    if any(arg in ("--help", "-h") for arg in ctx.args):
        click.echo(describe_inputs(task))
        return
    flyte.init_from_config(project=project, domain=domain)
    kwargs = parse_task_args(task, list(ctx.args))
    run_name = name or _new_run_name(task.name)
    runner = flyte.with_runcontext(name=run_name, project=project, domain=domain, custom_context=context)
    try:
        run = runner.run(task, **kwargs)
    except (TypeError, ValueError, flyte.errors.RemoteTaskUsageError) as e:
        if flyte.remote.Run.listall(name_contains=run_name, limit=1):
            raise click.ClickException(f"Run {run_name} failed: {type(e).__name__}: {one_line(str(e))}") from e
        raise click.UsageError(one_line(str(e))) from e
    except flyte.errors.BaseRuntimeError as e:
        tb = getattr(e, "traceback_text", None)
        if tb:
            click.echo(tb.rstrip(), err=True)
        phase = "was aborted" if isinstance(e, flyte.errors.ActionAbortedError) else "failed"
        raise click.ClickException(
            f"Run {run_name} {phase}: {type(e).__name__} ({e.code}): {one_line(str(e))}; "
            f"details: flyte runs show {run_name}"
        ) from e
    click.echo(f"Run: {run.name}")
    click.echo(f"URL: {run.url}")
    click.echo(f"Outputs: {run.outputs()!r}")
    sys.stdout.flush()
