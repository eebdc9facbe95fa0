"""Entry-point type plugins (group `flyte.plugins.types`) installed as separate distributions.

Needs `tests/packages/my_transformer` installed (`pip install -e tests/packages/my_transformer`).
Plugin discovery is process-global and happens once, so most checks run in a fresh interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

# Installed by scripts/setup.sh; a missing install must fail, not skip.
from my_transformer.custom_type import PositiveInt
from my_transformer.transformer import PositiveIntTransformer

from flyte.testing import TypeTransformerConformance

pytestmark = pytest.mark.subprocess

# Shared prelude: log to stderr so tests can count warnings, and a round-trip helper.
PRELUDE = """
import asyncio, logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
from flyte.types import TypeEngine

def roundtrip(value, t):
    async def go():
        return await TypeEngine.to_python_value(await TypeEngine.to_literal(value, t), t)
    return asyncio.run(go())
"""


def run_python(code: str, extra_path: str | None = None, strict: bool = False) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FLYTE_STRICT_PLUGINS"}
    if strict:
        env["FLYTE_STRICT_PLUGINS"] = "1"
    if extra_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [extra_path, env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)], capture_output=True, text=True, env=env, timeout=60
    )


def check(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout


def test_plugin_is_discovered_lazily_on_first_lookup():
    out = check(
        run_python(
            """
            from flyte.types import _plugins
            from my_transformer.custom_type import PositiveInt
            print("before:", _plugins._loaded, "my_transformer.transformer" in sys.modules)
            lt = TypeEngine.to_literal_type(PositiveInt)
            print("after:", _plugins._loaded, "my_transformer.transformer" in sys.modules, lt.structure.tag)
            value = roundtrip(PositiveInt(42), PositiveInt)
            print("roundtrip:", type(value).__name__, value.value)
            print("guess:", TypeEngine.guess_python_type(lt).__name__)
            """
        )
    )
    assert "before: False False" in out
    assert "after: True True PositiveInt" in out
    assert "roundtrip: PositiveInt 42" in out
    assert "guess: PositiveInt" in out


def test_load_type_plugins_loads_eagerly_once():
    result = run_python(
        """
        import flyte.types
        flyte.types.load_type_plugins()
        print("loaded:", "my_transformer.transformer" in sys.modules)
        flyte.types.load_type_plugins()
        from my_transformer.custom_type import PositiveInt
        print("transformer:", TypeEngine.get_transformer(PositiveInt).name)
        """
    )
    out = check(result)
    assert "loaded: True" in out
    assert "transformer: PositiveInt" in out
    assert result.stderr.count("Registered PositiveIntTransformer") == 1


def test_autoload_disabled_means_the_plugin_is_never_loaded():
    out = check(
        run_python(
            """
            import flyte.types
            flyte.types.set_plugin_autoload(False)
            from my_transformer.custom_type import PositiveInt
            print("transformer:", TypeEngine.get_transformer(PositiveInt).name)
            print("value:", roundtrip(PositiveInt(3), PositiveInt).value)
            TypeEngine.get_available_transformers()
            TypeEngine.to_literal_type(list[int])
            print("loaded:", "my_transformer.transformer" in sys.modules)
            flyte.types.set_plugin_autoload(True)
            print("re-enabled:", TypeEngine.get_transformer(PositiveInt).name)
            """
        )
    )
    assert "transformer: pickle" in out
    assert "value: 3" in out
    assert "loaded: False" in out
    assert "re-enabled: PositiveInt" in out


def test_concurrent_first_lookups_register_the_plugin_once():
    result = run_python(
        """
        import threading
        from my_transformer.custom_type import PositiveInt
        names = []
        barrier = threading.Barrier(8)
        def lookup():
            barrier.wait()
            names.append(TypeEngine.get_transformer(PositiveInt).name)
        threads = [threading.Thread(target=lookup) for _ in range(8)]
        for t in threads: t.start()
        for t in threads: t.join()
        print("names:", sorted(set(names)), len(names))
        """
    )
    out = check(result)
    assert "names: ['PositiveInt'] 8" in out
    assert result.stderr.count("Registered PositiveIntTransformer") == 1


@pytest.fixture
def broken_distribution(tmp_path):
    """A fabricated installed distribution whose type plugin fails; returns (path, module file)."""
    dist_info = tmp_path / "broken_plugin-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken_plugin\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text("[flyte.plugins.types]\nbroken = broken_plugin_mod:register\n")
    module = tmp_path / "broken_plugin_mod.py"
    module.write_text("raise ImportError('this plugin is broken on purpose')\n")
    return tmp_path, module


LOOKUPS = """
from my_transformer.custom_type import PositiveInt
print("first:", TypeEngine.get_transformer(PositiveInt).name)
print("second:", TypeEngine.get_transformer(list[int]).name)
import flyte.types
flyte.types.load_type_plugins()
"""


def test_broken_plugin_logs_one_warning_naming_entry_point_and_distribution(broken_distribution):
    path, _ = broken_distribution
    result = run_python(LOOKUPS, extra_path=str(path))
    out = check(result)
    # The healthy plugin still loads.
    assert "first: PositiveInt" in out
    assert "second: list" in out
    warnings = [line for line in result.stderr.splitlines() if line.startswith("WARNING flyte")]
    assert len(warnings) == 1, result.stderr
    assert "`broken`" in warnings[0]
    assert "broken_plugin 0.1" in warnings[0]
    assert "this plugin is broken on purpose" in warnings[0]


def test_plugin_whose_register_raises(broken_distribution):
    path, module = broken_distribution
    module.write_text("def register():\n    raise RuntimeError('register exploded')\n")
    result = run_python(LOOKUPS, extra_path=str(path))
    check(result)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("WARNING flyte")]
    assert len(warnings) == 1, result.stderr
    assert "`broken`" in warnings[0] and "broken_plugin 0.1" in warnings[0] and "register exploded" in warnings[0]


def test_broken_plugin_raises_in_strict_mode(broken_distribution):
    path, _ = broken_distribution
    result = run_python(
        """
        from my_transformer.custom_type import PositiveInt
        for attempt in (1, 2):
            try:
                TypeEngine.get_transformer(PositiveInt)
            except RuntimeError as e:
                print(f"attempt {attempt} raised:", e)
        """,
        extra_path=str(path),
        strict=True,
    )
    out = check(result)
    assert "attempt 1 raised:" in out and "attempt 2 raised:" in out
    assert "`broken`" in out and "broken_plugin 0.1" in out and "this plugin is broken on purpose" in out


def test_strict_mode_with_healthy_plugins_is_quiet():
    result = run_python(
        """
        from my_transformer.custom_type import PositiveInt
        print("value:", roundtrip(PositiveInt(5), PositiveInt).value)
        """,
        strict=True,
    )
    assert "value: 5" in check(result)
    assert "WARNING" not in result.stderr


class TestPositiveIntConformance(TypeTransformerConformance):
    """The docs' plugin passes the conformance suite plugin authors are pointed to."""

    transformer = PositiveIntTransformer()
    python_type = PositiveInt
    sample_values = (PositiveInt(1), PositiveInt(2**40))
    wrong_values = (1, "1", None.__class__)

    def assert_values_equal(self, expected, actual):
        assert type(actual) is PositiveInt and actual.value == expected.value


RUN_PROGRAM = """
import flyte
from flyte.types import TypeEngine
from my_transformer.custom_type import PositiveInt

env = flyte.TaskEnvironment(name="custom_types")

@env.task
async def process_positive(value: PositiveInt) -> int:
    return value.value * 2

flyte.init_from_config() if AUTOLOAD else flyte.init(load_plugin_type_transformers=False)
run = flyte.run(process_positive, value=PositiveInt(42))
run.wait()
print("outputs:", run.outputs()[0])
print("transformer:", TypeEngine.get_transformer(PositiveInt).name)
"""


def test_positive_int_plugin_works_in_flyte_run():
    out = check(run_python("AUTOLOAD = True\n" + RUN_PROGRAM, strict=True))
    assert "outputs: 84" in out
    assert "transformer: PositiveInt" in out


def test_positive_int_plugin_not_loaded_when_autoload_is_off():
    out = check(run_python("AUTOLOAD = False\n" + RUN_PROGRAM, strict=True))
    # The run still works (the value is pickled), but the plugin's transformer was never registered.
    assert "outputs: 84" in out
    assert "transformer: PositiveInt" not in out
