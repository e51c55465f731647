"""What ``Job`` (client.py) and ``AsyncJob`` (_async_job.py) share: ``JobBase``.

A job's state is a ``protocol.job.JobState``; its owner feeds it (``_step``) and performs
the effects it returns.  ``JobBase`` holds what does not depend on threads or an event
loop: the snapshots (``status``, ``updates``, ``outputs``), the verbs its client uses
(``job_id``, ``start``, ``deliver``, ``close``) and submitting to the machine.  The
subclasses add how to wait, how to perform each effect (a pool thread or a task for an
upload or a download) and the public API of their kind (a ``Future``, or awaitables).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol

from .protocol.actions import Action, EmitOutput, JobSucceeded
from .protocol.api import Endpoint
from .protocol.errors import GradioClientError
from .protocol.job import Effect, JobState, Stamp
from .protocol.status import StatusUpdate

ResultCallback = Callable[..., Any]


class Call(NamedTuple):
    """What ``submit`` decided about a call, kept until its files are uploaded."""

    endpoint: Endpoint
    data: list[Any]
    extra: dict[str, Any]
    headers: dict[str, str]


class _Client(Protocol):
    """What a job needs of its client (``Client`` or ``AsyncClient``)."""

    _closed: bool

    def _needs_io(self, data: list[Any]) -> bool: ...

    def _submit_call(
        self, job: Any, call: Call, uploaded: dict[str, Any], timeout: float | None
    ) -> int: ...


class JobBase:
    """The part of a job that is the same for threads and for tasks (module doc)."""

    _client: _Client
    _call: Call
    _core: JobState

    def status(self) -> StatusUpdate:
        """The latest status."""
        return self._core.status

    def updates(self) -> list[StatusUpdate]:
        """Every status update received so far, in order (progress and logs included)."""
        return list(self._core.updates)

    def outputs(self) -> list[Any]:
        """Every output so far (for a job that is not a generator: its final value)."""
        return list(self._core.outputs)

    # ------------------------------------------------------------------ the client's verbs

    @property
    def job_id(self) -> int | None:
        """The queue machine's id of the job once submitted."""
        return self._core.job_id

    def start(self) -> None:
        """Begin: upload the files, or submit."""
        self._step(lambda state: state.start(now()))

    def deliver(self, action: Action) -> None:
        """One of the machine's actions for this job (from the shell; never blocks)."""
        self.deliver_all((action,))

    def deliver_all(self, actions: Sequence[Action]) -> None:
        """Several of the machine's actions for this job, in order, fed as one step: a
        caller waiting for the job wakes once for them (a generator's status and the
        output that came with it), not once each."""
        needs_io = self._client._needs_io
        steps = [
            (action, isinstance(action, (EmitOutput, JobSucceeded)) and needs_io(action.data))
            for action in actions
        ]
        at = now()

        def feed(state: JobState) -> list[Effect]:
            effects: list[Effect] = []
            for action, io in steps:
                effects += state.action(action, at, needs_io=io)
            return effects

        self._step(feed)

    def close(self, reason: str) -> None:
        """End the job now as cancelled (the client closed or stopped)."""
        self._step(lambda state: state.close(reason, now()))

    # ------------------------------------------------------------------ effects

    def _step(self, input: Callable[[JobState], list[Effect]]) -> None:
        """Feed the state one input, then perform the effects it returns, in order."""
        raise NotImplementedError

    def _submit(self, uploaded: dict[str, Any]) -> None:
        """The ``Submit`` effect: hand the job to the machine, its files uploaded."""
        client = self._client
        if client._closed:  # closed while the files were uploading
            self.close("the client was closed")
            return
        remaining = self._core.remaining(time.monotonic())
        try:
            job_id = client._submit_call(self, self._call, uploaded, remaining)
        except GradioClientError as exc:
            if client._closed:  # the machine refused: it closed meanwhile
                self.close("the client was closed")
            else:
                refused = exc
                self._step(lambda state: state.submit_failed(refused, now()))
            return
        self._step(lambda state: state.bind(job_id))


def now() -> Stamp:
    """The two clocks a ``JobState`` input needs."""
    return Stamp(time.monotonic(), datetime.datetime.now())


def callbacks_of(
    callbacks: ResultCallback | Sequence[ResultCallback] | None,
) -> list[ResultCallback]:
    """``result_callbacks`` as a list (one callable, a sequence, or None)."""
    if callbacks is None:
        return []
    if callable(callbacks):
        return [callbacks]
    return list(callbacks)


def call_with(callback: ResultCallback, value: Any) -> None:
    """Call a result callback as the official client does: a tuple value is spread."""
    if isinstance(value, tuple):
        callback(*value)
    else:
        callback(value)


__all__ = ["Call", "JobBase", "ResultCallback", "call_with", "callbacks_of", "now"]
