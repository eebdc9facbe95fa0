"""File upload and download throughput, side by side with one plain copy of the same file.

Each round times a plain `shutil.copyfile` of the file (the raw operation),
`File.from_local_sync` (upload into the local blob store) and `File.download_sync` (out of it),
in an order that rotates from round to round. Writes are flushed (`os.sync`) before each timing
so one operation's writeback does not land on the next. A 1 GB copy on a shared VM varies
several-fold from one try to the next, so the figures compared are the best of each.
Prints the best time of each and the throughput ratios (target: >= 0.8).
Run: python bench/bench_io_file.py [size_mb] [rounds]
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("FLYTE_HOME", tempfile.mkdtemp(prefix="flyte-bench-"))

from flyte.io import File

SIZE_MB = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 9


def timed(fn) -> float:
    os.sync()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="flyte-bench-io-"))
    src = work / "big.bin"
    block = os.urandom(8 * 1024 * 1024)
    with open(src, "wb") as f:
        for _ in range(SIZE_MB // 8):
            f.write(block)
    times: dict[str, list[float]] = {"copy": [], "upload": [], "download": []}
    try:
        uploaded = [File.from_local_sync(src)]
        out = work / "downloaded.bin"
        dst = work / "copy.bin"
        ops = {
            "copy": lambda: shutil.copyfile(src, dst),
            "upload": lambda: uploaded.append(File.from_local_sync(src)),
            "download": lambda: uploaded[0].download_sync(out),
        }
        names = list(ops)
        for r in range(ROUNDS):
            for name in names[r % 3 :] + names[: r % 3]:
                times[name].append(timed(ops[name]))
            assert out.stat().st_size == dst.stat().st_size == src.stat().st_size
            for f in uploaded[1:]:
                Path(f.path).unlink()
            del uploaded[1:]
            out.unlink()
            dst.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    best = {k: min(v) for k, v in times.items()}
    mb = SIZE_MB
    print(f"file of {mb} MB, best of {ROUNDS} rounds")
    for k in ("copy", "upload", "download"):
        print(f"  {k:<9} {best[k]:6.3f} s  {mb / best[k]:7.0f} MB/s")
    print(f"  upload   / plain copy throughput: {best['copy'] / best['upload']:.2f}x (target >= 0.8)")
    print(f"  download / plain copy throughput: {best['copy'] / best['download']:.2f}x (target >= 0.8)")


if __name__ == "__main__":
    main()
