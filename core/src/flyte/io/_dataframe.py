"""``flyte.io.DataFrame`` and the dataframe extension API (encoders, decoders, the engine).

A dataframe crosses a task boundary as a ``StructuredDataset`` literal: the URI of its stored
data (a file, or a directory of part files), the storage format, and column metadata.
Encoders write a Python dataframe type in one format; decoders read a format into a Python
type. ``DataFrameTransformerEngine`` picks them by (Python type, storage protocol, format) and is
the type transformer for ``flyte.io.DataFrame`` and for every registered native dataframe type.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import sys
import threading
import typing
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Generator, Mapping
from typing import Any, ClassVar, TypeAlias

from flyteidl2.core import literals_pb2, types_pb2

from flyte._runtime import blobstore
from flyte.io._common import pydantic_schema
from flyte.types import TypeEngine, TypeTransformer, TypeTransformerFailedError

PARQUET = "parquet"
CSV = "csv"
GENERIC_FORMAT = ""
#: Protocol key of handlers registered for every storage protocol.
ANY_PROTOCOL = "fsspec"

StructuredDataset: TypeAlias = literals_pb2.StructuredDataset
StructuredDatasetMetadata: TypeAlias = literals_pb2.StructuredDatasetMetadata
StructuredDatasetType: TypeAlias = types_pb2.StructuredDatasetType

#: Where a dataframe type that no installed package handles comes from: module -> pip package.
KNOWN_PLUGINS = {
    "polars": "flyteplugins-polars",
    "pyspark": "flyteplugins-spark",
    "snowflake": "flyteplugins-snowflake",
    "google": "flyteplugins-bigquery",
    "modin": "flyteplugins-modin",
    "vaex": "flyteplugins-vaex",
    "cudf": "flyteplugins-rapids",
    "ibis": "flyteplugins-ibis",
    "duckdb": "flyteplugins-duckdb",
}
#: Dataframe types core handles itself once their library is imported: module -> pip package.
BUILTIN_LIBRARIES = {"pandas": "pandas pyarrow", "pyarrow": "pyarrow", "dask": "'dask[dataframe]' pyarrow"}


class DataFrameHandlerError(TypeTransformerFailedError):
    """No encoder or decoder fits the requested (type, protocol, format)."""


class DataFrame:
    """A dataframe passed between tasks by reference: any engine's frame, stored as files.

    Wrap an in-memory frame with `wrap_df` (written when the task returns it), upload one now
    with `from_local`, or refer to stored data with `from_existing_remote`. Read it back with
    ``await df.open(pd.DataFrame).all()`` (whole) or ``async for part in df.open(pd.DataFrame).iter()``
    (part by part, for data stored as a directory of parts).

    Attributes:
        uri: Where the data is stored (a file or a directory of part files); None until written.
        format: The storage format (``"parquet"``, ``"csv"``, ...).
        hash: An optional content hash or cache key.
    """

    def __init__(
        self, uri: str | None = None, format: str | None = GENERIC_FORMAT, hash: str | None = None, **kwargs: Any
    ):
        self.uri = uri
        self.format = format or GENERIC_FORMAT
        self.hash = hash
        self._raw_df: Any = kwargs.pop("val", None)
        self._metadata: StructuredDatasetMetadata | None = kwargs.pop("metadata", None)
        if kwargs:
            raise TypeError(f"DataFrame() got unexpected arguments {sorted(kwargs)}")
        self._literal_sd: StructuredDataset | None = None
        self._dataframe_type: type | None = None
        self._requested_columns: dict[str, Any] | None = None

    # --------------------------------------------------------------------------- creating

    @classmethod
    def wrap_df(cls, val: Any = None, uri: str | None = None) -> DataFrame:
        """Wrap an in-memory dataframe; it is written when the task returns or passes it on.

        Args:
            val: A pandas DataFrame, pyarrow Table, dask DataFrame, or any type a plugin handles.
            uri: Where to write it (default: a new location in the run's data area).
        """
        return cls(uri=uri, val=val)

    @classmethod
    def from_df(cls, val: Any = None, uri: str | None = None) -> DataFrame:
        """Same as `wrap_df` (the name the docs use)."""
        return cls.wrap_df(val, uri)

    @classmethod
    async def from_local(
        cls,
        df: Any,
        columns: Mapping[str, Any] | None = None,
        remote_destination: str | None = None,
        hash_method: Any = None,
        format: str | None = None,
    ) -> DataFrame:
        """Write `df` to the blob store now and return a reference to it.

        Args:
            df: The in-memory dataframe.
            columns: Column name -> Python type, recorded as the column metadata.
            remote_destination: Where to write it (default: a new location in the run's data area).
            hash_method: A ``hashlib`` name (``"sha256"``) or hasher object: `hash` is then the
                digest of the stored files' bytes, in part order.
            format: Storage format (default: the type's default, parquet for the built-ins).
        """
        wrapper = cls(uri=remote_destination, val=df, format=format)
        t: Any = DataFrame
        if columns:
            t = typing.Annotated[DataFrame, dict(columns)]
        lit = await TypeEngine.to_literal(wrapper, t)
        sd = lit.scalar.structured_dataset
        digest = None
        if hash_method is not None:
            digest = await asyncio.to_thread(_hash_stored, sd.uri, hash_method)
        return cls._from_sd(sd, digest)

    @classmethod
    def from_local_sync(
        cls,
        df: Any,
        columns: Mapping[str, Any] | None = None,
        remote_destination: str | None = None,
        hash_method: Any = None,
        format: str | None = None,
    ) -> DataFrame:
        """Blocking twin of `from_local`."""
        return _run_sync(cls.from_local(df, columns, remote_destination, hash_method, format))

    @classmethod
    def from_existing_remote(cls, remote_path: str, format: str | None = None, **kwargs: Any) -> DataFrame:
        """Refer to data already stored at `remote_path` (a file or a directory of parts).

        `format` defaults to ``csv`` for a path ending in ``.csv``, else ``parquet``.
        """
        if not remote_path:
            raise ValueError("DataFrame.from_existing_remote needs a path or URI, got an empty string")
        fmt = format or (CSV if str(remote_path).lower().endswith(".csv") else PARQUET)
        out = cls(uri=str(remote_path), format=fmt, hash=kwargs.get("hash"))
        out._literal_sd = StructuredDataset(
            uri=out.uri, metadata=StructuredDatasetMetadata(structured_dataset_type=StructuredDatasetType(format=fmt))
        )
        return out

    @classmethod
    def _from_sd(cls, sd: StructuredDataset, hash: str | None = None) -> DataFrame:
        out = cls(uri=sd.uri, format=sd.metadata.structured_dataset_type.format, hash=hash)
        out._literal_sd = sd
        out._metadata = sd.metadata
        return out

    # --------------------------------------------------------------------------- inspecting

    @property
    def val(self) -> Any:
        """The wrapped in-memory dataframe (None for stored data not yet read)."""
        return self._raw_df

    @property
    def metadata(self) -> StructuredDatasetMetadata | None:
        """The column and schema metadata recorded with the stored data."""
        return self._metadata

    @property
    def literal(self) -> StructuredDataset | None:
        """The stored form (URI and metadata), once written."""
        return self._literal_sd

    def columns(self) -> dict[str, Any]:
        """Column name -> Python type, from the recorded metadata (``typing.Any`` when unknown)."""
        if self._metadata is None:
            return {}
        out = {}
        for col in self._metadata.structured_dataset_type.columns:
            try:
                out[col.name] = TypeEngine.guess_python_type(col.literal_type)
            except ValueError:
                out[col.name] = Any
        return out

    def column_names(self) -> list[str]:
        if self._metadata is None:
            return []
        return [col.name for col in self._metadata.structured_dataset_type.columns]

    # --------------------------------------------------------------------------- reading

    def open(self, dataframe_type: type) -> DataFrame:
        """Choose the in-memory type `all()` and `iter()` produce; returns this DataFrame."""
        if not isinstance(dataframe_type, type):
            raise TypeError(f"DataFrame.open takes a dataframe class such as pandas.DataFrame, got {dataframe_type!r}")
        self._dataframe_type = dataframe_type
        return self

    async def all(self) -> Any:
        """Read the whole dataframe as the type chosen with `open` (every part, concatenated)."""
        t = self._target_type("all")
        if self._raw_df is not None and isinstance(self._raw_df, t):
            return self._raw_df
        sd = await self._stored()
        decoder = _decoder_for(t, sd)
        result = await decoder.decode(sd, _read_metadata(sd, self._requested_columns))
        if isinstance(result, AsyncIterator) or inspect.isasyncgen(result):
            raise TypeError(
                f"Decoder {type(decoder).__name__} streams parts; read them with `async for part in df.iter()`"
            )
        return result

    def all_sync(self) -> Any:
        """Blocking twin of `all`."""
        return _run_sync(self.all())

    def iter(self) -> _PartIterator:
        """Read the dataframe part by part: ``async for part in df.open(pd.DataFrame).iter(): ...``."""
        return _PartIterator(self._iter_parts())

    async def _iter_parts(self) -> AsyncIterator[Any]:
        t = self._target_type("iter")
        sd = await self._stored()
        decoder = _decoder_for(t, sd)
        async for part in decoder.iter_decode(sd, _read_metadata(sd, self._requested_columns)):
            yield part

    def _target_type(self, method: str) -> type:
        if self._dataframe_type is not None:
            return self._dataframe_type
        if self._raw_df is not None:
            return type(self._raw_df)
        raise TypeError(
            f"Call open(<dataframe type>) before {method}(), e.g. `await df.open(pandas.DataFrame).{method}()`"
        )

    async def _stored(self) -> StructuredDataset:
        if self._literal_sd is None:
            if self._raw_df is None and self.uri is None:
                raise ValueError("This DataFrame has neither data nor a uri; create it with DataFrame.wrap_df(df)")
            lit = await TypeEngine.to_literal(self, DataFrame)
            self._literal_sd = lit.scalar.structured_dataset
            self._metadata = self._literal_sd.metadata
        return self._literal_sd

    # --------------------------------------------------------------------------- conversions

    def to_dict(self) -> dict[str, Any]:
        return {"uri": self.uri, "format": self.format, "hash": self.hash}

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        return pydantic_schema(cls, lambda d: cls.from_existing_remote(d["uri"], d.get("format"), hash=d.get("hash")))

    def __repr__(self) -> str:
        held = f", val={type(self._raw_df).__name__}" if self._raw_df is not None else ""
        return f"DataFrame(uri={self.uri!r}, format={self.format!r}{held})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DataFrame):
            return NotImplemented
        if self._raw_df is not None or other._raw_df is not None:
            return self is other
        return (self.uri, self.format, self.hash) == (other.uri, other.format, other.hash)

    __hash__ = None  # type: ignore[assignment]


class _PartIterator:
    """Async iterator over parts; also awaitable (``async for p in await df.iter()`` works too)."""

    def __init__(self, gen: AsyncIterator[Any]):
        self._gen = gen

    def __aiter__(self) -> _PartIterator:
        return self

    async def __anext__(self) -> Any:
        return await self._gen.__anext__()

    def __await__(self) -> Generator[Any, None, _PartIterator]:
        if False:  # pragma: no cover - makes this a generator
            yield
        return self


def _hash_stored(uri: str, hash_method: Any) -> str:
    from flyte.io._common import digest_of, new_hasher

    hasher = new_hasher(hash_method)
    for part in list_parts(uri):
        with blobstore.storage_for(part).open_read(part) as f:
            while chunk := f.read(8 * 1024 * 1024):
                hasher.update(chunk)
    return digest_of(hasher)


def _run_sync(coro: Any) -> Any:
    from flyte._runtime.threads import run_sync

    return run_sync(coro)


# ------------------------------------------------------------------------------ handlers


def _normalize_protocol(protocol: str | None) -> str | None:
    if protocol is None:
        return None
    if protocol == "":
        raise ValueError("A dataframe handler's protocol must be None (every protocol) or a scheme such as 's3'")
    return protocol.split("://", 1)[0].lower()


class _DataFrameHandler:
    """What encoders and decoders share: the (Python type, protocol, format) they are registered for."""

    def __init__(self, python_type: type, protocol: str | None = None, supported_format: str | None = None):
        self._python_type = python_type
        self._protocol = _normalize_protocol(protocol)
        self._supported_format = supported_format or GENERIC_FORMAT

    @property
    def python_type(self) -> type:
        return self._python_type

    @property
    def protocol(self) -> str | None:
        return self._protocol

    @property
    def supported_format(self) -> str:
        return self._supported_format


class DataFrameEncoder(_DataFrameHandler, ABC):
    """Writes one Python dataframe type in one storage format.

    Subclass it, implement `encode`, and register an instance with
    `DataFrameTransformerEngine.register`.

    Args:
        python_type: The dataframe class this encoder writes.
        protocol: The storage protocol it writes to (``"s3"``, ``"file"``); None for every protocol.
        supported_format: The format it writes (``"parquet"``); None or ``""`` for a generic one.
    """

    @abstractmethod
    async def encode(self, dataframe: DataFrame, structured_dataset_type: StructuredDatasetType) -> StructuredDataset:
        """Write ``dataframe.val`` at ``dataframe.uri`` and describe what was written.

        ``dataframe.uri`` is always set: a new location in the run's data area unless the user
        chose one. Treat it as a directory and write one or more part files inside it (or, if
        the user's uri names a file, that file). Write atomically (see `flyte.io.extend.write_path`).

        Returns:
            The stored dataset: its uri, and `structured_dataset_type` completed with the columns.
        """


class DataFrameDecoder(_DataFrameHandler, ABC):
    """Reads one storage format into one Python dataframe type.

    Args:
        python_type: The dataframe class this decoder produces.
        protocol: The storage protocol it reads from; None for every protocol.
        supported_format: The format it reads; None or ``""`` for a generic one.
        additional_protocols: More protocols to register it for.
    """

    def __init__(
        self,
        python_type: type,
        protocol: str | None = None,
        supported_format: str | None = None,
        additional_protocols: list[str] | None = None,
    ):
        super().__init__(python_type, protocol, supported_format)
        self._additional_protocols = [p for p in (_normalize_protocol(x) for x in additional_protocols or []) if p]

    @property
    def additional_protocols(self) -> list[str]:
        return self._additional_protocols

    @abstractmethod
    async def decode(self, flyte_value: StructuredDataset, current_task_metadata: StructuredDatasetMetadata) -> Any:
        """Read the data at ``flyte_value.uri`` (a file or a directory of parts) whole.

        ``current_task_metadata.structured_dataset_type.columns``, when not empty, names the
        columns the reader asked for: return only those.
        """

    async def iter_decode(
        self, flyte_value: StructuredDataset, current_task_metadata: StructuredDatasetMetadata
    ) -> AsyncIterator[Any]:
        """Yield the data part by part: one dataframe per part file of a directory (one for a file).

        The default calls `decode` on each part; override it to stream finer-grained batches.
        """
        for part in await asyncio.to_thread(list_parts, flyte_value.uri):
            yield await self.decode(StructuredDataset(uri=part, metadata=flyte_value.metadata), current_task_metadata)


def list_parts(uri: str) -> list[str]:
    """The data files of a stored dataframe: `uri` itself if it is a file, else the files under it.

    Hidden and bookkeeping files (names starting with ``.`` or ``_``, like ``_SUCCESS``) are skipped.

    Raises:
        FileNotFoundError: Nothing is stored at `uri`.
    """
    store = blobstore.storage_for(uri)
    if not store.is_dir(uri):
        if not store.exists(uri):
            raise FileNotFoundError(f"No dataframe data at {uri}")
        return [uri]
    prefix = uri.rstrip("/") + "/"
    parts = [
        p for p in store.list_files(uri) if not any(seg.startswith((".", "_")) for seg in p[len(prefix) :].split("/"))
    ]
    if not parts:
        raise FileNotFoundError(f"The dataframe directory {uri} holds no data files")
    return parts


def column_literals(columns: Mapping[str, Any]) -> list[types_pb2.StructuredDatasetType.DatasetColumn]:
    return [
        types_pb2.StructuredDatasetType.DatasetColumn(name=name, literal_type=TypeEngine.to_literal_type(t))
        for name, t in columns.items()
    ]


def _dataset_type(fmt: str, columns: Mapping[str, Any] | None) -> StructuredDatasetType:
    """The dataset type of format `fmt` listing `columns` (name -> Python type), if any."""
    sd_type = StructuredDatasetType(format=fmt)
    if columns:
        sd_type.columns.extend(column_literals(columns))
    return sd_type


def _read_metadata(sd: StructuredDataset, columns: Mapping[str, Any] | None) -> StructuredDatasetMetadata:
    """What a decoder is told when reading `sd`: its stored format, and the `columns` the reader asked for."""
    return StructuredDatasetMetadata(
        structured_dataset_type=_dataset_type(sd.metadata.structured_dataset_type.format, columns)
    )


def _decoder_for(df_type: type, sd: StructuredDataset) -> DataFrameDecoder:
    """The decoder that reads the stored `sd` (its protocol and format) into `df_type`."""
    return DataFrameTransformerEngine.get_decoder(
        df_type, blobstore.protocol_of(sd.uri), sd.metadata.structured_dataset_type.format
    )


def requested_columns(metadata: StructuredDatasetMetadata | None) -> list[str] | None:
    """The column names a reader asked for, or None for all of them."""
    if metadata is None:
        return None
    names = [c.name for c in metadata.structured_dataset_type.columns]
    return names or None


def extract_cols_and_format(t: Any) -> tuple[Any, dict[str, Any] | None, str, Any]:
    """Split ``Annotated[T, ...]`` into (T, columns, format, pyarrow schema).

    A ``str`` is the storage format; a dict / OrderedDict, or a class with ``__annotations__``
    (a TypedDict or dataclass), lists the columns; a ``pyarrow.Schema`` is kept as the schema.
    """
    columns: dict[str, Any] | None = None
    fmt = GENERIC_FORMAT
    schema = None
    base = t
    while typing.get_origin(base) is typing.Annotated:
        for meta in base.__metadata__:
            if isinstance(meta, str):
                fmt = meta
            elif isinstance(meta, (dict, collections.OrderedDict)):
                columns = dict(meta)
            elif _is_arrow_schema(meta):
                schema = meta
            elif isinstance(meta, type) and getattr(meta, "__annotations__", None):
                columns = typing.get_type_hints(meta)
        base = base.__origin__
    return base, columns, fmt, schema


def _is_arrow_schema(value: Any) -> bool:
    pa = sys.modules.get("pyarrow")
    return pa is not None and isinstance(value, pa.Schema)


class DataFrameTransformerEngine(TypeTransformer[DataFrame]):
    """The type transformer for `DataFrame` and every registered dataframe type; holds the handlers.

    Handlers are kept as ``ENCODERS[python type][protocol][format]`` (same for ``DECODERS``),
    with protocol ``"fsspec"`` for handlers that serve every protocol. Lookups prefer a handler
    for the exact protocol, then an every-protocol one; within those the exact format, then a
    generic one, then the type's default format, then the only one registered.
    """

    ENCODERS: ClassVar[dict[type, dict[str, dict[str, DataFrameEncoder]]]] = {}
    DECODERS: ClassVar[dict[type, dict[str, dict[str, DataFrameDecoder]]]] = {}
    DEFAULT_FORMATS: ClassVar[dict[type, str]] = {}
    DEFAULT_PROTOCOLS: ClassVar[dict[type, str]] = {}
    _lock = threading.RLock()

    def __init__(self) -> None:
        super().__init__("DataFrame", DataFrame, enable_type_assertions=False)

    # ------------------------------------------------------------------------- registry

    @classmethod
    def register(
        cls,
        h: DataFrameEncoder | DataFrameDecoder,
        default_for_type: bool = False,
        override: bool = False,
        default_format_for_type: bool = False,
        default_storage_for_type: bool = False,
    ) -> None:
        """Register an encoder or decoder for its protocol (or every protocol) and format.

        Args:
            h: The handler.
            default_for_type: Make its format and protocol the defaults for its Python type.
            override: Replace a handler already registered for the same (type, protocol, format).
            default_format_for_type: Make its format the default for its Python type.
            default_storage_for_type: Make its protocol the default for its Python type.

        Raises:
            ValueError: A handler is already registered for the same key and `override` is false.
        """
        if not isinstance(h, (DataFrameEncoder, DataFrameDecoder)):
            raise TypeError(f"Expected a DataFrameEncoder or DataFrameDecoder, got {type(h).__name__}")
        protocols = [h.protocol or ANY_PROTOCOL]
        if isinstance(h, DataFrameDecoder):
            protocols += h.additional_protocols
        for protocol in protocols:
            cls.register_for_protocol(
                h, protocol, default_for_type, override, default_format_for_type, default_storage_for_type
            )

    @classmethod
    def register_for_protocol(
        cls,
        h: DataFrameEncoder | DataFrameDecoder,
        protocol: str,
        default_for_type: bool = False,
        override: bool = False,
        default_format_for_type: bool = False,
        default_storage_for_type: bool = False,
    ) -> None:
        """Register `h` for one `protocol` (see `register`)."""
        protocol = _normalize_protocol(protocol) or ANY_PROTOCOL
        table: dict[type, dict[str, dict[str, Any]]] = cls.ENCODERS if isinstance(h, DataFrameEncoder) else cls.DECODERS
        kind = "encoder" if isinstance(h, DataFrameEncoder) else "decoder"
        with cls._lock:
            formats = table.setdefault(h.python_type, {}).setdefault(protocol, {})
            existing = formats.get(h.supported_format)
            if existing is not None and existing is not h and not override:
                raise ValueError(
                    f"A dataframe {kind} for ({_type_name(h.python_type)}, {protocol}, "
                    f"format {h.supported_format!r}) is already registered: {type(existing).__name__}; cannot register "
                    f"{type(h).__name__}. Pass override=True to replace it."
                )
            formats[h.supported_format] = h
            if default_for_type or default_format_for_type or h.python_type not in cls.DEFAULT_FORMATS:
                if h.supported_format:
                    cls.DEFAULT_FORMATS[h.python_type] = h.supported_format
            if (default_for_type or default_storage_for_type) and protocol != ANY_PROTOCOL:
                cls.DEFAULT_PROTOCOLS[h.python_type] = protocol
        if h.python_type is not DataFrame:
            TypeEngine.register_additional_type(ENGINE, h.python_type, override=True)

    @classmethod
    def registered_types(cls) -> list[type]:
        """Dataframe types with at least one encoder or decoder."""
        return sorted({*cls.ENCODERS, *cls.DECODERS}, key=_type_name)

    @classmethod
    def get_encoder(cls, df_type: type, protocol: str, format: str) -> DataFrameEncoder:
        """The encoder that writes `df_type` to `protocol` in `format` (see the class doc for the order)."""
        return cls._find(cls.ENCODERS, "encoder", df_type, protocol, format)

    @classmethod
    def get_decoder(cls, df_type: type, protocol: str, format: str) -> DataFrameDecoder:
        """The decoder that reads `format` from `protocol` into `df_type`."""
        return cls._find(cls.DECODERS, "decoder", df_type, protocol, format)

    @classmethod
    def _find(cls, table: dict, kind: str, df_type: type, protocol: str, fmt: str) -> Any:
        ensure_builtin_handlers(df_type)
        by_protocol = None
        for t in getattr(df_type, "__mro__", (df_type,))[:-1] or (df_type,):
            by_protocol = table.get(t)
            if by_protocol is not None:
                df_type = t
                break
        if by_protocol is None:
            raise DataFrameHandlerError(_no_handler_message(kind, df_type, cls.registered_types()))
        protocol = _normalize_protocol(protocol) or "file"
        default_fmt = cls.DEFAULT_FORMATS.get(df_type, GENERIC_FORMAT)
        for p in (protocol, ANY_PROTOCOL):
            formats = by_protocol.get(p)
            if not formats:
                continue
            if fmt in formats:
                return formats[fmt]
            if GENERIC_FORMAT in formats:
                return formats[GENERIC_FORMAT]
            if not fmt:
                if default_fmt in formats:
                    return formats[default_fmt]
                if len(formats) == 1:
                    return next(iter(formats.values()))
        available = sorted(
            {f or "<generic>" for p, fs in by_protocol.items() if p in (protocol, ANY_PROTOCOL) for f in fs}
        )
        raise DataFrameHandlerError(
            f"No dataframe {kind} for format `{fmt or '<generic>'}` of `{_type_name(df_type)}` on protocol `{protocol}`; "
            f"formats registered for it: {', '.join(available) or 'none'}. Fix the format hint "
            f'(e.g. Annotated[DataFrame, "{default_fmt or PARQUET}"]) or register a {kind} for `{fmt}`.'
        )

    # ------------------------------------------------------------------------- transformer

    def get_literal_type(self, t: Any) -> types_pb2.LiteralType:
        _, columns, fmt, _ = extract_cols_and_format(t)
        return types_pb2.LiteralType(structured_dataset_type=_dataset_type(fmt, columns))

    def assert_type(self, t: Any, v: Any) -> None:
        pass

    async def to_literal(
        self, python_val: Any, python_type: Any, expected: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        base, columns, fmt, schema = extract_cols_and_format(python_type)
        base = typing.get_origin(base) or base
        if isinstance(python_val, DataFrame):
            wrapper = python_val
        elif isinstance(base, type) and issubclass(base, DataFrame):
            if type(python_val) not in self.registered_types():
                ensure_builtin_handlers(type(python_val))
            if not self._handles(type(python_val)):
                raise TypeTransformerFailedError(
                    f"Expected a flyte.io.DataFrame (or a dataframe of a registered type), got "
                    f"{type(python_val).__name__} {python_val!r:.60}; wrap it with DataFrame.wrap_df(df)"
                )
            wrapper = DataFrame(val=python_val)
        else:
            ensure_builtin_handlers(type(python_val))
            # Any registered dataframe type is accepted: it is stored in its own format and read
            # back as the declared type (pandas in, arrow out, ...).
            if not isinstance(python_val, base) and not self._handles(type(python_val)):
                raise TypeTransformerFailedError(
                    f"Expected a {_type_name(base)}, got {type(python_val).__name__} {python_val!r:.60}"
                )
            wrapper = DataFrame(val=python_val)

        if wrapper._raw_df is None:
            if wrapper._literal_sd is not None:
                sd = wrapper._literal_sd
            elif wrapper.uri:
                stored_fmt = wrapper.format or fmt or PARQUET
                sd = StructuredDataset(
                    uri=wrapper.uri,
                    metadata=StructuredDatasetMetadata(
                        structured_dataset_type=StructuredDatasetType(format=stored_fmt)
                    ),
                )
            else:
                raise TypeTransformerFailedError(
                    "This DataFrame has neither data nor a uri; create it with DataFrame.wrap_df(df) or "
                    "DataFrame.from_existing_remote(uri)"
                )
            return _sd_literal(sd, wrapper.hash)
        if wrapper._literal_sd is not None and (
            not fmt or fmt == wrapper._literal_sd.metadata.structured_dataset_type.format
        ):
            return _sd_literal(wrapper._literal_sd, wrapper.hash)  # already written once: pass the reference on

        df = wrapper._raw_df
        df_type = type(df)
        ensure_builtin_handlers(df_type)
        fmt = fmt or wrapper.format or self._default_format(df_type)
        uri = wrapper.uri or blobstore.data_uri()
        encoder = self.get_encoder(df_type, blobstore.protocol_of(uri), fmt)
        sd_type = _dataset_type(fmt, columns)
        if schema is not None:
            sd_type.external_schema_type = "arrow"
            sd_type.external_schema_bytes = schema.serialize().to_pybytes()
        target = DataFrame(
            uri=uri, format=fmt, val=df, metadata=StructuredDatasetMetadata(structured_dataset_type=sd_type)
        )
        try:
            sd = await encoder.encode(target, sd_type)
        except BaseException as e:
            if wrapper.uri is None:  # a location we chose: leave nothing half-written behind
                await asyncio.to_thread(blobstore.storage_for(uri).remove, uri)
            if isinstance(e, Exception) and not isinstance(e, TypeTransformerFailedError):
                raise TypeTransformerFailedError(
                    f"Writing a {_type_name(df_type)} as {fmt} to {uri} failed ({type(encoder).__name__}): "
                    f"{type(e).__name__}: {e}"
                ) from e
            raise
        if not sd.metadata.structured_dataset_type.format:
            sd.metadata.structured_dataset_type.format = fmt
        if columns and not sd.metadata.structured_dataset_type.columns:
            sd.metadata.structured_dataset_type.columns.extend(column_literals(columns))
        if isinstance(python_val, DataFrame):
            python_val._literal_sd = sd
            python_val._metadata = sd.metadata
        return _sd_literal(sd, wrapper.hash)

    async def to_python_value(self, lv: literals_pb2.Literal, expected_python_type: Any) -> Any:
        if not (lv.HasField("scalar") and lv.scalar.HasField("structured_dataset")):
            raise TypeTransformerFailedError(
                f"Cannot read a dataframe from a literal that holds no structured dataset: {lv}"
            )
        sd = lv.scalar.structured_dataset
        base, columns, _, _ = extract_cols_and_format(expected_python_type)
        base = typing.get_origin(base) or base
        if isinstance(base, type) and issubclass(base, DataFrame):
            out = base._from_sd(sd, lv.hash or None)
            out._requested_columns = columns
            return out
        decoder = _decoder_for(base, sd)
        result = await decoder.decode(sd, _read_metadata(sd, columns))
        if inspect.isasyncgen(result):
            raise TypeTransformerFailedError(
                f"Decoder {type(decoder).__name__} streams parts; declare the input as flyte.io.DataFrame and "
                "read it with `async for part in df.open(...).iter()`"
            )
        return result

    def guess_python_type(self, literal_type: types_pb2.LiteralType) -> Any:
        if literal_type.HasField("structured_dataset_type"):
            return DataFrame
        raise ValueError(f"{literal_type} is not a structured dataset type")

    @classmethod
    def _handles(cls, t: type) -> bool:
        return any(issubclass(t, k) for k in cls.ENCODERS)

    @classmethod
    def _default_format(cls, df_type: type) -> str:
        for t in df_type.__mro__:
            if t in cls.DEFAULT_FORMATS:
                return cls.DEFAULT_FORMATS[t]
        return PARQUET


def _sd_literal(sd: StructuredDataset, hash: str | None) -> literals_pb2.Literal:
    lit = literals_pb2.Literal()
    lit.scalar.structured_dataset.CopyFrom(sd)
    if hash:
        lit.hash = hash
    return lit


def _type_name(t: Any) -> str:
    module = getattr(t, "__module__", "")
    name = getattr(t, "__qualname__", repr(t))
    top = module.partition(".")[0]
    return f"{top}.{name}" if top and top not in ("builtins", "__main__") else name


def _no_handler_message(kind: str, df_type: type, registered: list[type]) -> str:
    names = ", ".join(_type_name(t) for t in registered) or "none"
    top = getattr(df_type, "__module__", "").partition(".")[0]
    if top in KNOWN_PLUGINS:
        fix = f"pip install {KNOWN_PLUGINS[top]}"
    elif top in BUILTIN_LIBRARIES:
        fix = f"pip install {BUILTIN_LIBRARIES[top]}"
    else:
        fix = (
            "register a DataFrameEncoder/DataFrameDecoder for it (flyte.io.extend), or install its plugin "
            f"({', '.join(sorted(set(KNOWN_PLUGINS.values())))})"
        )
    return f"No dataframe {kind} for `{_type_name(df_type)}`; registered dataframe types: {names}. {fix}"


_builtin_done: set[str] = set()
_builtin_lock = threading.Lock()


def ensure_builtin_handlers(t: Any) -> None:
    """Make the handlers for `t`'s library known: type plugins (entry points, unless autoload is
    off), hooks registered with `TypeEngine.register_lazy`, and core's own (pandas, pyarrow, dask)."""
    from flyte.types import _plugins

    _plugins.autoload()
    top = getattr(t, "__module__", "").partition(".")[0]
    if top in BUILTIN_LIBRARIES and top not in _builtin_done:
        register_builtin(top)
    TypeEngine._run_lazy_hooks(t)


def register_builtin(library: str) -> None:
    from flyte.io import _dataframe_handlers

    with _builtin_lock:
        if library in _builtin_done:
            return
        _builtin_done.add(library)
        getattr(_dataframe_handlers, f"register_{library}")()


ENGINE = DataFrameTransformerEngine()


def register() -> None:
    TypeEngine.register(ENGINE)
    for library in BUILTIN_LIBRARIES:
        TypeEngine.register_lazy(library, lambda library=library: register_builtin(library))  # type: ignore[misc]
