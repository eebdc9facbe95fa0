"""Page "Unit testing": the tasks and tests of the page, in the order the page builds them up.

``tests/docs/test_unit_testing.py`` imports the ``test_*`` functions so pytest runs them as the
page writes them. Two snippets are left out or changed, by decision:

- the tuple restriction (``test_not_supported_types`` expecting ``RestrictedTypeError`` for
  ``Tuple[str, str]``): typed tuples are supported (ARCHITECTURE.md, "Decisions"), so the test
  module checks instead that ``not_supported_types`` runs through ``flyte.run``, and checks the
  restriction mechanism with a type registered as restricted;
- the traced function (``@flyte.trace``) comes later.

``my_task`` completes the fragments of "Understanding Task Invocation".
"""

from typing import Tuple

import pytest

import flyte
import flyte.errors

env = flyte.TaskEnvironment("my_env")


# --- Understanding Task Invocation (fragments, completed) ---------------------------------
@env.task
def my_task(x: int, y: int) -> int:
    return x + y

def direct_invocation() -> int:
    result = my_task(x=10, y=20)
    return result

def invocation_with_run() -> object:
    run = flyte.run(my_task, x=10, y=20)
    result = run.outputs()
    return result


# --- Testing Business Logic ---------------------------------------------------------------
@env.task
def add(a: int, b: int) -> int:
    return a + b

def test_add():
    result = add(a=3, b=5)
    assert result == 8


# --- Testing Async Tasks ------------------------------------------------------------------
@env.task
async def subtract(a: int, b: int) -> int:
    return a - b

@pytest.mark.asyncio
async def test_subtract():
    result = await subtract(a=10, b=4)
    assert result == 6


# --- Testing Nested Tasks -----------------------------------------------------------------
@env.task
def nested(a: int, b: int) -> int:
    return add(a, b)  # Calls the add task directly

def test_nested():
    result = nested(3, 5)
    assert result == 8


# --- Testing Type Transformations and Serialization ---------------------------------------
@pytest.mark.asyncio
async def test_add_with_flyte_run():
    run = flyte.run(add, 3, 5)
    assert run.outputs() == 8


# --- Testing Type Restrictions (the task only; see the module docstring) ------------------
@env.task
def not_supported_types(x: Tuple[str, str]) -> str:
    return x[0]


# --- Testing Nested Tasks with Serialization ----------------------------------------------
@pytest.mark.asyncio
async def test_nested_with_run():
    run = flyte.run(nested, 3, 5)
    assert run.outputs() == 8
