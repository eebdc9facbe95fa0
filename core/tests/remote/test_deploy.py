"""`flyte.deploy(env, version=...)` and `flyte deploy FILE_OR_DIR`: the local task registry and code snapshots."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import flyte
import flyte.errors
from flyte._runtime.deploy import TaskRegistry, snapshot_root
from flyte._runtime.loader import load_module

FLYTE = Path(sys.executable).parent / "flyte"


def write_module(directory: Path, name: str, code: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.py"
    path.write_text(textwrap.dedent(code))
    return path


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(FLYTE), *args], capture_output=True, text=True, cwd=cwd, env=dict(os.environ), timeout=120)


def test_deploy_registers_tasks_with_a_snapshot(tmp_path, flyte_home):
    write_module(tmp_path / "pkg", "helpers_dep1", "FACTOR = 3\n")
    (tmp_path / "pkg" / "data.json").write_text('{"k": 1}')
    path = write_module(tmp_path / "pkg", "team_dep1", """
        import flyte
        import helpers_dep1

        env = flyte.TaskEnvironment(name="team_dep1", include=("data.json",), env_vars={"MODE": "x"})

        @env.task(retries=2, timeout=30, cache="auto", report=True)
        async def scale(x: int, by: int = 2) -> int:
            \"\"\"Scale x.\"\"\"
            return x * by * helpers_dep1.FACTOR

        @env.task
        def other() -> None:
            pass
    """)
    module = load_module(path)
    (deployment,) = flyte.deploy(module.env, version="1.0")
    assert deployment.env == "team_dep1" and deployment.version == "1.0"
    assert deployment.tasks == ("team_dep1.scale", "team_dep1.other")
    assert (deployment.project, deployment.domain) == ("default", "development")
    snapshot = deployment.snapshot
    assert snapshot.parent == snapshot_root(flyte_home)
    assert sorted(p.name for p in snapshot.iterdir()) == [".flyte-snapshot.json", "data.json", "helpers_dep1.py", "team_dep1.py"]
    spec = TaskRegistry("default", "development").get("team_dep1.scale", "1.0")
    assert spec is not None
    assert (spec.module, spec.retries, spec.timeout, spec.report, spec.docs) == ("team_dep1", 2, 30.0, True, "Scale x.")
    assert spec.cache["behavior"] == "auto" and spec.env_vars == {"MODE": "x"}
    assert set(spec.defaults) == {"by"}
    # Deploying the same code and version again changes nothing.
    (again,) = flyte.deploy(module.env, version="1.0")
    assert again.unchanged == again.tasks
    details = flyte.remote.Task.get("team_dep1.scale", version="1.0").fetch()
    assert details.default_input_args == {"by": 2} and details.required_args == ("x",)


def test_versions_are_derived_from_the_code_and_immutable(tmp_path):
    code = """
        import flyte
        env = flyte.TaskEnvironment(name="team_dep2")

        @env.task
        async def value() -> int:
            return {n}
    """
    directory = tmp_path / "one"
    path = write_module(directory, "team_dep2", code.format(n=1))
    first = cli("deploy", str(path), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    version = first.stdout.split(" version ")[1].split()[0]
    assert len(version) == 16
    same = cli("deploy", str(path), cwd=tmp_path)
    assert f"version {version} " in same.stdout and "(already deployed, unchanged)" in same.stdout
    write_module(directory, "team_dep2", code.format(n=2))
    changed = cli("deploy", str(path), cwd=tmp_path)
    assert changed.returncode == 0 and f"version {version} " not in changed.stdout
    pinned = cli("deploy", str(path), "--version", version, cwd=tmp_path)
    assert pinned.returncode == 1
    assert pinned.stderr.startswith(f"Error: DeploymentError: Task `team_dep2.value` version '{version}' is already deployed")
    assert "versions are immutable" in pinned.stderr and len(pinned.stderr.splitlines()) == 1
    registry = TaskRegistry("default", "development")
    assert [s.version for s in registry.versions("team_dep2.value")][0] == version
    assert registry.latest("team_dep2.value").version != version


def test_deploy_errors_name_the_problem(tmp_path):
    empty = write_module(tmp_path / "empty", "nothing_here", "import flyte\nenv = flyte.TaskEnvironment(name='idle')\n")
    proc = cli("deploy", str(empty), cwd=tmp_path)
    assert proc.returncode == 1
    assert "defines no flyte.TaskEnvironment with tasks" in proc.stderr
    outside = write_module(tmp_path / "inc", "team_dep3", """
        import flyte
        env = flyte.TaskEnvironment(name="team_dep3", include=("../secret.txt",))
        @env.task
        def t() -> None:
            pass
    """)
    (tmp_path / "secret.txt").write_text("s")
    proc = cli("deploy", str(outside), cwd=tmp_path)
    assert "include entry '../secret.txt'" in proc.stderr and "outside the deployed code root" in proc.stderr
    broken = write_module(tmp_path / "broken", "team_dep4", "import flyte\nraise ImportError('no spark here')\n")
    proc = cli("deploy", str(broken.parent), cwd=tmp_path)
    assert proc.returncode == 1 and "ImportError: no spark here" in proc.stderr
    with pytest.raises(TypeError, match="flyte.deploy takes environments"):
        flyte.deploy("not an env")
    with pytest.raises(flyte.errors.DeploymentError, match="has no tasks"):
        flyte.deploy(flyte.TaskEnvironment(name="no_tasks"))
    # Nothing half-written: no registry entry for any of them.
    registry = TaskRegistry("default", "development")
    assert registry.names() == []


def test_depends_on_dry_run_and_aio(tmp_path, flyte_home):
    path = write_module(tmp_path / "deps", "team_dep5", """
        import flyte
        base = flyte.TaskEnvironment(name="base_dep5")
        @base.task
        async def b() -> int:
            return 1
        top = flyte.TaskEnvironment(name="top_dep5", depends_on=[base])
        @top.task
        async def t() -> int:
            return 2
    """)
    module = load_module(path)
    planned = flyte.deploy(module.top, dryrun=True)
    assert [d.env for d in planned] == ["base_dep5", "top_dep5"]
    assert not (flyte_home / "registry").exists()
    deployed = asyncio.run(flyte.deploy.aio(module.top, version="2"))
    assert [(d.env, d.version) for d in deployed] == [("base_dep5", "2"), ("top_dep5", "2")]
    assert TaskRegistry("default", "development").names() == ["base_dep5.b", "top_dep5.t"]


def test_project_and_domain(tmp_path):
    path = write_module(tmp_path / "pd", "team_dep6", """
        import flyte
        env = flyte.TaskEnvironment(name="team_dep6")
        @env.task
        async def t() -> str:
            return "hi"
    """)
    proc = cli("deploy", str(path), "--project", "ml", "--domain", "prod", "--version", "p1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "to ml/prod" in proc.stdout
    with pytest.raises(flyte.errors.RemoteTaskNotFoundError, match="project 'default', domain 'development'"):
        flyte.remote.Task.get("team_dep6.t").fetch()
    details = flyte.remote.Task.get("team_dep6.t", project="ml", domain="prod").fetch()
    assert details.version == "p1"
    spec_file = next(Path(os.environ["FLYTE_HOME"]).glob("registry/ml/prod/tasks/team_dep6.t/p1.json"))
    assert json.loads(spec_file.read_text())["env"] == "team_dep6"
