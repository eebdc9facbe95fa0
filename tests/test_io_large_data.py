"""A 1 GB file and a directory of 1,000 files pass through two tasks in bounded memory.

The run happens in a fresh interpreter; the measure is the rise of its peak RSS
(``ru_maxrss``) over the peak it had right after its imports. Contents are verified by sha256.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

GB = 1024**3
MAX_RISE_MB = 100

PROGRAM = textwrap.dedent(
    """
    import hashlib, json, resource, sys

    import flyte
    from flyte.io import Dir, File

    env = flyte.TaskEnvironment(name="large-data")

    @env.task
    async def upload_file(path: str) -> File:
        return await File.from_local(path)

    @env.task
    async def hash_file(f: File) -> str:
        h = hashlib.sha256()
        async with f.open("rb") as fh:
            while chunk := await fh.read(4 * 1024 * 1024):
                h.update(chunk)
        return h.hexdigest()

    @env.task
    async def upload_dir(path: str) -> Dir:
        return await Dir.from_local(path)

    @env.task
    async def hash_dir(d: Dir) -> dict[str, str]:
        out = {}
        async for f in d.walk():
            async with f.open("rb") as fh:
                out[f.name] = hashlib.sha256(await fh.read()).hexdigest()
        return out

    @env.task
    async def pipeline(file_path: str, dir_path: str) -> tuple[str, dict[str, str]]:
        return await hash_file(await upload_file(file_path)), await hash_dir(await upload_dir(dir_path))

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    file_hash, dir_hashes = flyte.run(pipeline, sys.argv[1], sys.argv[2]).outputs()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"baseline_kb": baseline, "peak_kb": peak, "file": file_hash, "dir": dir_hashes}))
    """
)


def make_big_file(path: Path, size: int) -> str:
    """Write `size` bytes (a random block, varied per chunk) and return their sha256."""
    block = bytearray(os.urandom(8 * 1024 * 1024))
    h = hashlib.sha256()
    with open(path, "wb") as f:
        for i in range(size // len(block)):
            block[:8] = i.to_bytes(8, "little")
            h.update(block)
            f.write(block)
    return h.hexdigest()


@pytest.mark.slow
@pytest.mark.subprocess
def test_1gb_file_and_1000_files_through_two_tasks(tmp_path):
    big = tmp_path / "big.bin"
    big_hash = make_big_file(big, GB)
    tree = tmp_path / "tree"
    tree.mkdir()
    tree_hashes = {}
    for i in range(1000):
        data = os.urandom(16 * 1024) + i.to_bytes(4, "little")
        (tree / f"f{i:04d}.bin").write_bytes(data)
        tree_hashes[f"f{i:04d}.bin"] = hashlib.sha256(data).hexdigest()

    proc = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(big), str(tree)],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["file"] == big_hash
    assert result["dir"] == tree_hashes
    rise_mb = (result["peak_kb"] - result["baseline_kb"]) / 1024
    assert rise_mb < MAX_RISE_MB, f"peak RSS rose by {rise_mb:.0f} MB (baseline {result['baseline_kb'] / 1024:.0f} MB)"
    print(f"peak RSS rise: {rise_mb:.1f} MB")
