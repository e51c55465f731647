"""The official client's observable behaviour (issue 11, items 3, 7-12, 14), differentially.

Every check runs the same snippet twice against the same live app: in a subprocess of the
gradio 6.31 env's Python, where ``gradio_client`` is the OFFICIAL client (2.7.2), and in a
subprocess of this interpreter with this checkout first on the path.  The snippet leaves a
JSON-able ``result``; the two results are compared (values, types by name, exception class
names, MROs and first sentences).  Differences that are deliberate are asserted as such,
never skipped.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.servers.gradio_server import gradio_python
from tests.servers.hub import FakeHub

ROOT = Path(__file__).resolve().parent.parent

PRELUDE = r'''
import dataclasses, json, re, sys, time, warnings
P = json.loads(sys.argv[1])

def first_sentence(text):
    line = str(text).strip().split("\n", 1)[0]
    return re.split(r"(?<=[.!?])\s", line, maxsplit=1)[0].rstrip(".")

def exc_info(e):
    return {"cls": type(e).__name__, "mro": [c.__name__ for c in type(e).__mro__],
            "first": first_sentence(e)}

def catch(fn):
    try:
        return {"value": fn()}
    except Exception as e:
        return {"error": exc_info(e)}
'''


def official_python() -> str:
    return os.environ.get("GCX_GRADIO_PYTHON") or str(gradio_python())


def _env(ours: bool, extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update({
        "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_DISABLE_TELEMETRY": "1",
        # anything that tries the internet hits a closed loopback port and fails fast
        "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
    })
    if ours:
        env["PYTHONPATH"] = str(ROOT)
    env.update(extra or {})
    return env


def run_client(ours: bool, code: str, params: dict[str, Any],
               env: dict[str, str] | None = None, timeout: float = 120) -> Any:
    """Run ``code`` with one client; return its ``result`` (JSON)."""
    script = PRELUDE + textwrap.dedent(code) + "\nprint('@@RESULT@@' + json.dumps(result))\n"
    # The official side runs outside the checkout (cwd first on sys.path would shadow it).
    proc = subprocess.run(
        [sys.executable if ours else official_python(), "-c", script, json.dumps(params)],
        capture_output=True, text=True, timeout=timeout, env=_env(ours, env),
        cwd=str(ROOT) if ours else "/",
    )
    marker = [line for line in proc.stdout.splitlines() if line.startswith("@@RESULT@@")]
    assert marker, f"{'ours' if ours else 'official'} failed:\n{proc.stdout}\n{proc.stderr}"
    return json.loads(marker[-1][len("@@RESULT@@"):])


def run_both(code: str, params: dict[str, Any], env: dict[str, str] | None = None) -> tuple[Any, Any]:
    """``(ours, official)`` results of the same snippet."""
    return run_client(True, code, params, env), run_client(False, code, params, env)


def assert_same(ours: Any, official: Any, where: str = "$") -> None:
    """Equal, except that an exception of ours (``exc_info``) may have more base classes:
    same class name, same first sentence, and every class of the official MRO in ours."""
    if isinstance(official, dict) and set(official) == {"cls", "mro", "first"}:
        assert isinstance(ours, dict) and set(ours) == set(official), (where, ours, official)
        assert (ours["cls"], ours["first"]) == (official["cls"], official["first"]), where
        assert set(official["mro"]) <= set(ours["mro"]), (where, ours["mro"], official["mro"])
    elif isinstance(official, dict):
        assert isinstance(ours, dict) and list(ours) == list(official), (where, ours, official)
        for key in official:
            assert_same(ours[key], official[key], f"{where}.{key}")
    elif isinstance(official, list):
        assert isinstance(ours, list) and len(ours) == len(official), (where, ours, official)
        for i, (a, b) in enumerate(zip(ours, official)):
            assert_same(a, b, f"{where}[{i}]")
    else:
        assert ours == official and type(ours) is type(official), (where, ours, official)


def test_the_driver_runs_two_different_clients(gradio_app: str) -> None:
    ours, official = run_both("""
        import gradio_client
        result = gradio_client.__file__
    """, {})
    assert ours.startswith(str(ROOT)) and not official.startswith(str(ROOT))


# ------------------------------------------------------------------ item 3: running()


def test_job_running_is_true_while_the_job_runs(gradio_app: str) -> None:
    ours, official = run_both("""
        from gradio_client import Client
        c = Client(P["url"], verbose=False)
        job = c.submit(1.0, api_name="/slow")
        time.sleep(0.4)
        during = job.running()
        job.result()
        result = {"during": during, "after": job.running(), "done": job.done()}
    """, {"url": gradio_app})
    assert official == {"during": True, "after": False, "done": True}
    assert_same(ours, official)


# ------------------------------------------------------------------ item 7: iterating


ITERATE = """
    from gradio_client import Client
    c = Client(P["url"], verbose=False)
    out = {}
    for name, args in P["calls"]:
        job = c.submit(*args, api_name=name)
        seen, loop_error = [], None
        try:
            for value in job:
                seen.append(value)
        except Exception as e:
            loop_error = exc_info(e)
        out[name] = {"seen": seen, "loop_error": loop_error, "result": catch(job.result),
                     "outputs": job.outputs()}
    result = out
"""


def test_iterating_a_failed_job_ends_the_loop_and_result_raises(gradio_app: str) -> None:
    ours, official = run_both(ITERATE, {"url": gradio_app, "calls": [
        ["/fail", ["broken"]], ["/count", [3]], ["/echo", ["hi"]]]})
    assert official["/fail"]["loop_error"] is None
    assert official["/fail"]["result"]["error"]["cls"] == "AppError"
    # Iterating a job that is not a generator: the official loop races the value's arrival
    # (it yields it, or nothing); here it always yields it.
    assert official["/echo"]["seen"] in ([], ["hi"]) and ours["/echo"]["seen"] == ["hi"]
    official["/echo"]["seen"] = ["hi"]
    assert_same(ours, official)


async def test_async_iteration_of_a_failed_job_ends_too(gradio_app: str) -> None:
    from gradio_client import AsyncClient
    from gradio_client.errors import AppError

    async with AsyncClient(gradio_app, verbose=False) as client:
        job = await client.submit("broken", api_name="/fail")
        updates = [u async for u in job]
        values = [v async for v in job.iter_outputs()]
        with pytest.raises(AppError, match="broken"):
            await job.result()
    assert values == [] and updates[-1].code.name == "FINISHED" and updates[-1].success is False


# ------------------------------------------------------------------ item 8: attributes


def test_client_attributes_match(gradio_app: str) -> None:
    ours, official = run_both("""
        from gradio_client import Client
        from packaging.version import Version
        c = Client(P["url"], verbose=False, token="hf_compat", headers={"X-Extra": "1"})
        headers = dict(c.headers)
        agent = headers.pop("user-agent", "")
        result = {
            "config": c.config, "config_type": type(c.config).__name__,
            "dependencies": len(c.config["dependencies"]),
            "app_version": str(c.app_version), "app_version_type": type(c.app_version).__name__,
            "newer": [c.app_version > Version("4.29.0"), c.app_version >= Version("99")],
            "upload_url": c.upload_url,
            "headers": headers, "agent": agent.split("/")[0], "headers_type": type(c.headers).__name__,
            "live": c.headers is c.headers,
        }
    """, {"url": gradio_app})
    assert official["agent"] == "gradio_client" and official["dependencies"] > 0
    assert_same(ours, official)


# ------------------------------------------------------------------ item 9: status objects


STATUS = """
    import dataclasses
    from gradio_client import Client
    from gradio_client.utils import ProgressUnit, Status, StatusUpdate
    update = StatusUpdate(Status.PROCESSING, 1, 2, 0.5, None, None, None)
    unit = ProgressUnit(1, 3, "steps", None, "x")
    static = {
        "dataclasses": [dataclasses.is_dataclass(StatusUpdate), dataclasses.is_dataclass(ProgressUnit)],
        "status_fields": [f.name for f in dataclasses.fields(StatusUpdate)],
        "unit_fields": [f.name for f in dataclasses.fields(ProgressUnit)],
        "vars_unit": vars(unit), "asdict_unit": dataclasses.asdict(unit),
        "replace": dataclasses.replace(update, rank=5).rank,
        "vars_status": sorted(vars(update)),
        "positional": [update.code.name, update.rank, update.queue_size, update.eta],
    }
    c = Client(P["url"], verbose=False)

    def fields(s):
        return {"code": s.code.name, "rank": s.rank, "queue_size": s.queue_size, "eta": s.eta,
                "success": s.success, "progress": None if s.progress_data is None else
                [{k: [None if k == "index" else v, type(v).__name__] for k, v in vars(p).items()}
                 for p in s.progress_data]}  # the index seen depends on timing: its type only

    seen = {}
    for name, args, wanted in (["/progress", [20], "PROGRESS"], ["/slow", [1.0], "PROCESSING"]):
        for attempt in range(3):  # the official client keeps only the latest status: poll
            job = c.submit(*args, api_name=name)
            while not job.done():
                s = job.status()
                seen.setdefault(s.code.name, fields(s))
                time.sleep(0.002)
            job.result()
            seen["final " + name] = fields(job.status())
            if wanted in seen:
                break
    result = {"static": static, "progress": seen.get("PROGRESS"), "processing": seen.get("PROCESSING"),
              "final": [seen["final /progress"], seen["final /slow"]]}
"""


def test_status_objects_are_official_dataclasses(gradio_app: str) -> None:
    ours, official = run_both(STATUS, {"url": gradio_app})
    assert official["progress"] is not None and official["processing"] is not None
    # our StatusUpdate has the official fields first, in order, plus its own after them
    n = len(official["static"]["status_fields"])
    assert ours["static"]["status_fields"][:n] == official["static"]["status_fields"]
    assert set(ours["static"]["vars_status"]) >= set(official["static"]["vars_status"])
    for part in ("status_fields", "vars_status"):
        ours["static"].pop(part), official["static"].pop(part)
    assert_same(ours, official)


def test_status_objects_stay_cheap() -> None:
    """They are made per message: the copy the shells deliver must stay a dict copy."""
    import datetime

    from gradio_client.protocol.status import Status, StatusUpdate, delivered

    update = StatusUpdate(Status.PROCESSING, eta=2.0)
    seen = delivered(update, datetime.datetime.now())
    assert (seen.eta, seen.process_eta, update.eta) == (None, 2.0, 2.0)
    assert delivered(StatusUpdate(Status.FINISHED, success=True), None).rank == 0


# ------------------------------------------------------------------ item 10: exceptions


class _Site(ThreadingHTTPServer):
    """A local web site that is not a Gradio app (HTML at /, 404 elsewhere, or 404 everywhere)."""

    def __init__(self, mode: str) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                ok = site.mode == "html" and self.path == "/"
                body = b"<html><body>Hello, not gradio</body></html>" if ok else b"<h1>Not Found</h1>"
                self.send_response(200 if ok else 404)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.mode = mode
        super().__init__(("127.0.0.1", 0), Handler)
        self.daemon_threads = True
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


def _silent_server() -> tuple[socket.socket, str]:
    """Accepts connections and never answers (for read timeouts)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}/"


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"


ERRORS = """
    import httpx
    from gradio_client import Client
    from gradio_client.exceptions import AuthenticationError

    def connect(url, **kw):
        return catch(lambda: Client(url, verbose=False, **kw) and None)

    def kinds(outcome):
        e = outcome.get("error")
        return e and {**e, "httpx": [n for n in e["mro"] if n in (
            "ConnectError", "ReadTimeout", "TimeoutException", "HTTPError", "ValueError")]}

    c = Client(P["url"], verbose=False)
    result = {
        "auth_is_value_error": issubclass(AuthenticationError, ValueError),
        "not_gradio_html": kinds(connect(P["html"])),
        "not_gradio_404": kinds(connect(P["missing"])),
        "refused": kinds(connect(P["refused"])),
        "timeout": kinds(connect(P["silent"], httpx_kwargs={"timeout": 0.5})),
        "missing_arg": kinds(catch(lambda: c.predict(api_name="/echo"))),
        "wrong_login": kinds(connect(P["auth_url"], auth=("user", "wrong"))),
        "no_login": kinds(connect(P["auth_url"])),
    }
"""


def _compare_error(ours: dict[str, Any], official: dict[str, Any]) -> None:
    """Same first sentence, and ours is an instance of every class the official one is."""
    assert ours["first"] == official["first"], (ours, official)
    assert set(official["httpx"]) <= set(ours["httpx"]), (ours, official)


def test_exceptions_keep_the_official_classes_and_first_sentence(
    gradio_app: str, gradio_auth_app: str
) -> None:
    html, missing = _Site("html"), _Site("404")
    silent, silent_url = _silent_server()
    try:
        params = {"url": gradio_app, "html": html.url, "missing": missing.url,
                  "refused": _closed_port(), "silent": silent_url, "auth_url": gradio_auth_app}
        ours, official = run_both(ERRORS, params)
    finally:
        html.shutdown(), missing.shutdown(), silent.close()
    assert ours["auth_is_value_error"] is official["auth_is_value_error"] is True
    assert official["not_gradio_html"]["first"].startswith("Could not get Gradio config from")
    assert official["not_gradio_404"]["first"].startswith("Could not fetch config for")
    assert "ConnectError" in official["refused"]["httpx"]
    assert "ReadTimeout" in official["timeout"]["httpx"]
    assert official["no_login"]["cls"] == "AuthenticationError"
    for case in ("not_gradio_html", "not_gradio_404", "refused", "timeout", "missing_arg",
                 "wrong_login", "no_login"):
        _compare_error(ours[case], official[case])
    # wrong credentials: the official client raises a plain ValueError; ours is an
    # AuthenticationError, also a ValueError
    assert official["wrong_login"]["cls"] == "ValueError"
    assert ours["wrong_login"]["cls"] == "AuthenticationError"


def test_max_file_size_message_starts_like_the_official_one(tmp_path: Path) -> None:
    from gradio_client._files import check_upload
    from gradio_client.errors import FileError

    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 20)
    with pytest.raises(FileError) as info:
        check_upload(str(path), 10)
    assert str(info.value).startswith(f"File {path} exceeds the maximum file size of 10 bytes")
    assert isinstance(info.value, ValueError)


# ------------------------------------------------------------------ item 11: headers


class _RecordingProxy(ThreadingHTTPServer):
    """A reverse proxy to the app that records each request's method, path and headers.

    Replies are streamed through (event streams included); each connection serves one request.
    """

    def __init__(self, upstream: str) -> None:
        host, port = upstream.split("//", 1)[1].rstrip("/").split(":")
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.fail: dict[str, int] = {}  # a path fragment -> the status to answer instead
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection", "accept-encoding")}
                proxy.seen.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
                failing = [code for part, code in proxy.fail.items() if part in self.path]
                if failing:
                    self.send_response(failing[0])
                    self.send_header("Content-Length", "4")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(b"boom")
                    return
                conn = HTTPConnection(host, int(port), timeout=60)
                conn.request(self.command, self.path, body=body, headers=headers)
                reply = conn.getresponse()
                self.send_response(reply.status)
                for key, value in reply.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Connection", "close")
                self.end_headers()
                while chunk := reply.read1(65536):
                    self.wfile.write(chunk)
                    self.wfile.flush()
                conn.close()

            do_GET = do_POST = _forward

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.daemon_threads = True
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


HEADERS = """
    from gradio_client import Client
    c = Client(P["url"], verbose=False)
    value = c.predict("hi", api_name="/echo", headers={"X-Gradio-User": "spoof", "X-Call": "1"})
    result = value
"""


@pytest.fixture
def proxy(gradio_app: str) -> Iterator[_RecordingProxy]:
    server = _RecordingProxy(gradio_app)
    yield server
    server.shutdown()


def _sent(proxy: _RecordingProxy) -> dict[str, Any]:
    joins = [h for method, path, h in proxy.seen if method == "POST" and "/queue/join" in path]
    agents = {h.get("user-agent", "").split("/")[0] for _, _, h in proxy.seen}
    return {"join_user": [h.get("x-gradio-user") for h in joins],
            "join_call": [h.get("x-call") for h in joins], "agents": sorted(agents)}


def test_own_headers_win_and_requests_name_the_client(proxy: _RecordingProxy) -> None:
    assert run_client(False, HEADERS, {"url": proxy.url}) == "hi"
    official = _sent(proxy)
    proxy.seen.clear()
    assert run_client(True, HEADERS, {"url": proxy.url}) == "hi"
    ours = _sent(proxy)
    assert official == {"join_user": ["api"], "join_call": ["1"], "agents": ["gradio_client"]}
    assert_same(ours, official)


def test_file_warns_with_the_official_category(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("a")
    code = """
        from gradio_client import file
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            file(P["path"])
        result = [[w.category.__name__, first_sentence(w.message)] for w in caught]
    """
    ours, official = run_both(code, {"path": str(path)})
    assert official and ours == official


# ------------------------------------------------------------------ item 12: duplicate


DUPLICATE = """
    from gradio_client import Client
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = Client.duplicate("gradio/kitchen", token="hf_alice", secrets={"KEY": "v"}, verbose=False)
        again = Client.duplicate("gradio/kitchen", token="hf_alice", secrets={"KEY": "v"}, verbose=False)
    result = {"space_id": c.space_id, "again": again.space_id,
              "predict": c.predict("dup", api_name="/echo"),
              "warnings": [[w.category.__name__, first_sentence(w.message)] for w in caught
                           if "Secrets" in str(w.message)],
              "zero_gpu": c.add_zero_gpu_headers({"a": "1"})}
"""


def _hub_writes(hub: FakeHub) -> list[Any]:
    return [[r.method, r.path, json.loads(r.body or b"null")] for r in hub.requests
            if r.method == "POST"]


def test_duplicate_through_the_hub(hub: FakeHub, gradio_app: str) -> None:
    hub.add_user("alice", "hf_alice")
    results, writes, spaces = [], [], []
    for ours in (False, True):
        hub.remove_space("alice/kitchen")
        hub.add_space("gradio/kitchen", host=gradio_app.rstrip("/"))
        hub.clear_requests()
        results.append(run_client(ours, DUPLICATE, {}, env={"HF_ENDPOINT": hub.url}))
        writes.append(_hub_writes(hub))
        copy = hub.spaces["alice/kitchen"]
        spaces.append([copy.private, copy.secrets, copy.hardware])
    official, ours_result = results
    assert official["space_id"] == "alice/kitchen" and official["predict"] == "dup"
    assert writes[0] == [
        ["POST", "/api/spaces/gradio/kitchen/duplicate",
         {"repository": "alice/kitchen", "visibility": "private"}],
        ["POST", "/api/spaces/alice/kitchen/secrets", {"key": "KEY", "value": "v"}],
    ]
    assert ours_result == official and writes[1] == writes[0] and spaces[1] == spaces[0]


def test_duplicate_sets_hardware_and_sleep_time(hub: FakeHub, gradio_app: str) -> None:
    """Upgraded hardware also gets a sleep time.  The official client posts that to
    huggingface.co whatever HF_ENDPOINT says, so this one is checked on ours only."""
    from gradio_client import Client

    hub.add_user("alice", "hf_alice")
    hub.add_space("gradio/kitchen", host=gradio_app.rstrip("/"))
    client = Client.duplicate("gradio/kitchen", to_id="alice/gpu-copy", token="hf_alice",
                              hardware="t4-small", private=False, sleep_timeout=7, verbose=False)
    try:
        assert client.predict("up", api_name="/echo") == "up"
    finally:
        client.close()
    copy = hub.spaces["alice/gpu-copy"]
    assert (copy.private, copy.hardware, copy.sleep_time) == (False, "t4-small", 7 * 60)
    assert [r.headers.get("authorization") for r in hub.requests if r.method == "POST"] == [
        "Bearer hf_alice"] * 3


def test_duplicate_of_an_unknown_space_is_a_value_error(hub: FakeHub) -> None:
    from gradio_client import Client

    hub.add_user("alice", "hf_alice")
    with pytest.raises(ValueError, match="^Could not find Space: nobody/nothing"):
        Client.duplicate("nobody/nothing", token="hf_alice", verbose=False)


# ------------------------------------------------------------------ item 14: server stop


STOP = """
import os, socket, subprocess, sys, time
sys.path.insert(0, {apps!r})
import kitchen_sink
demo = kitchen_sink.build(16)
demo.queue(default_concurrency_limit=16)
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
            ssr_mode=False)
url = f"http://127.0.0.1:{{port}}/"
code = ("from gradio_client import Client; import sys, time; c = Client(sys.argv[1], verbose=False); "
        "c.predict('x', api_name='/echo'); print('ready', flush=True); time.sleep(120)")
client = None
if {python!r}:
    client = subprocess.Popen([{python!r}, "-c", code, url], stdout=subprocess.PIPE, cwd={cwd!r},
                              env={env!r})
    assert client.stdout.readline().strip() == b"ready"
time.sleep(1.0)
start = time.monotonic()
demo.close()
print("@@STOP@@", time.monotonic() - start, flush=True)
if client is not None:
    client.kill()
"""


def _stop_time(client_python: str, ours: bool) -> float:
    """Seconds ``demo.close()`` of a real server takes with an idle client connected."""
    script = STOP.format(apps=str(ROOT / "examples" / "apps"), python=client_python,
                         cwd=str(ROOT) if ours else "/", env=_env(ours, None))
    proc = subprocess.run([official_python(), "-c", script], capture_output=True, text=True,
                          timeout=180, env=_env(False, None), cwd="/")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("@@STOP@@")]
    assert lines, proc.stdout + proc.stderr
    return float(lines[0].split()[1])


def test_an_idle_client_does_not_hold_the_server_open() -> None:
    """gradio's ``close()`` waits up to 5 s for its server thread, which waits for open
    requests; an idle client must not keep one open longer than the official client does."""
    alone = _stop_time("", ours=False)
    official = _stop_time(official_python(), ours=False)
    ours = _stop_time(sys.executable, ours=True)
    print(f"demo.close() with an idle client: none {alone:.2f} s, official {official:.2f} s, "
          f"ours {ours:.2f} s")
    assert ours < 3 * max(alone, official) + 1.0, (alone, official, ours)


# ------------------------------------------------------------------ item 12: ZeroGPU header

RELAY_APP = """
import socket, sys
import gradio as gr
from gradio_client import Client

def relay(text):
    client = Client("gradio/zero", verbose=False)
    try:
        return client.predict(text, api_name="/echo")
    finally:
        getattr(client, "close", lambda: None)()

demo = gr.Interface(relay, gr.Textbox(label="text"), gr.Textbox(label="out"), api_name="relay")
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
            ssr_mode=False)
print(f"http://127.0.0.1:{port}/", flush=True)
sys.stdin.read()  # until the test closes stdin
"""


def _dropin_python() -> Path:
    default = Path(os.environ.get("GCX_CACHE") or Path.home() / ".cache" / "gcx").expanduser()
    return Path(os.environ.get("GCX_DROPIN_PYTHON") or default / "gradio-6.31.0-ours" / "bin" / "python")


def test_a_gradio_app_calling_a_space_forwards_the_users_ip_token(
    hub: FakeHub, proxy: _RecordingProxy, tmp_path: Path
) -> None:
    """Inside a Gradio app's handler, a client of a Space sends the x-ip-token of the request
    being served (ZeroGPU quota).  The same relay app runs on gradio with the official client
    and on gradio with this package (the drop-in env)."""
    from gradio_client import Client

    dropin = _dropin_python()
    if not dropin.exists():
        pytest.fail(f"no drop-in env at {dropin}: `python3 tools/run.py envs 6.31.0-ours`",
                    pytrace=False)
    hub.add_space("gradio/zero", host=proxy.url.rstrip("/"))
    script = tmp_path / "relay.py"
    script.write_text(RELAY_APP)
    tokens = []
    for python in (official_python(), str(dropin)):
        proxy.seen.clear()
        app = subprocess.Popen([python, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True, cwd=str(tmp_path), env=_env(False, {"HF_ENDPOINT": hub.url}))
        try:
            assert app.stdout is not None
            url = app.stdout.readline().strip()
            assert url.startswith("http://"), url
            with Client(url, verbose=False) as client:
                assert client.predict("z", api_name="/relay", headers={"X-IP-Token": "tok-1"}) == "z"
        finally:
            app.kill()
            app.wait(10)
        tokens.append([h.get("x-ip-token") for method, path, h in proxy.seen
                       if method == "POST" and "/queue/join" in path])
    official, ours = tokens
    assert official == ["tok-1"] and ours == official


async def test_async_client_has_the_same_official_names(gradio_app: str) -> None:
    """AsyncClient mirrors the sync client: config, app_version, upload_url, headers (user
    agent included), AsyncJob.running(), and a per-call x-gradio-user cannot be overridden."""
    from gradio_client import AsyncClient, Client

    with Client(gradio_app, verbose=False) as sync:
        expected = (sync.config, str(sync.app_version), sync.upload_url, sync.headers)
    async with AsyncClient(gradio_app, verbose=False) as client:
        assert (client.config, str(client.app_version), client.upload_url, client.headers) == expected
        assert client.headers["user-agent"].startswith("gradio_client/")
        job = await client.submit(0.3, api_name="/slow", headers={"x-gradio-user": "spoof"})
        assert job.running() is True
        assert await job.result() == "slept 0.3"
        assert job.running() is False


def test_a_failed_upload_is_also_an_httpx_status_error(proxy: _RecordingProxy, tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_text("abc")
    proxy.fail["/upload"] = 500
    ours, official = run_both("""
        import httpx
        from gradio_client import Client, handle_file
        c = Client(P["url"], verbose=False)
        outcome = catch(lambda: c.predict(handle_file(P["path"]), api_name="/file_roundtrip"))
        result = {"error": outcome.get("error"), "value": outcome.get("value")}
    """, {"url": proxy.url, "path": str(path)})
    assert official["error"]["cls"] == "HTTPStatusError"
    assert official["error"]["first"].startswith("Server error '500 Internal Server Error' for url")
    assert_same(ours, official)
