"""Start example Gradio apps as subprocesses from their own virtualenvs.  Standard library only,
so that ``tools/run.py`` (any python3) can use it as well as the tests.

gradio never runs inside the test process: it depends on the official ``gradio_client``, whose
import name is ours.  Each version lives in ``$GCX_CACHE/gradio-<version>`` (built by
``python3 tools/run.py envs VERSION``); ``$GCX_GRADIO_PYTHON`` overrides the interpreter of the
default version (``tools/run.py test`` sets it).

The server binds 127.0.0.1 only; HTTP(S) proxies are pointed at a closed loopback port so that any
attempt of the app to reach the internet fails at once instead of leaving the machine.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
APPS_DIR = ROOT / "examples" / "apps"
DEFAULT_VERSION = "6.31.0"
STARTUP_TIMEOUT = 120.0
GRADIO_AUTH = ("user", "pw")  # what the gradio_auth_app fixture uses

_running: list[RunningApp] = []


class GradioEnvMissing(RuntimeError):
    pass


def cache_dir() -> Path:
    return Path(os.environ.get("GCX_CACHE") or Path.home() / ".cache" / "gcx").expanduser()


def gradio_python(version: str = DEFAULT_VERSION) -> Path:
    """The interpreter of the gradio venv for ``version``; raises GradioEnvMissing if absent."""
    override = os.environ.get("GCX_GRADIO_PYTHON")
    if version == DEFAULT_VERSION and override:
        python = Path(override)
    else:
        python = cache_dir() / f"gradio-{version}" / "bin" / "python"
    marker = python.parent.parent / ".gcx-requirements"
    if not python.exists() or (python.parent.parent.parent == cache_dir() and not marker.exists()):
        hint = ("python3 tools/run.py test" if version == DEFAULT_VERSION
                else f"python3 tools/run.py envs {version}")
        raise GradioEnvMissing(
            f"no usable gradio {version} virtualenv at {python.parent.parent} "
            f"(missing, or its install never finished). Create it with: {hint}")
    return python


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_json(url: str, timeout: float = 10.0, headers: dict[str, str] | None = None) -> Any:
    req = urllib.request.Request(url, headers=headers or {})
    with _opener.open(req, timeout=timeout) as resp:
        return json.loads(resp.read())


# never use the environment's proxies for loopback polling
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class RunningApp:
    url: str  # "http://127.0.0.1:PORT/" (trailing slash, like the official client's src)
    port: int
    version: str
    process: subprocess.Popen[bytes]
    log_path: Path
    tmp_dir: Path
    auth: tuple[str, str] | None = None
    _stopped: bool = field(default=False, repr=False)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout``; removes the app's temp dir."""
        if self._stopped:
            return
        self._stopped = True
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(10)
        if self in _running:
            _running.remove(self)
        shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def __enter__(self) -> RunningApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_app(
    version: str = DEFAULT_VERSION,
    app: str = "kitchen_sink",
    auth: str | tuple[str, str] | None = None,
    env: dict[str, str] | None = None,
    extra_args: tuple[str, ...] | list[str] = (),
    python: str | None = None,
    timeout: float = STARTUP_TIMEOUT,
) -> RunningApp:
    """Start ``examples/apps/<app>.py`` on a free 127.0.0.1 port and wait until /config answers.

    ``auth`` is "user:pw" or (user, pw).  ``env`` adds to the child's environment.  Raises
    RuntimeError with the server log tail if the app exits or does not answer in ``timeout`` s.
    """
    interpreter = Path(python) if python else gradio_python(version)
    script = APPS_DIR / f"{app}.py"
    if not script.exists():
        raise FileNotFoundError(script)
    if isinstance(auth, str):
        user, _, pw = auth.partition(":")
        auth = (user, pw)
    last_error = ""
    for _attempt in range(3):  # a free port can be taken between probe and bind: retry
        port = free_port()
        tmp_dir = Path(tempfile.mkdtemp(prefix=f"gcx-{app.replace('/', '-')}-{version}-"))
        log_path = tmp_dir / "server.log"
        args = [str(interpreter), str(script), "--port", str(port), *extra_args]
        if auth:
            args += ["--auth", f"{auth[0]}:{auth[1]}"]
        child_env = dict(os.environ)
        child_env.pop("GCX_GRADIO_PYTHON", None)
        # never let this checkout's gradio_client shadow the official one gradio imports
        child_env.pop("PYTHONPATH", None)
        child_env.update({
            "GRADIO_ANALYTICS_ENABLED": "False",
            "HF_HUB_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "GRADIO_SERVER_NAME": "127.0.0.1",
            "GRADIO_TEMP_DIR": str(tmp_dir / "gradio"),
            "TMPDIR": str(tmp_dir),
            "MPLCONFIGDIR": str(tmp_dir / "mpl"),
            "PYTHONUNBUFFERED": "1",
            "GCX_PARENT_PID": str(os.getpid()),  # the app exits when we do
            # anything that tries the internet hits a closed loopback port and fails fast
            "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
            "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
            "NO_PROXY": "127.0.0.1,localhost,::1", "no_proxy": "127.0.0.1,localhost,::1",
        })
        child_env.pop("ALL_PROXY", None)
        child_env.pop("all_proxy", None)
        child_env.update(env or {})
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                args, cwd=tmp_dir, env=child_env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        running = RunningApp(f"http://127.0.0.1:{port}/", port, version, proc, log_path, tmp_dir, auth)
        _running.append(running)
        if _wait_ready(running, timeout):
            return running
        tail = running.log_tail()
        exited = proc.poll() is not None
        running.stop()
        last_error = (f"gradio {version} app {app!r} "
                      f"{'exited with code ' + str(proc.returncode) if exited else f'did not answer GET /config within {timeout:.0f} s'}"
                      f"\n--- server log tail ({log_path}) ---\n{tail}")
        if not (exited and "address already in use" in tail.lower()):
            break
    raise RuntimeError(last_error)


def _wait_ready(app: RunningApp, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            return False
        try:
            with _opener.open(app.url + "config", timeout=5) as resp:
                if resp.status == 200:
                    return True
        except urllib.error.HTTPError as err:
            if err.code == 401:  # an auth-protected app is up
                return True
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    return False


@atexit.register
def _stop_all() -> None:
    for app in list(_running):
        app.stop(timeout=5)
