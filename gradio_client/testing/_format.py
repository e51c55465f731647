"""The session format: placeholders, request keys, machine-call logs and the core replay
(the parts ``record.py`` and ``replay.py`` share)."""

from __future__ import annotations

import functools
import inspect
import json
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import unquote

import httpx
import msgspec

from ..protocol import errors as _errors
from ..protocol.actions import (
    Action,
    CloseStream,
    EmitOutput,
    EmitStatus,
    JobCancelled,
    JobFailed,
    JobSucceeded,
    Notice,
    OpenStream,
    OpenWebSocket,
    Post,
    SendWebSocket,
)
from ..protocol.machine import MachineConfig, QueueMachine, watch_machines

FORMAT = 2  # 2: machine logs keep typed actions (every field); 1 is still read
ROOT = "http://gradio.invalid"  # the server's URL in a saved session
HOST = "gradio.invalid"
SERVER_TMP = "/srv/gradio-tmp"  # the server's temp dir in a saved session
BLOB_MIN = 4096  # bodies at least this long are stored once, in blobs/, by content hash

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PLACEHOLDER = re.compile(r"\{session-\d+\}")
_KEEP_HEADERS = ("content-type", "retry-after", "location")
_HEARTBEAT = re.compile(r"/heartbeat/")


# ------------------------------------------------------------------------------ helpers


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _is_event_stream(headers: Mapping[str, str]) -> bool:
    return headers.get("content-type", "").split(";")[0].strip().lower() == "text/event-stream"


class _Names:
    """Volatile values <-> placeholders, both ways (recording and replay)."""

    def __init__(self, literals: Mapping[str, str]) -> None:
        self._lock = threading.Lock()
        self._literals = sorted(literals.items(), key=lambda kv: -len(kv[0]))
        self._sessions: dict[str, str] = {}  # real -> placeholder
        self._reals: dict[str, str] = {}  # placeholder -> real

    def name_session(self, real: str) -> str:
        with self._lock:
            return self._name_locked(real)

    def _name_locked(self, real: str) -> str:
        name = self._sessions.get(real)
        if name is None:
            name = "{session-%d}" % (len(self._sessions) + 1)
            self._sessions[real] = name
            self._reals[name] = real
        return name

    def hide(self, text: str, *, learn: bool = True) -> str:
        """Real values -> placeholders.  With ``learn`` (text the client sent), an unknown
        uuid is taken for a new session hash; otherwise only known ones are replaced."""
        for real, placeholder in self._literals:
            if real in text:
                text = text.replace(real, placeholder)
        if "-" in text:
            with self._lock:
                if learn:
                    text = _UUID.sub(lambda m: self._name_locked(m.group(0)), text)
                else:
                    text = _UUID.sub(lambda m: self._sessions.get(m.group(0), m.group(0)), text)
        return text

    def hide_server(self, text: str) -> str:
        return self.hide(text, learn=False)

    def show(self, text: str) -> str:
        """Placeholders -> this run's real session hashes (replay)."""
        if "{session-" not in text:
            return text
        with self._lock:
            return _PLACEHOLDER.sub(lambda m: self._reals.get(m.group(0), m.group(0)), text)


def _body_key(body: Any) -> str:
    """A canonical form of a recorded request body, for matching."""
    if body is None:
        return ""
    return json.dumps(body, sort_keys=True, ensure_ascii=False)


def _request_body(request: httpx.Request, content: bytes, names: _Names) -> Any:
    if not content:
        return None
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/"):
        files = re.findall(rb'filename="([^"]*)"', content)
        return {"upload": [unquote(f.decode("utf-8", "replace")) for f in files]}
    text = names.hide(_text(content))
    if "json" in ctype:
        try:
            return {"json": json.loads(text)}
        except ValueError:
            pass
    if ctype.startswith("application/x-www-form-urlencoded"):
        return {"form": text}
    return {"text": text}


def _error_name(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


# ------------------------------------------------------------------------------ actions


def describe_action(action: Action, hide: Callable[[str], str] = lambda s: s) -> list[Any]:
    """An action as plain JSON data (what a saved session's ``machines`` log holds)."""
    if isinstance(action, Post):
        return ["Post", action.request_id, hide(action.path), hide(_text(action.body)),
                action.job, action.delay]
    if isinstance(action, OpenStream):
        return ["OpenStream", action.stream_id, hide(action.path), action.delay,
                action.read_timeout]
    if isinstance(action, CloseStream):
        return ["CloseStream", action.stream_id]
    if isinstance(action, OpenWebSocket):
        return ["OpenWebSocket", action.stream_id, hide(action.path)]
    if isinstance(action, SendWebSocket):
        return ["SendWebSocket", action.stream_id, hide(action.text)]
    if isinstance(action, EmitStatus):
        u = action.update
        progress = (
            [[p.index, p.length, p.unit, p.progress, p.desc] for p in u.progress_data]
            if u.progress_data is not None
            else None
        )
        return ["EmitStatus", action.job, u.code.name, u.rank, u.queue_size, u.eta, u.success,
                progress, list(u.log) if u.log is not None else None]
    if isinstance(action, EmitOutput):
        return ["EmitOutput", action.job, json.loads(hide(json.dumps(action.data)))]
    if isinstance(action, JobSucceeded):
        return ["JobSucceeded", action.job, json.loads(hide(json.dumps(action.data)))]
    if isinstance(action, JobFailed):
        return ["JobFailed", action.job, type(action.error).__name__, hide(str(action.error))]
    if isinstance(action, JobCancelled):
        return ["JobCancelled", action.job, action.reason]
    if isinstance(action, Notice):
        return ["Notice", action.job, hide(action.message)]
    raise TypeError(f"unknown action {action!r}")


def _encode_arg(value: Any, hide: Callable[[str], str]) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": hide(_text(bytes(value)))}
    if isinstance(value, _errors.GradioClientError):
        return {"error": type(value).__name__, "message": hide(str(value))}
    if isinstance(value, str):
        return hide(value)
    if isinstance(value, Mapping):
        return {str(k): _encode_arg(v, hide) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode_arg(v, hide) for v in value]
    return value


def _decode_arg(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"bytes"}:
            return _bytes(value["bytes"])
        if set(value) == {"error", "message"}:
            cls = getattr(_errors, value["error"], _errors.TransportError)
            return cls(value["message"])
        return {k: _decode_arg(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_arg(v) for v in value]
    return value


def encode_action(action: Action, hide: Callable[[str], str] = lambda s: s) -> dict[str, Any]:
    """An action as typed JSON data: every field, and ``"type"`` its class (format 2).

    Bytes become text, an error ``{"error": class name, "message": str, ...its attributes}``
    and every string goes through ``hide``; a field that is None is left out (the schema
    says it is None: a field that changes to or from None is still a difference)."""
    raw = msgspec.to_builtins(action, builtin_types=(bytes,), enc_hook=_encode_error)
    encoded: dict[str, Any] = _hide_tree(raw, hide)
    return encoded


def _encode_error(value: Any) -> Any:
    if isinstance(value, BaseException):
        return {"error": type(value).__name__, "message": str(value), **vars(value)}
    raise NotImplementedError(f"cannot record {type(value).__name__}")


def _hide_tree(value: Any, hide: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return hide(value)
    if isinstance(value, (bytes, bytearray)):
        return hide(_text(bytes(value)))
    if isinstance(value, dict):
        return {k: _hide_tree(v, hide) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_hide_tree(v, hide) for v in value]
    return value


class _MachineLog:
    """One machine's inputs and answers, written by its observer (see ``QueueMachine``)."""

    def __init__(self, machine: QueueMachine, names: _Names, t0: float,
                 next_seq: Callable[[], int]) -> None:
        self.names = names
        self.t0 = t0
        self.next_seq = next_seq
        self.config = msgspec.to_builtins(machine.config)
        self.session = names.name_session(machine.session_hash)
        self.entries: list[list[Any]] = []
        self.lock = threading.Lock()

    def observe(self, name: str, inputs: Mapping[str, Any], returned: Any) -> None:
        """The machine's observer: ``[seq, method, args, kwargs, (job,) actions]``."""
        hide = self.names.hide
        if name == "reset_session":
            self.names.name_session(inputs["session_hash"])
        call = dict(inputs)
        if "now" in call:
            call["now"] = round(call["now"] - self.t0, 6)
        args, kwargs = split_inputs(name, call)
        entry: list[Any] = [self.next_seq(), name, _encode_arg(args, hide), _encode_arg(kwargs, hide)]
        actions = returned
        if name == "submit":
            job, actions = returned
            entry.append(job)
        entry.append([encode_action(a, hide) for a in actions])
        with self.lock:
            self.entries.append(entry)

    def to_dict(self) -> dict[str, Any]:
        config = json.loads(self.names.hide(json.dumps(self.config)))
        with self.lock:
            entries = list(self.entries)
        return {"config": config, "session": self.session, "log": entries}


@functools.lru_cache(maxsize=None)
def _positional(name: str) -> tuple[str, ...]:
    parameters = inspect.signature(getattr(QueueMachine, name)).parameters.values()
    return tuple(p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD)[1:]


def split_inputs(name: str, inputs: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """A machine input's arguments by name as the log keeps them: the positional parameters
    given, in order, then the rest by keyword (``tick(now)`` -> ``[now], {}``)."""
    args: list[Any] = []
    for parameter in _positional(name):
        if parameter not in inputs:
            break
        args.append(inputs[parameter])
    kwargs = {k: v for k, v in inputs.items() if k not in _positional(name)[: len(args)]}
    return args, kwargs


_watch_lock = threading.Lock()


def watch(factory: Callable[[QueueMachine], Any]) -> Callable[[], None]:
    """``watch_machines`` under a lock (recorders and replays may start on any thread)."""
    with _watch_lock:
        unwatch = watch_machines(factory)

    def stop() -> None:
        with _watch_lock:
            unwatch()

    return stop


# ------------------------------------------------------------------------------ core replay


#: ``MachineConfig`` fields added after recordings were first made, with the value that
#: behaves as the machine did before the field existed: a recording without the field
#: replays with it (``join_gather``: the session stream opened at the first join reply)
BEFORE_FIELDS: Final[Mapping[str, Any]] = {"join_gather": 0.0}


def replay_machine(machine: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Feed one recorded ``machines`` entry into a fresh ``QueueMachine``.

    Every input the live client gave the machine (submits, cancels, join replies, stream
    bytes, websocket frames, ticks) is given again in order, and each answer is compared
    with the recorded one.  Returns ``(differences, every action produced)``.
    """
    recorded = dict(machine["config"])
    for name, before in BEFORE_FIELDS.items():  # recorded before the field existed
        recorded.setdefault(name, before)
    config = msgspec.convert(recorded, MachineConfig, strict=False)
    core = QueueMachine(config, machine["session"], observer=_ignore)
    differences: list[str] = []
    produced: list[list[Any]] = []
    for entry in machine["log"]:
        seq, name, args, kwargs = entry[:4]
        expected = entry[-1]
        call = getattr(core, name)
        result = call(*_decode_arg(args), **_decode_arg(kwargs))
        if name == "submit":
            job, result = result
            if job != entry[4]:
                differences.append(f"seq {seq}: submit gave job {job}, recorded {entry[4]}")
        if expected and isinstance(expected[0], list):  # format 1: positional, lossy
            got = [json.loads(json.dumps(describe_action(a))) for a in result]
        else:  # format 2: every field of every action
            got = [json.loads(json.dumps(encode_action(a))) for a in result]
        produced.extend(got)
        if got != expected:
            differences.append(
                f"seq {seq} {name}{json.dumps(args)[:200]}: actions differ\n"
                f"  got      {json.dumps(got)[:1500]}\n  recorded {json.dumps(expected)[:1500]}"
            )
    return differences, produced


def _ignore(name: str, inputs: Mapping[str, Any], returned: Any) -> None:
    """The replayed machine's observer: one a recorder's watcher does not replace."""


