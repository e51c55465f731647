"""A join that never answers must not hold up other jobs' joins (issue 12).

The server (``tests/hostile/server.py``) keeps the first ``/queue/join`` of the session
silent: headers never sent, the connection held open for 30 s.  The jobs submitted after it
must all end with their value while the silent one is still waiting: before the fix, the
sync client sent every join from one pool thread, so they all waited behind the silent
one until httpx's read timeout released it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import trio

from gradio_client import AsyncClient, Client

from .hostile.server import Fault, HostileServer

OTHERS = 6


@pytest.fixture(scope="module")
def app() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


def test_sync_a_silent_join_does_not_hold_up_the_others(app: HostileServer) -> None:
    app.reset([Fault("join", "silence", when=0)])
    with Client(app.url, verbose=False) as client:
        stuck = client.submit("silent", api_name="/greet")
        others = [client.submit(f"n{i}", api_name="/greet") for i in range(OTHERS)]
        # the bound only keeps a regression from hanging the run (httpx releases the silent
        # join after its 30 s read timeout; the others would then end too, but after it)
        values = [job.result(timeout=25) for job in others]
        assert values == [f"Hello, n{i}!" for i in range(OTHERS)]
        assert not stuck.done(), "the silent join ended first: the others waited behind it"
        assert client.thread_count <= 2 + 2  # session stream, heartbeat, max_workers=2
    assert stuck.done()  # close() ended it


async def _async_case() -> tuple[list[Any], bool]:
    async with AsyncClient(app_url, verbose=False) as client:
        stuck = await client.submit("silent", api_name="/greet")
        others = [await client.submit(f"n{i}", api_name="/greet") for i in range(OTHERS)]
        values = [await job.result(timeout=25) for job in others]
        return values, stuck.done()


app_url = ""


@pytest.mark.parametrize("lib", ["trio", "asyncio"])
def test_async_a_silent_join_does_not_hold_up_the_others(app: HostileServer, lib: str) -> None:
    global app_url
    app.reset([Fault("join", "silence", when=0)])
    app_url = app.url
    values, stuck_done = trio.run(_async_case) if lib == "trio" else asyncio.run(_async_case())
    assert values == [f"Hello, n{i}!" for i in range(OTHERS)]
    assert not stuck_done
