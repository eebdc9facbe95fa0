"""The event store: requests and responses of HITL events, as files under ``$FLYTE_HOME/hitl``.

Layout::

    hitl/requests/<request id>.json    what was asked: name, prompt, type, deadline, run and action
    hitl/responses/<request id>.json   the outcome: the answer, or the timeout (written once)
    hitl/secret                        the key that signs the form's anti-forgery tokens
    hitl/server.json, server.log       the running event app (see ``_server.py``)

Every file is written whole to a temporary name and then moved or linked into place, so a
reader (the app, a task, a resumed run) sees a complete record or none. The response slot is
claimed with ``os.link``, which fails when the slot is taken: the first outcome wins, whether it
is an answer posted to the app or the timeout declared by the waiting task.
"""

from __future__ import annotations

import hmac
import json
import math
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: The answer types an event supports, by the name used in the store and the JSON API.
DATA_TYPES: dict[str, type] = {"int": int, "float": float, "str": str, "bool": bool}
#: Request ids: 24 random bytes, URL-safe base64 (192 bits: unguessable).
REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{32}")
STORE_VERSION = 1


def new_request_id() -> str:
    return secrets.token_urlsafe(24)


def is_request_id(value: Any) -> bool:
    return isinstance(value, str) and REQUEST_ID.fullmatch(value) is not None


def type_name(data_type: Any) -> str:
    """The store's name of a supported answer type; ``ValueError`` naming the supported ones otherwise."""
    for name, t in DATA_TYPES.items():
        if data_type is t:
            return name
    shown = getattr(data_type, "__name__", repr(data_type))
    raise ValueError(
        f"hitl.new_event(data_type={shown}): an event's answer is one of int, float, str or bool; "
        "ask for text (data_type=str) and parse it yourself for anything else"
    )


def parse_answer(text: str, data_type: str) -> Any:
    """Convert the text a human submitted into the event's type, with the core's text converter.

    Raises:
        ValueError: ``text`` is not a value of the type; the message says what is accepted.
    """
    from flyte.types import parse_text

    value = parse_text(text, DATA_TYPES[data_type])
    if data_type == "float" and not math.isfinite(value):
        raise ValueError(f"Cannot use {text!r} as `float`: expected a finite number such as 3.14, 1e-3 or 42")
    return value


@dataclass(frozen=True)
class EventRequest:
    """One event's question, as stored; never changed after it is written."""

    request_id: str
    event_name: str
    scope: str
    prompt: str
    data_type: str
    created_at: float
    deadline: float
    timeout_seconds: float
    poll_interval_seconds: float
    run_name: str = ""
    action_name: str = ""
    project: str = ""
    domain: str = ""
    version: int = STORE_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EventRequest:
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Outcome:
    """What became of an event: ``completed`` with an answer, or ``timed_out``."""

    status: str
    request_id: str
    at: float
    value: Any = None
    text: str | None = None
    data_type: str | None = None
    via: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


class SlotTaken(Exception):
    """The event already has an outcome; ``outcome`` is it."""

    def __init__(self, outcome: Outcome):
        super().__init__(outcome.status)
        self.outcome = outcome


class EventStore:
    """The HITL events of one ``FLYTE_HOME``, kept in ``<home>/hitl``."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.requests = self.root / "requests"
        self.responses = self.root / "responses"

    @classmethod
    def for_home(cls, home: str | os.PathLike[str] | None = None) -> EventStore:
        """The store of ``home``, else of ``$FLYTE_HOME`` (default ``~/.flyte``)."""
        if home is None:
            home = os.environ.get("FLYTE_HOME") or Path.home() / ".flyte"
        return cls(Path(home).expanduser() / "hitl")

    def ensure(self) -> EventStore:
        self.requests.mkdir(parents=True, exist_ok=True)
        self.responses.mkdir(parents=True, exist_ok=True)
        return self

    # ------------------------------------------------------------------ paths (ids are checked first)
    def request_path(self, request_id: str) -> Path:
        _check_id(request_id)
        return self.requests / f"{request_id}.json"

    def response_path(self, request_id: str) -> Path:
        """Where the outcome of ``request_id`` is stored; decided here, never by a client."""
        _check_id(request_id)
        return self.responses / f"{request_id}.json"

    # ------------------------------------------------------------------ requests
    def create_request(self, request: EventRequest) -> EventRequest:
        """Store ``request`` unless one with its id exists; returns the stored one (the first wins)."""
        self.ensure()
        path = self.request_path(request.request_id)
        data = asdict(request)
        data.pop("extra")
        if not _link_new(path, _dumps(data)):
            existing = self.get_request(request.request_id)
            assert existing is not None
            return existing
        return request

    def get_request(self, request_id: str) -> EventRequest | None:
        if not is_request_id(request_id):
            return None
        data = _read_json(self.request_path(request_id))
        return None if data is None else EventRequest.from_json(data)

    def list_requests(self) -> list[EventRequest]:
        """Every stored request, oldest first."""
        found = []
        if self.requests.is_dir():
            for path in self.requests.glob("*.json"):
                if is_request_id(path.stem):
                    data = _read_json(path)
                    if data is not None:
                        found.append(EventRequest.from_json(data))
        return sorted(found, key=lambda r: (r.created_at, r.request_id))

    # ------------------------------------------------------------------ outcomes
    def get_outcome(self, request_id: str) -> Outcome | None:
        data = _read_json(self.response_path(request_id))
        return None if data is None else Outcome.from_json(data)

    def has_outcome(self, request_id: str) -> bool:
        return self.response_path(request_id).exists()

    def claim(self, outcome: Outcome) -> Outcome:
        """Store ``outcome`` as the event's only outcome; ``SlotTaken`` with the existing one if there is one."""
        self.ensure()
        path = self.response_path(outcome.request_id)
        data = {k: v for k, v in asdict(outcome).items() if v is not None}
        if _link_new(path, _dumps(data)):
            return outcome
        existing = self.get_outcome(outcome.request_id)
        assert existing is not None
        raise SlotTaken(existing)

    def answer(self, request: EventRequest, text: str, via: str, now: float | None = None) -> Outcome:
        """Validate ``text`` against the event's type and store it as the answer.

        Raises:
            ValueError: the text is not a value of the event's type (nothing is stored).
            SlotTaken: the event already has an outcome (nothing is changed).
        """
        value = parse_answer(text, request.data_type)
        now = time.time() if now is None else now
        if now >= request.deadline:
            # Too late: settle the event as timed out (unless something else settled it first).
            self.claim(Outcome("timed_out", request.request_id, now))
        return self.claim(Outcome("completed", request.request_id, now, value, text, request.data_type, via))

    # ------------------------------------------------------------------ the form's anti-forgery key
    def secret(self) -> bytes:
        """The key that signs form tokens, created (readable by the owner only) on first use."""
        path = self.root / "secret"
        key = _read_bytes(path)
        if key:
            return key
        self.root.mkdir(parents=True, exist_ok=True)
        _link_new(path, secrets.token_hex(32).encode(), mode=0o600)
        key = _read_bytes(path)
        assert key
        return key

    def form_token(self, request_id: str) -> str:
        return hmac.new(self.secret(), f"form:{request_id}".encode(), "sha256").hexdigest()

    def check_form_token(self, request_id: str, token: Any) -> bool:
        return isinstance(token, str) and hmac.compare_digest(self.form_token(request_id), token)


def _check_id(request_id: str) -> None:
    if not is_request_id(request_id):
        raise ValueError(f"{request_id!r:.80} is not a HITL request id (32 characters of A-Z, a-z, 0-9, '-', '_')")


def _dumps(data: dict[str, Any]) -> bytes:
    # allow_nan=False: every record stays valid JSON for any reader.
    return json.dumps(data, allow_nan=False, sort_keys=True).encode("utf-8")


def _read_json(path: Path) -> dict[str, Any] | None:
    raw = _read_bytes(path)
    return None if raw is None else json.loads(raw)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _link_new(path: Path, data: bytes, mode: int = 0o644) -> bool:
    """Write ``data`` to ``path`` only if ``path`` does not exist, atomically and durably.

    Returns False when ``path`` exists already (it is left as it was).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        _fsync_dir(path.parent)
        return True
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some platforms cannot open directories; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_file_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new content, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
