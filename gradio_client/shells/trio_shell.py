"""The trio shell: drives a ``QueueMachine`` with httpx.AsyncClient inside a trio nursery.

Recipe (the websockets one, as in ``thread_shell.py``): read, feed the core, collect its
actions, perform them in order, deliver job updates.  Where the thread shell takes a lock,
this one relies on cooperative scheduling: ``feed`` never awaits, so nothing else runs
between a machine call and the performing of the actions it returned, and every action is
handed out in the order the machine emitted it.

Tasks, all children of one nursery that ``run`` opens inside the nursery it is given:

* one reader per open stream: the session's event stream, the heartbeat when the app asks
  for one, and (Gradio 3.x and 4.0-4.8) one stream or websocket per job; readers of HTTP
  streams wait for one of ``max_streams`` slots so that per-job streams cannot take every
  connection of the httpx pool;
* one task per POST (a delay is a ``trio.sleep`` inside it), and per upload or download
  (``spawn``).  At most ``max_workers`` of them have a request in flight (``requests``, a
  capacity limiter, the twin of the thread shell's pool size).  This is not only thrift:
  Gradio sends every waiting event an estimation each time an event starts, so a client
  that lets a thousand joins through at once makes the server's queue deep and its
  traffic quadratic (measured on 6.31 with 1000 /echo jobs: 131k messages and 64-145 s
  unbounded, 3.3k messages and about 25 s with 2 to 4 in flight);
* the timer: ``run`` itself, sleeping until ``machine.next_deadline()`` and woken early
  when a nearer deadline appears.

Performing an action never blocks: a POST or a stream is a task started with
``start_soon``; ``CloseStream`` cancels the reader's cancel scope.  trio starts tasks in
no fixed order, so POSTs take a ticket as they are performed and are written to the
network in that order (``_Turns``): jobs join the queue in the order they were submitted.
Time is ``trio.current_time()`` everywhere, so a test can drive it with trio's autojump
clock.

Shutdown comes two ways and ends every job exactly once either way:

* ``aclose()``: the machine's ``close`` cancels every job (the server is told, for up to
  ``linger`` seconds), then the shell's cancel scope ends every task;
* the surrounding nursery is cancelled: ``run`` unwinds, tells the machine the client is
  closed (no IO any more: the server is not told) and calls ``on_stop`` so the client can
  end jobs the machine did not know yet (uploads in flight) or whose delivery was cut
  short (downloads in flight).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

import httpx
import trio

from ..protocol.actions import (
    Action,
    CloseStream,
    EmitOutput,
    EmitStatus,
    JobCancelled,
    JobFailed,
    JobSucceeded,
    Notice,
    OpenStream,
    OpenWebSocket,
    Post,
    SendWebSocket,
)
from ..protocol.connect import (
    ConnectDeadline,
    Connection,
    HttpRequest,
    HttpResponse,
    Limits,
    Sleep,
    Step,
)
from ..protocol.machine import QueueMachine
from ._common import (
    ShellBase,
    document_cap,
    flow_request,
    http_response,
    ssl_context,
    stream_cap,
    transport_error,
    ws_rejected,
)

log = logging.getLogger("gradio_client")

Deliver = Callable[[Action], None]
T = TypeVar("T")


async def run_flow_async(
    http: httpx.AsyncClient,
    flow: Generator[Step, HttpResponse | None, T],
    *,
    observe: Callable[[HttpRequest], None] | None = None,
    limits: Limits | None = None,
) -> T:
    """Drive a pure request/response flow (``connect_flow``) with an async httpx client.

    ``observe(step)`` is called before each request (the credential guard learns the app's
    origin from it).  Each request runs under its step's deadline (``ConnectDeadline``).
    """
    limits = limits or Limits()
    deadlines = ConnectDeadline(limits)
    reply: HttpResponse | None = None
    try:
        while True:
            try:
                step = flow.send(reply)
            except StopIteration as stop:
                result: T = stop.value
                return result
            if isinstance(step, Sleep):
                await trio.sleep(step.seconds)
                reply = None
                continue
            assert isinstance(step, HttpRequest)
            if observe is not None:
                observe(step)
            deadline = deadlines.for_step(step, trio.current_time())
            reply = None
            with trio.move_on_at(deadline if deadline is not None else float("inf")):
                try:
                    response = await http.request(**flow_request(step, limits))
                except httpx.HTTPError as exc:
                    raise transport_error(exc, f"{step.method} {step.url}") from exc
                reply = http_response(response)
            if reply is None:
                raise deadlines.error(step)
    finally:
        flow.close()  # a no-op once it returned; releases it after an error or a cancel


class _Reader:
    """One open stream (or websocket) and the cancel scope of the task reading it."""

    __slots__ = ("stream_id", "scope", "outbox", "inbox")

    def __init__(self, stream_id: int, *, websocket: bool = False) -> None:
        self.stream_id = stream_id
        self.scope = trio.CancelScope()
        # websockets only: texts to send, in the order the machine asked for them.  Made
        # here, not in the task, so a send queued before the socket is up is not lost.
        self.outbox: trio.MemorySendChannel[str] | None = None
        self.inbox: trio.MemoryReceiveChannel[str] | None = None
        if websocket:
            self.outbox, self.inbox = trio.open_memory_channel[str](float("inf"))

    @property
    def closed(self) -> bool:
        """True once ``CloseStream`` (or shutdown) arrived: report nothing more."""
        return self.scope.cancel_called

    def close(self) -> None:
        self.scope.cancel()


class _Turns:
    """Tickets that let tasks take one step each, in the order the tickets were taken.

    trio runs the tasks it starts in no fixed order (it shuffles each scheduling batch), and
    each POST may wait for a connection of its own, so POSTs started in the machine's order
    could reach the server in any order: two jobs submitted one after the other would join
    the queue the other way round.  A POST takes a ticket when its action is performed and
    writes its request only on its turn; the turn passes on as soon as the request is
    written, so POSTs still wait for their replies concurrently.  A ticket whose task ends
    early (error, cancel) gives its turn up.
    """

    def __init__(self) -> None:
        self._issued = 0
        self._serving = 0
        self._given_up: set[int] = set()
        self._waiting: dict[int, trio.Event] = {}

    def take(self) -> int:
        ticket = self._issued
        self._issued += 1
        return ticket

    async def wait(self, ticket: int) -> None:
        if ticket > self._serving:
            event = self._waiting[ticket] = trio.Event()
            await event.wait()

    def done(self, ticket: int) -> None:
        """End ``ticket``'s turn (or give it up before it came); once per ticket."""
        self._given_up.add(ticket)
        while self._serving in self._given_up:
            self._given_up.remove(self._serving)
            self._serving += 1
        event = self._waiting.pop(self._serving, None)
        if event is not None:
            event.set()


class TrioShell(ShellBase):
    """Performs a ``QueueMachine``'s actions with httpx.AsyncClient on trio."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        machine: QueueMachine,
        conn: Connection,
        deliver: Deliver,
        *,
        max_workers: int = 2,
        max_streams: int = 16,
        job_headers: Callable[[int], dict[str, str]] | None = None,
        verify: bool = True,
        on_stop: Callable[[], None] | None = None,
        limits: Limits | None = None,
    ) -> None:
        self._http = http
        self._limits = limits or Limits()
        self._machine = machine
        self._conn = conn
        self._deliver = deliver
        self._job_headers = job_headers or (lambda job: {})
        self._verify = verify
        self._on_stop = on_stop
        self._queue: deque[Action] = deque()
        self._draining = False
        self._nursery: trio.Nursery | None = None
        self._readers: dict[int, _Reader] = {}
        self._stream_slots = trio.Semaphore(max(1, max_streams))
        self._tick_at: float | None = None
        self._wake = trio.Event()  # set when a nearer deadline appears
        self._posting = 0  # POSTs in flight, for aclose's linger
        self._turns = _Turns()  # POSTs are written in the machine's order
        # requests in flight (POSTs here; uploads and downloads in the client)
        self.requests = trio.CapacityLimiter(max(1, max_workers))
        self._posts_idle = trio.Event()
        self._closed = False  # aclose() began: no new jobs' POSTs
        self._stopped = False  # the nursery is gone: no IO at all
        self._finished = trio.Event()  # run() returned

    # ------------------------------------------------------------------ running

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Own the shell's tasks until ``aclose`` or until the surrounding nursery is cancelled.

        Start it with ``await nursery.start(shell.run)``; the body is the deadline timer.
        """
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                task_status.started()
                await self._run_timer()
        finally:
            self._stop()

    async def _run_timer(self) -> None:
        while True:
            self._wake = trio.Event()
            when = self._tick_at
            if when is None:
                await self._wake.wait()
                continue
            with trio.move_on_at(when):
                await self._wake.wait()
                continue  # a nearer deadline appeared: sleep until that one
            self._tick_at = None
            self.feed(self._machine.tick, trio.current_time())

    def _stop(self) -> None:
        """Runs when ``run`` exits, however: end what is left without any more IO."""
        self._stopped = True
        self._closed = True
        self._nursery = None
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()
        try:
            self.feed(self._machine.close)
        finally:
            if self._on_stop is not None:
                self._on_stop()
            self._finished.set()

    # ------------------------------------------------------------------ feeding the core

    def feed(self, method: Callable[..., list[Action]], *args: Any, **kwargs: Any) -> None:
        """Call a machine input, then perform its actions in order.  Never awaits."""
        self._queue.extend(method(*args, **kwargs))
        self._schedule_tick()
        if self._draining:  # a delivery fed the machine again: the outer loop performs it
            return
        self._draining = True
        try:
            self._drain()
        finally:
            self._draining = False

    def _now(self) -> float:
        return trio.current_time()

    def _drain(self) -> None:
        while self._queue:
            action = self._queue.popleft()
            try:
                self._perform(action)
            except Exception:  # a delivery raised; keep the client alive
                log.exception("gradio_client: delivering %r failed", type(action).__name__)

    def _schedule_tick(self) -> None:
        deadline = self._machine.next_deadline()
        if deadline is not None and (self._tick_at is None or deadline < self._tick_at):
            self._tick_at = deadline
            self._wake.set()

    # ------------------------------------------------------------------ actions

    def _perform(self, action: Action) -> None:
        if isinstance(action, (EmitStatus, EmitOutput, JobSucceeded, JobFailed, JobCancelled)):
            self._deliver(action)
        elif isinstance(action, Notice):
            log.info("gradio_client: %s", action.message)
            self._deliver(action)
        elif self._stopped:
            return  # shutting down: nothing may start
        elif isinstance(action, Post):
            self._posting += 1
            self._start(self._post, action, None if action.delay > 0 else self._turns.take())
        elif isinstance(action, OpenStream):
            self._start_reader(action.stream_id, self._read_stream, action)
        elif isinstance(action, CloseStream):
            reader = self._readers.pop(action.stream_id, None)
            if reader is not None:
                reader.close()
        elif isinstance(action, OpenWebSocket):
            self._start_reader(action.stream_id, self._read_websocket, action, websocket=True)
        elif isinstance(action, SendWebSocket):
            reader = self._readers.get(action.stream_id)
            if reader is not None and reader.outbox is not None:
                reader.outbox.send_nowait(action.text)  # unbounded: never blocks

    def _start(self, fn: Callable[..., Awaitable[None]], *args: Any) -> None:
        assert self._nursery is not None, "the shell is not running"
        self._nursery.start_soon(fn, *args)

    async def _post(self, action: Post, ticket: int | None) -> None:
        """One POST, written on its turn (see ``_Turns``); a delayed one (a retry) takes
        its ticket when its delay is over."""
        turn: list[int] = [] if ticket is None else [ticket]

        def written() -> None:
            if turn:
                self._turns.done(turn.pop())

        async def trace(event: str, info: Any) -> None:  # httpx's "trace" request extension
            if event.endswith("send_request_body.complete"):
                written()

        try:
            if action.delay > 0:
                await trio.sleep(action.delay)
                turn.append(self._turns.take())
            await self._turns.wait(turn[0])
            if self._closed and action.job is not None:
                return
            headers = {"content-type": "application/json", **self._conn.headers}
            if action.job is not None:
                headers.update(self._job_headers(action.job))
            try:
                async with self.requests:  # taken on our turn, so in ticket order
                    response = await self._http.post(
                        self._conn.root + action.path,
                        content=action.body,
                        headers=headers,
                        extensions={"trace": trace, **document_cap(self._limits)},
                    )
            except Exception as exc:  # httpx errors, and anything else: the job must end
                self.feed(
                    self._machine.receive_request_error,
                    action.request_id,
                    transport_error(exc, f"POST {action.path}"),
                )
                return
            self.feed(
                self._machine.receive_response,
                action.request_id,
                response.status_code,
                response.content,
                response.headers,
            )
        finally:
            written()  # no-op if the request was written; else gives the turn up
            self._posting -= 1
            if self._posting == 0:
                self._posts_idle.set()
                self._posts_idle = trio.Event()

    def _start_reader(
        self,
        stream_id: int,
        body: Callable[[Any, _Reader], Awaitable[None]],
        action: Any,
        *,
        websocket: bool = False,
    ) -> None:
        reader = _Reader(stream_id, websocket=websocket)
        self._readers[stream_id] = reader

        async def run() -> None:
            with reader.scope:
                await body(action, reader)
            if self._readers.get(stream_id) is reader:
                del self._readers[stream_id]

        self._start(run)

    async def _read_stream(self, action: OpenStream, reader: _Reader) -> None:
        if action.delay > 0:
            await trio.sleep(action.delay)
        timeout = httpx.Timeout(10.0, read=action.read_timeout)
        sid = action.stream_id
        async with self._stream_slots:
            try:
                async with self._http.stream(
                    "GET",
                    self._conn.root + action.path,
                    headers=dict(self._conn.headers),
                    timeout=timeout,
                    extensions=stream_cap(),
                ) as response:
                    if reader.closed:
                        return
                    self.feed(
                        self._machine.stream_opened,
                        sid,
                        response.status_code,
                        response.headers.get("content-type"),
                    )
                    async for chunk in response.aiter_bytes():
                        if reader.closed:
                            return
                        self.feed(self._machine.receive_stream_data, sid, chunk)
            except Exception as exc:  # trio.Cancelled is a BaseException: it passes
                if not reader.closed:
                    self.feed(
                        self._machine.receive_stream_error,
                        sid,
                        transport_error(exc, "The event stream"),
                    )
                return
        if not reader.closed:
            self.feed(self._machine.receive_stream_eof, sid)

    async def _read_websocket(self, action: OpenWebSocket, reader: _Reader) -> None:
        from trio_websocket import ConnectionClosed, ConnectionRejected, open_websocket_url

        url = self._conn.root.replace("http", "ws", 1) + action.path
        sid = action.stream_id
        headers = [(k.encode(), v.encode()) for k, v in self._conn.headers.items()]
        # the jar holds the app's cookies only (CredentialGuard)
        cookies = "; ".join(f"{c.name}={c.value}" for c in self._http.cookies.jar)
        if cookies:
            headers.append((b"cookie", cookies.encode()))
        try:
            async with open_websocket_url(
                url,
                ssl_context=ssl_context(self._verify) if url.startswith("wss:") else None,
                extra_headers=headers,
                max_message_size=self._machine.config.max_event_size,
                connect_timeout=10.0,
                disconnect_timeout=5.0,
            ) as ws:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._ws_sender, ws, reader)
                    try:
                        while True:
                            message = await ws.get_message()
                            if reader.closed:
                                return
                            self.feed(self._machine.receive_ws_message, sid, message)
                    except ConnectionClosed as closed:
                        if not reader.closed:
                            why = closed.reason
                            self.feed(
                                self._machine.ws_closed,
                                sid,
                                why.code if why is not None else None,
                                (why.reason or "") if why is not None else "",
                            )
                    finally:
                        nursery.cancel_scope.cancel()  # the sender waits forever otherwise
        except ConnectionRejected as rejected:
            if not reader.closed:
                error = ws_rejected(rejected.status_code, rejected.body)
                self.feed(self._machine.receive_stream_error, sid, error)
        except Exception as exc:
            if not reader.closed:
                self.feed(
                    self._machine.receive_stream_error, sid, transport_error(exc, "The websocket")
                )

    async def _ws_sender(self, ws: Any, reader: _Reader) -> None:
        """Send the machine's texts on one socket, one at a time and in order."""
        assert reader.inbox is not None
        async for text in reader.inbox:
            try:
                await ws.send_message(text)
            except Exception as exc:
                if not reader.closed:
                    self.feed(
                        self._machine.receive_stream_error,
                        reader.stream_id,
                        transport_error(exc, "Sending on the websocket"),
                    )
                return

    # ------------------------------------------------------------------ lifecycle

    def spawn(self, fn: Callable[..., Awaitable[None]], *args: Any) -> None:
        """Run IO work (uploads, downloads) as a task of the shell; it ends with the shell."""
        if self._stopped:
            raise RuntimeError("the client is closed")
        self._start(fn, *args)

    @property
    def stopped(self) -> bool:
        return self._stopped

    async def aclose(self, linger: float = 2.0) -> None:
        """Cancel what is pending (telling the server, for up to ``linger`` s) and stop.

        Returns once every task of the shell has ended.  Safe to call more than once, and
        from a cancelled scope (the server is then not told).
        """
        nursery = self._nursery
        if nursery is None:  # never ran, or already stopped
            return
        if not self._closed:
            self._closed = True
            self.feed(self._machine.close)  # every job ends here, now
            try:
                with trio.move_on_after(linger):
                    while self._posting:
                        await self._posts_idle.wait()
            finally:
                nursery.cancel_scope.cancel()
        nursery.cancel_scope.cancel()
        with trio.CancelScope(shield=True):  # run() only needs to unwind; never blocks long
            await self._finished.wait()


__all__ = ["TrioShell", "run_flow_async"]
