"""Polars for Flyte tasks: ``pl.DataFrame`` and ``pl.LazyFrame`` as task inputs and outputs.

Both are stored as parquet in Flyte's blob store, in the layout core's pandas and pyarrow
handlers use, so a polars output can be read as pandas, pyarrow or ``flyte.io.DataFrame`` and
the reverse. A ``LazyFrame`` input is a lazy scan of the stored data; a ``LazyFrame`` output
is streamed to parquet without being collected.

Installing the package is enough: Flyte calls `register` through the ``flyte.plugins.types``
entry point the first time it looks a type up. Importing this package does no work and does
not import polars; the handler classes below are loaded on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flyteplugins.polars._codec import (
        LazyFrameParquetDecoder,
        LazyFrameParquetEncoder,
        PolarsParquetDecoder,
        PolarsParquetEncoder,
    )

__all__ = [
    "LazyFrameParquetDecoder",
    "LazyFrameParquetEncoder",
    "PolarsParquetDecoder",
    "PolarsParquetEncoder",
    "register",
]

_HANDLERS = frozenset(__all__) - {"register"}


def register() -> None:
    """Register the polars encoders and decoders with Flyte (idempotent; imports polars).

    The ``flyte.plugins.types`` entry point calls this; call it yourself only when plugin
    auto-loading is off (``flyte.init(load_plugin_type_transformers=False)``).
    """
    from flyteplugins.polars._codec import register_handlers

    register_handlers()


def __getattr__(name: str) -> Any:
    if name in _HANDLERS:
        from flyteplugins.polars import _codec

        return getattr(_codec, name)
    raise AttributeError(f"module 'flyteplugins.polars' has no attribute {name!r}")
