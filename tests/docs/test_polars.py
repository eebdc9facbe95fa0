"""Page "DataFrames", section "Polars DataFrames": eager and lazy polars frames between tasks."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import flyte
from flyte.models import ActionPhase

from ._support import EXAMPLES_DIR, explain, run_file, summary
from .examples import polars_dataframes as ex

# What the page's pipeline computes, worked out here with polars alone.
HIGH_EARNERS = pl.DataFrame(
    {
        "employee_id": [1006, 1001, 1002, 1005, 1004],
        "name": ["Fiona", "Alice", "Bob", "Ethan", "Diana"],
        "department": ["Engineering", "Engineering", "Engineering", "Finance", "Finance"],
        "salary": [80000, 75000, 72000, 70000, 68000],
        "years_experience": [7, 5, 4, 5, 6],
        "salary_per_year": [80000 / 7, 15000.0, 18000.0, 14000.0, 68000 / 6],
    }
)
DEPARTMENTS = pl.DataFrame(
    {
        "department": ["Engineering", "Finance", "Marketing"],
        "avg_salary": [227000 / 3, 69000.0, 50000.0],
        "max_salary": [80000, 70000, 50000],
        "headcount": pl.Series([3, 2, 1], dtype=pl.get_index_type()),
    }
)


def test_main_prints_the_documented_results(capsys):
    run = flyte.run(ex.main)
    out = capsys.readouterr().out
    assert run.phase == ActionPhase.SUCCEEDED
    assert summary(run) == [
        ("main", "succeeded", []),
        ("create_dataframe", "succeeded", []),
        ("filter_high_earners", "succeeded", []),
        ("create_lazyframe", "succeeded", []),
        ("aggregate_by_department", "succeeded", []),
    ]
    assert out == f"High earners:\n{HIGH_EARNERS}\nDepartment summary:\n{DEPARTMENTS}\n"
    assert "shape: (5, 6)" in out and "shape: (3, 4)" in out
    assert "│ 1006        ┆ Fiona ┆ Engineering ┆ 80000  ┆ 7                ┆ 11428.571429    │" in out
    assert "│ Engineering ┆ 75666.666667 ┆ 80000      ┆ 3         │" in out


def test_eager_frames_are_stored_as_parquet_and_read_back():
    df = flyte.run(ex.create_dataframe).outputs()[0]
    assert isinstance(df, pl.DataFrame)
    assert_frame_equal(df, pl.DataFrame(ex.EMPLOYEE_DATA))
    filtered = flyte.run(ex.filter_high_earners, df=df).outputs()[0]
    assert_frame_equal(filtered, HIGH_EARNERS)


def test_a_lazyframe_crosses_tasks_as_a_scan_of_parquet(flyte_home):
    lf = flyte.run(ex.create_lazyframe).outputs()[0]
    assert isinstance(lf, pl.LazyFrame)
    plan = lf.explain()
    assert "Parquet SCAN" in plan and str(flyte_home) in plan and "part-00000.parquet" in plan
    assert_frame_equal(lf.collect(), pl.DataFrame(ex.EMPLOYEE_DATA))
    assert_frame_equal(flyte.run(ex.aggregate_by_department, lf=lf).outputs()[0], DEPARTMENTS)


@pytest.mark.subprocess
def test_the_program_runs():
    proc = run_file(EXAMPLES_DIR / "polars_dataframes.py", timeout=120)
    assert proc.returncode == 0, explain(proc)
    assert proc.stdout.startswith(f"High earners:\n{HIGH_EARNERS}\nDepartment summary:\n{DEPARTMENTS}\n")
    assert proc.stdout.splitlines()[-2].startswith("main-")
