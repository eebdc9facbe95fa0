"""What a run shows while it runs: a live status line on a terminal, plain log lines otherwise.

:class:`RunProgress` listens to the controller (``RunController.listeners``): it counts actions
by phase, prints a line per failed action and the links of actions that have links, and keeps
a status line (running, succeeded, failed, elapsed) up to date. Everything goes to stderr, so
what a program prints on stdout stays its own. ``FLYTE_PROGRESS`` picks the form: ``auto``
(default: live on a terminal, plain otherwise), ``live``, ``plain`` or ``off``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import TYPE_CHECKING, TextIO

from flyte.models import ActionPhase

if TYPE_CHECKING:
    from flyte._runtime.journal import ActionRecord

#: Seconds between redraws of the live status line.
LIVE_INTERVAL = 0.1
#: Seconds between summary lines in plain mode while a run is in progress.
PLAIN_INTERVAL = 10.0
MODES = ("auto", "live", "plain", "off")

_FAILED = {ActionPhase.FAILED.value, ActionPhase.TIMED_OUT.value}
_SPINNER = "|/-\\"


def _real_stderr() -> TextIO:
    # While a run is active, sys.stderr tees into the journal of the writing action; the
    # display is not an action's output, so it writes to the stream underneath.
    stream = sys.stderr
    return getattr(stream, "_original", stream)


def progress_mode(stream: TextIO) -> str:
    """The display form for ``stream``: ``FLYTE_PROGRESS``, else live on a terminal, plain otherwise."""
    mode = (os.environ.get("FLYTE_PROGRESS") or "auto").strip().lower()
    if mode not in MODES:
        raise ValueError(f"FLYTE_PROGRESS={mode!r} is not one of {', '.join(MODES)}; unset it for the default")
    if mode == "auto":
        try:
            return "live" if stream.isatty() else "plain"
        except (AttributeError, ValueError):
            return "plain"
    return mode


def _fmt_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


class _ClearsStatus:
    """Wraps stdout/stderr during a live display: output first erases the status line, so printed
    lines never run into it (the next tick redraws it below them)."""

    def __init__(self, original: TextIO, progress: RunProgress):
        self._original = original
        self._progress = progress

    def write(self, text: str) -> int:
        if not text:
            return self._original.write(text)
        return self._progress._write_around_status(self._original, text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._original, name)


class RunProgress:
    """Shows one run's progress on stderr; feed it action records through :meth:`on_action`."""

    def __init__(self, run_name: str, task_name: str, stream: TextIO | None = None, mode: str | None = None):
        self.run_name = run_name
        self.task_name = task_name
        self.stream = stream or _real_stderr()
        self.mode = mode or progress_mode(self.stream)
        self._phases: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._status_shown = False
        self._last_summary = ""
        self._wrapped: list[tuple[str, TextIO]] = []
        self._mid_line = False

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if not self.enabled:
            return
        self._started = time.monotonic()
        self._line(f"Run {self.run_name} started: {self.task_name}")
        if self.mode == "live":
            self._wrapped = [(name, getattr(sys, name)) for name in ("stdout", "stderr")]
            for name, stream in self._wrapped:
                setattr(sys, name, _ClearsStatus(stream, self))
        self._ticker = threading.Thread(target=self._tick, name=f"flyte-progress-{self.run_name}", daemon=True)
        self._ticker.start()

    def finish(self, phase: ActionPhase, error: BaseException | None = None) -> None:
        if not self.enabled:
            return
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(1)
        for name, stream in self._wrapped:
            current = getattr(sys, name)
            if isinstance(current, _ClearsStatus) and current._progress is self:
                setattr(sys, name, stream)
        self._wrapped = []
        elapsed = _fmt_seconds(time.monotonic() - self._started)
        line = f"Run {self.run_name} {phase.value} after {elapsed}: {self._summary()}"
        if error is not None:
            line += f"; {type(error).__name__}: {' '.join(str(error).split())[:300]}"
        self._line(line)

    # ------------------------------------------------------------------ controller listener
    def on_action(self, record: ActionRecord) -> None:
        """Called by the controller whenever an action starts or finishes."""
        if self.mode == "off":
            return
        phase = record.phase
        lock = self._lock  # acquire/release: cheaper than `with`, and this runs for every action
        lock.acquire()
        try:
            previous = self._phases.get(record.action_id)
            if previous == phase:
                return
            self._phases[record.action_id] = phase
            if previous is not None:
                self._counts[previous] -= 1
            self._counts[phase] = self._counts.get(phase, 0) + 1
        finally:
            lock.release()
        if previous is None and record.links not in ("[]", ""):
            for label, url in json.loads(record.links):
                self._line(f"  link  {record.short_name} ({record.action_id}) {label}: {url}")
        if phase in _FAILED:
            message = " ".join(f"{record.error_code}: {record.error_message}".split())[:300]
            took = f" after {_fmt_seconds(record.duration)}" if record.duration is not None else ""
            attempts = f", {record.attempts} attempts" if record.attempts > 1 else ""
            self._line(f"  {phase.upper()}  {record.short_name} ({record.action_id}){took}{attempts}: {message}")

    # ------------------------------------------------------------------ drawing
    def _summary(self) -> str:
        with self._lock:
            counts = {k: v for k, v in self._counts.items() if v}
            total = len(self._phases)
        order = [p.value for p in ActionPhase]
        parts = [f"{counts[p]} {p.replace('_', ' ')}" for p in order if p in counts]
        return f"{total} action{'s' if total != 1 else ''}" + (f" ({', '.join(parts)})" if parts else "")

    def _status(self, spin: int) -> str:
        with self._lock:
            running = self._counts.get(ActionPhase.RUNNING.value, 0)
            done = self._counts.get(ActionPhase.SUCCEEDED.value, 0)
            failed = sum(self._counts.get(p, 0) for p in _FAILED)
            aborted = self._counts.get(ActionPhase.ABORTED.value, 0)
        elapsed = _fmt_seconds(time.monotonic() - self._started)
        text = f"{_SPINNER[spin % 4]} {self.run_name}  {elapsed}  running {running}  succeeded {done}  failed {failed}"
        return text + (f"  aborted {aborted}" if aborted else "")

    def _tick(self) -> None:
        spin = 0
        interval = LIVE_INTERVAL if self.mode == "live" else PLAIN_INTERVAL
        while not self._stop.wait(interval):
            spin += 1
            if self.mode == "live":
                self._write_status(self._status(spin))
            else:
                summary = self._summary()
                if summary != self._last_summary:
                    self._last_summary = summary
                    elapsed = _fmt_seconds(time.monotonic() - self._started)
                    self._line(f"Run {self.run_name} running for {elapsed}: {summary}")

    def _write_status(self, text: str) -> None:
        with self._lock:
            if self._mid_line:  # a line is being printed: draw at the next tick
                return
            try:
                self.stream.write("\r\x1b[K" + text)
                self.stream.flush()
                self._status_shown = True
            except (OSError, ValueError):
                pass

    def _write_around_status(self, stream: TextIO, text: str) -> int:
        # Under the display's lock, so the status line is never drawn inside a printed line.
        with self._lock:
            if self._status_shown:
                self._status_shown = False
                try:
                    self.stream.write("\r\x1b[K")
                    self.stream.flush()
                except (OSError, ValueError):
                    pass
            written = stream.write(text)
            self._mid_line = not text.endswith("\n")
            return written

    def _line(self, text: str) -> None:
        with self._lock:
            try:
                prefix = "\r\x1b[K" if self._status_shown else ""
                self._status_shown = False
                self.stream.write(prefix + text + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # a closed stream must never break the run
                pass
