"""The asyncio shell: drives a ``QueueMachine`` with httpx.AsyncClient on an asyncio loop.

Everything but the library's verbs is ``AsyncDriver`` (``_driver.py``), the loop the trio
shell runs too: feed, drain, timer, dispatch, POSTs in the machine's order, stream and
websocket readers.  What is asyncio's here:

* tasks: one per open stream, one per POST, upload or download in flight (at most
  ``max_workers`` with a request on the wire: ``requests``, an ``asyncio.Semaphore``), and
  ``_run``, the shell's main task, which only waits to be cancelled.  The timer is no task:
  a ``loop.call_at`` handle for ``machine.next_deadline()``, replaced when a nearer one
  appears, that feeds ``tick`` (a task woken for each deadline cost a tenth of the shell's
  own CPU per predict: every job has one deadline that is due at once, when its join is
  answered).  The tasks are kept in a set (asyncio keeps only weak references), and no
  thread is ever started: httpx runs on asyncio's sockets (through anyio), a literal IP
  address is not resolved, and the Gradio 3.x websocket is wsproto
  over asyncio streams (``_asyncio_ws.py``);
* the clock is ``loop.time()``;
* shutdown, two ways, ending every job exactly once either way: ``aclose()`` (the machine's
  ``close`` cancels every job, telling the server for up to ``linger`` seconds, then every
  task is cancelled and awaited), or the main task is cancelled from outside (the loop is
  shutting down, as ``asyncio.run`` does with tasks left over): the other tasks are
  cancelled, the machine is told the client is closed without any more IO, and
  ``on_stop`` ends the jobs the machine did not know (uploads in flight).

``AsyncioLib`` holds the few asyncio primitives the client layer (``aio.py``) needs; its
trio twin is ``TrioLib`` (``_trio_lib.py``).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine, Generator
from types import TracebackType
from typing import Any, TypeVar

import httpx

from ..protocol.connect import Connection, HttpRequest, HttpResponse, Limits, Step
from ..protocol.machine import QueueMachine
from ._driver import AsyncDriver, Deliver, Event, WsConnect, drive_flow

log = logging.getLogger("gradio_client")
T = TypeVar("T")


class AsyncioShell(AsyncDriver):
    """Performs a ``QueueMachine``'s actions with httpx.AsyncClient on asyncio."""

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
        self._loop = asyncio.get_running_loop()
        self._tasks: set[asyncio.Task[None]] = set()
        self._main: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None  # feeds ``tick`` at ``_tick_at``
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
        self.requests = asyncio.Semaphore(max(1, max_workers))
        self._stream_slots = asyncio.Semaphore(max(1, max_streams))

    # ------------------------------------------------------------------ verbs

    def _now(self) -> float:
        return self._loop.time()

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def _event(self) -> Event:
        return asyncio.Event()

    def _task(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        if self._main is None:
            coro.close()
            raise RuntimeError("the shell is not running")
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:  # pragma: no cover
            log.error("gradio_client: a task of the shell failed", exc_info=task.exception())

    def _start(self, fn: Callable[..., Awaitable[None]], *args: Any) -> None:
        self._task(_coro(fn, *args))

    def _start_cancellable(self, fn: Callable[[], Awaitable[None]]) -> Callable[[], None]:
        task = self._task(_coro(fn))

        def cancel() -> None:
            task.cancel()

        return cancel

    def _default_ws_connect(self) -> WsConnect:
        from ._asyncio_ws import open_websocket  # only Gradio 3.x needs it

        return open_websocket

    # ------------------------------------------------------------------ lifecycle

    def _schedule_tick(self) -> None:
        if self._stopped:
            return
        deadline = self._machine.next_deadline()
        if deadline is not None and (self._tick_at is None or deadline < self._tick_at):
            self._tick_at = deadline
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._tick_at = None
        if self._stopped:
            return
        try:
            self.feed(self._machine.tick, self._now())
        except Exception:  # pragma: no cover - the machine failed: stop, as the timer task did
            log.exception("gradio_client: the shell's timer failed")
            if self._main is not None:
                self._main.cancel()

    def start(self) -> None:
        """Start the shell's main task on the running loop."""
        self._main = self._loop.create_task(self._run())

    async def _run(self) -> None:
        try:
            await self._loop.create_future()  # until cancelled (aclose, or the loop's end)
        finally:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            for task in list(self._tasks):
                task.cancel()
            self._stop()

    async def aclose(self, linger: float = 2.0) -> None:
        """Cancel what is pending (telling the server, for up to ``linger`` s) and stop.

        Returns once every task of the shell has ended.  Safe to call more than once.
        """
        main = self._main
        if main is None:  # never ran
            return
        if not self._closed:
            self._closed = True
            self.feed(self._machine.close)  # every job ends here, now
            try:
                if self._posting:
                    await asyncio.wait_for(self._posts_done(), linger)
            except asyncio.TimeoutError:
                pass
            finally:
                main.cancel()
        main.cancel()
        pending = {main, *self._tasks}
        while pending:  # the tasks only unwind (they were cancelled); never blocks long
            _, pending = await asyncio.wait(pending)
            pending |= self._tasks

    async def _posts_done(self) -> None:
        while self._posting:
            await self._posts_idle.wait()


def _coro(fn: Callable[..., Awaitable[None]], *args: Any) -> Coroutine[Any, Any, None]:
    """``fn(*args)`` as a coroutine for ``create_task`` (an ``async def``'s call already is
    one: no frame around it that every resumption of the task would go through)."""
    awaitable = fn(*args)
    if asyncio.iscoroutine(awaitable):
        return awaitable
    return _await(awaitable)


async def _await(awaitable: Awaitable[None]) -> None:
    await awaitable


class _TaskScope:
    """A trio-like cancel scope for one block of a task: ``cancel()`` cancels the task,
    and the ``CancelledError`` that it raises ends at the block's end."""

    def __init__(self) -> None:
        self._task: asyncio.Task[Any] | None = None
        self.cancel_called = False

    def __enter__(self) -> _TaskScope:
        self._task = asyncio.current_task()
        if self.cancel_called and self._task is not None:  # cancelled before it began
            self._task.cancel()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        task, self._task = self._task, None
        if self.cancel_called and exc_type is not None and issubclass(
            exc_type, asyncio.CancelledError
        ):
            if task is not None and sys.version_info >= (3, 11):
                # ours is handled; a cancel of the task from elsewhere (the shell closing)
                # still propagates
                return task.uncancel() == 0
            return True
        return False

    def cancel(self) -> None:
        if not self.cancel_called:
            self.cancel_called = True
            if self._task is not None:
                self._task.cancel()


class AsyncioLib:
    """The asyncio primitives the async client needs (the twin of ``TrioLib``)."""

    name = "asyncio"

    @staticmethod
    def event() -> Event:
        return asyncio.Event()

    @staticmethod
    async def checkpoint() -> None:
        await asyncio.sleep(0)

    @staticmethod
    async def wait(event: Event, timeout: float | None) -> None:
        """Wait for ``event``, for at most ``timeout`` seconds (None: no limit)."""
        if timeout is None:
            await event.wait()
            return
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    @staticmethod
    def cancel_scope() -> _TaskScope:
        return _TaskScope()

    @staticmethod
    async def finish(awaitable: Awaitable[None]) -> None:
        """Run cleanup to its end even if the caller is cancelled meanwhile."""
        await asyncio.shield(awaitable)

    shell = AsyncioShell

    @staticmethod
    async def start(shell: Any, nursery: Any) -> None:
        shell.start()

    @staticmethod
    async def drive_flow(
        http: httpx.AsyncClient,
        flow: Generator[Step, HttpResponse | None, T],
        *,
        observe: Callable[[HttpRequest], None] | None = None,
        limits: Limits | None = None,
    ) -> T:
        loop = asyncio.get_running_loop()

        async def within(
            request: Awaitable[httpx.Response], deadline: float | None
        ) -> httpx.Response | None:
            if deadline is None:
                return await request
            try:
                return await asyncio.wait_for(request, max(0.0, deadline - loop.time()))
            except asyncio.TimeoutError:
                return None

        return await drive_flow(
            http,
            flow,
            sleep=asyncio.sleep,
            clock=loop.time,
            within=within,
            observe=observe,
            limits=limits,
        )


__all__ = ["AsyncioLib", "AsyncioShell"]
