"""The asyncio examples work against the real app: the FastAPI service (examples/fastapi_app.py)
under a real uvicorn, and the notebook-style script (examples/notebook_asyncio.py) fed to
``python -m asyncio``.  Both run as subprocesses, as their users run them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trio

from tests.servers.gradio_server import free_port

ROOT = Path(__file__).resolve().parent.parent


def env(gradio_app: str) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT), GRADIO_URL=gradio_app)


def test_notebook_script_with_top_level_await(gradio_app: str) -> None:
    script = (ROOT / "examples" / "notebook_asyncio.py").read_text()
    done = subprocess.run(
        [sys.executable, "-m", "asyncio"], input=script, capture_output=True, text=True,
        timeout=120, env=env(gradio_app), cwd=ROOT,
    )
    # the REPL prints its prompts on stdout; the values follow them
    lines = [line.lstrip(">. ") for line in done.stdout.splitlines()]
    assert "Traceback" not in done.stderr + done.stdout, done.stderr[-3000:]
    assert "calculator: 7" in lines
    assert [line for line in lines if line.startswith("count output:")] == [
        "count output: 0", "count output: 0 1", "count output: 0 1 2"
    ]
    assert "count status: FINISHED" in lines
    assert "echo: ['hello 0', 'hello 1', 'hello 2', 'hello 3', 'hello 4']" in lines
    assert lines[-1].endswith("closed") or "closed" in lines


@pytest.fixture
def service(gradio_app: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "examples.fastapi_app:app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env(gradio_app), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/docs", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"uvicorn did not start: {proc.communicate()[1][-3000:]}")
        time.sleep(0.1)
    yield url, proc
    if proc.poll() is None:
        proc.kill()
        proc.communicate()


async def test_fastapi_service_shares_one_client(service: tuple[str, subprocess.Popen[str]]) -> None:
    url, proc = service
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        results: dict[int, object] = {}

        async def calc(i: int) -> None:
            reply = await http.get("/calculate", params={"a": i, "b": 2, "op": "multiply"})
            assert reply.status_code == 200, reply.text
            results[i] = reply.json()["result"]

        with trio.fail_after(120):
            async with trio.open_nursery() as nursery:  # 30 requests at once, one client
                for i in range(30):
                    nursery.start_soon(calc, i)
            reply = await http.get("/count", params={"n": 3})
            assert reply.json() == {"outputs": ["0", "0 1", "0 1 2"]}
            reply = await http.get("/calculate", params={"a": 1, "b": 0, "op": "divide"})
            assert reply.status_code == 422 and "zero" in reply.json()["detail"]
    assert results == {i: i * 2 for i in range(30)}
    # shutdown: the lifespan closes the client; uvicorn exits cleanly
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
