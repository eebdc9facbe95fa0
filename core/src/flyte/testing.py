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

__all__ = ["TypeTransformerConformance"]


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
