"""Issue 14 item 7: the same names for the same ideas on ``Job`` and ``AsyncJob``.

* one ``OutputUpdate`` class, whatever module it is imported from;
* ``watch()`` yields every status and output in order on both (the async one as an async
  iterator): the same call gives the same sequence on sync, trio and asyncio;
* ``result_callbacks`` on both clients' ``submit``/``predict``: called with the value once
  the job succeeds (a tuple spread over the arguments), never for a failed job.

Against a real local server (``tests/hostile/server.py``).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
import trio

import gradio_client
import gradio_client.aio
import gradio_client.utils
from gradio_client import AsyncClient, Client
from gradio_client.protocol.status import OutputUpdate, StatusUpdate

from .hostile.server import Fault, HostileServer
from .hostile.fixtures import app, server  # noqa: F401  (fixtures)


def shape(events: list[Any]) -> list[tuple[str, Any]]:
    """What a watcher sees, without times: (kind, status code or output value)."""
    out: list[tuple[str, Any]] = []
    for event in events:
        if isinstance(event, StatusUpdate):
            out.append(("status", (event.code.name, event.success)))
        else:
            assert isinstance(event, OutputUpdate) and event.time is not None
            out.append(("output", (event.outputs, event.final)))
    return out


def test_one_output_update_class() -> None:
    assert gradio_client.OutputUpdate is gradio_client.aio.OutputUpdate is OutputUpdate
    assert gradio_client.utils.OutputUpdate is OutputUpdate


def _sync_watch(url: str) -> tuple[list[Any], list[Any], Any]:
    with Client(url, verbose=False) as client:
        job = client.submit("bob", "Hello", api_name="/greet")
        watched = list(job.watch())
        return watched, list(job), job.result()


async def _async_watch(url: str) -> tuple[list[Any], list[Any], Any]:
    async with AsyncClient(url, verbose=False) as client:
        job = await client.submit("bob", "Hello", api_name="/greet")
        watched = [event async for event in job.watch()]
        assert shape([event async for event in job]) == shape(watched)  # the same walk
        return watched, [v async for v in job.iter_outputs()], await job.result()


@pytest.mark.parametrize("library", ["trio", "asyncio"])
def test_watch_yields_the_same_sequence_on_every_client(app: HostileServer, library: str) -> None:
    sync_watched, sync_values, sync_result = _sync_watch(app.url)
    if library == "trio":
        async_watched, async_values, async_result = trio.run(_async_watch, app.url)
    else:
        async_watched, async_values, async_result = asyncio.run(_async_watch(app.url))
    assert shape(sync_watched) == shape(async_watched)
    assert shape(sync_watched)[-2:] == [
        ("output", ("Hello, bob!", True)), ("status", ("FINISHED", True))
    ]
    assert sync_values == async_values == [sync_result] and sync_result == async_result


def test_sync_result_callbacks_get_the_value(app: HostileServer) -> None:
    got: list[Any] = []
    called = threading.Event()
    with Client(app.url, verbose=False) as client:
        client.predict("bob", "Hello", api_name="/greet",
                       result_callbacks=[got.append, lambda _: called.set()])
        assert called.wait(10)
    assert got == ["Hello, bob!"]


async def _async_callbacks(url: str, faults: list[Fault]) -> tuple[list[Any], BaseException | None]:
    got: list[Any] = []
    async with AsyncClient(url, verbose=False) as client:
        try:
            await client.predict("bob", "Hello", api_name="/greet", result_callbacks=got.append)
            error = None
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            error = exc
    return got, error


@pytest.mark.parametrize("library", ["trio", "asyncio"])
def test_async_result_callbacks_get_the_value_only_on_success(
    app: HostileServer, library: str
) -> None:
    def run(faults: list[Fault]) -> tuple[list[Any], BaseException | None]:
        app.reset(faults)
        if library == "trio":
            return trio.run(_async_callbacks, app.url, faults)
        return asyncio.run(_async_callbacks(app.url, faults))

    got, error = run([])
    assert error is None and got == ["Hello, bob!"]
    got, error = run([Fault("join", "status", code=500)])
    assert error is not None and got == []
