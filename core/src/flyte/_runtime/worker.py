"""Running one action in a separate Python process (deployed tasks; the process-isolated executor's seed).

The parent writes a request (the task's code reference, its input literals and its context) to
a directory and starts ``python -m flyte._runtime.worker DIR`` in the task's code snapshot. The
worker imports the task from the snapshot (the caller's modules and directory are not visible),
runs it with the in-process executor under a controller of its own that journals into the
same run (so tasks it calls become child actions of this one), and writes the output literals
or a failure back. Its printed output is journaled by the worker and relayed to the parent's
terminal. Cancelling the parent's side (abort, timeout, the run ending) sends SIGTERM; the
worker aborts its own children, journals them, and exits.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import dataclasses
import json
import os
import shutil
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flyte._runtime.blobstore import atomic_write

#: Seconds a worker gets to wind down after SIGTERM before it is killed.
TERMINATE_GRACE_SECONDS = 5.0
#: How often a worker checks that the process that started it is still there.
PARENT_CHECK_SECONDS = 0.5
#: How often the parent looks for a report the worker flushed.
REPORT_POLL_SECONDS = 0.25
_STDERR_TAIL = 4000


@dataclass
class WorkerRequest:
    """Everything a worker needs: the code reference, the input literals, the action's context."""

    home: str
    run_name: str
    action_id: str
    path: str
    task_name: str
    module: str
    code_dir: str
    version: str
    project: str
    domain: str
    org: str | None
    custom_context: dict[str, str]
    attempt: int
    inputs: str  # base64 LiteralMap bytes
    #: The action's creation order in the run; actions the worker creates are ordered after it.
    seq: int = 0
    disable_cache: bool = False
    resumed_from: str | None = None
    env_vars: dict[str, str] = field(default_factory=dict)


# ------------------------------------------------------------------------------------ parent side


def _underlying(stream: Any) -> Any:
    # Relayed worker output is already journaled by the worker; write below the capture layer.
    return getattr(stream, "_original", stream)


async def _relay(reader: asyncio.StreamReader, target_name: str, tail: bytearray | None) -> None:
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            return
        if tail is not None:
            tail.extend(chunk)
            del tail[:-_STDERR_TAIL]
        target = _underlying(getattr(sys, target_name))
        try:
            target.write(chunk.decode("utf-8", errors="replace"))
            target.flush()
        except (OSError, ValueError):
            pass


async def run_in_worker(request: WorkerRequest, frame: Any, report_key: str | None = None) -> bytes:
    """Run ``request`` in a worker process; return its output LiteralMap bytes.

    Raises:
        BaseRuntimeError: the task failed (the error it raised, rebuilt), or the worker died.
        asyncio.CancelledError: cancelled; the worker was stopped first.
    """
    from flyte import errors

    workdir = Path(request.home) / "runs" / request.run_name / "workers" / f"{request.action_id}-{request.attempt}"
    workdir.mkdir(parents=True, exist_ok=True)
    atomic_write(workdir / "request.json", json.dumps(dataclasses.asdict(request)).encode())
    env = {**os.environ, **request.env_vars, "FLYTE_HOME": request.home}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-u",
        "-m",
        "flyte._runtime.worker",
        str(workdir),
        cwd=request.code_dir,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    tail = bytearray()
    assert proc.stdout is not None and proc.stderr is not None
    relays = [
        asyncio.ensure_future(_relay(proc.stdout, "stdout", None)),
        asyncio.ensure_future(_relay(proc.stderr, "stderr", tail)),
    ]
    watcher = asyncio.ensure_future(_watch_report(frame, report_key)) if report_key else None
    try:
        try:
            returncode = await proc.wait()
            await asyncio.gather(*relays)
        except asyncio.CancelledError:
            await asyncio.shield(_stop(proc))
            raise
        finally:
            if watcher is not None:
                watcher.cancel()
            if report_key:
                _note_report(frame, report_key)
        response_path = workdir / "response.json"
        if not response_path.is_file():
            stderr = tail.decode("utf-8", errors="replace").strip()
            raise errors.RuntimeSystemError(
                "WorkerExited",
                f"The process running `{request.task_name}` ({request.module} from {request.code_dir}) exited with "
                f"code {returncode} before reporting a result" + (f"; its last output: {stderr[-800:]}" if stderr else ""),
            )
        response = json.loads(response_path.read_text())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if "failure" in response:
        from flyte._runtime.failures import Failure

        # The executor passes a Failure through unchanged: code, class, traceback and whether
        # retrying can help arrive in the parent exactly as the worker recorded them.
        raise Failure(**response["failure"])
    return base64.b64decode(response["outputs"])


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        await asyncio.wait_for(proc.wait(), TERMINATE_GRACE_SECONDS)
    except asyncio.TimeoutError:
        try:
            proc.kill()
        except ProcessLookupError:
            pass
        await proc.wait()


def _note_report(frame: Any, key: str) -> None:
    from flyte.report._report import _record_location

    path = frame.run.blobs.path_for_key(key)
    if path.is_file():
        _record_location(frame, path.as_uri())


async def _watch_report(frame: Any, key: str) -> None:
    # The worker writes the report page; the journal row that names it belongs to this process.
    while True:
        await asyncio.sleep(REPORT_POLL_SECONDS)
        _note_report(frame, key)


# ------------------------------------------------------------------------------------ worker side


def _load_task(request: WorkerRequest) -> Any:
    import importlib

    from flyte import errors
    from flyte._model.environment import TaskEnvironment
    from flyte._model.task import TaskTemplate

    try:
        module = importlib.import_module(request.module)
    except Exception as e:
        raise errors.ModuleLoadError(
            f"Importing module {request.module!r} of task `{request.task_name}` from its deployed code "
            f"{request.code_dir} failed: {type(e).__name__}: {e}"
        ) from e
    for value in vars(module).values():
        if isinstance(value, TaskTemplate) and value.name == request.task_name:
            return value
        if isinstance(value, TaskEnvironment) and request.task_name in value.tasks:
            return value.tasks[request.task_name]
    raise errors.ModuleLoadError(
        f"Module {request.module!r} in {request.code_dir} no longer defines task `{request.task_name}`"
    )


class _Serving:
    def __init__(self) -> None:
        self.task: asyncio.Task | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop_requested = False


async def _serve(request: WorkerRequest, out: Path, state: _Serving) -> None:
    import inspect

    from flyte._runtime import capture, deploy
    from flyte._runtime.context import Frame
    from flyte._runtime.controller import RunController
    from flyte._runtime.convert import decode_literals, encode_literals
    from flyte._runtime.executor import InProcessExecutor
    from flyte._runtime.failures import Failure
    from flyte._runtime.init import init
    from flyte._runtime.journal import journal

    state.task = asyncio.current_task()
    state.loop = asyncio.get_running_loop()
    if state.stop_requested:  # stopped before it started: nothing ran, nothing to report
        return
    deploy.CURRENT_VERSION = request.version
    home = Path(request.home)
    init(project=request.project, domain=request.domain, org=request.org)
    j = journal(home)
    options: dict[str, Any] = {"disable_cache": request.disable_cache}
    if request.resumed_from and "resumed_from" in inspect.signature(RunController).parameters:
        options["resumed_from"] = request.resumed_from
    controller = RunController(
        name=request.run_name,
        journal=j,
        home=home,
        project=request.project,
        domain=request.domain,
        org=request.org,
        custom_context=request.custom_context,
        **options,
    )
    frame = Frame(
        run=controller,
        action_id=request.action_id,
        task_name=request.task_name,
        custom_context=dict(request.custom_context),
        attempt=request.attempt,
        path=request.path,
    )
    # Children are created after this action: number them from its place in the run (the
    # parent process goes on numbering its own actions, so the orders interleave, never precede).
    controller.number_from(request.seq)
    controller.version = request.version
    capture.start()
    watcher = asyncio.ensure_future(controller.watch_aborts())
    response: dict[str, Any]
    try:
        try:
            task = _load_task(request)
        except Exception as e:
            failure = Failure.from_exception(e)
            failure.recoverable = False  # importing the same snapshot again fails the same way
            raise failure from e
        literals = decode_literals(base64.b64decode(request.inputs))
        outputs = await InProcessExecutor().execute(task, frame, literals)
        response = {"outputs": base64.b64encode(encode_literals(outputs)).decode()}
    except Failure as failure:
        response = {"failure": dataclasses.asdict(failure)}
    except asyncio.CancelledError:
        response = {"aborted": True}
    finally:
        watcher.cancel()
        await controller.close("parent_finished")
        capture.stop()
    await asyncio.to_thread(j.flush)
    if "aborted" not in response:
        atomic_write(out, json.dumps(response).encode())


def main(argv: list[str] | None = None) -> int:
    from flyte._runtime.threads import runtime_loop

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m flyte._runtime.worker REQUEST_DIR", file=sys.stderr)
        return 2
    workdir = Path(args[0])
    request = WorkerRequest(**json.loads((workdir / "request.json").read_text()))
    sys.path.insert(0, request.code_dir)
    state = _Serving()

    def stop(signum: int, _frame: Any) -> None:
        if state.stop_requested:
            return  # once: a second cancel would interrupt the clean-up that journals the children
        state.stop_requested = True
        if state.loop is not None and state.task is not None:
            state.loop.call_soon_threadsafe(state.task.cancel)

    signal.signal(signal.SIGTERM, stop)
    future = asyncio.run_coroutine_threadsafe(_serve(request, workdir / "response.json", state), runtime_loop())
    parent = os.getppid()
    while not future.done():
        try:
            future.result(timeout=PARENT_CHECK_SECONDS)
        except concurrent.futures.TimeoutError:
            if os.getppid() != parent:  # orphaned: the run's process died; nobody awaits this action
                stop(signal.SIGTERM, None)
        except BaseException:
            break
    try:
        future.result()
    except asyncio.CancelledError:
        return 143
    except BaseException as e:  # the worker itself broke: say so on stderr, the parent reports it
        print(f"flyte worker for `{request.task_name}` failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
