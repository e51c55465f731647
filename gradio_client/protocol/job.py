"""One job's life outside the queue machine, sans-IO: ``JobState``.

The queue machine (``machine.py``) runs a job from its join to its last message.  Around
that, each client job also uploads its files first, downloads the files of its outputs
(in order, holding later updates back until they are saved), holds the terminal status
back until the last download is done, honours cancels at any point and a deadline over
the whole of it, and ends exactly once.  ``JobState`` owns all of that state; the job
objects of the clients (``Job`` in ``client.py``, ``AsyncJob`` in ``_async_job.py``) only
wait and perform the effects it returns, like an h11 connection's owner.

Inputs are methods; each returns the effects to perform, in order:

==================  ==============================================================
effect              the owner ...
==================  ==============================================================
``Upload``          uploads ``path`` (IO timeout: ``remaining(now)``), then calls
                    ``upload_done(path, ref, at)`` or ``upload_failed(error, at)``.
``AbortUpload``     stops the upload in flight, if it can (its result is ignored).
``Submit``          submits the job to the machine with ``uploaded`` (local path ->
                    the server's file reference) substituted into its data and
                    ``timeout=remaining(now)``, then ``bind(job_id)``, or
                    ``submit_failed(error, at)`` if the machine refused.
``Download``        saves the files of ``data`` (IO timeout: ``remaining(now)``), then
                    ``download_done(local_data, at)`` or ``download_failed(error, at)``.
``CancelOnServer``  feeds the machine's ``cancel(job)`` (it tells the server).
``Notify``          wakes whoever waits for a change (new status, output, end).
``Finish``          the job ended: settle its future, forget it, run callbacks.
==================  ==============================================================

Phases: ``NEW -> UPLOADING -> SUBMITTED -> ENDED`` (``NEW -> SUBMITTED`` without files;
any phase may end).  An input that makes no sense in the current phase (a machine action
before the job was submitted, an upload result after it was) raises
``LocalProtocolError``; results that arrive after the job ended (an upload finishing
after a cancel, a download after a close) are ignored.

Time is passed in: ``at`` is a ``Stamp`` (a monotonic reading for the deadline, a
wall-clock datetime for the ``time`` of what users see).  The deadline is absolute, on
the monotonic clock; an upload or download result at or past it ends the job with
``JobTimeoutError`` (the machine bounds the queue part the same way).
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Sequence
from typing import Any, Final, NamedTuple, Union

import msgspec

from .actions import Action, EmitOutput, EmitStatus, JobCancelled, JobFailed, JobSucceeded
from .api import Endpoint, outputs_value
from .errors import GradioClientError, JobTimeoutError, LocalProtocolError
from .status import OutputUpdate, Status, StatusUpdate, delivered

# An IO call bounded by the deadline may fail a little before the monotonic clock
# reaches it (timer granularity): such a failure still counts as the deadline's.
DEADLINE_SLACK: Final = 0.05
TIMEOUT_MESSAGE: Final = "The job did not finish within its timeout; it was cancelled."
_TERMINAL: Final = frozenset({Status.FINISHED, Status.CANCELLED})


class JobPhase(enum.Enum):
    NEW = "NEW"
    UPLOADING = "UPLOADING"
    SUBMITTED = "SUBMITTED"
    ENDED = "ENDED"


class Stamp(NamedTuple):
    """When an input happens: ``mono`` (monotonic seconds) and ``wall`` (a datetime)."""

    mono: float
    wall: Any


# ------------------------------------------------------------------ effects


class Upload(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    path: str


class AbortUpload(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    pass


class Submit(msgspec.Struct, frozen=True, kw_only=True):
    uploaded: dict[str, Any]  # local path -> the server's reference


class Download(msgspec.Struct, frozen=True, kw_only=True):
    data: list[Any]


class CancelOnServer(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    job: int


class Notify(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    pass


class Finish(msgspec.Struct, frozen=True, kw_only=True):
    value: Any = None
    error: BaseException | None = None
    cancelled: str | None = None  # the reason, when it ended as cancelled


Effect = Union[Upload, AbortUpload, Submit, Download, CancelOnServer, Notify, Finish]
_NOTIFY: Final = Notify()

# ------------------------------------------------------------------ inputs and phases

INPUTS: Final = (
    "start", "upload_done", "upload_failed", "submit_failed", "bind", "action",
    "download_done", "download_failed", "cancel", "close", "expire", "fail",
)
_ANY_TIME: Final = frozenset({"cancel", "close", "expire", "fail"})
LEGAL: Final[dict[JobPhase, frozenset[str]]] = {
    JobPhase.NEW: _ANY_TIME | {"start"},
    JobPhase.UPLOADING: _ANY_TIME | {"upload_done", "upload_failed"},
    # download results are legal only while a download is in flight (checked apart)
    JobPhase.SUBMITTED: _ANY_TIME
    | {"submit_failed", "bind", "action", "download_done", "download_failed"},
    # late results of effects started before the end are ignored; a start is not
    JobPhase.ENDED: frozenset(INPUTS) - {"start"},
}

_Step = tuple[str, Any, bool]  # (kind, payload, needs_io) waiting behind a download


class JobState:
    """Everything about one job that is not the queue machine's (see the module doc).

    Read-only to its owner: ``phase``, ``job_id``, ``status``, ``updates``, ``outputs``,
    ``events`` (statuses and ``OutputUpdate``s in order, what ``watch()`` walks),
    ``value``, ``error``, ``cancel_reason``, ``cancel_requested``, ``deadline``.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        uploads: Sequence[str] = (),
        deadline: float | None = None,
        at: Stamp,
    ) -> None:
        self.endpoint = endpoint
        self.phase = JobPhase.NEW
        self.deadline = deadline
        self.job_id: int | None = None
        self.status = delivered(StatusUpdate(code=Status.STARTING), at.wall)
        self.updates: list[StatusUpdate] = []
        self.outputs: list[Any] = []
        self.events: list[StatusUpdate | OutputUpdate] = []
        self.value: Any = None
        self.error: BaseException | None = None
        self.cancel_reason: str | None = None
        self.cancel_requested = False
        self._uploads = deque(uploads)
        self._uploaded: dict[str, Any] = {}
        self._terminal: StatusUpdate | None = None  # the machine's, shown last
        self._backlog: deque[_Step] = deque()
        self._downloading = False

    # ------------------------------------------------------------------ queries

    @property
    def ended(self) -> bool:
        return self.phase is JobPhase.ENDED

    @property
    def downloading(self) -> bool:
        return self._downloading

    def remaining(self, now: float) -> float | None:
        """Seconds left before the deadline (None: no deadline; never below 0)."""
        return None if self.deadline is None else max(0.0, self.deadline - now)

    def _past(self, at: Stamp) -> bool:
        return self.deadline is not None and at.mono >= self.deadline - DEADLINE_SLACK

    def _check(self, name: str) -> bool:
        """Raise on an illegal input; False when the job ended (the input is ignored)."""
        if name not in LEGAL[self.phase]:
            raise LocalProtocolError(f"job: {name} is not allowed in phase {self.phase.name}")
        return self.phase is not JobPhase.ENDED

    # ------------------------------------------------------------------ before the queue

    def start(self, at: Stamp) -> list[Effect]:
        """The job was created: upload its files first, or submit it."""
        self._check("start")
        if self._past(at):
            return self._end(at, error=JobTimeoutError(TIMEOUT_MESSAGE))
        if self._uploads:
            self.phase = JobPhase.UPLOADING
            return [Upload(path=self._uploads[0])]
        self.phase = JobPhase.SUBMITTED
        return [Submit(uploaded={})]

    def upload_done(self, path: str, ref: Any, at: Stamp) -> list[Effect]:
        if not self._check("upload_done"):
            return []
        if not self._uploads or self._uploads[0] != path:
            raise LocalProtocolError(f"job: {path!r} is not the upload in flight")
        self._uploads.popleft()
        self._uploaded[path] = ref
        if self._past(at):
            return self._end(at, error=JobTimeoutError(TIMEOUT_MESSAGE))
        if self._uploads:
            return [Upload(path=self._uploads[0])]
        self.phase = JobPhase.SUBMITTED
        return [Submit(uploaded=dict(self._uploaded))]

    def upload_failed(self, error: BaseException, at: Stamp) -> list[Effect]:
        if not self._check("upload_failed"):
            return []
        return self._end(at, error=self._timeout_or(error, at))

    def submit_failed(self, error: BaseException, at: Stamp) -> list[Effect]:
        if not self._check("submit_failed"):
            return []
        return self._end(at, error=error)

    def bind(self, job_id: int) -> list[Effect]:
        """The machine accepted the job as ``job_id`` (its actions may have come first)."""
        if not self._check("bind"):
            return []
        self.job_id = job_id
        return [CancelOnServer(job=job_id)] if self.cancel_requested else []

    # ------------------------------------------------------------------ the machine's actions

    def action(self, action: Action, at: Stamp, *, needs_io: bool = False) -> list[Effect]:
        """One of the machine's actions for this job; ``needs_io``: an output (or final
        value) with files to download first."""
        if not self._check("action"):
            return []
        if isinstance(action, EmitStatus):
            step: _Step = ("status", action.update, False)
        elif isinstance(action, EmitOutput):
            step = ("output", action.data, needs_io)
        elif isinstance(action, JobSucceeded):
            step = ("success", action.data, needs_io)
        elif isinstance(action, JobFailed):
            step = ("failure", action.error, False)
        elif isinstance(action, JobCancelled):
            step = ("cancelled", action.reason, False)
        else:
            return []  # transport actions are not a job's
        self._backlog.append(step)
        return [] if self._downloading else self._pump(at)

    def download_done(self, data: list[Any], at: Stamp) -> list[Effect]:
        if not self._check("download_done"):
            return []
        if not self._downloading:
            raise LocalProtocolError("job: no download is in flight")
        self._downloading = False
        kind, _, _ = self._backlog.popleft()
        if self._past(at):
            return self._end(at, error=JobTimeoutError(TIMEOUT_MESSAGE), local=True)
        effects = self._apply(kind, data, at)
        return effects + self._pump(at) if not self.ended else effects

    def download_failed(self, error: BaseException, at: Stamp) -> list[Effect]:
        if not self._check("download_failed"):
            return []
        if not self._downloading:
            raise LocalProtocolError("job: no download is in flight")
        self._downloading = False
        return self._end(at, error=self._timeout_or(error, at), local=True)

    def _pump(self, at: Stamp) -> list[Effect]:
        """Apply waiting steps in order until one needs a download (or the job ends)."""
        effects: list[Effect] = []
        while self._backlog and not self.ended:
            kind, payload, needs_io = self._backlog[0]
            if needs_io:
                self._downloading = True
                effects.append(Download(data=payload))
                break
            self._backlog.popleft()
            effects += self._apply(kind, payload, at)
        return effects

    def _apply(self, kind: str, payload: Any, at: Stamp) -> list[Effect]:
        if kind == "status":
            update: StatusUpdate = payload
            if update.code in _TERMINAL:  # shown by _end, which may still fail the job
                self._terminal = update
                return []
            shown = delivered(update, at.wall)
            self.status = shown
            self.updates.append(shown)
            self.events.append(shown)
            return [_NOTIFY]
        if kind == "failure":
            return self._end(at, error=payload)
        if kind == "cancelled":
            return self._end(at, cancelled=payload)
        try:
            value = outputs_value(self.endpoint, payload)
        except GradioClientError as exc:  # an output that does not fit the endpoint
            return self._end(at, error=exc, local=True)
        if kind == "success":
            return self._end(at, value=value, succeeded=True)
        self.outputs.append(value)
        self.events.append(OutputUpdate(outputs=value, time=at.wall))
        return [_NOTIFY]

    # ------------------------------------------------------------------ from the caller

    def cancel(self, reason: str, at: Stamp) -> list[Effect]:
        """The caller cancels: before the queue the job ends now (its upload is aborted);
        in the queue the machine is told (the job ends when it answers)."""
        if not self._check("cancel"):
            return []
        self.cancel_requested = True
        if self.phase is JobPhase.UPLOADING:
            return [AbortUpload(), *self._end(at, cancelled=reason)]
        if self.phase is JobPhase.NEW:
            return self._end(at, cancelled=reason)
        return [CancelOnServer(job=self.job_id)] if self.job_id is not None else []

    def close(self, reason: str, at: Stamp) -> list[Effect]:
        """The client closed (or stopped): the job ends now as cancelled."""
        if not self._check("close"):
            return []
        aborts: list[Effect] = [AbortUpload()] if self.phase is JobPhase.UPLOADING else []
        return aborts + self._end(at, cancelled=reason)

    def expire(self, at: Stamp) -> list[Effect]:
        """The owner noticed the clock: past the deadline, the job ends with
        ``JobTimeoutError`` (and is cancelled on the server)."""
        if not self._check("expire") or not self._past(at):
            return []
        aborts: list[Effect] = [AbortUpload()] if self.phase is JobPhase.UPLOADING else []
        return aborts + self._end(at, error=JobTimeoutError(TIMEOUT_MESSAGE), local=True)

    def fail(self, error: BaseException, at: Stamp) -> list[Effect]:
        """Something of ours went wrong (a bug, a disk error): the job ends with it."""
        if not self._check("fail"):
            return []
        return self._end(at, error=error, local=True)

    # ------------------------------------------------------------------ the end

    def _timeout_or(self, error: BaseException, at: Stamp) -> BaseException:
        if self._past(at) and not isinstance(error, JobTimeoutError):
            timeout = JobTimeoutError(TIMEOUT_MESSAGE)
            timeout.__cause__ = error
            return timeout
        return error

    def _end(
        self,
        at: Stamp,
        *,
        value: Any = None,
        succeeded: bool = False,
        error: BaseException | None = None,
        cancelled: str | None = None,
        local: bool = False,
    ) -> list[Effect]:
        """End the job, once: the terminal status last; ``local``: the failure is ours,
        so the machine may still run the job and is told to cancel it."""
        self.phase = JobPhase.ENDED
        self._backlog.clear()
        self._downloading = False
        if cancelled is not None:
            self.cancel_reason = cancelled
            code, success = Status.CANCELLED, False
        else:
            code, success = Status.FINISHED, error is None
        if succeeded:
            self.value = value
            if not self.outputs:
                self.outputs.append(value)
            self.events.append(OutputUpdate(outputs=value, final=True, time=at.wall))
        self.error = error
        final = self._terminal
        if final is None or final.code is not code or final.success is not success:
            final = StatusUpdate(code=code, success=success)
        shown = delivered(final, at.wall)
        self.status = shown
        self.updates.append(shown)
        self.events.append(shown)
        effects: list[Effect] = [_NOTIFY]
        if local and error is not None and self.job_id is not None:
            effects.append(CancelOnServer(job=self.job_id))
        effects.append(Finish(value=self.value, error=error, cancelled=cancelled))
        return effects


__all__ = [
    "AbortUpload",
    "CancelOnServer",
    "DEADLINE_SLACK",
    "Download",
    "Effect",
    "Finish",
    "INPUTS",
    "JobPhase",
    "JobState",
    "LEGAL",
    "Notify",
    "Stamp",
    "Submit",
    "TIMEOUT_MESSAGE",
    "Upload",
]
