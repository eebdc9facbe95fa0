"""Declaring container tasks: the interface, the task-type extension point, and errors that name the fix.

Nothing here needs a Docker engine.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
from typing import Optional

import pytest

import flyte
from flyte.extend import TaskTemplate
from flyte.io import Dir, File
from flyteplugins.container import ContainerTask


def make(**overrides):
    config = dict(
        name="t",
        image="flyte-test/busybox:1",
        inputs={"name": str},
        outputs={"greeting": str},
        command=["/bin/sh", "-c", "echo {{.inputs.name}} > /var/outputs/greeting"],
    )
    config.update(overrides)
    return ContainerTask(**config)


def test_the_page_parameters_and_defaults():
    t = ContainerTask(
        name="echo_and_return_greeting",
        image=flyte.Image.from_base("alpine:3.18"),
        inputs={"name": str},
        outputs={"greeting": str},
        command=["/bin/sh", "-c", "echo 'Hello, my name is {{.inputs.name}}.' | tee -a /var/outputs/greeting"],
    )
    assert isinstance(t, TaskTemplate)
    assert t.task_type == "raw-container"
    assert (t.input_data_dir, t.output_data_dir) == ("/var/inputs", "/var/outputs")
    assert (t.metadata_format, t.local_logs, t.arguments) == ("JSON", True, [])
    assert t.image.uri == "alpine:3.18"
    assert list(t.interface.inputs) == ["name"] and t.interface.outputs == {"greeting": str}
    assert t.interface.split_outputs(t.name, "hi") == {"greeting": "hi"}
    assert t.interface.join_outputs({"greeting": "hi"}) == "hi"


def test_positional_arguments_and_a_string_image():
    t = ContainerTask("positional", "flyte-test/busybox:1", ["true"])
    assert t.image.uri == "flyte-test/busybox:1" and t.command == ["true"]
    assert t.interface.inputs == {} and t.interface.outputs == {}


def test_several_outputs_are_a_tuple_in_declared_order():
    t = make(outputs={"b": int, "a": str})
    assert t.interface.multiple_outputs
    assert t.interface.split_outputs(t.name, (1, "x")) == {"b": 1, "a": "x"}
    assert t.interface.join_outputs({"a": "x", "b": 1}) == (1, "x")


def test_task_settings_pass_through_and_override_keeps_the_container_config():
    t = make(resources=flyte.Resources(cpu=1, memory="64Mi"), retries=2, timeout=30, env_vars={"A": "1"})
    assert t.retries.count == 2 and t.timeout.max_runtime_seconds == 30 and t.env_vars == {"A": "1"}
    bigger = t.override(resources=flyte.Resources(memory="1Gi"))
    assert isinstance(bigger, ContainerTask)
    assert bigger.resources.memory == "1Gi" and t.resources.memory == "64Mi"
    assert (bigger.command, bigger.inputs, bigger.outputs, bigger.image) == (t.command, t.inputs, t.outputs, t.image)
    assert bigger.retries.count == 2


def test_from_task_and_depends_on():
    t = make(name="echo_and_return_greeting")
    container_env = flyte.TaskEnvironment.from_task("container_env", t)
    env = flyte.TaskEnvironment(name="hello_world", depends_on=[container_env])
    assert container_env.tasks == {"echo_and_return_greeting": t}
    assert t.parent_env_name == "container_env" and env.depends_on == [container_env]


def test_identity_changes_with_the_command():
    assert make().identity_source() == make().identity_source()
    assert make().identity_source() != make(command=["/bin/sh", "-c", "echo {{.inputs.name}}"]).identity_source()
    assert make().identity_source() != make(image="other:1").identity_source()


def test_file_names_as_input_names():
    t = make(inputs={"script.py": File, "a": int}, command=["/bin/sh", "-c", "sh /var/inputs/script.py {{.inputs.a}}"])
    assert list(t.interface.inputs) == ["script.py", "a"]


# --------------------------------------------------------------------------------- bad declarations


def test_template_naming_an_unknown_input():
    with pytest.raises(ValueError) as info:
        make(command=["/bin/sh", "-c", "echo {{.inputs.nmae}}"])
    message = str(info.value)
    assert "command[2]" in message and "`nmae` is not an input" in message and "inputs: name" in message

    with pytest.raises(ValueError, match=r"arguments\[0\] uses \{\{\.inputs\.x\}\}"):
        make(arguments=["{{.inputs.x}}"])


def test_command_elements_must_be_strings():
    with pytest.raises(TypeError, match=r"command\[1\] is int 3; every element must be a str"):
        make(command=["sleep", 3])
    with pytest.raises(TypeError, match="command must be a list of strings, got str"):
        make(command="echo hi")
    with pytest.raises(ValueError, match="command is empty"):
        make(command=[])


def test_metadata_format_must_be_known():
    assert make(metadata_format="yaml").metadata_format == "YAML"
    with pytest.raises(ValueError, match=r"metadata_format='XML'; accepted: JSON, YAML, PROTO"):
        make(metadata_format="XML")


def test_directories_must_be_absolute_and_separate():
    with pytest.raises(ValueError, match="input_data_dir='inputs' must be an absolute path"):
        make(input_data_dir="inputs")
    with pytest.raises(ValueError, match="must be separate directories"):
        make(input_data_dir="/data", output_data_dir="/data/out")
    with pytest.raises(ValueError, match="must be separate directories"):
        make(input_data_dir="/data", output_data_dir="/data/")


def test_types_a_container_cannot_exchange():
    class Opaque:
        pass

    with pytest.raises(TypeError, match="input `x` has type Opaque, which a container cannot exchange; supported:"):
        make(inputs={"x": Opaque}, command=["true"])
    with pytest.raises(TypeError, match="output `o` has type"):
        make(outputs={"o": list[Opaque]})


def test_names_must_be_file_names():
    with pytest.raises(ValueError, match=r"input name 'a/b' cannot be a file name"):
        make(inputs={"a/b": str}, command=["true"])
    with pytest.raises(ValueError, match=r"output name '\.\.' cannot be a file name"):
        make(outputs={"..": str})


def test_an_input_may_not_hide_the_metadata_file():
    with pytest.raises(ValueError, match="input `inputs.json` would overwrite the inputs metadata file"):
        make(inputs={"inputs.json": str}, command=["true"])
    make(inputs={"inputs.json": str}, command=["true"], metadata_format="YAML")  # fine in another format


def test_unknown_settings_and_sandbox_options():
    with pytest.raises(TypeError, match="got unknown argument.s. colour"):
        make(colour="red")
    with pytest.raises(TypeError, match="network=0"):
        make(network=0)
    with pytest.raises(ValueError, match="pids_limit=0"):
        make(pids_limit=0)
    with pytest.raises(TypeError, match="read_only='yes'"):
        make(read_only="yes")


@dataclasses.dataclass
class Point:
    x: int
    y: float


def test_supported_types_are_accepted():
    make(
        inputs={
            "s": str, "i": int, "f": float, "b": bool, "d": dt.datetime, "day": dt.date, "td": dt.timedelta,
            "o": Optional[int], "file": File, "dir": Dir, "p": Point, "ps": list[Point], "m": dict[str, Point],
        },
        outputs={"f": File, "d": Dir, "p": Point, "n": Optional[float]},
        command=["true"],
    )


# --------------------------------------------------------------------------------- flyte.extras


def test_flyte_extras_reexports_the_plugin_class():
    from flyte.extras import ContainerTask as FromExtras

    assert FromExtras is ContainerTask


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


@pytest.mark.subprocess
def test_flyte_extras_without_the_plugin_names_the_package():
    # The plugin made uninstallable for this interpreter: a finder that refuses its import.
    code = """
import importlib.abc, sys
class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "flyteplugins.container" or name.startswith("flyteplugins.container."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NotInstalled())
try:
    from flyte.extras import ContainerTask
except ImportError as e:
    print(type(e).__name__, e)
"""
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (
        "ImportError flyte.extras.ContainerTask is provided by the `flyteplugins-container` package, which is not "
        "installed; install it with `pip install flyteplugins-container`"
    )


@pytest.mark.subprocess
def test_imports_are_cheap():
    code = (
        "import sys, flyte.extras; before = set(sys.modules); import flyteplugins.container; "
        "print(sorted(m for m in ('docker', 'yaml', 'requests') if m in sys.modules)); "
        "print('flyteplugins.container' in before)"
    )
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["[]", "False"]


def test_unknown_extras_name():
    import flyte.extras

    with pytest.raises(AttributeError, match="has no attribute 'Nope'; it provides: ContainerTask"):
        flyte.extras.Nope  # noqa: B018
