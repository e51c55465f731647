"""What only the trio client has: async iteration, cancel scopes, nurseries, many jobs on one
thread, shutdown.  The behaviour both clients share is in tests/contract.

Runs against the kitchen-sink app (gradio 6.31, ``gradio_app``), and for the old protocol
families against gradio 3.50.2 (one websocket per job) and 4.0.2 (one event stream per job)
when their virtualenvs exist (``python3 tools/run.py envs 3.50.2 4.0.2``).

No test measures time: deadlines (``trio.fail_after``) only turn a hang into a failure.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import trio

from gradio_client import AppError, CancelledError, Status, StatusUpdate, handle_file
from gradio_client.aio import AsyncClient, AsyncJob, OutputUpdate
from gradio_client.errors import FileError, LocalProtocolError
from gradio_client.shells._driver import Turns
from tests.servers.gradio_server import GradioEnvMissing, RunningApp, start_app

HANG = 60  # seconds before a test that hangs fails instead


@pytest.fixture
async def client(gradio_app: str, tmp_path: Path) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(gradio_app, verbose=False, download_files=str(tmp_path / "dl")) as c:
        yield c


def kinds(items: list[Any]) -> list[str]:
    """A readable trace: status code names, and "out:<value>" / "final:<value>"."""
    out = []
    for item in items:
        if isinstance(item, OutputUpdate):
            out.append(f"{'final' if item.final else 'out'}:{item.outputs}")
        else:
            out.append(item.code.name)
    return out


# ------------------------------------------------------------------ async iteration


async def test_iteration_yields_statuses_and_outputs_in_order(client: AsyncClient) -> None:
    job = await client.submit(3, api_name="/count")
    early: list[Any] = []
    async for update in job:  # from the start, while the job runs
        early.append(update)
    late = [update async for update in job]  # a second reader, after the end: the same
    assert late == early
    trace = kinds(early)
    # the end: final value, then the terminal status (once), then nothing
    assert trace[-2:] == ["final:0 1 2", "FINISHED"] and trace.count("FINISHED") == 1
    assert early[-1].success is True and early[-1] is job.status()
    # outputs in order, each announced by its ITERATING status
    body = [t for t in trace if t in ("ITERATING",) or t.startswith("out:")]
    assert body == ["ITERATING", "out:0", "ITERATING", "out:0 1", "ITERATING", "out:0 1 2"]
    assert trace.index("PROCESSING") < trace.index("ITERATING")
    # statuses are exactly job.updates(), in the same order
    assert [u for u in early if isinstance(u, StatusUpdate)] == job.updates()
    assert [v async for v in job.iter_outputs()] == job.outputs() == ["0", "0 1", "0 1 2"]


async def test_iteration_of_a_plain_endpoint_ends_with_its_value(client: AsyncClient) -> None:
    job = await client.submit(2, "multiply", 21, api_name="/calculator")
    items = [u async for u in job]
    assert kinds(items)[-1] == "FINISHED" and items[-2] == OutputUpdate(
        outputs=42, final=True, time=items[-2].time
    )
    assert not any(isinstance(u, OutputUpdate) for u in items[:-2])
    assert job.outputs() == [42] and await job.result() == 42


async def test_iteration_of_a_failed_job_ends_and_result_raises(client: AsyncClient) -> None:
    """As the official client's job iteration: the loop ends, ``result()`` raises."""
    job = await client.submit(api_name="/crash")
    seen: list[Any] = [update async for update in job]
    assert kinds(seen)[-1] == "FINISHED" and seen[-1].success is False
    assert not any(isinstance(u, OutputUpdate) for u in seen)
    assert [value async for value in job.iter_outputs()] == []
    with pytest.raises(AppError):
        await job.result()


async def test_iteration_of_a_cancelled_job_stops_quietly(client: AsyncClient) -> None:
    job = await client.submit(200, 0.05, api_name="/sleep_gen")
    seen: list[Any] = []
    with trio.fail_after(HANG):
        async for update in job:
            seen.append(update)
            if isinstance(update, OutputUpdate):
                assert await job.cancel() is True
    trace = kinds(seen)
    assert trace[-1] == "CANCELLED" and trace.count("CANCELLED") == 1
    assert not any(t.startswith("final:") for t in trace)
    with pytest.raises(CancelledError, match="cancelled by the caller"):
        await job.result()
    assert await job.cancel() is False


# ------------------------------------------------------------------ cancel scopes


async def test_cancelling_a_wait_leaves_the_job_running(client: AsyncClient) -> None:
    job = await client.submit(0.3, api_name="/slow")
    with trio.CancelScope() as scope:
        scope.cancel()
        await job.result()
    assert scope.cancelled_caught and not job.done()
    assert await job.result() == "slept 0.3"


async def test_result_timeout_raises_builtin_timeout_and_keeps_the_job(client: AsyncClient) -> None:
    job = await client.submit(0.5, api_name="/slow")
    with pytest.raises(TimeoutError) as info:
        await job.result(timeout=0)
    assert type(info.value) is TimeoutError and not job.done()
    assert await job.result() == "slept 0.5"


async def test_predict_cancelled_by_its_caller_cancels_its_job(client: AsyncClient) -> None:
    send, receive = trio.open_memory_channel[AsyncJob](1)
    submit = client.submit

    async def spy(*args: Any, **kwargs: Any) -> AsyncJob:
        job = await submit(*args, **kwargs)
        send.send_nowait(job)
        return job

    client.submit = spy  # type: ignore[method-assign]
    with trio.fail_after(HANG):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(functools.partial(client.predict, 200, 0.05, api_name="/sleep_gen"))
            job = await receive.receive()
            async for update in job:
                if isinstance(update, OutputUpdate):
                    break  # it runs on the server
            nursery.cancel_scope.cancel()
    assert job.done() and job.status().code is Status.CANCELLED
    with pytest.raises(CancelledError):
        await job.result()
    client.submit = submit  # type: ignore[method-assign]
    assert await client.predict("after", api_name="/echo") == "after"


async def test_a_file_gone_before_its_upload_fails_the_job(
    client: AsyncClient, tmp_path: Path
) -> None:
    source = tmp_path / "soon gone.txt"
    source.write_text("abc")
    job = await client.submit(handle_file(source), api_name="/file_roundtrip")
    source.unlink()  # no checkpoint since submit: its upload task has not run yet
    with trio.fail_after(HANG), pytest.raises(FileError, match="soon gone"):
        await job.result()
    assert job.status().code is Status.FINISHED and job.status().success is False


# ------------------------------------------------------------------ nurseries and shutdown


async def test_client_in_a_caller_nursery(gradio_app: str) -> None:
    with trio.fail_after(HANG):
        async with trio.open_nursery() as nursery:
            client = await AsyncClient.connect(gradio_app, nursery=nursery, verbose=False)
            assert await client.predict(3, "add", 4, api_name="/calculator") == 7
            assert client.protocol == "sse_v3"
            await client.aclose()
        # the nursery could exit: aclose ended every task the client had started


async def until(job: AsyncJob, code: Status) -> None:
    """Follow the job's updates until one has ``code`` (or an output, for ITERATING)."""
    async for update in job:
        if isinstance(update, OutputUpdate) and code is Status.ITERATING:
            return
        if isinstance(update, StatusUpdate) and update.code is code:
            return
    raise AssertionError(f"{job} ended before {code.name}")


async def pending_jobs(client: AsyncClient, source: Path) -> list[AsyncJob]:
    """A running generator, a running /slow, a /slow waiting behind it (one at a time), and
    a job whose file has not been uploaded yet.

    The /slow jobs are short: Gradio cannot stop a sync function that is already running,
    and what is left of them delays the next test that calls /slow.
    """
    generator = await client.submit(400, 0.05, api_name="/sleep_gen")
    await until(generator, Status.ITERATING)
    running = await client.submit(1.0, api_name="/slow")
    await until(running, Status.PROCESSING)
    waiting = await client.submit(1.0, api_name="/slow")
    await until(waiting, Status.IN_QUEUE)
    uploading = await client.submit(handle_file(source), api_name="/file_roundtrip")
    return [generator, running, waiting, uploading]  # no checkpoint since the last submit


async def check_cancelled_once(job: AsyncJob, reason: str) -> None:
    assert job.done() and job.status().code is Status.CANCELLED
    with pytest.raises(CancelledError, match=reason):
        await job.result()
    assert [u.code for u in job.updates()].count(Status.CANCELLED) == 1
    trace = kinds([u async for u in job])
    assert trace[-1] == "CANCELLED" and trace.count("CANCELLED") == 1
    assert "FINISHED" not in trace


async def test_cancelling_the_nursery_ends_every_pending_job_once(
    gradio_app: str, tmp_path: Path
) -> None:
    source = tmp_path / "a.txt"
    source.write_text("abc")
    with trio.fail_after(HANG):
        async with trio.open_nursery() as nursery:
            client = await AsyncClient.connect(
                gradio_app, nursery=nursery, verbose=False, download_files=str(tmp_path / "dl")
            )
            jobs = await pending_jobs(client, source)
            nursery.cancel_scope.cancel()
    for job in jobs:
        await check_cancelled_once(job, "the client was closed")
    await client.aclose()  # closing again is harmless
    with pytest.raises(LocalProtocolError, match="closed"):
        await client.submit("x", api_name="/echo")


async def test_aclose_ends_every_pending_job_once(gradio_app: str, tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text("abc")
    with trio.fail_after(HANG):
        async with AsyncClient(
            gradio_app, verbose=False, download_files=str(tmp_path / "dl")
        ) as client:
            jobs = await pending_jobs(client, source)
            await client.aclose()
            for job in jobs:
                await check_cancelled_once(job, "the client was closed")
    # The server was told: the /slow that waited left the queue, so a new /slow job is
    # first in line (a waiting leftover would put it at rank 1).
    async with AsyncClient(gradio_app, verbose=False) as other:
        with trio.fail_after(HANG):
            job = await other.submit(0.1, api_name="/slow")
            assert await job.result() == "slept 0.1"
    assert [u.rank for u in job.updates() if u.code is Status.IN_QUEUE] in ([], [0])


async def test_an_error_in_the_body_is_not_wrapped(gradio_app: str) -> None:
    with pytest.raises(KeyError, match="mine"):
        async with AsyncClient(gradio_app, verbose=False) as client:
            job = await client.submit(0.2, api_name="/slow")
            raise KeyError("mine")
    await check_cancelled_once(job, "the client was closed")


# ------------------------------------------------------------------ scale


def threads_now() -> set[threading.Thread]:
    return set(threading.enumerate())


async def test_a_thousand_jobs_on_one_thread(gradio_app: str) -> None:
    """1000 concurrent /echo jobs on one client, and not one thread started for them.

    Threads are compared as sets, not counted: threads of earlier tests (trio's idle
    worker cache, the sync client's readers) may still be exiting while this runs.  The
    URL is 127.0.0.1, which trio resolves without its resolver thread.
    """
    before = threads_now()
    started = time.monotonic()
    with trio.fail_after(600):
        async with AsyncClient(gradio_app, verbose=False) as client:
            jobs = [await client.submit(f"j{i}", api_name="/echo") for i in range(1000)]
            during = threads_now()
            results = [await job.result() for job in jobs]
            assert all(job.status().code is Status.FINISHED for job in jobs)
    after = threads_now()
    assert results == [f"j{i}" for i in range(1000)]
    assert during - before == set() and after - before == set()
    elapsed = time.monotonic() - started
    print(f"1000 /echo jobs: {elapsed:.1f} s, {len(during)} thread(s) during the run")


# ------------------------------------------------------------------ the old protocol families


@pytest.fixture(scope="module", params=["3.50.2", "4.0.2"])
def old_app(request: pytest.FixtureRequest) -> Iterator[RunningApp]:
    try:
        app = start_app(request.param)
    except GradioEnvMissing as exc:
        pytest.skip(str(exc))
    yield app
    app.stop()


async def test_old_protocol_families(old_app: RunningApp, tmp_path: Path) -> None:
    """One websocket per job (3.x) and one event stream per job (4.0-4.8), end to end."""
    source = tmp_path / "in.txt"
    source.write_bytes(b"abc\x00\xff")
    with trio.fail_after(HANG):
        async with AsyncClient(
            old_app.url, verbose=False, download_files=str(tmp_path / "dl")
        ) as client:
            assert client.protocol == ("ws" if old_app.version.startswith("3.") else "sse")
            assert await client.predict(3, "add", 4, api_name="/calculator") == 7
            job = await client.submit(3, api_name="/count")
            trace = kinds([u async for u in job])
            assert [t for t in trace if t.startswith(("out:", "final:"))] == [
                "out:0", "out:0 1", "out:0 1 2", "final:0 1 2"
            ]
            assert trace[-1] == "FINISHED"
            with pytest.raises(AppError, match="divide by zero"):
                await client.predict(1, "divide", 0, api_name="/calculator")
            out = await client.predict(handle_file(source), api_name="/file_roundtrip")
            assert Path(out).read_bytes() == b"\xff\x00cba"
            job = await client.submit(200, 0.05, api_name="/sleep_gen")
            async for update in job:
                if isinstance(update, OutputUpdate):
                    break
            assert await job.cancel() is True
            with pytest.raises(CancelledError):
                await job.result()
            jobs = [await client.submit(f"m{i}", api_name="/echo") for i in range(30)]
            assert [await j.result() for j in jobs] == [f"m{i}" for i in range(30)]


# ------------------------------------------------------------------ the shell's POST order


async def test_turns_pass_in_ticket_order_and_skip_given_up_tickets() -> None:
    turns = Turns(trio.Event)
    order: list[int] = []
    tickets = [turns.take() for _ in range(6)]

    async def post(ticket: int) -> None:
        await turns.wait(ticket)
        order.append(ticket)
        await trio.sleep(0)  # other tasks run while this one holds its turn
        turns.done(ticket)

    async with trio.open_nursery() as nursery:
        for ticket in reversed(tickets):  # started in the wrong order on purpose
            if ticket == 2:
                turns.done(ticket)  # a POST that ended before its turn (cancelled)
                continue
            nursery.start_soon(post, ticket)
    assert order == [0, 1, 3, 4, 5]


# ------------------------------------------------------------------ the websocket adapter


async def test_trio_websocket_caps_messages_and_reports_close_codes() -> None:
    """trio-websocket under the driver's interface: a message past the cap closes the socket
    with 1009, seen as ``WebSocketClosed``; a refused handshake is a typed error."""
    from wsproto.events import CloseConnection, Message

    from gradio_client.errors import AuthenticationError
    from gradio_client.shells._driver import WebSocketClosed
    from gradio_client.shells.trio_driver import _open_trio_websocket
    from tests.test_asyncio_client import _accept, _receive, _WsPeer

    seen: dict[str, Any] = {}

    def script(ws: Any, sock: Any) -> None:
        _accept(ws, sock)
        sock.sendall(ws.send(Message(data="small")))
        seen["echo"] = _receive(ws, sock, Message)
        sock.sendall(ws.send(Message(data="x" * 2000)))
        seen["close"] = _receive(ws, sock, CloseConnection)

    peer = _WsPeer(script)
    try:
        with trio.fail_after(HANG):
            async with _open_trio_websocket(peer.url, max_message_size=1000) as ws:
                assert await ws.get_message() == "small"
                await ws.send_message("back")
                with pytest.raises(WebSocketClosed) as info:
                    await ws.get_message()
    finally:
        peer.close()
    assert info.value.code == 1009
    assert seen["echo"].data == "back" and seen["close"].code == 1009

    def refuse(ws: Any, sock: Any) -> None:
        from wsproto.events import RejectConnection, Request

        _receive(ws, sock, Request)
        sock.sendall(ws.send(RejectConnection(status_code=401)))

    peer = _WsPeer(refuse)
    try:
        with trio.fail_after(HANG), pytest.raises(AuthenticationError, match="401"):
            async with _open_trio_websocket(peer.url, max_message_size=1000):
                raise AssertionError("the handshake was refused")
    finally:
        peer.close()
