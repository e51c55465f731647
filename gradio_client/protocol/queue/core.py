"""The queue machine's state and its bookkeeping: naming and ending jobs, streams, output.

``_Core`` holds every job, stream and session of one client and the helpers every rule
uses; ``streams.py``, ``routing.py`` and ``machine.py`` add the rules on top of it.

Status history: capped, not coalesced (servers repeat estimations, and the official client
shows every one; the recorded sessions replay unchanged).  An advisory status (IN_QUEUE,
PROCESSING, PROGRESS, LOG) equal to the job's previous advisory status is emitted at most
``MAX_REPEATS`` (16) more times in a row; further repeats are dropped until something
changes.  On top of that every job gets at most ``max_status_updates`` advisory statuses (a
constructor argument, default ``MAX_STATUS_UPDATES`` = 100,000); later ones are dropped
after one ``Notice``.  Output and terminal statuses always go out.
"""

from __future__ import annotations

import heapq
from typing import Any

from ..actions import (
    Action,
    CloseStream,
    EmitStatus,
    JobCancelled,
    JobFailed,
    JobSucceeded,
    Notice,
    OpenStream,
    Post,
)
from ..errors import MalformedMessageError
from ..messages import KnownMessage, encode_json
from ..status import Status, StatusUpdate
from .failures import server_ended
from .state import Phase, StreamKind, _Job, _Request, _Session, _Stream, move
from .wire import MAX_REPEATS, MAX_STATUS_UPDATES, RULES, MachineConfig, Wire


class _Core:
    """State and bookkeeping shared by the machine's rules (see the module doc)."""

    def __init__(
        self,
        config: MachineConfig,
        session_hash: str,
        *,
        max_status_updates: int = MAX_STATUS_UPDATES,
    ) -> None:
        self.config = config
        self.max_status_updates = max_status_updates
        self.wire = Wire.of(config.protocol)  # LocalProtocolError for an unknown protocol
        self._rules = RULES[self.wire]
        self._diffs = self.wire.diffed
        self._prefix = config.api_prefix.rstrip("/")
        self._session = _Session(session_hash)
        self._sessions: dict[str, _Session] = {session_hash: self._session}
        self._jobs: dict[int, _Job] = {}
        self._timed: dict[int, _Job] = {}  # jobs with a deadline or a grace deadline
        self._timers: list[tuple[float, int]] = []  # heap of (when, job id); lazily pruned
        self._sent_joins: set[int] = set()  # request ids of joins counted in ``in_flight``
        self._gathering: dict[str, _Session] = {}  # sessions whose stream waits for joins
        self._cut: set[str] = set()  # sessions whose stream broke while jobs waited
        self._by_event: dict[str, _Job] = {}
        self._ended: dict[str, None] = {}  # tombstones, insertion-ordered for eviction
        self._early: dict[str, list[KnownMessage | MalformedMessageError]] = {}
        self._early_count = 0
        self._requests: dict[int, tuple[_Request, _Job | None]] = {}
        self._streams: dict[int, _Stream] = {}
        self._next_job = 1
        self._next_id = 1
        self._now = 0.0
        self._closed = False
        self._out: list[Action] = []

    # ------------------------------------------------------------------ jobs

    def _named(self, job: _Job, event_id: str | None) -> None:
        """The server named the job's event: JOINING -> WAITING."""
        move(job, Phase.WAITING)
        session = self._sessions[job.session]
        session.joining -= 1
        if event_id is not None:
            job.event_id = event_id
            self._by_event[event_id] = job
        if self._rules.session_stream:  # joined with its data: no retry needs it now
            job.data = None

    def _session_jobs(self, session: _Session, phase: Phase) -> list[_Job]:
        return [
            job
            for job in self._jobs.values()
            if job.session == session.hash and job.phase is phase and job.stream_id is None
        ]

    def _set_timer(self, job: _Job, when: float) -> None:
        """Have ``tick`` look at ``job`` at ``when`` (its deadline or its grace deadline)."""
        self._timed[job.id] = job
        self._prune_timers()
        heapq.heappush(self._timers, (when, job.id))

    def _prune_timers(self) -> None:
        """Drop the entries of ended jobs once they could outnumber the live ones: at most
        ``2 * live + 65`` entries, at an amortized constant cost per job."""
        timers = self._timers
        if len(timers) > 2 * len(self._timed) + 64:
            timers[:] = [entry for entry in timers if entry[1] in self._timed]
            heapq.heapify(timers)

    def _due_timers(self, now: float) -> list[_Job]:
        """The live jobs with a timer at or before ``now``, each once, earliest first."""
        timers, due = self._timers, {}
        while timers and timers[0][0] <= now:
            job = self._timed.get(heapq.heappop(timers)[1])
            if job is not None:
                due[job.id] = job
        return list(due.values())

    def _first_timer(self) -> float | None:
        timers = self._timers
        while timers and timers[0][1] not in self._timed:
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    def _end(self, job: _Job, terminal: JobSucceeded | JobFailed | JobCancelled) -> None:
        """The only way a job ends: one terminal action, then silence."""
        was_joining = move(job, Phase.DONE) is Phase.JOINING  # ending twice raises
        del self._jobs[job.id]
        if self._timed.pop(job.id, None) is not None:
            self._prune_timers()
        session = self._sessions[job.session]
        session.unacked.pop(job.id, None)
        if was_joining:
            session.joining -= 1
        if job.event_id is not None:
            self._by_event.pop(job.event_id, None)
            self._remember_ended(job.event_id)
        ends_early = not isinstance(terminal, JobSucceeded) and not (
            isinstance(terminal, JobFailed) and server_ended(terminal.error)
        )
        if ends_early:
            if job.event_id is not None or job.stream_id is not None:
                self._server_cancel(job, job.event_id)
            else:  # a join still in flight: cancel once the reply names the event
                job.cancel_on_join = True
        if job.stream_id is not None and job.stream_id in self._streams:
            self._close_stream(self._streams[job.stream_id])
        if isinstance(terminal, JobCancelled):
            final = StatusUpdate(code=Status.CANCELLED, success=False)
        else:
            final = StatusUpdate(code=Status.FINISHED, success=isinstance(terminal, JobSucceeded))
        self._out.append(EmitStatus(job=job.id, update=final))
        self._out.append(terminal)
        if not self._jobs:
            self._early.clear()
            self._early_count = 0
        self._forget_session_if_idle(session)

    def _server_cancel(self, job: _Job, event_id: str | None) -> None:
        """Ask the server to stop a job that ended early here (the family's rule)."""
        self._rules.cancel(self, job, event_id)

    def _remember_ended(self, event_id: str) -> None:
        self._ended[event_id] = None
        if len(self._ended) > self.config.tombstone_limit:
            del self._ended[next(iter(self._ended))]
        if self._early:
            dropped = self._early.pop(event_id, None)
            if dropped:
                self._early_count -= len(dropped)

    # ------------------------------------------------------------------ streams

    def _open_session_stream(self, session: _Session, delay: float) -> _Stream:
        path = f"{self._prefix}/queue/data?session_hash={session.hash}"
        stream = session.stream = self._open(StreamKind.SESSION, session, path, delay)
        return stream

    def _open_heartbeat(self, session: _Session, delay: float) -> None:
        if not self.config.heartbeat or self._closed or not self._rules.session_stream:
            return
        path = f"{self._prefix}/heartbeat/{session.hash}"
        session.heartbeat = self._open(StreamKind.HEARTBEAT, session, path, delay)

    def _open(self, kind: StreamKind, session: _Session, path: str, delay: float) -> _Stream:
        stream = self._new_stream(kind, session.hash, None)
        self._out.append(
            OpenStream(
                stream_id=stream.id,
                path=path,
                delay=delay,
                read_timeout=self.config.stream_read_timeout,
            )
        )
        return stream

    def _new_stream(self, kind: StreamKind, session: str, job: _Job | None) -> _Stream:
        stream = _Stream(self._next_id, kind, session, job, self.config.max_event_size)
        self._next_id += 1
        self._streams[stream.id] = stream
        return stream

    def _close_stream(self, stream: _Stream, *, ended: bool = False) -> None:
        """Forget a stream; unless it already ended, tell the shell to stop reading it."""
        if self._streams.pop(stream.id, None) is not None and not ended:
            self._out.append(CloseStream(stream_id=stream.id))
        # A stream's session outlives it: a session is forgotten only with its streams.
        session = self._sessions[stream.session]
        if session.stream is stream:
            session.stream = None
        if session.heartbeat is stream:
            session.heartbeat = None

    def _forget_session_if_idle(self, session: _Session) -> None:
        if session is self._session or session.joining or session.heartbeat is not None:
            return
        if any(job.session == session.hash for job in self._jobs.values()):
            return
        if session.stream is not None:
            self._close_stream(session.stream)
        self._sessions.pop(session.hash, None)
        self._gathering.pop(session.hash, None)

    # ------------------------------------------------------------------ output helpers

    def _post(
        self, kind: _Request, job: _Job | None, path: str, body: Any, delay: float = 0.0
    ) -> None:
        request_id = self._next_id
        self._next_id += 1
        self._requests[request_id] = (kind, job)
        if kind is _Request.JOIN and job is not None and not delay:
            self._sent_joins.add(request_id)
            self._sessions[job.session].in_flight += 1
        self._out.append(
            Post(
                request_id=request_id,
                path=self._prefix + path,
                body=encode_json(body),
                job=job.id if job is not None else None,
                delay=delay,
            )
        )

    def _status(self, job: _Job, update: StatusUpdate) -> None:
        self._out.append(EmitStatus(job=job.id, update=update))

    def _advise(self, job: _Job, update: StatusUpdate) -> None:
        """An advisory status: repeats and totals are capped (see the module rules)."""
        if update == job.last_advice:
            job.repeats += 1
            if job.repeats > MAX_REPEATS:
                return
        else:
            job.last_advice = update
            job.repeats = 0
        job.advisories += 1
        limit = self.max_status_updates
        if job.advisories > limit:
            if job.advisories == limit + 1:
                self._notice(
                    f"The job got more than {limit} queue/progress/log updates; later ones "
                    "are dropped (QueueMachine.max_status_updates).",
                    job.id,
                )
            return
        self._out.append(EmitStatus(job=job.id, update=update))

    def _notice(self, message: str, job: int | None = None) -> None:
        self._out.append(Notice(message=message, job=job))

    def _backoff(self, attempt: int) -> float:
        return float(
            min(
                self.config.reconnect_max_delay,
                self.config.reconnect_base_delay * 2.0 ** max(0, attempt - 1),
            )
        )

    def _take(self) -> list[Action]:
        out = self._out
        self._out = []
        return out
