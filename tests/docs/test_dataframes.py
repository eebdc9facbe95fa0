"""Page "DataFrames" (the part before Polars): native pandas frames, flyte.io.DataFrame, conversion."""

from __future__ import annotations

import pandas as pd
import pytest

import flyte
from flyte.io import DataFrame
from flyte.models import ActionPhase

from ._support import EXAMPLES_DIR, explain, run_file, summary
from .examples import dataframes_usage as ex


def expected_join() -> pd.DataFrame:
    return pd.DataFrame(ex.BASIC_EMPLOYEE_DATA).merge(
        pd.DataFrame(ex.ADDL_EMPLOYEE_DATA), on="employee_id", how="inner"
    )


def test_main_runs_the_whole_example(capsys):
    run = flyte.run(ex.main)
    out = capsys.readouterr().out
    assert run.phase == ActionPhase.SUCCEEDED
    assert summary(run) == [
        ("main", "succeeded", []),
        ("create_raw_dataframe", "succeeded", []),
        ("create_flyte_dataframe", "succeeded", []),
        ("join_data", "succeeded", []),
        ("download_data", "succeeded", []),
    ]
    # download_data prints the joined frame exactly as pandas renders it
    assert out == "Downloaded Data:\n " + str(expected_join()) + "\n"
    assert "Downloaded Data:\n    employee_id     name" in out
    for name in ex.BASIC_EMPLOYEE_DATA["name"]:
        assert name in out
    assert "[8 rows x 8 columns]" in out


def test_create_raw_dataframe_returns_pandas():
    df = flyte.run(ex.create_raw_dataframe).outputs()[0]
    pd.testing.assert_frame_equal(df, pd.DataFrame(ex.BASIC_EMPLOYEE_DATA))


def test_create_flyte_dataframe_is_stored_as_parquet():
    fdf = flyte.run(ex.create_flyte_dataframe).outputs()[0]
    assert isinstance(fdf, DataFrame) and fdf.format == "parquet" and fdf.val is None
    assert fdf.column_names() == ["employee_id", "salary", "bonus_pct", "full_time", "projects"]
    back = fdf.open(pd.DataFrame).all_sync()
    pd.testing.assert_frame_equal(back, pd.DataFrame(ex.ADDL_EMPLOYEE_DATA))


def test_join_converts_a_flyte_dataframe_into_pandas():
    raw = pd.DataFrame(ex.BASIC_EMPLOYEE_DATA)
    fdf = DataFrame.from_local_sync(pd.DataFrame(ex.ADDL_EMPLOYEE_DATA))
    joined = flyte.run(ex.join_data, raw, fdf).outputs()[0]
    assert isinstance(joined, DataFrame)
    pd.testing.assert_frame_equal(joined.open(pd.DataFrame).all_sync(), expected_join())


@pytest.mark.subprocess
def test_the_program_runs():
    proc = run_file(EXAMPLES_DIR / "dataframes_usage.py", timeout=120)
    assert proc.returncode == 0, explain(proc)
    assert proc.stdout.startswith("Downloaded Data:\n")
    assert "[8 rows x 8 columns]" in proc.stdout
    assert proc.stdout.splitlines()[-2].startswith("main-")
