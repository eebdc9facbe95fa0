"""`import flyte` wall time, side by side with a bare interpreter start.

Run: python bench/bench_import.py [repeats]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

REPEATS = int(sys.argv[1]) if len(sys.argv) > 1 else 20


def wall(code: str) -> float:
    samples = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    bare = wall("pass")
    with_flyte = wall("import flyte")
    first_use = wall("import flyte; flyte.TaskEnvironment('x')")
    print(f"interpreter start           : {bare * 1000:7.1f} ms (median of {REPEATS})")
    print(f"import flyte                : {with_flyte * 1000:7.1f} ms  overhead {(with_flyte - bare) * 1000:5.1f} ms (target <= 40 ms)")
    print(f"import + TaskEnvironment    : {first_use * 1000:7.1f} ms  overhead {(first_use - bare) * 1000:5.1f} ms")
    print(f"ratio import flyte / bare   : {with_flyte / bare:.2f}x")


if __name__ == "__main__":
    main()
