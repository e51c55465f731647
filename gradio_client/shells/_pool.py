"""The thread shell's worker pool: threads for blocking calls and timers (``_Pool``)."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from ._stall import watching

log = logging.getLogger("gradio_client")


class _Pool:
    """Worker threads for blocking calls and timers, started on demand, capped.

    Short tasks (a join, a cancel, a timer) take a millisecond or two on a keep-alive
    connection, so one thread serves them in turn.  A further thread, up to ``max_workers``,
    starts only when every thread is busy with a long task (an upload, a download, a user
    callback) and work is waiting: a big upload never holds up other jobs' joins, and a
    burst of plain jobs runs on one thread.  A short task whose reply has not come within
    ``_stall.STALL`` seconds (a join the server holds) counts as long from then on, so the
    joins queued behind it get a thread of their own, up to the cap.
    """

    def __init__(self, max_workers: int, name: str) -> None:
        self._max = max(1, max_workers)
        self._name = name
        self._cv = threading.Condition()
        self._tasks: deque[tuple[Callable[[], None], bool]] = deque()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._long = 0  # threads running a long task now
        self._closed = False

    def submit(self, fn: Callable[[], None], *, long: bool = False) -> None:
        with self._cv:
            if self._closed:
                return
            self._tasks.append((fn, long))
            self._wake_locked()

    def call_at(self, when: float, fn: Callable[[], None]) -> None:
        with self._cv:
            if self._closed:
                return
            entry = (when, next(self._seq), fn)
            heapq.heappush(self._timers, entry)
            # A thread waits for the earliest timer already, or takes this one when its
            # task is done: only a new earliest timer (or no thread yet) needs a wake-up.
            if self._timers[0] is entry or not self._threads:
                self._wake_locked()

    def _wake_locked(self) -> None:
        threads = len(self._threads)
        if self._idle == 0 and threads < self._max and self._long >= threads:
            thread = threading.Thread(
                target=self._run, name=f"{self._name}-{len(self._threads)}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        else:
            self._cv.notify()

    def _run(self) -> None:
        while True:
            with self._cv:
                task = None
                long = False
                while task is None:
                    if self._closed:
                        return
                    now = time.monotonic()
                    if self._timers and self._timers[0][0] <= now:
                        task = heapq.heappop(self._timers)[2]
                    elif self._tasks:
                        task, long = self._tasks.popleft()
                        self._cv.notify_all()  # close() may be waiting for the queue
                    else:
                        timeout = self._timers[0][0] - now if self._timers else None
                        self._idle += 1
                        self._cv.wait(timeout)
                        self._idle -= 1
                if long:
                    self._long += 1
                    if self._tasks or self._timers:
                        self._wake_locked()  # what waits behind this task may need a thread
            stalled: list[bool] = []
            try:
                if long:
                    task()
                else:
                    with watching(lambda: self._stalled(stalled)):
                        task()
            except Exception:  # pragma: no cover - tasks report their own errors
                log.exception("gradio_client: a background task failed")
            finally:
                if long or stalled:
                    with self._cv:
                        self._long -= 1

    def _stalled(self, stalled: list[bool]) -> None:
        """A short task's read has waited ``STALL`` seconds (``_stall``): count it as long,
        so that work queued behind it may get a thread of its own (up to the cap)."""
        with self._cv:
            stalled.append(True)
            self._long += 1
            if self._tasks or self._timers:
                self._wake_locked()

    @property
    def thread_count(self) -> int:
        return len(self._threads)

    def close(self, linger: float = 0.0) -> None:
        """Stop; tasks already queued may still run for up to ``linger`` seconds."""
        with self._cv:
            self._timers.clear()
            if linger > 0 and self._tasks:
                self._tasks.append((self._stop, False))
                self._cv.notify_all()
                deadline = time.monotonic() + linger
                while self._tasks and not self._closed:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cv.wait(remaining)
            self._closed = True
            self._tasks.clear()
            self._cv.notify_all()

    def _stop(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify_all()
