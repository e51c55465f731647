"""``AsyncJob``: a job of ``AsyncClient`` (aio.py), fed by its shell, awaited by the caller.

A plain object, not a task: its state is a ``protocol.job.JobState`` (statuses, outputs,
the ordered downloads, the held-back terminal status, cancels, the deadline), and this
object only waits on the async library's events (``client._lib``: asyncio's or trio's)
and performs the state's effects: uploads and downloads run as tasks of the shell, a
cancel is fed to the machine.  A thousand jobs cost a thousand small objects.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, Union

from ._job import Call, JobBase, ResultCallback, call_with, now
from .errors import CancelledError
from .protocol.errors import GradioClientError
from .protocol.job import (
    AbortUpload,
    CancelOnServer,
    Download,
    Effect,
    Finish,
    JobState,
    Notify,
    Submit,
    Upload,
)
from .protocol.status import OutputUpdate, StatusUpdate
from .shells._common import upload_error

if TYPE_CHECKING:
    from .aio import AsyncClient

T = TypeVar("T")
log = logging.getLogger("gradio_client")

Update = Union[StatusUpdate, OutputUpdate]


class AsyncJob(JobBase):
    """A submitted call.

    * ``await job.result(timeout=None)``: the final value (for generators, the last one);
      raises the job's error (``AppError``, ``QueueFullError``, ``ValidationError``,
      ``JobTimeoutError``, ``ConnectionLostError``, ``CancelledError``...).  ``timeout``
      raises the builtin ``TimeoutError`` and leaves the job running, like a cancel scope
      around the call would (with ``trio.Cancelled`` or ``asyncio.CancelledError`` then).
    * ``async for update in job.watch()`` (or ``async for update in job``): every
      ``StatusUpdate`` and ``OutputUpdate`` in the order they happened, from the first one,
      whenever iteration starts, as the sync ``Job.watch()``.  A successful job ends with
      ``OutputUpdate(final=True)`` then ``StatusUpdate(FINISHED, success=True)``; a
      cancelled one with ``StatusUpdate(CANCELLED)``; a failed one with
      ``StatusUpdate(FINISHED, success=False)``.  Never raises the job's error (as the
      official client's job iteration): ``await job.result()`` does.
    * ``async for value in job.iter_outputs()``: output values only, like iterating a sync
      ``Job`` (intermediate outputs, or the final value when there were none; stops
      quietly when the job fails or is cancelled: ``result()`` raises that).
    * ``status()``, ``updates()``, ``outputs()``, ``done()``: snapshots, no waiting.
    * ``await job.cancel()``: cancel it, on the server too where it supports that.
    """

    _client: AsyncClient

    def __init__(
        self, client: AsyncClient, call: Call, *, uploads: Sequence[str] = (),
        deadline: float | None = None,
    ) -> None:
        self._client = client
        self._call = call
        self._lib = client._lib
        self._core = JobState(call.endpoint, uploads=uploads, deadline=deadline, at=now())
        self._changed = self._lib.event()  # replaced each time it is set
        self._done = self._lib.event()
        self._upload_scope: Any = None  # the cancel scope of the upload in flight
        self._callbacks: list[Callable[[AsyncJob], None]] = []

    # ------------------------------------------------------------------ public API

    def done(self) -> bool:
        return self._core.ended

    def running(self) -> bool:
        """True from ``submit()`` until the job ends (uploading, queued or processing)."""
        return not self._core.ended

    def add_done_callback(self, fn: Callable[[AsyncJob], None]) -> None:
        """Call ``fn(job)`` once when the job ends (at once if it has ended), as
        ``concurrent.futures.Future.add_done_callback`` does; ``fn`` must not block."""
        if self._core.ended:
            fn(self)
        else:
            self._callbacks.append(fn)

    async def result(self, timeout: float | None = None) -> Any:
        """Wait for the final value; see the class doc for errors and ``timeout``."""
        await self._lib.wait(self._done, timeout)
        core = self._core
        if timeout is not None and not core.ended:
            raise TimeoutError(
                f"The job did not finish within {timeout:g} s; it is still running "
                "(cancel it with job.cancel(), or pass job_timeout= to submit)."
            )
        if core.cancel_reason is not None:
            raise CancelledError(f"The job was {core.cancel_reason}.")
        if core.error is not None:
            raise core.error
        return core.value

    async def cancel(self) -> bool:
        """Cancel the job, on the server too where it supports that.

        False if it had already ended or a cancel was already requested.  The job ends as
        cancelled at once, unless an output it received first is still being downloaded.
        """
        await self._lib.checkpoint()
        return self.request_cancel("cancelled by the caller")

    def watch(self) -> AsyncIterator[Update]:
        """Every status and output of the job, in order (see the class doc)."""
        return _Follow(self, self._core.events)

    def __aiter__(self) -> AsyncIterator[Update]:
        return _Follow(self, self._core.events)

    def iter_outputs(self) -> AsyncIterator[Any]:
        """Output values as they come (see the class doc)."""
        return _Follow(self, self._core.outputs)

    def __repr__(self) -> str:
        return f"<AsyncJob {self._call.endpoint.display_name} {self._core.status.code.name}>"

    # ------------------------------------------------------------------ the client's verbs

    def request_cancel(self, reason: str) -> bool:
        """Cancel without waiting; False if the job ended or a cancel was requested."""
        if self._core.ended or self._core.cancel_requested:
            return False
        self._step(lambda state: state.cancel(reason, now()))
        return True

    # ------------------------------------------------------------------ effects

    def _step(self, input: Callable[[JobState], list[Effect]]) -> None:
        """Feed the state one input and perform what it asks, in order; never awaits."""
        client = self._client
        for effect in input(self._core):
            if isinstance(effect, Notify):
                self._changed.set()
                self._changed = self._lib.event()
            elif isinstance(effect, Upload):
                client._shell.spawn(self._upload, effect.path)
            elif isinstance(effect, AbortUpload):
                if self._upload_scope is not None:
                    self._upload_scope.cancel()
            elif isinstance(effect, Submit):
                self._submit(effect.uploaded)
            elif isinstance(effect, Download):
                client._shell.spawn(self._download, effect.data)
            elif isinstance(effect, CancelOnServer):
                client._cancel_job(effect.job)
            elif isinstance(effect, Finish):
                self._finished()

    async def _upload(self, path: str) -> None:
        if self._core.ended:  # cancelled before this task began
            return
        scope = self._upload_scope = self._lib.cancel_scope()
        with scope:
            try:
                ref = await self._client._upload_file(path, self._core.deadline)
            except Exception as exc:  # typed errors, httpx errors, the file unreadable
                error = exc if isinstance(exc, GradioClientError) else upload_error(path, exc)
                self._step(lambda state: state.upload_failed(error, now()))
                return
            finally:
                self._upload_scope = None
            self._step(lambda state: state.upload_done(path, ref, now()))

    async def _download(self, data: list[Any]) -> None:
        if self._core.ended:
            return
        try:
            local = await self._client._download(data, self._core.deadline)
        except Exception as exc:  # typed errors, and OSError from the disk: the job ends
            error = exc
            self._step(lambda state: state.download_failed(error, now()))
            return
        self._step(lambda state: state.download_done(local, now()))

    def _finished(self) -> None:
        self._done.set()
        self._client._forget(self)
        callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            try:
                fn(self)
            except Exception:  # a caller's callback must not stop the others, nor the job
                log.exception("gradio_client: a done callback of %r raised", self)


def on_success(callback: ResultCallback) -> Callable[[AsyncJob], None]:
    """A done callback that calls ``callback`` with the value of a job that succeeded (a
    tuple value spread over the arguments), as the official ``result_callbacks``."""

    def done(job: AsyncJob) -> None:
        core = job._core
        if core.error is None and core.cancel_reason is None:
            call_with(callback, core.value)

    return done


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
        while self._next >= len(self._items) and not job._core.ended:
            await job._changed.wait()
        if self._next < len(self._items):
            item = self._items[self._next]
            self._next += 1
            return item
        raise StopAsyncIteration


__all__ = ["AsyncJob", "OutputUpdate", "Update", "on_success"]
