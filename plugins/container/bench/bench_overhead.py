"""Overhead of a ContainerTask over a bare ``docker run`` of the same command on the same image.

    python plugins/container/bench/bench_overhead.py [--calls 20] [--image flyte-test/busybox:1]

Side by side, in one process and alternating so that engine load affects both alike:

- ``docker run --rm IMAGE /bin/sh -c 'echo hi > /tmp/o'`` (the CLI, as a user would type it);
- the same command as a ContainerTask called from a Python task inside one run (per call:
  staging, container create/start/wait/remove, logs, output read back);
- the same ContainerTask as the root of its own ``flyte.run`` (adds the run's own bookkeeping).

Target: a call inside a run costs at most 1.3 x the bare ``docker run``. Prints medians; never
asserts (benchmarks are not tests). Needs a Docker engine: ``../shared/tools/docker-test-env``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time

import flyte
from flyteplugins.container import ContainerTask

TARGET = 1.3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--image", default=os.environ.get("DOCKER_TEST_IMAGE", "flyte-test/busybox:1"))
    args = parser.parse_args()
    os.environ.setdefault("FLYTE_HOME", tempfile.mkdtemp(prefix="bench-container-"))
    os.environ.setdefault("FLYTE_PROGRESS", "off")

    script = "echo hi > /var/outputs/o"
    task = ContainerTask(
        name="bench_trivial", image=args.image, command=["/bin/sh", "-c", script], outputs={"o": str}, local_logs=False
    )
    env = flyte.TaskEnvironment(name="bench_container", depends_on=[flyte.TaskEnvironment.from_task("bench_c", task)])

    @env.task
    async def one_call() -> float:
        t0 = time.perf_counter()
        assert await task() == "hi"
        return time.perf_counter() - t0

    bare_argv = ["docker", "run", "--rm", args.image, "/bin/sh", "-c", "echo hi > /tmp/o"]
    subprocess.run(bare_argv, check=True, capture_output=True)  # warm up both paths
    flyte.run(one_call)

    bare, in_run, as_root = [], [], []
    for _ in range(args.calls):
        t0 = time.perf_counter()
        subprocess.run(bare_argv, check=True, capture_output=True)
        bare.append(time.perf_counter() - t0)
        in_run.append(flyte.run(one_call).outputs()[0])
        t0 = time.perf_counter()
        flyte.run(task)
        as_root.append(time.perf_counter() - t0)

    base = statistics.median(bare)
    print(f"{'':38} {'median':>9} {'ratio':>7}")
    for label, samples in (
        ("docker run --rm (CLI)", bare),
        ("ContainerTask call inside a run", in_run),
        ("flyte.run(ContainerTask)", as_root),
    ):
        median = statistics.median(samples)
        print(f"{label:38} {median * 1000:8.1f}ms {median / base:6.2f}x")
    ratio = statistics.median(in_run) / base
    verdict = "within" if ratio <= TARGET else "OVER"
    print(f"call inside a run / docker run = {ratio:.2f}x ({verdict} the {TARGET}x target), {args.calls} calls each")


if __name__ == "__main__":
    main()
