from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from flyte.cli import main
from flyte.remote import Run

PROGRAM = textwrap.dedent(
    """
    from dataclasses import dataclass
    import flyte

    env = flyte.TaskEnvironment(name="cli_env")

    @dataclass
    class Config:
        lr: float
        layers: list[int]

    @env.task
    def greet(name: str) -> str:
        return f"Hello, {name}!"

    @env.task
    async def mixed(n: int, ratio: float, flag: bool, items: list[int], cfg: Config, tag: str = "t") -> str:
        return f"{n}|{ratio}|{flag}|{sum(items)}|{cfg.lr}|{sum(cfg.layers)}|{tag}"
    """
)


@pytest.fixture
def program(tmp_path) -> Path:
    path = tmp_path / "my_script.py"
    path.write_text(PROGRAM)
    return path


def invoke(*args: str):
    return CliRunner().invoke(main, ["run", *args], catch_exceptions=False)


def test_run_parses_inputs_from_the_signature(program):
    result = invoke(
        str(program), "mixed", "--n", "3", "--ratio=0.5", "--flag", "--items", "[1, 2, 3]",
        "--cfg", '{"lr": 0.1, "layers": [4, 5]}',
    )
    assert result.exit_code == 0, result.output
    assert "Outputs: ActionOutputs(o0='3|0.5|True|6|0.1|9|t')" in result.output
    assert "Run: " in result.output and "URL: file://" in result.output


@pytest.mark.parametrize("text,expected", [("yes", True), ("FALSE", False), ("0", False), ("1", True)])
def test_bool_inputs_from_text(program, text, expected):
    result = invoke(str(program), "mixed", "--n", "1", "--ratio", "1", "--flag", text, "--items", "[]",
                    "--cfg", '{"lr": 1, "layers": []}')
    assert result.exit_code == 0, result.output
    assert f"|{expected}|" in result.output


def test_bad_inputs_are_clear_errors_and_start_no_run(program):
    bad_int = invoke(str(program), "greet", "--name", "x", "--bogus", "1")
    assert bad_int.exit_code == 2 and "has no input --bogus" in bad_int.output and "--name" in bad_int.output
    unknown = invoke(str(program), "nope")
    assert unknown.exit_code == 2 and "no task named 'nope'" in unknown.output and "greet" in unknown.output
    not_bool = invoke(str(program), "mixed", "--n", "1", "--ratio", "1", "--flag", "maybe", "--items", "[]",
                      "--cfg", "{}")
    assert not_bool.exit_code == 2 and "maybe" in not_bool.output
    not_int = invoke(str(program), "mixed", "--n", "three")
    assert not_int.exit_code == 2 and "'three'" in not_int.output
    missing = invoke(str(program), "greet")
    assert missing.exit_code == 2 and "missing required input" in missing.output
    assert Run.listall() == []


def test_the_installed_flyte_command(program, flyte_home):
    flyte_cmd = Path(sys.executable).parent / "flyte"
    out = subprocess.run(
        [str(flyte_cmd), "run", str(program), "greet", "--name", "World"],
        capture_output=True, text=True, env={**os.environ, "FLYTE_HOME": str(flyte_home)}, check=True,
    )
    assert "Hello, World!" in out.stdout
    name = out.stdout.split("Run: ")[1].split()[0]
    assert Run.get(name).outputs() == "Hello, World!"
