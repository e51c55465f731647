"""``AsyncJob``: a job of ``AsyncClient`` (aio.py), fed by its shell, awaited by the caller.

A plain object, not a task: lists of what happened plus the async library's events
(``client._lib``: asyncio's or trio's), so a thousand jobs cost a thousand small objects.
The shell delivers the machine's actions (``_on_action``, which never awaits); downloads of
output files run as tasks of the shell, in order, and hold the terminal status back until
they are done.  ``_finish`` is the only place a job ends, once.
"""

from __future__ import annotations

import datetime
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, Union

from .errors import CancelledError
from .protocol.actions import (
    Action,
    EmitOutput,
    EmitStatus,
    JobCancelled,
    JobFailed,
    JobSucceeded,
)
from .protocol.api import Endpoint, outputs_value
from .protocol.errors import GradioClientError
from .protocol.status import OutputUpdate as _BaseOutputUpdate
from .protocol.status import Status, StatusUpdate
from .shells._common import stamp

if TYPE_CHECKING:
    from .aio import AsyncClient

T = TypeVar("T")
log = logging.getLogger("gradio_client")
_MISSING: Final[Any] = object()
_TERMINAL: Final = frozenset({Status.FINISHED, Status.CANCELLED})


class OutputUpdate(_BaseOutputUpdate, frozen=True, kw_only=True):
    """An output of a job, as ``async for update in job`` yields it.

    ``outputs`` is the value in the same shape ``result()`` returns (files downloaded,
    skipped outputs removed); ``final`` is True for the job's final value, which is also
    what ``result()`` returns.  Named like the official client's ``OutputUpdate`` so code
    that dispatches on ``update.type`` keeps working.  A subclass of the
    ``gradio_client.OutputUpdate`` that the sync ``Job.watch()`` yields, plus ``time``.
    """

    time: Any = None  # datetime of delivery


Update = Union[StatusUpdate, OutputUpdate]


class AsyncJob:
    """A submitted call.

    * ``await job.result(timeout=None)``: the final value (for generators, the last one);
      raises the job's error (``AppError``, ``QueueFullError``, ``ValidationError``,
      ``JobTimeoutError``, ``ConnectionLostError``, ``CancelledError``...).  ``timeout``
      raises the builtin ``TimeoutError`` and leaves the job running, like a cancel scope
      around the call would (with ``trio.Cancelled`` or ``asyncio.CancelledError`` then).
    * ``async for update in job``: every ``StatusUpdate`` and ``OutputUpdate`` in the order
      they happened, from the first one, whenever iteration starts.  A successful job ends
      with ``OutputUpdate(final=True)`` then ``StatusUpdate(FINISHED, success=True)``; a
      cancelled one with ``StatusUpdate(CANCELLED)``; a failed one with
      ``StatusUpdate(FINISHED, success=False)``.  Iteration never raises the job's error
      (as the official client's job iteration): ``await job.result()`` does.
    * ``async for value in job.iter_outputs()``: output values only, like iterating a sync
      ``Job`` (intermediate outputs, or the final value when there were none; stops
      quietly when the job fails or is cancelled: ``result()`` raises that).
    * ``status()``, ``updates()``, ``outputs()``, ``done()``: snapshots, no waiting.
    * ``await job.cancel()``: cancel it, on the server too where it supports that.
    """

    def __init__(self, client: AsyncClient, endpoint: Endpoint) -> None:
        self._client = client
        self._endpoint = endpoint
        self._id: int | None = None  # the machine's id once submitted
        self._status = stamp(StatusUpdate(code=Status.STARTING))
        self._updates: list[StatusUpdate] = []
        self._outputs: list[Any] = []
        self._log: list[Update] = []  # what ``async for update in job`` walks
        self._terminal: StatusUpdate | None = None  # the machine's last status, logged last
        self._lib = client._lib
        self._changed = self._lib.event()  # replaced each time it is set
        self._done = self._lib.event()
        self._ended = False
        self._value: Any = None
        self._error: BaseException | None = None
        self._cancel_reason: str | None = None
        self._cancel_requested = False
        self._backlog: deque[Callable[[], Awaitable[None]]] = deque()
        self._io_running = False
        self._upload_scope: Any = None  # a cancel scope while its files upload
        self._callbacks: list[Callable[[AsyncJob], None]] = []

    # ------------------------------------------------------------------ public API

    def status(self) -> StatusUpdate:
        return self._status

    def updates(self) -> list[StatusUpdate]:
        """Every status update received so far, in order (progress and logs included)."""
        return list(self._updates)

    def outputs(self) -> list[Any]:
        """Every output so far (for a job that is not a generator: its final value)."""
        return list(self._outputs)

    def done(self) -> bool:
        return self._ended

    def running(self) -> bool:
        """True from ``submit()`` until the job ends (uploading, queued or processing)."""
        return not self._ended

    def add_done_callback(self, fn: Callable[[AsyncJob], None]) -> None:
        """Call ``fn(job)`` once when the job ends (at once if it has ended), as
        ``concurrent.futures.Future.add_done_callback`` does; ``fn`` must not block."""
        if self._ended:
            fn(self)
        else:
            self._callbacks.append(fn)

    async def result(self, timeout: float | None = None) -> Any:
        """Wait for the final value; see the class doc for errors and ``timeout``."""
        await self._lib.wait(self._done, timeout)
        if timeout is not None:
            if not self._ended:
                raise TimeoutError(
                    f"The job did not finish within {timeout:g} s; it is still running "
                    "(cancel it with job.cancel(), or pass job_timeout= to submit)."
                )
        if self._cancel_reason is not None:
            raise CancelledError(f"The job was {self._cancel_reason}.")
        if self._error is not None:
            raise self._error
        return self._value

    async def cancel(self) -> bool:
        """Cancel the job, on the server too where it supports that.

        False if it had already ended or a cancel was already requested.  The job ends as
        cancelled at once, unless an output it received first is still being downloaded.
        """
        await self._lib.checkpoint()
        return self._cancel("cancelled by the caller")

    def __aiter__(self) -> AsyncIterator[Update]:
        return _Follow(self, self._log)

    def iter_outputs(self) -> AsyncIterator[Any]:
        """Output values as they come (see the class doc)."""
        return _Follow(self, self._outputs)

    def __repr__(self) -> str:
        return f"<AsyncJob {self._endpoint.display_name} {self._status.code.name}>"

    # ------------------------------------------------------------------ delivery

    def _on_action(self, action: Action) -> None:
        """The shell's delivery: never awaits, keeps each job's updates in order."""
        if isinstance(action, EmitStatus):
            update = action.update
            self._ordered(lambda: self._add_status(stamp(update)))
        elif isinstance(action, EmitOutput):
            data = action.data
            if self._client._needs_io(data):
                self._ordered_io(lambda: self._download_then(data, self._add_output))
            else:
                self._ordered(lambda: self._add_output(data))
        elif isinstance(action, JobSucceeded):
            data = action.data
            if self._client._needs_io(data):
                self._ordered_io(lambda: self._download_then(data, self._succeed))
            else:
                self._ordered(lambda: self._succeed(data))
        elif isinstance(action, JobFailed):
            error = action.error
            self._ordered(lambda: self._finish(error=error))
        elif isinstance(action, JobCancelled):
            reason = action.reason
            self._ordered(lambda: self._finish(cancelled=reason))

    def _ordered(self, apply: Callable[[], None]) -> None:
        """Apply now, unless a download is in progress: then queue behind it."""
        if not self._backlog and not self._io_running:
            apply()
            return

        async def step() -> None:
            apply()

        self._backlog.append(step)

    def _ordered_io(self, step: Callable[[], Awaitable[None]]) -> None:
        self._backlog.append(step)
        if not self._io_running:
            self._io_running = True
            self._client._shell.spawn(self._drain_backlog)

    async def _drain_backlog(self) -> None:
        try:
            while self._backlog:
                step = self._backlog.popleft()
                await step()
        finally:
            self._io_running = False  # if cancelled (shutdown), on_stop ends the job

    async def _download_then(self, data: list[Any], apply: Callable[[list[Any]], None]) -> None:
        if self._ended:
            return
        try:
            data = await self._client._download(data)
        except Exception as exc:  # typed errors, and OSError from the disk: the job ends
            self._finish(error=exc)
            return
        apply(data)

    def _add_status(self, update: StatusUpdate) -> None:
        if self._ended:
            return
        if update.code in _TERMINAL:
            # shown by _finish, after the final output; it may still fail the job (an
            # output that cannot be downloaded)
            self._terminal = update
            return
        self._status = update
        self._updates.append(update)
        self._log.append(update)
        self._notify()

    def _shaped(self, data: list[Any]) -> Any:
        """The caller's value of an output; ``_MISSING`` if the job ended (or ends now,
        when the output does not fit the endpoint)."""
        if self._ended:
            return _MISSING
        try:
            return outputs_value(self._endpoint, data)
        except GradioClientError as exc:
            self._finish(error=exc)
            return _MISSING

    def _add_output(self, data: list[Any]) -> None:
        value = self._shaped(data)
        if value is not _MISSING:
            self._outputs.append(value)
            self._log.append(OutputUpdate(outputs=value, time=datetime.datetime.now()))
            self._notify()

    def _succeed(self, data: list[Any]) -> None:
        value = self._shaped(data)
        if value is not _MISSING:
            self._finish(value=value)

    def _finish(
        self,
        *,
        value: Any = _MISSING,
        error: BaseException | None = None,
        cancelled: str | None = None,
    ) -> None:
        """End the job: the only place that does, and it does so once."""
        if self._ended:
            return
        self._ended = True
        if cancelled is not None:
            self._cancel_reason = cancelled
            code, success = Status.CANCELLED, False
        else:
            code, success = Status.FINISHED, error is None
        final = self._terminal
        if final is None or final.code is not code or final.success is not success:
            final = stamp(StatusUpdate(code=code, success=success))
        self._updates.append(final)  # the one terminal status, always the last
        self._status = final
        if cancelled is None and error is None:
            self._value = value
            if not self._outputs:
                self._outputs.append(value)
            self._log.append(
                OutputUpdate(outputs=value, final=True, time=datetime.datetime.now())
            )
        self._error = error
        self._log.append(final)
        self._notify()
        self._done.set()
        self._client._forget(self, server_may_run=error is not None)
        callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            try:
                fn(self)
            except Exception:  # a caller's callback must not stop the others, nor the job
                log.exception("gradio_client: a done callback of %r raised", self)

    def _cancel(self, reason: str) -> bool:
        if self._ended or self._cancel_requested:
            return False
        self._cancel_requested = True
        if self._id is None:  # not submitted yet: its uploads stop here
            if self._upload_scope is not None:
                self._upload_scope.cancel()
            self._finish(cancelled=reason)
        else:
            self._client._cancel_job(self._id)
        return True

    def _notify(self) -> None:
        self._changed.set()
        self._changed = self._lib.event()


class _Follow(Generic[T]):
    """Walks one of a job's growing lists from its start, waiting for more until it ends.

    Each iterator has its own position, so several readers each see everything.  It
    stops when the job ends, whatever the outcome (``result()`` raises a failure).
    """

    def __init__(self, job: AsyncJob, items: list[T]) -> None:
        self._job = job
        self._items = items
        self._next = 0

    def __aiter__(self) -> _Follow[T]:
        return self

    async def __anext__(self) -> T:
        job = self._job
        await job._lib.checkpoint()
        while self._next >= len(self._items) and not job._ended:
            await job._changed.wait()
        if self._next < len(self._items):
            item = self._items[self._next]
            self._next += 1
            return item
        raise StopAsyncIteration


__all__ = ["AsyncJob", "OutputUpdate", "Update"]
