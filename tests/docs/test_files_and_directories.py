"""Page "Files and directories" (the part before JSONL): File and Dir uploads, reads and walks."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import flyte
from flyte.io import Dir, File
from flyte.models import ActionPhase

from ._support import EXAMPLES_DIR, actions_named, explain, summary
from .examples import files_and_directories as ex


def test_create_and_check_dir(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # write_file writes test.txt into the working directory
    run = flyte.run(ex.create_and_check_dir)
    out = capsys.readouterr().out
    assert run.phase == ActionPhase.SUCCEEDED
    assert summary(run) == [
        ("create_and_check_dir", "succeeded", []),
        ("write_and_check_files", "succeeded", []),
        ("write_file", "succeeded", []),
        ("write_file", "succeeded", []),
        ("write_file", "succeeded", []),
        ("check_dir", "succeeded", []),
    ]
    # The three concurrent write_file tasks each rewrote test.txt; each uploaded its own content.
    contents = re.findall(r"^File (\S+) contents: (.*)$", out, re.M)
    assert [c for _, c in contents] == ["hello world Alice", "hello world Bob", "hello world Eve"]
    assert len({path for path, _ in contents}) == 3
    temp_dir = re.search(r"^Files written to (\S+)$", out, re.M).group(1)
    assert "File: test.txt" in out
    # check_dir walks the uploaded directory: the files share a name, so the last one (Eve) is there
    dir_lines = out[out.index("Dir ") :].splitlines()
    assert re.fullmatch(r"Dir (\S+) contents:", dir_lines[0])
    assert dir_lines[1:3] == ["File: test.txt", "Contents: hello world Eve"]
    uploaded = dir_lines[0].split()[1]
    assert uploaded != temp_dir and uploaded.startswith(str(tmp_path / "flyte-home" / "runs" / run.name / "data"))
    # each task printed into its own log
    check = actions_named(run, "check_dir")[0]
    assert "Contents: hello world Eve" in check.logs()


def test_write_file_returns_an_uploaded_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = flyte.run(ex.write_file, name="Zoe").outputs()[0]
    assert isinstance(f, File) and f.name == "test.txt"
    (tmp_path / "test.txt").write_text("rewritten later")
    with f.open_sync("r") as fh:
        assert fh.read() == "hello world Zoe"


def test_check_dir_takes_a_dir_uploaded_outside_a_run(capsys, tmp_path):
    src = tmp_path / "mine"
    src.mkdir()
    (src / "one.txt").write_text("first")
    (src / "two.txt").write_text("second")
    d = Dir.from_local_sync(src)
    flyte.run(ex.check_dir, my_dir=d)
    out = capsys.readouterr().out
    assert out.splitlines() == [
        f"Dir {d.path} contents:",
        "File: one.txt",
        "Contents: first",
        "File: two.txt",
        "Contents: second",
    ]


def test_the_program_runs(tmp_path):
    # run from a scratch directory: the program writes test.txt into its working directory
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES_DIR / "files_and_directories.py")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=dict(os.environ),
    )
    assert proc.returncode == 0, explain(proc)
    lines = proc.stdout.splitlines()
    assert "Contents: hello world Eve" in lines
    name, url = lines[-2], lines[-1]
    assert name.startswith("create-and-check-dir-") and url.startswith("file://")
    assert (tmp_path / "test.txt").read_text() == "hello world Eve"
