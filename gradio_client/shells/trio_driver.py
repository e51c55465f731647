"""The trio shell on the shared driver: ``AsyncDriver`` (``_driver.py``) with trio's verbs.

The same loop as the asyncio shell (feed, drain, timer, dispatch, POSTs in the machine's
order, stream and websocket readers); what is trio's here:

* tasks belong to one nursery that ``run`` opens inside the nursery it is given
  (``await nursery.start(shell.run)``); a reader runs in a cancel scope of its own, which
  ``CloseStream`` cancels;
* the timer is ``run`` itself, sleeping until ``machine.next_deadline()``
  (``trio.move_on_at``), woken early when a nearer deadline appears;
* ``requests`` is a ``trio.CapacityLimiter``; the clock ``trio.current_time()``, so a test
  can drive it with trio's autojump clock;
* websockets (Gradio 3.x) are trio-websocket's, adapted to the driver's small interface
  (``_TrioWebSocket``).

Shutdown comes two ways and ends every job exactly once either way: ``aclose()`` (the
machine's ``close`` cancels every job, telling the server for up to ``linger`` seconds,
then the shell's cancel scope ends every task), or the surrounding nursery is cancelled:
``run`` unwinds, tells the machine the client is closed (no IO any more) and calls
``on_stop`` so the client can end the jobs the machine did not know (uploads in flight).

The loop, the readers and the connect-flow driver are ``_driver``'s, shared with the asyncio
shell; trio's clock and deadlines come in through ``_trio_lib.TrioLib``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import trio

from ..protocol.connect import Connection, Limits
from ..protocol.machine import QueueMachine
from ._common import ws_rejected
from ._driver import AsyncDriver, Deliver, Event, WebSocketClosed, WsConnect


class TrioDriverShell(AsyncDriver):
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
        ws_connect: WsConnect | None = None,
    ) -> None:
        self._nursery: trio.Nursery | None = None
        super().__init__(
            http,
            machine,
            conn,
            deliver,
            job_headers=job_headers,
            verify=verify,
            on_stop=on_stop,
            limits=limits,
            ws_connect=ws_connect,
        )
        self.requests = trio.CapacityLimiter(max(1, max_workers))
        self._stream_slots = trio.Semaphore(max(1, max_streams))

    # ------------------------------------------------------------------ verbs

    def _now(self) -> float:
        return trio.current_time()

    async def _sleep(self, seconds: float) -> None:
        await trio.sleep(seconds)

    def _event(self) -> Event:
        return trio.Event()

    async def _wait_until(self, event: Event, when: float) -> bool:
        with trio.move_on_at(when):
            await event.wait()
            return True
        return False

    def _start(self, fn: Callable[..., Awaitable[None]], *args: Any) -> None:
        if self._nursery is None:
            raise RuntimeError("the shell is not running")
        self._nursery.start_soon(fn, *args)

    def _start_cancellable(self, fn: Callable[[], Awaitable[None]]) -> Callable[[], None]:
        scope = trio.CancelScope()

        async def run() -> None:
            with scope:
                await fn()

        self._start(run)
        return scope.cancel

    def _default_ws_connect(self) -> WsConnect:
        return _open_trio_websocket

    # ------------------------------------------------------------------ lifecycle

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
            self._nursery = None
            self._stop()

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


class _TrioWebSocket:
    """A trio-websocket connection as the driver sees one (``AsyncWebSocket``)."""

    def __init__(self, ws: Any) -> None:
        self._ws = ws

    async def get_message(self) -> str:
        from trio_websocket import ConnectionClosed

        try:
            message = await self._ws.get_message()
        except ConnectionClosed as closed:
            why = closed.reason
            raise WebSocketClosed(
                why.code if why is not None else None,
                (why.reason or "") if why is not None else "",
            ) from None
        return message if isinstance(message, str) else bytes(message).decode("utf-8", "replace")

    async def send_message(self, text: str) -> None:
        await self._ws.send_message(text)


@asynccontextmanager
async def _open_trio_websocket(
    url: str,
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    ssl_context: Any = None,
    max_message_size: int = 1 << 20,
    connect_timeout: float = 10.0,
) -> AsyncIterator[_TrioWebSocket]:
    from trio_websocket import ConnectionRejected, open_websocket_url

    try:
        async with open_websocket_url(
            url,
            ssl_context=ssl_context,
            extra_headers=headers or [],
            max_message_size=max_message_size,
            connect_timeout=connect_timeout,
            disconnect_timeout=5.0,
        ) as ws:
            yield _TrioWebSocket(ws)
    except ConnectionRejected as rejected:  # the handshake was refused
        raise ws_rejected(rejected.status_code, rejected.body) from None


__all__ = ["TrioDriverShell"]
