"""``flyte.run``, ``flyte.with_runcontext`` and the ``Run`` handle."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import secrets
import time
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from flyte import errors
from flyte._runtime import capture
from flyte._runtime.controller import RunController
from flyte._runtime.journal import ActionRecord, CacheEntry, RunJournal, RunRecord, flyte_home, journal
from flyte._runtime.progress import RunProgress
from flyte._runtime.threads import run_elsewhere, run_sync
from flyte.models import ActionPhase

logger = logging.getLogger("flyte")

T = TypeVar("T")


class _SyncOrAio(Generic[T]):
    """A callable with a blocking form (``f(...)``) and an async form (``await f.aio(...)``)."""

    def __init__(self, coro_fn: Callable[..., Coroutine[Any, Any, T]], doc: str | None = None):
        self._coro_fn = coro_fn
        self.__doc__ = doc or coro_fn.__doc__

    def __call__(self, *args: Any, **kwargs: Any) -> T:
        return run_sync(self._coro_fn(*args, **kwargs))

    async def aio(self, *args: Any, **kwargs: Any) -> T:
        return await run_elsewhere(self._coro_fn(*args, **kwargs))


class ActionOutputs(tuple):
    """A task's outputs: a tuple (``outputs()[0]``); with one output it also equals that value."""

    def __eq__(self, other: object) -> bool:
        if len(self) == 1 and not isinstance(other, tuple):
            return bool(self[0] == other)
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = tuple.__hash__

    def __getattr__(self, name: str) -> Any:
        if name.startswith("o") and name[1:].isdigit() and int(name[1:]) < len(self):
            return self[int(name[1:])]
        raise AttributeError(name)

    def __repr__(self) -> str:
        return "ActionOutputs(" + ", ".join(f"o{i}={v!r}" for i, v in enumerate(self)) + ")"


class Action:
    """One action of a run, read from the journal."""

    def __init__(self, record: ActionRecord, journal: RunJournal):
        self._record = record
        self._journal = journal

    @property
    def name(self) -> str:
        return self._record.action_id

    @property
    def task_name(self) -> str:
        return self._record.task_name

    @property
    def short_name(self) -> str:
        return self._record.short_name

    @property
    def parent(self) -> str | None:
        return self._record.parent_id

    @property
    def phase(self) -> ActionPhase:
        return ActionPhase(self._record.phase)

    @property
    def group(self) -> list[str]:
        return self._record.groups

    @property
    def attempts(self) -> int:
        return self._record.attempts

    @property
    def duration(self) -> float | None:
        return self._record.duration

    @property
    def error(self) -> str | None:
        r = self._record
        return f"{r.error_code}: {r.error_message}" if r.error_code else None

    @property
    def traceback(self) -> str | None:
        return self._record.error_traceback

    @property
    def links(self) -> list[tuple[str, str]]:
        return [tuple(p) for p in json.loads(self._record.links)]  # type: ignore[misc]

    @property
    def record(self) -> ActionRecord:
        return self._record

    def logs(self) -> str:
        return "".join(r.text for r in self._journal.get_logs(self._record.run_name, self._record.action_id))

    def __repr__(self) -> str:
        return f"Action({self.short_name!r}, id={self.name}, phase={self.phase.value})"


class Run:
    """A run: its name, phase, outputs and logs, read from the journal (``flyte.remote.Run``)."""

    def __init__(
        self,
        name: str,
        *,
        journal_: RunJournal | None = None,
        outputs: ActionOutputs | None = None,
        error: BaseException | None = None,
    ):
        self.name = name
        self._journal = journal_ or journal()
        self._outputs = outputs
        self._error = error

    # ---------------------------------------------------------------- lookup
    @classmethod
    def get(cls, name: str) -> Run:
        """The run called ``name`` in the current ``FLYTE_HOME``."""
        j = journal()
        if j.get_run(name) is None:
            raise ValueError(f"No run named {name!r} in {j.path}; list runs with `flyte runs` or flyte.remote.Run.listall()")
        return cls(name, journal_=j)

    @classmethod
    def listall(cls, limit: int = 100, phase: str | ActionPhase | None = None, name_contains: str | None = None) -> list[Run]:
        """Past runs, newest first."""
        j = journal()
        phase_value = ActionPhase(phase).value if phase else None
        return [cls(r.name, journal_=j) for r in j.list_runs(limit, phase_value, name_contains)]

    # ---------------------------------------------------------------- state
    def _record(self) -> RunRecord:
        rec = self._journal.get_run(self.name)
        if rec is None:
            raise ValueError(f"Run {self.name!r} is not in the journal {self._journal.path}")
        return self._journal.reconcile(rec)

    @property
    def phase(self) -> ActionPhase:
        return ActionPhase(self._record().phase)

    @property
    def url(self) -> str:
        """Where to look at the run: its page on the UI serving this FLYTE_HOME, else a page rendered from the journal."""
        # --- flyte ui: the served run page while `flyte ui` (or flyte.ui.start()) serves this home
        from flyte.ui._state import run_url

        served = run_url(self.name, self._journal.path.parent)
        if served:
            return served
        # ---
        from flyte._runtime.runpage import run_page

        return run_page(self._journal, self.name).as_uri()

    @property
    def task_name(self) -> str:
        return self._record().task_name

    @property
    def resumed_from(self) -> str | None:
        """The run this one resumed (``flyte.rerun``), if any."""
        return self._record().resumed_from

    def done(self) -> bool:
        return self.phase.is_terminal

    def wait(self, timeout: float | None = None, quiet: bool = True, poll_interval: float = 0.1) -> None:
        """Block until the run is terminal (``TimeoutError`` after ``timeout`` seconds)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done():
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"Run {self.name} is still {self.phase.value} after {timeout}s")
            time.sleep(poll_interval)

    @property
    def error(self) -> BaseException | None:
        if self._error is not None:
            return self._error
        rec = self._record()
        if rec.phase == ActionPhase.SUCCEEDED.value or not rec.error_code:
            return None
        return errors.RuntimeUserError(rec.error_code, rec.error_message or "")

    def outputs(self) -> ActionOutputs:
        """The root task's outputs; raises if the run did not succeed."""
        if self._outputs is not None:
            return self._outputs
        rec = self._record()
        if rec.phase != ActionPhase.SUCCEEDED.value:
            raise RuntimeError(f"Run {self.name} has no outputs: it is {rec.phase}" + (f" ({self.error})" if self.error else ""))
        root = self._journal.get_action(self.name, rec.root_action)
        assert root is not None
        return ActionOutputs(_decode_journal_values(root, "outputs", self._journal))

    def inputs(self) -> dict[str, Any]:
        rec = self._record()
        root = self._journal.get_action(self.name, rec.root_action)
        if root is None:
            return {}
        names = _interface_names(root.interface, "inputs")
        return dict(zip(names, _decode_journal_values(root, "inputs", self._journal)))

    def actions(self) -> list[Action]:
        return [Action(r, self._journal) for r in self._journal.list_actions(self.name)]

    def action(self, name: str) -> Action:
        rec = self._journal.find_action(self.name, name)
        if rec is None:
            raise errors.ActionNotFoundError(f"Run {self.name} has no action {name!r}")
        return Action(rec, self._journal)

    def logs(self, action: str | None = None) -> str:
        """Captured output of the run (every action, in order) or of one action."""
        action_id = self.action(action).name if action else None
        return "".join(r.text for r in self._journal.get_logs(self.name, action_id))

    get_logs = logs

    def show_logs(self, action: str | None = None) -> None:
        print(self.logs(action), end="")

    def abort(self, reason: str = "aborted by user") -> None:
        """Ask the process running this run to abort it."""
        rec = self._record()
        self._journal.request_abort(self.name, rec.root_action, reason)

    def __repr__(self) -> str:
        return f"Run(name={self.name!r})"

    def __str__(self) -> str:
        # `print(flyte.run(greet, name="World"))` shows the result, as the docs' task page does.
        if self._outputs is not None and len(self._outputs) == 1:
            return str(self._outputs[0])
        return repr(self)


def list_cache(task_name: str | None = None) -> list[CacheEntry]:
    """Cached task results in the current ``FLYTE_HOME``, newest first (optionally of one task)."""
    return journal().list_cache(task_name)


def clear_cache(task_name: str | None = None) -> int:
    """Delete cached task results (all, or one task's by full name); returns how many."""
    return journal().clear_cache(task_name)


def _interface_names(interface: bytes | None, which: str) -> list[str]:
    if not interface:
        return []
    from flyteidl2.core import interface_pb2

    iface = interface_pb2.TypedInterface()
    iface.ParseFromString(interface)
    return [v.key for v in getattr(iface, which).variables]


def _decode_journal_values(action: ActionRecord, which: str, j: RunJournal) -> tuple:
    """Python values of an action's inputs or outputs, typed by guessing from the literal types."""
    from flyteidl2.core import interface_pb2

    from flyte._runtime.blobstore import local_path
    from flyte._runtime.convert import decode_literals
    from flyte.types import TypeEngine

    data = getattr(action, which)
    ref = getattr(action, which + "_ref")
    if data is None and ref:
        data = local_path(ref).read_bytes()
    if data is None:
        return ()
    literals = decode_literals(data)
    iface = interface_pb2.TypedInterface()
    iface.ParseFromString(action.interface or b"")
    values = []
    for var in getattr(iface, which).variables:
        t = TypeEngine.guess_python_type(var.value.type)
        values.append(run_sync(TypeEngine.to_python_value(literals[var.key], t)))
    if which == "outputs" and not values:
        values = [None]
    return tuple(values)


def _new_run_name(task_name: str) -> str:
    stem = task_name.rsplit(".", 1)[-1].replace("_", "-")[:24].strip("-") or "run"
    return f"{stem}-{datetime.now().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


class _Runner:
    """Runs tasks with a given run context; ``flyte.with_runcontext(...)`` returns one."""

    def __init__(
        self,
        name: str | None = None,
        custom_context: dict[str, str] | None = None,
        project: str | None = None,
        domain: str | None = None,
        disable_run_cache: bool = False,
        overwrite_cache: bool = False,
        mode: str | None = None,
        **ignored: Any,
    ):
        if mode not in (None, "local", "remote", "hybrid"):
            raise ValueError(f"with_runcontext(mode={mode!r}): use 'local' (or 'remote'/'hybrid', which run locally here)")
        if name is not None and (not isinstance(name, str) or not name.strip() or "/" in name):
            raise ValueError(f"with_runcontext(name={name!r}): a run name is a non-empty string without '/'")
        for key, value in (custom_context or {}).items():
            if not isinstance(value, str):
                raise TypeError(
                    f"with_runcontext(custom_context=...): values must be strings; `{key}` is {type(value).__name__}"
                )
        if ignored:
            logger.debug("with_runcontext options without local effect: %s", ", ".join(sorted(ignored)))
        self._name = name
        self._custom_context = dict(custom_context or {})
        self._project = project
        self._domain = domain
        self._disable_cache = disable_run_cache
        self._overwrite_cache = overwrite_cache
        self._resumed_from: str | None = None
        self.run: _SyncOrAio[Run] = _SyncOrAio(self._run, doc="Run a task and return its Run once it is terminal.")

    async def _run(self, task: Any, *args: Any, **kwargs: Any) -> Run:
        from flyte._model.task import TaskTemplate
        from flyte._runtime.init import current_config

        if type(task).__module__.startswith("flyte.remote"):
            # --- remote tasks: a flyte.remote reference runs the deployed snapshot's code
            from flyte.remote._task import prepare_root_call

            task, args, kwargs = await prepare_root_call(task, args, kwargs)
            # ---
        if not isinstance(task, TaskTemplate):
            what = "a function" if inspect.isfunction(task) else repr(task)
            raise TypeError(
                f"flyte.run takes a task, got {what}; decorate it with @env.task (env = flyte.TaskEnvironment(...))"
            )
        config = current_config()
        home = flyte_home()
        j = journal(home)
        name = self._name or _new_run_name(task.name)
        if self._name and j.get_run(name) is not None:
            raise ValueError(f"A run named {name!r} already exists in {j.path}; choose another name")
        controller = RunController(
            name=name,
            journal=j,
            home=home,
            project=self._project or config.project,
            domain=self._domain or config.domain,
            org=config.org,
            custom_context=self._custom_context,
            disable_cache=self._disable_cache,
            overwrite_cache=self._overwrite_cache,
            resumed_from=self._resumed_from,
        )
        # Bad inputs fail here, before the run exists, so nothing is left RUNNING.
        call = await controller.prepare(task, args, kwargs)
        controller.plan_root(call)
        source = _source_of(task)
        # --- progress display (stderr): live on a terminal, plain lines otherwise; FLYTE_PROGRESS
        progress = RunProgress(name, task.name)  # a bad FLYTE_PROGRESS fails here, before the run exists
        controller.listeners.append(progress.on_action)
        # ---
        j.put_run(controller.run_record(task, ActionPhase.RUNNING, source))
        progress.start()
        capture.start()
        watcher = asyncio.get_running_loop().create_task(controller.watch_aborts())
        error: BaseException | None = None
        outputs: ActionOutputs | None = None
        try:
            value = await controller.submit_prepared(call, None)
            outputs = ActionOutputs((value,) if not task.interface.multiple_outputs else tuple(value))
            phase = ActionPhase.SUCCEEDED
        except errors.BaseRuntimeError as e:
            error = e
            phase = ActionPhase.ABORTED if isinstance(e, errors.ActionAbortedError) else (
                ActionPhase.TIMED_OUT if isinstance(e, errors.TaskTimeoutError) else ActionPhase.FAILED
            )
        except BaseException as e:
            error = e
            phase = ActionPhase.ABORTED if isinstance(e, asyncio.CancelledError) else ActionPhase.FAILED
        finally:
            watcher.cancel()
            await controller.close()
            capture.stop()
        record = controller.run_record(task, phase, source)
        record.ended_at = time.time()
        if error is not None:
            record.error_code = getattr(error, "code", type(error).__name__)
            record.error_message = str(error)
        j.put_run(record)
        await asyncio.to_thread(j.flush)
        progress.finish(phase, error)
        if error is not None:
            tb = getattr(error, "traceback_text", None)
            if tb and hasattr(error, "add_note"):
                error.add_note(f"Run {name}: the task failed with this traceback:\n{tb.rstrip()}")
            raise error
        return Run(name, journal_=j, outputs=outputs)


async def _rerun(
    run_name: str, inputs: dict[str, Any] | None = None, *, task: Any = None, name: str | None = None
) -> Run:
    from flyte._runtime.convert import decode_literals, literals_to_python
    from flyte._runtime.loader import find_task, load_module

    j = journal()
    old = j.get_run(run_name)
    if old is None:
        raise ValueError(f"No run named {run_name!r} to rerun in {j.path}; list runs with `flyte runs`")
    old = j.reconcile(old)
    if not ActionPhase(old.phase).is_terminal:
        raise ValueError(f"Run {run_name} is still {old.phase}; wait for it or abort it (flyte abort {run_name}) first")
    if task is None:
        if not old.source:
            raise ValueError(f"Run {run_name}'s task `{old.task_name}` was not defined in a file; pass task= to rerun it")
        task = find_task(load_module(Path(old.source), fresh=True), old.task_name)
        if task is None:
            raise ValueError(f"{old.source} no longer defines task `{old.task_name}`, which run {run_name} ran")
    root = j.get_action(run_name, old.root_action)
    previous: dict[str, Any] = {}
    if root is not None and (root.inputs is not None or root.inputs_ref):
        from flyte._runtime.blobstore import local_path

        data = root.inputs if root.inputs is not None else local_path(root.inputs_ref).read_bytes()  # type: ignore[arg-type]
        literals = {k: v for k, v in decode_literals(data).items() if k in task.interface.inputs and k not in (inputs or {})}
        previous = await literals_to_python(task, literals)
    runner = _Runner(
        name=name,
        custom_context=json.loads(old.custom_context),
        project=old.project,
        domain=old.domain,
    )
    runner._resumed_from = run_name
    return await runner._run(task, **{**previous, **(inputs or {})})


rerun: _SyncOrAio[Run] = _SyncOrAio(
    _rerun,
    doc="""Run a finished run's task again, replaying what already succeeded.

    Every child action and traced call of ``run_name`` that succeeded, and whose identity (name,
    own body, inputs, call sequence, group) is unchanged, returns its journaled outputs instead
    of running. The task is re-imported from its source file, so fixes made since are used.
    ``inputs`` replaces some of the root task's inputs; ``name`` names the new run.
    """,
)


def _source_of(task: Any) -> str | None:
    func = getattr(task, "func", None)
    try:
        return str(Path(inspect.getfile(func))) if func is not None else None
    except (TypeError, OSError):
        return None


def with_runcontext(**options: Any) -> _Runner:
    """Configure a run: ``name``, ``custom_context``, ``project``, ``domain``, ``disable_run_cache``.

    Other upstream options (``mode``, ``env_vars``, ``labels``, ...) are accepted; they have no
    local effect.
    """
    return _Runner(**options)


async def _run_default(task: Any, *args: Any, **kwargs: Any) -> Run:
    return await _Runner()._run(task, *args, **kwargs)


run: _SyncOrAio[Run] = _SyncOrAio(
    _run_default,
    doc="Run a task on the embedded runtime; returns its Run once terminal (``await flyte.run.aio(...)`` in async code).",
)
