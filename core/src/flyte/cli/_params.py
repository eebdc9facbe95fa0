"""Task inputs from the command line: ``--name value`` pairs parsed against the task's signature."""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path
from typing import Any

import click


def _describe(t: Any) -> str:
    return getattr(t, "__name__", None) or str(t).replace("typing.", "")


def _strip(t: Any) -> Any:
    while typing.get_origin(t) is typing.Annotated:
        t = typing.get_args(t)[0]
    args = typing.get_args(t)
    if type(None) in args and len(args) == 2:  # Optional[X] reads as X
        t = next(a for a in args if a is not type(None))
    return t


def offloaded_kind(t: Any) -> str | None:
    """``"File"`` or ``"Dir"`` when ``t`` is one of flyte.io's types (imported only if the task uses them)."""
    base = typing.get_origin(t) or t
    if not isinstance(base, type) or not base.__module__.startswith("flyte.io"):
        return None
    import flyte.io

    for name in ("File", "Dir"):
        cls = getattr(flyte.io, name, None)
        if cls is not None and issubclass(base, cls):
            return name
    return None


def _offloaded(kind: str, t: Any, text: str) -> Any:
    cls = typing.get_origin(t) or t
    if "://" in text and not text.startswith("file://"):
        return cls.from_existing_remote(text)
    path = Path(text.removeprefix("file://")).expanduser()
    if kind == "File":
        if not path.is_file():
            raise ValueError(f"no file at {path}" + (" (it is a directory; the input is a File)" if path.is_dir() else ""))
        return cls.from_local_sync(path)
    if not path.is_dir():
        raise ValueError(f"no directory at {path}")
    return cls.from_local_sync(path)


def _is_structured(t: Any) -> bool:
    return dataclasses.is_dataclass(t) or hasattr(t, "model_validate")


def _from_json(value: Any, t: Any) -> Any:
    if isinstance(t, type) and dataclasses.is_dataclass(t) and isinstance(value, dict):
        hints = typing.get_type_hints(t)
        return t(**{k: _from_json(v, hints.get(k, Any)) for k, v in value.items()})
    if hasattr(t, "model_validate"):
        return t.model_validate(value)
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin is list and args:
        return [_from_json(v, args[0]) for v in value]
    if origin is tuple and args:
        return tuple(_from_json(v, a) for v, a in zip(value, args))
    if origin is dict and len(args) == 2:
        return {k: _from_json(v, args[1]) for k, v in value.items()}
    return value


def parse_value(task: Any, name: str, text: str) -> Any:
    """One input from its command-line text; a bad value is a ``click.BadParameter`` naming the input."""
    from flyte.types import parse_text

    t = task.interface.inputs[name][0]
    base = _strip(t)
    origin = typing.get_origin(base) or base
    try:
        kind = offloaded_kind(base)
        if kind is not None:
            return _offloaded(kind, base, text)
        if origin in (list, dict, tuple, set, frozenset) or _is_structured(base):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as e:
                raise ValueError(f"expected JSON ({e.msg} at position {e.pos})") from None
            return _from_json(data, base)
        return parse_text(text, t)
    except (ValueError, TypeError) as e:
        message = " ".join(str(e).split())
        raise click.BadParameter(f"{text!r} is not a valid {_describe(t)}: {message}", param_hint=f"--{name}") from e


def parse_task_args(task: Any, args: list[str]) -> dict[str, Any]:
    """Parse ``--name value`` / ``--name=value`` / bare ``--flag`` pairs against the task's inputs."""
    inputs = task.interface.inputs
    kwargs: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--"):
            raise click.UsageError(f"Unexpected argument {arg!r}; pass task inputs as --name value")
        key, eq, text = arg[2:].partition("=")
        name = key.replace("-", "_")
        if name not in inputs:
            known = ", ".join(f"--{n}" for n in inputs) or "none"
            raise click.UsageError(f"Task `{task.short_name}` has no input --{key}; its inputs: {known}")
        if not eq:
            nxt = args[i + 1] if i + 1 < len(args) else None
            if _strip(inputs[name][0]) is bool and (nxt is None or nxt.startswith("--")):
                kwargs[name] = True
                i += 1
                continue
            if nxt is None:
                raise click.UsageError(f"--{key} needs a value")
            text = nxt
            i += 1
        kwargs[name] = parse_value(task, name, text)
        i += 1
    return kwargs
