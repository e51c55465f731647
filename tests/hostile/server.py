"""A configurable hostile Gradio server (stdlib only), and an "attacker" that records.

``HostileServer`` speaks just enough of the sse_v3 protocol (Gradio 5.x/6.x) to serve the
real config captured from gradio 6.31.0 (``tests/data/configs/gradio-6.31.0``): ``/config``,
``/gradio_api/info``, ``/login``, ``queue/join``, the session stream ``queue/data``, the
heartbeat stream, ``/upload``, ``/file=`` downloads and ``/cancel``.  It answers ``/greet``
with ``"Hello, <name>!"`` and ``/files`` with a file reference (a download), like the app.

Every request kind can be made to misbehave (``Fault``): a redirect on or off origin with
any 3xx code, a gzip bomb, a drip (one byte per interval), silence, an endless stream
(comments or heartbeats), a replay loop (``close_stream`` after an estimation, for ever),
a huge or deeply nested document, wrong types.  ``Attacker`` is a second server on another
port (another origin) that answers anything and records every byte it receives.

    with HostileServer() as app, Attacker() as evil:
        app.faults = [Fault("login", "redirect", code=307, target=evil.url)]
        ...
        assert not evil.requests
"""

from __future__ import annotations

import functools
import json
import os
import socket
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

CONFIGS = Path(__file__).resolve().parent.parent / "data" / "configs" / "gradio-6.31.0"
CONFIG = json.loads((CONFIGS / "config.json").read_text())
INFO = (CONFIGS / "info_all_endpoints.json").read_bytes()
PREFIX = CONFIG["api_prefix"]  # "/gradio_api"
GREET = next(d["id"] for d in CONFIG["dependencies"] if d.get("api_name") == "greet")
FILES = next(d["id"] for d in CONFIG["dependencies"] if d.get("api_name") == "files")
FILE_BYTES = b"downloaded file contents\n" * 4

KINDS = ("hub", "config", "info", "login", "join", "stream", "heartbeat", "upload", "download", "cancel")
ACTIONS = (
    "redirect",  # code (301/302/303/307/308), target (an origin: the attacker, or "self")
    "bomb",  # gzip body that expands to `size` bytes
    "drip",  # the normal body, one byte every `interval` seconds
    "silence",  # headers never sent; the connection held open
    "status",  # HTTP `code` with a short body
    "huge",  # a valid JSON document (or event) of `size` bytes
    "deep",  # a JSON document nested `size` levels deep
    "wrong_types",  # the right shape with wrong field types
    "endless",  # stream: comments for ever (`heartbeats=True`: heartbeat messages)
    "replay",  # stream: estimation + close_stream for the live job, for ever
    "garbage",  # bytes that are not JSON
    "hang",  # stream: the job's first generator output, then silence (no heartbeat) for ever
)
SECRET_TOKEN = "hf_SECRET_TOKEN_4242"
SECRET_HEADER = ("x-custom-secret", "CUSTOM-SECRET-7777")
SECRET_USER, SECRET_PASSWORD = "alice", "PASSWORD-SECRET-9999"
SECRET_COOKIE = "COOKIE-SECRET-5555"
SECRETS = (SECRET_TOKEN, SECRET_HEADER[1], SECRET_PASSWORD, SECRET_COOKIE)

_BOMB_DIR = Path(os.environ.get("GCX_BOMB_DIR", "/tmp/gcx-bombs"))


def gzip_bomb(size: int) -> bytes:
    """One gzip member that expands to ``size`` zero bytes (cached on disk: 1 GiB ~ 1 MB)."""
    path = _BOMB_DIR / f"zeros-{size}.gz"
    if path.exists():
        return path.read_bytes()
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    parts = []
    left = size
    while left > 0:
        n = min(left, len(block))
        parts.append(compressor.compress(block[:n]))
        left -= n
    parts.append(compressor.flush())
    data = b"".join(parts)
    _BOMB_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return data


def warm(faults: list["Fault"]) -> None:
    """Build the big bodies of ``faults`` now, before a session measures memory."""
    for fault in faults:
        if fault.action == "bomb":
            gzip_bomb(fault.size)
        elif fault.action == "huge":
            _huge(fault.size)
            _xs(fault.size)
        elif fault.action == "deep":
            _deep(fault.size)


@dataclass
class Fault:
    """Misbehave at the ``when``-th request of ``kind`` (0-based; None: every one)."""

    kind: str
    action: str
    when: int | None = None
    code: int = 307
    target: str = "self"  # redirect target origin ("self": this server)
    size: int = 0
    interval: float = 0.2
    heartbeats: bool = False

    def matches(self, kind: str, index: int) -> bool:
        return self.kind == kind and (self.when is None or self.when == index)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    raw: bytes  # request line + headers + body, as received


@dataclass
class _Session:
    events: list[tuple[str, int, list[Any]]] = field(default_factory=list)  # (event_id, fn, data)
    cond: threading.Condition = field(default_factory=threading.Condition)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hang up on hostile replies all the time: that is the point


class _Base:
    """A server on 127.0.0.1 in a thread, recording every request."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Any:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def record(self, handler: BaseHTTPRequestHandler, body: bytes) -> Seen:
        head = f"{handler.requestline}\r\n{handler.headers}".encode("latin-1", "replace")
        seen = Seen(
            handler.command,
            handler.path,
            {k.lower(): v for k, v in handler.headers.items()},
            body,
            head + b"\r\n" + body,
        )
        with self.lock:
            self.requests.append(seen)
        return seen

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    length = int(handler.headers.get("content-length") or 0)
    if length:
        return handler.rfile.read(length)
    if "chunked" in (handler.headers.get("transfer-encoding") or "").lower():
        out = b""
        while True:
            size = int(handler.rfile.readline().strip() or b"0", 16)
            if size == 0:
                handler.rfile.readline()
                return out
            out += handler.rfile.read(size)
            handler.rfile.readline()
    return b""


class Attacker(_Base):
    """Another origin: answers every request with 200 and records what it got."""

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                owner.record(self, _read_body(self))
                body = b'{"success": true, "event_id": "evil"}'
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_HEAD = _any

        return Handler

    def leaks(self) -> list[str]:
        """Every secret found in anything this server received."""
        with self.lock:
            raw = b"".join(r.raw for r in self.requests)
        found = [s for s in SECRETS if s.encode() in raw]
        found += [f"header {h}" for r in self.requests for h in ("authorization", "x-hf-authorization", "cookie", SECRET_HEADER[0]) if h in r.headers]
        return found


class HostileServer(_Base):
    """The app.  ``faults`` may be changed between sessions (not during one)."""

    def __init__(self, *, auth: bool = False, time_scale: float = 1.0) -> None:
        self.faults: list[Fault] = []
        self.auth = auth
        #: multiplies the server's own paces: how long a stream waits for events before
        #: close_stream (1 s, then 0.3 s), the heartbeat interval (15 s), how long silence
        #: holds a connection (30 s)
        self.time_scale = time_scale
        self.file_name = "out.txt"  # the name the app gives its output file
        self.counts: dict[str, int] = {}
        self.sessions: dict[str, _Session] = {}
        self.cancelled: list[str] = []
        super().__init__()

    def reset(self, faults: list[Fault] | None = None, *, auth: bool | None = None) -> None:
        warm(list(faults or []))
        with self.lock:
            self.faults = list(faults or [])
            self.counts = {}
            self.sessions = {}
            self.cancelled = []
            self.requests.clear()
            self.file_name = "out.txt"
            if auth is not None:
                self.auth = auth

    def count(self, kind: str | None = None) -> int:
        with self.lock:
            return sum(v for k, v in self.counts.items() if kind is None or k == kind)

    def _fault(self, kind: str) -> Fault | None:
        with self.lock:
            index = self.counts.get(kind, 0)
            self.counts[kind] = index + 1
            for fault in self.faults:
                if fault.matches(kind, index):
                    return fault
        return None

    def session(self, session_hash: str) -> _Session:
        with self.lock:
            return self.sessions.setdefault(session_hash, _Session())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(_AppHandler):
            server_owner = owner

        return Handler


def _kind(method: str, path: str) -> str:
    route = urlsplit(path).path
    if route.startswith(PREFIX):
        route = route[len(PREFIX):]
    if route.startswith("/api/spaces/"):
        return "hub"
    if route == "/config":
        return "config"
    if route.startswith("/info"):
        return "info"
    if route.startswith("/login"):
        return "login"
    if route.startswith("/queue/join"):
        return "join"
    if route.startswith("/queue/data"):
        return "stream"
    if route.startswith("/heartbeat"):
        return "heartbeat"
    if route.startswith("/upload"):
        return "upload"
    if route.startswith("/file="):
        return "download"
    if route.startswith("/cancel"):
        return "cancel"
    return "other"


def _sse(message: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(message).encode() + b"\n\n"


@functools.lru_cache(maxsize=8)
def _config_body(root: str) -> bytes:
    return json.dumps(dict(CONFIG, root=root)).encode()


@functools.lru_cache(maxsize=8)
def _xs(size: int) -> bytes:
    return b"x" * size


@functools.lru_cache(maxsize=8)
def _deep(levels: int) -> bytes:
    return b"[" * levels + b"1" + b"]" * levels


@functools.lru_cache(maxsize=8)
def _huge(size: int) -> bytes:
    """Made once per size (``warm``): the server shares the test's process, whose peak
    RSS the promises measure."""
    filler = max(0, size - 20)
    return b'{"pad": "' + b"x" * filler + b'"}'


class _AppHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    #: headers and body are separate writes: with Nagle's algorithm each reply would wait
    #: for the client's delayed ACK (40 ms); servers in front of Gradio set TCP_NODELAY too
    disable_nagle_algorithm = True
    server_owner: HostileServer

    def log_message(self, *args: Any) -> None:
        pass

    # ------------------------------------------------------------------ plumbing

    def _send(self, code: int, body: bytes, ctype: str = "application/json", headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("content-type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass

    def _stream_head(self, ctype: str = "text/event-stream") -> None:
        self.send_response(200)
        self.send_header("content-type", ctype)
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True

    def _write(self, data: bytes) -> bool:
        try:
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except OSError:
            return False

    def _hold(self, seconds: float = 3600.0) -> None:
        """Keep the connection open without sending anything, until the client leaves."""
        self.close_connection = True
        deadline = time.monotonic() + seconds
        conn: socket.socket = self.connection
        conn.settimeout(0.2)
        while time.monotonic() < deadline and not self.server_owner.stopping.is_set():
            try:
                if conn.recv(1, socket.MSG_PEEK) == b"":
                    return
                conn.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return

    def _misbehave(self, fault: Fault, normal: bytes, ctype: str = "application/json") -> bool:
        """Apply ``fault`` instead of the normal reply; False if the normal path must run."""
        action = fault.action
        if action == "redirect":
            target = self.server_owner.url if fault.target == "self" else fault.target
            location = target + self.path
            if fault.target == "self":
                location = target + "/redirected" + self.path  # same origin, another route
            self._send(fault.code, b"", headers={"location": location})
            return True
        if action == "bomb":
            self._send(200, gzip_bomb(fault.size), ctype, {"content-encoding": "gzip"})
            return True
        if action == "drip":
            self.send_response(200)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(normal)))
            self.end_headers()
            for i in range(len(normal)):
                if not self._write(normal[i:i + 1]) or self.server_owner.stopping.is_set():
                    break
                time.sleep(fault.interval)
            self.close_connection = True
            return True
        if action == "silence":
            self._hold(30.0 * self.server_owner.time_scale)
            return True
        if action == "status":
            self._send(fault.code, b'{"detail": "hostile"}')
            return True
        if action == "huge":
            self._send(200, _huge(fault.size), ctype)
            return True
        if action == "deep":
            self._send(200, _deep(fault.size), ctype)
            return True
        if action == "garbage":
            self._send(200, b"\xff\xfe not json {{{", ctype)
            return True
        return False

    # ------------------------------------------------------------------ routes

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _route(self, method: str) -> None:
        owner = self.server_owner
        body = _read_body(self)
        owner.record(self, body)
        kind = _kind(method, self.path)
        if urlsplit(self.path).path.startswith("/redirected"):
            self.path = self.path[len("/redirected"):]
            kind = _kind(method, self.path)
        fault = owner._fault(kind) if kind != "other" else None
        if owner.auth and kind not in ("login", "hub") and not self._logged_in():
            self._send(401, b'{"detail": "Not authenticated"}')
            return
        getattr(self, f"_do_{kind}")(fault, body)

    def _logged_in(self) -> bool:
        return f"session={SECRET_COOKIE}" in (self.headers.get("cookie") or "")

    def _do_other(self, fault: Fault | None, body: bytes) -> None:
        self._send(404, b'{"detail": "Not Found"}')

    def _do_hub(self, fault: Fault | None, body: bytes) -> None:
        """The Hub's Space info, naming this very server as the Space's host (a Hub
        mirror that serves the app on its own origin)."""
        space_id = urlsplit(self.path).path[len("/api/spaces/"):]
        info = {"id": space_id, "host": self.server_owner.url, "subdomain": "x",
                "runtime": {"stage": "RUNNING"}}
        self._send(200, json.dumps(info).encode())

    def _do_config(self, fault: Fault | None, body: bytes) -> None:
        config = dict(CONFIG, root=self.server_owner.url)
        if fault and fault.action == "wrong_types":
            config = dict(config, protocol=7, api_prefix=["x"], version=None, dependencies={"a": 1})
        normal = json.dumps(config).encode() if fault else _config_body(self.server_owner.url)
        if not (fault and self._misbehave(fault, normal)):
            self._send(200, normal)

    def _do_info(self, fault: Fault | None, body: bytes) -> None:
        normal = INFO
        if fault and fault.action == "wrong_types":
            normal = b'{"named_endpoints": [1, 2], "unnamed_endpoints": "x"}'
        if not (fault and self._misbehave(fault, normal)):
            self._send(200, normal)

    def _do_login(self, fault: Fault | None, body: bytes) -> None:
        if fault and self._misbehave(fault, b'{"success": true}'):
            return
        form = parse_qs(body.decode("latin-1"))
        if form.get("username") == [SECRET_USER] and form.get("password") == [SECRET_PASSWORD]:
            self._send(200, b'{"success": true}', headers={"set-cookie": f"session={SECRET_COOKIE}; Path=/"})
        else:
            self._send(400, b'{"detail": "Incorrect credentials."}')

    def _do_join(self, fault: Fault | None, body: bytes) -> None:
        try:
            payload = json.loads(body)
            session_hash = str(payload["session_hash"])
            fn = int(payload["fn_index"])
            data = list(payload["data"])
        except Exception:
            self._send(422, b'{"detail": "bad join"}')
            return
        event_id = uuid.uuid4().hex
        normal = json.dumps({"event_id": event_id}).encode()
        if fault and fault.action == "wrong_types":
            normal = b'{"event_id": 12345}'
        if fault and self._misbehave(fault, normal):
            return
        session = self.server_owner.session(session_hash)
        with session.cond:
            session.events.append((event_id, fn, data))
            session.cond.notify_all()
        self._send(200, normal)

    def _output(self, fn: int, data: list[Any]) -> list[Any]:
        if fn == FILES:
            url = f"{self.server_owner.url}{PREFIX}/file=/tmp/hostile/out.txt"
            ref = {"path": "/tmp/hostile/out.txt", "url": url, "orig_name": self.server_owner.file_name,
                   "size": len(FILE_BYTES), "meta": {"_type": "gradio.FileData"}}
            return [ref, None]
        name = data[0] if data else ""
        return [f"Hello, {name}!"]

    def _do_stream(self, fault: Fault | None, body: bytes) -> None:
        owner = self.server_owner
        query = parse_qs(urlsplit(self.path).query)
        session = owner.session((query.get("session_hash") or [""])[0])
        if fault and fault.action not in ("endless", "replay", "huge", "deep", "wrong_types", "garbage", "hang"):
            if self._misbehave(fault, b"", "text/event-stream"):
                return
        self._stream_head()
        if fault and fault.action == "endless":
            while not owner.stopping.is_set():
                msg = _sse({"msg": "heartbeat"}) if fault.heartbeats else b": keep-alive\n\n"
                if not self._write(msg):
                    return
                time.sleep(fault.interval)
            return
        pace = owner.time_scale
        idle_until = time.monotonic() + 1.0 * pace
        while not owner.stopping.is_set():
            with session.cond:
                while not session.events and not owner.stopping.is_set():
                    if time.monotonic() > idle_until:
                        break
                    session.cond.wait(0.05 * pace)
                pending = list(session.events)
                session.events.clear()
            if not pending:
                break
            idle_until = time.monotonic() + 0.3 * pace
            for event_id, fn, data in pending:
                if fault and fault.action == "hang":  # a generator that stops mid-way
                    self._write(_sse({"msg": "process_starts", "event_id": event_id, "eta": None}))
                    self._write(_sse({"msg": "process_generating", "event_id": event_id, "success": True,
                                      "output": {"data": self._output(fn, data), "is_generating": True}}))
                    self._hold()
                    return
                if fault and fault.action == "replay":
                    # the live job: an estimation, then the stream closes; never progress
                    self._write(_sse({"msg": "estimation", "event_id": event_id, "rank": 0, "queue_size": 1}))
                    self._write(_sse({"msg": "close_stream"}))
                    with session.cond:  # the reopened stream sees it again
                        session.events.append((event_id, fn, data))
                    return
                messages: list[dict[str, Any]] = [
                    {"msg": "estimation", "event_id": event_id, "rank": 0, "queue_size": 1, "rank_eta": None},
                    {"msg": "process_starts", "event_id": event_id, "eta": None},
                ]
                done: dict[str, Any] = {"msg": "process_completed", "event_id": event_id, "success": True,
                                        "output": {"data": self._output(fn, data), "is_generating": False}}
                chunks = [_sse(m) for m in messages]
                if fault and fault.action == "huge":  # one event of fault.size bytes, sent in parts
                    chunks.append(b'data: {"msg": "log", "level": "info", "event_id": "' + event_id.encode() + b'", "log": "')
                    chunks.append(_xs(fault.size))
                    chunks.append(b'"}\n\n')
                elif fault and fault.action == "deep":
                    chunks.append(b"data: " + json.dumps({"msg": "process_completed", "event_id": event_id,
                                  "success": True}).encode()[:-1] + b', "output": {"data": [' + _deep(fault.size) + b"]}}\n\n")
                    done = {}
                elif fault and fault.action == "wrong_types":
                    chunks.append(_sse({"msg": "estimation", "event_id": event_id, "rank": 1.5, "queue_size": -3}))
                elif fault and fault.action == "garbage":
                    chunks.append(b"data: \xff\xfe{{{ not json\n\n")
                if done:
                    chunks.append(_sse(done))
                for chunk in chunks:
                    if not self._write(chunk):
                        return
        self._write(_sse({"msg": "close_stream"}))

    def _do_heartbeat(self, fault: Fault | None, body: bytes) -> None:
        if fault and fault.action not in ("endless", "huge", "deep", "wrong_types", "replay", "garbage"):
            if self._misbehave(fault, b"", "text/event-stream"):
                return
        self._stream_head()
        while not self.server_owner.stopping.is_set():
            if fault and fault.action == "huge":
                parts = [b"data: ", _xs(fault.size), b"\n\n"]
            else:
                parts = [_sse({"msg": "heartbeat"})]
            if not all(self._write(part) for part in parts):
                return
            end = time.monotonic() + (fault.interval if fault else 15.0 * self.server_owner.time_scale)
            while time.monotonic() < end and not self.server_owner.stopping.is_set():
                time.sleep(0.05)

    def _do_upload(self, fault: Fault | None, body: bytes) -> None:
        normal = b'["/tmp/hostile/uploaded.txt"]'
        if fault and fault.action == "wrong_types":
            normal = b'{"files": 1}'
        if not (fault and self._misbehave(fault, normal)):
            self._send(200, normal)

    def _do_download(self, fault: Fault | None, body: bytes) -> None:
        if not (fault and self._misbehave(fault, FILE_BYTES, "text/plain")):
            self._send(200, FILE_BYTES, "text/plain")

    def _do_cancel(self, fault: Fault | None, body: bytes) -> None:
        self.server_owner.cancelled.append(body.decode("latin-1"))
        if not (fault and self._misbehave(fault, b'{"success": true}')):
            self._send(200, b'{"success": true}')


__all__ = ["ACTIONS", "Attacker", "Fault", "HostileServer", "KINDS", "SECRETS", "gzip_bomb"]
