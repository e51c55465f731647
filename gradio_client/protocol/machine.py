"""The Gradio queue protocol as one sans-IO state machine.

``QueueMachine`` holds every job of one client and every stream it reads.  It never does
IO, never reads a clock and never sleeps: inputs are method calls (bytes of a stream, the
reply to a POST, a websocket frame, a submit or cancel request, the current time) and each
call returns the list of actions (see ``actions.py``) the caller must perform.

Rules
=====

Families.  ``config.protocol`` picks one of three families:

* ``ws`` (Gradio 3.x): one websocket per job at ``/queue/join``.  ``send_hash`` is answered
  with ``{fn_index, session_hash}``, ``send_data`` with the data; ``process_completed``
  ends the job and the socket.  Endpoints the config does not queue use ``POST
  /api/predict/`` instead (``config.unqueued_fns``).
* ``sse`` (4.0-4.8, "v0"): one event stream per job, ``GET queue/join?fn_index&session``;
  ``send_data`` carries the ``event_id`` and is answered by ``POST queue/data``.
* ``sse_v1``, ``sse_v2``, ``sse_v2.1``, ``sse_v3`` (4.9 onward): ``POST queue/join`` returns an
  ``event_id``; ONE stream per session (``GET queue/data?session_hash``) carries the
  messages of every event, each tagged with its ``event_id``.  From ``sse_v2`` on, every
  ``process_generating`` after a job's first carries diffs against the previous value.

Jobs.  A job is JOINING until the server has named its event (join reply, ``send_data``,
or its own socket), then WAITING until exactly one terminal action ends it:

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

Ordering.  On the multiplexed stream, messages for an ``event_id`` no live job has yet
claimed are kept (bounded by ``config.early_message_limit``) while some join of that
session is still in flight, and replayed in order when its reply names the event.  With no
join in flight they can belong to nobody and are dropped with a ``Notice``.

The session stream.  It opens after the first join reply and stays open while the server
keeps it.  When it ends (EOF, ``close_stream``, a transport error, an HTTP error status)
and jobs of that session still wait, it is reopened.  ``unexpected_error`` without an
``event_id`` fails every waiting job of that session.  The machine never closes a live
session stream on its own: the server routes new events of the session to it.

Progress and the reopen budget.  Only a message that moves a job forward counts as
progress: an output (``EmitOutput``) or the job's end.  Estimations, ``process_starts``,
progress bars, logs, heartbeats and ``close_stream`` are advisory and never do.  Each
waiting job counts the stream ends since its last progress ("stalls"); a job whose
stalls pass ``config.max_reconnects`` (5) fails: with ``StalledStreamError`` (a
``ConnectionLostError``: "the server kept closing the stream without progress") when the
last stream ended by EOF or ``close_stream``, else with ``ConnectionLostError`` (the
stream kept breaking), and the server is asked to cancel a stalled job.  A reopen goes at
once when the ended stream moved some job forward, or when it is the first end since some
waiting job's last progress or naming and the stream either said something about a live
job or ended with ``close_stream`` (a server may close the stream before it sees a new
join; one quick retry per progress is bounded by the progress itself).  Otherwise it backs
off exponentially on the smallest stall count (``reconnect_base_delay`` 0.25 s doubling to
``reconnect_max_delay`` 8 s: 0.5, 1, 2, 4 s with the defaults).  A server that closes
every stream after an estimation therefore gets 6 stream GETs per job (waits 0, 0.5, 1, 2
and 4 s: about 7.5 s), then the job fails.

Status history: capped, not coalesced (servers repeat estimations, and the official client
shows every one; the recorded sessions replay unchanged).  An advisory status (IN_QUEUE,
PROCESSING, PROGRESS, LOG) equal to the job's previous advisory status is emitted at most
``MAX_REPEATS`` (16) more times in a row; further repeats are dropped until something
changes.  On top of that every job gets at most ``max_status_updates`` advisory statuses (a
constructor argument, default ``MAX_STATUS_UPDATES`` = 100,000); later ones are dropped
after one ``Notice``.  Output and terminal statuses always go out.

Sibling cancel (a Gradio server quirk).  ``POST /cancel`` kills every *running* event of
the same session and function, not only the one named; the victims never get a
completion.  So when a job is cancelled on the server, running siblings of the same
function get ``config.cancel_grace`` seconds for their completion to arrive, after which
they end with ``JobCancelled`` naming the cause.

Unknown messages produce a ``Notice`` and change nothing.  An advisory field that cannot
be read (a float or negative ``rank``, a huge ``eta``, a progress unit of the wrong type) is
dropped with a ``Notice`` naming it; the job goes on (see ``messages.py``).  A message that
cannot be decoded at all (bad JSON, nesting deeper than the decoder's recursion limit, a
wrong-typed essential field: ``event_id``, ``success``, ``output.data``/``error``) is
never a transport error: the stream is not torn down for it and nothing is reopened.

* On a per-job stream (ws, sse v0) it fails that job with ``MalformedMessageError``.
* On the session stream, when its ``event_id`` can be read (by the decoder, or from the
  head of the text) it fails the job of that event; for an event a join in flight may
  still claim, the failure waits in the early buffer and ends that job when it is named.
* When the ``event_id`` cannot be read and the message's tag says it carried a result
  (``process_generating``/``process_streaming``/``process_completed``), every job of the
  session that could be its owner (waiting, or joining) fails with
  ``MalformedMessageError``: one of them lost its result and the others cannot be told
  apart, and waiting on would only end in the reopen budget or never.
* Anything else without a readable ``event_id`` (not a JSON object, an unknown or advisory
  tag) cannot have carried a result: a ``Notice`` only.

Replicas and cut streams (issue 18, docs/deploying.md).  With ``config.event_ack_timeout``
set (``machine_config`` does, for one stream per session), a joined job that the open session
stream has not named that long after its join reply (the clock starts at the next ``tick``
and waits while the stream is not open) fails with ``ReplicaMismatchError``: its join and
the stream reached different replicas.  A lost session (``session_not_found``, or a stream
that kept ending with no news) fails a job never named with ``ReplicaMismatchError`` too, and
a named job whose stream broke mid-job with ``StreamCutError`` (a proxy's idle timeout).  An
app error saying an input file was not uploaded is ``UploadNotFoundError``.

Time.  ``submit(..., now, timeout)`` sets a deadline; ``next_deadline()`` tells the shell
when to call ``tick(now)``.  ``now`` is any monotonic clock reading, in seconds.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Any, Final

import msgspec

from .actions import (
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
from .diff import apply_diff
from .errors import (
    AppError,
    AuthenticationError,
    ConnectionLostError,
    GradioClientError,
    HTTPStatusError,
    JobTimeoutError,
    LocalProtocolError,
    MalformedMessageError,
    QueueFullError,
    RemoteProtocolError,
    ReplicaMismatchError,
    ServerStoppedError,
    SessionNotFoundError,
    StalledStreamError,
    StreamCutError,
    TooManyRequestsError,
    TransportError,
    UploadNotFoundError,
    ValidationError,
)
from .messages import (
    AliveCheck,
    AnyMessage,
    CloseStream as CloseStreamMessage,
    Estimation,
    Heartbeat,
    KnownMessage,
    Log,
    Output,
    ProcessCompleted,
    ProcessGenerating,
    ProcessStarts,
    ProcessStreaming,
    Progress,
    QueueFull,
    SendData,
    SendHash,
    ServerStopped,
    UnexpectedError,
    RESULT_TAGS,
    UnknownMessage,
    decode_with_repairs,
    encode_json,
    peek_header,
)
from .sse import SSEDecoder
from .status import Status, StatusUpdate

MULTIPLEXED: Final = frozenset({"sse_v1", "sse_v2", "sse_v2.1", "sse_v3"})
DIFFED: Final = frozenset({"sse_v2", "sse_v2.1", "sse_v3"})
PROTOCOLS: Final = MULTIPLEXED | {"ws", "sse"}

MAX_STATUS_UPDATES: Final = 100_000  # advisory statuses per job (see the rules)
MAX_REPEATS: Final = 16  # equal advisory statuses in a row (see the rules)

# A real server names each event on the session stream at once (an ``estimation`` starts
# every one of the 486 joins recorded from 4.14 to 6.31 in tests/data/sessions); 30 s leaves
# room for an overloaded server and still ends a job whose join reached another replica.
EVENT_ACK_TIMEOUT: Final = 30.0

_MSG_TAG: Final = re.compile(rb'\s*\{\s*"msg"\s*:\s*"([a-z_0-9.]+)"')

HIDDEN_ERROR: Final = (
    "The upstream Gradio app has raised an exception but has not enabled verbose error "
    "reporting. To enable, set show_error=True in launch()."
)


class MachineConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the machine needs to know about the server and about its own limits."""

    protocol: str
    api_prefix: str = ""  # "" (<= 4.x) or "/gradio_api" (5.x+)
    cancel_route: bool = True  # the server has POST /cancel (gradio >= 4.31)
    cancel_fns: Mapping[int, int] = msgspec.field(default_factory=dict)  # fn -> canceller
    unqueued_fns: frozenset[int] = frozenset()  # ws family: endpoints not on the queue
    heartbeat: bool = False  # keep GET /heartbeat/{session} open (config.connect_heartbeat)
    stream_read_timeout: float | None = 60.0  # server heartbeats every 15 s
    max_reconnects: int = 5  # stream ends without progress a waiting job survives
    reconnect_base_delay: float = 0.25
    reconnect_max_delay: float = 8.0
    heartbeat_max_delay: float = 60.0
    rate_limit_retries: int = 3
    max_retry_after: float = 30.0
    cancel_grace: float = 5.0
    max_event_size: int = 64 * 1024 * 1024
    early_message_limit: int = 10_000
    tombstone_limit: int = 100_000
    error_body_limit: int = 64 * 1024
    # replicas (issue 18): a joined event the session stream has not named this long fails
    # (None: never; machine_config() sets EVENT_ACK_TIMEOUT for the multiplexed protocols)
    event_ack_timeout: float | None = None


class Phase(enum.IntEnum):
    JOINING = 1  # the server has not named the event yet
    WAITING = 2  # queued or running; messages arrive on a stream
    DONE = 3


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
        "ack_deadline",
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
        self.ack_deadline: float | None = None  # unacked: when the stream must have named it


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

    __slots__ = ("hash", "stream", "heartbeat", "heartbeat_failures", "joining")

    def __init__(self, session_hash: str) -> None:
        self.hash = session_hash
        self.stream: _Stream | None = None
        self.heartbeat: _Stream | None = None
        self.heartbeat_failures = 0
        self.joining = 0  # jobs of this session whose event is not named yet


class _Request(enum.Enum):
    JOIN = "join"
    DATA = "data"  # sse v0: POST queue/data
    PREDICT = "predict"  # ws family, unqueued endpoint
    CANCEL = "cancel"


class QueueMachine:
    """All jobs and streams of one client; see the module rules."""

    def __init__(
        self,
        config: MachineConfig,
        session_hash: str,
        *,
        max_status_updates: int = MAX_STATUS_UPDATES,
    ) -> None:
        if config.protocol not in PROTOCOLS:
            raise LocalProtocolError(
                f"Unsupported Gradio queue protocol {config.protocol!r}; this client speaks "
                f"{', '.join(sorted(PROTOCOLS))}."
            )
        self.config = config
        self.max_status_updates = max_status_updates
        self._family = "multiplexed" if config.protocol in MULTIPLEXED else config.protocol
        self._diffs = config.protocol in DIFFED
        self._prefix = config.api_prefix.rstrip("/")
        self._session = _Session(session_hash)
        self._sessions: dict[str, _Session] = {session_hash: self._session}
        self._jobs: dict[int, _Job] = {}
        self._timed: dict[int, _Job] = {}  # jobs with a deadline or a grace deadline
        self._unacked: dict[int, _Job] = {}  # joined, not yet named by the session stream
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

    # ------------------------------------------------------------------ queries

    @property
    def session_hash(self) -> str:
        return self._session.hash

    def phase(self, job: int) -> Phase:
        """The job's phase; DONE for jobs that ended or never existed."""
        state = self._jobs.get(job)
        return state.phase if state is not None else Phase.DONE

    def pending_jobs(self) -> list[int]:
        return list(self._jobs)

    def next_deadline(self) -> float | None:
        """The earliest time at which ``tick`` has work to do, or None."""
        best: float | None = None
        for job in self._timed.values():
            for when in (job.deadline, job.grace_deadline):
                if when is not None and (best is None or when < best):
                    best = when
        for job in self._unacked.values():  # unarmed: tick now to start the clock
            when = self._now if job.ack_deadline is None else job.ack_deadline
            if best is None or when < best:
                best = when
        return best

    # ------------------------------------------------------------------ inputs: user

    def start(self) -> list[Action]:
        """Actions to run once the client is ready (the session heartbeat, if any)."""
        self._open_heartbeat(self._session, 0.0)
        return self._take()

    def submit(
        self,
        fn_index: int,
        data: list[Any],
        *,
        now: float,
        timeout: float | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> tuple[int, list[Action]]:
        """Queue a job for ``fn_index`` with the wire ``data`` list; returns its id.

        ``extra`` holds more fields for the join body (``event_data``, ``oauth_token``...).
        """
        if self._closed:
            raise LocalProtocolError("This client is closed; create a new one to submit jobs.")
        self._now = now
        job = _Job(self._next_job, fn_index, data, extra or {}, self._session.hash)
        self._next_job += 1
        if timeout is not None:
            job.deadline = now + timeout
            self._timed[job.id] = job
        self._jobs[job.id] = job
        self._session.joining += 1
        if self._family == "multiplexed":
            body = {"data": data, "fn_index": fn_index, "session_hash": job.session, **job.extra}
            self._post(_Request.JOIN, job, "/queue/join", body)
        elif self._family == "sse":
            stream = self._new_stream(StreamKind.JOB, job.session, job)
            job.stream_id = stream.id
            path = f"{self._prefix}/queue/join?fn_index={fn_index}&session_hash={job.session}"
            self._out.append(
                OpenStream(
                    stream_id=stream.id, path=path, read_timeout=self.config.stream_read_timeout
                )
            )
        elif fn_index in self.config.unqueued_fns:
            body = {"data": data, "fn_index": fn_index, "session_hash": job.session, **job.extra}
            self._post(_Request.PREDICT, job, "/api/predict/", body)
        else:
            stream = self._new_stream(StreamKind.SOCKET, job.session, job)
            job.stream_id = stream.id
            self._out.append(OpenWebSocket(stream_id=stream.id, path=f"{self._prefix}/queue/join"))
        return job.id, self._take()

    def cancel(self, job_id: int, *, now: float) -> list[Action]:
        """Cancel a job: it ends now as cancelled, and the server is told where possible.

        Cancelling a job that already ended does nothing.
        """
        self._now = now
        job = self._jobs.get(job_id)
        if job is not None:
            self._end(job, JobCancelled(job=job.id, reason="cancelled by the caller"))
        return self._take()

    def tick(self, now: float) -> list[Action]:
        """Let time pass: expire deadlines (job timeouts, sibling-cancel grace)."""
        self._now = now
        for job in list(self._timed.values()):
            if job.deadline is not None and job.deadline <= now:
                self._end(
                    job,
                    JobFailed(
                        job=job.id,
                        error=JobTimeoutError(
                            "The job did not finish within its timeout; it was cancelled."
                        ),
                    ),
                )
            elif job.grace_deadline is not None and job.grace_deadline <= now:
                self._end(
                    job,
                    JobCancelled(
                        job=job.id,
                        reason=(
                            "cancelled by the server: Gradio stops every running job of the "
                            "same endpoint in a session when one of them is cancelled"
                        ),
                    ),
                )
        if self._unacked:
            self._expire_unacked(now)
        return self._take()

    def _expire_unacked(self, now: float) -> None:
        """Replicas (issue 18): a real server names every event on the session stream right
        after its join (an ``estimation``); a job still unnamed ``event_ack_timeout`` s after
        its join reply, while the stream is open, is on a replica this stream does not reach."""
        timeout = self.config.event_ack_timeout or 0.0
        for job in list(self._unacked.values()):
            stream = self._sessions[job.session].stream
            if job.ack_deadline is None or stream is None or stream.status is None or (
                stream.error_body is not None
            ):
                job.ack_deadline = now + timeout  # the clock runs while the stream is open
            elif job.ack_deadline <= now and job.phase is Phase.WAITING:
                error = ReplicaMismatchError(
                    f"The server accepted this job (event {job.event_id}) but the event stream "
                    f"did not mention it within {timeout:g} s: the join and the stream most "
                    "likely reached different replicas of the app (a load balancer without "
                    "session affinity). Enable sticky sessions, or run one replica. The app "
                    "may have run the job; its result is lost.",
                    job.event_id,
                )
                self._end(job, JobFailed(job=job.id, error=error))

    def reset_session(self, session_hash: str) -> list[Action]:
        """Use a new session for jobs submitted from now on (fresh gr.State).

        Jobs already submitted finish on their old session.
        """
        old = self._session
        self._session = self._sessions.get(session_hash) or _Session(session_hash)
        self._sessions[session_hash] = self._session
        if old.heartbeat is not None:
            self._close_stream(old.heartbeat)
        self._forget_session_if_idle(old)
        self._open_heartbeat(self._session, 0.0)
        return self._take()

    def close(self) -> list[Action]:
        """Cancel every job and close every stream; no input is accepted afterwards."""
        self._closed = True
        for job in list(self._jobs.values()):
            self._end(job, JobCancelled(job=job.id, reason="the client was closed"))
        for stream in list(self._streams.values()):
            self._close_stream(stream)
        return self._take()

    # ------------------------------------------------------------------ inputs: HTTP replies

    def receive_response(
        self,
        request_id: int,
        status_code: int,
        body: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> list[Action]:
        """The reply to a ``Post`` action (any status code)."""
        entry = self._requests.pop(request_id, None)
        if entry is None:
            return self._take()
        kind, job = entry
        if kind is _Request.CANCEL or job is None:
            if not 200 <= status_code < 300:
                self._notice(f"The server refused a cancel request (HTTP {status_code}).")
            return self._take()
        if kind is _Request.JOIN:
            self._on_join_reply(job, status_code, body, headers or {})
        elif kind is _Request.DATA:
            if not 200 <= status_code < 300 and job.phase is not Phase.DONE:
                self._end(job, JobFailed(job=job.id, error=_http_error("queue/data", status_code, body)))
        else:  # PREDICT
            self._on_predict_reply(job, status_code, body)
        return self._take()

    def receive_request_error(self, request_id: int, error: GradioClientError) -> list[Action]:
        """A ``Post`` got no response at all (connection refused, reset, timed out)."""
        entry = self._requests.pop(request_id, None)
        if entry is not None:
            kind, job = entry
            if job is not None and kind is not _Request.CANCEL and job.phase is not Phase.DONE:
                self._end(job, JobFailed(job=job.id, error=error))
            elif kind is _Request.CANCEL:
                self._notice(f"A cancel request failed: {error}")
        return self._take()

    # ------------------------------------------------------------------ inputs: streams

    def stream_opened(
        self, stream_id: int, status_code: int, content_type: str | None = None
    ) -> list[Action]:
        """The response head of an ``OpenStream``; the body follows as stream data."""
        stream = self._streams.get(stream_id)
        if stream is not None:
            stream.status = status_code
            media = (content_type or "text/event-stream").split(";", 1)[0].strip().lower()
            if not 200 <= status_code < 300 or (
                stream.kind is not StreamKind.HEARTBEAT and media != "text/event-stream"
            ):
                stream.error_body = []
        return self._take()

    def receive_stream_data(self, stream_id: int, data: bytes) -> list[Action]:
        stream = self._streams.get(stream_id)
        if stream is None:
            return self._take()
        if stream.error_body is not None:
            if sum(map(len, stream.error_body)) < self.config.error_body_limit:
                stream.error_body.append(data)
            return self._take()
        if stream.decoder is None:  # heartbeat: content does not matter
            stream.fruitful = True
            return self._take()
        try:
            events = stream.decoder.feed(data)
        except RemoteProtocolError as exc:
            self._stream_broken(stream, exc, ended=False, lost=b"")
            return self._take()
        for event in events:
            if stream.id not in self._streams:
                break
            self._on_text(stream, event.data)
        return self._take()

    def receive_stream_eof(self, stream_id: int) -> list[Action]:
        stream = self._streams.get(stream_id)
        if stream is None:
            return self._take()
        if stream.error_body is not None:
            status = stream.status or 0
            fatal = 200 <= status < 300 or (400 <= status < 500 and status != 429)
            self._stream_broken(stream, self._stream_status_error(stream), fatal=fatal)
            return self._take()
        lost = self._cut_message(stream)
        if lost is not None:
            self._notice("The event stream ended in the middle of a message.")
        self._stream_broken(
            stream,
            ConnectionLostError("The server ended the event stream before the job finished."),
            clean=stream.closing,
            eof=True,
            lost=lost,
        )
        return self._take()

    def receive_stream_error(self, stream_id: int, error: GradioClientError) -> list[Action]:
        """The stream (or websocket) broke: reset, incomplete chunked read, idle timeout."""
        stream = self._streams.get(stream_id)
        if stream is not None:
            self._stream_broken(stream, error, lost=self._cut_message(stream))
        return self._take()

    def receive_ws_message(self, stream_id: int, text: str | bytes) -> list[Action]:
        stream = self._streams.get(stream_id)
        if stream is not None:
            self._on_text(stream, text)
        return self._take()

    def ws_closed(self, stream_id: int, code: int | None = None, reason: str = "") -> list[Action]:
        stream = self._streams.get(stream_id)
        if stream is not None:
            if code == 1008:
                error: GradioClientError = AuthenticationError(
                    "The server refused the websocket (code 1008): log in with auth=(user, "
                    "password) or pass the right token."
                )
            else:
                error = ConnectionLostError(
                    f"The server closed the websocket (code {code}{': ' + reason if reason else ''}) "
                    "before the job finished."
                )
            self._stream_broken(stream, error)
        return self._take()

    # ------------------------------------------------------------------ message dispatch

    def _on_text(self, stream: _Stream, text: str | bytes) -> None:
        try:
            message, repairs = decode_with_repairs(text)
        except MalformedMessageError as exc:
            self._on_malformed(stream, text, exc)
            return
        if repairs:
            job = stream.job or self._by_event.get(message.event_id or "")
            self._notice(
                f"Ignored unreadable field(s) of a {message.__class__.__name__} message: "
                + "; ".join(repairs),
                job.id if job is not None else None,
            )
        self._on_message(stream, message)

    def _on_malformed(self, stream: _Stream, text: str | bytes, exc: MalformedMessageError) -> None:
        """A message that cannot be decoded: see the module rules."""
        job = stream.job
        if job is None and exc.event_id is not None:
            job = self._by_event.get(exc.event_id)
            if job is None:
                self._on_unclaimed(stream, exc.event_id, exc)
                return
        if job is not None:
            self._end(job, JobFailed(job=job.id, error=exc))
            return
        tag, _ = peek_header(text)
        if tag not in RESULT_TAGS:
            self._notice(str(exc))
            return
        session = self._sessions[stream.session]
        for victim in self._session_jobs(session, Phase.WAITING) + self._session_jobs(
            session, Phase.JOINING
        ):
            self._end(victim, JobFailed(job=victim.id, error=exc))

    def _on_message(self, stream: _Stream, message: AnyMessage) -> None:
        if isinstance(message, UnknownMessage):
            self._notice(f"Ignored a message of unknown type {message.msg!r}.")
            return
        job = stream.job
        if job is None:  # session stream: route by event id
            event_id = message.event_id
            if event_id is None:
                self._on_session_message(stream, message)
                return
            job = self._by_event.get(event_id)
            if job is None:
                self._on_unclaimed(stream, event_id, message)
                return
            if self._unacked:
                self._unacked.pop(job.id, None)
        # A live job: _end unlinks a job from _by_event and closes its own stream.
        stream.chatty = True
        self._dispatch(stream, job, message)

    def _dispatch(self, stream: _Stream, job: _Job, message: KnownMessage) -> None:
        _HANDLERS[type(message)](self, stream, job, message)
        if job.phase is Phase.DONE:
            stream.fruitful = True  # an end is progress (bounded by the number of jobs)

    def _on_session_message(self, stream: _Stream, message: KnownMessage) -> None:
        if isinstance(message, CloseStreamMessage):
            stream.closing = True
        elif isinstance(message, (UnexpectedError, ServerStopped)):
            error = _session_error(message)
            if not isinstance(error, (SessionNotFoundError, ServerStoppedError)):
                # An exception inside the server's stream: the stream ends next and the
                # reconnect logic finds out whether the jobs survived.
                self._notice(str(error))
                return
            session = self._sessions[stream.session]
            self._close_stream(stream)
            jobs = self._session_jobs(session, Phase.WAITING)
            if isinstance(error, ServerStoppedError):
                # A join still in flight went to a server that stops. (After a lost session
                # a join still gets a fresh one: those jobs carry on.)
                jobs += self._session_jobs(session, Phase.JOINING)
            cut = stream.session in self._cut
            self._cut.discard(stream.session)
            for job in jobs:
                self._end(job, JobFailed(job=job.id, error=_lost_error(error, job, cut, self._unacked)))
            self._forget_session_if_idle(session)
        elif not isinstance(message, (Heartbeat, AliveCheck, Estimation)):
            self._notice(f"Ignored a {type(message).__name__} message without an event id.")

    def _on_unclaimed(
        self, stream: _Stream, event_id: str, message: KnownMessage | MalformedMessageError
    ) -> None:
        if event_id in self._ended:
            return
        session = self._sessions[stream.session]
        if session.joining == 0:
            self._notice(f"Dropped a message for unknown event {event_id}.")
            return
        if self._early_count >= self.config.early_message_limit:
            oldest = next(iter(self._early))
            self._early_count -= len(self._early.pop(oldest))
            self._notice(f"Too many early messages; dropped those of event {oldest}.")
        self._early.setdefault(event_id, []).append(message)
        self._early_count += 1

    # Per-message handlers: (stream, live job, message) -> effects.

    def _on_estimation(self, stream: _Stream, job: _Job, msg: Estimation) -> None:
        self._advise(
            job,
            StatusUpdate(
                code=Status.IN_QUEUE, rank=msg.rank, queue_size=msg.queue_size, eta=msg.rank_eta
            ),
        )

    def _on_send_hash(self, stream: _Stream, job: _Job, msg: SendHash) -> None:
        self._status(job, StatusUpdate(code=Status.JOINING_QUEUE))
        text = encode_json({"fn_index": job.fn_index, "session_hash": job.session}).decode()
        self._out.append(SendWebSocket(stream_id=stream.id, text=text))

    def _on_send_data(self, stream: _Stream, job: _Job, msg: SendData) -> None:
        if job.data is None:
            # Servers ask once per event (Gradio 3.x/4.0-4.8 set the event's data on the
            # first answer and never ask again); posting again would send null data.
            self._notice("Ignored a second send_data: the job's data was already sent.", job.id)
            return
        self._status(job, StatusUpdate(code=Status.SENDING_DATA))
        body = {"data": job.data, "fn_index": job.fn_index, "session_hash": job.session, **job.extra}
        self._named(job, msg.event_id)  # data not yet sent: the job is still JOINING
        if stream.kind is StreamKind.SOCKET:
            job.data = None
            self._out.append(SendWebSocket(stream_id=stream.id, text=encode_json(body).decode()))
        else:
            body["event_id"] = msg.event_id
            self._post(_Request.DATA, job, "/queue/data", body)
            job.data = None

    def _on_queue_full(self, stream: _Stream, job: _Job, msg: QueueFull) -> None:
        self._status(job, StatusUpdate(code=Status.QUEUE_FULL))
        self._end(job, JobFailed(job=job.id, error=QueueFullError("Queue is full! Please try again.")))

    def _on_process_starts(self, stream: _Stream, job: _Job, msg: ProcessStarts) -> None:
        job.running = True
        self._advise(job, StatusUpdate(code=Status.PROCESSING, eta=msg.eta))

    def _on_progress(self, stream: _Stream, job: _Job, msg: Progress) -> None:
        self._advise(job, StatusUpdate(code=Status.PROGRESS, progress_data=msg.progress_data))

    def _on_log(self, stream: _Stream, job: _Job, msg: Log) -> None:
        self._advise(
            job, StatusUpdate(code=Status.LOG, log=(msg.log, msg.level), log_details=msg)
        )

    def _on_generating(
        self, stream: _Stream, job: _Job, msg: ProcessGenerating | ProcessStreaming
    ) -> None:
        output = msg.output
        if not msg.success or output.data is None:
            if output.error is not msgspec.UNSET:
                self._end(job, JobFailed(job=job.id, error=_app_error(output, None)))
            return
        data = output.data
        if self._diffs and isinstance(msg, ProcessGenerating):
            if job.desync:
                return  # no base for this diff; the completion carries the full value
            previous = job.generated
            if previous is not None:
                try:
                    data = [
                        apply_diff(previous[i] if i < len(previous) else None, ops)
                        for i, ops in enumerate(data)
                    ]
                except RemoteProtocolError as exc:
                    self._end(job, JobFailed(job=job.id, error=exc))
                    return
            job.generated = data
        stream.fruitful = True  # progress: see the module rules
        job.stalls = 0
        self._status(job, StatusUpdate(code=Status.ITERATING, success=True))
        self._out.append(EmitOutput(job=job.id, data=data))

    def _on_completed(self, stream: _Stream, job: _Job, msg: ProcessCompleted) -> None:
        output = msg.output
        if msg.success and output.data is not None:
            self._end(job, JobSucceeded(job=job.id, data=output.data))
        elif msg.success and output.error is msgspec.UNSET:
            self._end(job, JobCancelled(job=job.id, reason="cancelled on the server"))
        else:
            self._end(job, JobFailed(job=job.id, error=_app_error(output, msg.title)))

    def _on_job_error(
        self, stream: _Stream, job: _Job, msg: UnexpectedError | ServerStopped
    ) -> None:
        self._end(job, JobFailed(job=job.id, error=_session_error(msg)))

    def _on_job_close(self, stream: _Stream, job: _Job, msg: CloseStreamMessage) -> None:
        stream.closing = True

    def _on_ignored(self, stream: _Stream, job: _Job, msg: KnownMessage) -> None:
        pass

    # ------------------------------------------------------------------ join and predict

    def _on_join_reply(
        self, job: _Job, status: int, body: bytes, headers: Mapping[str, str]
    ) -> None:
        if 200 <= status < 300:
            event_id = _json_field(body, "event_id")
            if not isinstance(event_id, str):
                if job.phase is not Phase.DONE:
                    self._end(
                        job,
                        JobFailed(
                            job=job.id,
                            error=RemoteProtocolError(
                                "queue/join answered without an event_id: "
                                f"{_preview(body)}; is this URL a Gradio app?"
                            ),
                        ),
                    )
                return
            if job.phase is Phase.DONE:  # ended while joining: tell the server
                self._remember_ended(event_id)
                if job.cancel_on_join:
                    self._server_cancel(job, event_id)
                return
            self._named(job, event_id)
            session = self._sessions[job.session]
            stream = session.stream or self._open_session_stream(session, 0.0)
            early = self._early.pop(event_id, ())
            self._early_count -= len(early)
            if not early and self.config.event_ack_timeout is not None:
                self._unacked[job.id] = job  # the clock starts at the next tick
            for message in early:
                if job.id not in self._jobs:  # an early message ended it
                    break
                if isinstance(message, MalformedMessageError):
                    self._end(job, JobFailed(job=job.id, error=message))
                else:
                    self._dispatch(stream, job, message)
            return
        if job.phase is Phase.DONE:
            return
        if status == 429 and job.retries < self.config.rate_limit_retries:
            job.retries += 1
            retry_after = _retry_after(headers)
            delay = retry_after if retry_after is not None else self._backoff(job.retries)
            if delay <= self.config.max_retry_after:
                body_obj = {
                    "data": job.data,
                    "fn_index": job.fn_index,
                    "session_hash": job.session,
                    **job.extra,
                }
                self._post(_Request.JOIN, job, "/queue/join", body_obj, delay=delay)
                return
        self._end(job, JobFailed(job=job.id, error=_join_error(status, body, headers)))

    def _on_predict_reply(self, job: _Job, status: int, body: bytes) -> None:
        if job.phase is Phase.DONE:
            return
        try:
            reply = msgspec.json.decode(body)
        except Exception:  # noqa: BLE001 - DecodeError, RecursionError (too deep), ...
            reply = None
        if 200 <= status < 300 and isinstance(reply, dict) and isinstance(reply.get("data"), list):
            self._end(job, JobSucceeded(job=job.id, data=reply["data"]))
        elif status == 500 and isinstance(reply, dict) and "error" in reply:
            error = reply["error"]
            self._end(
                job,
                JobFailed(
                    job=job.id,
                    error=AppError(error if isinstance(error, str) else HIDDEN_ERROR),
                ),
            )
        else:
            self._end(job, JobFailed(job=job.id, error=_join_error(status, body, {})))

    # ------------------------------------------------------------------ streams

    def _open_session_stream(self, session: _Session, delay: float) -> _Stream:
        stream = self._new_stream(StreamKind.SESSION, session.hash, None)
        session.stream = stream
        self._out.append(
            OpenStream(
                stream_id=stream.id,
                path=f"{self._prefix}/queue/data?session_hash={session.hash}",
                delay=delay,
                read_timeout=self.config.stream_read_timeout,
            )
        )
        return stream

    def _open_heartbeat(self, session: _Session, delay: float) -> None:
        if not self.config.heartbeat or self._closed or self._family != "multiplexed":
            return
        stream = self._new_stream(StreamKind.HEARTBEAT, session.hash, None)
        session.heartbeat = stream
        self._out.append(
            OpenStream(
                stream_id=stream.id,
                path=f"{self._prefix}/heartbeat/{session.hash}",
                delay=delay,
                read_timeout=self.config.stream_read_timeout,
            )
        )

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

    def _stream_broken(
        self,
        stream: _Stream,
        error: GradioClientError,
        *,
        clean: bool = False,
        fatal: bool = False,
        ended: bool = True,
        lost: bytes | None = None,
        eof: bool = False,
    ) -> None:
        """The stream is over (EOF, error, bad status); recover or fail what it carried."""
        self._close_stream(stream, ended=ended)
        session = self._sessions[stream.session]
        if stream.job is not None:  # a per-job stream (ws, sse v0) of a live job
            self._end(stream.job, JobFailed(job=stream.job.id, error=error))
            return
        if stream.kind is StreamKind.HEARTBEAT:  # (close and reset_session close it first)
            if fatal:
                self._notice(f"The session heartbeat was refused ({error}); not retrying.")
                return
            session.heartbeat_failures = 0 if stream.fruitful else session.heartbeat_failures + 1
            delay = min(
                self.config.heartbeat_max_delay, 2.0 ** max(0, session.heartbeat_failures - 1)
            )
            self._open_heartbeat(session, delay)
            return
        waiting = self._session_jobs(session, Phase.WAITING)
        if not waiting:
            self._forget_session_if_idle(session)
            return
        if clean:
            self._cut.discard(session.hash)
        else:  # cut mid-job: if the server lost the session, say so (StreamCutError)
            self._cut.add(session.hash)
        spent = []
        for job in waiting:
            job.stalls += 1
            if fatal or job.stalls > self.config.max_reconnects:
                spent.append(job)
        if spent:
            if eof and not fatal:
                error = StalledStreamError(
                    "The server kept closing the event stream without progress for the job: "
                    f"{self.config.max_reconnects} reconnects brought no output and no result."
                )
            elif not fatal:
                error = ConnectionLostError(
                    f"The event stream was lost and {self.config.max_reconnects} reconnects "
                    f"brought no news of the job ({error})."
                )
            for job in spent:
                self._end(job, JobFailed(job=job.id, error=_lost_error(error, job, False, self._unacked)))
            waiting = [job for job in waiting if job.phase is not Phase.DONE]
            if not waiting:
                self._forget_session_if_idle(session)
                return
        if lost is not None and self._diffs:
            # A message was cut off.  If it was (or may have been) a generator output, the
            # diffs that follow it have no base to apply to.  Gradio writes "msg" first.
            tag = _MSG_TAG.match(lost)
            if tag is None or tag.group(1) == b"process_generating":
                for job in waiting:
                    job.desync = True
        stalls = min(job.stalls for job in waiting)
        quick = stream.fruitful or (stalls == 1 and (stream.chatty or clean))
        self._open_session_stream(session, 0.0 if quick else self._backoff(stalls))

    @staticmethod
    def _cut_message(stream: _Stream) -> bytes | None:
        """End the stream's decoder: None at an event boundary, else the start of the
        message that was cut off (maybe empty)."""
        decoder = stream.decoder
        if decoder is None:
            return None
        head = decoder.pending_head()
        return None if decoder.feed_eof() else head

    def _stream_status_error(self, stream: _Stream) -> GradioClientError:
        body = b"".join(stream.error_body or ())
        status = stream.status or 0
        if 200 <= status < 300:
            return RemoteProtocolError(
                "The event stream answered with something other than text/event-stream "
                f"({_preview(body)}); is the URL behind a login page or a proxy?"
            )
        return _join_error(status, body, {}, what="event stream")

    def _forget_session_if_idle(self, session: _Session) -> None:
        if session is self._session or session.joining or session.heartbeat is not None:
            return
        if any(job.session == session.hash for job in self._jobs.values()):
            return
        if session.stream is not None:
            self._close_stream(session.stream)
        self._sessions.pop(session.hash, None)

    # ------------------------------------------------------------------ job bookkeeping

    def _named(self, job: _Job, event_id: str | None) -> None:
        job.phase = Phase.WAITING
        session = self._sessions[job.session]
        session.joining -= 1
        if event_id is not None:
            job.event_id = event_id
            self._by_event[event_id] = job
        if self._family == "multiplexed":
            job.data = None

    def _session_jobs(self, session: _Session, phase: Phase) -> list[_Job]:
        return [
            job
            for job in self._jobs.values()
            if job.session == session.hash and job.phase is phase and job.stream_id is None
        ]

    def _end(self, job: _Job, terminal: JobSucceeded | JobFailed | JobCancelled) -> None:
        """The only way a job ends: one terminal action, then silence."""
        if job.phase is Phase.DONE:
            raise LocalProtocolError(f"internal error: job {job.id} would end twice")
        was_joining = job.phase is Phase.JOINING
        job.phase = Phase.DONE
        del self._jobs[job.id]
        self._timed.pop(job.id, None)
        self._unacked.pop(job.id, None)
        session = self._sessions[job.session]
        if was_joining:
            session.joining -= 1
        if job.event_id is not None:
            self._by_event.pop(job.event_id, None)
            self._remember_ended(job.event_id)
        ends_early = not isinstance(terminal, JobSucceeded) and not (
            isinstance(terminal, JobFailed) and _server_ended(terminal.error)
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
        """Ask the server to stop a job that ended early here (cancel or timeout)."""
        if self._family == "ws":  # a queued job: unqueued ones never get here
            self._post(_Request.CANCEL, None, "/reset", {"session_hash": job.session, "fn_index": job.fn_index})
            return
        if self.config.cancel_route and self._family == "multiplexed" and event_id is not None:
            self._post(
                _Request.CANCEL,
                None,
                "/cancel",
                {"fn_index": job.fn_index, "session_hash": job.session, "event_id": event_id},
            )
            for sibling in self._jobs.values():
                if (
                    sibling.session == job.session
                    and sibling.fn_index == job.fn_index
                    and sibling.running
                    and sibling.grace_deadline is None
                ):
                    sibling.grace_deadline = self._now + self.config.cancel_grace
                    self._timed[sibling.id] = sibling
            return
        canceller = self.config.cancel_fns.get(job.fn_index)
        if canceller is not None:
            self._post(
                _Request.CANCEL,
                None,
                "/api/predict/",
                {"data": [], "fn_index": canceller, "session_hash": job.session},
            )
        if event_id is not None:
            # Gradio 4.0-4.30: /reset stops the event's generator and drops it from the queue
            # (for a plain function that already runs it answers {"success": false}).
            self._post(_Request.CANCEL, None, "/reset", {"event_id": event_id})
        if canceller is None and self._family == "multiplexed":
            self._notice(
                "This server has no cancel route and no event cancels this endpoint; the job "
                "was dropped here and its generator stopped, but a plain function may still "
                "run to its end on the server.",
                job.id,
            )

    def _remember_ended(self, event_id: str) -> None:
        self._ended[event_id] = None
        if len(self._ended) > self.config.tombstone_limit:
            del self._ended[next(iter(self._ended))]
        if self._early:
            dropped = self._early.pop(event_id, None)
            if dropped:
                self._early_count -= len(dropped)

    # ------------------------------------------------------------------ output helpers

    def _post(
        self, kind: _Request, job: _Job | None, path: str, body: Any, delay: float = 0.0
    ) -> None:
        request_id = self._next_id
        self._next_id += 1
        self._requests[request_id] = (kind, job)
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


_HANDLERS: Final[dict[type, Any]] = {
    Estimation: QueueMachine._on_estimation,
    SendHash: QueueMachine._on_send_hash,
    SendData: QueueMachine._on_send_data,
    QueueFull: QueueMachine._on_queue_full,
    ProcessStarts: QueueMachine._on_process_starts,
    Progress: QueueMachine._on_progress,
    Log: QueueMachine._on_log,
    ProcessGenerating: QueueMachine._on_generating,
    ProcessStreaming: QueueMachine._on_generating,
    ProcessCompleted: QueueMachine._on_completed,
    UnexpectedError: QueueMachine._on_job_error,
    ServerStopped: QueueMachine._on_job_error,
    CloseStreamMessage: QueueMachine._on_job_close,
    Heartbeat: QueueMachine._on_ignored,
    AliveCheck: QueueMachine._on_ignored,
}


# ---------------------------------------------------------------------- pure helpers


def _server_ended(error: GradioClientError) -> bool:
    """Whether a failure means the server already let go of the job (no cancel needed)."""
    return not isinstance(error, (JobTimeoutError, RemoteProtocolError, StalledStreamError))


def _app_error(output: Output, title: str | None) -> AppError:
    message = output.error if isinstance(output.error, str) else HIDDEN_ERROR
    if _UPLOAD_MISSING.search(message):  # issue 18: the upload went to another replica
        return UploadNotFoundError(
            f"The file uploaded for this job was not found on the server that ran it "
            f"({message}): the upload and the job most likely reached different replicas of "
            "the app (a load balancer without session affinity; enable sticky sessions), or "
            "the server lost its uploads (a restart). The app did not run the job."
        )
    return AppError(
        message,
        duration=output.duration if output.error is not msgspec.UNSET else 10,
        visible=output.visible,
        title=output.title or title or "Error",
    )


def _session_error(message: UnexpectedError | ServerStopped) -> GradioClientError:
    text = message.message if isinstance(message, UnexpectedError) else None
    if isinstance(message, UnexpectedError) and message.session_not_found:
        return SessionNotFoundError(
            "The server does not know this session any more (it restarted, or the request "
            f"reached another replica): {text or 'session not found'}"
        )
    if isinstance(message, ServerStopped) or (text and "stopped" in text.lower()):
        return ServerStoppedError(f"The server stopped: {text or 'server stopped'}")
    if message.event_id is not None:
        return AppError(text or HIDDEN_ERROR)
    return ConnectionLostError(f"The server reported an unexpected error: {text}")


# Gradio 5-6: "Cannot move X to the gradio cache dir because it was not uploaded by a user."
# Gradio 4.20-4.44: "File X is not in the upload folder and cannot be accessed."
_UPLOAD_MISSING: Final = re.compile(r"not uploaded by a user|is not in the upload folder")


def _lost_error(
    error: GradioClientError, job: _Job, cut: bool, unacked: Mapping[int, _Job]
) -> GradioClientError:
    """Issue 18: what a lost session (or a stream that kept ending with no news) means for one
    job.  Never named on the stream: its join and the stream reached different servers.
    Named, but the stream broke while it waited: the stream was cut mid-job (most often a
    proxy's idle timeout)."""
    if not isinstance(error, (SessionNotFoundError, StalledStreamError)):
        return error
    if job.id in unacked:
        return ReplicaMismatchError(
            f"The server accepted this job (event {job.event_id}), but the event stream never "
            f"mentioned it ({error}): the join and the stream most likely reached different "
            "replicas of the app (a load balancer without session affinity; enable sticky "
            "sessions, or run one replica), or the server restarted in between. The app may "
            "have run the job; its result is lost.",
            job.event_id,
        )
    if cut and isinstance(error, SessionNotFoundError):
        return StreamCutError(
            "The event stream was closed while the job was pending, and on reconnecting the "
            f"server no longer knew the session ({error}). Gradio drops a session's events "
            "when its stream disconnects, so the result is lost (the app may have run the "
            "job). The usual cause is a proxy or load balancer whose read/idle timeout is "
            "shorter than Gradio's 15 s heartbeat interval (nginx proxy_read_timeout, "
            "haproxy timeout server/tunnel, a cloud load balancer's idle timeout): raise it "
            "well above 15 s. A server restart, or a reconnect reaching another replica, "
            "ends the same way."
        )
    return error


def _json_field(body: bytes, key: str) -> Any:
    try:
        value = msgspec.json.decode(body)
    except Exception:  # noqa: BLE001 - DecodeError, RecursionError (too deep), ...
        return None
    return value.get(key) if isinstance(value, dict) else None


def _preview(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", "replace").strip()
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                seconds = float(value.strip())
            except ValueError:
                return None  # an HTTP date: fall back to our own backoff
            return max(0.0, seconds)
    return None


def _join_error(
    status: int, body: bytes, headers: Mapping[str, str], what: str = "queue/join"
) -> GradioClientError:
    detail = _json_field(body, "detail")
    if status == 503:
        text = detail if isinstance(detail, str) else "Queue is full! Please try again."
        return QueueFullError(text)
    if status == 422 and isinstance(detail, list):
        problems = [d for d in detail if isinstance(d, dict)]
        # a validator's entry per input says is_valid true/false: count the invalid ones
        failed = [d for d in problems if d.get("is_valid") is not True]
        lines = [
            f"- {d.get('parameter_name') or '.'.join(map(str, d.get('loc') or ())) or '?'}: "
            f"{d.get('message') or d.get('msg') or 'invalid'}"
            for d in failed
        ]
        return ValidationError(
            f"{len(failed)} parameter(s) failed validation:\n" + "\n".join(lines), problems
        )
    if status in (401, 403):
        return AuthenticationError(
            f"The server refused the {what} (HTTP {status}): log in with auth=(user, password) "
            "or pass a token with access to this app."
        )
    if status == 429:
        retry = _retry_after(headers)
        return TooManyRequestsError(
            f"The server is rate limiting requests (HTTP 429)"
            + (f"; retry after {retry:g} s." if retry is not None else "; try again later."),
            retry_after=retry,
        )
    return _http_error(what, status, body)


def _http_error(what: str, status: int, body: bytes) -> HTTPStatusError:
    detail = _json_field(body, "detail")
    text = detail if isinstance(detail, str) else _preview(body)
    hint = ""
    if body.lstrip()[:1] == b"<":
        hint = " The server answered with HTML, not JSON: is this URL a Gradio app?"
    return HTTPStatusError(f"{what} failed with HTTP {status}: {text}.{hint}", status, body)


__all__ = ["MULTIPLEXED", "PROTOCOLS", "MachineConfig", "Phase", "QueueMachine", "StreamKind"]
