"""Fixtures: a FLYTE_HOME per test and a real Docker engine with local test images.

No image registry is reachable where these tests run, so the engine and its images come from
the shared tool ``../shared/tools/docker-test-env`` (beside the repository): it installs and
starts dockerd if needed and imports a busybox image, ``flyte-test/busybox:1``. Tests that need
the engine are marked ``docker``; they are skipped, with the tool's reason, only when no engine
can be started.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
DOCKER_TEST_ENV = REPO.parent / "shared" / "tools" / "docker-test-env"
#: The label every container of a container task carries.
TASK_LABEL = "org.flyte.container-task"


@pytest.fixture(autouse=True)
def flyte_home(tmp_path, monkeypatch):
    """Every test journals into its own FLYTE_HOME."""
    home = tmp_path / "flyte-home"
    monkeypatch.setenv("FLYTE_HOME", str(home))
    return home


def _engine_image() -> tuple[str | None, str]:
    """(image, "") when an engine with the busybox image is ready, else (None, why not)."""
    image = os.environ.get("DOCKER_TEST_IMAGE", "flyte-test/busybox:1")
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "image", "inspect", image], capture_output=True, text=True)
        if probe.returncode == 0:
            return image, ""
    if not DOCKER_TEST_ENV.exists():
        return None, f"no Docker engine with {image}, and {DOCKER_TEST_ENV} (which starts one) is missing"
    proc = subprocess.run(["bash", str(DOCKER_TEST_ENV)], capture_output=True, text=True, timeout=600)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return None, f"{DOCKER_TEST_ENV} could not start a Docker engine: {proc.stdout.strip()} {proc.stderr.strip()}"
    return lines[-1], ""


@pytest.fixture(scope="session")
def docker_image() -> str:
    """The local busybox image (the engine is started first when needed)."""
    image, reason = _engine_image()
    if image is None:
        pytest.skip(reason)
    return image


@pytest.fixture(scope="session")
def docker_client(docker_image):
    import docker

    client = docker.from_env()
    yield client
    client.close()


@pytest.fixture(scope="module")  # untagged again after the module: other tests show these names failing to pull
def page_images(docker_image, docker_client) -> Iterator[dict[str, str]]:
    """The busybox image tagged under names the docs' page uses (no registry can serve them)."""
    tags = {"alpine": "alpine:3.18", "rust": "rust:1.75"}
    image = docker_client.images.get(docker_image)
    added = []
    for ref in tags.values():
        repo, tag = ref.rsplit(":", 1)
        try:
            docker_client.images.get(ref)
        except Exception:
            image.tag(repo, tag)
            added.append(ref)
    yield tags
    for ref in added:
        docker_client.images.remove(ref, noprune=True)


@pytest.fixture(scope="session")
def nonroot_image(docker_image, docker_client) -> Iterator[str]:
    """The busybox image with a root directory any user can traverse.

    docker-test-env builds its image from a ``mktemp -d`` directory, so ``/`` there is mode 0700
    and a non-root user cannot even find ``/bin/sh``. Exporting a container and importing the
    stream again gives the same files with a default (0755) root.
    """
    name = "flyte-test/busybox:1-nonroot"
    container = docker_client.containers.create(docker_image, ["true"])
    try:
        data = b"".join(container.export())
    finally:
        container.remove(force=True)
    buffer = io.BytesIO(data)
    with tarfile.open(fileobj=buffer) as tar:  # the export must hold the shell we run
        assert "bin/sh" in tar.getnames()
    docker_client.api.import_image_from_data(data, repository=name.split(":")[0], tag="1-nonroot", changes=["ENV PATH=/bin"])
    yield name
    docker_client.images.remove(name, noprune=True)


@pytest.fixture
def no_leftovers(docker_client, tmp_path, monkeypatch) -> Iterator[Path]:
    """Fail the test if a container task leaves a container (`docker ps -a`) or a staging directory behind.

    The test's containers are told apart from anyone else's on the engine by their mounts, which
    all lie in the test's own staging directory.
    """
    staging = tmp_path / "staging"
    monkeypatch.setenv("FLYTE_CONTAINER_STAGING_DIR", str(staging))
    yield staging
    assert containers_staged_in(docker_client, staging) == [], "containers left behind"
    assert not staging.exists() or list(staging.iterdir()) == [], f"staging left behind: {list(staging.iterdir())}"


def containers_staged_in(client, staging: Path) -> list[str]:
    """Names of the containers (running or not) of container tasks whose data lies under ``staging``."""
    found = []
    # sparse: the listing only, no inspect per container (which fails when another process
    # removes one of its containers meanwhile)
    for c in client.containers.list(all=True, sparse=True, filters={"label": TASK_LABEL}):
        if any(m.get("Source", "").startswith(str(staging)) for m in c.attrs.get("Mounts", [])):
            found.append(c.attrs["Names"][0].lstrip("/"))
    return found


@pytest.fixture
def staged_containers(docker_client):
    """``staged_containers(path)``: the check ``no_leftovers`` makes, for tests of the check itself."""
    return lambda staging: containers_staged_in(docker_client, staging)
