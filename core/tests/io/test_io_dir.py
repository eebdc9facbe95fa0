"""flyte.io.Dir: uploads, walking, single files, downloads, and Dir as task input and output."""

from __future__ import annotations

from pathlib import Path

import pytest

import flyte
from flyte.io import Dir, File
from flyte.types import TypeEngine

env = flyte.TaskEnvironment(name="io-dir-tests")


def make_tree(root: Path) -> Path:
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.txt").write_text("A")
    (root / "b.csv").write_text("x,y\n1,2\n")
    (root / "sub" / "c.txt").write_text("C")
    (root / "sub" / "deeper" / "d.txt").write_text("D")
    return root


def rel_names(d: Dir, files: list[File]) -> list[str]:
    return [f.path[len(d.path) + 1 :] for f in files]


def test_from_local_walk_and_list(store, tmp_path):
    src = make_tree(tmp_path / "tree")
    d = Dir.from_local_sync(src)
    (src / "a.txt").write_text("changed after upload")
    assert d.name == "tree"
    store.assert_in_store(d.path)
    assert rel_names(d, list(d.walk_sync())) == ["a.txt", "b.csv", "sub/c.txt", "sub/deeper/d.txt"]
    assert rel_names(d, list(d.walk_sync(recursive=False))) == ["a.txt", "b.csv"]
    assert rel_names(d, list(d.walk_sync(max_depth=2))) == ["a.txt", "b.csv", "sub/c.txt"]
    assert rel_names(d, list(d.walk_sync(file_pattern="*.txt"))) == ["a.txt", "sub/c.txt", "sub/deeper/d.txt"]
    assert [f.name for f in d.list_files_sync()] == ["a.txt", "b.csv"]
    a = d.get_file_sync("a.txt")
    assert a is not None
    with a.open_sync("r") as fh:
        assert fh.read() == "A"
    assert d.get_file_sync("sub/c.txt") is not None
    assert d.get_file_sync("missing.txt") is None
    assert d.exists_sync()


def test_download(store, tmp_path):
    d = Dir.from_local_sync(make_tree(tmp_path / "tree"))
    out = Path(d.download_sync(tmp_path / "copy"))
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "a.txt",
        "b.csv",
        "sub/c.txt",
        "sub/deeper/d.txt",
    ]
    assert (out / "sub" / "deeper" / "d.txt").read_text() == "D"
    default = Path(d.download_sync())
    assert default.name == "tree" and (default / "a.txt").read_text() == "A"
    with pytest.raises(FileExistsError, match="already exists and is not an empty directory"):
        d.download_sync(out)


def test_bad_local_paths_are_clear_errors(store, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"Dir.from_local: no directory at .*missing"):
        Dir.from_local_sync(tmp_path / "missing")
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(NotADirectoryError, match="use File.from_local"):
        Dir.from_local_sync(tmp_path / "f.txt")
    assert store.keys() == []


def test_walking_a_directory_that_does_not_exist(store):
    d = Dir.new_remote("never")
    assert not d.exists_sync()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        list(d.walk_sync())


def test_literal_round_trip_and_kind_mismatch():
    d = Dir(path="/store/abc/tree", hash="k1")
    lit = TypeEngine.to_literal_sync(d, Dir)
    assert TypeEngine.to_python_value_sync(lit, Dir) == d
    with pytest.raises(Exception, match="declare the value as Dir"):
        TypeEngine.to_python_value_sync(lit, File)
    with pytest.raises(Exception, match="declare the value as File"):
        TypeEngine.to_python_value_sync(TypeEngine.to_literal_sync(File(path="/x"), File), Dir)
    assert TypeEngine.guess_python_type(TypeEngine.to_literal_type(Dir)) is Dir


@env.task
async def upload_tree(base: str) -> Dir:
    return await Dir.from_local(base)


@env.task
async def summarize(d: Dir) -> dict[str, str]:
    out = {}
    async for f in d.walk():
        async with f.open("r") as fh:
            out[f.path[len(d.path) + 1 :]] = await fh.read()
    return out


@env.task
async def tree_pipeline(base: str) -> dict[str, str]:
    return await summarize(await upload_tree(base))


def test_dir_through_tasks(store, tmp_path):
    src = make_tree(tmp_path / "tree")
    out = flyte.run(tree_pipeline, str(src)).outputs()[0]
    assert out == {"a.txt": "A", "b.csv": "x,y\n1,2\n", "sub/c.txt": "C", "sub/deeper/d.txt": "D"}
    assert len(store.keys()) == 4  # uploaded once; walking and reading copied nothing


@env.task
async def nested(dirs: list[Dir], named: dict[str, Dir]) -> list[int]:
    return [len(await d.list_files()) for d in dirs] + [len(await named[k].list_files()) for k in sorted(named)]


def test_dirs_nested_in_lists_and_dicts(store, tmp_path):
    d = Dir.from_local_sync(make_tree(tmp_path / "tree"))
    assert flyte.run(nested, [d, d], {"x": d}).outputs()[0] == [2, 2, 2]
