"""An action's inputs and outputs, decoded from the journal's literals and rendered as readable HTML.

Values are typed by guessing from their literal types (``TypeEngine.guess_python_type``), as
``flyte.remote.Run.outputs()`` does, so the UI needs none of the user's modules except for
pickled values. Large values are cut (long text, long lists, deep nesting); ``File``, ``Dir`` and
``DataFrame`` become links to their stored data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import html
import pprint
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flyte._runtime.journal import ActionRecord

MAX_TEXT = 2_000
MAX_ITEMS = 50
MAX_DEPTH = 6
MAX_NODES = 1_000


@dataclass
class Value:
    """One decoded input or output: its name, its type as text, and the value or why it has none."""

    name: str
    type_text: str
    value: Any = None
    error: str | None = None


def _describe(t: Any) -> str:
    if t is type(None):
        return "None"
    if typing.get_args(t):
        return str(t).replace("typing.", "")
    return getattr(t, "__name__", None) or str(t).replace("typing.", "")


def decode(record: ActionRecord, which: str) -> list[Value] | None:
    """The action's ``inputs`` or ``outputs`` (``None`` when the journal holds none, e.g. still running)."""
    from flyteidl2.core import interface_pb2

    from flyte._runtime.blobstore import storage_for
    from flyte._runtime.convert import decode_literals
    from flyte._runtime.threads import run_sync
    from flyte.types import TypeEngine

    data = getattr(record, which)
    ref = getattr(record, which + "_ref")
    if data is None and ref:
        with storage_for(ref).open_read(ref) as f:
            data = f.read()
    if data is None:
        return None
    literals = decode_literals(data)
    iface = interface_pb2.TypedInterface()
    iface.ParseFromString(record.interface or b"")
    values = []
    for var in getattr(iface, which).variables:
        if var.key not in literals:
            values.append(Value(var.key, "?", error="not in the journal"))
            continue
        try:
            t = TypeEngine.guess_python_type(var.value.type)
        except Exception as e:
            values.append(Value(var.key, "?", error=f"unknown type: {e}"))
            continue
        try:
            values.append(Value(var.key, _describe(t), run_sync(TypeEngine.to_python_value(literals[var.key], t))))
        except Exception as e:
            values.append(Value(var.key, _describe(t), error=f"{type(e).__name__}: {e}"))
    return values


# ------------------------------------------------------------------------------ stored data


@dataclass(frozen=True)
class DataRef:
    """Stored data a value refers to: a file, a directory, or a dataframe (a file or a directory of parts)."""

    kind: str  # "file", "dir" or "dataframe"
    uri: str
    name: str
    format: str = ""


def data_ref(value: Any) -> DataRef | None:
    from flyte.io import DataFrame, Dir, File

    if isinstance(value, File):
        return DataRef("file", value.path, value.name or value.path.rstrip("/").rsplit("/", 1)[-1])
    if isinstance(value, Dir):
        return DataRef("dir", value.path, value.name or value.path.rstrip("/").rsplit("/", 1)[-1])
    if isinstance(value, DataFrame) and value.uri:
        return DataRef("dataframe", value.uri, value.uri.rstrip("/").rsplit("/", 1)[-1], value.format or "")
    return None


def data_refs(values: list[Value] | None) -> list[DataRef]:
    """Every stored-data reference inside ``values``, however deeply nested."""
    found: list[DataRef] = []

    def walk(v: Any, depth: int) -> None:
        if depth > 20 or len(found) > 10_000:
            return
        ref = data_ref(v)
        if ref is not None:
            found.append(ref)
        elif isinstance(v, Mapping):
            for k, item in v.items():
                walk(k, depth + 1)
                walk(item, depth + 1)
        elif isinstance(v, (list, tuple, set, frozenset)):
            for item in v:
                walk(item, depth + 1)
        elif dataclasses.is_dataclass(v) and not isinstance(v, type):
            for f in dataclasses.fields(v):
                walk(getattr(v, f.name, None), depth + 1)

    for value in values or []:
        if value.error is None:
            walk(value.value, 0)
    return found


# ------------------------------------------------------------------------------ rendering


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


class ValueRenderer:
    """Renders values as HTML; ``data_href(ref)`` says where a ``DataRef`` is served."""

    def __init__(self, data_href: Callable[[DataRef], str]):
        self._data_href = data_href
        self._nodes = 0

    def render_all(self, values: list[Value], full_href: Callable[[str], str]) -> str:
        if not values:
            return '<p class="muted">none</p>'
        rows = []
        for v in values:
            self._nodes = 0
            body = f'<span class="v-error">could not decode: {_e(v.error)}</span>' if v.error else self.render(v.value, 0)
            more = ""
            if v.error is None and "v-cut" in body:
                more = f' <a class="v-full" href="{_e(full_href(v.name))}" target="_blank" rel="noopener">whole value</a>'
            rows.append(
                f'<div class="v-row"><dt><span class="v-name">{_e(v.name)}</span>'
                f' <span class="v-type">{_e(v.type_text)}</span>{more}</dt><dd>{body}</dd></div>'
            )
        return f'<dl class="values">{"".join(rows)}</dl>'

    def render(self, value: Any, depth: int) -> str:
        self._nodes += 1
        if self._nodes > MAX_NODES:
            return '<span class="v-cut">…</span>'
        ref = data_ref(value)
        if ref is not None:
            return self._render_ref(ref)
        if value is None:
            return '<span class="v-none">None</span>'
        if isinstance(value, bool):
            return f'<span class="v-num">{value}</span>'
        if isinstance(value, (int, float, complex)):
            return f'<span class="v-num">{_e(repr(value))}</span>'
        if isinstance(value, str):
            return self._render_text(value)
        if isinstance(value, (bytes, bytearray)):
            head = bytes(value[:48]).hex(" ")
            cut = " …" if len(value) > 48 else ""
            return f'<span class="v-bytes">{len(value):,} bytes</span> <code>{_e(head)}{cut}</code>'
        if isinstance(value, (dt.datetime, dt.date, dt.time)):
            return f'<span class="v-num">{_e(value.isoformat())}</span>'
        if isinstance(value, dt.timedelta):
            return f'<span class="v-num">{_e(str(value))}</span>'
        if isinstance(value, enum.Enum):
            return f'<span class="v-str">{_e(type(value).__name__)}.{_e(value.name)}</span>'
        if depth >= MAX_DEPTH:
            return self._render_text(repr(value), code=True)
        if isinstance(value, Mapping):
            return self._render_map(list(value.items()), len(value), depth, "")
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = [(f.name, getattr(value, f.name, None)) for f in dataclasses.fields(value)]
            return self._render_map(fields, len(fields), depth, type(value).__name__, keys_are_names=True)
        dump = getattr(value, "model_dump", None)  # pydantic models
        if callable(dump):
            try:
                fields = list(dump().items())
            except Exception:
                return self._render_text(repr(value), code=True)
            return self._render_map(fields, len(fields), depth, type(value).__name__, keys_are_names=True)
        if isinstance(value, (list, tuple, set, frozenset)):
            return self._render_list(value, depth)
        return self._render_text(repr(value), code=True)

    def _render_ref(self, ref: DataRef) -> str:
        label = {"file": "file", "dir": "directory", "dataframe": "dataframe"}[ref.kind]
        fmt = f" ({_e(ref.format)})" if ref.format else ""
        return (
            f'<a class="v-data v-{ref.kind}" href="{_e(self._data_href(ref))}" target="_blank" rel="noopener">'
            f"{_e(ref.name)}</a> <span class=\"muted\">{label}{fmt}</span> <code class=\"v-uri\">{_e(ref.uri)}</code>"
        )

    def _render_text(self, text: str, code: bool = False) -> str:
        cut = ""
        if len(text) > MAX_TEXT:
            cut = f'<span class="v-cut">… {len(text) - MAX_TEXT:,} more characters</span>'
            text = text[:MAX_TEXT]
        if code:
            return f'<code class="v-repr">{_e(text)}</code>{cut}'
        if "\n" in text or len(text) > 80:
            return f'<pre class="v-text">{_e(text)}</pre>{cut}'
        return f'<span class="v-str">"{_e(text)}"</span>{cut}'

    def _render_map(
        self, items: list[tuple[Any, Any]], total: int, depth: int, title: str, keys_are_names: bool = False
    ) -> str:
        rows = []
        for k, v in items[:MAX_ITEMS]:
            key = _e(k) if keys_are_names or isinstance(k, str) else self.render(k, depth + 1)
            rows.append(f"<tr><th>{key}</th><td>{self.render(v, depth + 1)}</td></tr>")
        if total > MAX_ITEMS:
            rows.append(f'<tr><td colspan="2"><span class="v-cut">… {total - MAX_ITEMS:,} more entries</span></td></tr>')
        caption = f'<caption>{_e(title)}</caption>' if title else ""
        if not rows:
            return f'<span class="v-num">{_e(title)}{{}}</span>' if title else '<span class="v-num">{}</span>'
        return f'<table class="v-map">{caption}{"".join(rows)}</table>'

    def _render_list(self, value: Any, depth: int) -> str:
        items = list(value)[: MAX_ITEMS + 1] if not isinstance(value, (list, tuple)) else value[: MAX_ITEMS + 1]
        total = len(value)
        if not total:
            return f'<span class="v-num">{_e(repr(value))}</span>'
        lis = "".join(f"<li>{self.render(v, depth + 1)}</li>" for v in items[:MAX_ITEMS])
        cut = f'<span class="v-cut">… {total - MAX_ITEMS:,} more items</span>' if total > MAX_ITEMS else ""
        kind = type(value).__name__
        return f'<span class="muted">{_e(kind)} of {total:,}</span><ol class="v-list" start="0">{lis}</ol>{cut}'


def full_text(value: Value) -> str:
    """The whole value as text (``pprint``), for the "whole value" link."""
    if value.error:
        return f"could not decode {value.name}: {value.error}\n"
    return pprint.pformat(value.value, width=120, sort_dicts=False) + "\n"
