"""The Gradio queue protocol as one sans-IO state machine: ``QueueMachine``.

``QueueMachine`` holds every job of one client and every stream it reads.  It never does
IO, never reads a clock and never sleeps: inputs are method calls (bytes of a stream, the
reply to a POST, a websocket frame, a submit or cancel request, the current time) and each
call returns the list of actions (see ``actions.py``) the caller must perform.

The rules live beside the code they describe: the wire families in ``wire.py``, the job
phases and their terminal actions in ``state.py``, the status caps in ``core.py``, stream
ends and the reopen budget in ``streams.py``, message routing in ``routing.py``, and the
error each failure becomes in ``failures.py``.  ``docs/wire.md`` sums them up.

Time.  ``submit(..., now, timeout)`` sets a deadline; ``next_deadline()`` tells the shell
when to call ``tick(now)``.  ``now`` is any monotonic clock reading, in seconds.

Observing.  ``QueueMachine(config, session, observer=f)`` calls ``f(method, inputs,
returned)`` after each input method (``INPUTS``): its name, its arguments by parameter name
and what it returned (the actions; ``(job, actions)`` for ``submit``).  A machine without an
observer pays nothing for the feature.  ``watch_machines(factory)`` has ``factory(machine)``
called for every machine created without an observer (the recorder and replayer of
``gradio_client.testing`` use it); it returns the machine's observer, or None.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, Final

from ..actions import Action, JobCancelled, JobFailed
from ..errors import (
    AuthenticationError,
    ConnectionLostError,
    GradioClientError,
    JobTimeoutError,
    LocalProtocolError,
    RemoteProtocolError,
)
from .failures import http_error
from .routing import _MessageRules
from .state import Phase, StreamKind, _Job, _Request, _Session
from .wire import MAX_STATUS_UPDATES, MachineConfig

#: the machine's input methods, the ones an observer sees
INPUTS: Final = (
    "start",
    "submit",
    "cancel",
    "tick",
    "reset_session",
    "close",
    "receive_response",
    "receive_request_error",
    "stream_opened",
    "receive_stream_data",
    "receive_stream_eof",
    "receive_stream_error",
    "receive_ws_message",
    "ws_closed",
)

#: ``observer(method, inputs, returned)``: see the module doc
Observer = Callable[[str, Mapping[str, Any], Any], None]
#: ``factory(machine)`` -> the new machine's observer, or None
MachineWatcher = Callable[["QueueMachine"], "Observer | None"]

_watchers: tuple[MachineWatcher, ...] = ()


def watch_machines(factory: MachineWatcher) -> Callable[[], None]:
    """Call ``factory`` for every machine created from now on without an observer; returns
    the function that stops it."""
    global _watchers
    _watchers = (*_watchers, factory)

    def unwatch() -> None:
        global _watchers
        _watchers = tuple(w for w in _watchers if w is not factory)

    return unwatch


def _observed(method: Callable[..., Any], name: str, observer: Observer) -> Callable[..., Any]:
    signature = inspect.signature(method)

    def call(*args: Any, **kwargs: Any) -> Any:
        returned = method(*args, **kwargs)
        observer(name, signature.bind(*args, **kwargs).arguments, returned)
        return returned

    return call


class QueueMachine(_MessageRules):
    """All jobs and streams of one client; see the module doc."""

    def __init__(
        self,
        config: MachineConfig,
        session_hash: str,
        *,
        max_status_updates: int = MAX_STATUS_UPDATES,
        observer: Observer | None = None,
    ) -> None:
        super().__init__(config, session_hash, max_status_updates=max_status_updates)
        if observer is None:
            for watcher in _watchers:
                observer = watcher(self)
                if observer is not None:
                    break
        if observer is not None:  # this instance's inputs report to it; the class is untouched
            for name in INPUTS:
                setattr(self, name, _observed(getattr(self, name), name, observer))

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

    def job_count(self) -> int:
        """How many jobs have not ended (safe to read from a thread not feeding inputs)."""
        return len(self._jobs)

    def next_deadline(self) -> float | None:
        """The earliest time at which ``tick`` has work to do, or None."""
        best = self._first_timer()
        if self._unarmed():  # tick now to start their clocks
            return self._now if best is None else min(best, self._now)
        for when in (self._first_ack_deadline(), self._first_gather_deadline()):
            if when is not None and (best is None or when < best):
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
            self._set_timer(job, job.deadline)
        self._jobs[job.id] = job
        self._session.joining += 1
        self._rules.join(self, job)
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
        for job in self._due_timers(now):
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
        self._expire_unacked(now)
        if self._gathering:
            self._expire_gathering(now)
        return self._take()

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
        session = self._answered(request_id, job)
        if kind is _Request.CANCEL or job is None:
            if not 200 <= status_code < 300:
                self._notice(f"The server refused a cancel request (HTTP {status_code}).")
            return self._take()
        if kind is _Request.JOIN:
            self._on_join_reply(job, status_code, body, headers or {})
            self._gathered_if_answered(session)
        elif kind is _Request.DATA:
            if not 200 <= status_code < 300 and job.phase is not Phase.DONE:
                self._end(job, JobFailed(job=job.id, error=http_error("queue/data", status_code, body)))
        else:  # PREDICT
            self._on_predict_reply(job, status_code, body)
        return self._take()

    def receive_request_error(self, request_id: int, error: GradioClientError) -> list[Action]:
        """A ``Post`` got no response at all (connection refused, reset, timed out)."""
        entry = self._requests.pop(request_id, None)
        if entry is not None:
            kind, job = entry
            session = self._answered(request_id, job)
            if job is not None and kind is not _Request.CANCEL and job.phase is not Phase.DONE:
                self._end(job, JobFailed(job=job.id, error=error))
            elif kind is _Request.CANCEL:
                self._notice(f"A cancel request failed: {error}")
            self._gathered_if_answered(session)
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


__all__ = ["INPUTS", "MachineWatcher", "Observer", "QueueMachine", "watch_machines"]
