"""``flyte ui``: serve the web UI of the runs in ``FLYTE_HOME``."""

from __future__ import annotations

import click


@click.command("ui")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Keep the loopback default unless others must reach this UI.")
@click.option("--open", "open_browser", is_flag=True, help="Open the runs page in a browser.")
def ui_command(port: int, host: str, open_browser: bool) -> None:
    """Serve a web UI of the runs in FLYTE_HOME on this machine.

    It shows every run with its action tree, groups, inputs, outputs, errors, logs, links and
    reports, live while runs progress, and aborts and reruns them. While it serves, `flyte run`
    and Run.url point at the run's page. Needs `pip install 'flyte[ui]'`.
    """
    from flyte.ui._server import UIError, serve

    try:
        serve(host=host, port=port, open_browser=open_browser, announce=lambda line: click.echo(line))
    except UIError as e:
        raise click.ClickException(str(e)) from e
