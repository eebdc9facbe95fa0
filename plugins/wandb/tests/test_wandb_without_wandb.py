"""Without the wandb package: the link works, @wandb_init names the extra to install.

The subprocess tests start interpreters in which ``import wandb`` fails (``sys.modules["wandb"]
= None``, the standard way to make an installed module unimportable), so nothing of wandb can
be loaded, not even by accident.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import flyte
from flyteplugins.wandb import wandb_init

HINT = "pip install 'flyteplugins-wandb[wandb]'"


def run_python(code: str, tmp_path) -> str:
    env_home = tmp_path / "flyte-home"
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FLYTE_HOME": str(env_home), "FLYTE_PROGRESS": "off"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.subprocess
def test_importing_the_plugin_does_not_import_wandb(tmp_path):
    out = run_python(
        """
        import sys, json
        import flyteplugins.wandb
        print(json.dumps(sorted(m for m in sys.modules if m == "wandb" or m.startswith("wandb."))))
        """,
        tmp_path,
    )
    assert json.loads(out) == []


@pytest.mark.subprocess
def test_without_wandb_the_link_renders_and_wandb_init_names_the_extra(tmp_path):
    out = run_python(
        """
        import sys, json
        sys.modules["wandb"] = None  # not installed, as far as this interpreter can tell
        import flyte
        from flyteplugins.wandb import Wandb, wandb_init

        env = flyte.TaskEnvironment("no-wandb")

        @env.task(links=(Wandb(project="my-ml-project", entity="my-team"),))
        async def tracked() -> int:
            return 1

        run = flyte.with_runcontext(name="no-wandb-run", custom_context={"wandb_id": "exp 1"}).run(tracked)
        try:
            @wandb_init
            @env.task
            async def needs_wandb() -> int:
                return 1
        except ImportError as e:
            error = str(e)
        else:
            error = None
        print(json.dumps({"links": run.actions()[0].links, "error": error}))
        """,
        tmp_path,
    )
    result = json.loads(out)
    assert result["links"] == [["Weights & Biases", "https://wandb.ai/my-team/my-ml-project/runs/exp%201"]]
    assert result["error"] == f"@wandb_init on `no-wandb.needs_wandb` needs the wandb package, which is not installed: {HINT}"


env = flyte.TaskEnvironment("wandb-removed")


def test_a_task_decorated_while_wandb_was_there_fails_naming_the_extra_when_it_is_gone(monkeypatch):
    pytest.importorskip("wandb", reason="decorating needs the wandb package (requirements-dev.txt)")

    @wandb_init
    @env.task
    async def decorated() -> int:
        return 1

    monkeypatch.setitem(sys.modules, "wandb", None)
    with pytest.raises(Exception, match=r"@wandb_init on `wandb-removed.decorated` needs the wandb package") as caught:
        flyte.run(decorated)
    assert HINT in str(caught.value)


def test_decorating_without_wandb_fails_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)

    async def body() -> int:
        return 1

    task = env.task(body)
    with pytest.raises(ImportError) as caught:
        wandb_init(run_mode="new")(task)
    assert str(caught.value) == f"@wandb_init on `wandb-removed.body` needs the wandb package, which is not installed: {HINT}"
