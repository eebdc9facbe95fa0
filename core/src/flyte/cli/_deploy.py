"""``flyte deploy FILE_OR_DIR [--version V]``"""

from __future__ import annotations

from pathlib import Path

import click

from flyte.cli import one_line


@click.command("deploy")
@click.argument("path", metavar="FILE_OR_DIR", type=click.Path(path_type=Path))
@click.option("--version", default=None, help="Version to register (default: derived from the code).")
@click.option("--project", default=None, help="Project to deploy into (default: from flyte config, else 'default').")
@click.option("--domain", default=None, help="Domain to deploy into (default: from flyte config, else 'development').")
@click.option("--dry-run", "dryrun", is_flag=True, help="Show what would be deployed without writing anything.")
def deploy_command(path: Path, version: str | None, project: str | None, domain: str | None, dryrun: bool) -> None:
    """Deploy the task environments defined in FILE_OR_DIR.

    FILE_OR_DIR is a Python file, or a directory whose Python files are all imported. Every task
    of the environments found is registered in the local task registry under FLYTE_HOME, with a
    snapshot of the code; flyte.remote.Task.get("env.task") then finds it from any directory.
    """
    import flyte
    from flyte._runtime.deploy import deploy_path

    if not path.exists():
        raise click.BadParameter(f"{path} does not exist", param_hint="FILE_OR_DIR")
    flyte.init_from_config(project=project, domain=domain)
    try:
        deployments = deploy_path(path, version=version, project=project, domain=domain, dryrun=dryrun)
    except flyte.errors.BaseRuntimeError as e:
        raise click.ClickException(f"{type(e).__name__}: {one_line(str(e))}") from e
    verb = "Would deploy" if dryrun else "Deployed"
    for d in deployments:
        tasks = len(d.tasks)
        click.echo(f"{verb} environment {d.env} version {d.version} to {d.project}/{d.domain}: {tasks} task{'s' if tasks != 1 else ''}")
        for name in d.tasks:
            click.echo(f"  {name}" + ("  (already deployed, unchanged)" if name in d.unchanged else ""))
    if not dryrun:
        for snapshot in dict.fromkeys(d.snapshot for d in deployments):
            click.echo(f"Code snapshot: {snapshot}")
