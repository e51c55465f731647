"""Fixtures for the drop-in tests: the official client's env and the env where this package
replaces it.

    official_python   gradio 6.31 with the OFFICIAL gradio_client ($GCX_GRADIO_PYTHON)
    dropin_python     gradio 6.31 with THIS package in its place ($GCX_DROPIN_PYTHON, default
                      ~/.cache/gcx/gradio-6.31.0-ours; `python3 tools/run.py test` builds it,
                      once, in about 75 s; or `python3 tools/run.py envs 6.31.0-ours`)
    official          a worker (tests/dropin/worker.py) in the official env answering calls
    app_pairs         {"kitchen_sink"|"chat": (app on the official env, same app on the drop-in env)}
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tests.servers.gradio_server as harness
from tests.servers.gradio_server import RunningApp, free_port, gradio_python, start_app

HERE = Path(__file__).resolve().parent
DROPIN_VERSION = "6.31.0-ours"
CHAT_APP = HERE / "apps" / "chat_app.py"


def env_without_checkout() -> dict[str, str]:
    """The environment for a gradio env's python: this checkout never on its path."""
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1",
               HF_HUB_DISABLE_TELEMETRY="1")
    env.pop("PYTHONPATH", None)
    return env


@pytest.fixture(scope="session")
def official_python() -> Path:
    python = gradio_python()
    if not python.exists():
        pytest.fail(f"no gradio env at {python} (run `python3 tools/run.py test`)", pytrace=False)
    return python


@pytest.fixture(scope="session")
def dropin_python() -> Path:
    default = Path(os.environ.get("GCX_CACHE") or Path.home() / ".cache" / "gcx").expanduser()
    python = Path(os.environ.get("GCX_DROPIN_PYTHON") or default / f"gradio-{DROPIN_VERSION}" / "bin" / "python")
    if not python.exists():
        pytest.fail(f"no drop-in env at {python}: build it with "
                    f"`python3 tools/run.py envs {DROPIN_VERSION}` (about 75 s, once)", pytrace=False)
    return python


class Worker:
    """tests/dropin/worker.py running in another env, one JSON request per call."""

    def __init__(self, python: Path) -> None:
        self.cwd = tempfile.mkdtemp(prefix="gcx-dropin-worker-")
        self.process = subprocess.Popen(
            [str(python), str(HERE / "worker.py")], cwd=self.cwd, env=env_without_checkout(),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")

    def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"worker exited (code {self.process.poll()}) on {request!r}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def official(official_python: Path) -> Iterator[Worker]:
    worker = Worker(official_python)
    where = worker({"mode": "where", "module": "utils"})
    assert "site-packages" in where["ok"] and str(HERE.parent.parent) not in where["ok"], where
    yield worker
    worker.close()


# ------------------------------------------------------------------ apps on both envs
def normalise(body: bytes, app: RunningApp) -> bytes:
    """Only what legitimately differs between two processes of one app:

    * the app's own origin ``http://127.0.0.1:<port>`` (each app gets a free port) -> ``ORIGIN``;
    * the app's temp folder (``GRADIO_TEMP_DIR`` etc.), a fresh one per start -> ``TMP``;
    * ``"app_id"``: a random 64-bit number per process -> 0;
    * ``"component_class_id"`` (and a Dataset's ``components[].class_id``): gradio's sha256 of
      a component class's name and *source file path*, which differs between two virtualenvs
      -> ``class-N``, numbered in order of first appearance (equal ids stay equal, different
      ones stay different);
    * memory addresses in the reprs of Python objects (``<function f at 0x7f...>``) -> ``0x0``;
    * a ``gr.BrowserState``'s ``"secret"`` (its encryption key, random per process; the
      ChatInterface has one) -> ``SECRET``;
    * the content-hash folder of a file in gradio's cache (``.../<64 hex>/name``): gradio
      seeds that sha256 with a random seed stored once per virtualenv (``gradio/hash_seed.txt``)
      -> ``hash-N``, numbered like the class ids.
    """
    text = body.decode("utf-8")
    text = text.replace(app.url.rstrip("/"), "ORIGIN").replace(str(app.tmp_dir), "TMP")
    text = re.sub(r'"app_id":\s*\d+', '"app_id":0', text)
    ids: dict[str, str] = {}
    text = re.sub(r'"(component_class_id|class_id)":\s*"([0-9a-f]{64})"',
                  lambda m: f'"{m.group(1)}":"class-{ids.setdefault(m.group(2), str(len(ids)))}"', text)
    text = re.sub(r" at 0x[0-9a-f]+", " at 0x0", text)
    text = re.sub(r'"secret":\s*"[A-Za-z0-9_-]+"', '"secret":"SECRET"', text)
    hashes: dict[str, str] = {}
    text = re.sub(r"(?<=/)([0-9a-f]{64})(?=/)",
                  lambda m: f"hash-{hashes.setdefault(m.group(1), str(len(hashes)))}", text)
    return text.encode("utf-8")


def _start(python: Path, version: str, chat: bool) -> RunningApp:
    return start_script(python, version, CHAT_APP) if chat else start_app(version, python=str(python))


def start_script(python: Path, version: str, script: Path, timeout: float = 120.0) -> RunningApp:
    """Start an app script that takes ``--port`` like the harness does for examples/apps/ (same
    environment: loopback only, fresh temp dir, no internet, dies with us)."""
    port = free_port()
    tmp_dir = Path(tempfile.mkdtemp(prefix=f"gcx-{script.stem}-{version}-"))
    env = env_without_checkout()
    env.pop("GCX_GRADIO_PYTHON", None)
    env.update({
        "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_TEMP_DIR": str(tmp_dir / "gradio"),
        "TMPDIR": str(tmp_dir), "MPLCONFIGDIR": str(tmp_dir / "mpl"), "PYTHONUNBUFFERED": "1",
        "GCX_PARENT_PID": str(os.getpid()),
        "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost,::1", "no_proxy": "127.0.0.1,localhost,::1",
    })
    log_path = tmp_dir / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(python), str(script), "--port", str(port)], cwd=tmp_dir, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    app = RunningApp(f"http://127.0.0.1:{port}/", port, version, process, log_path, tmp_dir)
    harness._running.append(app)  # stopped at exit if a test forgets
    if not harness._wait_ready(app, timeout):
        tail = app.log_tail()
        app.stop()
        raise RuntimeError(f"{script.name} on {version} did not start:\n{tail}")
    return app


@pytest.fixture(scope="session")
def app_pairs(official_python: Path, dropin_python: Path) -> Iterator[dict[str, tuple[RunningApp, RunningApp]]]:
    """Each app started in the official env and in the drop-in env, all at once."""
    jobs = {("kitchen_sink", "official"): (official_python, "6.31.0", False),
            ("kitchen_sink", "ours"): (dropin_python, DROPIN_VERSION, False),
            ("chat", "official"): (official_python, "6.31.0", True),
            ("chat", "ours"): (dropin_python, DROPIN_VERSION, True)}
    started: dict[tuple[str, str], RunningApp] = {}
    try:
        with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
            futures = {key: pool.submit(_start, *args) for key, args in jobs.items()}
            for key, future in futures.items():
                started[key] = future.result()
        yield {name: (started[(name, "official")], started[(name, "ours")])
               for name in ("kitchen_sink", "chat")}
    finally:
        for app in started.values():
            app.stop()


_no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(app: RunningApp, path: str) -> bytes:
    with _no_proxy.open(app.url + path, timeout=30) as response:
        body: bytes = response.read()
        return body


