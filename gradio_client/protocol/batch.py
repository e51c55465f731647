"""Batch scheduling as a pure state machine: which row runs where, when, and how often.

``BatchScheduler`` decides for a stream of rows (argument sets) spread over one or more
replicas of the same app.  Like the queue machine it does no IO and reads no clock: the
driver (``gradio_client.batch``) adds rows, reports each attempt's outcome with the current
time, and performs the ``Start`` actions it gets back; finished rows come out as ``RowDone``.

Rules
=====

Rows.  A row is added with an index and an opaque payload.  It is started at most once at a
time; each attempt ends with an ``Outcome``:

=================  ==========================================  ===========================
outcome            typical cause                               what happens to the row
=================  ==========================================  ===========================
``OK``             the app returned a value                    done, with the value
``FINAL``          the app ran and refused (``AppError``),     done, with the error; never
                   the arguments were rejected (validation,    retried: another attempt
                   unknown parameter), a local file error      would give the same answer
``NOT_RUN``        queue full, 429, the join or connection     retried (another replica
                   failed before the app saw the job           first) while retries last
``UNKNOWN``        the stream was lost after the job was       retried while retries last;
                   accepted: the app may or may not have run   the row is marked
                   it                                          ``may_have_run``
=================  ==========================================  ===========================

A row is retried at most ``retries`` times; then it is done with its last error.  So every
row ends exactly once, and a row can have run twice only when an earlier attempt ended
``UNKNOWN``: its ``RowDone.may_have_run`` says so, and nothing else can cause it.

Backoff.  A retried row waits ``backoff * 2**(attempt-1)`` seconds (capped at
``max_backoff``), or the server's ``Retry-After`` when it gave one (capped the same way).

Replicas.  Each replica runs at most its ``concurrency`` rows at once.  A new row goes to
the replica with the most free slots, ties broken by the lower load the server last reported
(queue size, then ETA), then by position.  A retried row avoids the replica it failed on
when another one has room.  An attempt that ends ``NOT_RUN`` or ``UNKNOWN`` puts its
replica in a cool-down (the same backoff, doubling with each consecutive failure, reset by
a success); a cooling replica starts nothing.  So a dead replica's rows move to the others,
and when every replica is down the rows wait for the first cool-down to end, never longer
than ``max_backoff``.

Window.  At most ``window`` rows are held at once (running, waiting to retry, or finished
but not yet handed out).  In ``ordered`` mode rows are handed out in the order they were
added, and the window bounds how far the run may get ahead of its slowest row; unordered,
each row comes out as soon as it is done.  ``room()`` says how many rows may be added now.

Time.  ``next_deadline()`` is when a waiting row or a cooling replica becomes ready; call
``start_ready(now)`` then.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import (
    ConnectionLostError,
    HTTPStatusError,
    JobTimeoutError,
    LocalProtocolError,
    QueueFullError,
    RemoteProtocolError,
    SessionNotFoundError,
    TooManyRequestsError,
    TransportError,
)


class Outcome(enum.Enum):
    OK = "ok"
    FINAL = "final"
    NOT_RUN = "not_run"
    UNKNOWN = "unknown"


def classify(error: BaseException, accepted: bool) -> Outcome:
    """The outcome of an attempt that failed with ``error``.

    ``accepted``: the server had taken the job (it was queued, started or sent something),
    so a lost connection leaves it unknown whether the app ran it.
    """
    if isinstance(error, (QueueFullError, TooManyRequestsError)):
        return Outcome.NOT_RUN
    if isinstance(error, SessionNotFoundError):
        return Outcome.UNKNOWN  # the join may have reached a replica that ran it
    if isinstance(error, HTTPStatusError):
        if error.status_code < 500 and error.status_code not in (408, 425):
            return Outcome.FINAL
        return Outcome.UNKNOWN if accepted else Outcome.NOT_RUN
    if isinstance(error, (ConnectionLostError, TransportError, RemoteProtocolError)):
        return Outcome.UNKNOWN if accepted else Outcome.NOT_RUN
    if isinstance(error, JobTimeoutError):
        return Outcome.FINAL  # the caller's own deadline: a retry would hit it again
    return Outcome.FINAL


def retry_after(error: BaseException) -> float | None:
    """The server's ``Retry-After``, when the error carries one."""
    value = getattr(error, "retry_after", None)
    return float(value) if isinstance(value, (int, float)) and value >= 0 else None


@dataclass(frozen=True, slots=True)
class Start:
    """Run ``row`` (its ``payload``) on ``replica``; this is attempt number ``attempt`` (1-based)."""

    row: int
    replica: int
    attempt: int
    payload: Any


@dataclass(frozen=True, slots=True)
class RowDone:
    """A row's one end.  ``error`` is None on success, else the last attempt's error."""

    row: int
    value: Any
    error: BaseException | None
    attempts: int
    may_have_run: bool  # an earlier attempt may have run in the app too (see the rules)


@dataclass(slots=True)
class _Row:
    index: int
    payload: Any
    attempts: int = 0
    not_before: float = 0.0
    avoid: int | None = None
    may_have_run: bool = False
    running_on: int | None = None
    result: RowDone | None = None


@dataclass(slots=True)
class _Replica:
    concurrency: int
    running: int = 0
    failures: int = 0  # consecutive failed attempts
    cool_until: float = 0.0
    queue_size: float = 0.0
    eta: float = 0.0
    done: int = 0
    failed: int = 0


@dataclass(slots=True)
class ReplicaStats:
    running: int
    done: int
    failed: int
    cooling: bool


@dataclass
class BatchScheduler:
    concurrency: Sequence[int]
    retries: int = 3
    ordered: bool = True
    window: int | None = None
    backoff: float = 0.5
    max_backoff: float = 30.0
    _replicas: list[_Replica] = field(init=False)
    _rows: dict[int, _Row] = field(init=False, default_factory=dict)
    _order: deque[int] = field(init=False, default_factory=deque)  # added, not yet handed out
    _ready: deque[int] = field(init=False, default_factory=deque)  # waiting to (re)start
    _input_closed: bool = field(init=False, default=False)
    _window: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        if not self.concurrency or any(c < 1 for c in self.concurrency):
            raise ValueError("every replica needs a concurrency of at least 1")
        if self.retries < 0:
            raise ValueError("retries must be >= 0")
        self._replicas = [_Replica(c) for c in self.concurrency]
        if self.window is not None and self.window < 1:
            raise ValueError("window must be >= 1")
        self._window = self.window or max(16, 4 * sum(self.concurrency))

    # ------------------------------------------------------------------ rows in

    def room(self) -> int:
        """How many rows may be added now."""
        if self._input_closed:
            return 0
        return max(0, self._window - len(self._rows))

    def add(self, index: int, payload: Any) -> None:
        """A new row; ``payload`` is the driver's, handed back in its ``Start``."""
        if self._input_closed:
            raise LocalProtocolError("add() after close_input()")
        if index in self._rows:
            raise LocalProtocolError(f"row {index} was added twice")
        self._rows[index] = _Row(index, payload)
        self._order.append(index)
        self._ready.append(index)

    def close_input(self) -> None:
        """No more rows will be added."""
        self._input_closed = True

    def done(self) -> bool:
        """Every row added has been handed out, and no more will come."""
        return self._input_closed and not self._rows

    # ------------------------------------------------------------------ scheduling

    def start_ready(self, now: float) -> list[Start]:
        starts: list[Start] = []
        deferred: list[int] = []
        while self._ready:
            row = self._rows[self._ready[0]]
            if row.not_before > now:
                deferred.append(self._ready.popleft())
                continue
            replica = self._pick(now, avoid=row.avoid)
            if replica is None:
                break  # nothing has room: keep the rest in order
            self._ready.popleft()
            row.attempts += 1
            row.running_on = replica
            self._replicas[replica].running += 1
            starts.append(Start(row.index, replica, row.attempts, row.payload))
        self._ready.extendleft(reversed(deferred))
        return starts

    def _pick(self, now: float, avoid: int | None) -> int | None:
        best: tuple[Any, ...] | None = None
        chosen: int | None = None
        for i, rep in enumerate(self._replicas):
            free = rep.concurrency - rep.running
            if free <= 0 or rep.cool_until > now:
                continue
            key = (i != avoid, free / rep.concurrency, -rep.queue_size, -rep.eta, -i)
            if best is None or key > best:
                best, chosen = key, i
        return chosen

    def next_deadline(self) -> float | None:
        """When a row waiting for its retry, or a cooling replica, becomes ready."""
        if not self._ready:
            return None
        free = [r.cool_until for r in self._replicas if r.running < r.concurrency]
        if not free:
            return None  # a finishing row makes room; no timer needed
        return max(min(self._rows[i].not_before for i in self._ready), min(free))

    def replica_of(self, row_index: int) -> int:
        """The replica a running row runs on."""
        row = self._rows.get(row_index)
        if row is None or row.running_on is None:
            raise LocalProtocolError(f"row {row_index} is not running")
        return row.running_on

    def report_load(self, replica: int, queue_size: float | None, eta: float | None) -> None:
        """A hint from the server (queue size, ETA) used to prefer the less loaded replica."""
        rep = self._replicas[replica]
        if queue_size is not None and queue_size >= 0:
            rep.queue_size = float(queue_size)
        if eta is not None and eta >= 0:
            rep.eta = float(eta)

    # ------------------------------------------------------------------ outcomes

    def finished(
        self,
        row_index: int,
        outcome: Outcome,
        now: float,
        *,
        value: Any = None,
        error: BaseException | None = None,
        retry_after: float | None = None,
    ) -> list[RowDone]:
        """An attempt of ``row_index`` ended; returns the rows now handed out, in order."""
        row = self._rows.get(row_index)
        if row is None or row.running_on is None or row.result is not None:
            raise LocalProtocolError(f"row {row_index} is not running")
        rep = self._replicas[row.running_on]
        rep.running -= 1
        failed_on, row.running_on = row.running_on, None
        if outcome is Outcome.OK:
            rep.failures, rep.cool_until = 0, 0.0
            rep.done += 1
            row.result = RowDone(row.index, value, None, row.attempts, row.may_have_run)
        elif outcome is Outcome.FINAL or row.attempts > self.retries:
            if outcome is not Outcome.FINAL:
                self._cool(rep, now, retry_after)
            rep.failed += 1
            may = row.may_have_run or outcome is Outcome.UNKNOWN
            row.result = RowDone(row.index, None, error, row.attempts, may)
        else:
            self._cool(rep, now, retry_after)
            if outcome is Outcome.UNKNOWN:
                row.may_have_run = True
            row.avoid = failed_on
            row.not_before = now + self._delay(row.attempts, retry_after)
            self._ready.append(row.index)
        return self._hand_out()

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_backoff)
        return min(self.backoff * 2.0 ** max(0, attempt - 1), self.max_backoff)

    def _cool(self, rep: _Replica, now: float, retry_after: float | None) -> None:
        rep.failures += 1
        rep.cool_until = max(rep.cool_until, now + self._delay(rep.failures, retry_after))

    def _hand_out(self) -> list[RowDone]:
        out: list[RowDone] = []
        for index in list(self._order):
            result = self._rows[index].result
            if result is None:
                if self.ordered:
                    break  # later rows wait for this one
                continue
            self._order.remove(index)
            del self._rows[index]
            out.append(result)
        return out

    # ------------------------------------------------------------------ reporting

    def running(self) -> int:
        return sum(r.running for r in self._replicas)

    def stats(self) -> list[ReplicaStats]:
        return [ReplicaStats(r.running, r.done, r.failed, r.failures > 0) for r in self._replicas]
