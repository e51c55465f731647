"""Issue 12 item 3 end to end: a server that keeps a job alive without ever moving it.

A tiny real HTTP server (stdlib ``http.server`` on 127.0.0.1) serves the config and API info
captured from gradio 6.31.0 (tests/data/configs/gradio-6.31.0), accepts the join, and then
misbehaves on ``GET /gradio_api/queue/data``:

* ``estimation`` / ``process_starts``: every stream says the job is queued (or running)
  and ends with ``close_stream``, forever.  The client used to reopen at once, ~800 GETs a
  second, and never return; now the job fails with ``StalledStreamError`` (a
  ``ConnectionLostError``) after ``max_reconnects`` + 1 = 6 stream opens, with backoff.
* ``deep``: the completion's output is nested 5,000 levels deep, beyond the decoder's
  recursion limit.  It used to count as a transport error (reopen at once, forever); now
  the job fails with ``MalformedMessageError`` (a ``RemoteProtocolError``) after one open.
* ``bad_fields``: advisory fields that cannot be read (a float rank, a negative queue size,
  a text ETA, a negative progress index) precede a good completion: the job succeeds.

Each run prints the requests the job took and the seconds it ran.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from gradio_client.protocol.errors import (
    ConnectionLostError,
    MalformedMessageError,
    RemoteProtocolError,
    StalledStreamError,
)

from .conftest import connected, ends_once

CAPTURE = Path(__file__).resolve().parent.parent / "data" / "configs" / "gradio-6.31.0"
PREFIX = "/gradio_api"


def sse(message: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(message).encode() + b"\n\n"


def deep_completion(event_id: str, levels: int = 5_000) -> bytes:
    head = json.dumps({"msg": "process_completed", "event_id": event_id})[:-1].encode()
    return b"data: " + head + b', "output": {"data": [' + b"[" * levels + b"]" * levels + b"]}, \"success\": true}\n\n"


def stream_body(behaviour: str, event_id: str) -> bytes:
    close = sse({"msg": "close_stream", "event_id": None})
    if behaviour == "estimation":
        return sse({"msg": "estimation", "event_id": event_id, "rank": 0, "queue_size": 1, "rank_eta": 1.0}) + close
    if behaviour == "process_starts":
        return sse({"msg": "process_starts", "event_id": event_id, "eta": None}) + close
    if behaviour == "deep":
        return sse({"msg": "process_starts", "event_id": event_id}) + deep_completion(event_id) + close
    assert behaviour == "bad_fields"
    return b"".join(
        [
            sse({"msg": "estimation", "event_id": event_id, "rank": 1.5, "queue_size": -3, "rank_eta": "soon"}),
            sse({"msg": "process_starts", "event_id": event_id, "eta": -1}),
            sse({"msg": "progress", "event_id": event_id, "progress_data": [{"index": -1, "length": 1e300}, 7]}),
            sse({"msg": "log", "event_id": event_id, "log": 5, "level": None}),
            sse({"msg": "process_completed", "event_id": event_id,
                 "output": {"data": [42], "duration": "long"}, "success": True}),
            close,
        ]
    )


class HostileServer:
    """Speaks just enough Gradio 6.31 to take a job, then ``behaviour`` on every stream."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.requests: list[tuple[float, str, str]] = []  # (time, method, path)
        self.events: dict[str, list[str]] = {}  # session -> event ids
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.handle(self, "GET")

            def do_POST(self) -> None:
                server.handle(self, "POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        config = json.loads((CAPTURE / "config.json").read_text())
        config["root"] = self.url.rstrip("/")
        self.documents = {
            "/config": json.dumps(config).encode(),
            f"{PREFIX}/info": (CAPTURE / "info.json").read_bytes(),
            f"{PREFIX}/info?all": (CAPTURE / "info_all_endpoints.json").read_bytes(),
        }
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)

    def seen(self, method: str, path: str) -> list[float]:
        with self.lock:
            return [t for t, m, p in self.requests if m == method and p == path]

    def handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(request.path)
        with self.lock:
            self.requests.append((time.monotonic(), method, url.path))
        body = b""
        if method == "POST":
            body = request.rfile.read(int(request.headers.get("content-length") or 0))
        if method == "GET" and url.path == "/config":
            return self.reply(request, 200, self.documents["/config"])
        if method == "GET" and url.path == f"{PREFIX}/info":
            key = f"{PREFIX}/info?all" if "all_endpoints" in url.query else f"{PREFIX}/info"
            return self.reply(request, 200, self.documents[key])
        if method == "POST" and url.path == f"{PREFIX}/queue/join":
            session = json.loads(body)["session_hash"]
            with self.lock:
                events = self.events.setdefault(session, [])
                events.append(f"ev{len(events)}-{session[:6]}")
                event_id = events[-1]
            return self.reply(request, 200, json.dumps({"event_id": event_id}).encode())
        if method == "GET" and url.path == f"{PREFIX}/queue/data":
            session = parse_qs(url.query).get("session_hash", [""])[0]
            with self.lock:
                event_id = (self.events.get(session) or ["none"])[-1]
            payload = stream_body(self.behaviour, event_id)
            request.send_response(200)
            request.send_header("content-type", "text/event-stream; charset=utf-8")
            request.send_header("connection", "close")
            request.end_headers()
            request.wfile.write(payload)
            request.wfile.flush()
            request.close_connection = True
            return None
        if method == "POST" and url.path == f"{PREFIX}/cancel":
            return self.reply(request, 200, b'{"success": true}')
        return self.reply(request, 404, b'{"detail": "Not Found"}')

    @staticmethod
    def reply(request: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        request.send_response(status)
        request.send_header("content-type", "application/json")
        request.send_header("content-length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Iterator[HostileServer]:
    with HostileServer(request.param) as server:
        yield server


STREAM = f"{PREFIX}/queue/data"


@pytest.mark.parametrize("hostile", ["estimation", "process_starts"], indirect=True)
async def test_a_stream_that_never_moves_the_job_ends_it(kind: str, hostile: HostileServer, tmp_path: Path) -> None:
    async with connected(kind, hostile.url, tmp_path) as app:
        joined_before = len(hostile.seen("POST", f"{PREFIX}/queue/join"))
        started = time.monotonic()
        job = await app.submit(1, 2, api_name="/add")
        error = await ends_once(job, StalledStreamError)
        took = time.monotonic() - started
        assert isinstance(error, ConnectionLostError)  # what callers already catch
        assert "without progress" in str(error)
        gets = hostile.seen("GET", STREAM)
        assert len(gets) == 6, gets  # the first open and max_reconnects (5) reopens
        # backoff: one quick retry, then each wait at least as long as the one before
        gaps = [b - a for a, b in zip(gets, gets[1:])]
        assert all(later >= earlier * 0.9 for earlier, later in zip(gaps[1:], gaps[2:])), gaps
        assert len(hostile.seen("POST", f"{PREFIX}/queue/join")) - joined_before == 1
        cancels = hostile.seen("POST", f"{PREFIX}/cancel")
        assert len(cancels) <= 1
        statuses = [u.code.name for u in job.updates()]
        assert len(statuses) <= 2 * len(gets) + 2, statuses
        with hostile.lock:
            seen = Counter(f"{m} {p}" for _, m, p in hostile.requests)
        assert sum(seen.values()) <= 12, seen  # connect (config, info), heartbeat, join, streams, cancel
        print(f"\n[{kind}/{hostile.behaviour}] {len(gets)} stream GETs, 1 join, {len(cancels)} cancel, "
              f"{len(statuses)} status updates, {sum(seen.values())} requests in all; failed after "
              f"{took:.2f} s: {error}\n  {dict(seen)}")


@pytest.mark.parametrize("hostile", ["deep"], indirect=True)
async def test_an_undecodable_completion_fails_the_job_once(kind: str, hostile: HostileServer, tmp_path: Path) -> None:
    async with connected(kind, hostile.url, tmp_path) as app:
        started = time.monotonic()
        job = await app.submit(1, 2, api_name="/add")
        error = await ends_once(job, MalformedMessageError)
        took = time.monotonic() - started
        assert isinstance(error, RemoteProtocolError) and "RecursionError" in str(error)
        gets = hostile.seen("GET", STREAM)
        assert len(gets) == 1, gets  # never treated as a transport error: no reopen
        print(f"\n[{kind}/deep] {len(gets)} stream GET; failed after {took:.2f} s: {str(error)[:120]}")


@pytest.mark.parametrize("hostile", ["bad_fields"], indirect=True)
async def test_unreadable_advisory_fields_do_not_fail_the_job(kind: str, hostile: HostileServer, tmp_path: Path) -> None:
    async with connected(kind, hostile.url, tmp_path) as app:
        job = await app.submit(1, 2, api_name="/add")
        assert await ends_once(job) == 42
        queued = [u for u in job.updates() if u.code.name == "IN_QUEUE"]
        assert queued and all(u.rank is None and u.queue_size is None and u.eta is None for u in queued)


@pytest.mark.parametrize("hostile", ["estimation"], indirect=True)
async def test_predict_returns_with_the_typed_error(kind: str, hostile: HostileServer, tmp_path: Path) -> None:
    """The call the issue names: ``predict()`` used to never return."""
    async with connected(kind, hostile.url, tmp_path) as app:
        with pytest.raises(StalledStreamError, match="without progress"):
            await app.predict(1, 2, api_name="/add")
        assert len(hostile.seen("GET", STREAM)) == 6
