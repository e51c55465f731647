"""A small fault-injecting HTTP/1.1 reverse proxy for tests (standard library only).

    with FaultProxy("http://127.0.0.1:7860/") as proxy:   # in front of a real app
        client = Client(proxy.url)                        # talks to the app through it
        proxy.respond("POST", r"/queue/join$", 503, {"detail": "Queue is full."}, times=1)
        proxy.stream(StreamFault(cut_on="process_generating"))
        ...
        assert [r.path for r in proxy.requests if r.method == "POST"] == [...]

It binds 127.0.0.1 (or any loopback address given as ``host``) on a free port and forwards
every request to ``upstream`` unchanged (one upstream connection per request, the client's
``Host`` header kept, so URLs the app builds point back at the proxy), answering on
keep-alive connections like a normal server.  ``FaultProxy(None)`` has no upstream: it is a
recording web server that answers 404 except where a rule says otherwise (a "foreign" host
for security tests).

Rules (first match wins, checked in the order they were added)
==============================================================

``respond(method, path, status, body, headers, times=..., delay=..., when=...)``
    Answer matching requests with a canned response instead of forwarding them.  ``body`` may
    be bytes, str or a JSON-able value (then ``content-type: application/json``).  ``delay``
    waits before answering; ``delay=float("inf")`` never answers (the connection hangs until
    the proxy stops or the client gives up).  ``when(request)`` further filters on the
    recorded request (e.g. its JSON body).

``stream(fault, path=r"/queue/data", times=1)``
    Forward matching requests, but pass the server-sent event stream of the response through
    ``fault`` (a ``StreamFault``): frame by frame (one ``data: ...`` event per chunk), each
    frame can be dropped, duplicated, rewritten, preceded or followed by injected frames; the
    stream can be cut in the middle of a frame (the client sees an incomplete chunked read),
    ended cleanly (terminal chunk) early, or held (nothing more forwarded, optionally with
    our own heartbeats).  Subclass ``StreamFault`` and override ``on_frame`` for anything else.

``times`` is how many requests a rule applies to (None: every one); ``rule.hits`` counts
them.  ``clear()`` removes every rule.  Every request is recorded in ``requests`` as a
``Recorded(method, path, headers, body, time)`` (headers lower-cased; the first 1 MiB of the
body), whether forwarded or answered by a rule.

Upstream connections of a faulted stream are closed when the client side is cut or ended,
like a real reverse proxy does, so the server notices the disconnect; ``StreamFault(detach=
True)`` instead keeps reading the upstream stream after a cut and replays what it got, then
the live rest, to the next matching request of the same ``session_hash`` (an edge that keeps
upstream connections across client reconnects: the server never notices the drop).
"""

from __future__ import annotations

import http.client
import json
import queue
import re
import select
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)
BODY_RECORD_LIMIT = 1 << 20
HEARTBEAT = b'data: {"msg": "heartbeat", "event_id": null}\n\n'


def frame(message: Any) -> bytes:
    """One server-sent event carrying ``message`` (a dict is JSON-encoded; bytes/str as is)."""
    if isinstance(message, bytes):
        payload = message
    elif isinstance(message, str):
        payload = message.encode()
    else:
        payload = json.dumps(message).encode()
    return b"data: " + payload + b"\n\n"


@dataclass
class Recorded:
    method: str
    path: str  # path and query, as sent
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes
    time: float  # time.monotonic() when the request head was read

    @property
    def route(self) -> str:
        return urlsplit(self.path).path

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}

    def json(self) -> Any:
        return json.loads(self.body)


class Cut:
    """Frame output: write these bytes (a part of a frame), then drop the connection."""

    def __init__(self, partial: bytes = b"") -> None:
        self.partial = partial


class End:
    """Frame output: end the response cleanly (terminal chunk), forwarding nothing more."""


class Hold:
    """Frame output: from now on forward nothing (see ``StreamFault.hold_heartbeat``)."""


FrameOutput = bytes | Cut | End | Hold
FrameSource = bytes | Callable[[dict[str, Any]], bytes]


@dataclass
class StreamFault:
    """How to mangle one event stream.  Message types are ``msg`` values; ``"*"`` is any.

    drop            types never forwarded
    duplicate       types forwarded twice
    rewrite         message -> replacement message (or None to drop), applied first
    inject_start    raw frames written before anything else
    inject_after    {type: [frame or fn(message) -> frame]}: added after the first frame of
                    that type (``frame()`` builds one; fn gets the triggering message)
    cut_on          cut in the middle of the first frame of this type (client: incomplete read)
    cut_after_bytes cut after this many bytes of the stream, wherever that falls
    end_on          end cleanly instead of forwarding the first frame of this type
    hold_on         forward nothing from the first frame of this type on (``"*"`` = at once,
                    even before any frame arrives)
    hold_heartbeat  while holding, write a heartbeat frame this often (None: stay silent)
    hold_for        stop holding after this many seconds by ending the response cleanly
    detach          on a cut/end, keep the upstream stream for the next request (see module)
    """

    drop: Collection[str] = ()
    duplicate: Collection[str] = ()
    rewrite: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None
    inject_start: list[bytes] = field(default_factory=list)
    inject_after: dict[str, list[FrameSource]] = field(default_factory=dict)
    cut_on: str | None = None
    cut_after_bytes: int | None = None
    end_on: str | None = None
    hold_on: str | None = None
    hold_heartbeat: float | None = None
    hold_for: float | None = None
    detach: bool = False
    # filled while running
    seen: list[dict[str, Any]] = field(default_factory=list)  # every upstream message
    sent: int = 0  # body bytes written to the client

    def __post_init__(self) -> None:
        self._injected: set[str] = set()
        self._fired: set[str] = set()

    def _first(self, kind: str | None, msg_type: str) -> bool:
        if kind is None or kind in self._fired or kind not in ("*", msg_type):
            return False
        self._fired.add(kind)
        return True

    def on_frame(self, raw: bytes, message: dict[str, Any] | None) -> list[FrameOutput]:
        """What to write for one upstream frame (``message`` is None if it is not JSON)."""
        msg_type = str(message.get("msg")) if isinstance(message, dict) else ""
        if message is not None:
            self.seen.append(message)
        if self._first(self.hold_on, msg_type):
            return [Hold()]
        if self._first(self.end_on, msg_type):
            return [End()]
        if self._first(self.cut_on, msg_type):
            return [Cut(raw[: max(1, len(raw) // 2)])]
        if self.rewrite is not None and message is not None:
            message = self.rewrite(message)
            if message is None:
                return []
            raw = frame(message)
        if msg_type in self.drop or "*" in self.drop:
            out: list[FrameOutput] = []
        elif msg_type in self.duplicate:
            out = [raw, raw]
        else:
            out = [raw]
        for kind in (msg_type, "*"):
            if kind in self.inject_after and kind not in self._injected:
                self._injected.add(kind)
                for source in self.inject_after[kind]:
                    out.append(source(message or {}) if callable(source) else source)
        return out


@dataclass
class Rule:
    method: str | None
    path: re.Pattern[str]
    times: int | None
    when: Callable[[Recorded], bool] | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    fault: StreamFault | None = None  # set: forward, then mangle the stream
    hits: int = 0

    def matches(self, request: Recorded) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method is not None and self.method.upper() != request.method:
            return False
        if not self.path.search(request.path):
            return False
        return self.when is None or bool(self.when(request))


class _Detached:
    """An upstream stream kept after the client side was cut (``StreamFault.detach``)."""

    def __init__(
        self, frames: queue.Queue[bytes | None], conn: http.client.HTTPConnection, first: list[bytes]
    ) -> None:
        self.frames = frames
        self.conn = conn
        self.first = first  # frames to replay before the queue (an End's unsent frame)


class FaultProxy:
    """See the module doc.  Use as a context manager, or call ``start()`` / ``stop()``."""

    def __init__(self, upstream: str | None, host: str = "127.0.0.1", port: int = 0) -> None:
        if upstream is not None:
            parts = urlsplit(upstream)
            self.upstream: tuple[str, int] | None = (parts.hostname or "127.0.0.1", parts.port or 80)
        else:
            self.upstream = None
        self.requests: list[Recorded] = []
        self.rules: list[Rule] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._upstreams: set[http.client.HTTPConnection] = set()
        self._detached: dict[str, _Detached] = {}
        self._detaching: dict[str, threading.Event] = {}  # session -> set once it is settled
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.handle_error = lambda request, address: None  # type: ignore[method-assign]  # resets are expected
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self.host = host
        self.port = int(self._server.server_address[1])
        self.url = f"http://{host}:{self.port}/"
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True,
            name=f"fault-proxy-{self.port}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            sockets, self._sockets = list(self._sockets), set()
            upstreams, self._upstreams = list(self._upstreams), set()
            detached, self._detached = list(self._detached.values()), {}
        for sock in sockets:
            _shutdown(sock)
        for conn in upstreams + [d.conn for d in detached]:
            _close_upstream(conn)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ scripting

    def respond(
        self,
        method: str | None,
        path: str,
        status: int,
        body: Any = b"",
        headers: dict[str, str] | None = None,
        *,
        times: int | None = None,
        delay: float = 0.0,
        when: Callable[[Recorded], bool] | None = None,
    ) -> Rule:
        """Answer requests matching ``method`` (None: any) and ``path`` (a regex searched in
        the path and query) with a canned response; see the module doc."""
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        if isinstance(body, str):
            data = body.encode()
            hdrs.setdefault("content-type", "text/plain; charset=utf-8")
        elif isinstance(body, bytes):
            data = body
        else:
            data = json.dumps(body).encode()
            hdrs.setdefault("content-type", "application/json")
        rule = Rule(method, re.compile(path), times, when, status, hdrs, data, delay)
        with self._lock:
            self.rules.append(rule)
        return rule

    def stream(
        self,
        fault: StreamFault,
        path: str = r"/queue/data\?",
        *,
        times: int | None = 1,
        when: Callable[[Recorded], bool] | None = None,
    ) -> Rule:
        """Forward matching GETs but mangle their event stream with ``fault``."""
        rule = Rule("GET", re.compile(path), times, when, fault=fault)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def release_detached(self) -> None:
        """Close upstream streams kept by ``detach`` faults and not claimed again."""
        with self._lock:
            detached, self._detached = list(self._detached.values()), {}
        for d in detached:
            _close_upstream(d.conn)

    # ------------------------------------------------------------------ queries

    def seen(self, method: str | None = None, path: str = "") -> list[Recorded]:
        """Recorded requests with this method (None: any) whose path matches ``path``."""
        pattern = re.compile(path)
        with self._lock:
            return [
                r for r in self.requests
                if (method is None or r.method == method.upper()) and pattern.search(r.path)
            ]

    # ------------------------------------------------------------------ internals

    def _match(self, request: Recorded) -> Rule | None:
        with self._lock:
            self.requests.append(request)
            for rule in self.rules:
                if rule.matches(request):
                    rule.hits += 1
                    return rule
        return None

    def _track(self, obj: Any, add: bool = True) -> None:
        with self._lock:
            target = self._sockets if isinstance(obj, socket.socket) else self._upstreams
            if add:
                target.add(obj)
            else:
                target.discard(obj)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _close_upstream(conn: http.client.HTTPConnection) -> None:
    sock = conn.sock
    if sock is not None:
        _shutdown(sock)
    conn.close()


class _Handler(BaseHTTPRequestHandler):
    owner: FaultProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def setup(self) -> None:
        super().setup()
        self.owner._track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.owner._track(self.connection, add=False)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = do_GET

    # ------------------------------------------------------------------ one request

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(parts)
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        body = self._read_body()
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        request = Recorded(self.command, self.path, headers, body[:BODY_RECORD_LIMIT], time.monotonic())
        rule = self.owner._match(request)
        try:
            if rule is not None and rule.fault is None:
                self._canned(rule)
            elif self.owner.upstream is None:
                self._send(404, {"content-type": "text/plain"}, b"not found")
            else:
                self._forward(request, body, rule.fault if rule is not None else None)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    def _canned(self, rule: Rule) -> None:
        if rule.delay:
            if self.owner._closing.wait(rule.delay if rule.delay != float("inf") else None):
                self.close_connection = True
                return
        self._send(rule.status, rule.headers, rule.body)

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response_only(status)
        for name, value in headers.items():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def _forward(self, request: Recorded, body: bytes, fault: StreamFault | None) -> None:
        assert self.owner.upstream is not None
        session = request.query.get("session_hash", "")
        if fault is None and session:
            with self.owner._lock:
                settling = self.owner._detaching.get(session)
            if settling is not None:  # the cut stream of this session is still being kept
                settling.wait(10)
            with self.owner._lock:
                kept = self.owner._detached.pop(session, None) if "/queue/data" in request.route else None
            if kept is not None:  # a detached upstream stream: resume it for this client
                self._resume(kept)
                return
        conn = http.client.HTTPConnection(*self.owner.upstream, timeout=None)
        self.owner._track(conn)
        settled: threading.Event | None = None
        if fault is not None and fault.detach and session:
            settled = threading.Event()
            with self.owner._lock:
                self.owner._detaching[session] = settled
        try:
            upstream_headers = {
                k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP
            }
            conn.request(self.command, self.path, body=body or None, headers=upstream_headers)
            response = conn.getresponse()
            content_type = response.getheader("content-type", "")
            reply_headers = [
                (k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP
            ]
            if "text/event-stream" not in content_type:
                data = response.read()
                self.send_response_only(response.status, response.reason)
                for k, v in reply_headers:
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                self.wfile.flush()
                return
            self.send_response_only(response.status, response.reason)
            for k, v in reply_headers:
                self.send_header(k, v)
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            frames: queue.Queue[bytes | None] = queue.Queue()
            threading.Thread(
                target=_pump, args=(response, frames), daemon=True, name="fault-proxy-pump"
            ).start()
            unsent: list[bytes] = []
            keep = self._relay(frames, fault or StreamFault(), unsent)
            if keep and fault is not None and fault.detach and session:
                with self.owner._lock:
                    self.owner._detached[session] = _Detached(frames, conn, unsent)
                conn = None  # type: ignore[assignment]  # kept for the next client
        finally:
            if conn is not None:
                self.owner._track(conn, add=False)
                _close_upstream(conn)
            if settled is not None:
                with self.owner._lock:
                    if self.owner._detaching.get(session) is settled:
                        del self.owner._detaching[session]
                settled.set()

    def _resume(self, kept: _Detached) -> None:
        self.send_response_only(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        try:
            for raw in kept.first:
                self._chunk(raw)
            self._relay(kept.frames, StreamFault(), [])
        finally:
            _close_upstream(kept.conn)

    def _chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def _relay(self, frames: queue.Queue[bytes | None], fault: StreamFault, unsent: list[bytes]) -> bool:
        """Write frames through ``fault``; True if the upstream should be kept (cut/end, or
        the client went away, with ``fault.detach``).

        An ``End`` leaves the frame that triggered it unsent (appended to ``unsent``, so a
        detached stream replays it); a ``Cut`` loses its frame, as a real cut would."""
        try:
            return self._relay_frames(frames, fault, unsent)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client dropped the stream
            return fault.detach

    def _relay_frames(self, frames: queue.Queue[bytes | None], fault: StreamFault, unsent: list[bytes]) -> bool:
        for raw in fault.inject_start:
            self._chunk(raw)
            fault.sent += len(raw)
        holding = False
        hold_started = 0.0
        if fault.hold_on == "*":
            fault._fired.add("*")
            holding, hold_started = True, time.monotonic()
        while not self.owner._closing.is_set():
            wait = 0.2
            if holding and fault.hold_heartbeat is not None:
                wait = fault.hold_heartbeat
            try:
                raw = frames.get(timeout=wait)
            except queue.Empty:
                if self._client_gone():
                    self.close_connection = True
                    return fault.detach
                if holding:
                    if fault.hold_for is not None and time.monotonic() - hold_started >= fault.hold_for:
                        self._end()
                        return fault.detach
                    if fault.hold_heartbeat is not None:
                        self._chunk(HEARTBEAT)
                continue
            if raw is None:  # upstream ended
                self._end()
                return False
            if holding:
                fault.on_frame(raw, _parse(raw))  # keep recording what the server sent
                if fault.hold_heartbeat is not None and _is_heartbeat(raw):
                    self._chunk(raw)
                continue
            for out in fault.on_frame(raw, _parse(raw)):
                if isinstance(out, Hold):
                    holding, hold_started = True, time.monotonic()
                elif isinstance(out, End):
                    unsent.append(raw)
                    self._end()
                    return True
                elif isinstance(out, Cut):
                    self._cut(out.partial)
                    return True
                else:
                    if fault.cut_after_bytes is not None and fault.sent + len(out) > fault.cut_after_bytes:
                        self._cut(out[: max(0, fault.cut_after_bytes - fault.sent)])
                        return True
                    self._chunk(out)
                    fault.sent += len(out)
        return False

    def _client_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _end(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        self.close_connection = True

    def _cut(self, partial: bytes) -> None:
        """A chunk announcing a whole frame but carrying only part of it, then the socket dies."""
        if partial:
            self.wfile.write(b"%x\r\n%s" % (len(partial) * 2, partial))
            self.wfile.flush()
        self.close_connection = True
        _shutdown(self.connection)


def _pump(response: http.client.HTTPResponse, frames: queue.Queue[bytes | None]) -> None:
    """Split the upstream event stream into frames (``data: ...`` lines plus the blank line)."""
    buf: list[bytes] = []
    try:
        while True:
            line = response.readline()
            if not line:
                break
            buf.append(line)
            if line in (b"\n", b"\r\n"):
                frames.put(b"".join(buf))
                buf = []
    except Exception:  # noqa: BLE001 - the connection was closed under us: end of stream
        pass
    if buf:
        frames.put(b"".join(buf))
    frames.put(None)


def _parse(raw: bytes) -> dict[str, Any] | None:
    text = b"".join(
        line[5:].strip() for line in raw.splitlines() if line.startswith(b"data:")
    )
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _is_heartbeat(raw: bytes) -> bool:
    message = _parse(raw)
    return message is not None and message.get("msg") == "heartbeat"


def iter_messages(frames: list[bytes]) -> Iterator[dict[str, Any]]:
    """Decode frames recorded elsewhere (helper for tests)."""
    for raw in frames:
        message = _parse(raw)
        if message is not None:
            yield message


__all__ = ["Cut", "End", "FaultProxy", "Hold", "Recorded", "Rule", "StreamFault", "frame"]
