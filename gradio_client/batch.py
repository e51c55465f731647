"""Batch jobs: map a stream of inputs through one app or several replicas of it.

    with Client(url) as client:
        for index, output in client.map([("a",), ("b",)], api_name="/echo"):
            ...

    pool = ClientPool([url_a, url_b])             # replicas of the same app
    for index, output in pool.map(rows, api_name="/predict", concurrency=8):
        if isinstance(output, RowError): ...

The decisions (which row runs where, retries, backoff, order) are made by the pure
``gradio_client.protocol.batch.BatchScheduler``; this module only submits jobs, waits for
them and reads the input lazily, so a million rows never sit in memory at once.  Each input
row is a list or tuple of positional arguments, a dict of keyword arguments, or a single
value (one positional argument).
"""

from __future__ import annotations

import logging
import queue
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .protocol.batch import BatchScheduler, Outcome, RowDone, Start, classify, retry_after
from .protocol.status import Status

if TYPE_CHECKING:
    from ._async_job import AsyncJob
    from .aio import AsyncClient
    from .client import Client, Job

log = logging.getLogger("gradio_client")

DEFAULT_CONCURRENCY = 8  # per replica; see bench/RESULTS.md for how it was chosen
_ACCEPTED = frozenset({Status.IN_QUEUE, Status.PROCESSING, Status.ITERATING, Status.PROGRESS,
                       Status.LOG})


class BadInput(ValueError):
    """An input row that cannot be sent (a malformed line of an input file)."""


@dataclass(frozen=True)
class RowError:
    """What ``map`` yields in place of an output for a row that failed (``on_error="record"``).

    ``may_have_run``: an earlier attempt of this row was lost after the app accepted it,
    so the app may have run the row more than once.
    """

    index: int
    error: BaseException
    attempts: int
    may_have_run: bool = False

    @property
    def type(self) -> str:
        return type(self.error).__name__

    @property
    def message(self) -> str:
        return str(self.error)

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "message": self.message, "attempts": self.attempts,
                "may_have_run": self.may_have_run}


def split_row(row: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """A row as (args, kwargs): a list/tuple is positional, a dict by name, else one value."""
    if isinstance(row, dict):
        return (), dict(row)
    if isinstance(row, (list, tuple)):
        return tuple(row), {}
    return (row,), {}


class _Run:
    """What a sync and an async run share: the scheduler, the input, the counts."""

    def __init__(
        self,
        n_clients: int,
        inputs: Iterable[Any],
        *,
        concurrency: int | Sequence[int] | None = None,
        ordered: bool = True,
        retries: int = 3,
        on_error: str = "record",
        skip: Callable[[int], bool] | None = None,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
    ) -> None:
        if on_error not in ("record", "raise"):
            raise ValueError("on_error must be 'record' or 'raise'")
        if n_clients < 1:
            raise ValueError("map needs at least one client")
        if isinstance(concurrency, int) or concurrency is None:
            limits = [concurrency or DEFAULT_CONCURRENCY] * n_clients
        else:
            limits = list(concurrency)
            if len(limits) != n_clients:
                raise ValueError("give one concurrency per replica, or one number for all")
        self._on_error = on_error
        self._inputs = enumerate(inputs)
        self._skip = skip
        self._sched = BatchScheduler(limits, retries=retries, ordered=ordered,
                                     backoff=backoff, max_backoff=max_backoff)
        self._out: deque[RowDone] = deque()
        self._closed = False
        self.started = time.monotonic()
        self.counts = {"done": 0, "failed": 0, "retried": 0, "may_have_run": 0}
        self.errors_by_type: dict[str, int] = {}

    def _finished(self) -> bool:
        return not self._out and (self._closed or self._sched.done())

    def _fill(self) -> list[Start]:
        """Read as many rows as the window allows; the starts due now."""
        room = self._sched.room()
        while room > 0:
            try:
                index, row = next(self._inputs)
            except StopIteration:
                self._sched.close_input()
                break
            if self._skip is not None and self._skip(index):
                continue
            self._sched.add(index, row)
            room -= 1
        starts = []
        for start in self._sched.start_ready(time.monotonic()):
            if isinstance(start.payload, BaseException):  # a bad input line: never sent
                self._end(start.row, Outcome.FINAL, error=start.payload)
            else:
                starts.append(start)
        return starts

    def _timeout(self, running: int) -> float | None | bool:
        """How long to wait for a job to end; False: do not wait (the input decides)."""
        deadline = self._sched.next_deadline()
        if deadline is None:
            return None if running else False
        return max(0.0, deadline - time.monotonic())

    def _end(self, index: int, outcome: Outcome, *, value: Any = None,
             error: BaseException | None = None) -> None:
        if outcome is not Outcome.OK and outcome is not Outcome.FINAL:
            self.counts["retried"] += 1
        self._out += self._sched.finished(index, outcome, time.monotonic(), value=value,
                                          error=error, retry_after=retry_after(error)
                                          if error is not None else None)

    def _launch_failed(self, index: int, exc: BaseException) -> None:
        """The arguments were rejected before anything was sent."""
        self._end(index, classify(exc, False), error=exc)

    def _settle(self, index: int, job: Job | AsyncJob, value: Any,
                error: BaseException | None) -> None:
        status = job.status()
        self._sched.report_load(self._sched.replica_of(index),
                                getattr(status, "queue_size", None), getattr(status, "eta", None))
        if error is None:
            self._end(index, Outcome.OK, value=value)
            return
        accepted = bool(job.outputs()) or any(u.code in _ACCEPTED for u in job.updates())
        self._end(index, classify(error, accepted), error=error)

    def _take(self) -> tuple[int, Any]:
        row = self._out.popleft()
        if row.error is None:
            self.counts["done"] += 1
            return row.row, row.value
        self.counts["failed"] += 1
        if row.may_have_run:
            self.counts["may_have_run"] += 1
        name = type(row.error).__name__
        self.errors_by_type[name] = self.errors_by_type.get(name, 0) + 1
        if self._on_error == "raise":
            self._closed = True
            raise row.error
        return row.row, RowError(row.row, row.error, row.attempts, row.may_have_run)

    def replica_stats(self) -> list[dict[str, Any]]:
        return [{"running": s.running, "done": s.done, "failed": s.failed, "cooling": s.cooling}
                for s in self._sched.stats()]


class BatchRun(_Run, Iterator[tuple[int, Any]]):
    """The iterator ``Client.map`` returns: ``(index, output)`` pairs, or ``(index, RowError)``.

    Closing it (``close()``, leaving a ``with`` block, or dropping the iterator) cancels
    the rows still running.  ``counts`` has the running totals; ``replica_stats()`` the
    per-replica ones, for progress displays.
    """

    def __init__(self, clients: Sequence[Client], inputs: Iterable[Any], *,
                 api_name: str | None, fn_index: int | None, **options: Any) -> None:
        super().__init__(len(clients), inputs, **options)
        self._clients = list(clients)
        self._api_name = api_name
        self._fn_index = fn_index
        self._done: queue.SimpleQueue[tuple[int, Job]] = queue.SimpleQueue()
        self._running: dict[int, Job] = {}

    def __iter__(self) -> BatchRun:
        return self

    def __next__(self) -> tuple[int, Any]:
        while not self._out:
            if self._finished():
                raise StopIteration
            self._step()
        try:
            return self._take()
        except BaseException:
            self.close()
            raise

    def _step(self) -> None:
        for start in self._fill():
            self._launch(start.row, start.replica, start.payload)
        if self._out:
            return
        timeout = self._timeout(len(self._running))
        if timeout is False:
            return
        try:
            item = self._done.get(timeout=timeout)
        except queue.Empty:
            return
        while True:  # settle every finished job, waiting only for the first
            index, job = item
            if self._running.pop(index, None) is not None:
                error = job.exception()
                self._settle(index, job, None if error else job.result(), error)
            try:
                item = self._done.get_nowait()
            except queue.Empty:
                break

    def _launch(self, index: int, replica: int, row: Any) -> None:
        args, kwargs = split_row(row)
        try:
            job = self._clients[replica].submit(*args, api_name=self._api_name,
                                                fn_index=self._fn_index, **kwargs)
        except Exception as exc:
            self._launch_failed(index, exc)
            return
        self._running[index] = job
        done = self._done

        def finished(_future: Any, index: int = index, job: Job = job) -> None:
            done.put((index, job))

        job.add_done_callback(finished)

    def close(self) -> None:
        """Stop: cancel the rows still running; nothing more is yielded."""
        if self._closed and not self._running:
            return
        self._closed = True
        self._out.clear()
        for job in list(self._running.values()):
            job.cancel()
        self._running.clear()

    def __enter__(self) -> BatchRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_running", None):
            self.close()


class AsyncBatchRun(_Run, AsyncIterator[tuple[int, Any]]):
    """What ``AsyncClient.map`` returns: ``async for index, output in run`` (trio or asyncio).

    The same rules as ``BatchRun``; ``await run.aclose()`` (or ``async with``) cancels the
    rows still running.  Jobs are followed by done-callbacks: no task per row.
    """

    def __init__(self, clients: Sequence[AsyncClient], inputs: Iterable[Any], *,
                 api_name: str | None, fn_index: int | None, **options: Any) -> None:
        super().__init__(len(clients), inputs, **options)
        self._clients = list(clients)
        self._api_name = api_name
        self._fn_index = fn_index
        self._lib = clients[0]._lib
        self._ended: deque[tuple[int, AsyncJob]] = deque()
        self._wake = self._lib.event()
        self._running: dict[int, AsyncJob] = {}

    def __aiter__(self) -> AsyncBatchRun:
        return self

    async def __anext__(self) -> tuple[int, Any]:
        await self._lib.checkpoint()
        while not self._out:
            if self._finished():
                raise StopAsyncIteration
            await self._step()
        try:
            return self._take()
        except BaseException:
            await self.aclose()
            raise

    async def _step(self) -> None:
        for start in self._fill():
            await self._launch(start.row, start.replica, start.payload)
        if self._out:
            return
        timeout = self._timeout(len(self._running))
        if timeout is False:
            return
        if not self._ended:
            await self._lib.wait(self._wake, timeout)
        self._wake = self._lib.event()
        while self._ended:
            index, job = self._ended.popleft()
            if self._running.pop(index, None) is None:
                continue
            try:
                value, error = await job.result(), None
            except Exception as exc:  # the job's own error (it has ended: no waiting)
                value, error = None, exc
            self._settle(index, job, value, error)

    async def _launch(self, index: int, replica: int, row: Any) -> None:
        args, kwargs = split_row(row)
        try:
            job = await self._clients[replica].submit(*args, api_name=self._api_name,
                                                      fn_index=self._fn_index, **kwargs)
        except Exception as exc:
            self._launch_failed(index, exc)
            return
        self._running[index] = job

        def finished(job: AsyncJob, index: int = index) -> None:
            self._ended.append((index, job))
            self._wake.set()

        job.add_done_callback(finished)

    async def aclose(self) -> None:
        """Stop: cancel the rows still running; nothing more is yielded."""
        self._closed = True
        self._out.clear()
        running, self._running = list(self._running.values()), {}
        for job in running:
            await job.cancel()

    async def __aenter__(self) -> AsyncBatchRun:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def check_same_api(clients: Sequence[Client] | Sequence[AsyncClient], api_name: str | None, fn_index: int | None) -> None:
    """Raise ``ValueError`` unless every replica has the same parameters for the endpoint."""
    def signature(client: Any) -> Any:
        api = client.view_api(print_info=False, return_format="dict")
        if not isinstance(api, dict):
            raise TypeError("view_api(return_format='dict') returned no dict")
        if api_name is not None:
            endpoint = api.get("named_endpoints", {}).get(api_name)
        else:
            endpoint = api.get("unnamed_endpoints", {}).get(str(fn_index))
            if endpoint is None:
                endpoint = api.get("unnamed_endpoints", {}).get(fn_index)
        if endpoint is None:
            return None
        return [(p.get("parameter_name"), p.get("python_type", {}).get("type"), p.get("component"))
                for p in endpoint.get("parameters", [])]

    first = signature(clients[0])
    for i, client in enumerate(clients[1:], start=1):
        other = signature(client)
        if other != first:
            raise ValueError(
                f"replica {i} ({client.src}) does not serve the same API as replica 0 "
                f"({clients[0].src}) for {api_name or fn_index!r}: {other!r} != {first!r}")


def _checked(clients: Sequence[Any], api_name: str | None, fn_index: int | None) -> None:
    if api_name is None and fn_index is None:
        raise ValueError("map needs api_name (or fn_index)")
    if len(clients) > 1:
        check_same_api(clients, api_name, fn_index)


def run_map(clients: Sequence[Client], inputs: Iterable[Any], *, api_name: str | None = None,
            fn_index: int | None = None, **options: Any) -> BatchRun:
    """What ``Client.map`` and ``ClientPool.map`` do.  ``options``: ``concurrency`` (per
    replica, or one per replica), ``ordered``, ``retries``, ``on_error`` ("record" or
    "raise"), ``skip`` (a predicate on row indices, for resuming); see ``BatchRun``."""
    _checked(clients, api_name, fn_index)
    return BatchRun(clients, inputs, api_name=api_name, fn_index=fn_index, **options)


def run_map_async(clients: Sequence[AsyncClient], inputs: Iterable[Any], *,
                  api_name: str | None = None, fn_index: int | None = None,
                  **options: Any) -> AsyncBatchRun:
    """What ``AsyncClient.map`` does, with ``run_map``'s options; see ``AsyncBatchRun``."""
    _checked(clients, api_name, fn_index)
    return AsyncBatchRun(clients, inputs, api_name=api_name, fn_index=fn_index, **options)


class ClientPool:
    """Several replicas of one app (URLs or Space ids), used together by ``map``.

    ``ClientPool([src_a, src_b], **client_kwargs)`` connects one ``Client`` per source
    (the keyword arguments go to each), or wraps ``Client`` objects you made.  ``map``
    checks that the replicas serve the same API for the endpoint before it starts.
    """

    def __init__(self, sources: Sequence[str | Client], **client_kwargs: Any) -> None:
        from .client import Client

        self.clients: list[Client] = []
        self._owned: list[Client] = []
        try:
            for src in sources:
                if isinstance(src, Client):
                    self.clients.append(src)
                else:
                    client = Client(src, **client_kwargs)
                    self.clients.append(client)
                    self._owned.append(client)
        except BaseException:
            self.close()
            raise
        if not self.clients:
            raise ValueError("ClientPool needs at least one source")

    def map(self, inputs: Iterable[Any], **kwargs: Any) -> BatchRun:
        """Like ``Client.map``, spread over the replicas."""
        return run_map(self.clients, inputs, **kwargs)

    def close(self) -> None:
        for client in self._owned:
            client.close()
        self._owned.clear()

    def __enter__(self) -> ClientPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
