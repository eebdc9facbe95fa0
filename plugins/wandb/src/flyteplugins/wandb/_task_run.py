"""``@wandb_init``: a wandb run for each execution of a task, finished with the task's outcome."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import importlib.util
import inspect
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

import flyte
from flyteplugins.wandb._config import NOT_INIT_ARGUMENTS, PREFIX, WandbConfig
from flyteplugins.wandb._link import (
    RUN_ID_KEY,
    RUN_MODES,
    WandbInitLink,
    invalid_run_id_characters,
    task_run_id,
)

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'flyteplugins-wandb[wandb]'"
#: The exit code a wandb run is finished with when its task failed, timed out or was aborted.
FAILED_EXIT_CODE = 1

# The run of the innermost @wandb_init task this code runs under (its body, the traces and
# helpers it calls, and tasks it calls that have no @wandb_init of their own).
_current_run: contextvars.ContextVar[Any] = contextvars.ContextVar("flyteplugins_wandb_run", default=None)
# Runs opened by @wandb_init in this process and not finished yet, by id: what sharing tasks join.
_open_runs: dict[str, Any] = {}
_open_runs_lock = threading.Lock()
_MARK = "__flyteplugins_wandb_init__"


def get_wandb_run() -> Any:
    """The ``wandb.Run`` of the running ``@wandb_init`` task; ``None`` outside one.

    Inside tasks without ``@wandb_init`` called by such a task, the caller's run.
    """
    return _current_run.get()


def get_wandb_run_dir() -> Optional[str]:
    """The local directory of the running task's wandb run (``run.dir``); ``None`` without a run."""
    run = _current_run.get()
    return None if run is None else run.dir


def _import_wandb(user: str) -> Any:
    try:
        import wandb
    except ImportError as e:
        raise ImportError(f"{user} needs the wandb package, which is not installed: {INSTALL_HINT}") from e
    return wandb


def _wandb_installed() -> bool:
    try:
        return importlib.util.find_spec("wandb") is not None
    except ValueError:  # imported already, by a path find_spec cannot describe
        return True


@dataclass(frozen=True)
class _Settings:
    """What ``@wandb_init(...)`` was given."""

    run_mode: Optional[str] = None
    id: Optional[str] = None
    init_kwargs: dict[str, Any] = field(default_factory=dict)


def wandb_init(
    _task: Any = None,
    /,
    *,
    run_mode: Optional[str] = None,
    project: Optional[str] = None,
    entity: Optional[str] = None,
    id: Optional[str] = None,
    host: Optional[str] = None,
    rank_scope: Optional[str] = None,
    download_logs: Optional[bool] = None,
    **init_kwargs: Any,
) -> Any:
    """Open a wandb run for every execution of a task, and link the task to it.

    Goes above ``@env.task``, bare or with arguments::

        @wandb_init(project="my-ml-project", entity="my-team")
        @env.task
        async def train(epochs: int) -> float:
            run = get_wandb_run()
            run.log({"loss": 0.1})

    Each execution opens a run named ``{run_name}-{action_name}`` (also its id unless one is
    given), with the settings of :func:`wandb_config` in the custom context overlaid by the
    arguments here, and exposes it through :func:`get_wandb_run`. When the body returns, the run
    is finished with exit code 0; when it raises, times out or is aborted, with exit code 1. The
    task gets a ``Wandb`` link to the run.

    Args:
        run_mode: ``"auto"`` (default): log into the calling task's run when it has one, else
            open a run. ``"new"``: always open a run of its own. ``"shared"``: log into the
            calling task's run (an error when there is none). When ``None``, the custom
            context's ``wandb_run_mode``, else ``"auto"``. A task that joins a run leaves
            finishing it to the task that opened it.
        project, entity: The wandb project and entity (links and ``wandb.init``).
        id: The run id (default ``{run_name}-{action_name}``, or the context's ``wandb_id``).
        host: The wandb server the link points to (default ``https://wandb.ai``).
        rank_scope, download_logs: Accepted for programs written for the upstream plugin;
            ignored here (no distributed-training or log-download support).
        **init_kwargs: Further ``wandb.init`` arguments (``config=``, ``tags=``, ``mode=``, ...).

    Raises:
        ImportError: the ``wandb`` package is not installed (``pip install 'flyteplugins-wandb[wandb]'``).
        TypeError: what is decorated is not a task with a Python body.
        ValueError: ``run_mode`` is unknown, ``id`` is not a valid wandb run id, or the task
            already has ``@wandb_init``.
    """
    if run_mode is not None and run_mode not in RUN_MODES:
        raise ValueError(f"@wandb_init(run_mode={run_mode!r}): use one of {', '.join(map(repr, RUN_MODES))}")
    if id is not None and invalid_run_id_characters(id):
        raise ValueError(
            f"@wandb_init(id={id!r}): wandb run ids cannot contain {invalid_run_id_characters(id)!r}; choose another id"
        )
    if download_logs:
        logger.warning("@wandb_init(download_logs=True) has no effect here: the run's files stay in its run.dir")
    if rank_scope is not None:
        logger.debug("@wandb_init(rank_scope=%r) has no effect here (no distributed-training support)", rank_scope)
    for key, value in (("project", project), ("entity", entity)):
        if value is not None:
            init_kwargs[key] = value
    settings = _Settings(run_mode=run_mode, id=id, init_kwargs=init_kwargs)

    def decorate(task: Any) -> Any:
        from flyte.extend import AsyncFunctionTaskTemplate

        label = getattr(task, "name", None) or getattr(task, "__name__", None) or repr(task)
        if not _wandb_installed():
            raise ImportError(f"@wandb_init on `{label}` needs the wandb package, which is not installed: {INSTALL_HINT}")
        if not isinstance(task, AsyncFunctionTaskTemplate):
            raise TypeError(
                f"@wandb_init decorates a task with a Python body, got {type(task).__name__} `{label}`; "
                "put @wandb_init above @env.task"
            )
        if getattr(task.func, _MARK, False):
            raise ValueError(f"Task `{task.name}` already has @wandb_init; apply it once")
        # The task is changed in place, so its environment's registry holds the decorated task too.
        task.func = _wrap(task.func, task.name, settings)
        task.links = (*task.links, WandbInitLink(project=project, entity=entity, id=id, host=host, run_mode=run_mode))
        return task

    return decorate if _task is None else decorate(_task)


def _wrap(func: Callable[..., Any], task_name: str, settings: _Settings) -> Callable[..., Any]:
    # functools.wraps keeps __wrapped__, so the task's code hash (cache version) is still the body's.
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def run_async_body(*args: Any, **kwargs: Any) -> Any:
            attempt = _Attempt(task_name, settings)
            run = await _open_off_loop(attempt)
            try:
                with attempt.bound(run):
                    result = await func(*args, **kwargs)
            except BaseException:
                await _off_loop(attempt.close, run, True)
                raise
            # A body that swallowed its cancellation still ends as an aborted action.
            await _off_loop(attempt.close, run, _cancel_requested())
            return result

        wrapper: Callable[..., Any] = run_async_body
    else:

        @functools.wraps(func)
        def run_body(*args: Any, **kwargs: Any) -> Any:
            attempt = _Attempt(task_name, settings)
            run = attempt.open()
            try:
                with attempt.bound(run):
                    result = func(*args, **kwargs)
            except BaseException:
                attempt.close(run, True)
                raise
            attempt.close(run, False)
            return result

        wrapper = run_body
    setattr(wrapper, _MARK, True)
    return wrapper


class _Attempt:
    """One execution of a ``@wandb_init`` task: which run it logs to, and whether it owns it."""

    def __init__(self, task_name: str, settings: _Settings):
        self.task_name = task_name
        self.owned = False
        ctx = flyte.ctx()
        context = dict(ctx.custom_context) if ctx else {}
        config = WandbConfig.from_context(context)
        mode = settings.run_mode or config.run_mode or "auto"
        if mode not in RUN_MODES:
            raise ValueError(
                f"Task `{task_name}`: custom context `wandb_run_mode` is {mode!r}; "
                f"use one of {', '.join(map(repr, RUN_MODES))} (wandb_config(run_mode=...))"
            )
        from_context = config.init_kwargs()
        self.kwargs: dict[str, Any] = {**from_context, **settings.init_kwargs}
        self.from_context = set(from_context) - set(settings.init_kwargs)
        self.run_id: Optional[str] = None
        self.joins: Optional[str] = None
        if not ctx:
            # Called outside a run (a plain function call, e.g. in a unit test): a run of its own.
            if settings.id:
                self.kwargs["id"] = settings.id
        else:
            run_name, action_name = ctx.action.run_name, ctx.action.name
            self.run_id = task_run_id(mode, settings.id, context, run_name, action_name)
            if self.run_id is None:
                raise RuntimeError(
                    f"Task `{task_name}` has @wandb_init with run_mode 'shared', but no calling task logs to a "
                    "wandb run; give the caller @wandb_init, or use run_mode 'auto' (share when there is a run, "
                    "else open one) or 'new'"
                )
            parent = context.get(RUN_ID_KEY) or None
            if parent is not None and self.run_id == parent:
                self.joins = parent
            else:
                bad = invalid_run_id_characters(self.run_id)
                if bad:
                    raise ValueError(
                        f"Task `{task_name}`: wandb run id {self.run_id!r} (custom context `wandb_id`) cannot "
                        f"contain {bad!r}; set another id with wandb_config(id=...)"
                    )
                self.kwargs["id"] = self.run_id
                self.kwargs.setdefault("name", f"{run_name}-{action_name}")
                if ctx.attempt_number > 0:
                    # A retry continues the run of the failed attempt (same id).
                    self.kwargs.setdefault("resume", "allow")
        self.kwargs.setdefault("reinit", "create_new")

    def open(self) -> Any:
        """The run to log to: the caller's when joining, else a new one from ``wandb.init``."""
        if self.joins is not None:
            run = _current_run.get()
            if run is None or run.id != self.joins:
                with _open_runs_lock:
                    run = _open_runs.get(self.joins)
            if run is None:
                raise RuntimeError(
                    f"Task `{self.task_name}` should log into its caller's wandb run `{self.joins}`, but that run is "
                    "not open in this process (its task has finished, or runs elsewhere); use "
                    "@wandb_init(run_mode='new') to give this task a run of its own"
                )
            return run
        wandb = _import_wandb(f"@wandb_init on `{self.task_name}`")
        self._check_arguments(wandb)
        run = wandb.init(**self.kwargs)
        self.owned = True
        with _open_runs_lock:
            _open_runs[run.id] = run
        return run

    def _check_arguments(self, wandb: Any) -> None:
        try:
            accepted = set(inspect.signature(wandb.init).parameters)
        except (TypeError, ValueError):
            return
        unknown = sorted(set(self.kwargs) - accepted)
        if unknown:
            where = ", ".join(
                f"`{PREFIX}{k}` (custom context)" if k in self.from_context else f"`{k}=` (@wandb_init)" for k in unknown
            )
            settings = sorted(accepted - {"settings", "anonymous"}) + sorted(NOT_INIT_ARGUMENTS - {"rank_scope"})
            raise TypeError(
                f"Task `{self.task_name}`: wandb.init() has no parameter for {where}; "
                f"known settings: {', '.join(settings)}"
            )

    @contextlib.contextmanager
    def bound(self, run: Any) -> Iterator[None]:
        """The body's scope: ``get_wandb_run()`` returns ``run``; tasks called see its id."""
        token = _current_run.set(run)
        try:
            with flyte.custom_context(**{RUN_ID_KEY: str(run.id)}):
                yield
        finally:
            _current_run.reset(token)

    def close(self, run: Any, failed: bool) -> None:
        """Finish the run if this attempt opened it: exit code 1 when the task failed, else 0."""
        if not self.owned:
            return
        self.owned = False
        run_id = run.id
        with _open_runs_lock:
            if _open_runs.get(run_id) is run:
                del _open_runs[run_id]
        try:
            run.finish(exit_code=FAILED_EXIT_CODE if failed else 0)
        except Exception:
            if not failed:
                raise
            # The task's own error is what the caller must see.
            logger.warning("Could not finish wandb run %s of failed task `%s`", run.id, self.task_name, exc_info=True)


def _cancel_requested() -> bool:
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)  # Python 3.11+
    return bool(cancelling and cancelling())


async def _off_loop(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` on a worker thread (wandb blocks the caller); waits for it even when cancelled."""
    done = asyncio.ensure_future(asyncio.to_thread(fn, *args))
    try:
        return await asyncio.shield(done)
    except asyncio.CancelledError:
        # A thread cannot be stopped: let it finish the run before the action goes away.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait([done])
        raise


async def _open_off_loop(attempt: _Attempt) -> Any:
    opening = asyncio.ensure_future(asyncio.to_thread(attempt.open))
    try:
        return await asyncio.shield(opening)
    except asyncio.CancelledError:
        # Cancelled (a timeout, an abort) while wandb.init ran: finish the run it opens as failed.
        def finish_abandoned(done: asyncio.Future) -> None:
            if not done.cancelled() and done.exception() is None:
                asyncio.get_running_loop().run_in_executor(None, attempt.close, done.result(), True)

        opening.add_done_callback(finish_abandoned)
        raise
