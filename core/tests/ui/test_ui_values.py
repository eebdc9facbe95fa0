"""Inputs and outputs on the run page: decoded from the journal's literals, readable, cut when large,
stored data (File, Dir, DataFrame) linked."""

from __future__ import annotations

import datetime as dt
import urllib.request
from dataclasses import dataclass

import pandas as pd
from playwright.sync_api import expect

import flyte
from flyte.io import DataFrame, Dir, File

env = flyte.TaskEnvironment("ui_values")


@dataclass
class Settings:
    name: str
    retries: int
    tags: list[str]


@env.task
async def many_kinds(
    text: str, numbers: list[int], table: dict[str, float], settings: Settings, when: dt.datetime, flag: bool
) -> tuple[str, int]:
    return text[:5], len(numbers)


@env.task
async def stores_data(rows: int) -> tuple[File, Dir, DataFrame, list[File]]:
    import tempfile
    from pathlib import Path

    work = Path(tempfile.mkdtemp())
    (work / "notes.txt").write_text("hello from a file\n")
    (work / "dir").mkdir()
    (work / "dir" / "one.csv").write_text("a,b\n1,2\n")
    (work / "dir" / "two.csv").write_text("a,b\n3,4\n")
    frame = pd.DataFrame({"city": [f"city-{i}" for i in range(rows)], "people": list(range(rows))})
    notes = await File.from_local(str(work / "notes.txt"))
    return (
        notes,
        await Dir.from_local(str(work / "dir")),
        DataFrame.wrap_df(frame),
        [notes, notes],
    )


def fetch(url: str) -> tuple[int, str, dict]:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.status, resp.read().decode(), {k.lower(): v for k, v in resp.headers.items()}


def test_values_are_readable_and_large_ones_cut(ui, page):
    long_text = "x" * 5_000 + "END"
    run = flyte.run(
        many_kinds,
        long_text,
        list(range(500)),
        {"pi": 3.14, "e": 2.72},
        Settings("fast", 3, ["a", "b"]),
        dt.datetime(2024, 5, 6, 7, 8, 9),
        True,
    )
    page.goto(run.url)
    inputs = page.locator("#detail section.inputs")
    text_row = inputs.locator(".v-row").filter(has=page.locator(".v-name", has_text="text"))
    expect(text_row.locator(".v-cut")).to_have_text("… 3,003 more characters")
    assert "END" not in text_row.inner_text()
    numbers = inputs.locator(".v-row").filter(has=page.locator(".v-name", has_text="numbers"))
    expect(numbers).to_contain_text("list of 500")
    expect(numbers.locator("ol.v-list > li")).to_have_count(50)
    expect(numbers.locator(".v-cut")).to_have_text("… 450 more items")
    expect(inputs.locator(".v-row").filter(has=page.locator(".v-name", has_text="table"))).to_contain_text("pi")
    settings = inputs.locator(".v-row").filter(has=page.locator(".v-name", has_text="settings"))
    expect(settings.locator("caption")).to_have_text("Settings")
    expect(settings).to_contain_text("retries")
    expect(inputs.locator(".v-row").filter(has=page.locator(".v-name", has_text="when"))).to_contain_text(
        "2024-05-06T07:08:09"
    )
    outputs = page.locator("#detail section.outputs")
    expect(outputs.locator(".v-name")).to_have_text(["o0", "o1"])
    expect(outputs.locator(".v-num")).to_have_text("500")
    # The whole value is one click away.
    href = text_row.locator("a.v-full").get_attribute("href")
    status, body, headers = fetch(ui.url + href)
    assert status == 200 and body.strip() == repr(long_text)
    assert headers["content-type"].startswith("text/plain")


def test_stored_data_is_linked(ui, page):
    run = flyte.run(stores_data, 120)
    page.goto(run.url)
    outputs = page.locator("#detail section.outputs")
    expect(outputs.locator("a.v-file")).to_have_count(3)  # o0, and the two in the list
    expect(outputs.locator("a.v-dir")).to_have_count(1)
    expect(outputs.locator("a.v-dataframe")).to_have_count(1)
    _, body, _ = fetch(ui.url + outputs.locator("a.v-file").first.get_attribute("href"))
    assert body == "hello from a file\n"
    # The directory lists its files, each served.
    page.goto(ui.url + outputs.locator("a.v-dir").get_attribute("href"))
    expect(page.locator("table.listing a")).to_have_text(["one.csv", "two.csv"])
    page.locator("table.listing a", has_text="two.csv").click()
    expect(page.locator("body")).to_have_text("a,b\n3,4")
    # The dataframe links to its stored parquet, with a preview of its first rows.
    page.go_back()
    page.goto(run.url)
    page.goto(ui.url + page.locator("#detail section.outputs a.v-dataframe").get_attribute("href"))
    preview = page.locator("section.preview")
    expect(preview.locator("h2")).to_contain_text("first 50 of 120 rows")
    expect(preview.locator("thead th")).to_have_text(["city", "people"])
    expect(preview.locator("tbody tr").first.locator("td")).to_have_text(["city-0", "0"])
