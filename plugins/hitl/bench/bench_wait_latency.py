"""Benchmark: from an answer's submission to ``wait()`` returning it, in a run, with a 1 s poll.

A task creates N events and waits for all of them (``wait.aio``), noting when each wait
returns; the benchmark answers each event through the JSON API at a random moment and notes
when its submission was accepted. The target: median latency at most the poll interval plus
100 ms.

    python plugins/hitl/bench/bench_wait_latency.py [--events 30] [--poll 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import tempfile
import threading
import time

import httpx

import flyte
import flyteplugins.hitl as hitl

env = flyte.TaskEnvironment(name="hitl-bench", depends_on=[hitl.env])


@env.task
async def wait_for_all(n: int, poll: float) -> list[float]:
    """Wall-clock times at which each event's wait returned, by event."""
    events = await asyncio.gather(
        *(hitl.new_event.aio(f"e{i}", data_type=int, poll_interval_seconds=poll) for i in range(n))
    )
    returned = [0.0] * n

    async def wait(i: int) -> None:
        await events[i].wait.aio()
        returned[i] = time.time()

    await asyncio.gather(*(wait(i) for i in range(n)))
    return returned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--poll", type=float, default=1.0)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="hitl-bench-")
    os.environ["FLYTE_HOME"] = home
    result: dict[str, object] = {}
    runner = threading.Thread(
        target=lambda: result.setdefault("run", flyte.with_runcontext(name="bench").run(wait_for_all, args.events, args.poll))
    )
    runner.start()
    try:
        app = hitl.serve()
        while True:
            pending = httpx.get(f"{app.endpoint}/pending").json()["events"]
            if len(pending) == args.events:
                break
            time.sleep(0.05)
        by_name = {e["event_name"]: e["request_id"] for e in pending}
        submitted = [0.0] * args.events
        order = list(range(args.events))
        random.shuffle(order)
        with httpx.Client(base_url=app.endpoint) as client:
            for i in order:
                time.sleep(random.uniform(0, args.poll / 2))
                resp = client.post("/submit/json", json={"request_id": by_name[f"e{i}"], "value": str(i)})
                resp.raise_for_status()
                submitted[i] = time.time()
        runner.join()
        returned = result["run"].outputs()[0]  # type: ignore[attr-defined]
        latencies = [r - s for r, s in zip(returned, submitted)]
        median = statistics.median(latencies)
        target = args.poll + 0.1
        print(f"hitl wait latency, {args.events} events, poll {args.poll:g}s: median {median * 1000:.0f} ms, "
              f"p90 {sorted(latencies)[int(0.9 * len(latencies)) - 1] * 1000:.0f} ms, "
              f"max {max(latencies) * 1000:.0f} ms (target: median <= {target * 1000:.0f} ms) "
              f"{'OK' if median <= target else 'OVER TARGET'}")
    finally:
        hitl.shutdown(home=home)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
