"""Page "Container tasks": the page's programs.

Differences from the page, because no image registry is reachable here: the page's images are
the local busybox image tagged under the page's names (the tests do the tagging), and busybox has
no `uv`, so the two code runners run a shell script with `sh` instead of a Python script with
`uv run`. ``execute_script`` writes its script to a temporary directory instead of reading
``my_script.py`` beside this file. Everything else is as the page writes it.
"""

import pathlib
import tempfile

import flyte
from flyte.extras import ContainerTask
from flyte.io import File

greeting_task = ContainerTask(
    name="echo_and_return_greeting",
    image=flyte.Image.from_base("alpine:3.18"),
    input_data_dir="/var/inputs",
    output_data_dir="/var/outputs",
    inputs={"name": str},
    outputs={"greeting": str},
    command=[
        "/bin/sh",
        "-c",
        "echo 'Hello, my name is {{.inputs.name}}.' | tee -a /var/outputs/greeting"
    ],
)

container_env = flyte.TaskEnvironment.from_task("container_env", greeting_task)
env = flyte.TaskEnvironment(name="hello_world", depends_on=[container_env])

@env.task
async def say_hello(name: str = "flyte") -> str:
    print("Hello container task")
    return await greeting_task(name=name)


# Advanced: Passing Files and Directories (a shell script and `sh` instead of `uv run`)
code_runner = ContainerTask(
    name="python_code_runner",
    image="ghcr.io/astral-sh/uv:debian-slim",
    input_data_dir="/var/inputs",
    output_data_dir="/var/outputs",
    inputs={"script.py": File, "a": int, "b": int},
    outputs={"result": int},
    command=[
        "/bin/sh",
        "-c",
        "sh /var/inputs/script.py {{.inputs.a}} {{.inputs.b}} > /var/outputs/result"
    ],
)
MY_SCRIPT = 'echo "adding $1 and $2" >&2\necho $(($1 + $2))\n'

@env.task
async def execute_script() -> int:
    path = pathlib.Path(tempfile.mkdtemp()) / "my_script.py"
    path.write_text(MY_SCRIPT)
    script_file = await File.from_local(path)
    return await code_runner(**{"script.py": script_file, "a": 10, "b": 20})


# Use Case: Legacy and Specialized Containers (declared as the page writes them; their images
# cannot be pulled here)
blast_task = ContainerTask(
    name="run_blast",
    image="ncbi/blast:latest",
    input_data_dir="/data",
    output_data_dir="/results",
    inputs={"query": File, "database": str},
    outputs={"alignments": File},
    command=[
        "blastn",
        "-query", "/data/query",
        "-db", "{{.inputs.database}}",
        "-out", "/results/alignments",
        "-outfmt", "6"
    ],
)

legacy_task = ContainerTask(
    name="legacy_python",
    image="python:2.7",  # Unsupported Python version
    input_data_dir="/app/inputs",
    output_data_dir="/app/outputs",
    inputs={"data_file": File},
    outputs={"processed": File},
    command=[
        "python",
        "/legacy_app/process.py",
        "/app/inputs/data_file",
        "/app/outputs/processed"
    ],
)

# Use Case: Multi-Language Workflows
rust_task = ContainerTask(
    name="rust_compute",
    image="rust:1.75",
    inputs={"n": int},
    outputs={"result": int},
    input_data_dir="/inputs",
    output_data_dir="/outputs",
    command=["./compute_binary", "{{.inputs.n}}"],
)
