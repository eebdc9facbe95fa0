"""`flyte ui` as a user starts it, the state file that tells other processes it serves, and `Run.url`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

import flyte
import flyte.ui
from flyte.ui._state import read_state_file, state_path

FLYTE = Path(sys.executable).parent / "flyte"

PROGRAM = textwrap.dedent(
    """
    import flyte

    env = flyte.TaskEnvironment("ui_cli")

    @env.task
    async def double(x: int) -> int:
        return 2 * x
    """
)


def flyte_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(FLYTE), *args], capture_output=True, text=True, timeout=timeout, env=dict(os.environ))


def explain(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture
def served(flyte_home):
    """`flyte ui --port 0` in a process of its own; stopped with SIGTERM as a service manager would."""
    proc = subprocess.Popen(
        [str(FLYTE), "ui", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 30
        while flyte.ui.serving(flyte_home) is None:
            assert proc.poll() is None, f"flyte ui exited: {proc.communicate()}"
            assert time.monotonic() < deadline, "flyte ui did not start within 30 s"
            time.sleep(0.05)
        yield proc, flyte.ui.serving(flyte_home)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(15)


def test_flyte_ui_serves_the_home_and_flyte_run_points_at_it(served, flyte_home, tmp_path):
    proc, state = served
    assert state.pid == proc.pid and state.host == "127.0.0.1"
    status, body = get(state.url + "/api/health")
    assert status == 200 and json.loads(body)["flyte_home"] == str(flyte_home.resolve())

    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    ran = flyte_cli("run", "--name", "served-run", str(program), "double", "--x", "21")
    assert ran.returncode == 0, explain(ran)
    assert f"URL: {state.url}/runs/served-run" in ran.stdout.splitlines()
    # ... and Run.url in any other process too (this one).
    assert flyte.remote.Run.get("served-run").url == f"{state.url}/runs/served-run"
    status, page = get(f"{state.url}/runs/served-run")
    assert status == 200 and "served-run" in page and "ui_cli.double" in page
    status, runs = get(state.url + "/")
    assert status == 200 and 'href="/runs/served-run"' in runs

    # A second UI for the same home is refused, naming the first.
    second = flyte_cli("ui", "--port", "0", timeout=60)
    assert second.returncode == 1, explain(second)
    (line,) = second.stderr.strip().splitlines()
    assert line.startswith("Error: A Flyte UI already serves") and state.url in line

    # SIGTERM: the server stops and removes its state file; Run.url goes back to the static page.
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0, proc.communicate()
    assert not state_path(flyte_home.resolve()).exists()
    url = flyte.remote.Run.get("served-run").url
    assert url.startswith("file://") and Path(url[len("file://"):]).is_file()


def test_a_taken_port_is_a_one_line_error(flyte_home):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = flyte_cli("ui", "--port", str(port), timeout=60)
    assert proc.returncode == 1, explain(proc)
    assert proc.stderr.strip() == f"Error: Port {port} on 127.0.0.1 is in use; pass another --port (0 picks a free one)"
    assert not state_path(flyte_home.resolve()).exists()


def test_a_state_file_left_by_a_dead_ui_is_ignored(flyte_home):
    run = flyte.run(_tiny, 1)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    path = state_path(flyte_home.resolve())
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"pid": dead.pid, "host": "127.0.0.1", "port": 1, "started_at": 0}))
    assert read_state_file(path) is not None and flyte.ui.serving(flyte_home) is None
    assert run.url.startswith("file://")
    # A live pid (this process) whose port accepts nothing is no UI either.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    path.write_text(json.dumps({"pid": os.getpid(), "host": "127.0.0.1", "port": port, "started_at": 0}))
    assert flyte.ui.serving(flyte_home) is None
    # A UI started now takes over, and stopping it leaves no file.
    with flyte.ui.start(home=flyte_home) as server:
        assert run.url == server.run_url(run.name)
    assert not path.exists() and run.url.startswith("file://")


env = flyte.TaskEnvironment("ui_server")


@env.task
async def _tiny(x: int) -> int:
    return x


def test_the_ui_is_imported_only_when_it_serves():
    code = textwrap.dedent(
        """
        import sys, tempfile, os
        os.environ["FLYTE_HOME"] = tempfile.mkdtemp()
        os.environ["FLYTE_PROGRESS"] = "off"
        import flyte, flyte.ui
        import flyte.cli  # the `ui` command is registered without importing FastAPI
        env = flyte.TaskEnvironment("lazy")

        @env.task
        async def one() -> int:
            return 1

        run = flyte.run(one)
        assert run.url.startswith("file://"), run.url
        heavy = sorted(m for m in ("fastapi", "uvicorn", "starlette") if m in sys.modules)
        assert not heavy, heavy
        print("ok")
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", explain(proc)


def test_flyte_ui_help_names_the_extra():
    proc = flyte_cli("ui", "--help")
    assert proc.returncode == 0, explain(proc)
    assert "--port" in proc.stdout and "flyte[ui]" in proc.stdout


def test_without_the_extra_flyte_ui_says_what_to_install():
    code = "import sys; sys.modules['uvicorn'] = None; from flyte.cli import main; main(['ui', '--port', '0'])"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, explain(proc)
    assert proc.stderr.strip() == "Error: The Flyte UI needs uvicorn: pip install 'flyte[ui]'"
