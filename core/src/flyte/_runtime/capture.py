"""Per-action capture of printed output and log records.

While a run is active, ``sys.stdout``/``sys.stderr`` are wrapped by streams that pass every
write through unchanged and also journal it under the action running in the writing context
(asyncio task or worker thread), so concurrent actions that print are kept apart. A logging
handler does the same for log records.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any, TextIO

from flyte._runtime.context import current_frame


class _ActionStream:
    """A text stream that tees writes into the journal of the current action."""

    def __init__(self, original: TextIO, name: str):
        self._original = original
        self._name = name

    def write(self, text: str) -> int:
        frame = current_frame.get()
        if frame is not None and text:
            frame.run.journal.put_log(frame.run.name, frame.action_id, self._name, text)
        return self._original.write(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


class _ActionLogHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        frame = current_frame.get()
        if frame is None:
            return
        try:
            text = self.format(record)
        except Exception:
            return
        frame.run.journal.put_log(frame.run.name, frame.action_id, "log", text + "\n")


_lock = threading.Lock()
_active = 0
_handler = _ActionLogHandler()
_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))


def start() -> None:
    """Begin capturing (nested runs share one capture)."""
    global _active
    with _lock:
        _active += 1
        if _active == 1:
            if not isinstance(sys.stdout, _ActionStream):
                sys.stdout = _ActionStream(sys.stdout, "stdout")  # type: ignore[assignment]
            if not isinstance(sys.stderr, _ActionStream):
                sys.stderr = _ActionStream(sys.stderr, "stderr")  # type: ignore[assignment]
            logging.getLogger().addHandler(_handler)


def stop() -> None:
    """End capturing once the last active run is done."""
    global _active
    with _lock:
        _active -= 1
        if _active == 0:
            for name in ("stdout", "stderr"):
                stream = getattr(sys, name)
                if isinstance(stream, _ActionStream):
                    setattr(sys, name, stream._original)
            logging.getLogger().removeHandler(_handler)
