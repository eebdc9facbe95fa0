"""Conversions between a task's Python values and literals, with errors that name the input."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from flyteidl2.core import interface_pb2, literals_pb2

from flyte import errors
from flyte._runtime import wire
from flyte.types import TypeEngine

if TYPE_CHECKING:
    from flyte._model.task import TaskTemplate


def _describe(t: Any) -> str:
    return getattr(t, "__name__", None) or str(t).replace("typing.", "")


def literal_types_interface(inputs: dict[str, Any], outputs: dict[str, Any]) -> bytes:
    """A ``TypedInterface`` proto (serialized) for Python input and output types."""
    iface = interface_pb2.TypedInterface()
    for name, t in inputs.items():
        iface.inputs.variables.add(key=name, value=interface_pb2.Variable(type=TypeEngine.to_literal_type(t)))
    for name, t in outputs.items():
        iface.outputs.variables.add(key=name, value=interface_pb2.Variable(type=TypeEngine.to_literal_type(t)))
    return iface.SerializeToString()


def task_fields(task: TaskTemplate) -> tuple[wire.LiteralFields, wire.LiteralFields]:
    """The task's inputs and outputs as ``LiteralFields`` (computed once)."""
    fields = task._literal_fields
    if fields is None:
        fields = task._literal_fields = (
            wire.LiteralFields({k: v[0] for k, v in task.interface.inputs.items()}),
            wire.LiteralFields(task.interface.outputs),
        )
    return fields


def literal_interface(task: TaskTemplate) -> Any:
    """The task's interface as a serialized ``TypedInterface``, plus the literal type per variable."""
    in_types = {name: TypeEngine.to_literal_type(t) for name, (t, _) in task.interface.inputs.items()}
    out_types = {name: TypeEngine.to_literal_type(t) for name, t in task.interface.outputs.items()}
    iface = literal_types_interface({k: v[0] for k, v in task.interface.inputs.items()}, task.interface.outputs)
    return iface, in_types, out_types


async def inputs_to_literals(task: TaskTemplate, bound: dict[str, Any]) -> dict[str, Any]:
    """Convert bound call arguments to literals; a bad value raises ``TypeError`` naming the input."""
    _, in_types, _ = task.literal_interface()
    out = {}
    for name, value in bound.items():
        t = task.interface.inputs[name][0]
        try:
            out[name] = await TypeEngine.to_literal(value, t, in_types[name])
        except errors.RestrictedTypeError:
            raise
        except Exception as e:
            raise TypeError(
                f"Task `{task.name}`: input `{name}` expects {_describe(t)}, got {type(value).__name__} "
                f"{value!r:.80} ({e})"
            ) from e
    return out


async def literals_to_python(task: TaskTemplate, literals: dict[str, Any], outputs: bool = False) -> dict[str, Any]:
    """Convert literals back to Python values of the task's declared input (or output) types."""
    types = task.interface.outputs if outputs else {k: v[0] for k, v in task.interface.inputs.items()}
    values = {}
    for name, lit in literals.items():
        try:
            values[name] = await TypeEngine.to_python_value(lit, types[name])
        except Exception as e:
            raise errors.RuntimeDataValidationError(name, e, task.name) from e
    return values


async def outputs_to_literals(task: TaskTemplate, value: Any) -> dict[str, Any]:
    """Convert a task's return value to output literals; failures name the output and the task."""
    _, _, out_types = task.literal_interface()
    try:
        named = task.interface.split_outputs(task.name, value)
    except TypeError as e:
        raise errors.RuntimeDataValidationError("return value", e, task.name) from e
    out = {}
    for name, v in named.items():
        t = task.interface.outputs[name]
        try:
            out[name] = await TypeEngine.to_literal(v, t, out_types[name])
        except Exception as e:
            raise errors.RuntimeDataValidationError(
                f"output {name}",
                f"declared {_describe(t)}, returned {type(v).__name__} {v!r:.80}: {e}",
                task.name,
            ) from e
    return out


def literal_bytes(literals: dict[str, Any]) -> dict[str, bytes]:
    """Each literal's deterministic bytes."""
    return {k: v.SerializeToString(deterministic=True) for k, v in literals.items()}


def encode_literals(literals: dict[str, Any]) -> bytes:
    """Deterministic bytes of a literal map (for hashing and the journal)."""
    return wire.frame(literal_bytes(literals))


def split_literals(data: bytes) -> dict[str, bytes]:
    """Each entry's literal bytes from literal map bytes; raises ``DecodeError`` on bytes that are not one."""
    parts = wire.split(data)
    return parts if parts is not None else literal_bytes(decode_literals(data))


def parse_literals(parts: dict[str, bytes]) -> dict[str, Any]:
    return {k: literals_pb2.Literal.FromString(v) for k, v in parts.items()}


def decode_literals(data: bytes) -> dict[str, Any]:
    lm = literals_pb2.LiteralMap()
    lm.ParseFromString(data)
    return dict(lm.literals)


def inputs_hash(encoded: bytes) -> str:
    """What identifies a call's inputs (literal map bytes) in action identities and cache keys: the
    bytes themselves in hex, marked with ``=``, when they are no longer than a digest, else their
    SHA-256 (64 hex digits). Both are one-to-one in practice, and short inputs skip the hashing."""
    if len(encoded) <= 32:
        return "=" + encoded.hex()
    return hashlib.sha256(encoded).hexdigest()
