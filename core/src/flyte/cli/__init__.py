"""The ``flyte`` command line: run tasks, inspect and abort runs, deploy environments.

Every error is one line on stderr (``Error: ...``) and a non-zero exit code: 2 for a wrong
command line (unknown file, task or input, a bad value), 1 for everything else (a failed run,
a run that does not exist). ``FLYTE_DEBUG=1`` adds the traceback of unexpected errors.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import click

__all__ = ["main"]


def one_line(text: str) -> str:
    return " ".join(str(text).split())


class _FlyteGroup(click.Group):
    """A click group whose errors are single lines."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as e:
            click.echo(f"Error: {one_line(e.format_message())}", err=True)
            sys.exit(e.exit_code)
        except click.exceptions.Abort:
            click.echo("Error: aborted", err=True)
            sys.exit(130)
        except Exception as e:  # a bug or an unforeseen failure: still one line, the traceback on request
            if os.environ.get("FLYTE_DEBUG"):
                traceback.print_exc()
            hint = "" if os.environ.get("FLYTE_DEBUG") else " (set FLYTE_DEBUG=1 for the traceback)"
            click.echo(f"Error: {type(e).__name__}: {one_line(str(e))}{hint}", err=True)
            sys.exit(1)
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=_FlyteGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="flyte", prog_name="flyte")
def main() -> None:
    """Run Flyte tasks locally, inspect and abort their runs, deploy environments."""


def _register() -> None:
    from flyte.cli._deploy import deploy_command
    from flyte.cli._durable import cache_group, rerun_command
    from flyte.cli._run import run_command
    from flyte.cli._runs import abort_command, runs_group
    from flyte.ui._cli import ui_command  # the web UI (flyte[ui]); FastAPI is imported only when it serves

    for command in (run_command, runs_group, abort_command, deploy_command, rerun_command, cache_group, ui_command):
        main.add_command(command)


_register()
