"""The mirrored sync and async surfaces stay in step (the check httpcore's unasync makes).

``Client``/``AsyncClient`` and ``Job``/``AsyncJob`` are written twice on purpose: one
waits on threads, the other awaits.  What they share lives once (``ClientBase``,
``_job.JobBase``, ``protocol.job.JobState``); what stays mirrored must not drift: the same
public names, the same parameters with the same defaults, and on the async side every
method that waits is a coroutine.  Each difference is listed here with its reason, so a
new one fails this test until someone decides it is meant.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from gradio_client import AsyncClient, Client, Job
from gradio_client.aio import AsyncJob

# name -> why only one side has it
CLIENT_ONLY = {
    "close": "the async client closes with `aclose()` (and `async with`)",
    "duplicate": "a classmethod that creates a Space through the Hub; the official client has it on Client only",
    "thread_count": "threads are the sync client's; the async client runs on its loop's thread",
}
ASYNC_CLIENT_ONLY = {
    "aclose": "the async twin of close()",
    "connect": "the async client connects in `await client.connect()` / `async with` (a constructor cannot await)",
}
JOB_ONLY = {
    "cancelled": "concurrent.futures.Future API (Job is a Future)",
    "exception": "concurrent.futures.Future API",
    "set_exception": "concurrent.futures.Future API",
    "set_result": "concurrent.futures.Future API",
    "set_running_or_notify_cancel": "concurrent.futures.Future API",
}
ASYNC_JOB_ONLY = {
    "iter_outputs": "async iteration yields updates (as `watch()`); outputs get their own iterator",
    "request_cancel": "cancel without awaiting, for done-callbacks and the client's close",
}
INIT_ASYNC_ONLY = {"ws_connect": "an injectable websocket connector for the async shells"}

# methods of the async side that wait, so must be coroutines
ASYNC_CLIENT_WAITS = {"predict", "aclose", "connect"}
ASYNC_JOB_WAITS = {"result", "cancel"}


def public(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


def params(fn: Any) -> list[tuple[str, Any, Any]]:
    """Name, kind and default of each parameter (annotations differ by design: Job vs
    AsyncJob)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize(
    ("sync", "async_", "sync_only", "async_only"),
    [
        (Client, AsyncClient, CLIENT_ONLY, ASYNC_CLIENT_ONLY),
        (Job, AsyncJob, JOB_ONLY, ASYNC_JOB_ONLY),
    ],
    ids=["client", "job"],
)
def test_the_same_public_names(sync: type, async_: type, sync_only: dict[str, str], async_only: dict[str, str]) -> None:
    assert public(sync) - public(async_) == set(sync_only)
    assert public(async_) - public(sync) == set(async_only)


@pytest.mark.parametrize(("sync", "async_"), [(Client, AsyncClient), (Job, AsyncJob)], ids=["client", "job"])
def test_shared_methods_take_the_same_parameters(sync: type, async_: type) -> None:
    checked = 0
    for name in sorted(public(sync) & public(async_)):
        if isinstance(inspect.getattr_static(sync, name), property):
            continue
        one, other = getattr(sync, name), getattr(async_, name)
        if not callable(one):
            continue
        assert params(one) == params(other), name
        checked += 1
    assert checked >= 5  # the comparison really ran over the methods


def test_constructors_take_the_same_options() -> None:
    sync = params(Client.__init__)
    async_ = [p for p in params(AsyncClient.__init__) if p[0] not in INIT_ASYNC_ONLY]
    assert sync == async_
    assert set(INIT_ASYNC_ONLY) <= set(inspect.signature(AsyncClient.__init__).parameters)


def test_what_waits_is_awaited_on_the_async_side() -> None:
    for name in ASYNC_CLIENT_WAITS:
        assert inspect.iscoroutinefunction(getattr(AsyncClient, name)), name
        if name in public(Client):
            assert not inspect.iscoroutinefunction(getattr(Client, name)), name
    for name in ASYNC_JOB_WAITS:
        assert inspect.iscoroutinefunction(getattr(AsyncJob, name)), name
        assert not inspect.iscoroutinefunction(getattr(Job, name)), name
