"""Example tests of the queue machine, from message sequences seen on real servers."""

from __future__ import annotations

import json

import pytest

from gradio_client.protocol.actions import (
    CloseStream,
    JobCancelled,
    JobFailed,
    JobSucceeded,
    OpenStream,
    OpenWebSocket,
    Post,
    SendWebSocket,
)
from gradio_client.protocol.errors import (
    AppError,
    AuthenticationError,
    ConnectionLostError,
    HTTPStatusError,
    JobTimeoutError,
    LocalProtocolError,
    MalformedMessageError,
    MessageTooLargeError,
    QueueFullError,
    RemoteProtocolError,
    ServerStoppedError,
    SessionNotFoundError,
    TooManyRequestsError,
    ValidationError,
)
from gradio_client.protocol.machine import MachineConfig, Phase, QueueMachine
from gradio_client.protocol.status import Status

from .machine_helpers import Harness, completed, frame, only


def joined(h: Harness, event_id: str = "E1", fn: int = 0, data: list | None = None):
    job, actions = h.submit(fn, data)
    opened = h.join(actions, event_id)
    return job, opened


# ------------------------------------------------------------------ sse_v3 happy paths


def test_simple_call_sse_v3() -> None:
    h = Harness()
    job, actions = h.submit(2, [1, 2])
    post = only(actions, Post)
    assert post.path == "/gradio_api/queue/join"
    assert json.loads(post.body) == {"data": [1, 2], "fn_index": 2, "session_hash": "S"}
    opened = h.join(actions, "E1")
    stream = only(opened, OpenStream)
    assert stream.path == "/gradio_api/queue/data?session_hash=S"
    sid = h.open(opened)
    h.data(
        sid,
        {"msg": "estimation", "event_id": "E1", "rank": 0, "queue_size": 1, "rank_eta": None},
        {"msg": "process_starts", "event_id": "E1", "eta": 0.5},
        completed("E1", [3]),
        {"msg": "close_stream", "event_id": None},
    )
    assert h.statuses(job) == ["IN_QUEUE", "PROCESSING", "FINISHED"]
    assert h.terminal(job) == JobSucceeded(job=job, data=[3])
    assert h.machine.phase(job) is Phase.DONE
    # the server ends the stream after close_stream: nothing is waiting, nothing reopens
    assert h.feed(h.machine.receive_stream_eof(sid)) == []


def test_messages_before_join_reply_are_kept() -> None:
    h = Harness()
    a, opened = joined(h, "EA")
    sid = h.open(opened)
    b, b_actions = h.submit()
    h.data(
        sid,
        {"msg": "estimation", "event_id": "EB", "rank": 1, "queue_size": 2},
        {"msg": "process_starts", "event_id": "EB"},
        completed("EB", ["b"]),
    )
    assert h.of(JobSucceeded) == []
    again = h.join(b_actions, "EB")
    assert not any(isinstance(x, OpenStream) for x in again)  # the stream is already open
    assert h.statuses(b) == ["IN_QUEUE", "PROCESSING", "FINISHED"]
    assert h.terminal(b) == JobSucceeded(job=b, data=["b"])
    assert h.machine.phase(a) is Phase.WAITING


def test_unclaimed_message_without_joins_in_flight_is_dropped() -> None:
    h = Harness()
    _, opened = joined(h, "EA")
    sid = h.open(opened)
    h.data(sid, completed("ZZ", [1]))
    assert any("unknown event ZZ" in n for n in h.notices())


def test_generator_diffs_are_applied() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)

    def gen(data):
        return {
            "msg": "process_generating",
            "event_id": "E1",
            "output": {"data": data, "is_generating": True},
            "success": True,
        }

    h.data(sid, gen(["0"]), gen([[["append", [], " 1"]]]), gen([[["append", [], " 2"]]]))
    h.data(sid, completed("E1", ["0 1 2"]))
    assert h.outputs(job) == [["0"], ["0 1"], ["0 1 2"]]
    assert h.statuses(job) == ["ITERATING", "ITERATING", "ITERATING", "FINISHED"]
    assert h.terminal(job) == JobSucceeded(job=job, data=["0 1 2"])


@pytest.mark.parametrize("protocol", ["sse_v1", "sse"])
def test_generators_before_v2_are_full_values(protocol: str) -> None:
    h = Harness(protocol)
    job, actions = h.submit()
    if protocol == "sse_v1":
        sid = h.open(h.join(actions, "E1"))
    else:
        sid = h.open(actions)
        h.data(sid, {"msg": "send_data", "event_id": "E1"})
    for value in (["a"], ["ab"]):
        h.data(sid, {"msg": "process_generating", "event_id": "E1", "output": {"data": value}, "success": True})
    assert h.outputs(job) == [["a"], ["ab"]]


def test_streaming_messages_are_never_diffed() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    for value in (["x"], ["y"]):
        h.data(sid, {"msg": "process_streaming", "event_id": "E1", "output": {"data": value}})
    assert h.outputs(job) == [["x"], ["y"]]


def test_bad_diff_fails_only_that_job() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.data(sid, {"msg": "process_generating", "event_id": "E1", "output": {"data": ["0"]}})
    h.data(sid, {"msg": "process_generating", "event_id": "E1", "output": {"data": [[["explode", [], 1]]]}})
    end = h.terminal(job)
    assert isinstance(end, JobFailed) and isinstance(end.error, RemoteProtocolError)


def test_progress_and_logs_become_statuses() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.data(
        sid,
        {"msg": "progress", "event_id": "E1", "progress_data": [{"index": 0, "length": 3, "unit": "steps", "progress": None, "desc": "working"}]},
        {"msg": "log", "event_id": "E1", "log": "info msg", "level": "info", "duration": 10.0, "visible": True, "title": "Info"},
    )
    progress, log = [a.update for a in h.of(type(h.log[-1]), job)][-2:]
    assert progress.code is Status.PROGRESS
    assert progress.progress_data[0].length == 3 and progress.progress_data[0].desc == "working"
    assert log.code is Status.LOG and log.log == ("info msg", "info")
    assert log.log_details.title == "Info"


# ------------------------------------------------------------------ errors from the app


def test_gr_error_becomes_app_error() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.data(
        sid,
        {
            "msg": "process_completed",
            "event_id": "E1",
            "output": {"error": "Custom failure", "duration": 5, "visible": True, "title": "MyTitle"},
            "success": False,
            "title": "MyTitle",
        },
    )
    end = h.terminal(job)
    assert isinstance(end, JobFailed) and isinstance(end.error, AppError)
    assert (end.error.message, end.error.title, end.error.duration) == ("Custom failure", "MyTitle", 5)
    assert h.statuses(job)[-1] == "FINISHED"


def test_hidden_error_explains_show_error() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.data(sid, {"msg": "process_completed", "event_id": "E1", "output": {"error": None}, "success": False, "title": "Error"})
    end = h.terminal(job)
    assert isinstance(end, JobFailed) and "show_error=True" in str(end.error)


def test_unexpected_error_for_one_event_fails_that_job() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.data(sid, {"msg": "unexpected_error", "event_id": "E1", "message": "boom", "success": False})
    end = h.terminal(job)
    assert isinstance(end, JobFailed) and isinstance(end.error, AppError) and "boom" in str(end.error)


# ------------------------------------------------------------------ join replies


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (503, {"detail": "Queue is full. Max size is 1 and size is 1."}, QueueFullError, "Max size is 1"),
        (
            422,
            {"detail": [{"__type__": "validate", "is_valid": False, "message": "too big", "parameter_name": "x"}]},
            ValidationError,
            "- x: too big",
        ),
        (401, {"detail": {"error": "Not authenticated"}}, AuthenticationError, "auth="),
        (500, "<html>oops</html>", HTTPStatusError, "HTML"),
        (404, {"detail": "Not Found"}, HTTPStatusError, "404"),
    ],
)
def test_join_failures_are_typed(status, body, error, text) -> None:
    h = Harness()
    job, actions = h.submit()
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    h.feed(h.machine.receive_response(only(actions, Post).request_id, status, raw))
    end = h.terminal(job)
    assert isinstance(end, JobFailed) and isinstance(end.error, error)
    assert text in str(end.error)
    assert h.of(Post)[1:] == []  # nothing to cancel: the server never queued it


def test_join_without_event_id_is_a_protocol_error() -> None:
    h = Harness()
    job, actions = h.submit()
    h.feed(h.machine.receive_response(only(actions, Post).request_id, 200, b"<html></html>"))
    end = h.terminal(job)
    assert isinstance(end, JobFailed) and isinstance(end.error, RemoteProtocolError)


def test_rate_limited_join_retries_then_fails() -> None:
    h = Harness(rate_limit_retries=2)
    job, actions = h.submit()
    post = only(actions, Post)
    retry = h.feed(h.machine.receive_response(post.request_id, 429, b"", {"Retry-After": "2"}))
    assert only(retry, Post).delay == 2.0 and only(retry, Post).body == post.body
    retry = h.feed(h.machine.receive_response(only(retry, Post).request_id, 429, b"", {}))
    assert only(retry, Post).delay > 0
    h.feed(h.machine.receive_response(only(retry, Post).request_id, 429, b"", {"retry-after": "7"}))
    end = h.terminal(job)
    assert isinstance(end, JobFailed) and isinstance(end.error, TooManyRequestsError)
    assert end.error.retry_after == 7.0


def test_rate_limit_longer_than_cap_fails_at_once() -> None:
    h = Harness(max_retry_after=5)
    job, actions = h.submit()
    h.feed(h.machine.receive_response(only(actions, Post).request_id, 429, b"", {"Retry-After": "600"}))
    assert isinstance(h.terminal(job), JobFailed)


def test_transport_error_on_join_fails_job() -> None:
    h = Harness()
    job, actions = h.submit()
    err = ConnectionLostError("connection refused")
    h.feed(h.machine.receive_request_error(only(actions, Post).request_id, err))
    assert h.terminal(job) == JobFailed(job=job, error=err)


# ------------------------------------------------------------------ cancel


def test_cancel_running_job_posts_cancel_and_ignores_late_completions() -> None:
    h = Harness()
    job, opened = joined(h, "E1", fn=4)
    sid = h.open(opened)
    h.data(sid, {"msg": "process_starts", "event_id": "E1"})
    actions = h.feed(h.machine.cancel(job, now=1.0))
    cancel = only(actions, Post)
    assert cancel.path == "/gradio_api/cancel"
    assert json.loads(cancel.body) == {"fn_index": 4, "session_hash": "S", "event_id": "E1"}
    assert isinstance(h.terminal(job), JobCancelled)
    assert h.statuses(job)[-1] == "CANCELLED"
    # the server's {} completion, then a duplicate real one: both dropped
    before = len(h.log)
    h.data(sid, {"msg": "process_completed", "event_id": "E1", "output": {}, "success": True}, completed("E1", [1]))
    h.feed(h.machine.receive_response(cancel.request_id, 200, b'{"success": true}'))
    assert h.log[before:] == []
    assert h.feed(h.machine.cancel(job, now=2.0)) == []  # cancelling again does nothing


def test_cancel_while_joining_cancels_on_server_when_named() -> None:
    h = Harness()
    job, actions = h.submit(3)
    h.feed(h.machine.cancel(job, now=0.0))
    assert isinstance(h.terminal(job), JobCancelled)
    after = h.join(actions, "E9")
    cancel = only(after, Post)
    assert json.loads(cancel.body)["event_id"] == "E9"
    assert not any(isinstance(a, OpenStream) for a in after)


def test_empty_completion_we_did_not_ask_for_is_a_server_cancel() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.data(sid, {"msg": "process_completed", "event_id": "E1", "output": {}, "success": True})
    end = h.terminal(job)
    assert isinstance(end, JobCancelled) and "server" in end.reason


def test_cancel_kills_running_siblings_after_grace() -> None:
    h = Harness(cancel_grace=2.0)
    a, opened = joined(h, "EA", fn=7)
    sid = h.open(opened)
    b, b_actions = h.submit(7)
    h.join(b_actions, "EB")
    other, o_actions = h.submit(8)
    h.join(o_actions, "EO")
    h.data(sid, {"msg": "process_starts", "event_id": "EA"}, {"msg": "process_starts", "event_id": "EO"},
           {"msg": "estimation", "event_id": "EB", "rank": 0})
    h.feed(h.machine.cancel(b, now=10.0))
    assert h.machine.next_deadline() == 12.0
    assert h.feed(h.machine.tick(11.9)) == []
    h.feed(h.machine.tick(12.0))
    end = h.terminal(a)
    assert isinstance(end, JobCancelled) and "same endpoint" in end.reason
    assert h.machine.phase(other) is Phase.WAITING  # another function is untouched


def test_sibling_that_completes_in_grace_succeeds() -> None:
    h = Harness(cancel_grace=2.0)
    a, opened = joined(h, "EA", fn=7)
    sid = h.open(opened)
    b, b_actions = h.submit(7)
    h.join(b_actions, "EB")
    h.data(sid, {"msg": "process_starts", "event_id": "EA"})
    h.feed(h.machine.cancel(b, now=0.0))
    h.data(sid, completed("EA", ["done"]))
    h.feed(h.machine.tick(5.0))
    assert h.terminal(a) == JobSucceeded(job=a, data=["done"])


def test_old_server_cancels_through_cancelling_event() -> None:
    h = Harness("sse_v1", cancel_route=False, cancel_fns={2: 5})
    job, opened = joined(h, "E1", fn=2)
    h.open(opened)
    posts = [a for a in h.feed(h.machine.cancel(job, now=0.0)) if isinstance(a, Post)]
    assert [(p.path, json.loads(p.body)) for p in posts] == [
        ("/api/predict/", {"data": [], "fn_index": 5, "session_hash": "S"}),
        ("/reset", {"event_id": "E1"}),  # stops the event's generator on 4.0-4.30
    ]
    assert not any("no cancel route" in n for n in h.notices())


def test_old_server_without_canceller_resets_the_event_and_warns() -> None:
    h = Harness("sse_v1", cancel_route=False)
    job, opened = joined(h, "E1", fn=2)
    h.open(opened)
    cancel = only(h.feed(h.machine.cancel(job, now=0.0)), Post)
    assert (cancel.path, json.loads(cancel.body)) == ("/reset", {"event_id": "E1"})
    assert any("no cancel route" in n for n in h.notices())


def test_old_server_cancel_of_a_joining_job_resets_it_once_named() -> None:
    h = Harness("sse_v1", cancel_route=False)
    job, joins = h.submit()
    assert not [a for a in h.feed(h.machine.cancel(job, now=0.0)) if isinstance(a, Post)]
    reply = h.feed(h.machine.receive_response(only(joins, Post).request_id, 200, b'{"event_id":"E9"}'))
    assert [(p.path, json.loads(p.body)) for p in reply if isinstance(p, Post)] == [
        ("/reset", {"event_id": "E9"})
    ]


# ------------------------------------------------------------------ time


def test_timeout_fails_job_and_cancels_on_server() -> None:
    h = Harness()
    h.now = 100.0
    job, opened = joined(h)
    h.open(opened)
    job2, _ = h.submit(timeout=5.0)
    assert h.machine.next_deadline() == 105.0
    h.feed(h.machine.tick(105.0))
    end = h.terminal(job2)
    assert isinstance(end, JobFailed) and isinstance(end.error, JobTimeoutError)
    assert isinstance(end.error, TimeoutError)
    assert h.machine.phase(job) is Phase.WAITING
    assert h.machine.next_deadline() is None


# ------------------------------------------------------------------ the session stream


def test_stream_end_without_close_reopens_and_recovers() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.data(sid, {"msg": "process_starts", "event_id": "E1"})
    reopen = only(h.feed(h.machine.receive_stream_eof(sid)), OpenStream)
    assert reopen.delay == 0.0  # the stream had been useful: straight back
    sid2 = h.open([reopen])
    h.data(sid2, completed("E1", [5]))
    assert h.terminal(job) == JobSucceeded(job=job, data=[5])


def test_clean_close_with_job_still_waiting_reopens_at_once() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.data(sid, {"msg": "close_stream", "event_id": None})
    reopen = only(h.feed(h.machine.receive_stream_eof(sid)), OpenStream)
    assert reopen.delay == 0.0


def test_fruitless_reconnects_back_off_then_fail() -> None:
    h = Harness(max_reconnects=3)
    job, opened = joined(h)
    sid = h.open(opened)
    delays = []
    for _ in range(3):
        reopen = only(h.feed(h.machine.receive_stream_error(sid, ConnectionLostError("reset"))), OpenStream)
        delays.append(reopen.delay)
        sid = reopen.stream_id
    assert delays == sorted(delays) and delays[-1] > delays[0] > 0
    h.feed(h.machine.receive_stream_eof(sid))
    end = h.terminal(job)
    assert isinstance(end, JobFailed) and isinstance(end.error, ConnectionLostError)
    assert "3 reconnects" in str(end.error)


def test_stale_stream_input_is_ignored() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    reopen = h.feed(h.machine.receive_stream_eof(sid))
    assert h.machine.receive_stream_data(sid, frame(completed("E1", [1]))) == []
    assert h.machine.receive_stream_eof(sid) == []
    assert h.machine.stream_opened(sid, 200) == []
    assert h.machine.receive_stream_error(sid, ConnectionLostError("x")) == []
    assert h.machine.phase(job) is Phase.WAITING and reopen


def test_session_not_found_fails_waiting_jobs() -> None:
    h = Harness()
    a, opened = joined(h, "EA")
    sid = h.open(opened)
    b, b_actions = h.submit()
    h.data(sid, {"msg": "unexpected_error", "event_id": None, "message": "404: Not Found", "session_not_found": True, "success": False})
    end = h.terminal(a)
    assert isinstance(end, JobFailed) and isinstance(end.error, SessionNotFoundError)
    assert CloseStream(stream_id=sid) in h.log
    assert h.machine.phase(b) is Phase.JOINING  # its join is still in flight


def test_server_stopped_fails_waiting_and_joining_jobs() -> None:
    h = Harness("sse_v1")
    a, opened = joined(h, "EA")
    sid = h.open(opened)
    b, b_actions = h.submit()
    h.data(sid, {"msg": "server_stopped", "event_id": None, "success": False})
    for job in (a, b):
        end = h.terminal(job)
        assert isinstance(end, JobFailed) and isinstance(end.error, ServerStoppedError)
    # b's join reply arrives later: nothing happens to the ended job, nothing is reopened
    assert h.join(b_actions, "EB") == []


def _generating(event_id: str, data: list) -> dict:
    return {"msg": "process_generating", "event_id": event_id,
            "output": {"data": data, "is_generating": True}, "success": True}


def test_diffs_after_a_message_cut_by_a_reconnect_are_skipped() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.data(sid, _generating("E1", ["a"]))
    # the stream breaks in the middle of the next diff: that diff is lost
    h.feed(h.machine.receive_stream_data(sid, frame(_generating("E1", [[["append", [], "b"]]]))[:20]))
    reopen = only(h.feed(h.machine.receive_stream_error(sid, ConnectionLostError("reset"))), OpenStream)
    sid2 = h.open([reopen])
    h.data(sid2, _generating("E1", [[["append", [], "c"]]]))  # a diff against the lost value
    h.data(sid2, completed("E1", ["abc"]))
    assert h.outputs(job) == [["a"]]  # never "ac", never raw diff operations
    assert h.terminal(job) == JobSucceeded(job=job, data=["abc"])


def test_diffs_after_a_clean_break_between_messages_go_on() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.data(sid, _generating("E1", ["a"]))
    reopen = only(h.feed(h.machine.receive_stream_error(sid, ConnectionLostError("reset"))), OpenStream)
    sid2 = h.open([reopen])
    h.data(sid2, _generating("E1", [[["append", [], "b"]]]))
    assert h.outputs(job) == [["a"], ["ab"]]


def test_generic_unexpected_error_waits_for_reconnect() -> None:
    h = Harness()
    a, opened = joined(h, "EA")
    sid = h.open(opened)
    h.data(sid, {"msg": "unexpected_error", "event_id": None, "message": "KeyError", "success": False})
    assert h.machine.phase(a) is Phase.WAITING
    assert any("KeyError" in n for n in h.notices())


@pytest.mark.parametrize(
    ("status", "ctype", "body", "error"),
    [
        (401, "application/json", b'{"detail": "Not authenticated"}', AuthenticationError),
        (200, "text/html", b"<html>login</html>", RemoteProtocolError),
        (404, "application/json", b'{"detail": "Not Found"}', HTTPStatusError),
    ],
)
def test_stream_error_status_fails_jobs(status, ctype, body, error) -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened, status, ctype)
    h.feed(h.machine.receive_stream_data(sid, body))
    h.feed(h.machine.receive_stream_eof(sid))
    end = h.terminal(job)
    assert isinstance(end, JobFailed) and isinstance(end.error, error)


def test_server_error_status_on_stream_is_retried() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened, 502, "text/plain")
    reopen = only(h.feed(h.machine.receive_stream_eof(sid)), OpenStream)
    assert reopen.delay > 0 and h.machine.phase(job) is Phase.WAITING


def test_unknown_message_is_a_notice_only() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    actions = h.data(sid, {"msg": "brand_new_kind", "event_id": "E1", "x": 1})
    assert [type(a).__name__ for a in actions] == ["Notice"]
    assert h.machine.phase(job) is Phase.WAITING


def test_malformed_message_fails_its_job_only() -> None:
    h = Harness()
    a, opened = joined(h, "EA")
    sid = h.open(opened)
    b, b_actions = h.submit()
    h.join(b_actions, "EB")
    h.data(sid, {"msg": "process_completed", "event_id": "EA", "output": {"data": "first"}, "success": True})
    end = h.terminal(a)
    assert isinstance(end, JobFailed) and isinstance(end.error, MalformedMessageError)
    assert "$.output.data" in str(end.error)
    h.feed(h.machine.receive_stream_data(sid, b"data: not json\n\n"))
    assert h.machine.phase(b) is Phase.WAITING
    assert any("not a UTF-8 JSON object" in n for n in h.notices())


def test_oversized_event_breaks_the_stream_not_the_client() -> None:
    h = Harness(max_event_size=1000)
    job, opened = joined(h)
    sid = h.open(opened)
    actions = h.feed(h.machine.receive_stream_data(sid, b"data: " + b"x" * 5000))
    assert any(isinstance(a, OpenStream) for a in actions)  # reconnect
    assert h.machine.phase(job) is Phase.WAITING
    assert MessageTooLargeError


def test_truncated_message_at_eof_is_noticed() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.feed(h.machine.receive_stream_data(sid, b'data: {"msg": "process_sta'))
    h.feed(h.machine.receive_stream_eof(sid))
    assert any("middle of a message" in n for n in h.notices())


# ------------------------------------------------------------------ heartbeat and sessions


def test_heartbeat_stream_is_kept_open() -> None:
    h = Harness(heartbeat=True)
    hb = only(h.feed(h.machine.start()), OpenStream)
    assert hb.path == "/gradio_api/heartbeat/S"
    h.feed(h.machine.stream_opened(hb.stream_id, 200, "text/event-stream"))
    h.feed(h.machine.receive_stream_data(hb.stream_id, b"data: ALIVE\n\n"))
    again = only(h.feed(h.machine.receive_stream_eof(hb.stream_id)), OpenStream)
    assert again.path == hb.path and again.delay == 1.0
    h.feed(h.machine.stream_opened(again.stream_id, 404, "application/json"))
    assert not any(isinstance(a, OpenStream) for a in h.feed(h.machine.receive_stream_eof(again.stream_id)))
    assert any("heartbeat was refused" in n and "404" in n for n in h.notices())


def test_heartbeat_backs_off_when_fruitless() -> None:
    h = Harness(heartbeat=True, heartbeat_max_delay=4.0)
    sid = only(h.feed(h.machine.start()), OpenStream).stream_id
    delays = []
    for _ in range(5):
        nxt = only(h.feed(h.machine.receive_stream_error(sid, ConnectionLostError("x"))), OpenStream)
        delays.append(nxt.delay)
        sid = nxt.stream_id
    assert delays == [1.0, 2.0, 4.0, 4.0, 4.0]


def test_no_heartbeat_unless_configured() -> None:
    assert Harness().machine.start() == []


def test_reset_session_uses_new_hash_and_old_jobs_finish() -> None:
    h = Harness(heartbeat=True)
    hb = only(h.feed(h.machine.start()), OpenStream)
    a, opened = joined(h, "EA")
    sid = h.open(opened)
    actions = h.feed(h.machine.reset_session("T"))
    assert CloseStream(stream_id=hb.stream_id) in actions
    assert only(actions, OpenStream).path.endswith("/heartbeat/T")
    assert h.machine.session_hash == "T"
    b, b_actions = h.submit()
    assert json.loads(only(b_actions, Post).body)["session_hash"] == "T"
    new_stream = only(h.join(b_actions, "EB"), OpenStream)
    assert new_stream.path.endswith("session_hash=T")
    h.data(sid, completed("EA", [1]))
    assert h.terminal(a) == JobSucceeded(job=a, data=[1])
    assert CloseStream(stream_id=sid) in h.log  # the old session is forgotten


def test_close_cancels_everything_and_refuses_more() -> None:
    h = Harness()
    a, opened = joined(h)
    sid = h.open(opened)
    b, _ = h.submit()
    actions = h.feed(h.machine.close())
    assert isinstance(h.terminal(a), JobCancelled) and isinstance(h.terminal(b), JobCancelled)
    assert CloseStream(stream_id=sid) in actions
    with pytest.raises(LocalProtocolError):
        h.machine.submit(0, [], now=0.0)


def test_unsupported_protocol_is_refused() -> None:
    with pytest.raises(LocalProtocolError, match="sse_v9"):
        QueueMachine(MachineConfig(protocol="sse_v9"), "S")


# ------------------------------------------------------------------ sse v0 (4.0 - 4.8)


def test_sse_v0_flow() -> None:
    h = Harness("sse")
    job, actions = h.submit(1, ["hi"])
    stream = only(actions, OpenStream)
    assert stream.path == "/queue/join?fn_index=1&session_hash=S"
    sid = h.open(actions)
    h.data(sid, {"msg": "estimation", "rank": 0, "queue_size": 1, "rank_eta": None})
    sent = h.data(sid, {"msg": "send_data", "event_id": "abc"})
    post = only(sent, Post)
    assert post.path == "/queue/data"
    assert json.loads(post.body) == {"data": ["hi"], "fn_index": 1, "session_hash": "S", "event_id": "abc"}
    h.feed(h.machine.receive_response(post.request_id, 200, b"{}"))
    h.data(sid, {"msg": "heartbeat"}, {"msg": "process_starts"}, completed(None, ["hi!"]))
    assert h.terminal(job) == JobSucceeded(job=job, data=["hi!"])
    assert CloseStream(stream_id=sid) in h.log
    assert h.statuses(job) == ["IN_QUEUE", "SENDING_DATA", "PROCESSING", "FINISHED"]


def test_sse_v0_queue_full_and_data_failure() -> None:
    h = Harness("sse")
    job, actions = h.submit()
    sid = h.open(actions)
    h.data(sid, {"msg": "queue_full"})
    assert isinstance(h.terminal(job).error, QueueFullError)
    job2, actions2 = h.submit()
    sid2 = h.open(actions2)
    post = only(h.data(sid2, {"msg": "send_data", "event_id": "e"}), Post)
    h.feed(h.machine.receive_response(post.request_id, 500, b"{}"))
    assert isinstance(h.terminal(job2).error, HTTPStatusError)


def test_sse_v0_stream_lost_fails_job() -> None:
    h = Harness("sse")
    job, actions = h.submit()
    sid = h.open(actions)
    h.feed(h.machine.receive_stream_eof(sid))
    assert isinstance(h.terminal(job).error, ConnectionLostError)


# ------------------------------------------------------------------ ws (3.x)


def test_ws_flow() -> None:
    h = Harness("ws")
    job, actions = h.submit(3, [1, "add", 2])
    ws = only(actions, OpenWebSocket)
    assert ws.path == "/queue/join"
    first = h.feed(h.machine.receive_ws_message(ws.stream_id, '{"msg": "send_hash"}'))
    assert json.loads(only(first, SendWebSocket).text) == {"fn_index": 3, "session_hash": "S"}
    h.feed(h.machine.receive_ws_message(ws.stream_id, json.dumps({"msg": "estimation", "rank": 2, "queue_size": 3, "rank_eta": 1.5, "avg_event_process_time": 0.1, "avg_event_concurrent_process_time": None, "queue_eta": 2})))
    data = h.feed(h.machine.receive_ws_message(ws.stream_id, '{"msg": "send_data"}'))
    assert json.loads(only(data, SendWebSocket).text) == {"data": [1, "add", 2], "fn_index": 3, "session_hash": "S"}
    h.feed(h.machine.receive_ws_message(ws.stream_id, '{"msg": "process_starts"}'))
    h.feed(h.machine.receive_ws_message(ws.stream_id, json.dumps({"msg": "process_generating", "output": {"data": [1]}, "success": True})))
    h.feed(h.machine.receive_ws_message(ws.stream_id, json.dumps({"msg": "process_completed", "output": {"data": [3], "is_generating": False}, "success": True})))
    assert h.terminal(job) == JobSucceeded(job=job, data=[3])
    assert CloseStream(stream_id=ws.stream_id) in h.log
    assert h.statuses(job) == ["JOINING_QUEUE", "IN_QUEUE", "SENDING_DATA", "PROCESSING", "ITERATING", "FINISHED"]
    assert h.feed(h.machine.ws_closed(ws.stream_id, 1000)) == []


def test_ws_errors() -> None:
    h = Harness("ws")
    job, actions = h.submit()
    h.feed(h.machine.ws_closed(only(actions, OpenWebSocket).stream_id, 1008, "auth"))
    assert isinstance(h.terminal(job).error, AuthenticationError)
    job2, actions2 = h.submit()
    h.feed(h.machine.ws_closed(only(actions2, OpenWebSocket).stream_id, 1011, "crash"))
    end = h.terminal(job2)
    assert isinstance(end.error, ConnectionLostError) and "1011: crash" in str(end.error)
    job3, actions3 = h.submit()
    h.feed(h.machine.receive_ws_message(only(actions3, OpenWebSocket).stream_id, '{"msg":"queue_full"}'))
    assert isinstance(h.terminal(job3).error, QueueFullError)
    job4, actions4 = h.submit()
    h.feed(h.machine.receive_ws_message(only(actions4, OpenWebSocket).stream_id, '{"msg":"process_completed","output":{"error":"nope"},"success":false}'))
    assert str(h.terminal(job4).error) == "nope"


def test_ws_cancel_resets_on_server() -> None:
    h = Harness("ws")
    job, actions = h.submit(2)
    ws = only(actions, OpenWebSocket)
    out = h.feed(h.machine.cancel(job, now=0))
    assert CloseStream(stream_id=ws.stream_id) in out
    post = only(out, Post)
    assert post.path == "/reset" and json.loads(post.body) == {"session_hash": "S", "fn_index": 2}


def test_ws_unqueued_endpoint_uses_predict() -> None:
    h = Harness("ws", unqueued_fns=frozenset({0}))
    job, actions = h.submit(0, [2])
    post = only(actions, Post)
    assert post.path == "/api/predict/"
    h.feed(h.machine.receive_response(post.request_id, 200, b'{"data": [4], "duration": 0.1}'))
    assert h.terminal(job) == JobSucceeded(job=job, data=[4])
    job2, actions2 = h.submit(0, [2])
    h.feed(h.machine.receive_response(only(actions2, Post).request_id, 500, b'{"error": "bad"}'))
    assert str(h.terminal(job2).error) == "bad"
    job3, actions3 = h.submit(0, [2])
    h.feed(h.machine.receive_response(only(actions3, Post).request_id, 500, b'{"error": null}'))
    assert "show_error" in str(h.terminal(job3).error)
    job4, actions4 = h.submit(0, [2])
    h.feed(h.machine.receive_response(only(actions4, Post).request_id, 502, b"<html>"))
    assert isinstance(h.terminal(job4).error, HTTPStatusError)
    job5, actions5 = h.submit(0, [2])
    h.feed(h.machine.cancel(job5, now=0))
    assert not [a for a in h.of(Post) if a.path == "/reset"]


def test_diffs_go_on_when_the_cut_message_was_not_an_output() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.data(sid, _generating("E1", ["a"]))
    h.feed(h.machine.receive_stream_data(sid, frame({"msg": "progress", "event_id": "E1", "progress_data": []})[:30]))
    reopen = only(h.feed(h.machine.receive_stream_eof(sid)), OpenStream)
    assert any("middle of a message" in n for n in h.notices())
    sid2 = h.open([reopen])
    h.data(sid2, _generating("E1", [[["append", [], "b"]]]))
    assert h.outputs(job) == [["a"], ["ab"]]
