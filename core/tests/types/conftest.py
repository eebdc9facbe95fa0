from __future__ import annotations

import asyncio
from typing import Any

import pytest

from flyte.types import TypeEngine


def _roundtrip(value: Any, t: Any) -> Any:
    """value -> literal -> value through the async API, via the literal's serialized bytes."""
    from flyteidl2.core import literals_pb2

    async def go() -> Any:
        lit = await TypeEngine.to_literal(value, t)
        lit = literals_pb2.Literal.FromString(lit.SerializeToString())
        return await TypeEngine.to_python_value(lit, t)

    return asyncio.run(go())


@pytest.fixture
def roundtrip():
    """value -> literal -> bytes -> literal -> value, through the async API."""
    return _roundtrip


@pytest.fixture
def to_literal():
    return lambda value, t: asyncio.run(TypeEngine.to_literal(value, t))


@pytest.fixture
def to_python():
    return lambda lit, t: asyncio.run(TypeEngine.to_python_value(lit, t))


@pytest.fixture
def isolated_registry():
    """Let a test register transformers without leaking them into other tests."""
    saved = dict(TypeEngine._registry)
    saved_hooks = {k: list(v) for k, v in TypeEngine._lazy_hooks.items()}
    yield TypeEngine
    TypeEngine._registry.clear()
    TypeEngine._registry.update(saved)
    TypeEngine._lazy_hooks.clear()
    TypeEngine._lazy_hooks.update(saved_hooks)
    TypeEngine._clear_caches()
