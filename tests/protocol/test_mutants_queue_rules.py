"""Tests written for mutants of protocol/queue/{failures,streams,core,state,wire}.py that
survived the queue machine's own tests.

docs/mutation.md lists every surviving mutant: the ones these tests kill, and why the rest
cannot be killed.  Every test here is pure: it calls the helpers of ``failures.py`` or drives
``QueueMachine`` by method calls.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gradio_client.protocol.actions import (
    CloseStream,
    JobFailed,
    JobSucceeded,
    OpenStream,
)
from gradio_client.protocol.errors import (
    AppError,
    AuthenticationError,
    ConnectionLostError,
    GradioClientError,
    HTTPStatusError,
    JobTimeoutError,
    MalformedMessageError,
    QueueFullError,
    RemoteProtocolError,
    ReplicaMismatchError,
    ServerStoppedError,
    SessionNotFoundError,
    StalledStreamError,
    StreamCutError,
    TooManyRequestsError,
    UploadNotFoundError,
    ValidationError,
)
from gradio_client.protocol.messages import Output, ServerStopped, UnexpectedError
from gradio_client.protocol.queue.failures import (
    HIDDEN_ERROR,
    app_error,
    http_error,
    join_error,
    json_field,
    lost_error,
    preview,
    retry_after,
    server_ended,
    session_error,
)
from gradio_client.protocol.queue.state import _Job

from .machine_helpers import Harness, completed, only

# ------------------------------------------------------------------ failures.py: helpers


@pytest.mark.parametrize(
    ("error", "ended"),
    [
        (JobTimeoutError("t"), False),  # ours: the server still runs it
        (RemoteProtocolError("p"), False),
        (MalformedMessageError("m"), False),
        (StalledStreamError("s"), False),
        (AppError("a"), True),
        (ConnectionLostError("c"), True),
        (SessionNotFoundError("n"), True),
        (QueueFullError("q"), True),
        (HTTPStatusError("h", 500), True),
    ],
)
def test_server_ended_says_whether_a_server_cancel_is_needed(error: GradioClientError, ended: bool) -> None:
    assert server_ended(error) is ended


@pytest.mark.parametrize(
    "text",
    [
        "Cannot move /tmp/gradio/f.txt to the gradio cache dir because it was not uploaded by a user.",
        "File /tmp/gradio/f.txt is not in the upload folder and cannot be accessed.",
    ],
)
def test_a_missing_upload_names_the_servers_message(text: str) -> None:
    error = app_error(Output(error=text), "title")
    assert isinstance(error, UploadNotFoundError) and text in str(error)


def test_an_app_error_carries_the_outputs_fields() -> None:
    error = app_error(Output(error="boom", duration=2.5, visible=False, title="Own"), "Message")
    assert type(error) is AppError and str(error) == "boom" and error.message == "boom"
    assert (error.duration, error.visible, error.title) == (2.5, False, "Own")
    shown = app_error(Output(error="boom", duration=None, visible=True), None)
    assert (shown.duration, shown.visible) == (None, True)


@pytest.mark.parametrize(
    ("own", "message", "title"),
    [("Own", None, "Own"), ("Own", "Msg", "Own"), (None, "Msg", "Msg"), (None, None, AppError().title)],
)
def test_an_app_errors_title_is_the_outputs_then_the_messages_then_the_default(
    own: str | None, message: str | None, title: str
) -> None:
    assert app_error(Output(error="x", title=own), message).title == title


def test_a_failure_without_an_error_field_is_hidden_with_the_default_duration() -> None:
    """No ``error`` at all (a failed completion ``{}``): the official client's defaults."""
    error = app_error(Output(duration=3.0), None)
    assert str(error) == HIDDEN_ERROR and error.duration == AppError().duration
    assert str(app_error(Output(error=None), None)) == HIDDEN_ERROR


def test_a_lost_session_names_the_servers_text_or_says_not_found() -> None:
    error = session_error(UnexpectedError(session_not_found=True, message="404: gone"))
    assert type(error) is SessionNotFoundError and "404: gone" in str(error)
    error = session_error(UnexpectedError(session_not_found=True))
    assert type(error) is SessionNotFoundError and "session not found" in str(error).lower()


@pytest.mark.parametrize(
    ("message", "kind", "text"),
    [
        (ServerStopped(), ServerStoppedError, "server stopped"),
        (UnexpectedError(message="Server Stopped Unexpectedly"), ServerStoppedError, "Server Stopped Unexpectedly"),
        (UnexpectedError(message="it STOPPED", event_id="E1"), ServerStoppedError, "it STOPPED"),
        (UnexpectedError(message="boom", event_id="E1"), AppError, "boom"),
        (UnexpectedError(event_id="E1"), AppError, HIDDEN_ERROR),
        (UnexpectedError(message="boom"), ConnectionLostError, "boom"),
    ],
)
def test_session_errors_by_kind(message: Any, kind: type, text: str) -> None:
    error = session_error(message)
    assert type(error) is kind and text in str(error)


def _job(event_id: str | None = "E7") -> _Job:
    job = _Job(3, 0, [], {}, "S")
    job.event_id = event_id
    return job


@pytest.mark.parametrize("error", [SessionNotFoundError("gone"), StalledStreamError("stalled")])
def test_a_lost_job_never_named_is_a_replica_mismatch(error: GradioClientError) -> None:
    job = _job()
    for cut in (False, True):
        lost = lost_error(error, job, cut, {job.id: job})
        assert type(lost) is ReplicaMismatchError and lost.event_id == "E7"
        assert "E7" in str(lost) and str(error) in str(lost)


def test_a_named_job_whose_stream_was_cut_is_a_stream_cut() -> None:
    job, error = _job(), SessionNotFoundError("gone")
    lost = lost_error(error, job, True, {})
    assert type(lost) is StreamCutError and "gone" in str(lost)
    assert lost_error(error, job, False, {}) is error
    stalled = StalledStreamError("stalled")
    assert lost_error(stalled, job, True, {}) is stalled
    other = ConnectionLostError("reset")
    assert lost_error(other, job, True, {job.id: job}) is other


@pytest.mark.parametrize(
    ("body", "value"),
    [(b'{"detail": "x", "other": 1}', "x"), (b'{"other": 1}', None), (b'["detail"]', None), (b"<html>", None),
     (b"[" * 100_000, None)],
)
def test_json_field(body: bytes, value: Any) -> None:
    assert json_field(body, "detail") == value


@settings(deadline=None)  # a loaded machine must not fail it
@given(st.text(max_size=300), st.integers(min_value=1, max_value=250))
def test_preview_is_the_stripped_text_cut_at_the_limit(text: str, limit: int) -> None:
    shown = preview(text.encode(), limit)
    stripped = text.strip()
    expected = stripped if len(stripped) <= limit else stripped[:limit] + "..."
    assert shown == repr(expected)


def test_preview_defaults_to_200_characters() -> None:
    assert preview(b"a" * 200) == repr("a" * 200)
    assert preview(b"a" * 201) == repr("a" * 200 + "...")
    assert preview(b"\xff ok") == repr("\ufffd ok")


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": " 2.5 "}, 2.5),
        ({"retry-after": "0"}, 0.0),
        ({"RETRY-AFTER": "0.5"}, 0.5),
        ({"Retry-After": "-3"}, 0.0),
        ({"Content-Type": "text/plain", "Retry-After": "7"}, 7.0),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),
        ({"Content-Type": "3"}, None),
        ({}, None),
    ],
)
def test_retry_after_reads_seconds_case_insensitively(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after(headers) == seconds


def test_a_full_queue_says_the_servers_detail_or_that_it_is_full() -> None:
    error = join_error(503, b'{"detail": "busy now"}', {})
    assert type(error) is QueueFullError and str(error) == "busy now"
    error = join_error(503, b"", {})
    assert type(error) is QueueFullError and "queue is full" in str(error).lower()


def test_a_validation_error_lists_each_invalid_parameter() -> None:
    detail = [
        {"parameter_name": "x", "message": "too big", "is_valid": False},
        {"parameter_name": "y", "message": "fine", "is_valid": True},
        {"loc": ["body", "data", 0], "msg": "field required"},
        {},
        "not a dict",
    ]
    error = join_error(422, json.dumps({"detail": detail}).encode(), {})
    assert type(error) is ValidationError
    assert error.errors == [d for d in detail if isinstance(d, dict)]
    lines = str(error).splitlines()
    assert "3 parameter" in lines[0]
    assert lines[1:] == ["- x: too big", "- body.data.0: field required", "- ?: invalid"]


def test_a_422_without_a_list_is_a_plain_http_error() -> None:
    error = join_error(422, b'{"detail": "bad"}', {})
    assert type(error) is HTTPStatusError and error.status_code == 422 and "bad" in str(error)


def test_only_a_422_lists_validation_problems() -> None:
    error = join_error(500, b'{"detail": [{"parameter_name": "x", "is_valid": false}]}', {})
    assert type(error) is HTTPStatusError and error.status_code == 500


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_request_is_an_authentication_error_naming_it(status: int) -> None:
    error = join_error(status, b"", {}, what="thing")
    assert type(error) is AuthenticationError and f"HTTP {status}" in str(error) and "thing" in str(error)
    assert re.search(r"\bqueue/join\b", str(join_error(status, b"", {})))


def test_rate_limiting_carries_the_retry_after() -> None:
    error = join_error(429, b"", {"Retry-After": "5"})
    assert type(error) is TooManyRequestsError and error.retry_after == 5.0 and "5 s" in str(error)
    error = join_error(429, b"", {})
    assert type(error) is TooManyRequestsError and error.retry_after is None and "429" in str(error)


@pytest.mark.parametrize(
    ("body", "shown"),
    [(b'{"detail": "Not Found"}', "Not Found"), (b"plain failure", "'plain failure'"),
     (b'{"detail": 5}', """'{"detail": 5}'""")],
)
def test_an_http_error_shows_the_detail_or_a_preview(body: bytes, shown: str) -> None:
    error = http_error("queue/data", 404, body)
    assert type(error) is HTTPStatusError and error.status_code == 404 and error.body == body
    assert str(error).startswith("queue/data") and str(error).endswith(f"HTTP 404: {shown}.")
    assert re.search(r"\bqueue/join\b", str(join_error(500, body, {}))) and join_error(500, body, {}).body == body


@pytest.mark.parametrize("body", [b"<html>login</html>", b"\n  <!DOCTYPE html>"])
def test_an_html_answer_gets_a_hint(body: bytes) -> None:
    assert "HTML" in str(http_error("queue/join", 502, body))


# ------------------------------------------------------------------ streams.py: status errors


def joined(h: Harness, event_id: str = "E1", fn: int = 0) -> tuple[int, list[Any]]:
    job, actions = h.submit(fn)
    return job, h.join(actions, event_id)


def session_stream(actions: list[Any]) -> OpenStream:
    return only([a for a in actions if isinstance(a, OpenStream) and "queue/data" in a.path], OpenStream)


def refused_stream(status: int, chunks: list[bytes], ctype: str = "application/json") -> GradioClientError:
    """The error a job gets when its session stream answers ``status`` with ``chunks``
    (no reconnects: the first failure ends the job)."""
    h = Harness(max_reconnects=0)
    job, opened = joined(h)
    sid = h.open([session_stream(opened)], status=status, ctype=ctype)
    for chunk in chunks:
        h.feed(h.machine.receive_stream_data(sid, chunk))
    h.feed(h.machine.receive_stream_eof(sid))
    end = h.terminal(job)
    assert isinstance(end, JobFailed)
    return end.error


def test_a_stream_that_is_not_an_event_stream_shows_its_body() -> None:
    error = refused_stream(200, [b"<html>please lo", b"g in</html>"], ctype="text/html")
    assert type(error) is RemoteProtocolError
    assert "please log in" in str(error) and "text/event-stream" in str(error)


@pytest.mark.parametrize("status", [300, 404, 502])
def test_a_stream_refused_with_a_status_names_the_event_stream_and_the_status(status: int) -> None:
    error = refused_stream(status, [b'{"detail": "no such ', b'thing"}'])
    assert f"HTTP {status}" in str(error) and "no such thing" in str(error)
    assert re.search(r"\bevent stream failed with HTTP", str(error)), str(error)


def test_a_rate_limited_stream_is_rate_limiting() -> None:
    error = refused_stream(429, [b"slow down"])
    assert "429" in str(error) and "rate limiting" in str(error)


# ------------------------------------------------------------------ streams.py: event acknowledgement


def acked_harness(timeout: float = 10.0, now: float = 0.5) -> tuple[Harness, int, int]:
    h = Harness(event_ack_timeout=timeout)
    h.now = now
    job, opened = joined(h)
    sid = h.open([session_stream(opened)])
    return h, job, sid


def replica_failures(h: Harness) -> list[JobFailed]:
    return [a for a in h.of(JobFailed) if isinstance(a.error, ReplicaMismatchError)]


def test_an_unnamed_job_fails_exactly_at_its_ack_deadline() -> None:
    h, job, _ = acked_harness()
    h.feed(h.machine.tick(0.5))  # armed: 10.5
    h.feed(h.machine.tick(1.0))
    h.feed(h.machine.tick(10.25))
    assert not h.of(JobFailed)
    h.feed(h.machine.tick(10.5))
    end = h.terminal(job)
    assert isinstance(end, JobFailed) and end.job == job
    error = end.error
    assert type(error) is ReplicaMismatchError and error.event_id == "E1"
    assert "E1" in str(error) and "10 s" in str(error)
    assert h.statuses(job)[-1] == "FINISHED"


def test_an_ack_timeout_of_zero_fails_at_the_next_tick() -> None:
    h, job, _ = acked_harness(timeout=0.0)
    h.feed(h.machine.tick(0.5))
    assert not h.of(JobFailed)
    h.feed(h.machine.tick(0.5))
    assert isinstance(h.terminal(job), JobFailed) and replica_failures(h)


def test_the_ack_clock_waits_while_the_stream_is_reopened() -> None:
    h, _, sid = acked_harness()
    h.feed(h.machine.tick(0.5))
    reopen = h.feed(h.machine.receive_stream_eof(sid))  # not answered yet
    h.feed(h.machine.tick(20.0))
    h.feed(h.machine.tick(40.0))
    assert not h.of(JobFailed)
    h.open([session_stream(reopen)])
    h.feed(h.machine.tick(49.75))
    assert not h.of(JobFailed)
    h.feed(h.machine.tick(50.0))
    assert replica_failures(h)


def test_the_ack_clock_waits_while_the_stream_answers_an_error() -> None:
    h = Harness(event_ack_timeout=10.0)
    _, opened = joined(h)
    sid = h.open([session_stream(opened)], status=502, ctype="text/plain")
    h.feed(h.machine.receive_stream_data(sid, b"bad gateway"))
    h.feed(h.machine.tick(0.0))
    h.feed(h.machine.tick(30.0))
    assert not h.of(JobFailed)


# ------------------------------------------------------------------ core.py: the heartbeat


@pytest.mark.parametrize("protocol", ["ws", "sse"])
def test_no_heartbeat_for_a_family_without_a_session_stream(protocol: str) -> None:
    h = Harness(protocol, heartbeat=True)
    assert h.machine.start() == []
    assert not [a for a in h.machine.reset_session("T") if isinstance(a, OpenStream)]


# ------------------------------------------------------------------ streams.py: the heartbeat


@settings(deadline=None)
@given(st.lists(st.sampled_from(["data", "silent", "503"]), min_size=1, max_size=10),
       st.sampled_from([4.0, 60.0]))
@example(["silent", "silent", "data", "silent", "silent"], 60.0)
def test_the_heartbeat_reopens_backing_off_on_failures_in_a_row(ends: list[str], cap: float) -> None:
    """A heartbeat that delivered anything reopens after 1 s; each fruitless end in a row
    doubles the wait (1, 2, 4, ... s), up to ``heartbeat_max_delay``."""
    h = Harness(heartbeat=True, heartbeat_max_delay=cap)
    sid = only(h.feed(h.machine.start()), OpenStream).stream_id
    failures = 0
    for end in ends:
        if end == "503":
            h.feed(h.machine.stream_opened(sid, 503, "text/plain"))
        else:
            h.feed(h.machine.stream_opened(sid, 200, "text/plain"))
        if end == "data":
            h.feed(h.machine.receive_stream_data(sid, b"ALIVE"))
        failures = 0 if end == "data" else failures + 1
        reopen = only(h.feed(h.machine.receive_stream_eof(sid)), OpenStream)
        assert reopen.path == "/gradio_api/heartbeat/S"
        assert reopen.delay == min(cap, 2.0 ** max(0, failures - 1))
        sid = reopen.stream_id
    assert not h.notices()


def test_a_refused_heartbeat_is_a_notice_naming_the_refusal() -> None:
    h = Harness(heartbeat=True)
    hb = only(h.feed(h.machine.start()), OpenStream)
    h.open([hb], status=401, ctype="application/json")
    assert [a for a in h.feed(h.machine.receive_stream_eof(hb.stream_id)) if isinstance(a, OpenStream)] == []
    (notice,) = h.notices()
    assert "401" in notice and "heartbeat" in notice


# ------------------------------------------------------------------ streams.py: stream ends


def test_a_per_job_stream_that_breaks_fails_its_job_with_that_error() -> None:
    h = Harness("sse")
    job, actions = h.submit()
    sid = h.open(actions)
    error = ConnectionLostError("reset by peer")
    h.feed(h.machine.receive_stream_error(sid, error))
    end = h.terminal(job)
    assert isinstance(end, JobFailed) and end.error is error
    assert not [a for a in h.log if isinstance(a, OpenStream) and a.stream_id != sid]


def test_a_session_stream_refused_for_good_fails_every_waiting_job_at_once() -> None:
    h = Harness(max_reconnects=5)
    first, opened = joined(h, "E1")
    second, _ = joined(h, "E2")
    sid = h.open([session_stream(opened)], status=404, ctype="application/json")
    h.feed(h.machine.receive_stream_data(sid, b'{"detail": "Not Found"}'))
    after = h.feed(h.machine.receive_stream_eof(sid))
    for job in (first, second):
        error = h.terminal(job).error
        assert type(error) is HTTPStatusError and error.status_code == 404 and "Not Found" in str(error)
    assert not [a for a in after if isinstance(a, OpenStream)]


def test_a_stream_that_ends_with_no_job_waiting_is_not_reopened() -> None:
    h = Harness()
    _, opened = joined(h)
    sid = h.open([session_stream(opened)])
    h.data(sid, completed("E1", [1]))
    assert not [a for a in h.feed(h.machine.receive_stream_eof(sid)) if isinstance(a, OpenStream)]


@pytest.mark.parametrize("limit", [1, 3])
def test_the_stalled_error_names_the_reconnect_budget(limit: int) -> None:
    h = Harness(max_reconnects=limit)
    job, opened = joined(h)
    sid = h.open([session_stream(opened)])
    for _ in range(limit):
        sid = h.open([only(h.feed(h.machine.receive_stream_eof(sid)), OpenStream)])
    assert not [a for a in h.feed(h.machine.receive_stream_eof(sid)) if isinstance(a, OpenStream)]
    error = h.terminal(job).error
    assert type(error) is StalledStreamError and f"{limit} reconnects" in str(error)


def test_a_broken_stream_error_names_the_budget_and_the_last_error() -> None:
    h = Harness(max_reconnects=1)
    job, opened = joined(h)
    sid = h.open([session_stream(opened)])
    sid = h.open([only(h.feed(h.machine.receive_stream_error(sid, ConnectionLostError("first"))), OpenStream)])
    h.feed(h.machine.receive_stream_error(sid, ConnectionLostError("idle timeout")))
    error = h.terminal(job).error
    assert type(error) is ConnectionLostError
    assert "1 reconnects" in str(error) and "idle timeout" in str(error)


def test_one_spent_job_fails_and_the_others_keep_the_stream() -> None:
    h = Harness(max_reconnects=1)
    first, opened = joined(h, "E1")
    sid = h.open([session_stream(opened)])
    sid = h.open([only(h.feed(h.machine.receive_stream_eof(sid)), OpenStream)])
    second, _ = joined(h, "E2")  # joins with a fresh budget
    reopen = only(h.feed(h.machine.receive_stream_eof(sid)), OpenStream)
    assert isinstance(h.terminal(first), JobFailed)
    assert h.machine.pending_jobs() == [second]
    assert reopen.delay == h.machine._backoff(1)  # the smallest stall count of those left


@pytest.mark.parametrize(
    ("said", "end", "quick"),
    [
        ([], "eof", False),  # nothing said, no close_stream: back off
        ([], "error", False),
        (["close"], "eof", True),  # the server closed it: one quick retry
        (["estimation"], "eof", True),  # it said something about a live job
        (["estimation"], "error", True),
        (["other"], "eof", False),  # news of another event is not news of ours
        (["output"], "eof", True),  # progress
        (["output"], "error", True),
    ],
)
def test_when_a_stream_is_reopened_at_once(said: list[str], end: str, quick: bool) -> None:
    h = Harness("sse_v1")
    _, opened = joined(h)
    sid = h.open([session_stream(opened)])
    messages = {
        "close": {"msg": "close_stream", "event_id": None},
        "estimation": {"msg": "estimation", "event_id": "E1", "rank": 0, "queue_size": 1},
        "other": {"msg": "estimation", "event_id": "E0", "rank": 0, "queue_size": 1},
        "output": {"msg": "process_generating", "event_id": "E1", "output": {"data": [1]}, "success": True},
    }
    h.data(sid, *(messages[m] for m in said))
    ended = h.machine.receive_stream_eof(sid) if end == "eof" else h.machine.receive_stream_error(
        sid, ConnectionLostError("x"))
    reopen = only(h.feed(ended), OpenStream)
    assert reopen.delay == (0.0 if quick else h.machine.config.reconnect_base_delay)
    # the second end without progress backs off whatever the stream said
    sid = h.open([reopen])
    h.data(sid, *(messages[m] for m in said if m != "output"))
    assert only(h.feed(h.machine.receive_stream_eof(sid)), OpenStream).delay == 2 * h.machine.config.reconnect_base_delay


def test_a_lost_session_after_a_stream_broke_mid_job_is_a_stream_cut() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open([session_stream(opened)])
    h.data(sid, {"msg": "estimation", "event_id": "E1", "rank": 0, "queue_size": 1})
    sid = h.open([only(h.feed(h.machine.receive_stream_error(sid, ConnectionLostError("cut"))), OpenStream)])
    h.data(sid, {"msg": "unexpected_error", "session_not_found": True, "message": "gone"})
    assert type(h.terminal(job).error) is StreamCutError


def test_a_stream_cut_mid_job_is_forgotten_after_a_clean_end() -> None:
    """A clean end (after ``close_stream``) clears the cut mark of an earlier break."""
    h = Harness()
    job, opened = joined(h)
    sid = h.open([session_stream(opened)])
    h.data(sid, {"msg": "estimation", "event_id": "E1", "rank": 0, "queue_size": 1})
    sid = h.open([only(h.feed(h.machine.receive_stream_error(sid, ConnectionLostError("cut"))), OpenStream)])
    h.data(sid, {"msg": "close_stream", "event_id": None})
    sid = h.open([only(h.feed(h.machine.receive_stream_eof(sid)), OpenStream)])
    h.data(sid, {"msg": "unexpected_error", "session_not_found": True, "message": "gone"})
    assert type(h.terminal(job).error) is SessionNotFoundError


# ------------------------------------------------------------------ streams.py: a message cut off


def generator_after_a_cut(protocol: str, cut: bytes | None, how: str = "error") -> list[list[Any]]:
    """A generator's first output, a stream that breaks with ``cut`` pending, then a diff
    and the completion on the new stream; the outputs the caller saw."""
    h = Harness(protocol)
    job, opened = joined(h)
    sid = h.open([session_stream(opened)])
    h.data(sid, {"msg": "process_generating", "event_id": "E1", "output": {"data": ["a"]}, "success": True})
    if cut is not None:
        h.feed(h.machine.receive_stream_data(sid, cut))
    ended = h.machine.receive_stream_error(sid, ConnectionLostError("x")) if how == "error" else (
        h.machine.receive_stream_eof(sid))
    sid = h.open([only(h.feed(ended), OpenStream)])
    diff = [[["replace", [], "c"]]] if protocol == "sse_v3" else ["c"]
    h.data(sid, {"msg": "process_generating", "event_id": "E1", "output": {"data": diff}, "success": True},
           completed("E1", ["c"]))
    assert h.terminal(job) == JobSucceeded(job=job, data=["c"])
    return h.outputs(job)


@pytest.mark.parametrize("how", ["error", "eof"])
@pytest.mark.parametrize(
    ("cut", "desync"),
    [
        (None, False),  # the stream broke between messages
        (b'data: {"msg": "estimation", "event_id": "E1", "ra', False),
        (b'data: { "msg" : "process_starts", "event_id": "E1"}\n', False),
        (b'data: {"msg": "process_generating", "event_id": "E1", "output": {"da', True),
        (b'data: {"event_id": "E1", "msg": "estimation"', True),  # tag not first: may be an output
        (b"data: [", True),
        (b"data", True),
    ],
)
def test_a_cut_off_output_stops_the_diffs_until_the_completion(cut: bytes | None, desync: bool, how: str) -> None:
    outputs = generator_after_a_cut("sse_v3", cut, how)
    assert outputs == ([["a"]] if desync else [["a"], ["c"]])


def test_without_diffs_a_cut_off_message_loses_nothing_later() -> None:
    cut = b'data: {"msg": "process_generating", "event_id": "E1", "output": {"da'
    assert generator_after_a_cut("sse_v1", cut) == [["a"], ["c"]]


def test_an_event_too_large_breaks_the_stream_and_stops_the_diffs() -> None:
    h = Harness("sse_v3", max_event_size=1024)
    job, opened = joined(h)
    sid = h.open([session_stream(opened)])
    h.data(sid, {"msg": "process_generating", "event_id": "E1", "output": {"data": ["a"]}, "success": True})
    after = h.feed(h.machine.receive_stream_data(sid, b"data: " + b"x" * 4096))
    assert CloseStream(stream_id=sid) in after  # the shell still reads it: stop
    sid = h.open([only(after, OpenStream)])
    h.data(sid, {"msg": "process_generating", "event_id": "E1", "output": {"data": [[["replace", [], "c"]]]},
                 "success": True}, completed("E1", ["c"]))
    assert h.outputs(job) == [["a"]]


