"""Core's dataframe codec conformance suite, run against the polars handlers."""

from __future__ import annotations

import datetime

import polars as pl
from polars.testing import assert_frame_equal

from flyte.testing import DataFrameCodecConformance


def sample() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [1, 2, 3],
            "name": ["a", None, "c"],
            "score": [0.5, 1.5, None],
            "when": [datetime.datetime(2024, 1, 1), None, datetime.datetime(2024, 3, 1)],
        }
    )


class TestPolarsDataFrame(DataFrameCodecConformance):
    python_type = pl.DataFrame

    def make_frame(self):
        return sample()

    def assert_frames_equal(self, expected, actual):
        assert isinstance(actual, pl.DataFrame)
        assert_frame_equal(expected, actual)


class TestPolarsLazyFrame(DataFrameCodecConformance):
    python_type = pl.LazyFrame

    def make_frame(self):
        return sample().lazy().with_columns((pl.col("score") * 2).alias("double"))

    def assert_frames_equal(self, expected, actual):
        assert isinstance(actual, pl.LazyFrame)
        assert_frame_equal(expected.collect(), actual.collect())

    def column_names(self, frame):
        return frame.collect_schema().names()
