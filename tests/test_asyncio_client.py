"""What the asyncio side of ``AsyncClient`` adds: asyncio's cancellation, shutdown by
``aclose``, ``async with`` and the loop ending, many jobs on one thread, no thread for plain
calls, the Gradio 3.x websocket on asyncio streams.  The behaviour every client shares is in
tests/contract (which runs it on asyncio too).

Each test is a plain function that runs its own ``asyncio.run`` (pytest-trio owns the
``async def`` tests).  Against the kitchen-sink app (gradio 6.31, ``gradio_app``), and for
the old protocol families against gradio 3.50.2 (one websocket per job) and 4.0.2 (one
event stream per job) when their virtualenvs exist.  A small wsproto server on 127.0.0.1
plays a hostile websocket peer.

No test measures time: ``asyncio.wait_for(..., HANG)`` only turns a hang into a failure.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from gradio_client import AppError, CancelledError, Status, StatusUpdate, handle_file
from gradio_client.aio import AsyncClient, AsyncJob, OutputUpdate
from gradio_client.errors import AuthenticationError, FileError, LocalProtocolError
from gradio_client.shells._asyncio_ws import open_websocket
from gradio_client.shells._driver import Turns, WebSocketClosed
from tests.servers.gradio_server import GradioEnvMissing, RunningApp, start_app

HANG = 120  # seconds before a test that hangs fails instead
T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main()`` on a fresh asyncio loop, failing instead of hanging."""

    async def bounded() -> T:
        return await asyncio.wait_for(main(), HANG)

    return asyncio.run(bounded())


def kinds(items: list[Any]) -> list[str]:
    out = []
    for item in items:
        if isinstance(item, OutputUpdate):
            out.append(f"{'final' if item.final else 'out'}:{item.outputs}")
        else:
            out.append(item.code.name)
    return out


def connect(url: str, tmp_path: Path | None = None, **kwargs: Any) -> AsyncClient:
    if tmp_path is not None:
        kwargs.setdefault("download_files", str(tmp_path / "dl"))
    return AsyncClient(url, verbose=False, **kwargs)


async def until(job: AsyncJob, code: Status) -> None:
    async for update in job:
        if isinstance(update, OutputUpdate) and code is Status.ITERATING:
            return
        if isinstance(update, StatusUpdate) and update.code is code:
            return
    raise AssertionError(f"{job} ended before {code.name}")


async def check_cancelled_once(job: AsyncJob, reason: str) -> None:
    assert job.done() and job.status().code is Status.CANCELLED
    with pytest.raises(CancelledError, match=reason):
        await job.result()
    assert [u.code for u in job.updates()].count(Status.CANCELLED) == 1
    trace = kinds([u async for u in job])
    assert trace[-1] == "CANCELLED" and trace.count("CANCELLED") == 1
    assert "FINISHED" not in trace


# ------------------------------------------------------------------ the library is detected


def test_the_same_code_runs_on_asyncio_with_no_thread(gradio_app: str) -> None:
    """One plain call, a generator followed to its end: no thread at all (127.0.0.1 is a
    literal address, so nothing is resolved in the loop's executor)."""
    before = set(threading.enumerate())

    async def main() -> tuple[Any, list[str], set[threading.Thread]]:
        async with connect(gradio_app) as client:
            value = await client.predict(3, "add", 4, api_name="/calculator")
            trace = kinds([u async for u in await client.submit(3, api_name="/count")])
            return value, trace, set(threading.enumerate())

    value, trace, during = run(main)
    assert value == 7
    assert [t for t in trace if t.startswith(("out:", "final:"))] == [
        "out:0", "out:0 1", "out:0 1 2", "final:0 1 2"
    ]
    assert trace[-1] == "FINISHED"
    assert during - before == set()


def test_an_asyncio_program_never_loads_the_trio_shell(gradio_app: str) -> None:
    """(trio itself may be imported: httpx imports it when it is installed.)"""
    program = (
        "import asyncio, sys\n"
        "from gradio_client import AsyncClient\n"
        "async def main():\n"
        "    async with AsyncClient(sys.argv[1], verbose=False) as client:\n"
        "        print(await client.predict('x', api_name='/echo'))\n"
        "asyncio.run(main())\n"
        "print('gradio_client.shells.trio_driver' in sys.modules, 'trio_websocket' in sys.modules)\n"
    )
    root = str(Path(__file__).resolve().parent.parent)
    done = subprocess.run(
        [sys.executable, "-c", program, gradio_app], capture_output=True, text=True,
        timeout=120, env=dict(os.environ, PYTHONPATH=root), cwd=root,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["x", "False", "False"]


def test_outside_a_loop_is_a_clear_error(gradio_app: str) -> None:
    client = connect(gradio_app)
    with pytest.raises(RuntimeError, match="asyncio or trio"):
        client.__aenter__().send(None)


def test_connect_needs_no_nursery_and_refuses_one(gradio_app: str) -> None:
    async def main() -> None:
        client = await AsyncClient.connect(gradio_app, verbose=False)
        try:
            assert await client.predict("x", api_name="/echo") == "x"
        finally:
            await client.aclose()
        with pytest.raises(LocalProtocolError, match="closed"):
            await client.submit("x", api_name="/echo")
        with pytest.raises(TypeError, match="trio"):
            await AsyncClient.connect(gradio_app, nursery=object(), verbose=False)  # type: ignore[arg-type]

    run(main)


# ------------------------------------------------------------------ cancellation


def test_a_timeout_around_a_wait_leaves_the_job_running(gradio_app: str) -> None:
    async def main() -> None:
        async with connect(gradio_app) as client:
            job = await client.submit(0.3, api_name="/slow")
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(job.result(), 0)
            assert not job.done()
            if hasattr(asyncio, "timeout"):  # 3.11+
                with pytest.raises(TimeoutError):
                    async with asyncio.timeout(0):
                        await job.result()
                assert not job.done()
            assert await job.result() == "slept 0.3"

    run(main)


def test_result_timeout_raises_builtin_timeout_and_keeps_the_job(gradio_app: str) -> None:
    async def main() -> None:
        async with connect(gradio_app) as client:
            job = await client.submit(0.5, api_name="/slow")
            with pytest.raises(TimeoutError) as info:
                await job.result(timeout=0)
            assert type(info.value) is TimeoutError and not job.done()
            assert await job.result() == "slept 0.5"

    run(main)


def test_cancelling_the_task_that_awaits_predict_cancels_its_job(gradio_app: str) -> None:
    async def main() -> None:
        async with connect(gradio_app) as client:
            jobs: list[AsyncJob] = []
            submit = client.submit

            async def spy(*args: Any, **kwargs: Any) -> AsyncJob:
                jobs.append(await submit(*args, **kwargs))
                return jobs[-1]

            client.submit = spy  # type: ignore[method-assign]
            task = asyncio.ensure_future(client.predict(200, 0.05, api_name="/sleep_gen"))
            while not jobs:
                await asyncio.sleep(0.01)
            await until(jobs[0], Status.ITERATING)  # it runs on the server
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            job = jobs[0]
            assert job.done() and job.status().code is Status.CANCELLED
            with pytest.raises(CancelledError, match="cancelled by the caller"):
                await job.result()
            client.submit = submit  # type: ignore[method-assign]
            # the server was told: the generator's worker is free for the next call
            assert await client.predict("after", api_name="/echo") == "after"

    run(main)


def test_job_cancel_and_iteration_of_a_cancelled_job(gradio_app: str) -> None:
    async def main() -> None:
        async with connect(gradio_app) as client:
            job = await client.submit(200, 0.05, api_name="/sleep_gen")
            seen: list[Any] = []
            async for update in job:
                seen.append(update)
                if isinstance(update, OutputUpdate):
                    assert await job.cancel() is True
            trace = kinds(seen)
            assert trace[-1] == "CANCELLED" and trace.count("CANCELLED") == 1
            assert await job.cancel() is False

    run(main)


def test_errors_are_the_typed_errors(gradio_app: str, tmp_path: Path) -> None:
    source = tmp_path / "soon gone.txt"
    source.write_text("abc")

    async def main() -> None:
        async with connect(gradio_app, tmp_path) as client:
            with pytest.raises(AppError, match="divide by zero"):
                await client.predict(1, "divide", 0, api_name="/calculator")
            job = await client.submit(handle_file(source), api_name="/file_roundtrip")
            source.unlink()  # no await since submit: its upload task has not run yet
            with pytest.raises(FileError, match="soon gone"):
                await job.result()
            assert job.status().code is Status.FINISHED and job.status().success is False

    run(main)


def test_cancel_while_uploading_stops_the_upload(gradio_app: str, tmp_path: Path) -> None:
    """A job cancelled while its file uploads ends as cancelled and never joins the queue."""
    source = tmp_path / "big.bin"
    source.write_bytes(b"\0" * (8 << 20))
    joins: list[str] = []

    async def hook(request: Any) -> None:
        if request.url.path.endswith("/queue/join"):
            joins.append(request.content.decode())

    async def main() -> None:
        async with connect(
            gradio_app, tmp_path, httpx_kwargs={"event_hooks": {"request": [hook]}}
        ) as client:
            job = await client.submit(handle_file(source), api_name="/file_roundtrip")
            assert await job.cancel() is True
            with pytest.raises(CancelledError, match="cancelled by the caller"):
                await job.result()
            assert job.status().code is Status.CANCELLED
            assert await client.predict("after", api_name="/echo") == "after"

    run(main)
    assert len(joins) == 1 and '"after"' in joins[0]  # only the /echo joined


# ------------------------------------------------------------------ shutdown


async def pending_jobs(client: AsyncClient, source: Path) -> list[AsyncJob]:
    """A running generator, a running /slow, a /slow waiting behind it, and a job whose
    file has not been uploaded yet (see tests/test_trio_client.py)."""
    generator = await client.submit(400, 0.05, api_name="/sleep_gen")
    await until(generator, Status.ITERATING)
    running = await client.submit(1.0, api_name="/slow")
    await until(running, Status.PROCESSING)
    waiting = await client.submit(1.0, api_name="/slow")
    await until(waiting, Status.IN_QUEUE)
    uploading = await client.submit(handle_file(source), api_name="/file_roundtrip")
    return [generator, running, waiting, uploading]


def test_aclose_ends_every_pending_job_once_and_tells_the_server(
    gradio_app: str, tmp_path: Path
) -> None:
    source = tmp_path / "a.txt"
    source.write_text("abc")

    async def main() -> list[Any]:
        async with connect(gradio_app, tmp_path) as client:
            jobs = await pending_jobs(client, source)
            await client.aclose()
            for job in jobs:
                await check_cancelled_once(job, "the client was closed")
            await client.aclose()  # again: harmless
        async with connect(gradio_app) as other:
            job = await other.submit(0.1, api_name="/slow")
            assert await job.result() == "slept 0.1"
        return [u.rank for u in job.updates() if u.code is Status.IN_QUEUE]

    # the /slow that waited left the queue: a new /slow job is first in line
    assert run(main) in ([], [0])


def test_leaving_async_with_by_an_error_ends_jobs_and_keeps_the_error(gradio_app: str) -> None:
    jobs: list[AsyncJob] = []

    async def main() -> None:
        async with connect(gradio_app) as client:
            jobs.append(await client.submit(0.2, api_name="/slow"))
            raise KeyError("mine")

    with pytest.raises(KeyError, match="mine"):
        run(main)
    assert jobs[0].done() and jobs[0].status().code is Status.CANCELLED


def test_the_loop_ending_with_the_client_open_ends_every_job_once(
    gradio_app: str, tmp_path: Path
) -> None:
    """``asyncio.run`` cancels the tasks left over: the shell's main task among them, which
    ends every job the client still had (uploads in flight too), once each."""
    source = tmp_path / "a.txt"
    source.write_text("abc")
    jobs: list[AsyncJob] = []

    async def main() -> None:
        client = await AsyncClient.connect(gradio_app, verbose=False, download_files=False)
        jobs.extend(await pending_jobs(client, source))

    run(main)
    for job in jobs:
        assert job.done() and job.status().code is Status.CANCELLED
        assert [u.code for u in job.updates()].count(Status.CANCELLED) == 1

    async def check() -> None:
        for job in jobs:
            await check_cancelled_once(job, "the client was closed")

    run(check)


# ------------------------------------------------------------------ scale


def test_a_thousand_jobs_on_one_thread(gradio_app: str) -> None:
    """1000 concurrent /echo jobs on one client under asyncio: none lost, and the whole run
    on the loop's thread (threads compared as sets: leftovers of other tests may exit)."""
    before = set(threading.enumerate())

    async def main() -> tuple[list[Any], set[threading.Thread], list[AsyncJob]]:
        async with connect(gradio_app) as client:
            jobs = [await client.submit(f"j{i}", api_name="/echo") for i in range(1000)]
            during = set(threading.enumerate())
            results = [await job.result() for job in jobs]
            during |= set(threading.enumerate())
        return results, during, jobs

    results, during, jobs = asyncio.run(asyncio.wait_for(main(), 600))
    after = set(threading.enumerate())
    assert results == [f"j{i}" for i in range(1000)]
    assert all(job.status().code is Status.FINISHED for job in jobs)
    assert all([u.code for u in job.updates()].count(Status.FINISHED) == 1 for job in jobs)
    assert during - before == set() and after - before == set()


# ------------------------------------------------------------------ the old protocol families


@pytest.fixture(scope="module", params=["3.50.2", "4.0.2"])
def old_app(request: pytest.FixtureRequest) -> Iterator[RunningApp]:
    try:
        app = start_app(request.param)
    except GradioEnvMissing as exc:
        pytest.skip(str(exc))
    yield app
    app.stop()


def test_old_protocol_families(old_app: RunningApp, tmp_path: Path) -> None:
    """One websocket per job (3.x: wsproto over asyncio streams) and one event stream per
    job (4.0-4.8), end to end, with no thread."""
    source = tmp_path / "in.txt"
    source.write_bytes(b"abc\x00\xff")
    before = set(threading.enumerate())

    async def main() -> set[threading.Thread]:
        async with connect(old_app.url, tmp_path) as client:
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
            await until(job, Status.ITERATING)
            assert await job.cancel() is True
            with pytest.raises(CancelledError):
                await job.result()
            jobs = [await client.submit(f"m{i}", api_name="/echo") for i in range(30)]
            assert [await j.result() for j in jobs] == [f"m{i}" for i in range(30)]
            return set(threading.enumerate())

    assert run(main) - before == set()


# ------------------------------------------------------------------ the websocket, hostile peers


class _WsPeer:
    """A websocket server on 127.0.0.1 (wsproto) that follows a script per connection."""

    def __init__(self, script: Callable[[Any, socket.socket], None]) -> None:
        self._script = script
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"ws://127.0.0.1:{self._sock.getsockname()[1]}/queue/join"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        from wsproto import ConnectionType, WSConnection

        try:
            conn_sock, _ = self._sock.accept()
        except OSError:
            return
        with conn_sock:
            ws = WSConnection(ConnectionType.SERVER)
            try:
                self._script(ws, conn_sock)
            except OSError:
                pass

    def close(self) -> None:
        self._sock.close()
        self._thread.join(10)


def _accept(ws: Any, sock: socket.socket) -> list[Any]:
    from wsproto.events import AcceptConnection, Request

    events: list[Any] = []
    while not any(isinstance(e, Request) for e in events):
        ws.receive_data(sock.recv(65536))
        events.extend(ws.events())
    sock.sendall(ws.send(AcceptConnection()))
    return events


def _receive(ws: Any, sock: socket.socket, kind: type) -> Any:
    while True:
        for event in ws.events():
            if isinstance(event, kind):
                return event
        data = sock.recv(65536)
        if not data:
            return None
        ws.receive_data(data)


def test_websocket_caps_messages_answers_pings_and_reports_close_codes() -> None:
    from wsproto.events import CloseConnection, Message, Ping, Pong

    seen: dict[str, Any] = {}

    def script(ws: Any, sock: socket.socket) -> None:
        seen["request"] = _accept(ws, sock)
        sock.sendall(ws.send(Ping(payload=b"hi")))
        seen["pong"] = _receive(ws, sock, Pong)
        sock.sendall(ws.send(Message(data="small")))
        seen["echo"] = _receive(ws, sock, Message)
        sock.sendall(ws.send(Message(data="x" * 600, message_finished=False)))
        sock.sendall(ws.send(Message(data="y" * 600)))
        seen["close"] = _receive(ws, sock, CloseConnection)

    peer = _WsPeer(script)

    async def main() -> WebSocketClosed:
        async with open_websocket(
            peer.url, headers=[(b"cookie", b"a=b")], max_message_size=1000
        ) as ws:
            assert await ws.get_message() == "small"
            await ws.send_message("back")
            with pytest.raises(WebSocketClosed) as info:
                await ws.get_message()
            with pytest.raises(WebSocketClosed):
                await ws.send_message("after")  # closed: a clear error, not a hang
            return info.value

    try:
        closed = run(main)
    finally:
        peer.close()
    assert closed.code == 1009
    assert seen["pong"] is not None and seen["pong"].payload == b"hi"
    assert seen["echo"].data == "back"
    assert seen["close"] is not None and seen["close"].code == 1009
    request = seen["request"][0]
    assert (b"cookie", b"a=b") in [(k.lower(), v) for k, v in request.extra_headers]


@pytest.mark.parametrize(("status", "error"), [(401, AuthenticationError), (500, Exception)])
def test_a_refused_websocket_is_a_typed_error(status: int, error: type) -> None:
    from wsproto.events import RejectConnection, RejectData, Request

    def script(ws: Any, sock: socket.socket) -> None:
        _receive(ws, sock, Request)
        sock.sendall(ws.send(RejectConnection(status_code=status, has_body=True,
                                              headers=[(b"content-length", b"4")])))
        sock.sendall(ws.send(RejectData(data=b"nope")))

    peer = _WsPeer(script)

    async def main() -> None:
        async with open_websocket(peer.url, max_message_size=1000):
            raise AssertionError("the handshake was refused")

    try:
        with pytest.raises(error) as info:
            run(main)
    finally:
        peer.close()
    assert str(status) in str(info.value)


def test_a_peer_that_never_answers_the_handshake_times_out() -> None:
    hold = threading.Event()

    def script(ws: Any, sock: socket.socket) -> None:
        hold.wait(30)

    peer = _WsPeer(script)

    async def main() -> None:
        async with open_websocket(peer.url, connect_timeout=0.2):
            raise AssertionError("no handshake happened")

    try:
        with pytest.raises(Exception, match="timed out"):
            run(main)
    finally:
        hold.set()
        peer.close()


# ------------------------------------------------------------------ hostile HTTP servers


class _HttpPeer:
    """An HTTP server on 127.0.0.1 that answers every request with ``reply`` (None: never
    answers; the connection stays open until the test ends)."""

    def __init__(self, reply: bytes | None) -> None:
        self._reply = reply
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        held = []
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                break
            held.append(conn)
            conn.recv(65536)
            if self._reply is not None:
                try:
                    conn.sendall(self._reply)
                except OSError:
                    pass
        for conn in held:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(10)


def test_connect_deadline_and_body_caps_hold_on_asyncio() -> None:
    from gradio_client.protocol.errors import ConnectTimeoutError, ResponseTooLargeError

    silent = _HttpPeer(None)
    body = b"{" + b" " * (2 << 20) + b"}"
    huge = _HttpPeer(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        + f"content-length: {len(body)}\r\n\r\n".encode() + body
    )

    async def main() -> None:
        with pytest.raises(ConnectTimeoutError, match="connect_timeout"):
            await AsyncClient.connect(silent.url, verbose=False, connect_timeout=0.5)
        with pytest.raises(ResponseTooLargeError, match="max_response_size"):
            await AsyncClient.connect(huge.url, verbose=False, max_response_size=1 << 20)

    try:
        run(main)
    finally:
        silent.close()
        huge.close()


# ------------------------------------------------------------------ the shell's POST order


def test_turns_pass_in_ticket_order_and_skip_given_up_tickets() -> None:
    async def main() -> list[int]:
        turns = Turns(asyncio.Event)
        order: list[int] = []
        tickets = [turns.take() for _ in range(6)]

        async def post(ticket: int) -> None:
            await turns.wait(ticket)
            order.append(ticket)
            await asyncio.sleep(0)  # other tasks run while this one holds its turn
            turns.done(ticket)

        tasks = []
        for ticket in reversed(tickets):  # started in the wrong order on purpose
            if ticket == 2:
                turns.done(ticket)  # a POST that ended before its turn (cancelled)
                continue
            tasks.append(asyncio.ensure_future(post(ticket)))
        await asyncio.gather(*tasks)
        return order

    assert run(main) == [0, 1, 3, 4, 5]
