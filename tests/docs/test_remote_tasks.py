"""Page "Remote tasks": deploy environments, reference their tasks by name from code that cannot
import them, run them in isolation, with the page's type translation, overrides and errors."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import flyte
import flyte.errors
import flyte.remote
from flyte.models import ActionPhase

from ._support import EXAMPLES_DIR, FLYTE_CLI, actions_named, explain

pytestmark = pytest.mark.subprocess


def cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FLYTE_CLI), *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=dict(os.environ)
    )


def python(code: str, *, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=dict(os.environ),
    )


@pytest.fixture
def teams(tmp_path) -> Path:
    """Teams A and B's code, in a directory of their own."""
    target = tmp_path / "teams"
    shutil.copytree(EXAMPLES_DIR / "remote_teams", target)
    return target


@pytest.fixture
def orchestration(tmp_path) -> Path:
    """Team C's code, in another directory, from which the teams' modules cannot be imported."""
    target = tmp_path / "orchestration"
    shutil.copytree(EXAMPLES_DIR / "remote_orchestration", target)
    return target


def deploy(teams: Path, *envs: str, version: str | None = None) -> None:
    for env in envs:
        proc = cli("deploy", f"{env}/", *(["--version", version] if version else []), cwd=teams)
        assert proc.returncode == 0, explain(proc)
        assert f"Deployed environment {env} version" in proc.stdout


# ------------------------------------------------------------------------------ the complete example


def test_three_teams_through_the_cli(teams, orchestration):
    # flyte deploy spark_env/ ; flyte deploy ml_env/   (from the teams' directory)
    deploy(teams, "spark_env", "ml_env")
    shutil.rmtree(teams)  # what runs from now on is the deployed snapshot
    blocked = python("import spark_env", cwd=orchestration)
    assert blocked.returncode != 0 and "No module named 'spark_env'" in blocked.stderr
    # flyte run orchestration_env.py orchestrate_pipeline --data_path s3://my-bucket/data.parquet
    proc = cli(
        "run", "--name", "three-teams", "orchestration_env.py", "orchestrate_pipeline",
        "--data_path", "s3://my-bucket/data.parquet", cwd=orchestration,
    )
    assert proc.returncode == 0, explain(proc)
    assert "Analysis: mean=42.5, std=3.2" in proc.stdout
    assert "Prediction: 106.25 (confidence: 0.95)" in proc.stdout
    assert "Outputs: ActionOutputs(o0=106.25)" in proc.stdout
    run = flyte.remote.Run.get("three-teams")
    assert run.phase == ActionPhase.SUCCEEDED and run.outputs() == 106.25
    (root,) = actions_named(run, "orchestrate_pipeline")
    children = {a.task_name: a for a in run.actions() if a.parent == root.name}
    assert set(children) == {"spark_env.analyze_data", "spark_env.compute_score", "ml_env.run_inference"}
    assert {a.phase for a in children.values()} == {ActionPhase.SUCCEEDED}
    logs = cli("runs", "logs", "three-teams", "orchestrate_pipeline", cwd=orchestration)
    assert "Analysis: mean=42.5, std=3.2\n" in logs.stdout


def test_three_teams_with_the_python_api(teams, orchestration):
    deploy(teams, "spark_env", "ml_env")
    # `python orchestration_env.py` runs the page's "Using Python API" block
    proc = subprocess.run(
        [sys.executable, "orchestration_env.py"], capture_output=True, text=True, cwd=orchestration,
        env=dict(os.environ), timeout=120,
    )
    assert proc.returncode == 0, explain(proc)
    assert "Pipeline result: ActionOutputs(o0=106.25)" in proc.stdout
    assert "Execution URL: file://" in proc.stdout


# ------------------------------------------------------------------------------ basic usage, types


def test_basic_usage_dataframe_result(teams, tmp_path):
    deploy(teams, "data_team")
    caller = tmp_path / "caller"
    shutil.copytree(EXAMPLES_DIR / "remote_basic", caller)
    proc = cli("run", "--name", "basic", "my_workflow.py", "my_task", "--data_path", "s3://my-bucket/data.parquet",
               cwd=caller)
    assert proc.returncode == 0, explain(proc)
    assert "analyzing s3://my-bucket/data.parquet" in proc.stdout
    check = python(
        """
        import flyte, flyte.io, pandas as pd
        out = flyte.remote.Run.get("basic").outputs()[0]
        assert isinstance(out, flyte.io.DataFrame), type(out)
        df = out.open(pd.DataFrame).all_sync()
        print(df.to_dict("list"))
        """,
        cwd=caller,
    )
    assert check.returncode == 0, explain(check)
    assert "{'path': ['s3://my-bucket/data.parquet', 's3://my-bucket/data.parquet'], 'value': [1.5, 2.5]}" in check.stdout


# ------------------------------------------------------------------------------ in-process callers

SPARK = "spark_env.analyze_data"


def test_lazy_reference_and_eager_fetch(teams):
    # Task.get makes no lookup: a missing task is fine until it is used.
    missing = flyte.remote.Task.get("nonexistent.task", auto_version="latest")
    assert missing.name == "nonexistent.task"
    with pytest.raises(flyte.errors.RemoteTaskNotFoundError, match="No task `nonexistent.task` is deployed"):
        flyte.run(missing, input_path="s3://data.parquet")
    with pytest.raises(flyte.errors.RemoteTaskNotFoundError):
        missing.fetch()
    assert flyte.remote.Run.listall() == []  # nothing ran

    ref = flyte.remote.Task.get(SPARK, auto_version="latest")
    deploy(teams, "spark_env", version="v1")
    details = ref.fetch()
    assert details.name == SPARK and details.version == "v1"
    assert details.required_args == ("data_path",)
    assert asyncio.run(ref.fetch.aio()) is details  # cached
    # flyte.run takes the reference or the fetched details
    run1 = flyte.run(ref, data_path="s3://data1.parquet")
    run2 = flyte.run(details, data_path="s3://data2.parquet")
    for run in (run1, run2):
        assert run.phase == flyte.models.ActionPhase.SUCCEEDED
        result = run.outputs()[0]
        assert (result.mean_value, result.std_dev) == (42.5, 3.2)
    assert type(run1.outputs()[0]).__name__ == "AnalysisResult"


def test_error_snippets_of_the_page(teams):
    deploy(teams, "spark_env", "ml_env")
    env = flyte.TaskEnvironment(name="remote_errors")
    data_processor = flyte.remote.Task.get("nonexistent.task", auto_version="latest")
    analyzer = flyte.remote.Task.get(SPARK, auto_version="latest")

    def local_process(path: str) -> str:
        return f"local:{path}"

    @env.task
    async def pipeline_with_fallback(data_path: str) -> dict:
        try:
            result = await data_processor(input_path=data_path)
            return {"status": "success", "result": result}
        except flyte.errors.RemoteTaskNotFoundError as e:
            print(f"Remote task failed: {e}, using local fallback")
            return {"status": "fallback", "result": local_process(data_path)}
        except flyte.errors.RemoteTaskUsageError:
            raise ValueError("Bad Usage of remote task, maybe arguments dont match!")

    run = flyte.run(pipeline_with_fallback, data_path="s3://x")
    assert run.outputs() == {"status": "fallback", "result": "local:s3://x"}

    @env.task
    async def misuse(how: str) -> str:
        try:
            if how == "positional":
                await analyzer("s3://x")
            elif how == "unknown":
                await analyzer(input_path="s3://x")
            elif how == "type":
                await analyzer(data_path=42)
            elif how == "override":
                analyzer.override(image="other")
            elif how == "current":
                await flyte.remote.Task.get(SPARK, auto_version="current")(data_path="s3://x")
        except flyte.errors.RemoteTaskUsageError as e:
            return f"usage: {e}"
        return "no error"

    messages = {how: flyte.run(misuse, how=how).outputs()[0] for how in
                ("positional", "unknown", "type", "override", "current")}
    assert "keyword arguments only" in messages["positional"]
    assert "unexpected input `input_path`" in messages["unknown"] and "data_path" in messages["unknown"]
    assert "input `data_path` expects str" in messages["type"]
    assert "override() got image" in messages["override"]
    assert "was not deployed" in messages["current"]
    with pytest.raises(flyte.errors.RemoteTaskUsageError, match="only be used inside a task"):
        flyte.remote.Task.get(SPARK, auto_version="current").fetch()
    with pytest.raises(flyte.errors.RemoteTaskUsageError, match="runs only as an action"):
        analyzer.fetch().template(data_path="x")
    with pytest.raises(ValueError, match="either version"):
        flyte.remote.Task.get(SPARK, version="v1", auto_version="latest")
    with pytest.raises(ValueError, match="'latest' or 'current'"):
        flyte.remote.Task.get(SPARK, auto_version="newest")


def test_versions_overrides_and_isolation(tmp_path):
    # Two versions of one environment, different code under the same module name.
    for version, factor in (("v1", 10), ("v2", 20)):
        src = tmp_path / f"calc-{version}" / "calc"
        src.mkdir(parents=True)
        (src / "calc.py").write_text(textwrap.dedent(f"""
            import os
            import flyte

            env = flyte.TaskEnvironment(name="calc", env_vars={{"CALC_VERSION": "{version}"}})

            @env.task(retries=0)
            async def scale(x: int) -> str:
                return f"{{x * {factor}}} {{os.environ['CALC_VERSION']}} {{os.environ.get('REGION', '-')}}"
            """))
        proc = cli("deploy", "calc", "--version", version, cwd=src.parent)
        assert proc.returncode == 0, explain(proc)
    env = flyte.TaskEnvironment(name="versions_caller")
    v1 = flyte.remote.Task.get("calc.scale", version="v1")
    latest = flyte.remote.Task.get("calc.scale", auto_version="latest")
    chained = latest.override(resources=flyte.Resources(cpu="2", memory="1Gi")).override(
        retries=3, timeout="2h", env_vars={"REGION": "us-west-2"}, short_name="scale_prod"
    )

    @env.task
    async def both(x: int) -> list[str]:
        return list(await asyncio.gather(v1(x=x), latest(x=x), chained(x=x)))

    run = flyte.run(both, x=2)
    assert run.outputs()[0] == ["20 v1 -", "40 v2 -", "40 v2 us-west-2"]
    short_names = sorted(a.short_name for a in run.actions() if a.task_name == "calc.scale")
    assert short_names == ["scale", "scale", "scale_prod"]
    assert chained.fetch().template.retries.count == 3
    with pytest.raises(flyte.errors.RemoteTaskNotFoundError, match="deployed versions: v1, v2"):
        flyte.remote.Task.get("calc.scale", version="v3").fetch()


def test_deploy_the_orchestration_after_its_dependencies(teams, orchestration):
    # "If you want to deploy the orchestration task as well ..., deploy it after its dependencies"
    early = cli("deploy", "orchestration_env.py", cwd=orchestration)
    assert early.returncode == 1
    assert "uses remote task `spark_env.analyze_data`" in early.stderr and "Deploy the environments it depends on first" in early.stderr
    assert len(early.stderr.splitlines()) == 1
    deploy(teams, "spark_env", "ml_env")
    proc = cli("deploy", "orchestration_env.py", "--version", "o1", cwd=orchestration)
    assert proc.returncode == 0, explain(proc)
    # Now another team can reference the orchestration itself, and run it from anywhere.
    run = flyte.run(flyte.remote.Task.get("orchestration.orchestrate_pipeline"), data_path="s3://x")
    assert run.outputs() == 106.25
    tasks = [a.task_name for a in run.actions()]
    assert tasks[0] == "orchestration.orchestrate_pipeline"
    assert sorted(tasks[1:]) == ["ml_env.run_inference", "spark_env.analyze_data", "spark_env.compute_score"]
