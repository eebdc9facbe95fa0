"""Container tasks: run any image on the local Docker engine, with typed inputs and outputs.

``ContainerTask`` is also importable as ``flyte.extras.ContainerTask`` (the name the docs use)::

    from flyte.extras import ContainerTask

    greeting_task = ContainerTask(
        name="echo_and_return_greeting",
        image="alpine:3.18",
        inputs={"name": str},
        outputs={"greeting": str},
        command=["/bin/sh", "-c", "echo 'Hello, my name is {{.inputs.name}}.' | tee -a /var/outputs/greeting"],
    )

Importing this package is cheap: the Docker SDK loads when a container task first runs.
"""

from flyteplugins.container._errors import (
    ContainerExitError,
    ContainerOutputError,
    ContainerStartError,
    DockerUnavailableError,
)
from flyteplugins.container._staging import STAGING_DIR_ENV
from flyteplugins.container._task import ContainerTask

__all__ = [
    "STAGING_DIR_ENV",
    "ContainerExitError",
    "ContainerOutputError",
    "ContainerStartError",
    "ContainerTask",
    "DockerUnavailableError",
]
