"""Events inside runs: waiting tasks, the report, durability across a killed process, load, the app's lifetime."""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import hitl_programs as programs
import httpx
import pytest
from hitl_support import app_processes

import flyte
import flyteplugins.hitl as hitl

PROGRAMS = Path(programs.__file__).resolve()


# ------------------------------------------------------------------------------ helpers


_running: list[Background] = []
_programs: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def stop_runs(flyte_home):
    """A test that fails midway leaves no run waiting (which would bring its app back)."""
    yield
    for proc in _programs:
        if proc.poll() is None:
            kill(proc)
    _programs.clear()
    for run in _running:
        if run.alive():
            flyte.remote.Run.get(run.name).abort("the test ended")
    for run in _running:
        run.join(10)
    _running.clear()


class Background:
    """A run started on a thread of this process, named so the test can find its events."""

    def __init__(self, name: str, task: Any, **inputs: Any):
        _running.append(self)
        self.name = name
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(task, inputs), daemon=True)
        self._thread.start()

    def _run(self, task: Any, inputs: dict[str, Any]) -> None:
        try:
            self.result = flyte.with_runcontext(name=self.name).run(task, **inputs)
        except BaseException as e:
            self.error = e

    def alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def outputs(self, timeout: float = 60) -> Any:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"run {self.name} did not finish within {timeout}s"
        if self.error is not None:
            raise self.error
        return self.result.outputs()[0]


def pending(run_name: str, count: int = 1, timeout: float = 60) -> list[dict[str, Any]]:
    """The events of ``run_name`` waiting for an answer, once there are ``count`` of them."""
    deadline = time.monotonic() + timeout
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        app = hitl.app_info()
        if app is not None:
            events = httpx.get(f"{app.endpoint}/pending", timeout=10).json()["events"]
            found = [e for e in events if e["run_name"] == run_name]
            if len(found) >= count:
                return found
        time.sleep(0.05)
    raise AssertionError(f"run {run_name} has {len(found)} pending event(s) after {timeout}s, expected {count}")


def submit(request_id: str, value: Any) -> httpx.Response:
    app = hitl.app_info()
    assert app is not None, "no event app is serving"
    return httpx.post(f"{app.endpoint}/submit/json", json={"request_id": request_id, "value": value}, timeout=30)


def start_program(run_name: str, task: str, *args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(PROGRAMS), run_name, task, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    _programs.append(proc)
    return proc


def kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)


def report_of(run: Any, short_name: str) -> str:
    (action,) = [a for a in run.actions() if a.short_name == short_name]
    uri = action.record.report_uri
    assert uri, f"action {short_name} has no report"
    return Path(urllib.parse.urlsplit(uri).path).read_text()


# ------------------------------------------------------------------------------ waiting in tasks


def test_an_async_task_returns_the_answer_and_its_report_shows_how_to_answer():
    run = Background("ask-async", programs.ask_bool, prompt="Ship <b>release</b> 1.2?")
    (event,) = pending("ask-async")
    assert event["prompt"] == "Ship <b>release</b> 1.2?" and event["data_type"] == "bool"
    assert submit(event["request_id"], "yes").status_code == 200
    assert run.outputs() is True

    page = report_of(flyte.remote.Run.get("ask-async"), "ask_bool")
    app = hitl.app_info()
    assert "Ship &lt;b&gt;release&lt;/b&gt; 1.2?" in page and "<b>release</b>" not in page
    assert f'href="{app.endpoint}/form/{event["request_id"]}"' in page
    assert f'class="hitl-request-id">{event["request_id"]}<' in page
    assert f'class="hitl-response-path">{html.escape(event["response_path"])}<' in page
    assert "curl -X POST" in page and f"{app.endpoint}/submit/json" in page
    assert 'data-status="completed"' in page  # the outcome is reported once it arrives
    # The run's logs say where to answer.
    assert f"form {app.endpoint}/form/{event['request_id']}" in flyte.remote.Run.get("ask-async").logs()


def test_the_reports_curl_command_runs_as_shown():
    run = Background("ask-curl", programs.ask_int_sync)
    (event,) = pending("ask-curl")
    page = report_of_when_ready("ask-curl", "ask_int_sync")
    command = html.unescape(re.search(r'<pre class="hitl-curl">(.*?)</pre>', page, re.S).group(1))
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "submitted"
    assert run.outputs() == 42  # the command's example value for an int


def report_of_when_ready(run_name: str, short_name: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            page = report_of(flyte.remote.Run.get(run_name), short_name)
            if "hitl-curl" in page:
                return page
        except (AssertionError, ValueError, FileNotFoundError):
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def test_a_sync_task_uses_the_blocking_forms():
    run = Background("ask-sync", programs.ask_int_sync)
    (event,) = pending("ask-sync")
    assert submit(event["request_id"], "-3").status_code == 200
    assert run.outputs() == -3


def test_the_blocking_forms_inside_an_async_task_do_not_deadlock():
    run = Background("ask-sync-in-async", programs.ask_sync_in_async)
    (event,) = pending("ask-sync-in-async")
    assert submit(event["request_id"], "0.25").status_code == 200
    assert run.outputs() == 0.25


def test_an_event_in_a_child_task_resumes_the_parent():
    run = Background("ask-child", programs.ask_in_child)
    (event,) = pending("ask-child")
    assert event["action_name"] != flyte.remote.Run.get("ask-child").actions()[0].name  # the child's action
    assert submit(event["request_id"], False).status_code == 200
    assert run.outputs() == "held"


def test_each_fresh_run_asks_again():
    ids = []
    for name in ("fresh-1", "fresh-2"):
        run = Background(name, programs.ask_bool)
        (event,) = pending(name)
        ids.append(event["request_id"])
        assert submit(event["request_id"], "true").status_code == 200
        assert run.outputs() is True
    # The same task, inputs and action identity in two runs: two questions, not one answer reused.
    assert ids[0] != ids[1]
    actions = [[a.name for a in flyte.remote.Run.get(n).actions() if a.short_name == "ask_bool"] for n in ("fresh-1", "fresh-2")]
    assert actions[0] == actions[1]


def test_two_events_with_one_name_in_one_task_are_asked_in_turn():
    run = Background("ask-twice", programs.ask_twice)
    (first,) = pending("ask-twice")
    assert submit(first["request_id"], "1").status_code == 200
    (second,) = pending("ask-twice")  # answered events are no longer pending
    assert second["request_id"] != first["request_id"]
    assert submit(second["request_id"], "2").status_code == 200
    assert run.outputs() == [1, 2]


def test_an_unsupported_question_fails_with_a_clear_error():
    with pytest.raises(ValueError, match=r"data_type=list.*int, float, str or bool"):
        hitl.new_event("x", data_type=list)
    with pytest.raises(ValueError, match=r"scope='project'.*only scope is 'run'"):
        hitl.new_event("x", data_type=int, scope="project")
    with pytest.raises(ValueError, match=r"timeout_seconds=0.*above 0"):
        hitl.new_event("x", data_type=int, timeout_seconds=0)
    with pytest.raises(ValueError, match=r"poll_interval_seconds=-1.*above 0"):
        hitl.new_event("x", data_type=int, poll_interval_seconds=-1)
    with pytest.raises(ValueError, match=r"name=''.*non-empty name"):
        hitl.new_event("", data_type=int)
    assert hitl.app_info() is None  # nothing was started for a question that was never asked


# ------------------------------------------------------------------------------ durability


@pytest.mark.subprocess
def test_answers_given_while_the_task_is_dead_resume_in_order_after_a_rerun():
    proc = start_program("twice-killed", "ask_twice")
    (first,) = pending("twice-killed")
    assert submit(first["request_id"], "10").status_code == 200
    (second,) = pending("twice-killed")
    assert second["request_id"] != first["request_id"]
    kill(proc)
    assert submit(second["request_id"], "20").status_code == 200  # the app outlived the task's process

    rerun = flyte.rerun("twice-killed")
    assert rerun.outputs()[0] == [10, 20]
    store = hitl.EventStore.for_home()
    assert sorted(r.request_id for r in store.list_requests()) == sorted([first["request_id"], second["request_id"]])
    replayed = [a for a in rerun.actions() if a.short_name == "hitl_request_id"]
    assert len(replayed) == 2 and all(a.record.replayed_from for a in replayed)


@pytest.mark.subprocess
def test_a_rerun_of_a_killed_rerun_still_finds_the_first_request():
    proc = start_program("killed-once", "ask_bool")
    (event,) = pending("killed-once")
    kill(proc)
    # The rerun waits for the same request in its own process, and is killed too.
    code = "import flyte; flyte.rerun('killed-once', name='killed-twice')"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=PROGRAMS.parent, env=dict(os.environ))
    _programs.append(proc)
    deadline = time.monotonic() + 60
    while not [a for a in _actions("killed-twice") if a.short_name == "hitl_request_id" and a.phase.is_terminal]:
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    kill(proc)
    assert submit(event["request_id"], "true").status_code == 200
    assert flyte.rerun("killed-twice").outputs()[0] is True
    (request,) = hitl.EventStore.for_home().list_requests()
    assert request.request_id == event["request_id"]


def _actions(run_name: str) -> list[Any]:
    try:
        return flyte.remote.Run.get(run_name).actions()
    except ValueError:  # not journaled yet
        return []


@pytest.mark.subprocess
def test_a_rerun_keeps_the_original_deadline():
    proc = start_program("deadline-killed", "ask_bool", "timeout=3")
    (event,) = pending("deadline-killed")
    kill(proc)
    time.sleep(max(0.0, event["deadline"] - time.time()) + 0.2)
    started = time.monotonic()
    with pytest.raises(flyte.errors.RuntimeUserError) as caught:
        flyte.rerun("deadline-killed")
    assert time.monotonic() - started < 3  # it did not wait another full timeout
    assert caught.value.code == "TimeoutError"
    assert event["request_id"] in str(caught.value)
    (request,) = hitl.EventStore.for_home().list_requests()
    assert request.request_id == event["request_id"] and request.deadline == event["deadline"]
    assert submit(event["request_id"], "true").status_code == 410


# ------------------------------------------------------------------------------ load


@pytest.mark.slow
def test_200_pending_events_answered_by_200_concurrent_clients():
    n = 200
    run = Background("load-200", programs.ask_many, n=n, poll=0.2)
    events = pending("load-200", count=n, timeout=120)
    assert len({e["request_id"] for e in events}) == n
    expected = {e["request_id"]: 1000 + int(e["event_name"][1:]) * 7 for e in events}
    app = hitl.app_info()

    async def answer_all() -> list[int]:
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=app.endpoint, limits=limits, timeout=60) as client:
            start = asyncio.Event()

            async def one(request_id: str, value: int) -> int:
                await start.wait()
                resp = await client.post("/submit/json", json={"request_id": request_id, "value": str(value)})
                return resp.status_code

            tasks = [asyncio.ensure_future(one(rid, v)) for rid, v in expected.items()]
            await asyncio.sleep(0)
            start.set()
            return list(await asyncio.gather(*tasks))

    statuses = asyncio.run(answer_all())
    assert statuses == [200] * n
    answers = run.outputs(timeout=120)
    assert answers == [1000 + i * 7 for i in range(n)]


# ------------------------------------------------------------------------------ the app's lifetime


def test_a_waiting_task_brings_a_stopped_app_back():
    run = Background("ask-restart", programs.ask_bool)
    (event,) = pending("ask-restart")
    first = hitl.app_info()
    assert hitl.shutdown()
    deadline = time.monotonic() + 30
    while (hitl.app_info() is None) and time.monotonic() < deadline:
        time.sleep(0.05)
    second = hitl.app_info()
    assert second is not None and second.pid != first.pid
    assert second.endpoint == first.endpoint  # back on its port: the form links handed out still work
    assert submit(event["request_id"], "no").status_code == 200
    assert run.outputs() is False


def test_an_app_whose_old_port_is_taken_comes_back_elsewhere():
    first = hitl.serve()
    hitl.shutdown()
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # over the old app's closed connections
        s.bind(("127.0.0.1", first.port))
        s.listen()
        second = hitl.serve()
    assert second.port != first.port and second.pid != first.pid
    assert httpx.get(f"{second.endpoint}/health").json()["status"] == "healthy"


def test_the_app_listens_where_configured(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("FLYTE_HITL_PORT", str(port))
    app = hitl.serve()
    assert (app.host, app.port, app.endpoint) == ("127.0.0.1", port, f"http://127.0.0.1:{port}")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health") as resp:
        assert json.loads(resp.read())["pid"] == app.pid
    assert hitl.serve() == app  # the running app is reused


def test_a_taken_port_is_a_clear_error(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        monkeypatch.setenv("FLYTE_HITL_PORT", str(port))
        with pytest.raises(RuntimeError, match=rf"did not start on 127.0.0.1:{port}.*FLYTE_HITL_PORT"):
            hitl.serve()
    monkeypatch.setenv("FLYTE_HITL_PORT", "http")
    with pytest.raises(ValueError, match=r"FLYTE_HITL_PORT='http' is not a port number"):
        hitl.serve()


def test_an_idle_app_stops_by_itself_but_not_while_an_event_is_pending(monkeypatch, tmp_path):
    monkeypatch.setenv("FLYTE_HITL_IDLE_SECONDS", "0.5")
    event = hitl.new_event("soon", data_type=bool, timeout_seconds=2.5, poll_interval_seconds=0.05)
    app = hitl.app_info()
    time.sleep(1.5)
    assert hitl.app_info() == app  # pending: it keeps serving
    with pytest.raises(TimeoutError):
        event.wait()
    deadline = time.monotonic() + 10
    while app_processes(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert app_processes(tmp_path) == []
    assert not (tmp_path / "flyte-home" / "hitl" / "server.json").exists()


def test_importing_the_plugin_loads_no_web_framework():
    code = "import sys, flyteplugins.hitl; print([m for m in ('fastapi', 'uvicorn', 'starlette') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


# ------------------------------------------------------------------------------ in a browser


def test_hostile_text_is_shown_as_text_in_the_report_and_the_form(page):
    hostile = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
    run = Background("ask-hostile", programs.ask_str, prompt=f"Note {hostile}")
    (event,) = pending("ask-hostile")
    report = report_of_when_ready("ask-hostile", "ask_str")
    report_file = Path(urllib.parse.urlsplit(
        [a for a in flyte.remote.Run.get("ask-hostile").actions() if a.short_name == "ask_str"][0].record.report_uri
    ).path)
    assert "<img src=x" not in report
    page.goto(report_file.as_uri())
    assert page.locator(".hitl-prompt").inner_text() == f"Note {hostile}"
    assert page.evaluate("window.__pwned") is None
    page.goto(hitl.app_info().endpoint + event["form_url"])
    assert page.locator("#prompt").inner_text() == f"Note {hostile}"
    assert page.evaluate("window.__pwned") is None
    page.fill("#value", hostile)
    page.click("button[type=submit]")
    assert "Input received successfully" in page.locator("p.ok").inner_text()
    assert page.evaluate("window.__pwned") is None
    assert run.outputs() == hostile  # a str answer is kept exactly
