"""Page "Container tasks", "Use Case: Agentic Sandbox Execution".

As the page writes it, except that the generated code is a shell script run with `sh` (the
local busybox image, tagged ``ghcr.io/astral-sh/uv:debian-slim`` by the tests, has no `uv` and
no Python), and the script goes to a fresh temporary directory instead of the fixed
``/tmp/generated_script.py``, so that concurrent runs cannot overwrite each other's code.
"""

import pathlib
import tempfile

import flyte
from flyte.extras import ContainerTask
from flyte.io import File

env = flyte.TaskEnvironment(name="agentic_sandbox")

@env.task
async def run_generated_code(script_content: str, param_a: int, param_b: int) -> int:
    # Define a container task that runs arbitrary code
    sandbox = ContainerTask(
        name="code_sandbox",
        image="ghcr.io/astral-sh/uv:debian-slim",
        input_data_dir="/var/inputs",
        output_data_dir="/var/outputs",
        inputs={"script": File, "a": int, "b": int},
        outputs={"result": int},
        command=[
            "/bin/sh",
            "-c",
            "sh /var/inputs/script {{.inputs.a}} {{.inputs.b}} > /var/outputs/result"
        ],
    )

    # Save the generated script to a temporary file
    temp_path = pathlib.Path(tempfile.mkdtemp()) / "generated_script.sh"
    temp_path.write_text(script_content)

    # Execute it in the sandbox
    script_file = await File.from_local(temp_path)
    return await sandbox(script=script_file, a=param_a, b=param_b)
