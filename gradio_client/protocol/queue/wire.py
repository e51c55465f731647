"""The three wire families of the Gradio queue, and what differs between them.

``config.protocol`` (the server's string) picks a ``Wire``; the machine derives it once and
looks the family's rules up in ``RULES`` (one ``WireRules`` object per family) instead of
comparing strings on every path:

* ``Wire.WS`` (``ws``, Gradio 3.x): one websocket per job at ``/queue/join``.  ``send_hash``
  is answered with ``{fn_index, session_hash}``, ``send_data`` with the data;
  ``process_completed`` ends the job and the socket.  Endpoints the config does not queue
  use ``POST /api/predict/`` instead (``config.unqueued_fns``).  A server cancel is
  ``POST /reset {session_hash, fn_index}``.
* ``Wire.SSE_V0`` (``sse``, 4.0-4.8): one event stream per job, ``GET
  queue/join?fn_index&session``; ``send_data`` carries the ``event_id`` and is answered by
  ``POST queue/data``.
* ``Wire.MULTIPLEXED`` (``sse_v1``) and ``Wire.MULTIPLEXED_DIFFED`` (``sse_v2``,
  ``sse_v2.1``, ``sse_v3``; 4.9 onward): ``POST queue/join`` returns an ``event_id``; ONE
  stream per session (``GET queue/data?session_hash``) carries the messages of every event,
  each tagged with its ``event_id``, and ``/heartbeat/{session}`` may keep the session
  alive.  With diffs (``Wire.diffed``), every ``process_generating`` after a job's first
  carries diffs against the previous value.  A server cancel is ``POST /cancel`` where the
  server has it (4.31+), else the endpoint's canceller and ``POST /reset {event_id}``.

Sibling cancel (a Gradio server quirk).  ``POST /cancel`` kills every *running* event of
the same session and function, not only the one named; the victims never get a
completion.  So when a job is cancelled on the server, running siblings of the same
function get ``config.cancel_grace`` seconds for their completion to arrive, after which
they end with ``JobCancelled`` naming the cause.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import msgspec

from ..actions import OpenStream, OpenWebSocket
from ..errors import LocalProtocolError
from .state import StreamKind, _Job, _Request

if TYPE_CHECKING:
    from .core import _Core

MULTIPLEXED: Final = frozenset({"sse_v1", "sse_v2", "sse_v2.1", "sse_v3"})
DIFFED: Final = frozenset({"sse_v2", "sse_v2.1", "sse_v3"})
PROTOCOLS: Final = MULTIPLEXED | {"ws", "sse"}

MAX_STATUS_UPDATES: Final = 100_000  # advisory statuses per job (see core.py)
MAX_REPEATS: Final = 16  # equal advisory statuses in a row (see core.py)

# A real server names each event on the session stream at once (an ``estimation`` starts
# every one of the 486 joins recorded from 4.14 to 6.31 in tests/data/sessions); 30 s leaves
# room for an overloaded server and still ends a job whose join reached another replica.
EVENT_ACK_TIMEOUT: Final = 30.0


class Wire(enum.Enum):
    """A wire family (see the module doc); ``Wire.of(config.protocol)``."""

    WS = "ws"
    SSE_V0 = "sse"
    MULTIPLEXED = "sse_v1"
    MULTIPLEXED_DIFFED = "sse_v2+"

    @property
    def multiplexed(self) -> bool:
        """One event stream per session, events told apart by ``event_id``."""
        return self is Wire.MULTIPLEXED or self is Wire.MULTIPLEXED_DIFFED

    @property
    def diffed(self) -> bool:
        """Generator outputs after a job's first are diffs against the previous value."""
        return self is Wire.MULTIPLEXED_DIFFED

    @staticmethod
    def parse(protocol: str) -> Wire | None:
        """The family of a server's ``protocol`` string; None for one this client lacks."""
        return _BY_PROTOCOL.get(protocol)

    @staticmethod
    def of(protocol: str) -> Wire:
        wire = _BY_PROTOCOL.get(protocol)
        if wire is None:
            raise LocalProtocolError(
                f"Unsupported Gradio queue protocol {protocol!r}; this client speaks "
                f"{', '.join(sorted(PROTOCOLS))}."
            )
        return wire


_BY_PROTOCOL: Final[Mapping[str, Wire]] = {
    "ws": Wire.WS,
    "sse": Wire.SSE_V0,
    "sse_v1": Wire.MULTIPLEXED,
    **{protocol: Wire.MULTIPLEXED_DIFFED for protocol in DIFFED},
}


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
    # a join reply while other joins of its session are in flight does not open the session
    # stream: it opens at the last of their replies, or this long (s) after the first tick at
    # the latest (0: at once)
    join_gather: float = 2.0


class WireRules(abc.ABC):
    """How one family joins a job, cancels it on the server, and which streams it reads."""

    #: one multiplexed stream per session (and the session heartbeat); jobs have none
    session_stream = False

    @abc.abstractmethod
    def join(self, m: _Core, job: _Job) -> None:
        """Send what submits ``job`` (a request, or a stream or socket of its own)."""

    def cancel(self, m: _Core, job: _Job, event_id: str | None) -> None:
        """Ask the server to stop a job that ended early here (cancel or timeout)."""
        canceller = m.config.cancel_fns.get(job.fn_index)
        if canceller is not None:
            body = {"data": [], "fn_index": canceller, "session_hash": job.session}
            m._post(_Request.CANCEL, None, "/api/predict/", body)
        if event_id is not None:
            # Gradio 4.0-4.30: /reset stops the event's generator and drops it from the queue
            # (for a plain function that already runs it answers {"success": false}).
            m._post(_Request.CANCEL, None, "/reset", {"event_id": event_id})
        if canceller is None and self.session_stream:
            m._notice(
                "This server has no cancel route and no event cancels this endpoint; the job "
                "was dropped here and its generator stopped, but a plain function may still "
                "run to its end on the server.",
                job.id,
            )


class _WebSocketRules(WireRules):
    def join(self, m: _Core, job: _Job) -> None:
        if job.fn_index in m.config.unqueued_fns:
            m._post(_Request.PREDICT, job, "/api/predict/", job.join_body())
            return
        stream = m._new_stream(StreamKind.SOCKET, job.session, job)
        job.stream_id = stream.id
        m._out.append(OpenWebSocket(stream_id=stream.id, path=f"{m._prefix}/queue/join"))

    def cancel(self, m: _Core, job: _Job, event_id: str | None) -> None:
        # a queued job: unqueued ones are never cancelled on the server
        body = {"session_hash": job.session, "fn_index": job.fn_index}
        m._post(_Request.CANCEL, None, "/reset", body)


class _JobStreamRules(WireRules):
    def join(self, m: _Core, job: _Job) -> None:
        stream = m._new_stream(StreamKind.JOB, job.session, job)
        job.stream_id = stream.id
        path = f"{m._prefix}/queue/join?fn_index={job.fn_index}&session_hash={job.session}"
        m._out.append(
            OpenStream(stream_id=stream.id, path=path, read_timeout=m.config.stream_read_timeout)
        )


class _MultiplexedRules(WireRules):
    session_stream = True

    def join(self, m: _Core, job: _Job) -> None:
        m._post(_Request.JOIN, job, "/queue/join", job.join_body())

    def cancel(self, m: _Core, job: _Job, event_id: str | None) -> None:
        if not m.config.cancel_route or event_id is None:
            super().cancel(m, job, event_id)
            return
        body = {"fn_index": job.fn_index, "session_hash": job.session, "event_id": event_id}
        m._post(_Request.CANCEL, None, "/cancel", body)
        for sibling in m._jobs.values():  # the sibling-cancel quirk (module doc)
            if (
                sibling.session == job.session
                and sibling.fn_index == job.fn_index
                and sibling.running
                and sibling.grace_deadline is None
            ):
                sibling.grace_deadline = m._now + m.config.cancel_grace
                m._set_timer(sibling, sibling.grace_deadline)


_MULTIPLEXED_RULES: Final = _MultiplexedRules()

#: each family's rules (the h11 READERS/WRITERS idea: one table, no if/elif on the family)
RULES: Final[Mapping[Wire, WireRules]] = {
    Wire.WS: _WebSocketRules(),
    Wire.SSE_V0: _JobStreamRules(),
    Wire.MULTIPLEXED: _MULTIPLEXED_RULES,
    Wire.MULTIPLEXED_DIFFED: _MULTIPLEXED_RULES,
}

__all__ = [
    "DIFFED",
    "EVENT_ACK_TIMEOUT",
    "MAX_REPEATS",
    "MAX_STATUS_UPDATES",
    "MULTIPLEXED",
    "PROTOCOLS",
    "RULES",
    "MachineConfig",
    "Wire",
    "WireRules",
]
