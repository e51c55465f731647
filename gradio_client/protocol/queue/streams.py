"""The event streams' rules: what the end of a stream means, and when it is reopened.

The session stream.  It opens at a join reply and stays open while the server keeps it.
Gathering: a join reply that comes while other joins of the session are in flight (sent,
not waiting to retry after a 429) does not open it; it opens at the reply to the last of
them, or ``config.join_gather`` (2 s) after the first tick at the latest (0: no
gathering).  The server keeps a session's messages until its stream comes, so a burst's
results are read in a few large reads after its joins, as a client sending all joins first
would, instead of one wake-up per message while joins still go out.  When it ends (EOF,
``close_stream``, a transport error, an HTTP error status) and jobs of that session still
wait, it is reopened.  ``unexpected_error`` without an ``event_id`` fails every waiting job
of that session.  The machine never closes a live session stream on its own: the server
routes new events of the session to it.

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

Replicas and cut streams (issue 18, docs/deploying.md).  With ``config.event_ack_timeout``
set (``machine_config`` does, for one stream per session), a joined job that the open session
stream has not named that long after its join reply (the clock starts at the next ``tick``
and waits while the stream is not open) fails with ``ReplicaMismatchError``: its join and
the stream reached different replicas.  A lost session (``session_not_found``, or a stream
that kept ending with no news) fails a job never named with ``ReplicaMismatchError`` too, and
a named job whose stream broke mid-job with ``StreamCutError`` (a proxy's idle timeout).  An
app error saying an input file was not uploaded is ``UploadNotFoundError``.
"""

from __future__ import annotations

import re
from typing import Final

from ..actions import JobFailed
from ..errors import (
    ConnectionLostError,
    GradioClientError,
    RemoteProtocolError,
    ReplicaMismatchError,
    StalledStreamError,
)
from .core import _Core
from .failures import join_error, lost_error, preview
from .state import Phase, StreamKind, _Job, _Session, _Stream

_MSG_TAG: Final = re.compile(rb'\s*\{\s*"msg"\s*:\s*"([a-z_0-9.]+)"')


class _StreamRules(_Core):
    """Stream ends, the reopen budget and the event-acknowledgement clock."""

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
                self._end(job, JobFailed(job=job.id, error=lost_error(error, job, False, session.unacked)))
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
                f"({preview(body)}); is the URL behind a login page or a proxy?"
            )
        return join_error(status, body, {}, what="event stream")

    def _expire_unacked(self, now: float) -> None:
        """Replicas (issue 18): a real server names every event on the session stream right
        after its join (an ``estimation``); a job still unnamed ``event_ack_timeout`` s after
        its join reply, while the stream is open, is on a replica this stream does not reach.

        A job's clock starts at the first tick after its join reply (``ack_armed``) and
        starts again at every tick that finds its session's stream not open
        (``ack_restart``), so its deadline is ``max(ack_armed, ack_restart) + timeout``.
        Jobs join a session's ``unacked`` in the order of their ticks, so the deadlines
        there are in order too, and a tick looks at the expired jobs and one more.  A clock
        started by this tick is not looked at before the next one."""
        timeout = self.config.event_ack_timeout or 0.0
        for session in list(self._sessions.values()):
            if not session.unacked:
                continue
            stream = session.stream
            if stream is None or stream.status is None or stream.error_body is not None:
                session.ack_restart = now  # the clock runs while the stream is open
                continue
            expired = []
            for job in session.unacked.values():
                armed = job.ack_armed
                if armed is None or max(armed, session.ack_restart) + timeout > now:
                    break
                expired.append(job)
            for job in expired:
                if job.phase is not Phase.WAITING:
                    continue
                error = ReplicaMismatchError(
                    f"The server accepted this job (event {job.event_id}) but the event stream "
                    f"did not mention it within {timeout:g} s: the join and the stream most "
                    "likely reached different replicas of the app (a load balancer without "
                    "session affinity). Enable sticky sessions, or run one replica. The app "
                    "may have run the job; its result is lost.",
                    job.event_id,
                )
                self._end(job, JobFailed(job=job.id, error=error))
        for session in self._sessions.values():  # start the new clocks: the unarmed jobs
            for job in reversed(session.unacked.values()):  # are the last ones joined
                if job.ack_armed is not None:
                    break
                job.ack_armed = now

    def _unarmed(self) -> bool:
        """Whether some job waits for the next tick to start its clock (the last joined)."""
        return any(
            session.unacked and next(reversed(session.unacked.values())).ack_armed is None
            for session in self._sessions.values()
        )

    def _first_ack_deadline(self) -> float | None:
        """The earliest unacked job's deadline (see ``_expire_unacked``)."""
        timeout = self.config.event_ack_timeout or 0.0
        best: float | None = None
        for session in self._sessions.values():
            if session.unacked:
                first = next(iter(session.unacked.values()))
                armed = self._now if first.ack_armed is None else first.ack_armed
                when = max(armed, session.ack_restart) + timeout
                if best is None or when < best:
                    best = when
        return best

    # ------------------------------------------------------------------ gathering joins

    def _answered(self, request_id: int, job: _Job | None) -> _Session | None:
        """A request got its answer; for a join counted in flight, its session."""
        if request_id not in self._sent_joins or job is None:
            return None
        self._sent_joins.discard(request_id)
        session = self._sessions.get(job.session)
        if session is not None:
            session.in_flight -= 1
        return session

    def _gather(self, session: _Session) -> None:
        """A job was named while other joins of its session are in flight: the stream waits
        for their replies (one stream for the lot) or ``join_gather`` s, whichever is first."""
        if session.hash not in self._gathering:
            self._gathering[session.hash] = session
            session.gather_until = None  # the clock starts at the next tick

    def _gathered_if_answered(self, session: _Session | None) -> None:
        """After a join's answer: a gathering session whose joins are all answered opens."""
        if session is not None and not session.in_flight and session.hash in self._gathering:
            self._gathered(session)

    def _gathered(self, session: _Session) -> None:
        self._gathering.pop(session.hash, None)
        session.gather_until = None
        if session.stream is None and self._session_jobs(session, Phase.WAITING):
            self._open_session_stream(session, 0.0)

    def _expire_gathering(self, now: float) -> None:
        for session in list(self._gathering.values()):
            if session.gather_until is None:
                session.gather_until = now + self.config.join_gather
            elif session.gather_until <= now:
                self._gathered(session)

    def _first_gather_deadline(self) -> float | None:
        best: float | None = None
        for session in self._gathering.values():
            when = self._now if session.gather_until is None else session.gather_until
            if best is None or when < best:
                best = when
        return best
