"""The runs page and the run page in Chromium: filters, live updates, large runs, attempts, cache hits."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

import flyte
from flyte._runtime.journal import journal

env = flyte.TaskEnvironment("ui_pages")


@env.task
async def square(x: int) -> int:
    return x * x


@env.task
async def fan(n: int) -> int:
    return sum(await asyncio.gather(*(square(i) for i in range(n))))


@env.task
async def broken(x: int) -> int:
    raise RuntimeError(f"broken on {x}")


@env.task
async def waits_for(path: str) -> str:
    while not Path(path).exists():
        await asyncio.sleep(0.05)
    return "released"


@env.task
async def staged(path: str, n: int) -> int:
    first = await square(2)
    await waits_for(path)
    return first + sum(await asyncio.gather(*(square(i) for i in range(n))))


def test_runs_page_lists_filters_and_searches(ui, page, screenshot):
    flyte.with_runcontext(name="alpha-fan").run(fan, 5)
    flyte.with_runcontext(name="beta-fan").run(fan, 2)
    with pytest.raises(flyte.errors.RuntimeUserError):
        flyte.with_runcontext(name="alpha-broken").run(broken, 1)
    page.goto(ui.url)
    rows = page.locator("tr.run-row")
    expect(rows).to_have_count(3)
    alpha = page.locator('tr.run-row[data-run="alpha-fan"]')
    expect(alpha.locator("td").nth(1)).to_have_text("ui_pages.fan")
    expect(alpha.locator(".badge")).to_have_text("Succeeded")
    expect(alpha.locator("td.counts")).to_contain_text("6")  # the root and its five children
    expect(alpha.locator("td.counts .chip")).to_have_text(["6 succeeded"])
    expect(page.locator('tr.run-row[data-run="alpha-broken"] .badge')).to_have_text("Failed")
    screenshot(page, "runs-page")

    page.select_option("#filter-phase", "failed")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-run", "alpha-broken")
    assert "phase=failed" in page.url
    page.select_option("#filter-phase", "")
    page.fill("#filter-name", "alpha")
    expect(rows).to_have_count(2)
    assert sorted(rows.evaluate_all("rows => rows.map(r => r.dataset.run)")) == ["alpha-broken", "alpha-fan"]
    page.fill("#filter-name", "no such run")
    expect(page.locator("#runs-table .empty")).to_have_text("No runs match these filters.")
    # The filters are in the address: a reload keeps them.
    page.goto(f"{ui.url}/?q=beta")
    expect(rows).to_have_count(1)
    expect(page.locator("#filter-name")).to_have_value("beta")


def test_runs_page_shows_new_runs_without_a_reload(ui, page, tmp_path):
    page.goto(ui.url)
    expect(page.locator("#runs-table .empty")).to_contain_text("No runs in")
    release = tmp_path / "go"
    thread = threading.Thread(target=lambda: flyte.with_runcontext(name="appears").run(waits_for, str(release)))
    thread.start()
    try:
        row = page.locator('tr.run-row[data-run="appears"]')
        expect(row.locator(".badge")).to_have_text("Running", timeout=10_000)
        release.touch()
        expect(row.locator(".badge")).to_have_text("Succeeded", timeout=10_000)
    finally:
        release.touch()
        thread.join(30)


def test_run_page_follows_a_run_live(ui, page, tmp_path, screenshot):
    release = tmp_path / "go"
    thread = threading.Thread(target=lambda: flyte.with_runcontext(name="staged").run(staged, str(release), 4))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not any(a.short_name == "waits_for" for a in _actions("staged")):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        page.goto(ui.run_url("staged"))
        page.evaluate("window.loadedOnce = true")
        expect(page.locator("#run-phase")).to_have_text("Running")
        expect(page.locator('#tree li.action[data-name="waits_for"]')).to_have_attribute("data-phase", "running")
        expect(page.locator('#tree li.action[data-name="square"]')).to_have_count(1)
        screenshot(page, "run-page-running")
        release.touch()
        # The fan-out after the wait shows up, and the run ends, on the same page.
        expect(page.locator('#tree li.action[data-name="square"]')).to_have_count(5, timeout=10_000)
        expect(page.locator("#run-phase")).to_have_text("Succeeded", timeout=10_000)
        expect(page.locator("#detail section.outputs .v-num")).to_have_text("18")  # 4 + 0 + 1 + 4 + 9
        expect(page.locator("#abort-run")).to_have_count(0)
        expect(page.locator("#rerun-run")).to_be_enabled()
        assert page.evaluate("window.loadedOnce") is True
    finally:
        release.touch()
        thread.join(30)


def _actions(run_name: str) -> list:
    try:
        return journal().list_actions(run_name)
    except Exception:
        return []


def test_a_large_fanout_is_paged(ui, page, screenshot):
    run = flyte.with_runcontext(name="wide").run(fan, 1_200)
    page.goto(run.url)
    root = page.locator("#tree > ul > li.action")
    children = root.locator(":scope > ul > li.action")
    expect(children).to_have_count(100)
    more = root.locator(":scope > ul > li.more")
    expect(more).to_contain_text("Show 500 more")
    expect(more).to_contain_text("1,100 not shown of 1,200")
    screenshot(page, "run-page-large")
    more.locator("button").click()
    expect(children).to_have_count(600)
    root.locator(":scope > ul > li.more button").click()
    expect(children).to_have_count(1_100)
    expect(root.locator(":scope > ul > li.more")).to_contain_text("Show 100 more")

    # A link to an action far down opens the page at it.
    far = [a for a in run.actions() if a.short_name == "square"][1_150]
    page.goto(f"{run.url}?action={far.name}")
    selected = page.locator("#tree li.action.selected")
    expect(selected).to_have_attribute("data-action", far.name)
    expect(page.locator("#detail section.inputs .v-num")).to_have_text("1150")
    expect(root.locator(":scope > ul > li.action")).to_have_count(1_151)
    # Collapsing the root hides the thousand rows at once.
    root.locator(":scope > .row [data-toggle]").click()
    expect(children.first).to_be_hidden()


retry_env = flyte.TaskEnvironment("ui_attempts")
_calls: dict[str, int] = {}


@retry_env.task(retries=2)
async def flaky(key: str) -> str:
    _calls[key] = _calls.get(key, 0) + 1
    if _calls[key] < 3:
        raise ConnectionError(f"attempt {_calls[key]} of {key} lost its connection")
    return "third time lucky"


@retry_env.task(cache="auto")
async def cached_square(x: int) -> int:
    return x * x


@retry_env.task
async def uses_cache(x: int) -> int:
    return await cached_square(x)


def test_attempts_errors_and_cache_hits_are_shown(ui, page):
    run = flyte.run(flaky, "k1")
    page.goto(run.url)
    row = page.locator('#tree li.action[data-name="flaky"]')
    expect(row.locator(".mark.attempts")).to_have_text("3 attempts")
    attempts = page.locator("#detail section.attempts tbody tr")
    expect(attempts).to_have_count(3)
    expect(attempts.nth(0)).to_contain_text("attempt 1 of k1 lost its connection")
    expect(attempts.nth(1)).to_contain_text("ConnectionError")
    attempts.nth(0).locator("summary").click()
    expect(attempts.nth(0).locator("details pre")).to_contain_text("raise ConnectionError")
    expect(attempts.nth(2).locator(".badge")).to_have_text("Succeeded")
    expect(page.locator("#detail section.outputs .v-str")).to_have_text('"third time lucky"')

    flyte.run(uses_cache, 7)
    again = flyte.run(uses_cache, 7)
    page.goto(again.url)
    cached = page.locator('#tree li.action[data-name="cached_square"]')
    expect(cached.locator(".mark.cache")).to_have_text("cache hit")
    cached.locator(".name").click()
    expect(page.locator("#detail p.marks")).to_contain_text("the result came from the task cache")
    expect(page.locator("#detail section.outputs .v-num")).to_have_text("49")


def test_unknown_runs_and_bad_filters_are_clear(ui, page):
    response = page.goto(f"{ui.url}/runs/never-ran")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.locator(".error-page")).to_contain_text("No run named 'never-ran'")
    response = page.goto(f"{ui.url}/?phase=sleeping")
    assert response.status == 404
    expect(page.locator(".error-page")).to_contain_text("'sleeping' is not a phase")
