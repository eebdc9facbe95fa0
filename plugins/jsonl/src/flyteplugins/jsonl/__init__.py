"""JSON Lines for Flyte tasks: `JsonlFile` (a `File`) and `JsonlDir` (a sharded `Dir`).

Records are streamed, never loaded whole: write them one at a time with ``writer()`` and read
them back with ``iter_records()``, ``iter_batches()`` or ``iter_arrow_batches()`` (pyarrow,
``pip install 'flyteplugins-jsonl[arrow]'``). Names ending in ``.jsonl.zst`` are zstd-compressed.
Every method has a blocking ``_sync`` twin. Files appear only when complete: a failed or killed
writer never leaves a torn file.

The types work as task inputs and outputs as soon as this package is installed (the
``flyte.plugins.types`` entry point calls `register`); importing it never imports pyarrow.
"""

from flyteplugins.jsonl._format import ErrorHandler, JsonlDecodeError, OnError
from flyteplugins.jsonl._types import JsonlDir, JsonlFile
from flyteplugins.jsonl._write import JsonlDirWriter, JsonlDirWriterSync, JsonlWriter, JsonlWriterSync

__all__ = [
    "ErrorHandler",
    "JsonlDecodeError",
    "JsonlDir",
    "JsonlDirWriter",
    "JsonlDirWriterSync",
    "JsonlFile",
    "JsonlWriter",
    "JsonlWriterSync",
    "OnError",
    "register",
]


def register() -> None:
    """Hand `JsonlFile` and `JsonlDir` to the File and Dir transformers (idempotent).

    Called by Flyte through the ``flyte.plugins.types`` entry point. Subclasses of File and
    Dir would be found without it; registering makes the types explicit in the type engine.
    """
    from flyte.io import Dir, File
    from flyte.types import TypeEngine

    TypeEngine.register_additional_type(TypeEngine.get_transformer(File), JsonlFile)
    TypeEngine.register_additional_type(TypeEngine.get_transformer(Dir), JsonlDir)
