"""A small local stand-in for the Hugging Face Hub HTTP API (stdlib only, a thread on 127.0.0.1).

Point a client at it with ``HF_ENDPOINT=hub.url`` (the ``hub`` fixture does that).  It answers the
Space routes that clients use to resolve ``"owner/name"`` (docs/wire.md, "Resolving a Space id"):

    GET /api/spaces/{owner}/{name}          {"id", "host", "private", "subdomain",
                                             "runtime": {"stage", "hardware": {"current", "requested"}}}
    GET /api/spaces/{owner}/{name}/runtime  {"stage", "hardware": {"current", "requested"}}
    GET /api/spaces/{owner}/{name}/host     {"host", "subdomain"}

Routes for ``Client.duplicate`` (huggingface_hub's ``whoami``, ``duplicate_repo``,
``add_space_secret``, ``request_space_hardware``, ``set_space_sleep_time``), all needing
``Authorization: Bearer <a known user's token>`` (``add_user``), else 401:

    GET  /api/whoami-v2                           {"type": "user", "name": <the token's user>}
    POST /api/spaces/{owner}/{name}/duplicate     {"repository": "ns/name", "visibility": ...}
                                                  -> {"url": ...}; 409 if it exists; the copy
                                                  serves the original's host, cpu-basic, private
                                                  unless visibility is "public"
    POST /api/spaces/{owner}/{name}/secrets       {"key", "value"}   (kept in Space.secrets)
    POST /api/spaces/{owner}/{name}/hardware      {"flavor"}         -> runtime
    POST /api/spaces/{owner}/{name}/sleeptime     {"seconds"}        -> runtime

Like the real Hub: an unknown id gives 404 ``{"error": "Repository not found"}``; a private Space
without ``Authorization: Bearer <its token>`` gives 401 ``{"error": "Invalid username or
password."}`` (both with an ``X-Error-Code: RepoNotFound`` header).  Every request is recorded
(method, path, headers, body) so tests can assert what a client sent.

    with FakeHub() as hub:
        hub.add_space("owner/app", host=gradio_app, private=True, token="hf_x", stage="BUILDING")
        hub.set_stage("owner/app", "RUNNING", after=1.0)    # e.g. BUILDING -> RUNNING later
        ...
        assert hub.requests_for("/api/spaces/owner/app")[0].headers["authorization"] == "Bearer hf_x"
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

STAGES = ("RUNNING", "RUNNING_BUILDING", "BUILDING", "APP_STARTING", "SLEEPING", "STOPPED", "PAUSED",
          "RUNTIME_ERROR", "BUILD_ERROR", "CONFIG_ERROR", "NO_APP_FILE")

NOT_FOUND = {"error": "Repository not found"}
UNAUTHORIZED = {"error": "Invalid username or password."}


@dataclass
class Space:
    id: str
    host: str
    private: bool = False
    stage: str = "RUNNING"
    token: str | None = None
    hardware: str = "cpu-basic"
    secrets: dict[str, str] = field(default_factory=dict)
    sleep_time: int | None = None

    @property
    def subdomain(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.id.lower()).strip("-")

    def runtime(self) -> dict[str, Any]:
        runtime: dict[str, Any] = {"stage": self.stage,
                                   "hardware": {"current": self.hardware, "requested": self.hardware}}
        if self.sleep_time is not None:
            runtime["gcTimeout"] = self.sleep_time
        return runtime

    def info(self) -> dict[str, Any]:
        owner = self.id.split("/")[0]
        return {"_id": f"fake-{self.subdomain}", "id": self.id, "author": owner, "host": self.host,
                "private": self.private, "subdomain": self.subdomain, "sdk": "gradio",
                "runtime": self.runtime()}


@dataclass
class RecordedRequest:
    method: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""
    time: float = field(default_factory=time.time)


class FakeHub:
    def __init__(self, spaces: dict[str, dict[str, Any]] | None = None) -> None:
        self.spaces: dict[str, Space] = {}
        self.users: dict[str, str] = {}  # token -> user name
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._timers: list[threading.Timer] = []
        for space_id, conf in (spaces or {}).items():
            self.add_space(space_id, **conf)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        """e.g. "http://127.0.0.1:PORT" (no trailing slash, like HF_ENDPOINT)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeHub:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, name="fake-hub", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ spaces
    def add_space(self, space_id: str, host: str | None = None, private: bool = False,
                  stage: str = "RUNNING", token: str | None = None, hardware: str = "cpu-basic") -> Space:
        """``host`` is where the Space's app answers (a local gradio app's url in tests); without
        one, the real Hub's form ``https://<owner>-<name>.hf.space`` is used (never reachable here)."""
        if private and not token:
            raise ValueError("a private Space needs the token that unlocks it")
        space = Space(space_id, host or "", private, stage, token, hardware)
        if not host:
            space.host = f"https://{space.subdomain}.hf.space"
        with self._lock:
            self.spaces[space_id] = space
        return space

    def set_stage(self, space_id: str, stage: str, after: float = 0.0) -> None:
        """Change a Space's stage now, or ``after`` seconds from now (in a timer thread)."""
        def apply() -> None:
            with self._lock:
                self.spaces[space_id].stage = stage

        if after <= 0:
            apply()
        else:
            timer = threading.Timer(after, apply)
            timer.daemon = True
            self._timers.append(timer)
            timer.start()

    def add_user(self, name: str, token: str) -> None:
        """A Hub user, known by ``Authorization: Bearer <token>`` (whoami, duplicate, ...)."""
        with self._lock:
            self.users[token] = name

    def remove_space(self, space_id: str) -> None:
        with self._lock:
            self.spaces.pop(space_id, None)

    # ---------------------------------------------------------------- requests
    def requests_for(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # ----------------------------------------------------------------- routing
    def handle(self, req: RecordedRequest) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append(req)
            if req.method == "POST" or req.path == "/api/whoami-v2":
                return self._handle_write(req)
            m = re.fullmatch(r"/api/spaces/([^/]+)/([^/]+)(/runtime|/host)?/?", req.path)
            if req.method != "GET" or not m:
                return 404, {"error": "Sorry, we can't find the page you are looking for."}
            space = self.spaces.get(f"{m.group(1)}/{m.group(2)}")
            if space is None:
                return 404, NOT_FOUND
            if space.private:
                auth = req.headers.get("authorization", "")
                if auth != f"Bearer {space.token}":
                    return 401, UNAUTHORIZED
            route = m.group(3)
            if route == "/runtime":
                return 200, space.runtime()
            if route == "/host":
                return 200, {"host": space.host, "subdomain": space.subdomain}
            return 200, space.info()

    def _handle_write(self, req: RecordedRequest) -> tuple[int, dict[str, Any]]:
        """whoami and the POST routes of ``Client.duplicate`` (called holding the lock)."""
        auth = req.headers.get("authorization", "")
        user = self.users.get(auth[len("Bearer "):]) if auth.startswith("Bearer ") else None
        if user is None:
            return 401, UNAUTHORIZED
        if req.path == "/api/whoami-v2":
            return 200, {"type": "user", "name": user, "fullname": user, "orgs": []}
        m = re.fullmatch(r"/api/spaces/([^/]+)/([^/]+)/(duplicate|secrets|hardware|sleeptime)/?",
                         req.path)
        if not m:
            return 404, {"error": "Sorry, we can't find the page you are looking for."}
        try:
            body = json.loads(req.body or b"{}")
        except ValueError:
            return 400, {"error": "Invalid JSON body"}
        space = self.spaces.get(f"{m.group(1)}/{m.group(2)}")
        if space is None or (space.private and space.token != auth[len("Bearer "):]
                             and not space.id.startswith(user + "/")):
            return 404, NOT_FOUND
        route = m.group(3)
        if route == "duplicate":
            target = body.get("repository")
            if not isinstance(target, str) or target.count("/") != 1:
                return 400, {"error": "Invalid repository name"}
            if target in self.spaces:
                return 409, {"error": "You already created this space repo"}
            private = body.get("visibility", "private" if body.get("private") else "public") != "public"
            copy = Space(target, space.host, private, "RUNNING",
                         auth[len("Bearer "):] if private else None, "cpu-basic")
            self.spaces[target] = copy
            return 200, {"url": f"https://huggingface.co/spaces/{target}"}
        if not space.id.startswith(user + "/"):
            return 403, {"error": "You don't have the rights to change this Space"}
        if route == "secrets":
            if not isinstance(body.get("key"), str) or not isinstance(body.get("value"), str):
                return 400, {"error": "key and value must be strings"}
            space.secrets[body["key"]] = body["value"]
            return 200, {}
        if route == "hardware":
            if not isinstance(body.get("flavor"), str):
                return 400, {"error": "flavor must be a string"}
            space.hardware = body["flavor"]
            return 200, space.runtime()
        if not isinstance(body.get("seconds"), int):
            return 400, {"error": "seconds must be an integer"}
        space.sleep_time = body["seconds"]
        return 200, space.runtime()


def _make_handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            req = RecordedRequest(self.command, parts.path, parts.query,
                                  {k.lower(): v for k, v in self.headers.items()}, body)
            status, payload = hub.handle(req)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            if status in (401, 404) and payload in (NOT_FOUND, UNAUTHORIZED):
                self.send_header("X-Error-Code", "RepoNotFound")
                self.send_header("X-Error-Message", payload["error"])
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    return Handler
