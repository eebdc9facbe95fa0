"""File, Dir and DataFrame as fields of pydantic models passed between tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

import flyte
from flyte.io import DataFrame, Dir, File

pydantic = pytest.importorskip("pydantic", reason="pydantic models need pydantic: pip install pydantic")

env = flyte.TaskEnvironment(name="io-pydantic-tests")


class Holder(pydantic.BaseModel):
    title: str
    files: list[File]
    folder: Dir
    primary: File | None = None
    table: DataFrame | None = None


@env.task
async def consume_model(h: Holder) -> str:
    assert h.primary is not None
    async with h.primary.open("r") as fh:
        primary = await fh.read()
    names = [f.name async for f in h.folder.walk()]
    return f"{h.title}: {primary} / {len(h.files)} files / {names}"


@env.task
async def make_model(base: str) -> Holder:
    f = await File.from_local(Path(base) / "p.txt")
    d = await Dir.from_local(Path(base) / "folder")
    return Holder(title="model", files=[f, f], folder=d, primary=f)


@env.task
async def model_pipeline(base: str) -> str:
    return await consume_model(await make_model(base))


def test_files_and_dirs_nested_in_pydantic_models(store, tmp_path):
    (tmp_path / "p.txt").write_text("pydantic payload")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "one.txt").write_text("1")
    assert flyte.run(model_pipeline, str(tmp_path)).outputs()[0] == "model: pydantic payload / 2 files / ['one.txt']"


def test_model_dump_and_validate():
    f = File(path="/store/x.txt")
    h = Holder(title="t", files=[f], folder=Dir(path="/store/d"), table=DataFrame.from_existing_remote("/store/t"))
    dumped = h.model_dump()
    assert dumped["files"][0]["path"] == "/store/x.txt"
    assert dumped["table"]["uri"] == "/store/t"
    again = Holder.model_validate(dumped)
    assert again.files == [f] and again.folder == Dir(path="/store/d") and again.table == h.table
    with pytest.raises(pydantic.ValidationError, match="expected a File"):
        Holder(title="t", files=["/not/a/file"], folder=Dir(path="/d"))
