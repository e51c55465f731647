"""One loop for the async shells: feeding the core, performing its actions, the timer.

``AsyncDriver`` is written once for any async library.  It holds what does not depend on
the library: ``feed`` (call a machine input, queue its actions), the drain that performs
them in order, deadline scheduling, the dispatch of each action, the POST (written in the
machine's order, see ``Turns``), the event-stream reader, the websocket reader and its
sender.  A shell subclass supplies the verbs of its library:

=====================  ============================================================
``_now()``              the clock the machine's deadlines are in
``_sleep(s)``           sleep
``_event()``            a new one-shot event (``set``, ``is_set``, ``await wait()``)
``_wait_until(e, t)``   wait for event ``e`` until time ``t``; True if it was set
``_start(fn, *args)``   run ``fn(*args)`` as a task of the shell, not awaited
``_start_cancellable``  the same, returning a function that cancels that task
``_default_ws_connect`` how to open a websocket (Gradio 3.x) when none is injected
=====================  ============================================================

plus ``requests`` and ``_stream_slots`` (async context managers that bound what is in
flight) and the lifecycle (``run``/``start``, ``aclose``), which differ in how tasks are
owned (a trio nursery, an asyncio task set).  The two users: ``AsyncioShell``
(asyncio_shell.py) and ``TrioDriverShell`` (trio_driver.py), about 120 lines each.
``drive_flow`` is the connect flow's driver for both, given the library's sleep, clock and
"await this until then".

At most ``max_workers`` tasks have a request in flight (``requests``, the twin of the thread
shell's pool size).  This is not only thrift: Gradio sends every waiting event an estimation
each time an event starts, so a client that lets a thousand joins through at once makes the
server's queue deep and its traffic quadratic (measured on 6.31 with 1000 /echo jobs: 131k
messages and 64-145 s unbounded, 3.3k messages and about 25 s with 2 to 4 in flight).
Readers of HTTP streams wait for one of ``max_streams`` slots, so per-job streams (Gradio
3.x, 4.0-4.8) cannot take every connection of the httpx pool.

Cooperative scheduling replaces the thread shell's lock: ``feed`` never awaits, so nothing
runs between a machine call and the performing of the actions it returned, and actions
are handed out in the order the machine emitted them.

A websocket is opened with a connector, ``ws_connect(url, *, headers, ssl_context,
max_message_size, connect_timeout)``, an async context manager that yields an object with
``await get_message() -> str`` (raising ``WebSocketClosed`` once the peer closed) and
``await send_message(text)``; a refused handshake raises a ``GradioClientError`` (see
``ws_rejected``).  Tests inject one (``gradio_client.testing.Replay.ws_connect``) to
replay recorded Gradio 3.x sessions without a network.
"""

from __future__ import annotations

import logging
import ssl
from collections import deque
from collections.abc import Awaitable, Callable, Generator
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeVar

import httpx

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
from ..protocol.errors import GradioClientError
from ..protocol.machine import QueueMachine
from ._common import (
    ShellBase,
    document_cap,
    flow_request,
    http_response,
    ssl_context,
    stream_cap,
    transport_error,
)

log = logging.getLogger("gradio_client")

Deliver = Callable[[Action], None]
T = TypeVar("T")


class Event(Protocol):
    def set(self) -> None: ...

    def is_set(self) -> bool: ...

    async def wait(self) -> Any: ...


class WebSocketClosed(Exception):
    """The peer closed the websocket (``code`` None: no close frame, the link broke)."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        super().__init__(f"websocket closed ({code}): {reason}")
        self.code = code
        self.reason = reason


class AsyncWebSocket(Protocol):
    async def get_message(self) -> str: ...

    async def send_message(self, text: str) -> None: ...


WsConnect = Callable[..., AbstractAsyncContextManager[AsyncWebSocket]]


Within = Callable[[Awaitable[httpx.Response], "float | None"], Awaitable["httpx.Response | None"]]


async def drive_flow(
    http: httpx.AsyncClient,
    flow: Generator[Step, HttpResponse | None, T],
    *,
    sleep: Callable[[float], Awaitable[Any]],
    clock: Callable[[], float],
    within: Within,
    observe: Callable[[HttpRequest], None] | None = None,
    limits: Limits | None = None,
) -> T:
    """Drive a pure request/response flow (``connect_flow``) with an async httpx client.

    ``observe(step)`` is called before each request (the credential guard learns the app's
    origin from it).  Each request runs under its step's deadline (``ConnectDeadline``):
    ``within(request, deadline)`` is the library's "await this until then", None when the
    deadline came first.
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
                await sleep(step.seconds)
                reply = None
                continue
            if not isinstance(step, HttpRequest):  # pragma: no cover - the flow's contract
                raise TypeError(f"connect flow yielded {step!r}")
            if observe is not None:
                observe(step)
            deadline = deadlines.for_step(step, clock())
            try:
                response = await within(http.request(**flow_request(step, limits)), deadline)
            except httpx.HTTPError as exc:
                raise transport_error(exc, f"{step.method} {step.url}") from exc
            if response is None:
                raise deadlines.error(step)
            reply = http_response(response)
    finally:
        flow.close()  # a no-op once it returned; releases it after an error or a cancel


class Turns:
    """Tickets that let tasks take one step each, in the order the tickets were taken.

    Tasks may run in any order (trio shuffles each scheduling batch) and each POST may wait
    for a connection of its own, so POSTs started in the machine's order could reach the
    server in any order: two jobs submitted one after the other would join the queue the
    other way round.  A POST takes a ticket when its action is performed and writes its
    request only on its turn; the turn passes on as soon as the request is written, so
    POSTs still wait for their replies concurrently.  A ticket whose task ends early
    (error, cancel) gives its turn up.
    """

    def __init__(self, event: Callable[[], Event]) -> None:
        self._event = event
        self._issued = 0
        self._serving = 0
        self._given_up: set[int] = set()
        self._waiting: dict[int, Event] = {}

    def take(self) -> int:
        ticket = self._issued
        self._issued += 1
        return ticket

    async def wait(self, ticket: int) -> None:
        if ticket > self._serving:
            event = self._waiting[ticket] = self._event()
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


class Reader:
    """One open stream (or websocket) and how to cancel the task reading it."""

    __slots__ = ("stream_id", "closed", "cancel", "outbox", "wake")

    def __init__(self, stream_id: int) -> None:
        self.stream_id = stream_id
        self.closed = False  # CloseStream (or shutdown) arrived: report nothing more
        self.cancel: Callable[[], None] | None = None
        # websockets only: texts to send, in the order the machine asked for them (kept
        # here, not in the task, so a send queued before the socket is up is not lost)
        self.outbox: deque[str] = deque()
        self.wake: Event | None = None  # the sender waits on it for more texts

    def close(self) -> None:
        self.closed = True
        if self.wake is not None:
            self.wake.set()
        if self.cancel is not None:
            self.cancel()


class AsyncDriver(ShellBase):
    """Performs a ``QueueMachine``'s actions with httpx.AsyncClient; see the module doc."""

    requests: AbstractAsyncContextManager[Any]  # requests in flight (POSTs, uploads, downloads)
    _stream_slots: AbstractAsyncContextManager[Any]  # open HTTP streams

    def __init__(
        self,
        http: httpx.AsyncClient,
        machine: QueueMachine,
        conn: Connection,
        deliver: Deliver,
        *,
        job_headers: Callable[[int], dict[str, str]] | None = None,
        verify: bool = True,
        on_stop: Callable[[], None] | None = None,
        limits: Limits | None = None,
        ws_connect: WsConnect | None = None,
    ) -> None:
        self._http = http
        self._limits = limits or Limits()
        self._machine = machine
        self._conn = conn
        self._deliver = deliver
        self._job_headers = job_headers or (lambda job: {})
        self._verify = verify
        self._on_stop = on_stop
        self._ws_connect = ws_connect
        self._queue: deque[Action] = deque()
        self._draining = False
        self._readers: dict[int, Reader] = {}
        self._tick_at: float | None = None
        self._wake = self._event()  # set when a nearer deadline appears
        self._posting = 0  # POSTs in flight, for aclose's linger
        self._posts_idle = self._event()
        self._turns = Turns(self._event)  # POSTs are written in the machine's order
        self._closed = False  # aclose() began: no new jobs' POSTs
        self._stopped = False  # the tasks are gone: no IO at all
        self._finished = self._event()  # the timer task ended

    # ------------------------------------------------------------------ library verbs

    def _now(self) -> float:
        raise NotImplementedError

    async def _sleep(self, seconds: float) -> None:
        raise NotImplementedError

    def _event(self) -> Event:
        raise NotImplementedError

    async def _wait_until(self, event: Event, when: float) -> bool:
        raise NotImplementedError

    def _start(self, fn: Callable[..., Awaitable[None]], *args: Any) -> None:
        raise NotImplementedError

    def _start_cancellable(self, fn: Callable[[], Awaitable[None]]) -> Callable[[], None]:
        raise NotImplementedError

    def _default_ws_connect(self) -> WsConnect:
        raise NotImplementedError

    # ------------------------------------------------------------------ the timer

    async def _run_timer(self) -> None:
        while True:
            self._wake = self._event()
            when = self._tick_at
            if when is None:
                await self._wake.wait()
                continue
            if await self._wait_until(self._wake, when):
                continue  # a nearer deadline appeared: sleep until that one
            self._tick_at = None
            self.feed(self._machine.tick, self._now())

    def _stop(self) -> None:
        """Runs when the shell's tasks end, however: end what is left without any more IO."""
        self._stopped = True
        self._closed = True
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
            self._start_reader(action.stream_id, self._read_websocket, action)
        elif isinstance(action, SendWebSocket):
            reader = self._readers.get(action.stream_id)
            if reader is not None:
                reader.outbox.append(action.text)
                if reader.wake is not None:
                    reader.wake.set()

    async def _post(self, action: Post, ticket: int | None) -> None:
        """One POST, written on its turn (see ``Turns``); a delayed one (a retry) takes
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
                await self._sleep(action.delay)
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
                self._posts_idle = self._event()

    def _start_reader(
        self, stream_id: int, body: Callable[[Any, Reader], Awaitable[None]], action: Any
    ) -> None:
        reader = Reader(stream_id)
        self._readers[stream_id] = reader

        async def run() -> None:
            try:
                await body(action, reader)
            finally:
                if self._readers.get(stream_id) is reader:
                    del self._readers[stream_id]

        reader.cancel = self._start_cancellable(run)

    async def _read_stream(self, action: OpenStream, reader: Reader) -> None:
        if action.delay > 0:
            await self._sleep(action.delay)
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
            except Exception as exc:  # cancellation is a BaseException: it passes
                if not reader.closed:
                    self.feed(
                        self._machine.receive_stream_error,
                        sid,
                        transport_error(exc, "The event stream"),
                    )
                return
        if not reader.closed:
            self.feed(self._machine.receive_stream_eof, sid)

    def _ws_headers(self) -> list[tuple[bytes, bytes]]:
        headers = [(k.encode(), v.encode()) for k, v in self._conn.headers.items()]
        # the jar holds the app's cookies only (CredentialGuard)
        cookies = "; ".join(f"{c.name}={c.value}" for c in self._http.cookies.jar)
        if cookies:
            headers.append((b"cookie", cookies.encode()))
        return headers

    async def _read_websocket(self, action: OpenWebSocket, reader: Reader) -> None:
        url = self._conn.root.replace("http", "ws", 1) + action.path
        sid = action.stream_id
        connect = self._ws_connect or self._default_ws_connect()
        context: ssl.SSLContext | None = (
            ssl_context(self._verify) if url.startswith("wss:") else None
        )
        stop_sender: Callable[[], None] | None = None
        try:
            async with connect(
                url,
                headers=self._ws_headers(),
                ssl_context=context,
                max_message_size=self._machine.config.max_event_size,
                connect_timeout=10.0,
            ) as ws:
                if reader.closed:
                    return
                stop_sender = self._start_cancellable(lambda: self._ws_sender(ws, reader))
                try:
                    while True:
                        message = await ws.get_message()
                        if reader.closed:
                            return
                        self.feed(self._machine.receive_ws_message, sid, message)
                except WebSocketClosed as closed:
                    if not reader.closed:
                        self.feed(self._machine.ws_closed, sid, closed.code, closed.reason)
        except GradioClientError as exc:  # a refused handshake (ws_rejected)
            if not reader.closed:
                self.feed(self._machine.receive_stream_error, sid, exc)
        except Exception as exc:
            if not reader.closed:
                self.feed(
                    self._machine.receive_stream_error, sid, transport_error(exc, "The websocket")
                )
        finally:
            if stop_sender is not None:
                stop_sender()  # it waits for texts forever otherwise

    async def _ws_sender(self, ws: AsyncWebSocket, reader: Reader) -> None:
        """Send the machine's texts on one socket, one at a time and in order."""
        while not reader.closed:
            if not reader.outbox:
                reader.wake = self._event()
                await reader.wake.wait()
                continue
            text = reader.outbox.popleft()
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


__all__ = [
    "AsyncDriver",
    "AsyncWebSocket",
    "Event",
    "Reader",
    "Turns",
    "WebSocketClosed",
    "WsConnect",
    "drive_flow",
]
