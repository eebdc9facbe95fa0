"""First render of a 10,000-action run's page in the web UI (`flyte ui`), in headless Chromium.

Two real runs of 10,000 actions each: a flat fan-out (the root and 9,999 children) and the same
fan-out split into 10 groups. For each, the UI serves the run page over HTTP on loopback and
Chromium loads it; printed are the medians over several loads of
  - server: the run page's HTML over HTTP (no browser),
  - first render: from navigation start to the first contentful paint (the tree is in the
    page's HTML, so the first paint shows it), and to the page's `load` event,
  - a live refresh: the poll request, and the tree fragment the page fetches when the run changed.
Target: first render under one second.

Needs flyte[ui] and Playwright with Debian's Chromium (scripts/setup.sh installs them).
Run: python bench/bench_ui.py [N_ACTIONS]
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("FLYTE_HOME", tempfile.mkdtemp(prefix="flyte-bench-"))
os.environ.setdefault("FLYTE_PROGRESS", "off")

import flyte

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
GROUPS = 10
LOADS = 7
TARGET_SECONDS = 1.0
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

env = flyte.TaskEnvironment("bench-ui")


@env.task
async def child(i: int) -> int:
    return i + 1


@env.task
async def flat(n: int) -> int:
    return sum(await asyncio.gather(*(child(i) for i in range(n))))


@env.task
async def grouped(n: int, groups: int) -> int:
    total = 0
    per = -(-n // groups)
    for g in range(groups):
        with flyte.group(f"shard-{g:02d}"):
            total += sum(await asyncio.gather(*(child(i) for i in range(g * per, min(n, (g + 1) * per)))))
    return total


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:7.1f} ms"


def measure(server, run_name: str, browser) -> dict[str, list[float]]:
    url = server.run_url(run_name)
    out: dict[str, list[float]] = {"server": [], "fcp": [], "load": [], "poll": [], "tree": []}
    for _ in range(LOADS):
        t0 = time.perf_counter()
        with urllib.request.urlopen(url) as resp:
            resp.read()
        out["server"].append(time.perf_counter() - t0)
    for _ in range(LOADS):
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.goto(url, wait_until="load")
        page.locator("#tree li.action").first.wait_for(state="visible")
        timing = page.evaluate(
            """() => {
                const nav = performance.getEntriesByType("navigation")[0];
                const fcp = performance.getEntriesByName("first-contentful-paint")[0];
                return {fcp: fcp ? fcp.startTime : null, load: nav.loadEventEnd};
            }"""
        )
        out["fcp"].append((timing["fcp"] or float("nan")) / 1000)
        out["load"].append(timing["load"] / 1000)
        context.close()
    poll_url = f"{server.url}/api/runs/{run_name}/poll"
    view = urllib.request.Request(
        f"{server.url}/api/runs/{run_name}/view",
        data=json.dumps({"parts": ["head", "tree"]}).encode(),
        headers={"Content-Type": "application/json", "X-Flyte-CSRF": server.settings.csrf_token},
        method="POST",
    )
    for _ in range(LOADS):
        t0 = time.perf_counter()
        with urllib.request.urlopen(poll_url) as resp:
            resp.read()
        out["poll"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with urllib.request.urlopen(view) as resp:
            resp.read()
        out["tree"].append(time.perf_counter() - t0)
    return out


def main() -> None:
    # Said loudly but without failing, so that a bench session without the UI's extra still runs the others.
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
        from playwright.sync_api import sync_playwright

        import flyte.ui
    except ImportError as e:
        print(f"bench_ui: NOT MEASURED: it needs flyte[ui] and playwright (pip install 'flyte[ui]' playwright): {e}")
        return
    if not CHROMIUM.exists():
        print(f"bench_ui: NOT MEASURED: it needs Debian's chromium at {CHROMIUM} (bash scripts/setup.sh installs it)")
        return

    t0 = time.perf_counter()
    flyte.with_runcontext(name="flat").run(flat, N - 1)
    flyte.with_runcontext(name="grouped").run(grouped, N - 1, GROUPS)
    print(f"made two runs of ~{N:,} actions in {time.perf_counter() - t0:.1f} s")

    worst = 0.0
    with flyte.ui.start() as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            measure(server, "flat", browser)  # warm up (imports, first decode)
            for name in ("flat", "grouped"):
                count = len(flyte.remote.Run.get(name).actions())
                r = measure(server, name, browser)
                worst = max(worst, statistics.median(r["fcp"]), statistics.median(r["load"]))
                print(f"run page of `{name}` ({count:,} actions), median of {LOADS}:")
                print(f"  server, page HTML over HTTP   : {median_ms(r['server'])}")
                print(f"  browser, first contentful paint: {median_ms(r['fcp'])}  (target < {TARGET_SECONDS * 1000:.0f} ms)")
                print(f"  browser, load event            : {median_ms(r['load'])}")
                print(f"  live update: poll              : {median_ms(r['poll'])}")
                print(f"  live update: head + tree       : {median_ms(r['tree'])}")
        finally:
            browser.close()
    verdict = "met" if worst < TARGET_SECONDS else "MISSED"
    print(f"first render target ({TARGET_SECONDS:.0f} s) {verdict}: slowest median {worst * 1000:.0f} ms")


if __name__ == "__main__":
    main()
