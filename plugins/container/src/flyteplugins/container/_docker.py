"""One container on the local Docker engine: image present or pulled, created, started, logs streamed, waited, removed.

The Docker SDK is synchronous and imported here on first use only. Each container's whole life
runs on a thread of its own, so a task waiting for a long container never holds a thread that
other tasks need; the event loop only waits for that thread. Stopping (cancel, abort, timeout)
kills the container, and the thread that created it always removes it.
"""

from __future__ import annotations

import codecs
import contextlib
import contextvars
import logging
import os
import sys
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from flyte.errors import ImagePullBackOffError
from flyteplugins.container._errors import ContainerStartError, DockerUnavailableError

logger = logging.getLogger("flyteplugins.container")

#: Log lines kept for error messages.
TAIL_LINES = 20
#: Connections kept to the engine (urllib3 opens more when needed, and warns).
MAX_CONNECTIONS = 128
#: How long stopping a container may take before we give up waiting for its removal.
STOP_TIMEOUT_SECONDS = 60.0

_client: Any = None
_client_lock = threading.Lock()
_pull_locks: dict[str, threading.Lock] = {}


def engine_address() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def get_client(task_name: str) -> Any:
    """The process's Docker client (created once; a failed connection is retried on the next call)."""
    global _client
    with _client_lock:
        if _client is None:
            import docker

            try:
                # Each running container holds three connections (wait, stdout, stderr): room for many.
                _client = docker.from_env(max_pool_size=MAX_CONNECTIONS)
            except docker.errors.DockerException as e:
                raise DockerUnavailableError(
                    f"Container task `{task_name}` needs a Docker engine, and none answered at {engine_address()}: "
                    f"{e}. Start Docker (dockerd, Docker Desktop) or point DOCKER_HOST at a running engine."
                ) from None
        return _client


def forget_client() -> None:
    """Drop the cached client (after the engine went away), so the next call connects anew."""
    global _client
    with _client_lock:
        _client = None


def ensure_image(client: Any, uri: str, task_name: str, build_steps: str | None) -> None:
    """Use ``uri`` if the engine has it; otherwise pull it, or explain why it cannot be used.

    Raises:
        ImagePullBackOffError: the image is not present and could not be pulled.
    """
    import docker

    api = client.api
    try:
        api.inspect_image(uri)
        return
    except docker.errors.ImageNotFound:
        pass
    except docker.errors.NotFound:
        pass
    except _connection_errors() as e:
        forget_client()
        raise _unavailable(task_name, e) from None
    if build_steps is not None:
        raise ImagePullBackOffError(
            "ImagePullBackOffError",
            f"Container task `{task_name}`: image `{uri}` is not on the local Docker engine, and it is an image "
            f"specification to build ({build_steps}); local runs do not build images. Build and tag it yourself "
            f"(docker build -t NAME .) and pass image=NAME, or use flyte.Image.from_base(NAME).",
        )
    lock = _pull_locks.setdefault(uri, threading.Lock())
    with lock:  # concurrent tasks on one image pull it once
        with contextlib.suppress(docker.errors.ImageNotFound, docker.errors.NotFound):
            api.inspect_image(uri)
            return
        logger.info("Container task `%s`: pulling image %s", task_name, uri)
        try:
            client.images.pull(uri)
        except _connection_errors() as e:
            forget_client()
            raise _unavailable(task_name, e) from None
        except docker.errors.DockerException as e:
            raise ImagePullBackOffError(
                "ImagePullBackOffError",
                f"Container task `{task_name}`: image `{uri}` is not on the local Docker engine and pulling it "
                f"failed: {_explain(e)}. Check the image name and tag and that its registry is reachable (and "
                f"`docker login` for a private one), or build/load it locally (docker build -t {uri} . / "
                f"docker load) and run again.",
            ) from None


@dataclass
class ContainerSpec:
    """Everything the engine needs to run one container."""

    task_name: str
    name: str
    image: str
    argv: list[str]
    binds: dict[str, dict[str, str]]
    environment: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    host_config: dict[str, Any] = field(default_factory=dict)


@dataclass
class ContainerResult:
    exit_code: int
    oom_killed: bool
    #: The last lines the container printed, per stream, ready for an error message ("" if none).
    tail: str = ""
    error: str = ""


class ContainerRun:
    """The life of one container, on a thread of its own; ``stop()`` may be called from any thread."""

    def __init__(self, client: Any, spec: ContainerSpec, stream_logs: bool):
        self.client = client
        self.spec = spec
        self.stream_logs = stream_logs
        self.done: Future[ContainerResult] = Future()
        self._lock = threading.Lock()
        self._stopped = False
        self._id: str | None = None
        self._tails: dict[str, deque[str]] = {"stdout": deque(maxlen=TAIL_LINES), "stderr": deque(maxlen=TAIL_LINES)}

    def start(self) -> Future[ContainerResult]:
        """Begin on a new thread that sees this context (so printed logs land in this action's journal)."""
        # Running from now on: cancelling the caller's wrapper cannot cancel this future, so the
        # thread can always deliver its result (and the container's removal is always awaited).
        self.done.set_running_or_notify_cancel()
        context = contextvars.copy_context()
        threading.Thread(
            target=context.run, args=(self._main,), name=f"flyte-container-{self.spec.name}", daemon=True
        ).start()
        return self.done

    def stop(self) -> None:
        """Kill the container (if it runs) and keep it from starting; its thread then removes it."""
        import docker

        with self._lock:
            self._stopped = True
            cid = self._id
        if cid is not None:
            with contextlib.suppress(docker.errors.DockerException, *_connection_errors()):
                self.client.api.kill(cid)

    def stop_and_wait(self) -> None:
        self.stop()
        try:
            self.done.result(timeout=STOP_TIMEOUT_SECONDS)
        except Exception:  # the run's outcome no longer matters, only that the container is gone
            pass
        if not self.done.done():
            logger.warning(
                "Container task `%s`: container %s did not stop within %ss; remove it with `docker rm -f %s`",
                self.spec.task_name,
                self.spec.name,
                STOP_TIMEOUT_SECONDS,
                self.spec.name,
            )

    # ----------------------------------------------------------------------------------- the thread

    def _main(self) -> None:
        try:
            result = self._lifecycle()
        except BaseException as e:
            if isinstance(e, _connection_errors()):
                forget_client()
                e = _unavailable(self.spec.task_name, e)
            self.done.set_exception(e)
        else:
            self.done.set_result(result)

    def _lifecycle(self) -> ContainerResult:
        import docker

        spec, api = self.spec, self.client.api
        with self._lock:
            if self._stopped:
                return ContainerResult(-1, False, "", "stopped before it was created")
            try:
                self._id = api.create_container(
                    image=spec.image,
                    command=spec.argv,
                    name=spec.name,
                    environment=spec.environment,
                    labels=spec.labels,
                    user=spec.user,
                    host_config=api.create_host_config(binds=spec.binds, **spec.host_config),
                )["Id"]
            except docker.errors.DockerException as e:
                raise ContainerStartError(
                    f"Container task `{spec.task_name}`: the Docker engine refused to create a container from image "
                    f"`{spec.image}`: {_explain(e)}"
                ) from None
        try:
            with self._lock:
                if self._stopped:
                    return ContainerResult(-1, False, "", "stopped before it started")
                try:
                    api.start(self._id)
                except docker.errors.DockerException as e:
                    raise ContainerStartError(
                        f"Container task `{spec.task_name}`: the container (image `{spec.image}`, command "
                        f"{spec.argv!r:.300}) could not start: {_explain(e)}. Check that the command exists in the "
                        f"image and is executable."
                    ) from None
            readers = self._follow_logs()
            status = api.wait(self._id)
            for reader in readers:
                reader.join(timeout=10)
            exit_code = int(status.get("StatusCode", -1))
            oom_killed = exit_code != 0 and bool(api.inspect_container(self._id).get("State", {}).get("OOMKilled"))
            error = (status.get("Error") or {}).get("Message") or ""
            return ContainerResult(exit_code, oom_killed, self._tail_text(), error)
        finally:
            try:
                api.remove_container(self._id, force=True)
            except docker.errors.NotFound:
                pass
            except Exception as e:
                logger.warning(
                    "Container task `%s`: could not remove container %s (%s); remove it with `docker rm -f %s`",
                    spec.task_name,
                    spec.name,
                    e,
                    spec.name,
                )

    def _follow_logs(self) -> list[threading.Thread]:
        """Read stdout and stderr to their end (printing them live with ``stream_logs``), keeping their tails."""
        readers = []
        for stdout in (True, False):
            context = contextvars.copy_context()
            reader = threading.Thread(
                target=context.run, args=(self._follow, stdout), name=f"flyte-logs-{self.spec.name}", daemon=True
            )
            reader.start()
            readers.append(reader)
        return readers

    def _follow(self, stdout: bool) -> None:
        import docker

        name = "stdout" if stdout else "stderr"
        write = _writer(name) if self.stream_logs else None
        tail = self._tails[name]
        try:
            chunks = self.client.api.logs(self._id, stdout=stdout, stderr=not stdout, stream=True, follow=True)
            for line in _lines(chunks):
                tail.append(line.rstrip("\n"))
                if write is not None:
                    write(line)
        except (docker.errors.DockerException, *_connection_errors()) as e:
            logger.debug("Container task `%s`: log stream ended: %s", self.spec.task_name, e)

    def _tail_text(self) -> str:
        # Per stream: across the two, the order in which lines arrive here is not the order printed.
        return "".join(
            f"\nLast {name} lines:\n" + "\n".join(f"  {line}" for line in lines)
            for name, lines in self._tails.items()
            if lines
        )


def _lines(chunks: Iterator[bytes]) -> Iterator[str]:
    """Whole lines from a stream of byte chunks (the last one may lack its newline)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    for chunk in chunks:
        pending += decoder.decode(chunk)
        *complete, pending = pending.split("\n")
        for line in complete:
            yield line + "\n"
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def _writer(name: str) -> Any:
    def write(text: str) -> None:
        stream = getattr(sys, name)  # looked up per line: a run captures it for the action's journal
        stream.write(text)
        stream.flush()

    return write


def _connection_errors() -> tuple[type[BaseException], ...]:
    import requests

    return (requests.exceptions.ConnectionError,)


def _unavailable(task_name: str, e: BaseException) -> DockerUnavailableError:
    return DockerUnavailableError(
        f"Container task `{task_name}` lost the Docker engine at {engine_address()}: {e}. Start Docker again "
        "(dockerd, Docker Desktop) or point DOCKER_HOST at a running engine."
    )


def _explain(e: BaseException) -> str:
    explanation = getattr(e, "explanation", None)
    text = explanation.decode() if isinstance(explanation, bytes) else explanation
    return str(text or e).strip()
