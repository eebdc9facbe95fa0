"""Container tasks on a real Docker engine: data in and out, logs, failures, limits, cancellation.

Every test checks that no container and no staging directory is left behind (``no_leftovers``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import enum
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Literal, Optional

import pydantic
import pytest
import yaml
from flyteidl2.core import literals_pb2

import flyte
import flyte.errors
from flyte.io import Dir, File
from flyte.models import ActionPhase
from flyte.remote import Run
from flyteplugins.container import ContainerExitError, ContainerOutputError, ContainerStartError, ContainerTask

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("no_leftovers")]

FLYTE_CLI = Path(sys.executable).parent / "flyte"


def shell(name: str, image: str, script: str, **config) -> ContainerTask:
    return ContainerTask(name=name, image=image, command=["/bin/sh", "-c", script], **config)


def caller(task: ContainerTask, env_name: str):
    """A Python task that calls ``task`` inside a run and returns what it returned."""
    env = flyte.TaskEnvironment(name=env_name, depends_on=[flyte.TaskEnvironment.from_task(f"{env_name}_c", task)])

    @env.task
    async def call(**kwargs):
        return await task(**kwargs)

    return call


def run_in_task(task: ContainerTask, **inputs):
    """Call ``task`` from a Python task inside a run; return (outputs, run)."""
    env = flyte.TaskEnvironment(name=f"calls_{task.name}", depends_on=[flyte.TaskEnvironment.from_task(f"env_{task.name}", task)])

    @env.task
    async def parent() -> str:
        return json.dumps(_jsonable(await task(**inputs)))

    run = flyte.run(parent)
    return run, json.loads(run.outputs()[0])


def _jsonable(value):
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, (File, Dir)):
        return {"path": value.path, "name": value.name}
    if isinstance(value, (dt.datetime, dt.date, dt.timedelta)):
        return repr(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


# ------------------------------------------------------------------------------------ the basics


def test_greeting_inside_a_run_with_logs_journaled(docker_image):
    greeting = shell(
        "greet",
        docker_image,
        "echo 'Hello, my name is {{.inputs.name}}.' | tee -a /var/outputs/greeting; echo 'to stderr' >&2",
        inputs={"name": str},
        outputs={"greeting": str},
    )
    env = flyte.TaskEnvironment(name="hello", depends_on=[flyte.TaskEnvironment.from_task("greet_env", greeting)])

    @env.task
    async def say_hello(name: str = "flyte") -> str:
        print("Hello container task")
        return await greeting(name=name)

    run = flyte.run(say_hello, name="Ada")
    assert run.outputs()[0] == "Hello, my name is Ada."  # the newline `echo` wrote is stripped
    assert run.phase == ActionPhase.SUCCEEDED
    parent, child = run.actions()
    assert (child.short_name, child.phase, child.parent) == ("greet", ActionPhase.SUCCEEDED, parent.name)
    assert "Hello, my name is Ada.\n" in child.logs() and "to stderr\n" in child.logs()
    assert parent.logs() == "Hello container task\n"


def test_a_container_task_as_the_root_of_a_run(docker_image):
    t = shell("root", docker_image, "echo $(({{.inputs.a}} * 2)) > /var/outputs/o", inputs={"a": int}, outputs={"o": int})
    run = flyte.run(t, a=21)
    assert run.outputs()[0] == 42 and run.phase == ActionPhase.SUCCEEDED


def test_called_outside_a_run_it_runs_right_here(docker_image):
    t = shell("direct", docker_image, "printf %s {{.inputs.a}}- > /var/outputs/o", inputs={"a": str}, outputs={"o": str})
    assert asyncio.run(t(a="x")) == "x-"


def test_no_outputs_and_several_outputs(docker_image):
    nothing = shell("nothing", docker_image, "true")
    assert flyte.run(nothing).outputs()[0] is None
    several = shell("several", docker_image, "echo 1 > /var/outputs/n; echo one > /var/outputs/word",
                    outputs={"n": int, "word": str})
    run, value = run_in_task(several)
    assert value == [1, "one"]


def test_env_vars_reach_the_container(docker_image):
    t = shell("envs", docker_image, 'echo "$GREETING $OTHER" > /var/outputs/o', outputs={"o": str},
              env_vars={"GREETING": "hi", "OTHER": "there"})
    assert flyte.run(t).outputs()[0] == "hi there"


def test_local_logs_off_prints_nothing(docker_image, capfd):
    t = shell("quiet", docker_image, "echo noisy; echo 1 > /var/outputs/o", outputs={"o": int}, local_logs=False)
    run = flyte.run(t)
    assert run.outputs()[0] == 1
    assert "noisy" not in capfd.readouterr().out
    assert "noisy" not in run.actions()[0].logs()


def test_logs_stream_while_the_container_runs(docker_image, capfd):
    t = shell("stream", docker_image, "echo first; sleep 3; echo second", local_logs=True)
    seen = {}

    def watch():
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "first" not in seen.get("out", ""):
            seen["out"] = seen.get("out", "") + capfd.readouterr().out
            time.sleep(0.05)
        seen["at"] = time.monotonic()

    watcher = threading.Thread(target=watch)
    start = time.monotonic()
    watcher.start()
    flyte.run(t)
    done = time.monotonic()
    watcher.join()
    assert "first" in seen["out"]
    assert seen["at"] - start < done - start - 1.5, "the first line appeared only when the container ended"


# ------------------------------------------------------------------------------------ scalars


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


SCALARS = {
    "s": (str, "Ada Lovelace", "Ada Lovelace"),
    "i": (int, -42, "-42"),
    "f": (float, 2.5, "2.5"),
    "b": (bool, True, "true"),
    "d": (dt.datetime, dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc), "2024-05-01T12:30:00+00:00"),
    "day": (dt.date, dt.date(2024, 2, 29), "2024-02-29"),
    "td": (dt.timedelta, dt.timedelta(hours=1, seconds=0.5), "3600.5"),
    "c": (Colour, Colour.BLUE, "blue"),
    "lit": (Literal["x", "y"], "y", "y"),
    "opt": (Optional[int], None, ""),
}


def test_every_scalar_type_in_and_out(docker_image):
    # Each input file is copied to the output of the same name, and each template is echoed
    # into `templates`, one line per input.
    names = list(SCALARS)
    script = "; ".join(f"cp /var/inputs/{n} /var/outputs/{n}" for n in names)
    script += "; " + " ".join(f"echo '{n}={{{{.inputs.{n}}}}}' >> /var/outputs/templates;" for n in names)
    t = shell(
        "scalars",
        docker_image,
        script,
        inputs={n: spec[0] for n, spec in SCALARS.items()},
        outputs={**{n: spec[0] for n, spec in SCALARS.items()}, "templates": str},
    )
    env = flyte.TaskEnvironment(name="scalars_caller", depends_on=[flyte.TaskEnvironment.from_task("scalars_env", t)])

    @env.task
    async def check() -> str:
        out = await t(**{n: spec[1] for n, spec in SCALARS.items()})
        *values, templates = out
        for (n, (_, expected, _)), got in zip(SCALARS.items(), values):
            assert got == expected and type(got) is type(expected), (n, got, expected)
        return templates

    templates = flyte.run(check).outputs()[0]
    assert templates.splitlines() == [f"{n}={text}" for n, (_, _, text) in SCALARS.items()]


@pytest.mark.parametrize(
    ("written", "expected"),
    [("TRUE\n", True), ("  false  \n", False), ("1", True), ("0\n", False), ("Yes", True), ("no", False)],
)
def test_bool_outputs(docker_image, written, expected):
    t = shell("boolean", docker_image, f"printf '{written}' > /var/outputs/flag", outputs={"flag": bool})
    assert flyte.run(t).outputs()[0] is expected


def test_whitespace_around_scalar_outputs_is_stripped(docker_image):
    t = shell("spaces", docker_image, "printf '  42 \\n\\n' > /var/outputs/n; printf '\\t 1.5\\n' > /var/outputs/x; "
              "printf ' PT1H30M \\n' > /var/outputs/td; echo ' 2024-05-01T12:30:00Z ' > /var/outputs/d",
              outputs={"n": int, "x": float, "td": dt.timedelta, "d": dt.datetime})
    run, value = run_in_task(t)
    assert value == [42, 1.5, repr(dt.timedelta(hours=1, minutes=30)),
                     repr(dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc))]


def test_unparsable_outputs_name_the_output_the_file_and_what_was_found(docker_image):
    t = shell("bad_bool", docker_image, "echo maybe > /var/outputs/flag", outputs={"flag": bool})
    with pytest.raises(ContainerOutputError) as info:
        flyte.run(t)
    message = str(info.value)
    assert "output `flag` in /var/outputs/flag is not a valid bool: found 'maybe\\n'" in message
    assert "true/false, 1/0 or yes/no" in message

    t = shell("bad_int", docker_image, "echo 'forty two' > /var/outputs/n", outputs={"n": int})
    with pytest.raises(ContainerOutputError, match=r"output `n` in /var/outputs/n is not a valid int: found 'forty two\\n'"):
        flyte.run(t)


def test_a_missing_output_names_it_and_lists_what_was_written(docker_image):
    t = shell("missing", docker_image, "echo working; echo 1 > /var/outputs/other", outputs={"result": int, "other": int})
    with pytest.raises(ContainerOutputError) as info:
        flyte.run(t)
    message = str(info.value)
    assert "output `result` is missing: the container wrote no /var/outputs/result (it wrote: other)" in message
    assert "Last stdout lines:\n  working" in message

    empty = shell("missing_all", docker_image, "true", outputs={"result": int})
    with pytest.raises(ContainerOutputError, match=r"\(the output directory is empty\)"):
        flyte.run(empty)


def test_a_missing_optional_output_is_none(docker_image):
    t = shell("optional", docker_image, "true", outputs={"maybe": Optional[int]})
    assert flyte.run(t).outputs()[0] is None


def test_an_output_of_the_wrong_kind(docker_image):
    t = shell("wrong_kind", docker_image, "mkdir /var/outputs/report", outputs={"report": File})
    with pytest.raises(ContainerOutputError, match="output `report` must be a file at /var/outputs/report, but the container wrote a directory"):
        flyte.run(t)


# ------------------------------------------------------------------------------------ files and directories


def test_file_and_dir_inputs_and_outputs(docker_image, tmp_path):
    src = tmp_path / "data.txt"
    src.write_text("line one\nline two\n")
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("A")
    (folder / "sub" / "b.txt").write_text("B")
    t = shell(
        "files",
        docker_image,
        "wc -l < /var/inputs/data | tr -d ' ' > /var/outputs/count; "
        "echo changed > /var/inputs/data; "  # the container changes its copy only
        "mkdir /var/outputs/listing && ls -R /var/inputs/folder > /var/outputs/listing/ls.txt && "
        "cp /var/inputs/folder/sub/b.txt /var/outputs/listing/; "
        "tr a-z A-Z < /var/inputs/folder/a.txt > /var/outputs/upper; cat /var/inputs/folder/a.txt >> /var/outputs/upper",
        inputs={"data": File, "folder": Dir},
        outputs={"count": int, "listing": Dir, "upper": File},
    )
    env = flyte.TaskEnvironment(name="files_caller", depends_on=[flyte.TaskEnvironment.from_task("files_env", t)])

    @env.task
    async def main() -> str:
        count, listing, upper = await t(data=await File.from_local(src), folder=await Dir.from_local(folder))
        files = sorted(f.name for f in await listing.list_files())
        async with upper.open("rb") as fh:
            text = (await fh.read()).decode()
        return json.dumps([count, files, text, listing.path.startswith(flyte.ctx().raw_data_path.path)])

    count, files, text, in_run_data = json.loads(flyte.run(main).outputs()[0])
    assert count == 2
    assert files == ["b.txt", "ls.txt"]
    assert text == "AA"
    assert in_run_data  # outputs were uploaded into the run's data area
    assert src.read_text() == "line one\nline two\n"


def test_a_script_passed_as_an_input_file_is_executed(docker_image, tmp_path):
    script = tmp_path / "my_script.sh"
    script.write_text('echo "adding $1 and $2" >&2\necho $(($1 + $2))\n')
    code_runner = ContainerTask(
        name="code_runner",
        image=docker_image,
        inputs={"script.sh": File, "a": int, "b": int},
        outputs={"result": int},
        command=["/bin/sh", "-c", "sh /var/inputs/script.sh {{.inputs.a}} {{.inputs.b}} > /var/outputs/result"],
    )
    env = flyte.TaskEnvironment(name="runner", depends_on=[flyte.TaskEnvironment.from_task("runner_c", code_runner)])

    @env.task
    async def execute_script() -> int:
        return await code_runner(**{"script.sh": await File.from_local(script), "a": 10, "b": 20})

    run = flyte.run(execute_script)
    assert run.outputs()[0] == 30
    assert "adding 10 and 20" in run.actions()[1].logs()


def test_a_file_input_in_a_template_is_its_path(docker_image, tmp_path):
    f = tmp_path / "in.txt"
    f.write_text("payload")
    t = ContainerTask(name="template_path", image=docker_image, inputs={"f": File}, outputs={"o": str},
                      command=["/bin/sh", "-c", "cat {{.inputs.f}} > /var/outputs/o"])
    env = flyte.TaskEnvironment(name="tp_caller", depends_on=[flyte.TaskEnvironment.from_task("tp_env", t)])

    @env.task
    async def main() -> str:
        return await t(f=await File.from_local(f))

    assert flyte.run(main).outputs()[0] == "payload"


# ------------------------------------------------------------------------------------ metadata formats


@dataclasses.dataclass
class Point:
    x: int
    y: float
    label: str = "p"


class Config(pydantic.BaseModel):
    name: str
    sizes: list[int]
    when: dt.datetime


@pytest.mark.parametrize("fmt", ["JSON", "YAML", "PROTO"])
def test_metadata_formats_with_dataclasses_and_models(docker_image, tmp_path, fmt):
    metadata_file = {"JSON": "inputs.json", "YAML": "inputs.yaml", "PROTO": "inputs.pb"}[fmt]
    t = shell(
        f"formats_{fmt.lower()}",
        docker_image,
        f"cp /var/inputs/{metadata_file} /var/outputs/metadata; cp /var/inputs/point /var/outputs/point; "
        "cp /var/inputs/config /var/outputs/config; ls /var/inputs > /var/outputs/listing",
        inputs={"n": int, "flag": bool, "point": Point, "config": Config, "f": File},
        outputs={"metadata": File, "point": Point, "config": Config, "listing": str},
        metadata_format=fmt,
    )
    src = tmp_path / "x.txt"
    src.write_text("x")
    config = Config(name="c", sizes=[1, 2], when=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    env = flyte.TaskEnvironment(name=f"fmt_{fmt.lower()}", depends_on=[flyte.TaskEnvironment.from_task(f"fmt_env_{fmt.lower()}", t)])

    @env.task
    async def main() -> str:
        metadata, point, cfg, listing = await t(n=3, flag=False, point=Point(1, 2.5), config=config,
                                                f=await File.from_local(src))
        assert point == Point(1, 2.5) and cfg == config
        async with metadata.open("rb") as fh:
            data = await fh.read()
        return json.dumps([data.hex(), listing.split()])

    data_hex, listing = json.loads(flyte.run(main).outputs()[0])
    data = bytes.fromhex(data_hex)
    assert listing == sorted(["n", "flag", "point", "config", "f", metadata_file])
    if fmt == "PROTO":
        literal_map = literals_pb2.LiteralMap()
        literal_map.ParseFromString(data)
        assert sorted(literal_map.literals) == ["config", "f", "flag", "n", "point"]
        assert literal_map.literals["n"].scalar.primitive.integer == 3
        assert literal_map.literals["flag"].scalar.primitive.boolean is False
        return
    document = json.loads(data) if fmt == "JSON" else yaml.safe_load(data)
    assert document == {
        "n": 3,
        "flag": False,
        "point": {"x": 1, "y": 2.5, "label": "p"},
        "config": {"name": "c", "sizes": [1, 2], "when": "2024-01-01T00:00:00Z"},
        "f": "/var/inputs/f",
    }


def test_a_structured_output_that_does_not_parse(docker_image):
    t = shell("bad_point", docker_image, "echo '{\"x\": \"many\", \"y\": 1}' > /var/outputs/point", outputs={"point": Point})
    with pytest.raises(ContainerOutputError, match=r"output `point` in /var/outputs/point is not a valid Point as JSON: found '\{\"x\": \"many\""):
        flyte.run(t)


# ------------------------------------------------------------------------------------ failures


def test_a_non_zero_exit_carries_the_code_and_the_last_log_lines(docker_image):
    t = shell("fails", docker_image, "for i in $(seq 1 30); do echo line $i; done; echo 'bad thing' >&2; exit 3")
    env = flyte.TaskEnvironment(name="fails_caller", depends_on=[flyte.TaskEnvironment.from_task("fails_env", t)])

    @env.task
    async def main() -> str:
        try:
            await t()
        except ContainerExitError as e:
            return json.dumps([type(e).__name__, e.code, e.exit_code, str(e)])
        return "no error"

    name, code, exit_code, message = json.loads(flyte.run(main).outputs()[0])
    assert (name, code, exit_code) == ("ContainerExitError", "ContainerExitError", 3)
    assert f"image `{docker_image}`) exited with code 3." in message
    assert "line 30" in message and "bad thing" in message and "  line 10\n" not in message  # only the tail


def test_a_non_zero_exit_fails_the_run_and_is_retried(docker_image):
    t = shell("fails_twice", docker_image, "exit 7", retries=1)
    with pytest.raises(ContainerExitError, match="exited with code 7. It printed nothing") as info:
        flyte.run(t)
    assert info.value.exit_code == 7
    (run,) = Run.listall()
    assert run.phase == ActionPhase.FAILED and run.actions()[0].attempts == 2


def test_a_command_missing_from_the_image(docker_image, page_images):
    rust_task = ContainerTask(
        name="rust_compute",
        image="rust:1.75",  # busybox under the page's name: there is no ./compute_binary in it
        inputs={"n": int},
        outputs={"result": int},
        input_data_dir="/inputs",
        output_data_dir="/outputs",
        command=["./compute_binary", "{{.inputs.n}}"],
    )
    with pytest.raises(ContainerStartError) as info:
        flyte.run(rust_task, n=3)
    message = str(info.value)
    assert "could not start" in message and "compute_binary" in message and "exists in the image" in message


def test_timeout_kills_the_container(docker_image):
    t = shell("sleeper", docker_image, "echo started; sleep 60", timeout=2)
    t0 = time.monotonic()
    with pytest.raises(flyte.errors.TaskTimeoutError, match="exceeded its timeout of 2s"):
        flyte.run(t)
    assert time.monotonic() - t0 < 20
    (run,) = Run.listall()
    assert run.actions()[0].phase == ActionPhase.TIMED_OUT


def _allocate(megabytes: int) -> str:
    # busybox sh: build a string of the size in memory (tr and the shell both hold it)
    return f'x=$(head -c {megabytes}000000 /dev/zero | tr "\\0" a); echo allocated ${{#x}}; echo ok > /var/outputs/o'


def test_going_over_the_memory_limit_is_an_oom_error(docker_image):
    t = shell("hog", docker_image, _allocate(64), outputs={"o": str}, resources=flyte.Resources(memory="16Mi"))
    with pytest.raises(flyte.errors.OOMError) as info:
        flyte.run(t)
    assert info.value.code == "OOMKilled"
    assert "killed for going over its memory limit of 16Mi (exit code 137)" in str(info.value)


def test_the_documented_oom_retry_pattern_with_override(docker_image):
    oomer = shell("oomer", docker_image, _allocate(64), outputs={"o": str}, resources=flyte.Resources(cpu=1, memory="16Mi"))
    env = flyte.TaskEnvironment(name="fail_oom", depends_on=[flyte.TaskEnvironment.from_task("oomer_env", oomer)])

    @env.task
    async def main() -> str:
        try:
            return await oomer()
        except flyte.errors.OOMError as e:
            print(f"Failed with oom trying with more resources: {e.code}")
            return await oomer.override(resources=flyte.Resources(cpu=1, memory="512Mi"))()

    run = flyte.run(main)
    assert run.outputs()[0] == "ok"
    main_action, first, second = run.actions()
    assert "Failed with oom trying with more resources: OOMKilled" in main_action.logs()
    assert (first.phase, first.record.error_code) == (ActionPhase.FAILED, "OOMKilled")
    assert second.phase == ActionPhase.SUCCEEDED and "allocated 64000000" in second.logs()


def test_cancelling_the_call_stops_the_container(docker_image, docker_client):
    t = shell("long", docker_image, "echo started; sleep 60")
    env = flyte.TaskEnvironment(name="canceller", depends_on=[flyte.TaskEnvironment.from_task("long_env", t)])

    @env.task
    async def main() -> str:
        child = asyncio.ensure_future(t())
        for _ in range(200):  # until the container runs
            await asyncio.sleep(0.05)
            if docker_client.containers.list(sparse=True, filters={"label": "org.flyte.container-task=long", "status": "running"}):
                break
        else:
            return "never started"
        child.cancel()
        try:
            await child
        except asyncio.CancelledError:
            return "cancelled"
        return "finished"

    t0 = time.monotonic()
    run = flyte.run(main)
    assert run.outputs()[0] == "cancelled" and time.monotonic() - t0 < 20
    assert run.actions()[1].phase == ActionPhase.ABORTED


def test_an_external_abort_stops_the_container(docker_image, docker_client):
    t = shell("abortable", docker_image, "echo started; sleep 60")
    env = flyte.TaskEnvironment(name="abort_caller", depends_on=[flyte.TaskEnvironment.from_task("abortable_env", t)])

    @env.task
    async def main() -> str:
        try:
            await t()
        except flyte.errors.ActionAbortedError as e:
            return f"aborted: {e.code}"
        return "finished"

    result = {}
    thread = threading.Thread(target=lambda: result.update(run=flyte.with_runcontext(name="abort-container").run(main)))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not docker_client.containers.list(sparse=True, filters={"label": "org.flyte.run=abort-container"}):
            assert time.monotonic() < deadline, "the container never started"
            time.sleep(0.05)
        action = next(a for a in Run.get("abort-container").actions() if a.short_name == "abortable")
        t0 = time.monotonic()
        proc = subprocess.run([str(FLYTE_CLI), "abort", "abort-container", action.name], capture_output=True, text=True,
                              timeout=60, env=dict(os.environ))
        assert proc.returncode == 0, proc.stderr
    finally:
        thread.join(60)
    assert time.monotonic() - t0 < 20
    assert result["run"].outputs()[0] == "aborted: ActionAbortedError"
    assert Run.get("abort-container").action(action.name).phase == ActionPhase.ABORTED


# ------------------------------------------------------------------------------------ images


def test_a_missing_image_is_a_clear_pull_failure():
    t = ContainerTask(name="blast", image="ncbi/blast:latest", command=["blastn", "-version"])
    with pytest.raises(flyte.errors.ImagePullBackOffError) as info:
        flyte.run(t)
    message = str(info.value)
    assert "image `ncbi/blast:latest` is not on the local Docker engine and pulling it failed:" in message
    assert "docker build -t ncbi/blast:latest" in message


def test_an_image_specification_is_not_built_locally():
    image = flyte.Image.from_debian_base().with_pip_packages("numpy")
    t = ContainerTask(name="needs_build", image=image, command=["true"])
    with pytest.raises(flyte.errors.ImagePullBackOffError, match=r"from_debian_base, with_pip_packages\); local runs do not build images"):
        flyte.run(t)


# ------------------------------------------------------------------------------------ resources and sandbox


def test_resources_become_docker_limits(docker_image):
    read = (
        "(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes) > /var/outputs/memory; "
        "if [ -f /sys/fs/cgroup/cpu.max ]; then cut -d' ' -f1 /sys/fs/cgroup/cpu.max; "
        "else cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us; fi > /var/outputs/quota; "
        "if [ -f /sys/fs/cgroup/cpu.max ]; then cut -d' ' -f2 /sys/fs/cgroup/cpu.max; "
        "else cat /sys/fs/cgroup/cpu/cpu.cfs_period_us; fi > /var/outputs/period; "
        "df -k /dev/shm | tail -1 | awk '{print $2}' > /var/outputs/shm_kb"
    )
    t = shell("limits", docker_image, read, outputs={"memory": int, "quota": int, "period": int, "shm_kb": int},
              resources=flyte.Resources(cpu="500m", memory="96Mi", shm="32Mi"))
    memory, quota, period, shm_kb = flyte.run(t).outputs()
    assert memory == 96 * 1024 * 1024
    assert quota / period == 0.5
    assert shm_kb == 32 * 1024


def test_sandbox_options(nonroot_image):
    probe = (
        "id -u > /var/outputs/uid; "
        "ls /sys/class/net | tr '\\n' ' ' > /var/outputs/interfaces; "
        "(touch /root-write 2>/dev/null && echo yes || echo no) > /var/outputs/root_writable; "
        "(touch /tmp/scratch && echo yes || echo no) > /var/outputs/tmp_writable; "
        "(for i in 1 2 3 4 5 6 7 8 9 10; do sleep 2 & done; wait) 2>/dev/null && echo yes > /var/outputs/forked "
        "|| echo no > /var/outputs/forked"
    )
    sandbox = shell(
        "sandbox",
        nonroot_image,
        probe,
        outputs={"uid": int, "interfaces": str, "root_writable": bool, "tmp_writable": bool, "forked": bool},
        network=False,
        read_only=True,
        user="65534:65534",
        pids_limit=8,
    )
    uid, interfaces, root_writable, tmp_writable, forked = flyte.run(sandbox).outputs()
    assert uid == 65534
    assert interfaces.split() == ["lo"]
    assert (root_writable, tmp_writable) == (False, True)
    assert forked is False  # ten children do not fit in eight processes

    open_box = shell("open_box", nonroot_image, probe, outputs=dict(sandbox.outputs))
    uid, interfaces, root_writable, tmp_writable, forked = flyte.run(open_box).outputs()
    assert (uid, root_writable, forked) == (0, True, True)


def test_containers_are_labelled_with_their_run_and_action(docker_image, docker_client):
    t = shell("labelled", docker_image, "sleep 1")
    seen = []

    def watch():
        deadline = time.monotonic() + 20
        while not seen and time.monotonic() < deadline:
            seen.extend(docker_client.containers.list(sparse=True, filters={"label": "org.flyte.container-task=labelled"}))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    run = flyte.with_runcontext(name="labelled-run").run(t)
    watcher.join()
    labels = seen[0].attrs["Labels"]
    assert labels["org.flyte.run"] == "labelled-run"
    assert labels["org.flyte.action"] == run.actions()[0].name
    assert seen[0].attrs["Names"][0].startswith("/flyte-labelled-")


def test_cached_calls_do_not_start_a_container(docker_image):
    t = shell("cached", docker_image, "echo ran; date +%s%N > /var/outputs/stamp", outputs={"stamp": str}, cache="auto")
    first = flyte.run(t)
    second = flyte.run(t)
    assert first.outputs()[0] == second.outputs()[0]
    assert second.actions()[0].record.cache_hit


def test_an_unreachable_engine_is_named(tmp_path):
    code = """
import flyte
from flyteplugins.container import ContainerTask
t = ContainerTask(name="nowhere", image="busybox", command=["true"])
try:
    flyte.run(t)
except Exception as e:
    print(type(e).__name__, e)
"""
    env = dict(os.environ, DOCKER_HOST=f"unix://{tmp_path}/no-engine.sock")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("DockerUnavailableError Container task `nowhere` needs a Docker engine, and none "
                                  f"answered at unix://{tmp_path}/no-engine.sock")
    assert "Start Docker" in proc.stdout


def test_many_containers_at_once(docker_image):
    t = shell("parallel", docker_image, "sleep 1; echo $(({{.inputs.i}} * {{.inputs.i}})) > /var/outputs/sq",
              inputs={"i": int}, outputs={"sq": int})
    env = flyte.TaskEnvironment(name="fan_out", depends_on=[flyte.TaskEnvironment.from_task("parallel_env", t)])

    @env.task
    async def main(n: int) -> list[int]:
        return list(await asyncio.gather(*(t(i=i) for i in range(n))))

    t0 = time.monotonic()
    run = flyte.run(main, 24)
    assert run.outputs()[0] == [i * i for i in range(24)]
    assert time.monotonic() - t0 < 24, "the containers ran one after another"


def test_the_leftover_check_sees_a_leaked_container(docker_image, docker_client, no_leftovers, staged_containers):
    # A container made the way a leak would look: labelled, its data in this test's staging dir.
    data = no_leftovers / "flyte-container-leak"
    data.mkdir(parents=True)
    leaked = docker_client.containers.create(docker_image, ["true"], labels={"org.flyte.container-task": "leak"},
                                             volumes={str(data): {"bind": "/var/outputs", "mode": "rw"}})
    try:
        assert staged_containers(no_leftovers) == [leaked.name]
    finally:
        leaked.remove(force=True)
        data.rmdir()
    assert staged_containers(no_leftovers) == []
