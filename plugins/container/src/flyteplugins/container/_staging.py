"""The host side of a container's data flow: a private directory per call with ``inputs/`` and ``outputs/``.

``inputs/`` is mounted at the task's ``input_data_dir`` and holds one entry per input plus the
inputs metadata file; ``outputs/`` is mounted at ``output_data_dir`` and is read back by output
name once the container exits. Inputs are copies (files are downloaded from the blob store), so
a container can never change the data it was given. The directory is always removed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

from flyteplugins.container import _values
from flyteplugins.container._errors import ContainerOutputError

logger = logging.getLogger("flyteplugins.container")

#: Where the per-call directories go (default: the system temp dir). It must be a path the Docker
#: engine can mount, which matters when the engine runs in a VM (Docker Desktop shares only some).
STAGING_DIR_ENV = "FLYTE_CONTAINER_STAGING_DIR"
#: How much of an unreadable output file an error message shows.
_SHOWN_BYTES = 200


class Staging:
    """The per-call directory; ``inputs`` and ``outputs`` are host paths."""

    def __init__(self, task_name: str):
        self.task_name = task_name
        base = os.environ.get(STAGING_DIR_ENV) or None
        if base is not None:
            Path(base).mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix="flyte-container-", dir=base))
        self.inputs = self.root / "inputs"
        self.outputs = self.root / "outputs"
        self.inputs.mkdir()
        self.outputs.mkdir()
        # Any user in the container (the image's, or a non-root `user=`) can read the inputs and
        # write the outputs.
        os.chmod(self.root, 0o755)
        os.chmod(self.inputs, 0o755)
        os.chmod(self.outputs, 0o777)

    def scratch(self) -> Path:
        """A private directory for the container's /tmp (mode 1777, like /tmp)."""
        path = self.root / "tmp"
        path.mkdir(exist_ok=True)
        os.chmod(path, 0o1777)
        return path

    # ------------------------------------------------------------------------------------- inputs

    async def write_inputs(
        self, values: dict[str, Any], types: dict[str, Any], fmt: str, input_dir: str
    ) -> None:
        """Materialise every input, then the inputs metadata file in format ``fmt``."""
        await asyncio.gather(*(self._write_input(name, values[name], types[name], fmt) for name in values))
        metadata = await self._metadata(values, types, fmt, input_dir)
        (self.inputs / _values.METADATA_FILE[fmt]).write_bytes(metadata)
        _open_up(self.inputs)

    async def _write_input(self, name: str, value: Any, t: Any, fmt: str) -> None:
        target = self.inputs / name
        kind = _values.kind_of(t)
        if value is None and kind in ("file", "dir"):
            return  # an Optional File/Dir left out: nothing at its path
        if kind == "file":
            await value.download(target)
        elif kind == "dir":
            await value.download(target)
        elif kind == "scalar":
            target.write_text(_values.to_text(value), encoding="utf-8")
        elif fmt == "PROTO":
            target.write_bytes(await _literal_bytes(value, t))
        else:
            target.write_bytes(_values.dump_document(value, fmt))

    async def _metadata(self, values: dict[str, Any], types: dict[str, Any], fmt: str, input_dir: str) -> bytes:
        if fmt == "PROTO":
            from flyteidl2.core import literals_pb2

            from flyte.types import TypeEngine

            literal_map = literals_pb2.LiteralMap()
            for name, value in values.items():
                literal_map.literals[name].CopyFrom(await TypeEngine.to_literal(value, types[name]))
            return literal_map.SerializeToString(deterministic=True)
        document = {}
        for name, value in values.items():
            kind = _values.kind_of(types[name])
            if kind in ("file", "dir"):
                document[name] = None if value is None else f"{input_dir.rstrip('/')}/{name}"
            else:
                document[name] = _values.to_document(value)
        return _values.dump_document(document, fmt)

    # ------------------------------------------------------------------------------------ outputs

    async def read_outputs(self, types: dict[str, Any], fmt: str, output_dir: str, tail: str) -> list[Any]:
        """Every declared output, in order, converted to its declared type."""
        return list(await asyncio.gather(*(self._read_output(n, t, fmt, output_dir, tail) for n, t in types.items())))

    async def _read_output(self, name: str, t: Any, fmt: str, output_dir: str, tail: str) -> Any:
        from flyte.io import Dir, File

        path = self.outputs / name
        where = f"{output_dir.rstrip('/')}/{name}"
        kind = _values.kind_of(t)
        optional = _values.strip_optional(t)[1]
        if not os.path.lexists(path):
            if optional:
                return None
            raise ContainerOutputError(
                f"Container task `{self.task_name}`: output `{name}` is missing: the container wrote no {where} "
                f"({self._found()}). Make the command write the output there.{tail}"
            )
        if kind == "file":
            if not path.is_file():
                raise self._wrong_kind(name, where, "a file", path)
            return await _user_class(t, File).from_local(path)
        if kind == "dir":
            if not path.is_dir():
                raise self._wrong_kind(name, where, "a directory", path)
            return await _user_class(t, Dir).from_local(path)
        if not path.is_file():
            raise self._wrong_kind(name, where, "a file", path)
        data = path.read_bytes()
        try:
            if kind == "scalar":
                from flyte.types import parse_text

                return parse_text(data.decode("utf-8").strip(), t)
            if fmt == "PROTO":
                return await _from_literal_bytes(data, t)
            return _values.from_document(_values.load_document(data, fmt), t, name)
        except (ValueError, TypeError, UnicodeDecodeError) as e:
            shown = data[:_SHOWN_BYTES].decode("utf-8", errors="replace")
            more = f" (first {_SHOWN_BYTES} of {len(data)} bytes)" if len(data) > _SHOWN_BYTES else ""
            expected = _values.type_name(t) if kind == "scalar" else f"{_values.type_name(t)} as {fmt}"
            raise ContainerOutputError(
                f"Container task `{self.task_name}`: output `{name}` in {where} is not a valid {expected}: found "
                f"{shown!r}{more}: {e}"
            ) from None

    def _found(self) -> str:
        names = sorted(p.name for p in self.outputs.iterdir())
        return "the output directory is empty" if not names else f"it wrote: {', '.join(names)}"

    def _wrong_kind(self, name: str, where: str, expected: str, path: Path) -> ContainerOutputError:
        found = "a directory" if path.is_dir() else "a file" if path.is_file() else "a special file"
        return ContainerOutputError(
            f"Container task `{self.task_name}`: output `{name}` must be {expected} at {where}, but the container "
            f"wrote {found} there"
        )

    # ------------------------------------------------------------------------------------ cleanup

    def remove(self) -> None:
        """Delete the directory, including files a container user left read-only."""

        def make_writable_and_retry(func: Any, path: str, _exc: Any) -> None:
            try:
                os.chmod(os.path.dirname(path), 0o777)
                if not os.path.islink(path):
                    os.chmod(path, stat.S_IRWXU)
                func(path)
            except OSError as e:
                logger.warning("Container task `%s`: could not remove %s: %s", self.task_name, path, e)

        if sys.version_info >= (3, 12):
            shutil.rmtree(self.root, onexc=make_writable_and_retry)
        else:
            shutil.rmtree(self.root, onerror=make_writable_and_retry)


def _open_up(root: Path) -> None:
    """Make every input readable (and directories traversable) by any user in the container."""
    for directory, dirs, files in os.walk(root):
        for d in dirs:
            os.chmod(os.path.join(directory, d), 0o755)
        for f in files:
            p = os.path.join(directory, f)
            if not os.path.islink(p):
                os.chmod(p, os.stat(p).st_mode | 0o444)


def _user_class(t: Any, base: type) -> Any:
    import typing

    inner = _values.strip_optional(t)[0]
    cls = typing.get_origin(inner) or inner
    return cls if isinstance(cls, type) and issubclass(cls, base) else base


async def _literal_bytes(value: Any, t: Any) -> bytes:
    from flyte.types import TypeEngine

    return (await TypeEngine.to_literal(value, t)).SerializeToString(deterministic=True)


async def _from_literal_bytes(data: bytes, t: Any) -> Any:
    from flyteidl2.core import literals_pb2
    from google.protobuf.message import DecodeError

    from flyte.types import TypeEngine

    literal = literals_pb2.Literal()
    try:
        literal.ParseFromString(data)
    except DecodeError as e:
        raise ValueError(f"not a serialized flyteidl2 Literal ({e})") from None
    return await TypeEngine.to_python_value(literal, t)
