"""Offloaded data: files, directories and dataframes passed between tasks by reference.

A value of these types holds only a reference (a path or URI); the data lives in the blob
store (``$FLYTE_HOME`` locally, or the store named by ``FLYTE_BLOB_URI``) and moves only when a
task opens or downloads it. Native dataframes (``pandas.DataFrame``, ``pyarrow.Table``,
``dask.dataframe.DataFrame``) are valid task inputs and outputs too, stored as parquet.

Writing handlers for more dataframe types: `flyte.io.extend`.
"""

from flyte.io import _dataframe, _dir, _file
from flyte.io._common import HashMethod
from flyte.io._dataframe import CSV, PARQUET, DataFrame
from flyte.io._dir import Dir
from flyte.io._file import File

_file.register()
_dir.register()
_dataframe.register()

__all__ = ["CSV", "PARQUET", "DataFrame", "Dir", "Directory", "File", "HashMethod"]

#: The name 003 uses (`flyte.Directory`).
Directory = Dir
