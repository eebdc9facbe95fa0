"""Registration through the `flyte.plugins.types` entry point, checked in fresh interpreters."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from importlib import metadata

import pytest

pytestmark = pytest.mark.subprocess


def run_python(code: str, tmp_path) -> str:
    env = {**os.environ, "FLYTE_HOME": str(tmp_path / "home"), "FLYTE_STRICT_PLUGINS": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc.stdout


def test_the_entry_point_is_declared():
    (ep,) = [ep for ep in metadata.entry_points(group="flyte.plugins.types") if ep.name == "polars"]
    assert ep.value == "flyteplugins.polars:register"
    assert ep.dist is not None and ep.dist.metadata["Name"] == "flyteplugins-polars"


def test_importing_the_package_does_no_work(tmp_path):
    out = run_python(
        """
        import sys
        import flyteplugins.polars as fp
        from flyte.io.extend import DataFrameTransformerEngine
        print("polars imported:", "polars" in sys.modules)
        print("registered:", [t.__name__ for t in DataFrameTransformerEngine.registered_types()])
        print("all:", fp.__all__)
        """,
        tmp_path,
    )
    assert "polars imported: False" in out
    assert "registered: []" in out


def test_the_first_type_lookup_registers_the_handlers(tmp_path):
    out = run_python(
        """
        import polars as pl
        from flyte.types import TypeEngine
        print("transformer:", type(TypeEngine.get_transformer(pl.LazyFrame)).__name__)
        from flyte.io.extend import DataFrameTransformerEngine as E
        print("decoder:", type(E.get_decoder(pl.DataFrame, "s3", "parquet")).__name__)
        print("encoder:", type(E.get_encoder(pl.LazyFrame, "file", "")).__name__)
        """,
        tmp_path,
    )
    assert "transformer: DataFrameTransformerEngine" in out
    assert "decoder: PolarsParquetDecoder" in out
    assert "encoder: LazyFrameParquetEncoder" in out


def test_flyte_init_registers_and_autoload_off_means_register_yourself(tmp_path):
    out = run_python(
        """
        import flyte, polars as pl
        from flyte.io.extend import DataFrameTransformerEngine as E
        flyte.init(load_plugin_type_transformers=False)
        print("off:", pl.DataFrame in E.registered_types())
        import flyteplugins.polars
        flyteplugins.polars.register()
        flyteplugins.polars.register()  # idempotent
        print("explicit:", pl.DataFrame in E.registered_types(), pl.LazyFrame in E.registered_types())
        """,
        tmp_path,
    )
    assert "off: False" in out
    assert "explicit: True True" in out
    out = run_python(
        """
        import flyte, polars as pl
        from flyte.io.extend import DataFrameTransformerEngine as E
        flyte.init()
        print("init:", pl.DataFrame in E.registered_types())
        """,
        tmp_path,
    )
    assert "init: True" in out


def test_reading_a_stored_frame_after_flyte_init(tmp_path):
    path = tmp_path / "stored.parquet"
    out = run_python(
        f"""
        import flyte, polars as pl
        pl.DataFrame({{"a": [1, 2]}}).write_parquet({str(path)!r})
        flyte.init()
        from flyte.io import DataFrame
        print("rows:", DataFrame.from_existing_remote({str(path)!r}).open(pl.DataFrame).all_sync().height)
        """,
        tmp_path,
    )
    assert "rows: 2" in out


def test_reading_a_stored_frame_as_the_first_flyte_call(tmp_path):
    path = tmp_path / "stored.parquet"
    out = run_python(
        f"""
        import polars as pl
        pl.DataFrame({{"a": [1, 2]}}).write_parquet({str(path)!r})
        from flyte.io import DataFrame
        print("rows:", DataFrame.from_existing_remote({str(path)!r}).open(pl.DataFrame).all_sync().height)
        """,
        tmp_path,
    )
    assert "rows: 2" in out
