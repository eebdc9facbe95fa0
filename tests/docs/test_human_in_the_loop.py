"""Page "Human-in-the-loop": the page's program end to end, answered as the page shows.

The program runs as a script (its ``__main__`` block, as the page writes it); the test answers
its event through the JSON API with the page's curl command, through the web form in headless
Chromium, and after killing the script mid-wait (the answer is given while it is down, and a
rerun of the run finishes with it).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import flyte
import flyteplugins.hitl as hitl
from flyte.models import ActionPhase

from ._support import EXAMPLES_DIR, actions_named
from .examples import hitl_workflow

PROGRAM = EXAMPLES_DIR / "hitl_workflow.py"
APPROVED = "Processing approved — continuing pipeline."
REJECTED = "Processing rejected by reviewer — pipeline halted."
PROMPT = "Analysis found 3 anomalies with 87% confidence. Approve for downstream processing? (true/false)"

# The page's command, character for character; the test fills in its three placeholders.
PAGES_CURL = """curl -X POST https://<hitl-app-endpoint>/submit/json \\
  -H "Content-Type: application/json" \\
  -d '{
    "request_id": "<request_id>",
    "response_path": "<response_path>",
    "value": "true",
    "data_type": "bool"
  }'"""


@pytest.fixture
def program(flyte_home) -> Iterator[list[subprocess.Popen[str]]]:
    """Scripts started by the test; each is stopped, and the event app shut down, at the end."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)
    hitl.shutdown(home=flyte_home)
    assert hitl.app_info(home=flyte_home) is None


def start(program: list[subprocess.Popen[str]]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(PROGRAM)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=PROGRAM.parent, env=dict(os.environ),
    )
    program.append(proc)
    return proc


def waiting_event(proc: subprocess.Popen[str], timeout: float = 60) -> dict[str, Any]:
    """The program's one event, once it is waiting for an answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the program exited early:\n{proc.communicate()}"
        app = hitl.app_info()
        if app is not None:
            events = httpx.get(f"{app.endpoint}/pending", timeout=10).json()["events"]
            if events:
                (event,) = events
                return event
        time.sleep(0.05)
    raise AssertionError(f"no event is waiting after {timeout}s")


def report_path(run: Any, short_name: str) -> Path:
    (action,) = actions_named(run, short_name)
    assert action.record.report_uri, f"{short_name} has no report"
    return Path(urllib.parse.urlsplit(action.record.report_uri).path)


def report_showing(run: Any, short_name: str, request_id: str, timeout: float = 30) -> Path:
    """The action's report once it shows the event (it is published just after the event is stored)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            path = report_path(run, short_name)
            if request_id in path.read_text():
                return path
        except (AssertionError, FileNotFoundError, ValueError):
            pass
        assert time.monotonic() < deadline, f"the report of {short_name} does not show request {request_id}"
        time.sleep(0.05)


def the_run() -> Any:
    (run,) = flyte.remote.Run.listall()
    return run


def test_the_environment_declares_hitl_env_as_a_dependency():
    assert hitl_workflow.env.depends_on == [hitl.env]
    assert hitl_workflow.env.name == "hitl-workflow"


@pytest.mark.subprocess
def test_main_pauses_until_answered_with_the_pages_curl(program):
    proc = start(program)
    event = waiting_event(proc)
    run = the_run()
    # Paused: the run and the reviewing task are running, the analysis is done.
    assert run.phase == ActionPhase.RUNNING
    phases = {a.short_name: a.phase for a in run.actions()}
    assert phases["analyze_data"] == ActionPhase.SUCCEEDED
    assert phases["request_human_review"] == ActionPhase.RUNNING
    assert event["event_name"] == "review_decision" and event["prompt"] == PROMPT and event["data_type"] == "bool"

    # The report shows the request id and the response path "alongside the form URL".
    report = report_showing(run, "request_human_review", event["request_id"]).read_text()
    request_id = re.search(r'class="hitl-request-id">([^<]+)<', report).group(1)
    response_path = re.search(r'class="hitl-response-path">([^<]+)<', report).group(1)
    assert (request_id, response_path) == (event["request_id"], event["response_path"])
    endpoint = hitl.app_info().endpoint
    assert f'href="{endpoint}/form/{request_id}"' in report

    command = (
        PAGES_CURL.replace("https://<hitl-app-endpoint>", endpoint)
        .replace("<request_id>", request_id)
        .replace("<response_path>", response_path)
    )
    answered = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
    assert answered.returncode == 0, answered.stderr
    assert '"status":"submitted"' in answered.stdout

    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    name, url, outputs = out.splitlines()[:3]
    assert name == run.name and url == run.url
    assert APPROVED in outputs
    assert flyte.remote.Run.get(name).outputs() == APPROVED


@pytest.mark.subprocess
def test_main_answered_through_the_form_from_the_report(program, browser):
    proc = start(program)
    event = waiting_event(proc)
    run = the_run()
    context = browser.new_context()
    try:
        report = context.new_page()
        report.goto(report_showing(run, "request_human_review", event["request_id"]).as_uri())
        assert report.locator(".hitl-prompt").inner_text() == PROMPT
        with context.expect_page() as opened:
            report.get_by_role("link", name="open the form").click()
        form = opened.value
        form.wait_for_load_state()
        assert form.locator("#prompt").inner_text() == PROMPT
        assert form.locator("h1").inner_text() == "review_decision"

        # Rejected: a value that is not a bool (a tampered choice) shows the form again with why.
        form.locator("#value option[value=true]").evaluate("o => { o.value = 'maybe' }")
        form.select_option("#value", "maybe")
        form.click("button[type=submit]")
        assert "Cannot parse 'maybe' as `bool`" in form.locator("p.error").inner_text()
        status = httpx.get(f"{hitl.app_info().endpoint}/status/{event['request_id']}").json()
        assert status["status"] == "pending"

        # Rejected: a post from another site (no anti-forgery token, foreign origin).
        forged = context.new_page()
        forged.set_content(
            f'<form method="post" action="{hitl.app_info().endpoint}/submit">'
            f'<input name="request_id" value="{event["request_id"]}"><input name="value" value="true">'
            '<button type="submit">go</button></form>'
        )
        with forged.expect_response(lambda r: r.url.endswith("/submit")) as posted:
            forged.click("button")
        assert posted.value.status == 403
        assert httpx.get(f"{hitl.app_info().endpoint}/status/{event['request_id']}").json()["status"] == "pending"

        # A second reviewer opens the same form before the first one answers.
        late = context.new_page()
        late.goto(hitl.app_info().endpoint + event["form_url"])

        # Accepted: the reviewer rejects the records.
        form.select_option("#value", "false")
        form.click("button[type=submit]")
        assert "Input received successfully" in form.locator("p.ok").inner_text()
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert REJECTED in out
        assert flyte.remote.Run.get(run.name).outputs() == REJECTED

        # The second reviewer's answer is refused: the first one won.
        late.select_option("#value", "true")
        late.click("button[type=submit]")
        assert "answered already" in late.locator("p.error").inner_text()
        late.goto(hitl.app_info().endpoint + event["form_url"])  # and the form, opened again, says so
        assert "answered already" in late.locator("p.error").inner_text()
        assert httpx.get(f"{hitl.app_info().endpoint}/status/{event['request_id']}").json()["value"] is False
    finally:
        context.close()


@pytest.mark.subprocess
def test_main_resumes_after_its_process_is_killed_mid_wait(program):
    proc = start(program)
    event = waiting_event(proc)
    run = the_run()
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)

    # The app outlived the task's process: the answer is given while nothing waits for it.
    app = hitl.app_info()
    assert app is not None
    answer = {"request_id": event["request_id"], "response_path": event["response_path"], "value": "true",
              "data_type": "bool"}
    assert httpx.post(f"{app.endpoint}/submit/json", json=answer).status_code == 200
    assert flyte.remote.Run.get(run.name).phase == ActionPhase.FAILED

    resumed = flyte.rerun(run.name)
    assert resumed.outputs() == APPROVED
    # The same request (same id, original deadline), not a new question.
    (request,) = hitl.EventStore.for_home().list_requests()
    assert (request.request_id, request.deadline) == (event["request_id"], event["deadline"])
    assert request.run_name == run.name
    report = report_path(resumed, "request_human_review").read_text()
    assert f'class="hitl-request-id">{event["request_id"]}<' in report
    (checkpoint,) = actions_named(resumed, "hitl_request_id")
    assert checkpoint.record.replayed_from.startswith(f"{run.name}/")
