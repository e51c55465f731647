"""``JobState`` (protocol/job.py) tests written for mutation testing (docs/mutation.md).

The module's own tests (test_job.py) check the phase table and, as a property, that any
sequence ends once and in order.  These pin the promises of the module doc that the
property does not look at: the deadline with its slack, what an error message names, the
defaults of ``action``, which ends tell the server to cancel, which terminal status is
shown, and what a success leaves in ``outputs``.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from gradio_client.protocol.actions import (
    EmitOutput,
    EmitStatus,
    JobCancelled,
    JobFailed,
    JobSucceeded,
    Notice,
)
from gradio_client.protocol.errors import (
    AppError,
    JobTimeoutError,
    LocalProtocolError,
    RemoteProtocolError,
)
from gradio_client.protocol.job import (
    DEADLINE_SLACK,
    TIMEOUT_MESSAGE,
    AbortUpload,
    CancelOnServer,
    Download,
    Finish,
    JobPhase,
    JobState,
    Notify,
    Stamp,
    Submit,
    Upload,
)
from gradio_client.protocol.status import OutputUpdate, Status, StatusUpdate

from .test_job import ENDPOINT, at


def submitted(job_id: int | None = 4, **kwargs: Any) -> JobState:
    state = JobState(ENDPOINT, at=at(0), **kwargs)
    assert state.start(at(0)) == [Submit(uploaded={})]
    if job_id is not None:
        assert state.bind(job_id) == []
    return state


def finish_of(effects: list[Any]) -> Finish:
    assert isinstance(effects[-1], Finish)
    return effects[-1]


# ------------------------------------------------------------------ a new job


def test_a_new_job_starts_empty_and_starting() -> None:
    state = JobState(ENDPOINT, at=Stamp(3.0, "wall@start"))
    assert state.phase is JobPhase.NEW and not state.ended and state.downloading is False
    assert state.job_id is None and state.deadline is None and state.remaining(1e9) is None
    assert state.status == StatusUpdate(code=Status.STARTING, time="wall@start")
    assert state.updates == [] and state.outputs == [] and state.events == []
    assert state.value is None and state.error is None and state.cancel_reason is None
    assert state.cancel_requested is False


# ------------------------------------------------------------------ the deadline


@pytest.mark.parametrize("deadline", [0.5, 3.0, 10.0, 123.456])
def test_the_deadline_counts_from_its_slack_on(deadline: float) -> None:
    """A result at ``deadline - DEADLINE_SLACK`` or later is the deadline's; just before it
    is not."""
    edge = deadline - DEADLINE_SLACK
    before = math.nextafter(edge, -math.inf)
    assert JobState(ENDPOINT, deadline=deadline, at=at(0)).remaining(before) == deadline - before

    state = JobState(ENDPOINT, uploads=["/a", "/b"], deadline=deadline, at=at(0))
    assert state.start(at(before)) == [Upload(path="/a")]
    assert state.expire(at(before)) == []
    assert state.upload_done("/a", "ra", at(before)) == [Upload(path="/b")]
    effects = state.upload_done("/b", "rb", at(edge))
    assert finish_of(effects).error is state.error and isinstance(state.error, JobTimeoutError)
    assert str(state.error) == TIMEOUT_MESSAGE

    state = JobState(ENDPOINT, deadline=deadline, at=at(0))
    assert finish_of(state.start(at(edge))).error is state.error
    assert isinstance(state.error, JobTimeoutError)

    state = submitted(deadline=deadline)
    assert state.expire(at(before)) == []
    assert state.expire(at(edge)) == [Notify(), CancelOnServer(job=4), Finish(error=state.error)]

    failure = OSError("read timed out")
    state = JobState(ENDPOINT, uploads=["/a"], deadline=deadline, at=at(0))
    state.start(at(0))
    assert finish_of(state.upload_failed(failure, at(before))).error is failure


def test_without_a_deadline_the_clock_never_ends_a_job() -> None:
    state = JobState(ENDPOINT, uploads=["/a"], at=at(0))
    assert state.start(at(1e12)) == [Upload(path="/a")]
    assert state.expire(at(1e12)) == []
    assert state.upload_done("/a", "ra", at(1e12)) == [Submit(uploaded={"/a": "ra"})]
    assert state.remaining(1e12) is None


def test_remaining_is_the_time_left_and_never_negative() -> None:
    state = JobState(ENDPOINT, deadline=10.0, at=at(0))
    assert [state.remaining(t) for t in (0.0, 2.5, 9.75, 10.0, 10.5, 1e6)] == [
        10.0, 7.5, 0.25, 0.0, 0.0, 0.0
    ]


def test_a_timeout_error_is_not_wrapped_again() -> None:
    own = JobTimeoutError("the upload's own timeout")
    state = JobState(ENDPOINT, uploads=["/a"], deadline=1.0, at=at(0))
    state.start(at(0))
    assert finish_of(state.upload_failed(own, at(5))).error is own and state.error is own

    state = submitted(deadline=1.0)
    state.action(EmitOutput(job=4, data=["f"]), at(0), needs_io=True)
    failure = OSError("disk")
    effects = state.download_failed(failure, at(5))
    assert isinstance(state.error, JobTimeoutError) and state.error.__cause__ is failure
    assert effects == [Notify(), CancelOnServer(job=4), Finish(error=state.error)]


# ------------------------------------------------------------------ misuse is named


@pytest.mark.parametrize(
    ("make", "call", "named"),
    [
        (lambda: JobState(ENDPOINT, at=at(0)), lambda s: s.bind(1), r"^job: bind is not allowed in phase NEW$"),
        (submitted, lambda s: s.start(at(0)), r"^job: start is not allowed in phase SUBMITTED$"),
        (lambda: JobState(ENDPOINT, uploads=["/a"], at=at(0)), lambda s: (s.start(at(0)), s.action(
            EmitStatus(job=1, update=StatusUpdate(Status.IN_QUEUE)), at(0))),
         r"^job: action is not allowed in phase UPLOADING$"),
        (lambda: JobState(ENDPOINT, uploads=["/a"], at=at(0)), lambda s: (s.start(at(0)), s.upload_done(
            "/other", "r", at(0))), r"'/other' is not the upload in flight"),
        (submitted, lambda s: s.download_done([1], at(0)), r"no download is in flight"),
        (submitted, lambda s: s.download_failed(OSError("x"), at(0)), r"no download is in flight"),
    ],
)
def test_a_misuse_names_the_input_and_the_phase(make: Any, call: Any, named: str) -> None:
    with pytest.raises(LocalProtocolError, match=named):
        call(make())


# ------------------------------------------------------------------ the machine's actions


def test_an_action_needs_no_download_unless_told() -> None:
    state = submitted()
    assert state.action(EmitOutput(job=4, data=["o1"]), at(1)) == [Notify()]
    assert state.outputs == ["o1"] and state.downloading is False
    effects = state.action(JobSucceeded(job=4, data=["v"]), at(2))
    assert effects == [Notify(), Finish(value="v")] and state.value == "v"


def test_transport_actions_are_not_the_jobs() -> None:
    state = submitted()
    assert state.action(Notice(message="hi"), at(1)) == []
    assert state.events == [] and state.phase is JobPhase.SUBMITTED


def test_statuses_are_shown_in_order_with_their_time_and_terminal_ones_only_at_the_end() -> None:
    state = submitted()
    queued = StatusUpdate(Status.IN_QUEUE, rank=2, queue_size=5, eta=3.0)
    assert state.action(EmitStatus(job=4, update=queued), at(1)) == [Notify()]
    assert state.status == StatusUpdate(Status.IN_QUEUE, rank=2, queue_size=5, eta=3.0, time="wall@1")
    assert state.updates == [state.status] and state.events == [state.status]
    done = StatusUpdate(Status.FINISHED, success=True, eta=9.0, queue_size=5)
    assert state.action(EmitStatus(job=4, update=done), at(2)) == []  # held for the end
    assert state.status.code is Status.IN_QUEUE and len(state.updates) == 1
    effects = state.action(JobSucceeded(job=4, data=["v"]), at(3))
    assert effects == [Notify(), Finish(value="v")]
    # the machine's own terminal status is the one shown (its fields kept), stamped now
    assert state.status == StatusUpdate(Status.FINISHED, rank=0, queue_size=5, eta=9.0,
                                        success=True, time="wall@3")
    assert state.events == [state.updates[0], OutputUpdate(outputs="v", final=True, time="wall@3"),
                            state.status]


@pytest.mark.parametrize("held_success", [True, False])
def test_a_terminal_status_that_does_not_match_the_end_is_replaced(held_success: bool) -> None:
    state = submitted()
    held = StatusUpdate(Status.FINISHED, success=held_success, eta=9.0)
    state.action(EmitStatus(job=4, update=held), at(1))
    effects = state.close("the client was closed", at(2))
    assert effects == [Notify(), Finish(cancelled="the client was closed")]
    assert state.status == StatusUpdate(Status.CANCELLED, rank=0, success=False, time="wall@2")

    state = submitted()
    state.action(EmitStatus(job=4, update=StatusUpdate(Status.FINISHED, success=True, eta=9.0)), at(1))
    state.action(JobSucceeded(job=4, data=["f"]), at(1), needs_io=True)
    state.download_failed(OSError("disk"), at(2))
    assert state.status == StatusUpdate(Status.FINISHED, rank=0, success=False, time="wall@2")


def test_a_success_without_outputs_shows_its_value_as_the_only_output() -> None:
    state = submitted()
    state.action(JobSucceeded(job=4, data=["v"]), at(1))
    assert state.outputs == ["v"] and state.value == "v"

    state = submitted()
    state.action(EmitOutput(job=4, data=["o1"]), at(1))
    state.action(EmitOutput(job=4, data=["o2"]), at(1))
    state.action(JobSucceeded(job=4, data=["v"]), at(2))
    assert state.outputs == ["o1", "o2"] and state.value == "v"
    assert [e.outputs for e in state.events if isinstance(e, OutputUpdate)] == ["o1", "o2", "v"]


def test_the_downloaded_data_is_what_the_job_shows() -> None:
    state = submitted()
    assert state.action(EmitOutput(job=4, data=["remote"]), at(1), needs_io=True) == [
        Download(data=["remote"])
    ]
    assert state.downloading
    assert state.download_done(["local"], at(2)) == [Notify()]
    assert state.outputs == ["local"] and state.downloading is False
    state.action(EmitOutput(job=4, data=["remote2"]), at(3), needs_io=True)
    assert state.downloading is True
    state.close("closed", at(4))
    assert state.downloading is False


def test_an_output_that_does_not_fit_the_endpoint_fails_the_job_and_cancels_it() -> None:
    state = submitted()
    effects = state.action(EmitOutput(job=4, data=["a", "b"]), at(1))
    assert isinstance(state.error, RemoteProtocolError)
    assert effects == [Notify(), CancelOnServer(job=4), Finish(error=state.error)]


# ------------------------------------------------------------------ who tells the server


def test_only_a_failure_of_ours_after_the_bind_tells_the_server_to_cancel() -> None:
    bug = RuntimeError("bug")
    state = submitted()
    assert state.fail(bug, at(1)) == [Notify(), CancelOnServer(job=4), Finish(error=bug)]

    state = submitted(job_id=None)  # not bound yet: no job to name
    assert state.fail(bug, at(1)) == [Notify(), Finish(error=bug)]

    app = AppError("the app raised")
    state = submitted()
    assert state.action(JobFailed(job=4, error=app), at(1)) == [Notify(), Finish(error=app)]
    assert state.status == StatusUpdate(Status.FINISHED, rank=0, success=False, time="wall@1")

    state = submitted()
    assert state.close("the client was closed", at(1)) == [
        Notify(), Finish(cancelled="the client was closed")
    ]

    refused = AppError("refused")
    state = JobState(ENDPOINT, at=at(0))
    state.start(at(0))
    assert state.submit_failed(refused, at(1)) == [Notify(), Finish(error=refused)]
    assert state.error is refused


# ------------------------------------------------------------------ cancels


def test_a_cancel_before_the_queue_ends_the_job_at_once() -> None:
    state = JobState(ENDPOINT, at=at(0))
    assert state.cancel("cancelled by the caller", at(1)) == [
        Notify(), Finish(cancelled="cancelled by the caller")
    ]
    assert state.cancel_reason == "cancelled by the caller" and state.cancel_requested
    assert state.status == StatusUpdate(Status.CANCELLED, rank=0, success=False, time="wall@1")


def test_a_cancel_in_the_queue_waits_for_the_machine() -> None:
    state = submitted()
    assert state.cancel("cancelled by the caller", at(1)) == [CancelOnServer(job=4)]
    assert not state.ended and state.cancel_requested and state.cancel_reason is None
    effects = state.action(JobCancelled(job=4, reason="cancelled"), at(2))
    assert effects == [Notify(), Finish(cancelled="cancelled")] and state.cancel_reason == "cancelled"


def test_close_aborts_only_an_upload_in_flight() -> None:
    state = JobState(ENDPOINT, uploads=["/a"], at=at(0))
    state.start(at(0))
    assert state.close("closed", at(1)) == [AbortUpload(), Notify(), Finish(cancelled="closed")]
    state = JobState(ENDPOINT, uploads=["/a"], deadline=1.0, at=at(0))
    state.start(at(0))
    effects = state.expire(at(2))
    assert effects == [AbortUpload(), Notify(), Finish(error=state.error)]
    state = JobState(ENDPOINT, at=at(0))
    assert state.close("closed", at(1)) == [Notify(), Finish(cancelled="closed")]


# ------------------------------------------------------------------ after the run (survivors)


def test_every_timeout_of_the_job_says_so() -> None:
    """The deadline's error carries its message on every road to it."""
    state = JobState(ENDPOINT, deadline=1.0, at=at(0))
    state.start(at(2))
    timeouts = [state.error]
    state = submitted(deadline=1.0)
    state.expire(at(2))
    timeouts.append(state.error)
    state = submitted(deadline=1.0)
    state.action(EmitOutput(job=4, data=["f"]), at(0), needs_io=True)
    state.download_done(["local"], at(2))
    timeouts.append(state.error)
    state = JobState(ENDPOINT, uploads=["/a"], deadline=1.0, at=at(0))
    state.start(at(0))
    state.upload_failed(OSError("read timed out"), at(2))
    timeouts.append(state.error)
    assert all(isinstance(e, JobTimeoutError) and str(e) == TIMEOUT_MESSAGE for e in timeouts)


def test_every_step_held_behind_a_download_has_its_effects() -> None:
    state = submitted()
    state.action(EmitOutput(job=4, data=["f"]), at(1), needs_io=True)
    state.action(EmitStatus(job=4, update=StatusUpdate(Status.PROGRESS)), at(1))
    app = AppError("the app raised")
    state.action(JobFailed(job=4, error=app), at(1))
    effects = state.download_done(["local"], at(2))
    assert effects == [Notify(), Notify(), Notify(), Finish(error=app)]
    assert [type(e).__name__ for e in state.events] == ["OutputUpdate", "StatusUpdate", "StatusUpdate"]


def test_an_output_is_stamped_with_the_time_it_was_shown() -> None:
    state = submitted()
    state.action(EmitOutput(job=4, data=["o1"]), at(1))
    state.action(EmitOutput(job=4, data=["f"]), at(2), needs_io=True)
    state.download_done(["o2"], at(3))
    assert state.events == [OutputUpdate(outputs="o1", time="wall@1"),
                            OutputUpdate(outputs="o2", time="wall@3")]


@pytest.mark.parametrize("end", ["fail", "close", "machine_fails", "machine_cancels", "expire"])
def test_a_job_that_did_not_succeed_has_no_value_and_no_final_output(end: str) -> None:
    state = submitted(deadline=1.0)
    if end == "fail":
        state.fail(RuntimeError("bug"), at(0))
    elif end == "close":
        state.close("closed", at(0))
    elif end == "machine_fails":
        state.action(JobFailed(job=4, error=AppError("x")), at(0))
    elif end == "machine_cancels":
        state.action(JobCancelled(job=4, reason="cancelled"), at(0))
    else:
        state.expire(at(2))
    assert state.ended and state.value is None and state.outputs == []
    assert state.events == [state.status] and state.status.code in (Status.FINISHED, Status.CANCELLED)
