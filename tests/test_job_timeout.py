"""Issue 12: ``job_timeout`` bounds a job's uploads and downloads too, not only its time in
the queue; a cancel while uploading ends the job at once.  On sync, trio and asyncio,
against a real local server (``tests/hostile/server.py``) whose ``/upload`` or file
download stalls (holds the connection silently, or drips one byte at a time).

Without the bound, a stalled upload or download ends only at httpx's read timeout (30 s)
with a transport error: the job waits far past its deadline (``result(timeout=WAIT)``
gives up first) and never reports ``JobTimeoutError``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import trio

from gradio_client import AsyncClient, Client, handle_file
from gradio_client.errors import CancelledError
from gradio_client.protocol.errors import JobTimeoutError
from gradio_client.protocol.status import Status

from .hostile.server import Fault, HostileServer
from .hostile.fixtures import app, server  # noqa: F401  (fixtures)

JOB_TIMEOUT = 1.5
WAIT = 20.0  # well under the 30 s read timeout that would end a stall without the bound
KINDS = ["sync", "trio", "asyncio"]
TERMINAL = (Status.FINISHED, Status.CANCELLED)


class Outcome:
    def __init__(self, job: Any, error: BaseException | None) -> None:
        self.error = error
        self.updates = job.updates()
        self.done = job.done()


def _input(tmp: Path) -> Any:
    path = tmp / "input.txt"
    path.write_bytes(b"local input\n")
    return handle_file(str(path))


def _options(tmp: Path) -> dict[str, Any]:
    return dict(verbose=False, download_files=str(tmp / "downloads"), job_timeout=JOB_TIMEOUT)


def _sync(url: str, tmp: Path, cancel_when: Any = None) -> Outcome:
    with Client(url, **_options(tmp)) as client:
        job = client.submit(_input(tmp), None, api_name="/files")
        if cancel_when is not None:
            while not cancel_when():
                pass  # the server's request counter moves on the server's thread
            assert job.cancel()
        try:
            job.result(timeout=WAIT)
            error = None
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            error = exc
        return Outcome(job, error)


async def _async(url: str, tmp: Path, cancel_when: Any, sleep: Any) -> Outcome:
    async with AsyncClient(url, **_options(tmp)) as client:
        job = await client.submit(_input(tmp), None, api_name="/files")
        if cancel_when is not None:
            while not cancel_when():
                await sleep(0.01)
            assert await job.cancel()
        try:
            await job.result(timeout=WAIT)
            error = None
        except BaseException as exc:  # noqa: BLE001
            error = exc
        return Outcome(job, error)


def run(kind: str, app: HostileServer, tmp: Path, cancel_when: Any = None) -> Outcome:
    if kind == "sync":
        return _sync(app.url, tmp, cancel_when)
    if kind == "trio":
        return trio.run(_async, app.url, tmp, cancel_when, trio.sleep)
    return asyncio.run(_async(app.url, tmp, cancel_when, asyncio.sleep))


def _ended_once(outcome: Outcome) -> None:
    assert outcome.done
    ends = [u for u in outcome.updates if u.code in TERMINAL]
    assert len(ends) == 1 and outcome.updates[-1] is ends[0]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("action", ["silence", "drip"])
def test_a_stalled_upload_ends_at_the_job_timeout(
    kind: str, action: str, app: HostileServer, tmp_path: Path
) -> None:
    app.reset([Fault("upload", action, when=None, interval=0.5)])
    outcome = run(kind, app, tmp_path)
    assert isinstance(outcome.error, JobTimeoutError), repr(outcome.error)
    assert app.count("upload") == 1 and app.count("join") == 0  # never submitted
    _ended_once(outcome)
    assert outcome.updates[-1].code is Status.FINISHED and outcome.updates[-1].success is False


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("action", ["silence", "drip"])
def test_a_stalled_download_ends_at_the_job_timeout(
    kind: str, action: str, app: HostileServer, tmp_path: Path
) -> None:
    app.reset([Fault("download", action, when=None, interval=0.5)])
    outcome = run(kind, app, tmp_path)
    assert isinstance(outcome.error, JobTimeoutError), repr(outcome.error)
    assert app.count("join") == 1 and app.count("download") == 1
    _ended_once(outcome)
    assert not list((tmp_path / "downloads").rglob("*.txt"))  # no half-saved file left


@pytest.mark.parametrize("kind", KINDS)
def test_without_a_stall_the_same_call_succeeds(
    kind: str, app: HostileServer, tmp_path: Path
) -> None:
    """The control: the deadline does not end a call that finishes in time."""
    outcome = run(kind, app, tmp_path)
    assert outcome.error is None
    _ended_once(outcome)
    assert outcome.updates[-1].success is True


@pytest.mark.parametrize("kind", KINDS)
def test_a_cancel_while_uploading_ends_the_job_at_once_and_never_submits(
    kind: str, app: HostileServer, tmp_path: Path
) -> None:
    app.reset([Fault("upload", "silence", when=None)])
    outcome = run(kind, app, tmp_path, cancel_when=lambda: app.count("upload") >= 1)
    assert isinstance(outcome.error, CancelledError), repr(outcome.error)
    assert app.count("join") == 0
    _ended_once(outcome)
    assert outcome.updates[-1].code is Status.CANCELLED
