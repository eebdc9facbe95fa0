"""Errors a container task raises besides the core's (``OOMError``, ``ImagePullBackOffError``, timeouts).

They cross task boundaries like every ``flyte.errors`` class: the awaiting parent gets the same
class, with the message (which carries the exit code and the last log lines) intact.
"""

from __future__ import annotations

import re

from flyte.errors import RuntimeSystemError, RuntimeUserError

_EXIT_CODE = re.compile(r"exited with code (-?\d+)")


class ContainerExitError(RuntimeUserError):
    """The container exited with a non-zero code; the message ends with its last log lines."""

    def __init__(self, message: str, worker: str | None = None):
        super().__init__("ContainerExitError", message, worker)

    @property
    def exit_code(self) -> int | None:
        """The container's exit code (read from the message, so it survives crossing task boundaries)."""
        match = _EXIT_CODE.search(self.message)
        return int(match.group(1)) if match else None


class ContainerOutputError(RuntimeUserError):
    """A declared output is missing from the output directory or cannot be read as its type."""

    def __init__(self, message: str, worker: str | None = None):
        super().__init__("ContainerOutputError", message, worker)


class ContainerStartError(RuntimeUserError):
    """The engine refused to create or start the container (e.g. the command is not in the image)."""

    def __init__(self, message: str, worker: str | None = None):
        super().__init__("ContainerStartError", message, worker)


class DockerUnavailableError(RuntimeSystemError):
    """No Docker engine answered."""

    def __init__(self, message: str, worker: str | None = None):
        super().__init__("DockerUnavailableError", message, worker)
