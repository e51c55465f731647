"""What the queue machine remembers: jobs and their phases, streams, sessions, requests.

Jobs.  A job is JOINING until the server has named its event (join reply, ``send_data``,
or its own socket), then WAITING until exactly one terminal action ends it (DONE).  The
moves are the table ``MOVES``; ``move`` is the one place a phase changes, and any other
move raises ``LocalProtocolError`` (the machine's own bug, or a caller driving it wrongly):

==========================================  ======================================
input                                       terminal action
==========================================  ======================================
``process_completed`` with data             ``JobSucceeded(data)``
``process_completed`` with success false    ``JobFailed(AppError)``
``process_completed`` ``{}`` (not ours)      ``JobCancelled`` (server-side cancel)
``queue_full``, join 503                    ``JobFailed(QueueFullError)``
join 422 / 401 / 429 (retries spent) / other ``JobFailed(ValidationError /
                                            AuthenticationError / TooManyRequests /
                                            HTTPStatusError)``
``unexpected_error`` for the job            ``JobFailed(AppError)``
``unexpected_error`` for the session        ``JobFailed(SessionNotFound / ServerStopped
                                            / ConnectionLost)`` for every waiting job
stream lost, reconnects spent               ``JobFailed(ConnectionLostError)``
streams closed without progress, budget     ``JobFailed(StalledStreamError)`` + server
spent                                       cancel
a message for the job cannot be decoded     ``JobFailed(MalformedMessageError)``
``cancel(job)``                             ``JobCancelled`` at once; a server cancel
                                            is posted when the server knows the event
``tick(now)`` past the job's deadline       ``JobFailed(JobTimeoutError)`` + server cancel
``close()``                                 ``JobCancelled`` for every job
==========================================  ======================================

Once a job has ended its ``event_id`` is remembered (a bounded tombstone set) and every
later message for it, such as the duplicate completion some servers send after a cancel,
is dropped.  Nothing ever names an ended job again.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Final

from ..errors import LocalProtocolError
from ..sse import SSEDecoder
from ..status import StatusUpdate


class Phase(enum.IntEnum):
    JOINING = 1  # the server has not named the event yet
    WAITING = 2  # queued or running; messages arrive on a stream
    DONE = 3


#: every legal phase change: named (JOINING -> WAITING) and ended (-> DONE), nothing else
MOVES: Final = frozenset(
    {
        (Phase.JOINING, Phase.WAITING),
        (Phase.JOINING, Phase.DONE),
        (Phase.WAITING, Phase.DONE),
    }
)


def move(job: _Job, phase: Phase) -> Phase:
    """Change ``job``'s phase along ``MOVES``; returns the phase it left."""
    was = job.phase
    if (was, phase) not in MOVES:
        raise LocalProtocolError(
            f"internal error: job {job.id} cannot move from {was.name} to {phase.name}"
        )
    job.phase = phase
    return was


class _Job:
    __slots__ = (
        "id",
        "fn_index",
        "data",
        "extra",
        "session",
        "phase",
        "event_id",
        "stream_id",
        "deadline",
        "grace_deadline",
        "running",
        "generated",
        "retries",
        "cancel_on_join",
        "desync",
        "stalls",
        "last_advice",
        "repeats",
        "advisories",
        "ack_armed",
    )

    def __init__(
        self, job_id: int, fn_index: int, data: list[Any], extra: Mapping[str, Any], session: str
    ) -> None:
        self.id = job_id
        self.fn_index = fn_index
        self.data: list[Any] | None = data  # dropped once sent
        self.extra = extra
        self.session = session
        self.phase = Phase.JOINING
        self.event_id: str | None = None
        self.stream_id: int | None = None  # per-job stream (ws, sse) only
        self.deadline: float | None = None
        self.grace_deadline: float | None = None
        self.running = False  # process_starts seen
        self.generated: list[Any] | None = None  # last full generator values (diffs)
        self.retries = 0
        self.cancel_on_join = False  # ended while JOINING: cancel on the server when named
        self.desync = False  # a message may have been lost: later diffs have no base
        self.stalls = 0  # session-stream ends since the job's last progress
        self.last_advice: StatusUpdate | None = None  # the previous advisory status
        self.repeats = 0  # how often in a row it was emitted again
        self.advisories = 0  # advisory statuses emitted
        self.ack_armed: float | None = None  # unacked: the tick that started its clock

    def join_body(self) -> dict[str, Any]:
        """The JSON body that joins (or, ws family, runs unqueued) this job."""
        return {"data": self.data, "fn_index": self.fn_index, "session_hash": self.session, **self.extra}


class StreamKind(enum.Enum):
    SESSION = "session"  # sse_v1+: all events of one session
    JOB = "job"  # sse v0: one event
    SOCKET = "socket"  # ws: one event
    HEARTBEAT = "heartbeat"  # /heartbeat/{session}: keeps session state alive


class _Stream:
    __slots__ = (
        "id",
        "kind",
        "session",
        "job",
        "decoder",
        "status",
        "error_body",
        "fruitful",
        "chatty",
        "closing",
    )

    def __init__(self, stream_id: int, kind: StreamKind, session: str, job: _Job | None, cap: int):
        self.id = stream_id
        self.kind = kind
        self.session = session
        self.job = job
        self.decoder = SSEDecoder(cap) if kind in (StreamKind.SESSION, StreamKind.JOB) else None
        self.status: int | None = None  # HTTP status once opened; None before
        self.error_body: list[bytes] | None = None  # collected when the status is an error
        self.fruitful = False  # moved a job forward (heartbeat: delivered anything)
        self.chatty = False  # delivered a message for a live job
        self.closing = False  # close_stream received


class _Session:
    """Per session hash: its multiplexed stream and how often it failed to reopen."""

    __slots__ = (
        "hash",
        "stream",
        "heartbeat",
        "heartbeat_failures",
        "joining",
        "unacked",
        "ack_restart",
        "in_flight",
        "gather_until",
    )

    def __init__(self, session_hash: str) -> None:
        self.hash = session_hash
        self.stream: _Stream | None = None
        self.heartbeat: _Stream | None = None
        self.heartbeat_failures = 0
        self.joining = 0  # jobs of this session whose event is not named yet
        # joined, not yet named by the stream; in join order, so their clocks run in order
        self.unacked: dict[int, _Job] = {}
        self.ack_restart = float("-inf")  # the last tick that saw the stream not open
        self.in_flight = 0  # joins sent (not delayed) and not yet answered
        self.gather_until: float | None = None  # gathering: when the stream opens at last


class _Request(enum.Enum):
    JOIN = "join"
    DATA = "data"  # sse v0: POST queue/data
    PREDICT = "predict"  # ws family, unqueued endpoint
    CANCEL = "cancel"


__all__ = ["MOVES", "Phase", "StreamKind", "move"]
