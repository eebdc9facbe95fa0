"""A task's typed interface, read from its Python signature."""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass
from typing import Any

_EMPTY = inspect.Parameter.empty


def _is_named_tuple(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, tuple) and hasattr(t, "_fields")


@dataclass(frozen=True)
class NativeInterface:
    """Inputs (name -> (type, default)) and outputs (name -> type) of a task."""

    inputs: dict[str, tuple[Any, Any]]
    outputs: dict[str, Any]
    #: ``True`` when outputs come from a ``tuple[A, B]`` / NamedTuple return annotation.
    multiple_outputs: bool = False
    output_tuple: Any = None

    @classmethod
    def from_callable(cls, func: Any) -> NativeInterface:
        name = getattr(func, "__qualname__", repr(func))
        try:
            hints = typing.get_type_hints(func, include_extras=True)
        except Exception as e:
            raise TypeError(f"Cannot resolve the type hints of `{name}`: {e}") from e
        inputs: dict[str, tuple[Any, Any]] = {}
        for p in inspect.signature(func).parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(
                    f"Task `{name}` takes `{p}`; tasks need named parameters (no *args/**kwargs) "
                    "so that every input has a name and a type."
                )
            inputs[p.name] = (hints.get(p.name, Any), p.default)
        ret = hints.get("return", None) if "return" in hints else None
        outputs: dict[str, Any] = {}
        multiple = False
        output_tuple = None
        if ret is None or ret is type(None):
            pass
        elif _is_named_tuple(ret):
            multiple, output_tuple = True, ret
            outputs = dict(typing.get_type_hints(ret))
        elif typing.get_origin(ret) is tuple:
            args = typing.get_args(ret)
            if not args or (len(args) == 2 and args[1] is Ellipsis) or args == ((),):
                outputs = {"o0": ret}
            else:
                multiple = True
                outputs = {f"o{i}": a for i, a in enumerate(args)}
        else:
            outputs = {"o0": ret}
        return cls(inputs, outputs, multiple, output_tuple)

    def bind(self, task_name: str, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Map a call's arguments onto input names, with defaults; errors name the task and inputs."""
        if not kwargs and len(args) == len(self.inputs):
            return dict(zip(self.inputs, args))
        names = list(self.inputs)
        if len(args) > len(names):
            raise TypeError(f"Task `{task_name}` takes {len(names)} inputs ({', '.join(names)}) but got {len(args)}")
        bound = dict(zip(names, args))
        for k, v in kwargs.items():
            if k not in self.inputs:
                raise TypeError(
                    f"Task `{task_name}` got an unexpected input `{k}`; its inputs are: {', '.join(names) or 'none'}"
                )
            if k in bound:
                raise TypeError(f"Task `{task_name}` got input `{k}` twice (positionally and by name)")
            bound[k] = v
        missing = []
        for k, (_, default) in self.inputs.items():
            if k not in bound:
                if default is _EMPTY:
                    missing.append(k)
                else:
                    bound[k] = default
        if missing:
            raise TypeError(
                f"Task `{task_name}` is missing required input(s): {', '.join(f'`{m}`' for m in missing)}"
            )
        return bound

    def split_outputs(self, task_name: str, value: Any) -> dict[str, Any]:
        """Name a task's return value by output (one value, a tuple, or a NamedTuple)."""
        if not self.outputs:
            return {}
        if not self.multiple_outputs:
            return {"o0": value}
        if not isinstance(value, tuple) or len(value) != len(self.outputs):
            raise TypeError(
                f"Task `{task_name}` declares {len(self.outputs)} outputs but returned "
                f"{type(value).__name__} {value!r:.80}; return a tuple of {len(self.outputs)} values"
            )
        return dict(zip(self.outputs, value))

    def join_outputs(self, values: dict[str, Any]) -> Any:
        """The Python return value from named outputs (inverse of ``split_outputs``)."""
        if not self.outputs:
            return None
        if not self.multiple_outputs:
            return values["o0"]
        ordered = [values[k] for k in self.outputs]
        if self.output_tuple is not None:
            return self.output_tuple(*ordered)
        return tuple(ordered)
