"""The event app's rules, over HTTP on 127.0.0.1: what is stored, and what is refused with which status.

Events here are created outside a task (``hitl.new_event`` works there too, without the
journal); ``test_events_in_runs.py`` covers events inside runs.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import httpx
import pytest

import flyteplugins.hitl as hitl


@pytest.fixture(scope="module", autouse=True)
def flyte_home(tmp_path_factory):
    """One FLYTE_HOME (and so one app) for this module's tests: each checks only its own events."""
    home = tmp_path_factory.mktemp("rules") / "flyte-home"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FLYTE_HOME", str(home))
        env.delenv("FLYTE_HITL_PORT", raising=False)
        env.delenv("FLYTE_HITL_HOST", raising=False)
        yield home
        hitl.shutdown(home=home)


@pytest.fixture
def tmp_path(flyte_home):
    """The directory around the store: nothing may appear in it but the store's own files."""
    return flyte_home.parent


def new(data_type: type = bool, name: str = "question", **options) -> hitl.Event:
    options.setdefault("timeout_seconds", 120)
    options.setdefault("poll_interval_seconds", 0.05)
    return hitl.new_event(name, data_type=data_type, **options)


def answer(client: httpx.Client, event: hitl.Event, value, **extra) -> httpx.Response:
    return client.post("/submit/json", json={"request_id": event.request_id, "value": value, **extra})


def stored(home: Path) -> dict[str, bytes]:
    """Every file of the event store that holds events (the app's own log aside)."""
    root = home / "hitl"
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in ("server.log", "server.json", "server.lock", "secret")
    }


def all_files(top: Path) -> set[str]:
    return {str(p.relative_to(top)) for p in top.rglob("*") if p.is_file() and p.name != "server.log"}


# ------------------------------------------------------------------------------ accepted answers


@pytest.mark.parametrize(
    ("data_type", "sent", "expected"),
    [
        (int, "42", 42),
        (int, " -7 ", -7),
        (int, 7, 7),
        (float, "2.5", 2.5),
        (float, "1e-3", 0.001),
        (float, 3, 3.0),
        (str, "  spaced <b>text</b> ", "  spaced <b>text</b> "),
        (str, "", ""),
        (bool, "true", True),
        (bool, "YES", True),
        (bool, "1", True),
        (bool, "false", False),
        (bool, "No", False),
        (bool, "0", False),
        (bool, True, True),
        (bool, False, False),
    ],
)
def test_a_valid_answer_is_stored_and_returned_by_wait(client, data_type, sent, expected):
    event = new(data_type)
    resp = answer(client, event, sent)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "submitted" and body["request_id"] == event.request_id
    assert body["value"] == expected and body["data_type"] == data_type.__name__
    assert body["message"] == "Input received successfully. The workflow will continue."
    value = event.wait()
    assert value == expected and type(value) is data_type
    status = client.get(f"/status/{event.request_id}").json()
    assert status["status"] == "completed" and status["value"] == expected


def test_the_pages_curl_body_is_accepted_as_written(client):
    event = new(bool)
    body = {"request_id": event.request_id, "response_path": event.response_path, "value": "true", "data_type": "bool"}
    resp = client.post("/submit/json", content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert resp.status_code == 200, resp.text
    assert event.wait() is True


# ------------------------------------------------------------------------------ refused answers


@pytest.mark.parametrize(
    ("data_type", "sent"),
    [
        (int, "4.2"),
        (int, "abc"),
        (int, ""),
        (int, 3.5),
        (int, True),
        (float, "abc"),
        (float, "nan"),
        (float, "inf"),
        (float, ""),
        (bool, "maybe"),
        (bool, ""),
        (bool, "2"),
        (bool, "tru"),
        (bool, "True!"),
        (bool, 1.5),
    ],
)
def test_an_invalid_value_is_rejected_and_nothing_is_stored(client, flyte_home, data_type, sent):
    event = new(data_type)
    before = stored(flyte_home)
    resp = answer(client, event, sent)
    assert resp.status_code == 400, resp.text
    detail = resp.json()["detail"]
    assert data_type.__name__ in detail and "question" in detail
    assert stored(flyte_home) == before
    assert event.status() == "pending"
    # The event still takes a valid answer afterwards.
    valid = {int: "5", float: "0.5", bool: "false"}[data_type]
    assert answer(client, event, valid).status_code == 200
    assert event.wait() == {int: 5, float: 0.5, bool: False}[data_type]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"value": "true"}, "request id"),
        ({"request_id": "x" * 32}, "No value"),
        ({"request_id": "x" * 32, "value": None}, "No value"),
        ({"request_id": "x" * 32, "value": {"nested": 1}}, "value must be"),
        ({"request_id": "x" * 32, "value": ["true"]}, "value must be"),
    ],
)
def test_malformed_submissions_are_rejected(client, flyte_home, body, needle):
    event = new(bool)
    if "request_id" in body:
        body["request_id"] = event.request_id
    before = stored(flyte_home)
    resp = client.post("/submit/json", json=body)
    assert resp.status_code in (400, 404), resp.text
    assert needle in resp.json()["detail"]
    assert stored(flyte_home) == before


def test_a_body_that_is_not_a_json_object_is_rejected(client):
    assert client.post("/submit/json", content=b"{not json", headers={"Content-Type": "application/json"}).status_code == 400
    assert client.post("/submit/json", json=["a", "b"]).status_code == 400


def test_the_json_api_takes_only_json(client, flyte_home):
    event = new(bool)
    before = stored(flyte_home)
    body = json.dumps({"request_id": event.request_id, "value": "true"})
    resp = client.post("/submit/json", content=body, headers={"Content-Type": "text/plain"})
    assert resp.status_code == 415
    assert "application/json" in resp.json()["detail"]
    assert stored(flyte_home) == before


def test_the_first_valid_answer_wins_and_later_ones_get_409(client, flyte_home):
    event = new(int)
    assert answer(client, event, "1").status_code == 200
    first = stored(flyte_home)
    for again in ("1", "2", 3):
        resp = answer(client, event, again)
        assert resp.status_code == 409, resp.text
        assert resp.json()["status"] == "completed"
        assert "answered already" in resp.json()["detail"]
    assert stored(flyte_home) == first
    assert event.wait() == 1


def test_concurrent_answers_to_one_event_store_exactly_one(app, flyte_home):
    event = new(int)
    results: list[int] = []

    def post(i: int) -> None:
        with httpx.Client(base_url=app.endpoint, timeout=30) as c:
            results.append(answer(c, event, str(i)).status_code)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] + [409] * 19
    winner = json.loads((flyte_home / "hitl" / "responses" / f"{event.request_id}.json").read_text())
    assert event.wait() == winner["value"]


@pytest.mark.parametrize("request_id", ["A" * 32, "0123456789abcdefghijABCDEFGHIJ_-"])
def test_an_unknown_request_id_is_404_everywhere(client, flyte_home, request_id):
    new(bool)
    before = stored(flyte_home)
    resp = client.post("/submit/json", json={"request_id": request_id, "value": "true"})
    assert resp.status_code == 404
    assert request_id in resp.json()["detail"]
    assert client.get(f"/status/{request_id}").status_code == 404
    assert client.get(f"/form/{request_id}").status_code == 404
    assert stored(flyte_home) == before


@pytest.mark.parametrize("request_id", ["../../../etc/passwd", "..", "short", "A" * 33, "A" * 31 + "/", "A" * 31 + "."])
def test_a_malformed_request_id_is_404_and_never_a_path(client, flyte_home, tmp_path, request_id):
    new(bool)
    before = all_files(tmp_path)
    resp = client.post("/submit/json", json={"request_id": request_id, "value": "true"})
    assert resp.status_code == 404, resp.text
    assert "not an event's request id" in resp.json()["detail"]
    if "/" not in request_id and "." not in request_id:  # (a client would normalise dot segments away)
        assert client.get(f"/status/{request_id}").status_code == 404
        assert client.get(f"/form/{request_id}").status_code == 404
    assert all_files(tmp_path) == before


@pytest.mark.parametrize(
    "response_path",
    [
        "../../../escaped.json",
        "{tmp}/escaped.json",
        "{store}/responses/../../escaped.json",
        "{store}/requests/{rid}.json",
        "s3://other-bucket/hitl-requests/x/response.json",
    ],
)
def test_a_response_path_other_than_the_events_is_rejected(client, flyte_home, tmp_path, response_path):
    event = new(bool)
    path = response_path.format(tmp=tmp_path, store=flyte_home / "hitl", rid=event.request_id)
    before_files, before = all_files(tmp_path), stored(flyte_home)
    resp = answer(client, event, "true", response_path=path)
    assert resp.status_code == 400, resp.text
    assert "response_path" in resp.json()["detail"]
    assert all_files(tmp_path) == before_files and stored(flyte_home) == before
    assert not (tmp_path / "escaped.json").exists()
    assert event.status() == "pending"
    # The event's own response path (as the report shows it) is accepted.
    assert answer(client, event, "true", response_path=event.response_path).status_code == 200


def test_a_data_type_other_than_the_events_is_rejected(client, flyte_home):
    event = new(bool)
    before = stored(flyte_home)
    resp = answer(client, event, "1", data_type="int")
    assert resp.status_code == 400
    assert "'bool'" in resp.json()["detail"] and "'int'" in resp.json()["detail"]
    assert stored(flyte_home) == before
    assert answer(client, event, "1", data_type="bool").status_code == 200
    assert event.wait() is True


def test_an_oversized_body_is_413(client, flyte_home):
    event = new(str)
    before = stored(flyte_home)
    big = "x" * (100 * 1024)
    resp = answer(client, event, big)
    assert resp.status_code == 413
    assert "65536" in resp.json()["detail"]

    def chunks():  # no Content-Length: the app counts while reading
        payload = json.dumps({"request_id": event.request_id, "value": big}).encode()
        for i in range(0, len(payload), 8192):
            yield payload[i : i + 8192]

    resp = client.post("/submit/json", content=chunks(), headers={"Content-Type": "application/json"})
    assert resp.status_code == 413
    assert stored(flyte_home) == before
    assert answer(client, event, "x" * 1000).status_code == 200


# ------------------------------------------------------------------------------ timeouts


def test_wait_raises_timeout_error_and_later_answers_get_410(client, flyte_home):
    event = new(bool, name="approve", timeout_seconds=0.5, poll_interval_seconds=0.1)
    started = time.monotonic()
    with pytest.raises(TimeoutError) as caught:
        event.wait()
    assert 0.4 <= time.monotonic() - started < 5
    message = str(caught.value)
    assert "'approve'" in message and event.request_id in message and "0.5 seconds" in message
    assert "timeout_seconds" in message
    after_timeout = stored(flyte_home)
    resp = answer(client, event, "true")
    assert resp.status_code == 410
    assert resp.json()["status"] == "timed_out"
    assert stored(flyte_home) == after_timeout
    assert client.get(f"/status/{event.request_id}").json()["status"] == "timed_out"
    with pytest.raises(TimeoutError):
        event.wait()


def test_an_answer_stored_before_the_deadline_counts_even_if_wait_looks_later(client):
    event = new(int, timeout_seconds=1.0)
    assert answer(client, event, "9").status_code == 200
    time.sleep(1.2)
    assert event.wait() == 9


def test_an_answer_after_the_deadline_is_410_even_before_wait_notices(client, flyte_home):
    event = new(int, timeout_seconds=0.3)
    time.sleep(0.5)
    resp = answer(client, event, "9")
    assert resp.status_code == 410
    with pytest.raises(TimeoutError):
        event.wait()


# ------------------------------------------------------------------------------ reading routes


def test_health_pending_and_status(client, app, flyte_home):
    health = client.get("/health").json()
    assert health == {"status": "healthy", "store": str((flyte_home / "hitl").resolve()), "pid": app.pid}
    a, b = new(bool, name="first"), new(int, name="second", prompt="How many?")
    earlier = {e["request_id"] for e in client.get("/pending").json()["events"]} - {a.request_id, b.request_id}
    pending = [e for e in client.get("/pending").json()["events"] if e["request_id"] not in earlier]
    assert [e["request_id"] for e in pending] == [a.request_id, b.request_id]
    assert pending[1]["prompt"] == "How many?" and pending[1]["data_type"] == "int"
    assert pending[1]["form_url"] == f"/form/{b.request_id}"
    assert pending[1]["response_path"] == b.response_path
    assert abs(pending[1]["deadline"] - b.deadline) < 1e-6
    assert answer(client, a, "yes").status_code == 200
    still = [e["request_id"] for e in client.get("/pending").json()["events"] if e["request_id"] not in earlier]
    assert still == [b.request_id]
    status = client.get(f"/status/{b.request_id}").json()
    assert status["status"] == "pending" and status["event_name"] == "second"
    index = client.get("/")
    assert index.status_code == 200 and f'href="form/{b.request_id}"' in index.text


def test_a_foreign_host_header_is_refused(client, flyte_home):
    event = new(bool)
    before = stored(flyte_home)
    # What a page on evil.example gets when its name is rebound to 127.0.0.1.
    for method, path, kwargs in (
        ("GET", "/pending", {}),
        ("GET", f"/form/{event.request_id}", {}),
        ("POST", "/submit/json", {"json": {"request_id": event.request_id, "value": "true"}}),
    ):
        resp = client.request(method, path, headers={"Host": "evil.example"}, **kwargs)
        assert resp.status_code == 403, (method, path, resp.text)
    assert stored(flyte_home) == before
    assert client.get("/pending", headers={"Host": "localhost"}).status_code == 200


def test_a_cross_site_json_post_is_refused(client, flyte_home):
    event = new(bool)
    before = stored(flyte_home)
    resp = client.post(
        "/submit/json", json={"request_id": event.request_id, "value": "true"}, headers={"Origin": "https://evil.example"}
    )
    assert resp.status_code == 403
    assert stored(flyte_home) == before


# ------------------------------------------------------------------------------ the form, over plain HTTP


def _token(form_html: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]{64})"', form_html).group(1)


def test_the_form_post_needs_its_anti_forgery_token(client, flyte_home):
    event = new(int)
    form = client.get(f"/form/{event.request_id}")
    assert form.status_code == 200
    token = _token(form.text)
    before = stored(flyte_home)
    for fields in (
        {"request_id": event.request_id, "value": "3"},
        {"request_id": event.request_id, "value": "3", "csrf_token": "0" * 64},
        {"request_id": event.request_id, "value": "3", "csrf_token": ""},
    ):
        resp = client.post("/submit", data=fields)
        assert resp.status_code == 403, resp.text
        assert "anti-forgery token" in resp.text
    assert stored(flyte_home) == before
    # A token is bound to its event: another event's token does not answer this one.
    other = new(int, name="other")
    other_token = _token(client.get(f"/form/{other.request_id}").text)
    before = stored(flyte_home)
    resp = client.post("/submit", data={"request_id": event.request_id, "value": "3", "csrf_token": other_token})
    assert resp.status_code == 403
    assert stored(flyte_home) == before
    resp = client.post("/submit", data={"request_id": event.request_id, "value": "3", "csrf_token": token})
    assert resp.status_code == 200 and "Input received successfully" in resp.text
    assert event.wait() == 3


def test_a_bad_value_in_the_form_shows_the_form_again_with_the_reason(client, flyte_home):
    event = new(int)
    token = _token(client.get(f"/form/{event.request_id}").text)
    before = stored(flyte_home)
    resp = client.post("/submit", data={"request_id": event.request_id, "value": "<b>many</b>", "csrf_token": token})
    assert resp.status_code == 400
    assert "Cannot parse" in resp.text and "&lt;b&gt;many&lt;/b&gt;" in resp.text and "<b>many</b>" not in resp.text
    assert 'name="csrf_token"' in resp.text  # the form again
    assert stored(flyte_home) == before
    assert client.post("/submit", data={"request_id": event.request_id, "value": "12", "csrf_token": token}).status_code == 200
    resp = client.post("/submit", data={"request_id": event.request_id, "value": "13", "csrf_token": token})
    assert resp.status_code == 409
    assert event.wait() == 12


def test_form_pages_escape_text_and_forbid_scripts(client, flyte_home):
    hostile = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
    event = new(str, name=f"name {hostile}", prompt=f"prompt {hostile}")
    for path in (f"/form/{event.request_id}", "/"):
        resp = client.get(path)
        assert resp.status_code == 200
        assert "<script>" not in resp.text and "<img" not in resp.text, path
        assert "&lt;script&gt;" in resp.text
        assert "script-src" not in resp.headers["content-security-policy"]  # default-src 'none': no scripts
        assert "default-src 'none'" in resp.headers["content-security-policy"]
        assert resp.headers["x-frame-options"] == "DENY"
        assert resp.headers["x-content-type-options"] == "nosniff"
