"""Queue-machine tests written for mutants of protocol/queue/{machine,routing}.py that survived
the machine's other tests.

docs/mutation.md lists every surviving mutant: the ones these tests kill, and why the rest
cannot be killed.  Every test here is pure: it drives ``QueueMachine`` by method calls.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gradio_client.protocol.actions import (
    CloseStream,
    EmitStatus,
    JobCancelled,
    JobFailed,
    JobSucceeded,
    Notice,
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
    QueueFullError,
    RemoteProtocolError,
    ReplicaMismatchError,
    SessionNotFoundError,
    StreamCutError,
    TooManyRequestsError,
)
from gradio_client.protocol.machine import (
    MachineConfig,
    Phase,
    QueueMachine,
    watch_machines,
)
from gradio_client.protocol.queue.failures import HIDDEN_ERROR
from gradio_client.protocol.status import Status

from .machine_helpers import Harness, only


def joined(h: Harness, event_id: str = "E1", **kw: Any) -> tuple[int, list[Any]]:
    job, actions = h.submit(**kw)
    return job, h.join(actions, event_id)


def session_stream(actions: list[Any]) -> OpenStream:
    return only([a for a in actions if isinstance(a, OpenStream) and "queue/data" in a.path], OpenStream)


def ws_job(h: Harness, fn: int = 0) -> tuple[int, int]:
    job, actions = h.submit(fn)
    return job, only(actions, OpenWebSocket).stream_id


def ws_say(h: Harness, sid: int, message: dict[str, Any]) -> list[Any]:
    return h.feed(h.machine.receive_ws_message(sid, json.dumps(message)))


# ------------------------------------------------------------------ machine.py: observers


def test_unwatching_one_factory_keeps_the_others() -> None:
    seen_a: list[QueueMachine] = []
    seen_b: list[QueueMachine] = []
    stop_a = watch_machines(seen_a.append)  # returns None: no observer, the next one is asked
    stop_b = watch_machines(seen_b.append)
    try:
        first = QueueMachine(MachineConfig(protocol="sse_v3"), "S")
        stop_a()
        second = QueueMachine(MachineConfig(protocol="sse_v3"), "S")
    finally:
        stop_a()
        stop_b()
    third = QueueMachine(MachineConfig(protocol="sse_v3"), "S")
    assert seen_a == [first]
    assert seen_b == [first, second]
    assert third not in seen_a + seen_b


# ------------------------------------------------------------------ machine.py: time


def test_an_unacked_job_asks_for_a_tick_now_then_at_its_ack_deadline() -> None:
    """docs: a joined job the stream has not named starts its clock at the next tick."""
    h = Harness(event_ack_timeout=30.0)
    h.now = 5.0
    joined(h)
    assert h.machine.next_deadline() == 5.0  # unarmed: tick now
    h.feed(h.machine.tick(7.0))
    assert h.machine.next_deadline() == 37.0


@pytest.mark.parametrize("timeout", [1.0, 31.0, 100.0])
def test_the_next_deadline_is_the_earliest_of_timeouts_and_ack_deadlines(timeout: float) -> None:
    h = Harness(event_ack_timeout=30.0)
    joined(h, "E1")
    h.submit(timeout=timeout)  # joining, with a deadline
    assert h.machine.next_deadline() == 0.0
    h.feed(h.machine.tick(1.0 / 8))
    assert h.machine.next_deadline() == min(timeout, 30.0 + 1.0 / 8)


def test_start_and_reset_session_open_the_heartbeat_at_once() -> None:
    h = Harness(heartbeat=True)
    assert only(h.feed(h.machine.start()), OpenStream).delay == 0.0
    assert only(h.feed(h.machine.reset_session("S2")), OpenStream).delay == 0.0


# ------------------------------------------------------------------ machine.py: websockets


def test_a_websocket_refused_with_1008_is_an_authentication_error() -> None:
    h = Harness("ws")
    job, sid = ws_job(h)
    h.feed(h.machine.ws_closed(sid, 1008))
    error = h.terminal(job).error
    assert isinstance(error, AuthenticationError) and "1008" in str(error)


@pytest.mark.parametrize(("reason", "shown"), [("", "(code 1011)"), ("overloaded", "(code 1011: overloaded)")])
def test_a_closed_websocket_names_its_code_and_only_a_given_reason(reason: str, shown: str) -> None:
    h = Harness("ws")
    job, sid = ws_job(h)
    h.feed(h.machine.ws_closed(sid, 1011, reason) if reason else h.machine.ws_closed(sid, 1011))
    error = h.terminal(job).error
    assert isinstance(error, ConnectionLostError) and shown in str(error)


# ------------------------------------------------------------------ routing.py: ws messages


def test_send_hash_is_answered_on_the_jobs_own_socket() -> None:
    h = Harness("ws")
    ws_job(h)
    _, sid = ws_job(h, fn=3)
    sent = only(ws_say(h, sid, {"msg": "send_hash"}), SendWebSocket)
    assert sent.stream_id == sid
    assert json.loads(sent.text) == {"fn_index": 3, "session_hash": "S"}


def test_queue_full_shows_its_status_and_says_so() -> None:
    h = Harness("ws")
    job, sid = ws_job(h)
    ws_say(h, sid, {"msg": "queue_full"})
    assert h.statuses(job)[-2:] == ["QUEUE_FULL", "FINISHED"]
    error = h.terminal(job).error
    assert isinstance(error, QueueFullError) and "queue is full" in str(error).lower()


# ------------------------------------------------------------------ routing.py: completions


def complete(output: dict[str, Any], **extra: Any) -> Any:
    h = Harness()
    job, opened = joined(h)
    sid = h.open([session_stream(opened)])
    h.data(sid, {"msg": "process_completed", "event_id": "E1", "output": output, **extra})
    return h.terminal(job)


def test_a_failed_completion_without_an_error_field_is_a_hidden_app_error() -> None:
    end = complete({}, success=False)
    assert isinstance(end, JobFailed) and isinstance(end.error, AppError)
    assert str(end.error) == HIDDEN_ERROR
    assert isinstance(complete({}, success=True), JobCancelled)  # {} after a server cancel


def test_a_failed_completion_keeps_the_messages_title() -> None:
    end = complete({"error": "boom"}, success=False, title="Bad input")
    assert isinstance(end, JobFailed) and isinstance(end.error, AppError)
    assert end.error.title == "Bad input"
    end = complete({"error": "boom", "title": "Own title"}, success=False, title="Bad input")
    assert end.error.title == "Own title"


def test_close_stream_for_an_event_makes_the_next_stream_end_clean() -> None:
    """A stream that ended after ``close_stream`` was not cut: a lost session afterwards
    is SessionNotFoundError, not StreamCutError (compare the stream that just breaks)."""

    def lost_after(close: bool) -> Any:
        h = Harness()
        job, opened = joined(h)
        sid = h.open([session_stream(opened)])
        h.data(sid, {"msg": "estimation", "event_id": "E1", "rank": 0, "queue_size": 1})
        if close:
            h.data(sid, {"msg": "close_stream", "event_id": "E1"})
        again = h.open([session_stream(h.feed(h.machine.receive_stream_eof(sid)))])
        h.data(again, {"msg": "unexpected_error", "session_not_found": True, "message": "gone"})
        return h.terminal(job).error

    assert type(lost_after(close=True)) is SessionNotFoundError
    assert isinstance(lost_after(close=False), StreamCutError)


# ------------------------------------------------------------------ routing.py: ws predict


def predict(status: int, body: bytes) -> Any:
    h = Harness("ws", unqueued_fns=frozenset({0}))
    job, actions = h.submit(0, [1])
    h.feed(h.machine.receive_response(only(actions, Post).request_id, status, body))
    return h.terminal(job)


@pytest.mark.parametrize("status", [200, 299])
def test_an_unqueued_reply_succeeds_only_with_2xx_and_a_data_list(status: int) -> None:
    assert predict(status, b'{"data": [2]}') == JobSucceeded(job=1, data=[2])


@pytest.mark.parametrize("status", [199, 300, 302, 404, 502])
def test_an_unqueued_reply_outside_2xx_fails_with_its_status(status: int) -> None:
    end = predict(status, b'{"data": [2]}')
    assert isinstance(end, JobFailed) and isinstance(end.error, HTTPStatusError)
    assert end.error.status_code == status and f"HTTP {status}" in str(end.error)


def test_an_unqueued_reply_of_429_is_rate_limiting() -> None:
    end = predict(429, b"{}")
    assert isinstance(end, JobFailed) and isinstance(end.error, TooManyRequestsError)


def test_an_unqueued_500_with_an_error_is_an_app_error() -> None:
    end = predict(500, b'{"error": "boom"}')
    assert isinstance(end, JobFailed) and isinstance(end.error, AppError) and str(end.error) == "boom"
    end = predict(500, b'{"error": null}')
    assert isinstance(end.error, AppError) and str(end.error) == HIDDEN_ERROR



# ------------------------------------------------------------------ machine.py: user inputs


def test_a_closed_machine_refuses_new_jobs_and_says_why() -> None:
    h = Harness()
    h.feed(h.machine.close())
    with pytest.raises(LocalProtocolError, match="closed"):
        h.submit()


def test_cancel_and_close_name_their_cause() -> None:
    h = Harness()
    first, _ = joined(h, "E1")
    second, _ = joined(h, "E2")
    h.feed(h.machine.cancel(first, now=0.0))
    h.feed(h.machine.close())
    ends = [h.terminal(first), h.terminal(second)]
    assert all(isinstance(end, JobCancelled) for end in ends)
    assert "caller" in ends[0].reason and "closed" in ends[1].reason


def test_a_timeout_expires_exactly_at_its_deadline() -> None:
    h = Harness()
    job, _ = joined(h, timeout=2.0)
    assert h.feed(h.machine.tick(1.5)) == []
    h.feed(h.machine.tick(2.0))
    error = h.terminal(job).error
    assert isinstance(error, JobTimeoutError) and "timeout" in str(error)


def test_a_sibling_cancelled_by_the_server_ends_exactly_at_its_grace_deadline() -> None:
    h = Harness(cancel_grace=3.0)
    first, opened = joined(h, "E1")
    sid = h.open([session_stream(opened)])
    second, _ = joined(h, "E2")
    h.data(sid, {"msg": "process_starts", "event_id": "E2"})
    h.feed(h.machine.cancel(first, now=1.0))
    assert h.machine.next_deadline() == 4.0
    h.feed(h.machine.tick(3.5))
    assert h.machine.phase(second) is Phase.WAITING
    h.feed(h.machine.tick(4.0))
    end = h.terminal(second)
    assert isinstance(end, JobCancelled) and "cancelled by the server" in end.reason


def test_a_joined_job_without_an_ack_timeout_never_expires() -> None:
    h = Harness()
    job, opened = joined(h)
    h.open([session_stream(opened)])
    for now in (0.0, 100.0, 10_000.0):
        h.feed(h.machine.tick(now))
    assert h.machine.phase(job) is Phase.WAITING and h.machine.next_deadline() is None


# ------------------------------------------------------------------ machine.py: replies


def cancel_reply(status: int) -> list[str]:
    h = Harness()
    job, _ = joined(h)
    cancel = only(h.feed(h.machine.cancel(job, now=0.0)), Post)
    assert cancel.path.endswith("/cancel")
    h.feed(h.machine.receive_response(cancel.request_id, status, b"{}"))
    return h.notices()


@pytest.mark.parametrize("status", [200, 204, 299])
def test_an_accepted_cancel_request_is_silent(status: int) -> None:
    assert cancel_reply(status) == []


@pytest.mark.parametrize("status", [199, 300, 404, 500])
def test_a_refused_cancel_request_is_a_notice_naming_its_status(status: int) -> None:
    assert [n for n in cancel_reply(status) if f"HTTP {status}" in n] != []


def sse_v0_data_reply(status: int) -> Any:
    h = Harness("sse")
    job, actions = h.submit()
    sid = h.open(actions)
    post = only(h.data(sid, {"msg": "send_data", "event_id": "E1"}), Post)
    assert post.path == "/queue/data" and json.loads(post.body)["event_id"] == "E1"
    h.feed(h.machine.receive_response(post.request_id, status, b'{"detail": "nope"}'))
    return h, job


@pytest.mark.parametrize("status", [200, 299])
def test_a_2xx_queue_data_reply_lets_the_job_go_on(status: int) -> None:
    h, job = sse_v0_data_reply(status)
    assert h.machine.phase(job) is Phase.WAITING


@pytest.mark.parametrize("status", [300, 404, 500])
def test_a_refused_queue_data_post_fails_the_job_naming_it(status: int) -> None:
    h, job = sse_v0_data_reply(status)
    error = h.terminal(job).error
    assert isinstance(error, HTTPStatusError) and error.status_code == status
    assert "queue/data" in str(error) and "nope" in str(error)


# ------------------------------------------------------------------ machine.py: stream heads


def open_session(ctype: str | None, status: int = 200) -> tuple[Harness, int, int]:
    h = Harness()
    job, opened = joined(h)
    sid = session_stream(opened).stream_id
    h.feed(h.machine.stream_opened(sid, status, ctype))
    return h, job, sid


@pytest.mark.parametrize(
    "ctype",
    [None, "text/event-stream", "Text/Event-Stream", "text/event-stream; charset=utf-8",
     "text/event-stream;charset=utf-8; q=1", " text/event-stream ;charset=utf-8"],
)
def test_an_event_stream_is_known_by_its_media_type_alone(ctype: str | None) -> None:
    h, job, sid = open_session(ctype)
    h.data(sid, {"msg": "process_completed", "event_id": "E1", "output": {"data": [1]}, "success": True})
    assert h.terminal(job) == JobSucceeded(job=job, data=[1])


@pytest.mark.parametrize("ctype", ["text/html", "application/json", "text/event-streams", "text/html; x=text/event-stream"])
def test_a_200_stream_of_another_media_type_fails_the_job(ctype: str) -> None:
    h, job, sid = open_session(ctype)
    h.feed(h.machine.receive_stream_data(sid, b"<html>login</html>"))
    h.feed(h.machine.receive_stream_eof(sid))
    error = h.terminal(job).error
    assert isinstance(error, RemoteProtocolError) and "login" in str(error)


@pytest.mark.parametrize(
    ("status", "fatal"),
    [(199, False), (300, False), (399, False), (400, True), (404, True), (428, True),
     (429, False), (430, True), (499, True), (500, False), (503, False)],
)
def test_which_refused_streams_end_the_job_at_once(status: int, fatal: bool) -> None:
    """docs/wire.md: a 4xx (but 429) or a 2xx that is not an event stream will not get
    better by reconnecting; anything else is retried within the reopen budget."""
    h, job, sid = open_session("text/event-stream", status)
    h.feed(h.machine.receive_stream_data(sid, b'{"detail": "refused"}'))
    after = h.feed(h.machine.receive_stream_eof(sid))
    if fatal:
        error = h.terminal(job).error
        assert isinstance(error, (HTTPStatusError, AuthenticationError, RemoteProtocolError))
    else:
        assert h.machine.phase(job) is Phase.WAITING
        assert "queue/data" in session_stream(after).path


def test_a_heartbeat_is_read_whatever_its_media_type_and_backs_off_only_while_silent() -> None:
    h = Harness(heartbeat=True)
    hb = only(h.feed(h.machine.start()), OpenStream)
    delays = []
    for speaks in (False, False, True, False):
        h.feed(h.machine.stream_opened(hb.stream_id, 200, "text/plain"))
        if speaks:
            h.feed(h.machine.receive_stream_data(hb.stream_id, b"anything"))
        hb = only(h.feed(h.machine.receive_stream_eof(hb.stream_id)), OpenStream)
        delays.append(hb.delay)
    assert delays == [1.0, 2.0, 1.0, 1.0]
    assert h.notices() == []


def test_a_too_large_event_closes_its_stream_and_reopens() -> None:
    h = Harness(max_event_size=1000)
    job, opened = joined(h)
    sid = h.open([session_stream(opened)])
    after = h.feed(h.machine.receive_stream_data(sid, b"data: " + b"x" * 5000))
    assert CloseStream(stream_id=sid) in after
    assert session_stream(after).stream_id != sid and h.machine.phase(job) is Phase.WAITING


def generating(data: list[Any]) -> dict[str, Any]:
    return {"msg": "process_generating", "event_id": "E1", "output": {"data": data}, "success": True}


@pytest.mark.parametrize("how", ["too large", "eof"])
def test_diffs_after_a_lost_message_are_skipped(how: str) -> None:
    """A message lost to a stream end: later diffs have no base (the completion has it)."""
    h = Harness(max_event_size=1000)
    job, opened = joined(h)
    sid = h.open([session_stream(opened)])
    h.data(sid, generating(["a"]))
    if how == "too large":
        after = h.feed(h.machine.receive_stream_data(sid, b"data: " + b"x" * 5000))
    else:
        h.feed(h.machine.receive_stream_data(sid, b'data: {"msg": "process_gen'))
        after = h.feed(h.machine.receive_stream_eof(sid))
    again = h.open([session_stream(after)])
    h.data(again, generating([[["append", [], "c"]]]))
    h.data(again, {"msg": "process_completed", "event_id": "E1", "output": {"data": ["abc"]}, "success": True})
    assert h.outputs(job) == [["a"]]
    assert h.terminal(job) == JobSucceeded(job=job, data=["abc"])


def test_a_job_stream_that_ends_early_fails_its_job_saying_so() -> None:
    h = Harness("sse")
    job, actions = h.submit()
    sid = h.open(actions)
    h.feed(h.machine.receive_stream_eof(sid))
    error = h.terminal(job).error
    assert isinstance(error, ConnectionLostError) and "ended the event stream" in str(error)


def test_a_job_joined_after_a_tick_asks_for_a_tick_at_that_time() -> None:
    h = Harness(event_ack_timeout=30.0)
    _, actions = h.submit()
    h.feed(h.machine.tick(10.0))
    h.join(actions, "E1")
    assert h.machine.next_deadline() == 10.0


# ------------------------------------------------------------------ routing.py: odd messages


def on_session_stream(*messages: dict[str, Any], **config: Any) -> tuple[Harness, int, int]:
    h = Harness(**config)
    job, opened = joined(h)
    sid = h.open([session_stream(opened)])
    for message in messages:
        h.data(sid, message)
    return h, job, sid


def test_a_repaired_message_is_noticed_for_its_job_and_still_counts() -> None:
    h, job, sid = on_session_stream({"msg": "estimation", "event_id": "E1", "rank": 1.5, "queue_size": 2})
    h.data(sid, {"msg": "estimation", "event_id": "ZZ", "rank": 1.5, "queue_size": 2})
    repaired = [n for n in h.of(Notice) if "unreadable field" in n.message]
    assert [n.job for n in repaired] == [job, None]
    assert all("Estimation" in n.message and "rank" in n.message for n in repaired)
    assert [a.update.queue_size for a in h.of(EmitStatus, job)] == [2]


def test_a_repaired_message_on_a_websocket_is_noticed_for_its_job() -> None:
    h = Harness("ws")
    job, sid = ws_job(h)
    ws_say(h, sid, {"msg": "estimation", "rank": -1, "queue_size": 2})
    assert [n.job for n in h.of(Notice) if "rank" in n.message] == [job]


def test_unknown_and_unreadable_messages_without_an_event_are_named_in_notices() -> None:
    h, job, sid = on_session_stream({"msg": "bogus", "event_id": "E1"})
    h.feed(h.machine.receive_stream_data(sid, b'data: {"msg": "estimation", "event_id": 5}\n\n'))
    h.data(sid, {"msg": "unexpected_error", "message": "KeyError boom"})
    h.data(sid, {"msg": "process_starts"})
    notices = h.notices()
    assert any("'bogus'" in n for n in notices)
    assert any("estimation" in n and "event_id" in n for n in notices)
    assert any("KeyError boom" in n for n in notices)
    assert any("ProcessStarts" in n for n in notices)
    assert h.machine.phase(job) is Phase.WAITING


def test_an_unreadable_message_on_a_job_socket_fails_that_job_whatever_its_event_id() -> None:
    h = Harness("ws")
    job, sid = ws_job(h)
    h.feed(h.machine.receive_ws_message(sid, '{"msg": "process_completed", "event_id": "X", "output": 3}'))
    assert isinstance(h.terminal(job).error, MalformedMessageError)


def test_an_unreadable_result_without_an_event_fails_every_possible_owner_of_its_session() -> None:
    h = Harness()
    waiting, opened = joined(h, "E1")
    sid = h.open([session_stream(opened)])
    joining, _ = h.submit()
    h.feed(h.machine.reset_session("S2"))
    other, _ = h.submit()  # another session: not a possible owner
    h.feed(h.machine.receive_stream_data(sid, b'data: {"msg": "process_completed", "event_id": 5}\n\n'))
    for job in (waiting, joining):
        assert isinstance(h.terminal(job).error, MalformedMessageError)
    assert h.machine.phase(other) is Phase.JOINING


# ------------------------------------------------------------------ routing.py: the session


def test_a_message_names_its_job_for_the_ack_clock_among_several() -> None:
    h = Harness(event_ack_timeout=5.0)
    first, opened = joined(h, "E1")
    sid = h.open([session_stream(opened)])
    second, _ = joined(h, "E2")
    h.data(sid, {"msg": "estimation", "event_id": "E1", "rank": 0, "queue_size": 2})
    h.data(sid, {"msg": "estimation", "event_id": "E1", "rank": 0, "queue_size": 2})
    h.feed(h.machine.tick(0.0))
    h.feed(h.machine.tick(6.0))
    assert h.machine.phase(first) is Phase.WAITING
    assert isinstance(h.terminal(second).error, ReplicaMismatchError)


def test_a_stream_that_spoke_of_a_live_job_reopens_at_once() -> None:
    h, _, sid = on_session_stream()
    h.data(sid, {"msg": "estimation", "event_id": "E1", "rank": 0, "queue_size": 1})
    assert session_stream(h.feed(h.machine.receive_stream_eof(sid))).delay == 0.0
    h2, _, sid2 = on_session_stream()
    assert session_stream(h2.feed(h2.machine.receive_stream_eof(sid2))).delay > 0.0


def test_a_stream_that_ended_a_job_reopens_at_once_for_the_others() -> None:
    h = Harness()
    first, opened = joined(h, "E1")
    joined(h, "E2")
    sid = h.open([session_stream(opened)])
    for _ in range(3):
        reopen = session_stream(h.feed(h.machine.receive_stream_eof(sid)))
        sid = h.open([reopen])
    assert reopen.delay > 0.0  # both jobs stall: the ends back off
    h.data(sid, {"msg": "process_completed", "event_id": "E1", "output": {"data": [1]}, "success": True})
    assert session_stream(h.feed(h.machine.receive_stream_eof(sid))).delay == 0.0
    assert h.terminal(first) == JobSucceeded(job=first, data=[1])


@pytest.mark.parametrize("event_id", [None, "E1"])
def test_a_stream_ended_after_close_stream_was_not_cut(event_id: str | None) -> None:
    h, job, sid = on_session_stream({"msg": "estimation", "event_id": "E1", "rank": 0, "queue_size": 1})
    h.data(sid, {"msg": "close_stream", "event_id": event_id})
    again = h.open([session_stream(h.feed(h.machine.receive_stream_eof(sid)))])
    h.data(again, {"msg": "unexpected_error", "session_not_found": True, "message": "gone"})
    assert type(h.terminal(job).error) is SessionNotFoundError


def test_a_cut_is_forgotten_once_the_session_loss_is_reported() -> None:
    h, first, sid = on_session_stream({"msg": "estimation", "event_id": "E1", "rank": 0, "queue_size": 1})
    again = h.open([session_stream(h.feed(h.machine.receive_stream_error(sid, ConnectionLostError("reset"))))])
    lost = {"msg": "unexpected_error", "session_not_found": True, "message": "gone"}
    h.data(again, lost)
    assert isinstance(h.terminal(first).error, StreamCutError)
    second, opened = joined(h, "E2")
    third = h.open([session_stream(opened)])
    h.data(third, {"msg": "estimation", "event_id": "E2", "rank": 0, "queue_size": 1}, lost)
    assert type(h.terminal(second).error) is SessionNotFoundError


@pytest.mark.parametrize(("message", "joining_fails"), [
    ({"msg": "server_stopped"}, True),
    ({"msg": "unexpected_error", "session_not_found": True, "message": "gone"}, False),
])
def test_a_lost_session_fails_its_waiting_jobs_and_a_stopped_server_its_joins_too(
    message: dict[str, Any], joining_fails: bool
) -> None:
    h, waiting, sid = on_session_stream({"msg": "estimation", "event_id": "E1", "rank": 0, "queue_size": 1})
    joining, _ = h.submit()
    h.data(sid, message)
    assert isinstance(h.terminal(waiting), JobFailed)
    assert (h.machine.phase(joining) is Phase.DONE) is joining_fails


# ------------------------------------------------------------------ routing.py: early messages


def test_early_messages_are_bounded_by_a_count_that_replays_give_back() -> None:
    h = Harness(early_message_limit=3)
    first, first_join = h.submit()
    keeper, _ = h.submit()  # a join in flight all along: early messages are kept
    _, opened = joined(h, "E0")
    sid = h.open([session_stream(opened)])
    estimation = {"msg": "estimation", "rank": 0, "queue_size": 1}
    h.data(sid, {**estimation, "event_id": "E1"}, {**estimation, "event_id": "E1"})
    h.join(first_join, "E1")  # replays both: the count is back to 0
    assert [a.update.code.name for a in h.of(EmitStatus, first)] == ["IN_QUEUE", "IN_QUEUE"]
    h.data(sid, *({**estimation, "event_id": f"X{n}"} for n in range(3)))
    assert not any("Too many" in n for n in h.notices())
    h.data(sid, {**estimation, "event_id": "X3"})
    assert [n for n in h.notices() if "Too many" in n] == [
        "Too many early messages; dropped those of event X0."
    ]
    assert h.machine.phase(keeper) is Phase.JOINING


def test_an_unreadable_early_message_fails_its_job_when_named() -> None:
    h = Harness()
    job, join = h.submit()
    _, opened = joined(h, "E0")
    sid = h.open([session_stream(opened)])
    h.feed(h.machine.receive_stream_data(sid, b'data: {"msg": "process_completed", "event_id": "E1", "output": 3}\n\n'))
    assert h.machine.phase(job) is Phase.JOINING
    h.join(join, "E1")
    assert isinstance(h.terminal(job).error, MalformedMessageError)


# ------------------------------------------------------------------ routing.py: statuses


def test_advisory_messages_carry_their_fields_into_statuses() -> None:
    h, job, _ = on_session_stream(
        {"msg": "estimation", "event_id": "E1", "rank": 3, "queue_size": 7, "rank_eta": 2.5},
        {"msg": "process_starts", "event_id": "E1", "eta": 1.25},
        {"msg": "progress", "event_id": "E1", "progress_data": [{"index": 1, "length": 4, "unit": "steps"}]},
        {"msg": "log", "event_id": "E1", "log": "hello", "level": "warning"},
        {"msg": "process_generating", "event_id": "E1", "output": {"data": [1]}, "success": True},
    )
    queued, started, progress, log, iterating = (a.update for a in h.of(EmitStatus, job))
    assert (queued.code, queued.rank, queued.queue_size, queued.eta) == (Status.IN_QUEUE, 3, 7, 2.5)
    assert (started.code, started.eta) == (Status.PROCESSING, 1.25)
    assert progress.code is Status.PROGRESS and progress.progress_data is not None
    assert [(u.index, u.length, u.unit) for u in progress.progress_data] == [(1, 4, "steps")]
    assert (log.code, log.log) == (Status.LOG, ("hello", "warning"))
    assert log.log_details is not None and log.log_details.log == "hello"
    assert (iterating.code, iterating.success) == (Status.ITERATING, True)


# ------------------------------------------------------------------ machine.py: bookkeeping


def test_jobs_are_numbered_from_one_in_submission_order() -> None:
    """Recorded sessions (tests/data/sessions) name jobs 1, 2, 3...: the numbering is stable."""
    h = Harness()
    assert [h.submit()[0] for _ in range(3)] == [1, 2, 3]
    assert h.machine.pending_jobs() == [1, 2, 3]
    h.feed(h.machine.cancel(2, now=0.0))
    assert h.machine.pending_jobs() == [1, 3]
    assert [h.machine.phase(j) for j in (1, 2, 3, 99)] == [Phase.JOINING, Phase.DONE, Phase.JOINING, Phase.DONE]


def test_messages_for_an_unnamed_event_are_kept_while_any_join_is_in_flight() -> None:
    h = Harness()
    first, first_join = h.submit()
    second, second_join = h.submit()
    sid = h.open([session_stream(h.join(first_join, "E1"))])
    h.data(sid, {"msg": "estimation", "event_id": "E2", "rank": 0, "queue_size": 2})
    assert not any("unknown event" in n for n in h.notices())
    h.join(second_join, "E2")
    assert h.statuses(second) == ["IN_QUEUE"]
    h.data(sid, {"msg": "estimation", "event_id": "E3", "rank": 0, "queue_size": 2})
    assert [n for n in h.notices() if "unknown event" in n] == ["Dropped a message for unknown event E3."]
    assert h.machine.phase(first) is Phase.WAITING


def test_the_status_cap_given_to_the_machine_is_kept() -> None:
    h = Harness()
    h.machine = QueueMachine(MachineConfig(protocol="sse_v3"), "S", max_status_updates=2)
    job, opened = joined(h)
    sid = h.open([session_stream(opened)])
    h.data(sid, *({"msg": "estimation", "event_id": "E1", "rank": n, "queue_size": 5} for n in range(4)))
    assert h.statuses(job) == ["IN_QUEUE", "IN_QUEUE"]
    assert any("more than 2" in n for n in h.notices())


# ------------------------------------------------------------------ machine.py: observers


def test_an_observer_sees_every_input_with_its_arguments_and_what_it_returned() -> None:
    seen: list[tuple[str, dict[str, Any], Any]] = []
    machine = QueueMachine(
        MachineConfig(protocol="sse_v3"), "S", observer=lambda m, i, r: seen.append((m, dict(i), r))
    )
    job, actions = machine.submit(0, [1], now=0.0)
    post = only(actions, Post)
    reply = machine.receive_response(post.request_id, 200, b'{"event_id": "E1"}')
    assert seen == [
        ("submit", {"fn_index": 0, "data": [1], "now": 0.0}, (job, actions)),
        ("receive_response", {"request_id": post.request_id, "status_code": 200,
                              "body": b'{"event_id": "E1"}'}, reply),
    ]
    assert set(vars(machine)) >= {"submit", "tick", "ws_closed"}  # this instance only
    assert "submit" not in vars(QueueMachine(MachineConfig(protocol="sse_v3"), "S"))


def test_the_first_watcher_with_an_observer_observes_the_machine() -> None:
    seen: list[str] = []
    asked: list[str] = []

    def silent(machine: QueueMachine) -> None:
        asked.append("silent")

    def observing(machine: QueueMachine) -> Any:
        asked.append("observing")
        return lambda method, inputs, returned: seen.append(method)

    def late(machine: QueueMachine) -> Any:
        asked.append("late")
        return lambda method, inputs, returned: seen.append("late " + method)

    stops = [watch_machines(silent), watch_machines(observing), watch_machines(late)]
    try:
        machine = QueueMachine(MachineConfig(protocol="sse_v3"), "S")
    finally:
        for stop in stops:
            stop()
    machine.start()
    machine.tick(1.0)
    assert asked == ["silent", "observing"]
    assert seen == ["start", "tick"]


# ------------------------------------------------------------------ routing.py: send_data


def test_send_data_on_a_socket_answers_on_that_socket_and_a_second_one_is_the_jobs_notice() -> None:
    h = Harness("ws")
    ws_job(h)
    job, sid = ws_job(h)
    sent = only(ws_say(h, sid, {"msg": "send_data"}), SendWebSocket)
    assert sent.stream_id == sid and json.loads(sent.text)["data"] == [1]
    again = ws_say(h, sid, {"msg": "send_data"})
    assert [(type(a), a.job) for a in again] == [(Notice, job)]


def test_a_cancelled_sse_v0_job_is_reset_by_the_event_its_send_data_named() -> None:
    h = Harness("sse")
    job, actions = h.submit()
    sid = h.open(actions)
    h.data(sid, {"msg": "send_data", "event_id": "E7"})
    posts = [a for a in h.feed(h.machine.cancel(job, now=0.0)) if isinstance(a, Post)]
    assert [(p.path, json.loads(p.body)) for p in posts] == [("/reset", {"event_id": "E7"})]


# ------------------------------------------------------------------ routing.py: generator outputs


def test_a_generator_message_without_data_is_no_output_and_a_failed_one_fails_the_job() -> None:
    h, job, sid = on_session_stream(
        {"msg": "process_generating", "event_id": "E1", "output": {}, "success": True},
        {"msg": "process_generating", "event_id": "E1", "output": {"data": None}, "success": True},
    )
    assert h.outputs(job) == [] and h.machine.phase(job) is Phase.WAITING
    h.data(sid, {"msg": "process_generating", "event_id": "E1",
                 "output": {"data": [1], "error": "boom"}, "success": False})
    assert h.outputs(job) == []
    error = h.terminal(job).error
    assert isinstance(error, AppError) and str(error) == "boom"


def test_a_diff_for_an_output_the_previous_value_lacked_applies_to_nothing() -> None:
    h, job, _ = on_session_stream(
        generating(["a"]), generating([[["append", [], "b"]], [["replace", [], "new"]]])
    )
    assert h.outputs(job) == [["a"], ["ab", "new"]]


def test_an_output_resets_the_stall_count_and_reopens_at_once() -> None:
    """docs/wire.md: each waiting job counts the stream ends since its last progress."""
    h = Harness(max_reconnects=2)
    first, opened = joined(h, "E1")
    joined(h, "E2")
    sid = h.open([session_stream(opened)])
    for _ in range(2):  # both jobs stall twice: the ends back off
        reopen = session_stream(h.feed(h.machine.receive_stream_eof(sid)))
        sid = h.open([reopen])
    assert reopen.delay > 0.0
    h.data(sid, generating(["a"]))  # progress for E1 only
    reopen = session_stream(h.feed(h.machine.receive_stream_eof(sid)))
    assert reopen.delay == 0.0  # the stream moved a job forward
    sid = h.open([reopen])
    assert h.machine.phase(first) is Phase.WAITING  # E2 failed: its stalls passed 2
    sid = h.open([session_stream(h.feed(h.machine.receive_stream_eof(sid)))])
    assert h.machine.phase(first) is Phase.WAITING  # E1: 2 ends since its output
    h.feed(h.machine.receive_stream_eof(sid))
    assert isinstance(h.terminal(first), JobFailed)
