"""The conformance suites run against core's own File, Dir and dataframe codecs."""

from __future__ import annotations

import pytest

from flyte.io import Dir, File
from flyte.io._dir import DirTransformer
from flyte.io._file import FileTransformer
from flyte.testing import DataFrameCodecConformance, TypeTransformerConformance

try:
    import pandas as pd
    import pyarrow as pa
except ImportError:  # optional extras: the codec suites below are skipped, saying so
    pd = pa = None


class TestFileTransformer(TypeTransformerConformance):
    transformer = FileTransformer()
    python_type = File
    sample_values = [File(path="/data/a.csv"), File(path="s3://bucket/key/b.txt", name="renamed.txt", hash="abc")]
    wrong_values = ["/data/a.csv", 42, Dir(path="/data")]


class TestDirTransformer(TypeTransformerConformance):
    transformer = DirTransformer()
    python_type = Dir
    sample_values = [Dir(path="/data/d"), Dir(path="s3://bucket/prefix", format="csv", hash="k")]
    wrong_values = ["/data/d", File(path="/data/a.csv")]


if pd is None or pa is None:

    def test_dataframe_codecs():
        pytest.skip("pandas and pyarrow are optional extras: pip install 'flyte[dataframe]'")

else:

    class TestPandasParquet(DataFrameCodecConformance):
        python_type = pd.DataFrame

        def make_frame(self):
            return pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"], "c": [0.5, 1.5, None]})

        def assert_frames_equal(self, expected, actual):
            pd.testing.assert_frame_equal(expected, actual)

    class TestPandasCsv(DataFrameCodecConformance):
        python_type = pd.DataFrame
        format = "csv"
        is_default_format = False
        detects_truncation = False

        def make_frame(self):
            return pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})

        def assert_frames_equal(self, expected, actual):
            pd.testing.assert_frame_equal(expected, actual, check_dtype=False)

    class TestArrowParquet(DataFrameCodecConformance):
        python_type = pa.Table

        def make_frame(self):
            return pa.table({"a": [1, 2, 3], "b": ["x", "y", "z"]})

        def assert_frames_equal(self, expected, actual):
            assert expected.equals(actual), (expected, actual)

        def column_names(self, frame):
            return frame.column_names
