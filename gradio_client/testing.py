"""Record a client's wire session against a live Gradio server, and replay it without one.

Recording::

    from gradio_client import Client
    from gradio_client.testing import Recorder

    with Recorder("http://127.0.0.1:7860", server_tmp="/tmp/gradio-xyz") as rec:
        client = Client("http://127.0.0.1:7860", httpx_kwargs={"transport": rec.transport()})
        client.predict("hi", api_name="/echo")
        client.close()
    rec.save("tests/data/sessions/6.31.0/echo.json", scenario="echo")

Replaying (no server, no socket)::

    from gradio_client.testing import Replay

    with Replay.load("tests/data/sessions/6.31.0/echo.json") as replay:
        client = Client(replay.url, httpx_kwargs={"transport": replay.transport()})
        assert client.predict("hi", api_name="/echo") == "hi"
        client.close()
    assert not replay.problems

What is recorded (the format is described in ``tests/data/sessions/README.md``):

* every HTTP exchange, in the order the client made them: method, URL, request body,
  status, content type, and the response body; event streams keep their chunks as the
  client received them and how they ended (end of stream, client closed, broken);
* every websocket (Gradio 3.x): the frames in both directions and who closed it;
* the queue machine's inputs and the actions it answered with (``machines``), so the
  protocol core can be replayed alone (:func:`replay_machine`).

Each item carries a global sequence number.  A replay serves a stream's chunk (or a
websocket frame) only once the client has made every request the recording shows before
it, so timing-dependent scenarios (cancel a job once it runs, three jobs queued behind a
slow one) see the same interleaving as the live run.

Volatile values become placeholders on save: the server's URL is
``http://gradio.invalid`` (host ``gradio.invalid``), its temp dir ``/srv/gradio-tmp``,
and session hashes ``{session-1}``, ``{session-2}`` ... in order of creation.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote

import httpx
import msgspec

from .protocol import errors as _errors
from .protocol.actions import (
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
from .protocol.machine import MachineConfig, QueueMachine
from .shells import _sync_ws

__all__ = [
    "FORMAT",
    "HOST",
    "ROOT",
    "SERVER_TMP",
    "AsyncRecordingTransport",
    "AsyncReplayTransport",
    "Recorder",
    "RecordingTransport",
    "Replay",
    "ReplayTransport",
    "describe_action",
    "replay_machine",
]

FORMAT = 1
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


_MACHINE_INPUTS = (
    "start",
    "submit",
    "cancel",
    "tick",
    "reset_session",
    "close",
    "receive_response",
    "receive_request_error",
    "stream_opened",
    "receive_stream_data",
    "receive_stream_eof",
    "receive_stream_error",
    "receive_ws_message",
    "ws_closed",
)


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


class _MachineLog:
    def __init__(self, machine: QueueMachine, names: _Names, t0: float) -> None:
        self.names = names
        self.t0 = t0
        self.config = msgspec.to_builtins(machine.config)
        self.session = names.name_session(machine.session_hash)
        self.entries: list[list[Any]] = []

    def add(self, seq: int, name: str, args: tuple[Any, ...], kwargs: dict[str, Any],
            result: Any) -> None:
        hide = self.names.hide
        if name == "reset_session":
            self.names.name_session(args[0])
        call = dict(kwargs)
        if "now" in call:
            call["now"] = round(call["now"] - self.t0, 6)
        if name == "tick":
            args = (round(args[0] - self.t0, 6),)
        entry: list[Any] = [seq, name, _encode_arg(list(args), hide), _encode_arg(call, hide)]
        actions = result
        if name == "submit":
            job, actions = result
            entry.append(job)
        entry.append([describe_action(a, hide) for a in actions])
        self.entries.append(entry)

    def to_dict(self) -> dict[str, Any]:
        config = json.loads(self.names.hide(json.dumps(self.config)))
        return {"config": config, "session": self.session, "log": self.entries}


_taps: list[Any] = []  # active Recorder / Replay objects that watch QueueMachine
_taps_lock = threading.Lock()
_originals: dict[str, Any] = {}


def _install_tap(owner: Any) -> None:
    with _taps_lock:
        _taps.append(owner)
        if len(_taps) > 1:
            return
        cls = QueueMachine
        for name in ("__init__", *_MACHINE_INPUTS):
            original = cls.__dict__[name]
            _originals[name] = original

            def wrapper(self: QueueMachine, *args: Any, __name: str = name,
                        __orig: Any = original, **kwargs: Any) -> Any:
                result = __orig(self, *args, **kwargs)
                for tap in list(_taps):
                    tap._machine_call(self, __name, args, kwargs, result)
                return result

            functools.update_wrapper(wrapper, original)
            setattr(cls, name, wrapper)


def _remove_tap(owner: Any) -> None:
    with _taps_lock:
        if owner in _taps:
            _taps.remove(owner)
        if _taps or not _originals:
            return
        for name, original in _originals.items():
            setattr(QueueMachine, name, original)
        _originals.clear()


# ------------------------------------------------------------------------------ recording


class Recorder:
    """One timeline of everything the clients created under it sent and received.

    ``root`` is the live server's URL; ``server_tmp`` its temp dir (both become
    placeholders on save).  Use it as a context manager: inside, websockets to ``root``
    are recorded and every ``QueueMachine`` created is logged.
    """

    def __init__(self, root: str, *, server_tmp: str | None = None) -> None:
        root = root.rstrip("/")
        netloc = root.split("://", 1)[-1]
        literals = {root: ROOT, netloc: HOST}
        if server_tmp:
            literals[str(server_tmp).rstrip("/")] = SERVER_TMP
            resolved = str(Path(server_tmp).resolve()).rstrip("/")
            literals.setdefault(resolved, SERVER_TMP)
        self.root = root
        self.names = _Names(literals)
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self.exchanges: list[dict[str, Any]] = []
        self.machines: list[_MachineLog] = []
        self._machine_logs: dict[int, _MachineLog] = {}
        self._t0 = time.monotonic()
        self._netloc = _sync_ws.netloc_of(root)
        self._active = False

    # -- lifecycle
    def __enter__(self) -> Recorder:
        self._active = True
        _sync_ws.set_connect_hook(self._netloc, self._connect_ws)
        _install_tap(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self._active = False
        _sync_ws.set_connect_hook(self._netloc, None)
        _remove_tap(self)

    def next_seq(self) -> int:
        return next(self._seq)

    def transport(self, inner: httpx.BaseTransport | None = None) -> RecordingTransport:
        return RecordingTransport(self, inner)

    def async_transport(self, inner: httpx.AsyncBaseTransport | None = None) -> AsyncRecordingTransport:
        return AsyncRecordingTransport(self, inner)

    def name_session(self, session_hash: str) -> str:
        return self.names.name_session(session_hash)

    # -- the queue machine
    def _machine_call(self, machine: QueueMachine, name: str, args: tuple[Any, ...],
                      kwargs: dict[str, Any], result: Any) -> None:
        if name == "__init__":
            log = _MachineLog(machine, self.names, self._t0)
            with self._lock:
                self._machine_logs[id(machine)] = log
                self.machines.append(log)
            return
        log_ = self._machine_logs.get(id(machine))
        if log_ is not None:
            log_.add(self.next_seq(), name, args, kwargs, result)

    # -- HTTP
    def _begin(self, request: httpx.Request, content: bytes) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "seq": self.next_seq(),
            "method": request.method,
            "url": self.names.hide(str(request.url)),
        }
        body = _request_body(request, content, self.names)
        if body is not None:
            entry["request"] = body
        if _HEARTBEAT.search(request.url.path):
            entry["heartbeat"] = True
        with self._lock:
            self.exchanges.append(entry)
        return entry

    def _respond(self, entry: dict[str, Any], response: httpx.Response) -> None:
        entry["status"] = response.status_code
        entry["headers"] = {
            k: response.headers[k] for k in _KEEP_HEADERS if k in response.headers
        }
        entry["chunks"] = []

    def _chunk(self, entry: dict[str, Any], chunk: bytes) -> None:
        if entry.get("heartbeat"):
            return
        entry["chunks"].append([self.next_seq(), self.names.hide_server(_text(chunk))])

    def _end(self, entry: dict[str, Any], how: str, detail: str = "") -> None:
        if "end" not in entry:
            entry["end"] = [self.next_seq(), how, self.names.hide(detail)] if detail else [
                self.next_seq(), how]

    # -- websockets (Gradio 3.x)
    def _connect_ws(self, url: str, **kwargs: Any) -> _sync_ws.SyncWebSocket:
        entry: dict[str, Any] = {"seq": self.next_seq(), "ws": self.names.hide(url), "frames": []}
        with self._lock:
            self.exchanges.append(entry)
        try:
            ws = cast(_RecordingWebSocket, _RecordingWebSocket.open(url, **kwargs))
        except Exception as exc:
            entry["error"] = self.names.hide(_error_name(exc))
            raise
        ws.attach(self, entry)
        return ws

    # -- saving
    def to_dict(self, **meta: Any) -> dict[str, Any]:
        exchanges = []
        with self._lock:
            for entry in self.exchanges:
                exchanges.append(self._finished(entry))
        return {
            "format": FORMAT,
            **meta,
            "exchanges": exchanges,
            "machines": [m.to_dict() for m in self.machines],
        }

    def _finished(self, entry: dict[str, Any]) -> dict[str, Any]:
        out = dict(entry)
        chunks = out.pop("chunks", None)
        if chunks is None:
            return out
        if "frames" in out:
            return out
        if _is_event_stream(out.get("headers", {})) or out.get("heartbeat"):
            out["chunks"] = chunks
        else:
            out["body"] = "".join(text for _, text in chunks)
            end = out.get("end")
            if end is not None and end[1] != "error":
                out.pop("end")
        return out

    def save(self, path: str | Path, **meta: Any) -> Path:
        """Write the session as JSON; bodies of ``BLOB_MIN`` bytes or more go to
        ``blobs/`` beside it (shared by every session in that folder)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        document = self.to_dict(**meta)
        blobs = path.parent / "blobs"
        for exchange in document["exchanges"]:
            body = exchange.get("body")
            if isinstance(body, str) and len(body) >= BLOB_MIN:
                data = _bytes(body)
                suffix = ".json" if body[:1] in "{[" else ".txt"
                name = hashlib.sha256(data).hexdigest()[:20] + suffix
                blobs.mkdir(exist_ok=True)
                target = blobs / name
                if not target.exists():
                    target.write_bytes(data)
                del exchange["body"]
                exchange["blob"] = name
        path.write_text(json.dumps(document, indent=1) + "\n")  # \udcXX: raw bytes
        return path


class _RecordingStream(httpx.SyncByteStream):
    def __init__(self, recorder: Recorder, entry: dict[str, Any], inner: Any) -> None:
        self._recorder = recorder
        self._entry = entry
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._inner:
                self._recorder._chunk(self._entry, chunk)
                yield chunk
        except Exception as exc:
            self._recorder._end(self._entry, "error", _error_name(exc))
            raise
        self._recorder._end(self._entry, "eof")

    def close(self) -> None:
        self._recorder._end(self._entry, "closed")
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


class _AsyncRecordingStream(httpx.AsyncByteStream):
    def __init__(self, recorder: Recorder, entry: dict[str, Any], inner: Any) -> None:
        self._recorder = recorder
        self._entry = entry
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                self._recorder._chunk(self._entry, chunk)
                yield chunk
        except Exception as exc:
            self._recorder._end(self._entry, "error", _error_name(exc))
            raise
        self._recorder._end(self._entry, "eof")

    async def aclose(self) -> None:
        self._recorder._end(self._entry, "closed")
        aclose = getattr(self._inner, "aclose", None)
        if aclose is not None:
            await aclose()


class RecordingTransport(httpx.BaseTransport):
    """An httpx transport that records every exchange into a :class:`Recorder`."""

    def __init__(self, recorder: Recorder, inner: httpx.BaseTransport | None = None) -> None:
        self._recorder = recorder
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()
        entry = self._recorder._begin(request, content)
        try:
            response = self._inner.handle_request(request)
        except Exception as exc:
            entry["error"] = self._recorder.names.hide(_error_name(exc))
            raise
        self._recorder._respond(entry, response)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_RecordingStream(self._recorder, entry, response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._inner.close()


class AsyncRecordingTransport(httpx.AsyncBaseTransport):
    """The async twin of :class:`RecordingTransport`."""

    def __init__(self, recorder: Recorder, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._recorder = recorder
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        content = await request.aread()
        entry = self._recorder._begin(request, content)
        try:
            response = await self._inner.handle_async_request(request)
        except Exception as exc:
            entry["error"] = self._recorder.names.hide(_error_name(exc))
            raise
        self._recorder._respond(entry, response)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_AsyncRecordingStream(self._recorder, entry, response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


class _RecordingWebSocket(_sync_ws.SyncWebSocket):
    _recorder: Recorder | None = None
    _entry: dict[str, Any]

    def attach(self, recorder: Recorder, entry: dict[str, Any]) -> None:
        self._recorder = recorder
        self._entry = entry
        self._client_closed = False

    def messages(self) -> Iterator[str]:
        assert self._recorder is not None
        for text in super().messages():
            self._entry["frames"].append(
                [self._recorder.next_seq(), "in", self._recorder.names.hide_server(text)]
            )
            yield text
        if "end" not in self._entry:
            who = "client" if self._client_closed else "server"
            self._entry["end"] = [self._recorder.next_seq(), who, self.close_code,
                                  self.close_reason]

    def send_text(self, text: str) -> None:
        assert self._recorder is not None
        self._entry["frames"].append(
            [self._recorder.next_seq(), "out", self._recorder.names.hide(text)]
        )
        super().send_text(text)

    def shutdown(self, how: int = 2) -> None:
        self._client_closed = True
        self._mark_client_end()
        super().shutdown(how)

    def close(self) -> None:
        if not self._closed:
            self._client_closed = True
            self._mark_client_end()
        super().close()

    def _mark_client_end(self) -> None:
        if self._recorder is not None and "end" not in self._entry:
            self._entry["end"] = [self._recorder.next_seq(), "client", None, ""]


# ------------------------------------------------------------------------------ replay


class Replay:
    """Serves a recorded session to clients pointed at :attr:`url`, without a network.

    Requests are matched to recorded exchanges by method, URL and body (placeholders
    substituted), first unused first.  ``problems`` lists what did not match; ``unused()``
    the recorded exchanges nobody asked for.
    """

    def __init__(
        self,
        session: Mapping[str, Any],
        blobs: str | Path | None = None,
        *,
        gate_timeout: float = 5.0,
    ) -> None:
        self.session = session
        self.url = ROOT + "/"
        self.gate_timeout = gate_timeout
        self.problems: list[str] = []
        self.names = _Names({})
        self._blobs = Path(blobs) if blobs is not None else None
        self._cond = threading.Condition()
        self._closed = False
        self._pending: dict[tuple[str, str, str], deque[dict[str, Any]]] = {}
        self._ws: list[dict[str, Any]] = []
        self._ws_owner: dict[int, _ReplayWebSocket] = {}
        self._joins: list[Any] = []  # live per-job event streams (Gradio 4.0-4.8)
        self._aliases: dict[str, str] = {}  # live event_id -> the recorded one it stands for
        gates: list[int] = []
        for exchange in session["exchanges"]:
            if "ws" in exchange:
                # websockets are matched to jobs by their data frame (see _rebind_locked);
                # their frames wait for HTTP requests (a cancel's /reset) but gate nothing
                self._ws.append(exchange)
                continue
            if exchange.get("heartbeat"):
                continue
            key = self._key(exchange["method"], exchange["url"], exchange.get("request"))
            self._pending.setdefault(key, deque()).append(exchange)
            gates.append(exchange["seq"])
        self._gates = sorted(gates)
        self._seen: set[int] = set()
        self._low = 0  # index into _gates of the first gate not yet passed

    @classmethod
    def load(cls, path: str | Path, **kwargs: Any) -> Replay:
        path = Path(path)
        return cls(json.loads(path.read_text()), path.parent / "blobs", **kwargs)

    def __enter__(self) -> Replay:
        _sync_ws.set_connect_hook(_sync_ws.netloc_of(ROOT), self._connect_ws)
        _install_tap(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        _sync_ws.set_connect_hook(_sync_ws.netloc_of(ROOT), None)
        _remove_tap(self)

    def transport(self) -> ReplayTransport:
        return ReplayTransport(self)

    def async_transport(self) -> AsyncReplayTransport:
        return AsyncReplayTransport(self)

    @contextlib.asynccontextmanager
    async def ws_connect(self, url: str, **kwargs: Any) -> AsyncIterator[_AsyncReplayWebSocket]:
        """The websocket connector of the async shells (``AsyncClient(ws_connect=...)``):
        recorded websockets (Gradio 3.x) served on asyncio or trio, without a network."""
        ws = cast(_ReplayWebSocket, self._connect_ws(url, **kwargs))
        try:
            yield _AsyncReplayWebSocket(ws)
        finally:
            ws.shutdown()

    def unused(self) -> list[str]:
        """Recorded requests (not heartbeats) the replayed clients never made."""
        with self._cond:
            left = [f"{e['method']} {e['url']}" for q in self._pending.values() for e in q]
            left += [f"websocket {e['ws']}" for e in self._ws]
        return left

    # -- matching
    @staticmethod
    def _key(method: str, url: str, body: Any) -> tuple[str, str, str]:
        return (method, url, _body_key(body))

    def _machine_call(self, machine: QueueMachine, name: str, args: tuple[Any, ...],
                      kwargs: dict[str, Any], result: Any) -> None:
        # name sessions in creation order, as the recording did
        if name == "__init__":
            self.names.name_session(machine.session_hash)
        elif name == "reset_session":
            self.names.name_session(args[0])

    def match(self, request: httpx.Request, content: bytes) -> dict[str, Any] | None:
        url = self.names.hide(str(request.url))
        body = _request_body(request, content, self.names)
        with self._cond:
            body = self._unalias_locked(url, body)
            key = self._key(request.method, url, body)
            queue = self._pending.get(key)
            if queue:
                exchange: dict[str, Any] | None = queue.popleft()
            else:
                exchange = self._rebind_data_locked(request.method, url, body)
            if exchange is None:
                self.problems.append(f"no recorded exchange for {request.method} {url} {_body_key(body)[:300]}")
                return None
            if url.endswith("/queue/data") and isinstance(body, dict):
                # the stream that announced this event_id is known for sure now
                live = (body.get("json") or {}).get("event_id")
                for stream in self._joins:
                    if stream._sent is not None and stream._sent == live:
                        stream._bound = True
            self._pass_locked(exchange["seq"])
        return exchange

    # -- Gradio 4.0-4.8: one GET /queue/join?fn_index&session_hash per job.  Concurrent
    # jobs of one endpoint open identical URLs, so a stream is first given any recording
    # of that URL; the job's POST /queue/data (its data, and the event_id its stream
    # sent) tells which recording it really is: the streams swap recordings then, and
    # the live event_id stands for the recorded one from then on.

    def _unalias_locked(self, url: str, body: Any) -> Any:
        data = body.get("json") if isinstance(body, dict) else None
        if (isinstance(data, dict) and data.get("event_id") in self._aliases
                and not url.endswith("/queue/data")):
            return {"json": {**data, "event_id": self._aliases[data["event_id"]]}}
        return body

    def _rebind_data_locked(self, method: str, url: str, body: Any) -> dict[str, Any] | None:
        data = body.get("json") if isinstance(body, dict) else None
        if not (url.endswith("/queue/data") and isinstance(data, dict) and "event_id" in data):
            return None
        live = str(data["event_id"])
        bare = {k: v for k, v in data.items() if k != "event_id"}
        for (m, u, _), queue in self._pending.items():
            if m != method or u != url:
                continue
            for recorded in queue:
                rec = (recorded.get("request") or {}).get("json") or {}
                if {k: v for k, v in rec.items() if k != "event_id"} == bare:
                    queue.remove(recorded)
                    wanted = str(rec.get("event_id", live))
                    self._aliases[live] = wanted
                    self._swap_joins_locked(live, wanted)
                    return recorded
        return None

    def _swap_joins_locked(self, live: str, wanted: str) -> None:
        """The stream that sent event_id ``live`` takes the recording that sent ``wanted``
        (from the stream holding it, or from those not requested yet)."""
        if live == wanted:
            return
        mine = next((s for s in self._joins if s._sent == live), None)
        if mine is None:
            return
        other = next((s for s in self._joins if _sent_event(s._exchange) == wanted), None)
        target: dict[str, Any] | None = other._exchange if other is not None else None
        if target is None:
            for (m, u, _), queue in self._pending.items():
                found = next((e for e in queue if m == "GET" and _sent_event(e) == wanted), None)
                if found is not None:  # not requested yet: give ours back in its place
                    queue[queue.index(found)] = mine._exchange
                    target = found
                    self._seen.add(found["seq"])
                    break
        if target is None:
            return
        old = mine._exchange
        _rebind_stream(mine, target)
        if other is not None:
            _rebind_stream(other, old)
        self._cond.notify_all()

    def _next_chunk(
        self, stream: Any
    ) -> tuple[dict[str, Any], int, int, str, bool, frozenset[int] | None] | None:
        """The stream's next chunk and whether it waits for the recorded order.  Until its
        job's POST /queue/data says which recording a per-job stream is, its chunks up to
        ``send_data`` are provisional (queue statuses): delivered without the global
        order, whose gates may belong to the job it will turn out to be."""
        with self._cond:
            exchange = stream._exchange
            if stream._i >= len(exchange["chunks"]):
                return None
            seq, text = exchange["chunks"][stream._i]
            if stream not in self._joins:
                return exchange, stream._i, seq, text, True, None
            # a per-job stream waits for its own job's actions only: the recorded order
            # of other jobs' requests depends on how the recording client scheduled them
            sent = _send_data_index(exchange)
            gated = stream._bound or sent is None or stream._i > sent
            return exchange, stream._i, seq, text, gated, self._own_gates(exchange)

    def _held_open(self, stream: Any) -> bool:
        """A per-job stream recorded without ``send_data`` that broke off: its job was
        cancelled while queued, which the client does by closing the stream.  The
        recording cannot tell that close from a break, so it stays open until the
        client closes it."""
        with self._cond:
            end = stream._exchange.get("end") or [0, "eof"]
            return (stream in self._joins and end[1] == "error"
                    and _send_data_index(stream._exchange) is None)

    def _took_chunk(self, stream: Any, exchange: dict[str, Any], i: int) -> bool:
        """Whether chunk ``i`` of ``exchange`` is still the stream's next one (it was not
        re-bound meanwhile); if so it is taken."""
        with self._cond:
            if stream._exchange is not exchange or stream._i != i:
                return False
            stream._i = i + 1
            if i == _send_data_index(exchange):
                stream._sent = _sent_event(exchange)  # what its job will post with
            return True

    def _pass_locked(self, seq: int) -> None:
        self._seen.add(seq)
        while self._low < len(self._gates) and self._gates[self._low] in self._seen:
            self._low += 1
        self._cond.notify_all()

    def _open_locked(self, seq: int, own: frozenset[int] | None = None) -> bool:
        """Whether every gate (client action) recorded before ``seq`` has been passed
        (only those of ``own``, if given)."""
        if own is not None:
            return all(g in self._seen for g in own if g < seq)
        return self._low >= len(self._gates) or self._gates[self._low] > seq

    def _own_gates(self, exchange: Mapping[str, Any]) -> frozenset[int]:
        """A per-job stream's own client actions: its GET, and the requests naming the
        event_id it announced (its data, its cancel)."""
        event = _sent_event(exchange)
        own = {int(exchange["seq"])}
        if event is not None:
            for other in self.session["exchanges"]:
                body = (other.get("request") or {}).get("json")
                if isinstance(body, dict) and body.get("event_id") == event:
                    own.add(int(other["seq"]))
        return frozenset(own)

    def wait(self, seq: int, abandoned: Callable[[], bool] = lambda: False,
             own: frozenset[int] | None = None) -> bool:
        """Block until the item recorded at ``seq`` may be delivered; False if closed.

        ``own``: wait only for these client actions (a per-job stream's own), not for
        every one recorded before ``seq``."""
        deadline = time.monotonic() + self.gate_timeout
        with self._cond:
            while not self._open_locked(seq, own):
                if self._closed or abandoned():
                    return False
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._skip_locked(seq, own)
                    break
                self._cond.wait(min(remaining, 0.05))
            return not (self._closed or abandoned())

    async def await_(self, seq: int, abandoned: Callable[[], bool] = lambda: False,
                     own: frozenset[int] | None = None) -> bool:
        deadline = time.monotonic() + self.gate_timeout
        while True:
            with self._cond:
                if self._closed or abandoned():
                    return False
                if self._open_locked(seq, own):
                    return True
                if time.monotonic() >= deadline:
                    self._skip_locked(seq, own)
                    return True
            await _async_sleep(0.002)

    def _skip_locked(self, seq: int, own: frozenset[int] | None = None) -> None:
        gates = self._gates[self._low:] if own is None else sorted(own)
        missing = [g for g in gates if g < seq and g not in self._seen]
        self.problems.append(
            f"gave up waiting for recorded client action(s) seq {missing[:5]} before seq {seq}"
        )
        for g in missing:
            self._seen.add(g)
        self._pass_locked(-1)

    def blob(self, name: str) -> str:
        if self._blobs is None:
            raise FileNotFoundError(f"session refers to blob {name} but has no blobs folder")
        return _text((self._blobs / name).read_bytes())

    def body_of(self, exchange: Mapping[str, Any]) -> bytes:
        if "blob" in exchange:
            text = self.blob(exchange["blob"])
        else:
            text = exchange.get("body", "")
        return _bytes(self.names.show(text))

    def response(self, request: httpx.Request, exchange: dict[str, Any] | None,
                 asynchronous: bool) -> httpx.Response:
        if exchange is None:
            if _HEARTBEAT.search(request.url.path):
                stream: Any = (_AsyncReplayStream if asynchronous else _ReplayStream)(self, None)
                return httpx.Response(200, headers={"content-type": "text/event-stream"},
                                      stream=stream, request=request)
            return httpx.Response(
                404, content=b'{"detail":"replay: no recorded exchange"}',
                headers={"content-type": "application/json"}, request=request,
            )
        if "error" in exchange:
            raise httpx.ConnectError(exchange["error"], request=request)
        headers = exchange.get("headers", {})
        if "chunks" in exchange:
            stream = (_AsyncReplayStream if asynchronous else _ReplayStream)(self, exchange)
            if "/queue/join?" in exchange.get("url", ""):
                with self._cond:
                    self._joins.append(stream)
            return httpx.Response(exchange["status"], headers=headers, stream=stream,
                                  request=request)
        return httpx.Response(exchange["status"], headers=headers,
                              content=self.body_of(exchange), request=request)

    def _connect_ws(self, url: str, **kwargs: Any) -> _sync_ws.SyncWebSocket:
        # A socket is bound to the first recorded one not in use; it may be re-bound when
        # it sends its data frame (Gradio 3.x), which names the job: many sockets to one
        # URL connect in whatever order their threads run.
        hidden = self.names.hide(url)
        with self._cond:
            exchange = next(
                (e for e in self._ws if e["ws"] == hidden and id(e) not in self._ws_owner), None
            )
            if exchange is None:
                self.problems.append(f"no recorded websocket for {hidden}")
                raise _errors.ConnectionLostError(f"replay: no recorded websocket for {hidden}")
            self._pass_locked(exchange["seq"])
            if "error" in exchange:
                self._ws.remove(exchange)
                raise _errors.ConnectionLostError(exchange["error"])
            ws = _ReplayWebSocket(self, exchange)
            self._ws_owner[id(exchange)] = ws
        return ws

    def _passed_before_locked(self, exchange: dict[str, Any], index: int) -> None:
        """A socket took over ``exchange`` at frame ``index``: what came before happened."""
        self._seen.add(exchange["seq"])
        self._seen.update(seq for seq, way, _ in exchange["frames"][:index] if way == "out")
        self._pass_locked(-1)

    def _rebind_locked(self, ws: _ReplayWebSocket, ordinal: int, text: str) -> None:
        """``ws`` sent its ``ordinal``-th frame ``text``, a data frame: take the recording
        that sent the same frame, swapping with whoever held it."""
        key = _frame_key(text)
        for exchange in self._ws:
            if exchange["ws"] != ws._exchange["ws"]:
                continue
            outs = [i for i, f in enumerate(exchange["frames"]) if f[1] == "out"]
            if ordinal < len(outs) and _frame_key(exchange["frames"][outs[ordinal]][2]) == key:
                break
        else:
            return
        mine = ws._exchange
        if exchange is not mine:
            other = self._ws_owner.get(id(exchange))
            if other is not None:
                other._exchange = mine
                other._i = min(other._i, len(mine["frames"]))
                self._ws_owner[id(mine)] = other
            else:
                self._ws_owner.pop(id(mine), None)
            ws._exchange = exchange
            ws._i = outs[ordinal]
            self._passed_before_locked(exchange, ws._i)
            if other is not None:
                self._passed_before_locked(mine, other._i)
        self._ws.remove(exchange)
        self._ws_owner.pop(id(exchange), None)
        ws._bound = True


_EVENT_ID = re.compile(r'"msg": ?"send_data", ?"event_id": ?"([^"]+)"')


def _send_data_index(exchange: Mapping[str, Any]) -> int | None:
    return next((i for i, (_, text) in enumerate(exchange.get("chunks", ()))
                 if '"send_data"' in text), None)


def _sent_event(exchange: Mapping[str, Any]) -> str | None:
    """The event_id a recorded per-job stream announced (``send_data``)."""
    i = _send_data_index(exchange)
    if i is None:
        return None
    found = _EVENT_ID.search(exchange["chunks"][i][1])
    return found.group(1) if found else None


def _rebind_stream(stream: Any, exchange: dict[str, Any]) -> None:
    """Give ``stream`` another recording, at the same point relative to ``send_data``."""
    old, new = _send_data_index(stream._exchange), _send_data_index(exchange)
    if old is not None and new is not None:
        stream._i = new + 1 if stream._i > old else min(stream._i, new)
    else:
        stream._i = min(stream._i, len(exchange["chunks"]))
    stream._exchange = exchange


def _async_sleep(seconds: float) -> Any:
    import sniffio

    if sniffio.current_async_library() == "trio":
        import trio

        return trio.sleep(seconds)
    import asyncio

    return asyncio.sleep(seconds)


def _heartbeat_end(replay: Replay, closed: Callable[[], bool]) -> None:
    with replay._cond:
        while not (replay._closed or closed()):
            replay._cond.wait(0.05)


class _ReplayStream(httpx.SyncByteStream):
    def __init__(self, replay: Replay, exchange: dict[str, Any] | None) -> None:
        self._replay = replay
        self._exchange = exchange
        self._i = 0  # next chunk (the recording may be swapped: see Replay._rebind_data)
        self._bound = False  # a per-job stream whose job is known (Replay._next_chunk)
        self._sent: str | None = None  # the event_id it announced (send_data)
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        replay = self._replay
        if self._exchange is None:  # a heartbeat: open until closed
            _heartbeat_end(replay, lambda: self._closed)
            return
        while True:
            step = replay._next_chunk(self)
            if step is None:
                break
            exchange, i, seq, text, gated, own = step
            if gated and not replay.wait(seq, lambda: self._closed, own):
                return
            if replay._took_chunk(self, exchange, i):
                yield _bytes(replay.names.show(text))
        if replay._held_open(self):
            _heartbeat_end(replay, lambda: self._closed)
            return
        end = self._exchange.get("end") or [10**12, "eof"]
        if not replay.wait(end[0], lambda: self._closed):
            return
        if end[1] == "error":
            raise httpx.RemoteProtocolError(f"replayed: {end[2] if len(end) > 2 else ''}")

    def close(self) -> None:
        self._closed = True
        with self._replay._cond:
            self._replay._cond.notify_all()


class _AsyncReplayStream(httpx.AsyncByteStream):
    def __init__(self, replay: Replay, exchange: dict[str, Any] | None) -> None:
        self._replay = replay
        self._exchange = exchange
        self._i = 0
        self._bound = False
        self._sent: str | None = None
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        replay = self._replay
        if self._exchange is None:
            while not (replay._closed or self._closed):
                await _async_sleep(0.05)
            return
        while True:
            step = replay._next_chunk(self)
            if step is None:
                break
            exchange, i, seq, text, gated, own = step
            if gated and not await replay.await_(seq, lambda: self._closed, own):
                return
            if replay._took_chunk(self, exchange, i):
                yield _bytes(replay.names.show(text))
        if replay._held_open(self):
            while not (replay._closed or self._closed):
                await _async_sleep(0.05)
            return
        end = self._exchange.get("end") or [10**12, "eof"]
        if not await replay.await_(end[0], lambda: self._closed):
            return
        if end[1] == "error":
            raise httpx.RemoteProtocolError(f"replayed: {end[2] if len(end) > 2 else ''}")

    async def aclose(self) -> None:
        self._closed = True


class ReplayTransport(httpx.BaseTransport):
    """An httpx transport answering from a :class:`Replay` (never touches a socket)."""

    def __init__(self, replay: Replay) -> None:
        self.replay = replay
        self._streams: list[Any] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()
        exchange = None if _HEARTBEAT.search(request.url.path) else self.replay.match(request, content)
        response = self.replay.response(request, exchange, asynchronous=False)
        if isinstance(response.stream, _ReplayStream):
            self._streams.append(response.stream)
        return response

    def close(self) -> None:
        """Ends the streams still being read (the client is closing)."""
        for stream in self._streams:
            stream.close()


class AsyncReplayTransport(httpx.AsyncBaseTransport):
    """The async twin of :class:`ReplayTransport` (trio or asyncio)."""

    def __init__(self, replay: Replay) -> None:
        self.replay = replay

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        content = await request.aread()
        exchange = None if _HEARTBEAT.search(request.url.path) else self.replay.match(request, content)
        return self.replay.response(request, exchange, asynchronous=True)


class _ReplayWebSocket(_sync_ws.SyncWebSocket):
    def __init__(self, replay: Replay, exchange: dict[str, Any]) -> None:
        super().__init__(cast(Any, None), cast(Any, None))
        self._replay = replay
        self._exchange = exchange
        self._i = 0  # next frame of the recording
        self._bound = False

    def messages(self) -> Iterator[str]:
        replay = self._replay
        while True:
            with replay._cond:
                frames = self._exchange["frames"]
                i = self._i
                if i >= len(frames):
                    break
                seq, way, text = frames[i]
                if way == "out":  # the client speaks next
                    deadline = time.monotonic() + replay.gate_timeout
                    while self._i == i and self._exchange["frames"] is frames and not (
                        self._closed or replay._closed
                    ):
                        if time.monotonic() > deadline:
                            replay.problems.append(f"the client never sent {text[:200]}")
                            self._i = i + 1
                            break
                        replay._cond.wait(0.05)
                    if self._closed or replay._closed:
                        return
                    continue
            # Before it names its job, a socket's recording is provisional: its frames are
            # queue statuses, delivered without the global order (whose gates may belong
            # to the job this socket will turn out to be).
            if self._bound and not replay.wait(seq, lambda: self._closed):
                return
            with replay._cond:
                if self._closed or replay._closed:
                    return
                if self._i != i or self._exchange["frames"] is not frames:
                    continue  # re-bound meanwhile
                self._i = i + 1
            yield replay.names.show(text)
        end = self._exchange.get("end") or [10**12, "server", 1006, ""]
        if end[1] == "client":
            _heartbeat_end(replay, lambda: self._closed)
            return
        if replay.wait(end[0], lambda: self._closed):
            self.close_code, self.close_reason = end[2], end[3] or ""
        self._closed = True

    async def amessages(self) -> AsyncIterator[str]:
        """``messages()`` for the async shells: the same script, waiting by polling."""
        replay = self._replay

        def gone() -> bool:
            return self._closed or replay._closed

        while True:
            with replay._cond:
                frames = self._exchange["frames"]
                i = self._i
                if i >= len(frames):
                    break
                seq, way, text = frames[i]
            if way == "out":  # the client speaks next
                deadline = time.monotonic() + replay.gate_timeout
                while self._i == i and self._exchange["frames"] is frames and not gone():
                    if time.monotonic() > deadline:
                        with replay._cond:
                            replay.problems.append(f"the client never sent {text[:200]}")
                            self._i = i + 1
                        break
                    await _async_sleep(0.002)
                if gone():
                    return
                continue
            if self._bound and not await replay.await_(seq, lambda: self._closed):
                return
            with replay._cond:
                if gone():
                    return
                if self._i != i or self._exchange["frames"] is not frames:
                    continue  # re-bound meanwhile
                self._i = i + 1
            yield replay.names.show(text)
        end = self._exchange.get("end") or [10**12, "server", 1006, ""]
        if end[1] == "client":
            while not gone():
                await _async_sleep(0.05)
            return
        if await replay.await_(end[0], lambda: self._closed):
            self.close_code, self.close_reason = end[2], end[3] or ""
        self._closed = True

    def send_text(self, text: str) -> None:
        replay = self._replay
        hidden = replay.names.hide(text)
        with replay._cond:
            frames = self._exchange["frames"]
            ordinal = sum(1 for f in frames[: self._i] if f[1] == "out")
            j = next((k for k in range(self._i, len(frames)) if frames[k][1] == "out"), None)
            try:
                is_data = not self._bound and "data" in json.loads(hidden)
            except (ValueError, TypeError):
                is_data = False
            if is_data:
                replay._rebind_locked(self, ordinal, hidden)
                frames = self._exchange["frames"]
                j = self._i if self._i < len(frames) and frames[self._i][1] == "out" else j
            if j is None:
                replay.problems.append(f"unrecorded websocket frame sent: {hidden[:200]}")
                return
            seq, _, expected = frames[j]
            if _frame_key(expected) != _frame_key(hidden):
                replay.problems.append(
                    f"websocket frame differs: sent {hidden[:200]}, recorded {expected[:200]}"
                )
            self._i = j + 1
            replay._pass_locked(seq)

    def shutdown(self, how: int = 2) -> None:
        with self._replay._cond:
            self._closed = True
            if not self._bound and id(self._exchange) in self._replay._ws_owner:
                # never named its job: it used the recording it was first given
                self._replay._ws_owner.pop(id(self._exchange), None)
                if self._exchange in self._replay._ws:
                    self._replay._ws.remove(self._exchange)
                self._bound = True
            self._replay._cond.notify_all()

    def close(self) -> None:
        self.shutdown()


class _AsyncReplayWebSocket:
    """A recorded websocket as the async shells see one (``_driver.AsyncWebSocket``)."""

    def __init__(self, ws: _ReplayWebSocket) -> None:
        self._ws = ws
        self._messages = ws.amessages()

    async def get_message(self) -> str:
        try:
            return await self._messages.__anext__()
        except StopAsyncIteration:
            code, reason = self._ws.close_code, self._ws.close_reason
        from .shells._driver import WebSocketClosed

        raise WebSocketClosed(code, reason)

    async def send_message(self, text: str) -> None:
        self._ws.send_text(text)  # never blocks: it only checks the frame against the recording


def _frame_key(text: str) -> str:
    try:
        return json.dumps(json.loads(text), sort_keys=True)
    except ValueError:
        return text


# ------------------------------------------------------------------------------ core replay


def replay_machine(machine: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Feed one recorded ``machines`` entry into a fresh ``QueueMachine``.

    Every input the live client gave the machine (submits, cancels, join replies, stream
    bytes, websocket frames, ticks) is given again in order, and each answer is compared
    with the recorded one.  Returns ``(differences, every action produced)``.
    """
    config = msgspec.convert(machine["config"], MachineConfig, strict=False)
    core = QueueMachine(config, machine["session"])
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
        got = [json.loads(json.dumps(describe_action(a))) for a in result]
        produced.extend(got)
        if got != expected:
            differences.append(
                f"seq {seq} {name}{json.dumps(args)[:200]}: actions differ\n"
                f"  got      {json.dumps(got)[:1500]}\n  recorded {json.dumps(expected)[:1500]}"
            )
    return differences, produced

