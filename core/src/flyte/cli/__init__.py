"""The ``flyte`` command line."""

from __future__ import annotations

import importlib.util
import json
import sys
import typing
from pathlib import Path
from typing import Any

import click

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="flyte", prog_name="flyte")
def main() -> None:
    """Run Flyte tasks locally and inspect their runs."""


def load_task(file: Path, task_name: str) -> Any:
    """Import ``file`` as a module and return its task called ``task_name``."""
    from flyte._model.task import TaskTemplate

    if not file.is_file():
        raise click.BadParameter(f"{file} is not a file", param_hint="FILE")
    module_name = file.stem if file.stem.isidentifier() else "flyte_user_module"
    directory = str(file.resolve().parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location(module_name, file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    tasks = {k: v for k, v in vars(module).items() if isinstance(v, TaskTemplate)}
    task = tasks.get(task_name)
    if task is None:
        known = ", ".join(sorted(tasks)) or "none"
        raise click.BadParameter(f"{file} has no task named {task_name!r}; tasks in it: {known}", param_hint="TASK")
    return task


def _parse_value(task: Any, name: str, text: str) -> Any:
    from flyte.types import parse_text

    t = task.interface.inputs[name][0]
    base = typing.get_origin(t) or t
    try:
        if base in (list, dict, tuple) or _is_structured(t):
            return _from_json(json.loads(text), t)
        return parse_text(text, t)
    except (ValueError, TypeError) as e:
        raise click.BadParameter(f"{text!r} is not a valid {getattr(t, '__name__', t)}: {e}", param_hint=f"--{name}")


def _is_structured(t: Any) -> bool:
    import dataclasses

    return dataclasses.is_dataclass(t) or hasattr(t, "model_validate")


def _from_json(value: Any, t: Any) -> Any:
    import dataclasses

    if dataclasses.is_dataclass(t) and isinstance(value, dict):
        hints = typing.get_type_hints(t)
        return t(**{k: _from_json(v, hints.get(k, Any)) for k, v in value.items()})
    if hasattr(t, "model_validate"):
        return t.model_validate(value)
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin is list and args:
        return [_from_json(v, args[0]) for v in value]
    if origin is tuple and args:
        return tuple(_from_json(v, a) for v, a in zip(value, args))
    if origin is dict and len(args) == 2:
        return {k: _from_json(v, args[1]) for k, v in value.items()}
    return value


def parse_task_args(task: Any, args: list[str]) -> dict[str, Any]:
    """Parse ``--name value`` / ``--name=value`` / bare ``--flag`` pairs against the task's inputs."""
    kwargs: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--"):
            raise click.UsageError(f"Unexpected argument {arg!r}; pass task inputs as --name value")
        key, eq, text = arg[2:].partition("=")
        name = key.replace("-", "_")
        if name not in task.interface.inputs:
            known = ", ".join(f"--{n}" for n in task.interface.inputs) or "none"
            raise click.UsageError(f"Task `{task.short_name}` has no input --{key}; its inputs: {known}")
        if not eq:
            nxt = args[i + 1] if i + 1 < len(args) else None
            if task.interface.inputs[name][0] is bool and (nxt is None or nxt.startswith("--")):
                kwargs[name] = True
                i += 1
                continue
            if nxt is None:
                raise click.UsageError(f"--{key} needs a value")
            text = nxt
            i += 1
        kwargs[name] = _parse_value(task, name, text)
        i += 1
    return kwargs


@main.command(
    "run",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "allow_interspersed_args": False},
)
@click.option("--name", default=None, help="Name of the run (default: generated).")
@click.option("--project", default=None, help="Project the run belongs to.")
@click.option("--domain", default=None, help="Domain the run belongs to.")
@click.option("--local", is_flag=True, help="Accepted for compatibility: runs are always local here.")
@click.option("--context", "custom_context", multiple=True, metavar="KEY=VALUE", help="Custom context entry.")
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
    """Run TASK from FILE; task inputs follow as --input value."""
    import flyte

    task = load_task(file, task_name)
    kwargs = parse_task_args(task, list(ctx.args))
    context = {}
    for entry in custom_context:
        key, eq, value = entry.partition("=")
        if not eq:
            raise click.BadParameter(f"{entry!r} is not KEY=VALUE", param_hint="--context")
        context[key] = value
    flyte.init_from_config()
    runner = flyte.with_runcontext(name=name, project=project, domain=domain, custom_context=context)
    try:
        run = runner.run(task, **kwargs)
    except TypeError as e:
        raise click.UsageError(str(e)) from e
    except flyte.errors.BaseRuntimeError as e:
        click.echo(f"Run failed: {type(e).__name__} ({e.code}): {e}", err=True)
        sys.exit(1)
    click.echo(f"Run: {run.name}")
    click.echo(f"URL: {run.url}")
    click.echo(f"Outputs: {run.outputs()!r}")


@main.command("abort")
@click.argument("run_name", metavar="RUN")
@click.argument("action_name", metavar="ACTION", required=False)
@click.option("--reason", default="aborted from the command line", help="Recorded with the abort.")
@click.option("--project", default=None, help="Accepted for compatibility; runs are looked up by name.")
@click.option("--domain", default=None, help="Accepted for compatibility; runs are looked up by name.")
def abort_command(run_name: str, action_name: str | None, reason: str, project: str | None, domain: str | None) -> None:
    """Abort a running RUN, or one ACTION of it (by id, id prefix or unique short name)."""
    from flyte._runtime.journal import journal
    from flyte.models import ActionPhase

    j = journal()
    run = j.get_run(run_name)
    if run is None:
        raise click.BadParameter(f"no run named {run_name!r} in {j.path}", param_hint="RUN")
    if ActionPhase(j.reconcile(run).phase).is_terminal:
        raise click.ClickException(f"run {run_name} already finished ({run.phase}); nothing to abort")
    target = run.root_action
    if action_name:
        action = j.find_action(run_name, action_name)
        if action is None:
            raise click.BadParameter(f"run {run_name} has no action {action_name!r}", param_hint="ACTION")
        if ActionPhase(action.phase).is_terminal:
            raise click.ClickException(f"action {action.action_id} already finished ({action.phase}); nothing to abort")
        target = action.action_id
    j.request_abort(run_name, target, reason)
    click.echo(f"Abort requested for {'action ' + target if action_name else 'run'} of {run_name}")
