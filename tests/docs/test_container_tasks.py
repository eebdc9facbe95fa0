"""Page "Container tasks": the page's programs on a real Docker engine.

No image registry is reachable here, so the engine and a busybox image come from the shared
tool ``../shared/tools/docker-test-env`` (beside the repository), and the image is tagged under
the page's image names for the programs that run; the images nobody tagged (``ncbi/blast``,
``python:2.7``, ``rust:1.75``) show the pull failure. See ``examples/container_tasks.py`` for the
few changes to the page's code (a shell script instead of ``uv run``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import flyte
import flyte.errors
from flyte.models import ActionPhase
from flyte.remote import Run

from ._support import actions_named

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[2]
DOCKER_TEST_ENV = REPO.parent / "shared" / "tools" / "docker-test-env"
PAGE_IMAGES = ("alpine:3.18", "ghcr.io/astral-sh/uv:debian-slim")


@pytest.fixture(scope="module")
def docker_client():
    """A Docker engine with the busybox image, started through the shared tool when needed."""
    image = "flyte-test/busybox:1"
    ready = shutil.which("docker") and subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode == 0
    if not ready:
        if not DOCKER_TEST_ENV.exists():
            pytest.skip(f"no Docker engine with {image}, and {DOCKER_TEST_ENV} (which starts one) is missing")
        proc = subprocess.run(["bash", str(DOCKER_TEST_ENV)], capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            pytest.skip(f"{DOCKER_TEST_ENV} could not start a Docker engine: {proc.stdout.strip()} {proc.stderr.strip()}")
        image = proc.stdout.strip().splitlines()[-1]
    import docker

    client = docker.from_env()
    busybox = client.images.get(image)
    added = []
    for ref in PAGE_IMAGES:
        if not client.images.list(name=ref):
            busybox.tag(*ref.rsplit(":", 1))
            added.append(ref)
    yield client
    for ref in added:
        client.images.remove(ref, noprune=True)
    client.close()


@pytest.fixture(autouse=True)
def no_leftovers(docker_client, tmp_path, monkeypatch):
    """The `docker ps -a` check: no test leaves a container (told apart by its mounts) or data behind."""
    staging = tmp_path / "staging"
    monkeypatch.setenv("FLYTE_CONTAINER_STAGING_DIR", str(staging))
    yield
    left = [
        c.attrs["Names"][0]
        for c in docker_client.containers.list(all=True, sparse=True, filters={"label": "org.flyte.container-task"})
        if any(m.get("Source", "").startswith(str(staging)) for m in c.attrs.get("Mounts", []))
    ]
    assert left == [], f"containers left behind: {left}"
    assert not staging.exists() or not any(staging.iterdir())


def test_basic_usage_greeting_from_a_python_task(capsys):
    from .examples import container_tasks as ex

    run = flyte.run(ex.say_hello)
    assert run.outputs()[0] == "Hello, my name is flyte."
    assert run.phase == ActionPhase.SUCCEEDED
    (parent,) = actions_named(run, "say_hello")
    (child,) = actions_named(run, "echo_and_return_greeting")
    assert child.parent == parent.name and child.phase == ActionPhase.SUCCEEDED
    assert parent.logs() == "Hello container task\n"
    assert child.logs() == "Hello, my name is flyte.\n"  # tee's copy, streamed from the container
    out = capsys.readouterr().out
    assert "Hello container task\n" in out and "Hello, my name is flyte.\n" in out

    assert flyte.run(ex.say_hello, name="Ada").outputs()[0] == "Hello, my name is Ada."


def test_using_container_tasks_in_workflows_environments():
    from .examples import container_tasks as ex

    assert ex.container_env.tasks == {"echo_and_return_greeting": ex.greeting_task}
    assert ex.env.depends_on == [ex.container_env]
    assert ex.greeting_task.task_type == "raw-container"


def test_passing_files_a_script_is_executed():
    from .examples import container_tasks as ex

    run = flyte.run(ex.execute_script)
    assert run.outputs()[0] == 30
    (runner,) = actions_named(run, "python_code_runner")
    assert runner.logs() == "adding 10 and 20\n"


def test_agentic_sandbox_runs_generated_code():
    from .examples import container_sandbox as ex

    generated = 'echo "computing" >&2\necho $(( ($1 + $2) * 2 ))\n'
    run = flyte.run(ex.run_generated_code, generated, 3, 4)
    assert run.outputs()[0] == 14
    assert actions_named(run, "code_sandbox")[0].logs() == "computing\n"


def test_generated_code_that_fails_reports_its_exit_code_and_output():
    from flyteplugins.container import ContainerExitError

    from .examples import container_sandbox as ex

    with pytest.raises(ContainerExitError) as info:
        flyte.run(ex.run_generated_code, 'echo "Traceback: boom" >&2\nexit 2\n', 1, 2)
    assert info.value.exit_code == 2
    assert "Last stderr lines:\n  Traceback: boom" in str(info.value)


@pytest.mark.parametrize(("task_name", "image"), [("blast_task", "ncbi/blast:latest"), ("legacy_task", "python:2.7"),
                                                  ("rust_task", "rust:1.75")])
def test_images_that_cannot_be_pulled_fail_clearly(task_name, image, tmp_path):
    from .examples import container_tasks as ex

    task = getattr(ex, task_name)
    query = tmp_path / "query.fa"
    query.write_text(">q\nACGT\n")
    inputs = {
        "blast_task": lambda: {"query": flyte.io.File.from_local_sync(query), "database": "nt"},
        "legacy_task": lambda: {"data_file": flyte.io.File.from_local_sync(query)},
        "rust_task": lambda: {"n": 5},
    }[task_name]()
    with pytest.raises(flyte.errors.ImagePullBackOffError) as info:
        flyte.run(task, **inputs)
    assert f"image `{image}` is not on the local Docker engine and pulling it failed" in str(info.value)
    (run,) = Run.listall()
    assert run.phase == ActionPhase.FAILED


def test_configuration_options_and_their_defaults():
    from flyte.extras import ContainerTask

    from .examples import container_tasks as ex

    t = ContainerTask(name="defaults", image="alpine:3.18", command=["true"])
    assert (t.input_data_dir, t.output_data_dir, t.metadata_format, t.local_logs) == ("/var/inputs", "/var/outputs", "JSON", True)
    assert (ex.blast_task.input_data_dir, ex.blast_task.output_data_dir) == ("/data", "/results")
    assert ex.rust_task.command == ["./compute_binary", "{{.inputs.n}}"]
