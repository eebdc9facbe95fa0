"""The UI's safety: loopback names only, forged requests refused, everything a run wrote shown as text,
reports and stored data sandboxed away from the UI's origin."""

from __future__ import annotations

import http.client
import json
from urllib.parse import quote, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

import flyte
import flyte.report
from flyte._runtime.journal import journal

XSS = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'


def request(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode()
    finally:
        conn.close()


def csrf_token(ui) -> str:
    return ui.settings.csrf_token


env = flyte.TaskEnvironment("ui_security")


@env.task
async def sleeper(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


# ------------------------------------------------------------------------------ hosts and forgery


def test_requests_for_other_host_names_are_refused(ui):
    # A page on another site that resolves its own name to 127.0.0.1 (DNS rebinding) is not answered.
    status, _, body = request(ui.url + "/", headers={"Host": f"attacker.example:{ui.port}"})
    assert status == 421 and "attacker.example" in body
    for host in ("127.0.0.1", "localhost"):
        status, _, _ = request(ui.url + "/", headers={"Host": f"{host}:{ui.port}"})
        assert status == 200


def test_state_changing_requests_need_the_token_json_and_our_origin(ui):
    run_name = "forgery-target"
    import threading

    thread = threading.Thread(target=lambda: flyte.with_runcontext(name=run_name).run(sleeper, 0.8))
    thread.start()
    try:
        url = f"{ui.url}/api/runs/{run_name}/abort"
        good = {"Content-Type": "application/json", "X-Flyte-CSRF": csrf_token(ui)}
        cases = [
            ({"Content-Type": "application/json"}, "CSRF token"),
            ({**good, "X-Flyte-CSRF": "guessed"}, "CSRF token"),
            ({**good, "Origin": "http://attacker.example"}, "Cross-origin"),
            ({**good, "Origin": "null"}, "Cross-origin"),  # a sandboxed frame, e.g. a report
            ({**good, "Sec-Fetch-Site": "cross-site"}, "Cross-site"),
            ({**good, "Content-Type": "text/plain"}, "JSON"),
        ]
        for headers, reason in cases:
            status, _, body = request(url, "POST", b"{}", headers)
            assert status == 403 and reason in body, (headers, status, body)
        assert journal().abort_requests(run_name) == []
    finally:
        thread.join(30)
    # With the page's token, from the page's origin, the same request is answered (the run is over: 409).
    status, _, body = request(url, "POST", b"{}", {**good, "Origin": ui.url})
    assert status == 409 and "already finished" in json.loads(body)["error"]
    status, _, body = request(f"{ui.url}/api/runs/nope/abort", "POST", b"{}", good)
    assert status == 404 and "No run named 'nope'" in json.loads(body)["error"]


def test_pages_forbid_inline_scripts_and_framing(ui):
    flyte.with_runcontext(name="headers").run(sleeper, 0)
    for path in ("/", "/runs/headers", "/fragments/runs"):
        status, headers, _ = request(ui.url + path)
        assert status == 200
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"


# ------------------------------------------------------------------------------ escaping


@env.task
async def hostile(text: str) -> str:
    print(f"printed {text}")
    with flyte.group(f"group {text}"):
        await named_child.override(short_name=f"child {text}", links=(_HostileLink(),))(text)
    raise ValueError(f"failed on {text}")


@env.task
async def named_child(text: str) -> str:
    return text


class _HostileLink:
    name = f"label {XSS}"

    def get_link(self, **kwargs) -> str:
        return "javascript:window.pwned=3"


def test_everything_a_run_wrote_is_shown_as_text(ui, page):
    name = "xss <b>run<i> &amp; \"q\" ?#%"
    with pytest.raises(flyte.errors.RuntimeUserError):
        flyte.with_runcontext(name=name, custom_context={"k": XSS}).run(hostile, XSS)
    page.goto(ui.url + "/")
    expect(page.locator("td.run-name a")).to_have_text(name)
    page.locator("td.run-name a").click()
    expect(page.locator(".run-name").first).to_have_text(name)
    group = page.locator("#tree li.folder")
    expect(group.locator(".group-name")).to_have_text(f"group {XSS}")
    child = group.locator("li.action")
    expect(child.locator(".name")).to_have_text(f"child {XSS}")
    expect(page.locator(".run-error .message")).to_contain_text(f"failed on {XSS}")
    expect(page.locator("#detail .logs")).to_have_text(f"printed {XSS}\n")
    expect(page.locator("#detail section.inputs .v-str")).to_have_text(f'"{XSS}"')
    child.locator(".name").click()
    links = page.locator("#detail section.links")
    expect(links).to_contain_text(f"label {XSS}")
    # A link whose URL is not http(s) is shown, never made clickable.
    assert links.locator("a").count() == 0
    expect(links.locator("code.link-url")).to_have_text("javascript:window.pwned=3")
    links.locator(".ext-link").click()
    assert page.evaluate("window.pwned") is None
    assert page.locator("img[src=x], #tree script, #detail script").count() == 0


# ------------------------------------------------------------------------------ reports


PROBE = """
<p id="parent">?</p><p id="storage">?</p><p id="post">?</p><p id="read">?</p>
<script>
  function show(id, text) { document.getElementById(id).textContent = text; }
  try { show("parent", "reached " + window.parent.document.title); } catch (e) { show("parent", "blocked"); }
  try { localStorage.setItem("x", "1"); show("storage", "reached"); } catch (e) { show("storage", "blocked"); }
  fetch("ABORT_URL", {method: "POST", headers: {"Content-Type": "application/json", "X-Flyte-CSRF": "guess"},
                      body: "{}", credentials: "include"})
    .then(function (r) { show("post", "answered " + r.status); }, function () { show("post", "blocked"); });
  fetch("POLL_URL", {credentials: "include"})
    .then(function (r) { return r.text(); })
    .then(function (t) { show("read", "read " + t.length); }, function () { show("read", "blocked"); });
</script>
"""


@env.task(report=True)
async def probing_report(abort_url: str, poll_url: str, hold: float) -> str:
    import asyncio

    await flyte.report.replace.aio(PROBE.replace("ABORT_URL", abort_url).replace("POLL_URL", poll_url), do_flush=True)
    await asyncio.sleep(hold)
    return "done"


def test_a_report_cannot_reach_the_ui(ui, page):
    import threading

    name = "probing"
    abort_url = f"{ui.url}/api/runs/{name}/abort"
    poll_url = f"{ui.url}/api/runs/{name}/poll"
    thread = threading.Thread(
        target=lambda: flyte.with_runcontext(name=name).run(probing_report, abort_url, poll_url, 3.0)
    )
    thread.start()
    try:
        import time

        deadline = time.monotonic() + 20
        while not any(a.report_uri for a in journal().list_actions(name)):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        page.goto(f"{ui.url}/runs/{name}")
        frame_el = page.locator("#detail-report iframe.report-frame.active")
        sandbox = frame_el.get_attribute("sandbox")
        assert "allow-scripts" in sandbox and "allow-same-origin" not in sandbox
        frame = page.frame_locator("#detail-report iframe.report-frame.active")
        expect(frame.locator("#parent")).to_have_text("blocked")
        expect(frame.locator("#storage")).to_have_text("blocked")
        expect(frame.locator("#post")).to_have_text("blocked")
        expect(frame.locator("#read")).to_have_text("blocked")
    finally:
        thread.join(30)
    assert journal().abort_requests(name) == []
    # Opened on its own, the report is sandboxed by its response header.
    action = next(a for a in journal().list_actions(name) if a.report_uri)
    status, headers, body = request(f"{ui.url}/runs/{name}/actions/{action.action_id}/report")
    assert status == 200 and "<p id=\"parent\">" in body
    assert headers["content-security-policy"].startswith("sandbox allow-scripts ")
    assert "allow-same-origin" not in headers["content-security-policy"]


# ------------------------------------------------------------------------------ stored data


@env.task
async def writes_a_file() -> flyte.io.File:
    return await flyte.io.File.from_local(__file__)


@env.task
async def writes_a_dir() -> flyte.io.Dir:
    import tempfile
    from pathlib import Path

    d = Path(tempfile.mkdtemp())
    (d / "a.txt").write_text("a")
    return await flyte.io.Dir.from_local(str(d))


def test_only_data_an_action_refers_to_is_served(ui, flyte_home):
    run = flyte.run(writes_a_file)
    (action,) = run.actions()
    (file,) = run.outputs()
    base = f"{ui.url}/runs/{quote(run.name)}/actions/{action.name}/data?"
    status, headers, body = request(base + urlencode({"uri": file.path}))
    assert status == 200 and "def writes_a_file" in body
    assert headers["content-security-policy"].startswith("sandbox")
    for other in ("/etc/passwd", str(flyte_home / "runs.db"), file.path + "/../../../runs.db"):
        status, _, body = request(base + urlencode({"uri": other}))
        assert status == 404 and "is not data of an input or output" in body, other
    dir_run = flyte.run(writes_a_dir)
    (dir_action,) = dir_run.actions()
    (d,) = dir_run.outputs()
    dir_base = f"{ui.url}/runs/{quote(dir_run.name)}/actions/{dir_action.name}/data?"
    status, _, listing = request(dir_base + urlencode({"uri": d.path}))
    assert status == 200 and ">a.txt</a>" in listing
    status, _, body = request(dir_base + urlencode({"uri": d.path.rstrip("/") + "/a.txt"}))
    assert status == 200 and body == "a"
    status, _, _ = request(dir_base + urlencode({"uri": d.path.rstrip("/") + "/../../../../runs.db"}))
    assert status == 404
