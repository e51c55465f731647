"""Fixtures and helpers for the fault tests: every scenario runs on every client kind in
``tests.contract.facades.FACADES``, through a ``FaultProxy`` in front of the real app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import trio

from gradio_client import Status

from ..contract.facades import FACADES
from .proxy import FaultProxy

KINDS = sorted(FACADES)
TERMINAL = (Status.FINISHED, Status.CANCELLED)
WAIT = 90.0  # generous bound on any single wait: only a hang trips it


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def proxy(gradio_app: str) -> Iterator[FaultProxy]:
    with FaultProxy(gradio_app) as p:
        yield p


@asynccontextmanager
async def connected(kind: str, url: str, tmp_path: Path | None = None, **kwargs: Any) -> AsyncIterator[Any]:
    """A facade over a fresh client (so a fresh session and event stream) for one test."""
    if tmp_path is not None:
        kwargs.setdefault("download_files", str(tmp_path / "downloads"))
    facade = await FACADES[kind].connect(url, **kwargs)
    try:
        yield facade
    finally:
        await facade.close()  # no cancel scope around it: the trio client's nursery exits here


async def wait_for(predicate: Any, what: str, timeout: float = WAIT) -> None:
    """Poll ``predicate()`` until true; fails (naming ``what``) only if it never becomes so."""
    with trio.move_on_after(timeout):
        while not predicate():
            await trio.sleep(0.02)
        return
    pytest.fail(f"timed out waiting for {what}")


async def ends_once(
    job: Any,
    error: type[BaseException] | tuple[type[BaseException], ...] | None = None,
    *,
    timeout: float = WAIT,
) -> Any:
    """Wait for ``job`` and check that it ended exactly once, the way it should have.

    ``error`` None: it must succeed, returns the value.  Otherwise ``result()`` must raise
    that type (returned).  Either way: ``done()``; exactly one terminal status in
    ``updates()``, and it is the last; the status is FINISHED (success as expected) or
    CANCELLED for a ``CancelledError``; asking again gives the same outcome; iterating the
    job ends (quietly, as the official client's: ``result()`` raises); nothing more arrives
    afterwards.
    """
    from gradio_client import CancelledError

    # result(timeout=): the sync facade waits in a thread, which a trio deadline cannot stop
    with trio.fail_after(timeout + 5):
        if error is None:
            outcome = await job.result(timeout=timeout)
        else:
            with pytest.raises(error) as info:
                await job.result(timeout=timeout)
            outcome = info.value
    assert job.done()
    cancelled = isinstance(error, type) and issubclass(error, CancelledError)
    with trio.fail_after(timeout):
        if error is None:
            assert await job.result() == outcome
            await job.outputs()
        else:
            with pytest.raises(error):
                await job.result()
            await job.outputs()  # stops quietly
    await trio.sleep(0.2)  # anything wrongly delivered after the end would show up now
    updates = job.updates()
    ends = [u for u in updates if u.code in TERMINAL]
    assert len(ends) == 1, [u.code.name for u in updates]
    assert updates[-1] is ends[0], [u.code.name for u in updates]
    status = job.status()
    if cancelled:
        assert status.code is Status.CANCELLED
    else:
        assert status.code is Status.FINISHED
        assert status.success is (error is None)
    return outcome
