"""gradio 6.31 running on THIS package in place of the official client (the drop-in env).

* (``import gradio`` works and imports this checkout: test_documentation_diff.py)
* the kitchen-sink app and a ChatInterface app serve the same ``/config``, ``/info`` (both
  forms) and ``/openapi.json`` as the same apps on the official client, byte for byte after
  normalising what differs between any two processes (:func:`normalise`); ``/info`` holds the
  API page's code snippets, which gradio makes with ``gradio_client.snippet``;
* the contract suite (tests/contract) passes with the client and the app both in the drop-in env.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dropin.conftest import DROPIN_VERSION, env_without_checkout
import tests.servers.gradio_server as harness
from tests.servers.gradio_server import RunningApp, free_port, start_app

ROOT = Path(__file__).resolve().parent.parent.parent
CHAT_APP = Path(__file__).resolve().parent / "apps" / "chat_app.py"
DOCUMENTS = ["config", "gradio_api/info", "gradio_api/info?all_endpoints=true", "gradio_api/openapi.json"]


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
      ChatInterface has one) -> ``SECRET``.
    """
    text = body.decode("utf-8")
    text = text.replace(app.url.rstrip("/"), "ORIGIN").replace(str(app.tmp_dir), "TMP")
    text = re.sub(r'"app_id":\s*\d+', '"app_id":0', text)
    ids: dict[str, str] = {}
    text = re.sub(r'"(component_class_id|class_id)":\s*"([0-9a-f]{64})"',
                  lambda m: f'"{m.group(1)}":"class-{ids.setdefault(m.group(2), str(len(ids)))}"', text)
    text = re.sub(r" at 0x[0-9a-f]+", " at 0x0", text)
    text = re.sub(r'"secret":\s*"[A-Za-z0-9_-]+"', '"secret":"SECRET"', text)
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


@pytest.fixture(scope="module")
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


def fetch(app: RunningApp, path: str) -> bytes:
    with urllib.request.urlopen(app.url + path, timeout=30) as response:  # noqa: S310 - loopback
        body: bytes = response.read()
        return body


@pytest.mark.parametrize("name", ["kitchen_sink", "chat"])
@pytest.mark.parametrize("path", DOCUMENTS)
def test_documents_equal_the_official(app_pairs: dict[str, tuple[RunningApp, RunningApp]],
                                      name: str, path: str) -> None:
    official, ours = app_pairs[name]
    theirs = normalise(fetch(official, path), official)
    mine = normalise(fetch(ours, path), ours)
    if theirs != mine:
        at = next((i for i, (a, b) in enumerate(zip(theirs, mine)) if a != b), min(len(theirs), len(mine)))
        pytest.fail(f"{name} {path} differs at byte {at}:\n official: {theirs[max(0, at - 200):at + 200]!r}"
                    f"\n ours:     {mine[max(0, at - 200):at + 200]!r}")
    assert hashlib.sha256(theirs).hexdigest() == hashlib.sha256(mine).hexdigest()


def test_info_has_code_snippets(app_pairs: dict[str, tuple[RunningApp, RunningApp]]) -> None:
    import json

    for name in ("kitchen_sink", "chat"):
        info = json.loads(fetch(app_pairs[name][1], "gradio_api/info"))
        assert info["named_endpoints"], name
        for endpoint, details in info["named_endpoints"].items():
            snippets = details["code_snippets"]
            assert set(snippets) == {"python", "javascript", "bash", "cli"}, endpoint
            assert f'api_name="{endpoint}"' in snippets["python"]


def test_contract_suite_in_the_dropin_env(dropin_python: Path) -> None:
    """tests/contract run by the drop-in env's python: gradio's dependencies and this client in
    one environment; the suite's app also runs in the drop-in env."""
    env = env_without_checkout()
    env["GCX_GRADIO_PYTHON"] = str(dropin_python)
    proc = subprocess.run(
        [str(dropin_python), "-m", "pytest", "tests/contract", "-q", "-p", "no:cacheprovider", "-x"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    tail = proc.stdout[-4000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, tail
    assert re.search(r"\d+ passed", proc.stdout), tail
    print(proc.stdout.strip().splitlines()[-1], file=sys.stderr)
