"""Routing what the server says to jobs: stream messages, join and predict replies.

Ordering.  On the multiplexed stream, messages for an ``event_id`` no live job has yet
claimed are kept (bounded by ``config.early_message_limit``) while some join of that
session is still in flight, and replayed in order when its reply names the event.  With no
join in flight they can belong to nobody and are dropped with a ``Notice``.

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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import msgspec

from ..actions import EmitOutput, JobCancelled, JobFailed, JobSucceeded, SendWebSocket
from ..diff import apply_diff
from ..errors import (
    AppError,
    MalformedMessageError,
    QueueFullError,
    RemoteProtocolError,
    ServerStoppedError,
    SessionNotFoundError,
)
from ..messages import (
    RESULT_TAGS,
    AliveCheck,
    AnyMessage,
    CloseStream as CloseStreamMessage,
    Estimation,
    Heartbeat,
    KnownMessage,
    Log,
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
    UnknownMessage,
    decode_with_repairs,
    encode_json,
    peek_header,
)
from ..status import Status, StatusUpdate
from .failures import (
    HIDDEN_ERROR,
    app_error,
    join_error,
    json_field,
    lost_error,
    preview,
    retry_after,
    session_error,
)
from .state import Phase, StreamKind, _Job, _Request, _Stream
from .streams import _StreamRules


class _MessageRules(_StreamRules):
    """Messages and replies for jobs (see the module doc)."""

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
            unacked = self._sessions[job.session].unacked
            if unacked:
                unacked.pop(job.id, None)
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
            error = session_error(message)
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
                self._end(job, JobFailed(job=job.id, error=lost_error(error, job, cut, session.unacked)))
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
        body = job.join_body()
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
                self._end(job, JobFailed(job=job.id, error=app_error(output, None)))
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
            self._end(job, JobFailed(job=job.id, error=app_error(output, msg.title)))

    def _on_job_error(
        self, stream: _Stream, job: _Job, msg: UnexpectedError | ServerStopped
    ) -> None:
        self._end(job, JobFailed(job=job.id, error=session_error(msg)))

    def _on_job_close(self, stream: _Stream, job: _Job, msg: CloseStreamMessage) -> None:
        stream.closing = True

    def _on_ignored(self, stream: _Stream, job: _Job, msg: KnownMessage) -> None:
        pass

    def _on_join_reply(
        self, job: _Job, status: int, body: bytes, headers: Mapping[str, str]
    ) -> None:
        if 200 <= status < 300:
            event_id = json_field(body, "event_id")
            if not isinstance(event_id, str):
                if job.phase is not Phase.DONE:
                    self._end(
                        job,
                        JobFailed(
                            job=job.id,
                            error=RemoteProtocolError(
                                "queue/join answered without an event_id: "
                                f"{preview(body)}; is this URL a Gradio app?"
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
            early = self._early.pop(event_id, ())
            self._early_count -= len(early)
            stream = session.stream
            if stream is None and (early or not session.in_flight or not self.config.join_gather):
                stream = self._open_session_stream(session, 0.0)
            elif stream is None:
                self._gather(session)
            if not early and self.config.event_ack_timeout is not None:
                session.unacked[job.id] = job  # its clock starts at the next tick
            for message in early:
                if job.id not in self._jobs:  # an early message ended it
                    break
                if isinstance(message, MalformedMessageError):
                    self._end(job, JobFailed(job=job.id, error=message))
                elif stream is not None:  # (always: early messages open it above)
                    self._dispatch(stream, job, message)
            return
        if job.phase is Phase.DONE:
            return
        if status == 429 and job.retries < self.config.rate_limit_retries:
            job.retries += 1
            asked = retry_after(headers)
            delay = asked if asked is not None else self._backoff(job.retries)
            if delay <= self.config.max_retry_after:
                self._post(_Request.JOIN, job, "/queue/join", job.join_body(), delay=delay)
                return
        self._end(job, JobFailed(job=job.id, error=join_error(status, body, headers)))

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
            self._end(job, JobFailed(job=job.id, error=join_error(status, body, {})))


_HANDLERS: Final[dict[type, Any]] = {
    Estimation: _MessageRules._on_estimation,
    SendHash: _MessageRules._on_send_hash,
    SendData: _MessageRules._on_send_data,
    QueueFull: _MessageRules._on_queue_full,
    ProcessStarts: _MessageRules._on_process_starts,
    Progress: _MessageRules._on_progress,
    Log: _MessageRules._on_log,
    ProcessGenerating: _MessageRules._on_generating,
    ProcessStreaming: _MessageRules._on_generating,
    ProcessCompleted: _MessageRules._on_completed,
    UnexpectedError: _MessageRules._on_job_error,
    ServerStopped: _MessageRules._on_job_error,
    CloseStreamMessage: _MessageRules._on_job_close,
    Heartbeat: _MessageRules._on_ignored,
    AliveCheck: _MessageRules._on_ignored,
}
