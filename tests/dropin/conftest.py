"""Fixtures for the drop-in tests: the official client's env and the env where this package
replaces it.

    official_python   gradio 6.31 with the OFFICIAL gradio_client ($GCX_GRADIO_PYTHON)
    dropin_python     gradio 6.31 with THIS package in its place ($GCX_DROPIN_PYTHON, default
                      ~/.cache/gcx/gradio-6.31.0-ours; `python3 tools/run.py test` builds it,
                      once, in about 75 s; or `python3 tools/run.py envs 6.31.0-ours`)
    official          a worker (tests/dropin/worker.py) in the official env answering calls
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers.gradio_server import gradio_python

HERE = Path(__file__).resolve().parent
DROPIN_VERSION = "6.31.0-ours"


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
