"""Reusable conformance tests for authors of Flyte extensions.

Subclass a suite in your own test module (the subclass name must start with `Test` so pytest
collects it) and fill in its attributes; every check then runs against your extension::

    from flyte.testing import TypeTransformerConformance
    from my_transformer.custom_type import PositiveInt
    from my_transformer.transformer import PositiveIntTransformer

    class TestPositiveInt(TypeTransformerConformance):
        transformer = PositiveIntTransformer()
        python_type = PositiveInt
        sample_values = [PositiveInt(1), PositiveInt(42)]
        wrong_values = [42, "42"]

        def assert_values_equal(self, expected, actual):
            assert actual.value == expected.value

The suites drive coroutines with their own event loop, so they need neither pytest-asyncio nor
anything but pytest itself (imported only when a check needs it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import Any, ClassVar

__all__ = ["DataFrameCodecConformance", "TypeTransformerConformance"]


def _run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def _pytest() -> Any:
    try:
        import pytest
    except ImportError as e:  # pragma: no cover - the suites only run under pytest
        raise ImportError("flyte.testing's conformance suites run under pytest: pip install pytest") from e
    return pytest


class TypeTransformerConformance:
    """Checks that a `TypeTransformer` honours the contract `TypeEngine` and the runtime rely on.

    Attributes:
        transformer: An instance of the transformer under test.
        python_type: The Python type it converts (may be generic, e.g. `list[int]`).
        sample_values: Values of `python_type` that must survive a round trip.
        wrong_values: Values that are not of `python_type`; converting them must raise
            `TypeTransformerFailedError`. Defaults to a bare `object()`.
        literal_type: When set, the literal type the transformer must declare.
        guessed_type: The type `guess_python_type(literal type)` must return; defaults to
            `python_type`. Set `guessable = False` if the transformer doesn't guess.
        registered: Whether `TypeEngine` must pick a transformer of this class for `python_type`
            (true for plugins once registered or auto-loaded).
        nullable: Whether None is a valid value of `python_type` (else it must be rejected).
    """

    transformer: ClassVar[Any]
    python_type: ClassVar[Any]
    sample_values: ClassVar[Sequence[Any]] = ()
    wrong_values: ClassVar[Sequence[Any]] = (object(),)
    literal_type: ClassVar[Any] = None
    guessed_type: ClassVar[Any] = None
    guessable: ClassVar[bool] = True
    registered: ClassVar[bool] = True
    nullable: ClassVar[bool] = False

    def assert_values_equal(self, expected: Any, actual: Any) -> None:
        """Compare a value with its round-tripped copy; override for types without a useful `==`."""
        assert type(actual) is type(expected), f"round trip changed the type: {type(expected)} -> {type(actual)}"
        assert actual == expected, f"round trip changed the value: {expected!r} -> {actual!r}"

    # ------------------------------------------------------------------------------- checks

    def test_has_samples(self) -> None:
        assert self.sample_values, f"{type(self).__name__} must list sample_values to round-trip"

    def test_transformer_is_a_type_transformer(self) -> None:
        from flyte.types import TypeTransformer

        assert isinstance(self.transformer, TypeTransformer)
        assert isinstance(self.transformer.name, str) and self.transformer.name

    def test_engine_picks_this_transformer(self) -> None:
        from flyte.types import TypeEngine

        if not self.registered:
            _pytest().skip("registered = False")
        found = TypeEngine.get_transformer(self.python_type)
        assert type(found) is type(self.transformer), f"TypeEngine picked {found!r} for {self.python_type!r}"

    def test_literal_type(self) -> None:
        from flyteidl2.core import types_pb2

        declared = self.transformer.get_literal_type(self.python_type)
        assert isinstance(declared, types_pb2.LiteralType)
        assert declared.WhichOneof("type") is not None, "the literal type declares no kind"
        if self.literal_type is not None:
            assert declared == self.literal_type

    def test_round_trip_through_transformer(self) -> None:
        from flyteidl2.core import literals_pb2

        t = self.python_type
        expected_type = self.transformer.get_literal_type(t)
        for value in self.sample_values:
            lit = _run(self.transformer.to_literal(value, t, expected_type))
            assert isinstance(lit, literals_pb2.Literal)
            self.assert_values_equal(value, _run(self.transformer.to_python_value(lit, t)))

    def test_round_trip_through_engine(self) -> None:
        from flyte.types import TypeEngine

        for value in self.sample_values:
            lit = _run(TypeEngine.to_literal(value, self.python_type))
            self.assert_values_equal(value, _run(TypeEngine.to_python_value(lit, self.python_type)))

    def test_round_trip_through_bytes(self) -> None:
        """Literals cross process boundaries serialized; nothing may live outside the message."""
        from flyteidl2.core import literals_pb2

        from flyte.types import TypeEngine

        for value in self.sample_values:
            payload = _run(TypeEngine.to_literal(value, self.python_type)).SerializeToString()
            lit = literals_pb2.Literal.FromString(payload)
            self.assert_values_equal(value, _run(TypeEngine.to_python_value(lit, self.python_type)))

    def test_round_trip_inside_optional(self) -> None:
        from typing import Optional

        from flyte.types import TypeEngine

        optional: Any = Optional  # `python_type` is a runtime value, which type checkers can't see as a type
        t = optional[self.python_type]
        for value in self.sample_values:
            lit = _run(TypeEngine.to_literal(value, t))
            self.assert_values_equal(value, _run(TypeEngine.to_python_value(lit, t)))
        assert _run(TypeEngine.to_python_value(_run(TypeEngine.to_literal(None, t)), t)) is None

    def test_sync_round_trip(self) -> None:
        from flyte.types import TypeEngine

        for value in self.sample_values:
            lit = TypeEngine.to_literal_sync(value, self.python_type)
            self.assert_values_equal(value, TypeEngine.to_python_value_sync(lit, self.python_type))

    def test_rejects_wrong_values(self) -> None:
        from flyte.types import TypeEngine, TypeTransformerFailedError

        pytest = _pytest()
        for value in self.wrong_values:
            with pytest.raises(TypeTransformerFailedError):
                _run(TypeEngine.to_literal(value, self.python_type))

    def test_rejects_none(self) -> None:
        from flyte.types import TypeEngine, TypeTransformerFailedError

        if self.nullable:
            _pytest().skip("nullable = True")
        with _pytest().raises(TypeTransformerFailedError, match="None"):
            _run(TypeEngine.to_literal(None, self.python_type))

    def test_guess_python_type(self) -> None:
        from flyte.types import TypeEngine

        if not self.guessable:
            _pytest().skip("guessable = False")
        declared = self.transformer.get_literal_type(self.python_type)
        want = self.guessed_type if self.guessed_type is not None else self.python_type
        # Through the engine, which asks registered transformers first, then the built-in rules.
        guess = TypeEngine.guess_python_type if self.registered else self.transformer.guess_python_type
        assert guess(declared) == want


class DataFrameCodecConformance:
    """Checks a dataframe encoder/decoder pair (a `flyte.io.extend` codec) against the contract.

    Subclass it with the codec's dataframe type and a way to build and compare frames::

        import polars as pl
        from flyte.testing import DataFrameCodecConformance

        class TestPolarsCodec(DataFrameCodecConformance):
            python_type = pl.DataFrame

            def make_frame(self):
                return pl.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})

            def assert_frames_equal(self, expected, actual):
                assert expected.equals(actual)

    The first two columns of `make_frame()` are used for the column-subset checks. Every check
    runs on the local blob store of a fresh ``FLYTE_HOME`` (a temporary directory).

    Attributes:
        python_type: The dataframe class the codec handles.
        format: The storage format under test (``"parquet"`` by default).
        is_default_format: Whether `format` is the default for `python_type` (a bare type uses it).
        detects_truncation: Whether the format can tell a cut-off file (parquet can; csv cannot).
    """

    python_type: ClassVar[Any]
    format: ClassVar[str] = "parquet"
    is_default_format: ClassVar[bool] = True
    detects_truncation: ClassVar[bool] = True

    def make_frame(self) -> Any:
        """A small frame of `python_type` with at least two columns."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_frame()")

    def assert_frames_equal(self, expected: Any, actual: Any) -> None:
        """Compare two frames of `python_type`."""
        raise NotImplementedError(f"{type(self).__name__} must implement assert_frames_equal()")

    def column_names(self, frame: Any) -> list[str]:
        """The frame's column names in order (override for types without a ``columns`` attribute)."""
        return [str(c) for c in frame.columns]

    # ------------------------------------------------------------------------------- fixture

    _saved_env: dict[str, str | None]
    _home_dir: Any

    def setup_method(self, method: Any) -> None:
        import os
        import tempfile
        from pathlib import Path

        names = ("FLYTE_HOME", "FLYTE_BLOB_URI")
        self._saved_env = {name: os.environ.get(name) for name in names}
        self._home_dir = Path(tempfile.mkdtemp(prefix="flyte-conformance-"))
        os.environ["FLYTE_HOME"] = str(self._home_dir)
        os.environ.pop("FLYTE_BLOB_URI", None)  # the local store, whatever the surrounding suite uses

    def teardown_method(self, method: Any) -> None:
        import os
        import shutil

        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(self._home_dir, ignore_errors=True)

    def _home(self) -> Any:
        return self._home_dir

    def _typed(self, *meta: Any) -> Any:
        from typing import Annotated

        args = (self.python_type, *meta)
        return Annotated[args] if meta else self.python_type

    # -------------------------------------------------------------------------------- checks

    def test_handlers_registered(self) -> None:
        from flyte.io.extend import DataFrameTransformerEngine

        self._home()
        frame = self.make_frame()
        assert isinstance(frame, self.python_type)
        encoder = DataFrameTransformerEngine.get_encoder(self.python_type, "file", self.format)
        decoder = DataFrameTransformerEngine.get_decoder(self.python_type, "file", self.format)
        assert encoder.supported_format in (self.format, "")
        assert decoder.supported_format in (self.format, "")

    def test_engine_handles_the_native_type(self) -> None:
        from flyte.io.extend import DataFrameTransformerEngine
        from flyte.types import TypeEngine

        self._home()
        self.make_frame()
        assert isinstance(TypeEngine.get_transformer(self.python_type), DataFrameTransformerEngine)
        lt = TypeEngine.to_literal_type(self._typed(self.format))
        assert lt.structured_dataset_type.format == self.format

    def test_round_trip_native(self) -> None:
        from flyte.types import TypeEngine

        home = self._home()
        frame = self.make_frame()
        t = self._typed(self.format)
        lit = _run(TypeEngine.to_literal(frame, t))
        sd = lit.scalar.structured_dataset
        assert sd.uri and sd.metadata.structured_dataset_type.format == self.format
        assert str(home) in sd.uri, f"data written outside FLYTE_HOME: {sd.uri}"
        self.assert_frames_equal(frame, _run(TypeEngine.to_python_value(lit, t)))

    def test_default_format_round_trip(self) -> None:
        from flyte.types import TypeEngine

        if not self.is_default_format:
            _pytest().skip("is_default_format = False")
        self._home()
        frame = self.make_frame()
        lit = _run(TypeEngine.to_literal(frame, self.python_type))
        assert lit.scalar.structured_dataset.metadata.structured_dataset_type.format == self.format
        self.assert_frames_equal(frame, _run(TypeEngine.to_python_value(lit, self.python_type)))

    def test_round_trip_through_bytes(self) -> None:
        from flyteidl2.core import literals_pb2

        from flyte.types import TypeEngine

        self._home()
        frame = self.make_frame()
        t = self._typed(self.format)
        payload = _run(TypeEngine.to_literal(frame, t)).SerializeToString()
        back = _run(TypeEngine.to_python_value(literals_pb2.Literal.FromString(payload), t))
        self.assert_frames_equal(frame, back)

    def test_through_flyte_dataframe(self) -> None:
        from typing import Annotated

        from flyte.io import DataFrame
        from flyte.types import TypeEngine

        self._home()
        frame = self.make_frame()
        t = Annotated[DataFrame, self.format]
        lit = _run(TypeEngine.to_literal(DataFrame.wrap_df(frame), t))
        wrapped = _run(TypeEngine.to_python_value(lit, t))
        assert isinstance(wrapped, DataFrame) and wrapped.val is None, "reading a DataFrame input must not load it"
        assert wrapped.format == self.format
        self.assert_frames_equal(frame, _run(wrapped.open(self.python_type).all()))
        parts = _run(_collect(wrapped.open(self.python_type).iter()))
        assert len(parts) == 1
        self.assert_frames_equal(frame, parts[0])

    def test_from_local_writes_now(self) -> None:
        from flyte.io import DataFrame

        self._home()
        frame = self.make_frame()
        stored = DataFrame.from_local_sync(frame, format=self.format)
        assert stored.uri and stored.val is None
        self.assert_frames_equal(frame, stored.open(self.python_type).all_sync())

    def test_column_subset(self) -> None:
        from flyte.types import TypeEngine

        self._home()
        frame = self.make_frame()
        first, second = self.column_names(frame)[:2]
        lit = _run(TypeEngine.to_literal(frame, self._typed(self.format)))
        subset = _run(TypeEngine.to_python_value(lit, self._typed({second: Any, first: Any})))
        assert sorted(self.column_names(subset)) == sorted([first, second])

    def test_missing_column_is_a_clear_error(self) -> None:
        from flyte.types import TypeEngine

        self._home()
        frame = self.make_frame()
        lit = _run(TypeEngine.to_literal(frame, self._typed(self.format)))
        with _pytest().raises(Exception, match="no_such_column"):
            _run(TypeEngine.to_python_value(lit, self._typed({"no_such_column": int})))

    def test_records_column_metadata(self) -> None:
        from flyte.io import DataFrame
        from flyte.types import TypeEngine

        self._home()
        frame = self.make_frame()
        lit = _run(TypeEngine.to_literal(frame, self._typed(self.format)))
        wrapped = _run(TypeEngine.to_python_value(lit, DataFrame))
        assert wrapped.column_names() == self.column_names(frame)

    def test_truncated_data_is_a_clear_error(self) -> None:
        from pathlib import Path

        from flyte.io.extend import list_parts
        from flyte.types import TypeEngine

        if not self.detects_truncation:
            _pytest().skip("detects_truncation = False")
        frame = self.make_frame()
        lit = _run(TypeEngine.to_literal(frame, self._typed(self.format)))
        part = Path(list_parts(lit.scalar.structured_dataset.uri)[0])
        data = part.read_bytes()
        part.write_bytes(data[: len(data) // 2])
        with _pytest().raises(Exception, match=r"(?i)truncated|corrupt|invalid|error"):
            _run(TypeEngine.to_python_value(lit, self._typed(self.format)))

    def test_task_to_task(self) -> None:
        import flyte

        self._home()
        frame = self.make_frame()
        env = flyte.TaskEnvironment(name=f"conformance-{type(self).__name__.lower()}")
        python_type = self.python_type

        # Annotations set explicitly: this module's are strings, which a local type can't resolve from.
        async def produce():
            return frame

        async def consume(df):
            return df

        async def pipeline():
            return await consume_task(await produce_task())

        produce.__annotations__ = {"return": python_type}
        consume.__annotations__ = {"df": python_type, "return": python_type}
        pipeline.__annotations__ = {"return": python_type}
        produce_task, consume_task, pipeline_task = env.task(produce), env.task(consume), env.task(pipeline)
        self.assert_frames_equal(frame, flyte.run(pipeline_task).outputs()[0])


async def _collect(aiter: Any) -> list[Any]:
    return [item async for item in aiter]
