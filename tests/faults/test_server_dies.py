"""The server process dies or stops under a running job; the connect deadline.

Each test that kills a server starts its own (``start_app``), so the shared app lives on.
Elapsed times are printed (``-s``) for docs/reliability.md, never asserted beyond a bound
that only a hang exceeds.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trio

from gradio_client import Status
from gradio_client.errors import ConnectionLostError
from tests.servers.gradio_server import DEFAULT_VERSION, RunningApp, start_app

from .conftest import connected, ends_once, wait_for


@pytest.fixture
def own_server() -> Iterator[RunningApp]:
    app = start_app(DEFAULT_VERSION)
    try:
        yield app
    finally:
        app.stop()


async def test_server_killed_mid_job(kind: str, own_server: RunningApp, tmp_path: Path) -> None:
    """kill -9 while /slow runs: the stream breaks, every reconnect is refused, and after the
    backoff (0 + 0.25 + 0.5 + 1 + 2 + 4 s by default) the job fails with
    ConnectionLostError, once; queued jobs of the session too."""
    async with connected(kind, own_server.url, tmp_path) as app:
        running = await app.submit(60, api_name="/slow")
        # (submitted back to back, either join may reach the server first: wait in turn)
        await wait_for(lambda: running.status().code is Status.PROCESSING, "the job to start")
        queued = await app.submit(1, api_name="/slow")
        await wait_for(lambda: queued.status().code is Status.IN_QUEUE, "the second job to queue")
        killed = time.monotonic()
        os.killpg(own_server.process.pid, signal.SIGKILL)
        error = await ends_once(running, ConnectionLostError, timeout=60)
        elapsed = time.monotonic() - killed
        await ends_once(queued, ConnectionLostError, timeout=60)
        print(f"\n[{kind}] server killed -> {type(error).__name__} after {elapsed:.2f} s: {error}")
        assert "reconnect" in str(error)


async def test_server_stopped_mid_job(kind: str, own_server: RunningApp, tmp_path: Path) -> None:
    """SIGTERM (a graceful stop) while /slow runs: a typed connection error, once."""
    async with connected(kind, own_server.url, tmp_path) as app:
        job = await app.submit(60, api_name="/slow")
        await wait_for(lambda: job.status().code is Status.PROCESSING, "the job to start")
        stopped = time.monotonic()
        os.killpg(own_server.process.pid, signal.SIGTERM)
        error = await ends_once(job, ConnectionLostError, timeout=60)
        print(f"\n[{kind}] server stopped -> {type(error).__name__} after "
              f"{time.monotonic() - stopped:.2f} s: {error}")


async def test_connect_deadline(kind: str) -> None:
    """A server whose accept queue is full never completes the TCP handshake: the connect
    deadline (httpx connect timeout, 10 s by default; 0.5 s here) turns that into a
    ConnectionLostError instead of a hang."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):  # fill the accept queue; later SYNs are dropped
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(s)
    await trio.sleep(0.2)
    try:
        started = time.monotonic()
        with trio.fail_after(60):
            with pytest.raises(ConnectionLostError, match="timed out"):
                async with connected(kind, f"http://127.0.0.1:{port}/", download_files=False,
                                     httpx_kwargs={"timeout": httpx.Timeout(5.0, connect=0.5)}):
                    pass
        print(f"\n[{kind}] connect deadline hit after {time.monotonic() - started:.2f} s")
    finally:
        for s in fillers:
            s.close()
        listener.close()


async def test_config_read_deadline(kind: str, gradio_app: str) -> None:
    """The server accepts but never answers /config: the read deadline ends the connect."""
    from .proxy import FaultProxy

    with FaultProxy(gradio_app) as proxy:
        proxy.respond("GET", r"^/config", 200, delay=float("inf"))
        with trio.fail_after(60):
            with pytest.raises(ConnectionLostError, match="timed out"):
                async with connected(kind, proxy.url, download_files=False,
                                     httpx_kwargs={"timeout": httpx.Timeout(1.0)}):
                    pass
