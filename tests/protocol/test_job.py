"""``JobState`` (protocol/job.py): the phase table, and properties under any sequence of
machine actions, effect results, cancels, closes and clock readings.

* every (phase, input) pair either is legal or raises ``LocalProtocolError``; after the
  end every input but ``start`` is a no-op;
* every job ends exactly once (one ``Finish``), its terminal status is the last status
  and the last event; nothing comes out after the end;
* outputs come in the order the machine emitted them, downloads or not;
* a cancel (or close) while uploading never submits;
* an upload or download result past the deadline ends the job with ``JobTimeoutError``.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradio_client.protocol.actions import (
    EmitOutput,
    EmitStatus,
    JobCancelled,
    JobFailed,
    JobSucceeded,
)
from gradio_client.protocol.api import Endpoint
from gradio_client.protocol.errors import AppError, JobTimeoutError, LocalProtocolError
from gradio_client.protocol.job import (
    INPUTS,
    LEGAL,
    AbortUpload,
    CancelOnServer,
    Download,
    Effect,
    Finish,
    JobPhase,
    JobState,
    Notify,
    Stamp,
    Submit,
    Upload,
)
from gradio_client.protocol.status import OutputUpdate, Status, StatusUpdate

ENDPOINT = Endpoint(
    fn_index=0, api_name="/predict", visibility="public", inputs=(1,), outputs=(2,),
    input_types=("file",), output_types=("file",), state_inputs=(), skipped_inputs=(),
    skipped_outputs=(False,), file_inputs=(0,), is_generator=True, queue=True, cancels=(),
    connection="sse", backend_fn=True, batch=False,
)
TERMINAL = (Status.FINISHED, Status.CANCELLED)


def at(t: float) -> Stamp:
    return Stamp(t, f"wall@{t}")


# ------------------------------------------------------------------ the phase table


def _in_phase(phase: JobPhase, *, downloading: bool = False) -> JobState:
    state = JobState(ENDPOINT, uploads=["/a"], at=at(0))
    if phase is JobPhase.NEW:
        return state
    state.start(at(0))
    if phase is JobPhase.UPLOADING:
        return state
    state.upload_done("/a", {"path": "srv/a"}, at(0))
    if phase is JobPhase.SUBMITTED:
        state.bind(7)
        if downloading:
            state.action(EmitOutput(job=7, data=[1]), at(0), needs_io=True)
        return state
    state.cancel("cancelled by the caller", at(0))
    state.action(JobCancelled(job=7, reason="cancelled"), at(0))
    return state


def _call(state: JobState, name: str) -> list[Effect]:
    t = at(1)
    calls: dict[str, Any] = {
        "start": lambda: state.start(t),
        "upload_done": lambda: state.upload_done("/a", {"path": "srv/a"}, t),
        "upload_failed": lambda: state.upload_failed(OSError("boom"), t),
        "submit_failed": lambda: state.submit_failed(AppError("refused"), t),
        "bind": lambda: state.bind(7),
        "action": lambda: state.action(EmitStatus(job=7, update=StatusUpdate(Status.IN_QUEUE)), t),
        "download_done": lambda: state.download_done([1], t),
        "download_failed": lambda: state.download_failed(OSError("disk"), t),
        "cancel": lambda: state.cancel("cancelled by the caller", t),
        "close": lambda: state.close("the client was closed", t),
        "expire": lambda: state.expire(t),
        "fail": lambda: state.fail(RuntimeError("bug"), t),
    }
    assert set(calls) == set(INPUTS)
    result: list[Effect] = calls[name]()
    return result


CASES = [(phase, False) for phase in JobPhase] + [(JobPhase.SUBMITTED, True)]


@pytest.mark.parametrize("phase,downloading", CASES)
@pytest.mark.parametrize("name", INPUTS)
def test_every_phase_and_input_moves_legally_or_raises(
    phase: JobPhase, downloading: bool, name: str
) -> None:
    state = _in_phase(phase, downloading=downloading)
    assert state.phase is phase and state.downloading is downloading
    legal = name in LEGAL[phase]
    if phase is JobPhase.SUBMITTED and name.startswith("download_"):
        legal = downloading  # a download result with none in flight is a misuse
    events_before = list(state.events)
    if not legal:
        with pytest.raises(LocalProtocolError):
            _call(state, name)
        assert state.phase is phase and state.events == events_before  # nothing moved
        return
    effects = _call(state, name)
    if phase is JobPhase.ENDED:
        assert effects == [] and state.events == events_before
    if any(isinstance(e, Finish) for e in effects):
        assert state.phase is JobPhase.ENDED


def test_the_table_names_every_input_and_ended_takes_all_but_start() -> None:
    assert set(LEGAL) == set(JobPhase)
    assert all(names <= set(INPUTS) for names in LEGAL.values())
    assert LEGAL[JobPhase.ENDED] == set(INPUTS) - {"start"}


# ------------------------------------------------------------------ examples


def test_uploads_in_order_then_submit_with_every_reference() -> None:
    state = JobState(ENDPOINT, uploads=["/a", "/b"], at=at(0))
    assert state.start(at(0)) == [Upload(path="/a")]
    with pytest.raises(LocalProtocolError):
        state.upload_done("/b", "x", at(0))  # not the one in flight
    assert state.upload_done("/a", "ra", at(0)) == [Upload(path="/b")]
    assert state.upload_done("/b", "rb", at(0)) == [Submit(uploaded={"/a": "ra", "/b": "rb"})]
    assert state.phase is JobPhase.SUBMITTED


def test_a_download_holds_later_statuses_and_the_end_back() -> None:
    state = JobState(ENDPOINT, at=at(0))
    state.start(at(0))
    state.bind(3)
    assert state.action(EmitOutput(job=3, data=["f1"]), at(1), needs_io=True) == [
        Download(data=["f1"])
    ]
    assert state.action(EmitStatus(job=3, update=StatusUpdate(Status.ITERATING)), at(1)) == []
    assert state.action(JobSucceeded(job=3, data=["f2"]), at(1), needs_io=True) == []
    assert state.action(EmitStatus(job=3, update=StatusUpdate(Status.FINISHED, success=True)),
                        at(1)) == []
    assert state.outputs == [] and state.updates == []
    effects = state.download_done(["local1"], at(2))
    assert effects == [Notify(), Notify(), Download(data=["f2"])]
    assert state.outputs == ["local1"] and state.updates[-1].code is Status.ITERATING
    effects = state.download_done(["local2"], at(3))
    assert effects[-1] == Finish(value="local2") and state.value == "local2"
    assert [type(e).__name__ for e in state.events] == [
        "OutputUpdate", "StatusUpdate", "OutputUpdate", "StatusUpdate"
    ]
    final = state.events[-1]
    assert isinstance(final, StatusUpdate) and final.code is Status.FINISHED and final.success
    assert final.time == "wall@3" and final.rank == 0


def test_cancel_while_uploading_ends_now_and_never_submits() -> None:
    state = JobState(ENDPOINT, uploads=["/a"], at=at(0))
    state.start(at(0))
    effects = state.cancel("cancelled by the caller", at(1))
    assert effects[0] == AbortUpload() and effects[-1] == Finish(cancelled="cancelled by the caller")
    assert state.upload_done("/a", "ra", at(2)) == []  # the upload finished anyway: ignored
    assert state.status.code is Status.CANCELLED


def test_cancel_before_bind_is_sent_when_the_machine_names_the_job() -> None:
    state = JobState(ENDPOINT, at=at(0))
    state.start(at(0))
    assert state.cancel("cancelled by the caller", at(0)) == []
    assert state.bind(5) == [CancelOnServer(job=5)]


def test_uploads_and_downloads_past_the_deadline_end_in_a_job_timeout() -> None:
    state = JobState(ENDPOINT, uploads=["/a"], deadline=10.0, at=at(0))
    assert state.remaining(4.0) == 6.0 and state.remaining(11.0) == 0.0
    state.start(at(0))
    effects = state.upload_failed(OSError("read timed out"), at(10.0))
    assert isinstance(state.error, JobTimeoutError) and isinstance(state.error.__cause__, OSError)
    assert isinstance(effects[-1], Finish) and effects[-1].error is state.error

    state = JobState(ENDPOINT, deadline=10.0, at=at(0))
    state.start(at(0))
    state.bind(2)
    state.action(JobSucceeded(job=2, data=["f"]), at(1), needs_io=True)
    effects = state.download_done(["local"], at(10.5))  # saved, but too late
    assert isinstance(state.error, JobTimeoutError) and CancelOnServer(job=2) in effects


def test_expire_before_the_deadline_does_nothing() -> None:
    state = JobState(ENDPOINT, uploads=["/a"], deadline=10.0, at=at(0))
    state.start(at(0))
    assert state.expire(at(5)) == []
    effects = state.expire(at(10))
    assert effects[0] == AbortUpload() and isinstance(state.error, JobTimeoutError)


# ------------------------------------------------------------------ properties

MOVES = st.sampled_from([
    "upload_ok", "upload_err", "bind", "submit_err", "status", "output", "output_io",
    "succeed", "succeed_io", "fail", "machine_cancel", "terminal_status", "download_ok",
    "download_err", "cancel", "close", "expire", "tick", "bug",
])


@settings(max_examples=400, deadline=None)
@given(
    uploads=st.lists(st.sampled_from(["/a", "/b", "/c"]), max_size=3, unique=True),
    deadline=st.none() | st.floats(1, 30),
    moves=st.lists(MOVES, max_size=40),
)
def test_any_sequence_ends_once_in_order(
    uploads: list[str], deadline: float | None, moves: list[str]
) -> None:
    clock = 0.0
    state = JobState(ENDPOINT, uploads=uploads, deadline=deadline, at=at(clock))
    log: list[Effect] = []
    upload: str | None = None
    submit_pending = machine_live = download = False
    cancelled_before_queue = False
    emitted: list[int] = []  # values of the machine's outputs, in order
    counter = 0

    def run(effects: list[Effect], ended_before: bool) -> None:
        nonlocal upload, submit_pending, download
        if ended_before:
            assert effects == []  # nothing after the end
        log.extend(effects)
        for effect in effects:
            if isinstance(effect, Upload):
                upload = effect.path
            elif isinstance(effect, Submit):
                assert not cancelled_before_queue
                assert set(effect.uploaded) == set(uploads)
                submit_pending = True
            elif isinstance(effect, Download):
                assert not download  # one at a time
                download = True
        if state.ended:
            upload, download = None, False

    run(state.start(at(clock)), False)
    for move in moves:
        ended = state.ended
        t = at(clock)
        effects: list[Effect] | None = None
        if move == "tick":
            clock += 2.0
            continue
        if upload is not None and move in ("upload_ok", "upload_err"):
            path, upload = upload, None
            effects = (state.upload_done(path, "srv" + path, t) if move == "upload_ok"
                       else state.upload_failed(OSError("x"), t))
        elif submit_pending and move in ("bind", "submit_err"):
            submit_pending = False
            if move == "bind":
                machine_live = True
                effects = state.bind(1)
            else:
                effects = state.submit_failed(AppError("refused"), t)
        elif machine_live and move in ("status", "output", "output_io", "succeed", "succeed_io",
                                       "fail", "machine_cancel", "terminal_status"):
            counter += 1
            if move == "status":
                action: Any = EmitStatus(job=1, update=StatusUpdate(Status.PROGRESS))
            elif move == "terminal_status":
                action = EmitStatus(job=1, update=StatusUpdate(Status.FINISHED, success=True))
            elif move.startswith("output"):
                action = EmitOutput(job=1, data=[counter])
                emitted.append(counter)
            elif move.startswith("succeed"):
                action, machine_live = JobSucceeded(job=1, data=[counter]), False
            elif move == "fail":
                action, machine_live = JobFailed(job=1, error=AppError("app")), False
            else:
                action, machine_live = JobCancelled(job=1, reason="cancelled"), False
            effects = state.action(action, t, needs_io=move.endswith("_io"))
        elif download and move in ("download_ok", "download_err"):
            download = False
            if move == "download_ok":
                effects = state.download_done(list(state._backlog[0][1]), t)
            else:
                effects = state.download_failed(OSError("disk"), t)
        elif move == "cancel":
            if state.phase in (JobPhase.NEW, JobPhase.UPLOADING):
                cancelled_before_queue = True
            effects = state.cancel("cancelled by the caller", t)
            if CancelOnServer(job=1) in effects:
                machine_live = False  # the machine answers with JobCancelled (modelled apart)
                effects += state.action(JobCancelled(job=1, reason="cancelled"), t)
        elif move == "close":
            if state.phase in (JobPhase.NEW, JobPhase.UPLOADING):
                cancelled_before_queue = True
            effects = state.close("the client was closed", t)
        elif move == "expire":
            effects = state.expire(t)
        elif move == "bug":
            effects = state.fail(RuntimeError("bug"), t)
        if effects is not None:
            run(effects, ended)
    if not state.ended:
        run(state.close("the client was closed", at(clock)), False)

    finishes = [e for e in log if isinstance(e, Finish)]
    assert len(finishes) == 1 and log[-1] is finishes[0]
    terminal = [u for u in state.updates if u.code in TERMINAL]
    assert len(terminal) == 1 and state.updates[-1] is terminal[0] is state.status
    assert state.events[-1] is terminal[0]
    finish = finishes[0]
    assert (finish.cancelled is not None) == (terminal[0].code is Status.CANCELLED)
    assert (finish.error is None and finish.cancelled is None) == bool(terminal[0].success)
    # outputs in the machine's order: a prefix of what it emitted (then the final value)
    shown = [e.outputs for e in state.events if isinstance(e, OutputUpdate) and not e.final]
    assert shown == emitted[: len(shown)]
    if finish.error is None and finish.cancelled is None:
        assert state.events[-2] == OutputUpdate(outputs=finish.value, final=True,
                                                time=state.events[-2].time)
    if isinstance(finish.error, JobTimeoutError):
        assert deadline is not None and clock >= deadline - 0.05
