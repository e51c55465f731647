"""Edge cases of the queue machine: stale replies, limits, odd but legal message orders."""

from __future__ import annotations

import json

import pytest

from gradio_client.protocol.actions import (
    CloseStream,
    JobCancelled,
    JobSucceeded,
    Notice,
    OpenStream,
    OpenWebSocket,
    Post,
    SendWebSocket,
)
from gradio_client.protocol.errors import (
    AppError,
    ConnectionLostError,
    HTTPStatusError,
    RemoteProtocolError,
    TooManyRequestsError,
)
from gradio_client.protocol.machine import Phase
from gradio_client.protocol.queue.routing import _HANDLERS
from gradio_client.protocol.messages import KnownMessage

from .machine_helpers import Harness, completed, frame, only


def joined(h: Harness, event_id: str = "E1", fn: int = 0):
    job, actions = h.submit(fn)
    return job, h.join(actions, event_id)


def test_every_known_message_has_a_handler() -> None:
    assert set(KnownMessage.__args__) == set(_HANDLERS)  # type: ignore[attr-defined]


def test_replies_to_unknown_requests_are_ignored() -> None:
    h = Harness()
    assert h.machine.receive_response(999, 200, b"{}") == []
    assert h.machine.receive_request_error(999, ConnectionLostError("x")) == []


def test_failed_cancel_request_is_only_a_notice() -> None:
    h = Harness()
    job, opened = joined(h)
    h.open(opened)
    cancel = only(h.feed(h.machine.cancel(job, now=0.0)), Post)
    h.feed(h.machine.receive_request_error(cancel.request_id, ConnectionLostError("refused")))
    assert any("cancel request failed" in n for n in h.notices())
    assert isinstance(h.terminal(job), JobCancelled)


def test_transport_error_after_the_job_ended_changes_nothing() -> None:
    h = Harness("sse")
    job, actions = h.submit()
    sid = h.open(actions)
    post = only(h.data(sid, {"msg": "send_data", "event_id": "e"}), Post)
    h.feed(h.machine.cancel(job, now=0.0))
    h.feed(h.machine.receive_request_error(post.request_id, ConnectionLostError("x")))
    assert isinstance(h.terminal(job), JobCancelled)


def test_error_body_of_a_stream_is_capped() -> None:
    h = Harness(error_body_limit=10)
    job, opened = joined(h)
    sid = h.open(opened, status=404, ctype="text/html")
    for _ in range(5):
        h.feed(h.machine.receive_stream_data(sid, b"<html>0123456789"))
    h.feed(h.machine.receive_stream_eof(sid))
    error = h.terminal(job).error
    assert isinstance(error, HTTPStatusError) and error.status_code == 404
    assert len(error.body) <= 10 + len(b"<html>0123456789")


def test_session_message_without_event_id_is_noticed() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.data(sid, {"msg": "process_starts", "event_id": None})
    assert any("without an event id" in n for n in h.notices())
    assert h.machine.phase(job) is Phase.WAITING


def test_early_messages_are_bounded() -> None:
    h = Harness(early_message_limit=2)
    a, opened = joined(h, "EA")
    sid = h.open(opened)
    h.submit()  # a join in flight: unclaimed messages are kept for it
    h.data(sid, {"msg": "process_starts", "event_id": "X1"}, {"msg": "process_starts", "event_id": "X2"},
           {"msg": "process_starts", "event_id": "X3"})
    assert any("dropped those of event X1" in n for n in h.notices())


def test_early_completion_ends_the_job_and_later_early_messages_are_dropped() -> None:
    h = Harness()
    a, opened = joined(h, "EA")
    sid = h.open(opened)
    b, b_actions = h.submit()
    h.data(sid, completed("EB", ["b"]), {"msg": "process_completed", "event_id": "EB",
                                         "output": {"data": ["again"]}, "success": True})
    h.join(b_actions, "EB")
    assert h.terminal(b) == JobSucceeded(job=b, data=["b"])


def test_early_messages_of_an_event_that_ended_are_dropped() -> None:
    """b ends while joining; its early message must leave the early buffer when b's join
    reply names its event.  If it stayed, it would count against the buffer's limit and
    push out an early message of c, a job that is still joining (c would then miss its
    IN_QUEUE status)."""
    h = Harness(early_message_limit=2)
    a, opened = joined(h, "EA")
    sid = h.open(opened)
    b, b_actions = h.submit()
    c, c_actions = h.submit()
    h.data(sid, {"msg": "estimation", "event_id": "EC", "rank": 0, "queue_size": 1})
    h.data(sid, {"msg": "process_starts", "event_id": "EB"})
    h.feed(h.machine.cancel(b, now=0.0))
    h.join(b_actions, "EB")  # ended while joining: its early messages go with it
    h.data(sid, {"msg": "process_starts", "event_id": "EC"})
    h.join(c_actions, "EC")
    assert h.statuses(b) == ["CANCELLED"]
    assert h.statuses(c) == ["IN_QUEUE", "PROCESSING"]
    assert not any("Too many early messages" in n for n in h.notices())


@pytest.mark.parametrize("protocol", ["sse", "ws"])
def test_second_send_data_for_a_named_job_sends_nothing(protocol: str) -> None:
    """Gradio 3.x and 4.0-4.8 ask for an event's data once (``gather_event_data`` /
    ``Event.get_data`` run only while the event has no data; see the recordings in
    tests/data/sessions/3.50.2 and 4.0.2: one send_data per event).  A second request for
    data already sent must not post ``{"data": null}``: the server would answer 422 (its
    ``PredictBody.data`` is a required list) and the job would fail."""
    h = Harness(protocol)
    job, actions = h.submit(0, ["payload"])
    if protocol == "sse":
        sid = h.open(actions)
        first = h.data(sid, {"msg": "send_data", "event_id": "e"})
        assert json.loads(only(first, Post).body)["data"] == ["payload"]
        again = h.data(sid, {"msg": "send_data", "event_id": "e"})
    else:
        sid = only(actions, OpenWebSocket).stream_id
        h.feed(h.machine.receive_ws_message(sid, '{"msg": "send_hash"}'))
        first = h.feed(h.machine.receive_ws_message(sid, '{"msg": "send_data"}'))
        assert json.loads(only(first, SendWebSocket).text)["data"] == ["payload"]
        again = h.feed(h.machine.receive_ws_message(sid, '{"msg": "send_data"}'))
    assert [type(a) for a in again] == [Notice]
    assert "second send_data" in again[0].message
    assert h.machine.phase(job) is Phase.WAITING
    assert h.statuses(job).count("SENDING_DATA") == 1


def test_failed_generator_output_fails_the_job() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.data(sid, {"msg": "process_generating", "event_id": "E1", "output": {"data": None}, "success": False})
    assert h.machine.phase(job) is Phase.WAITING  # nothing to show, nothing wrong yet
    h.data(sid, {"msg": "process_generating", "event_id": "E1",
                 "output": {"error": "bad yield"}, "success": False})
    assert str(h.terminal(job).error) == "bad yield"


def test_close_stream_for_an_event_then_eof_reopens_for_waiting_jobs() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.data(sid, {"msg": "close_stream", "event_id": "E1"})
    reopen = only(h.feed(h.machine.receive_stream_eof(sid)), OpenStream)
    assert reopen.delay == 0.0


def test_join_reply_without_event_id_after_the_job_ended() -> None:
    h = Harness()
    job, actions = h.submit()
    h.feed(h.machine.cancel(job, now=0.0))
    post = only(actions, Post)
    assert h.feed(h.machine.receive_response(post.request_id, 200, b"{}")) == []
    job2, actions2 = h.submit()
    h.feed(h.machine.receive_response(only(actions2, Post).request_id, 200, b"<html>"))
    assert isinstance(h.terminal(job2).error, RemoteProtocolError)


def test_failed_join_after_the_job_ended_is_ignored() -> None:
    h = Harness()
    job, actions = h.submit()
    h.feed(h.machine.cancel(job, now=0.0))
    h.feed(h.machine.receive_response(only(actions, Post).request_id, 500, b"{}"))
    assert isinstance(h.terminal(job), JobCancelled)


def test_rate_limit_with_an_http_date_uses_backoff() -> None:
    h = Harness(rate_limit_retries=1)
    job, actions = h.submit()
    retry = h.feed(h.machine.receive_response(
        only(actions, Post).request_id, 429, b"{}", {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}))
    assert only(retry, Post).delay > 0
    h.feed(h.machine.receive_response(only(retry, Post).request_id, 429, b"{}", {"x": "y"}))
    error = h.terminal(job).error
    assert isinstance(error, TooManyRequestsError) and error.retry_after is None


def test_ws_unqueued_reply_after_cancel_and_no_server_cancel() -> None:
    h = Harness("ws", unqueued_fns=frozenset({0}))
    job, actions = h.submit(0, [1])
    h.feed(h.machine.cancel(job, now=0.0))
    h.feed(h.machine.receive_response(only(actions, Post).request_id, 200, b'{"data": [2]}'))
    assert isinstance(h.terminal(job), JobCancelled)
    assert [a for a in h.of(Post) if a.path == "/reset"] == []


def test_ws_socket_broken_after_the_job_ended() -> None:
    h = Harness("ws")
    job, actions = h.submit()
    ws = only(actions, OpenWebSocket)
    h.feed(h.machine.cancel(job, now=0.0))
    assert CloseStream(stream_id=ws.stream_id) in h.log
    assert h.machine.ws_closed(ws.stream_id, 1006) == []


def test_tombstones_are_bounded() -> None:
    h = Harness(tombstone_limit=2)
    jobs = []
    for n in range(4):
        job, opened = joined(h, f"E{n}")
        jobs.append(job)
        if n == 0:
            sid = h.open(opened)
    for n in range(4):
        h.data(sid, completed(f"E{n}", [n]))
    assert [h.terminal(j).data for j in jobs] == [[0], [1], [2], [3]]
    # E0's tombstone was evicted: a late duplicate for it is now an unknown event
    h.data(sid, completed("E0", ["late"]))
    assert any("unknown event E0" in n for n in h.notices())
    h.data(sid, completed("E3", ["late"]))  # still remembered: silently dropped
    assert not any("unknown event E3" in n for n in h.notices())


def test_old_session_streams_after_reset_session() -> None:
    h = Harness(heartbeat=True)
    start = h.feed(h.machine.start())
    hb = only(start, OpenStream)
    h.open([hb])
    job, opened = joined(h)
    sid = h.open([a for a in opened if isinstance(a, OpenStream) and "queue/data" in a.path])
    h.feed(h.machine.reset_session("S2"))
    assert CloseStream(stream_id=hb.stream_id) in h.log
    # the old heartbeat ending is not reopened: the session is not current any more
    assert h.machine.receive_stream_eof(hb.stream_id) == []
    h.data(sid, completed("E1", [1]))
    assert h.terminal(job) == JobSucceeded(job=job, data=[1])
    h.feed(h.machine.receive_stream_eof(sid))  # the old session is forgotten
    assert h.machine.receive_stream_eof(sid) == []


def test_heartbeat_of_a_closed_client_is_not_reopened() -> None:
    h = Harness(heartbeat=True)
    hb = only(h.feed(h.machine.start()), OpenStream)
    h.open([hb])
    h.feed(h.machine.close())
    assert h.machine.receive_stream_error(hb.stream_id, ConnectionLostError("x")) == []


def test_app_error_on_a_per_job_stream() -> None:
    h = Harness("sse")
    job, actions = h.submit()
    sid = h.open(actions)
    h.feed(h.machine.receive_stream_data(sid, frame({"msg": "unexpected_error", "message": "kaboom", "event_id": "e", "success": False})))
    error = h.terminal(job).error
    assert isinstance(error, AppError) and "kaboom" in str(error)


def test_message_with_a_non_string_tag_fails_its_job() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.data(sid, {"msg": 5, "event_id": "E1"})
    error = h.terminal(job).error
    assert isinstance(error, RemoteProtocolError) and "string 'msg'" in str(error)


def test_status_order_follows_the_lifecycle() -> None:
    from gradio_client.protocol.status import Status

    assert Status.STARTING < Status.IN_QUEUE < Status.PROCESSING < Status.FINISHED
    assert Status.ordering(Status.LOG) == Status.ordering(Status.PROGRESS)
    assert sorted([Status.FINISHED, Status.JOINING_QUEUE, Status.ITERATING])[0] is Status.JOINING_QUEUE


def test_messages_after_the_end_in_the_same_chunk_are_dropped() -> None:
    h = Harness("sse")
    job, actions = h.submit()
    sid = h.open(actions)
    h.data(sid, {"msg": "send_data", "event_id": "e"})
    h.data(sid, completed(None, [1]), {"msg": "process_starts"}, completed(None, [2]))
    assert h.terminal(job) == JobSucceeded(job=job, data=[1])
    assert h.statuses(job)[-1] == "FINISHED"


def test_refused_heartbeat_is_not_retried() -> None:
    h = Harness(heartbeat=True)
    hb = only(h.feed(h.machine.start()), OpenStream)
    h.open([hb], status=404, ctype="application/json")
    h.feed(h.machine.receive_stream_eof(hb.stream_id))
    assert any("heartbeat was refused" in n for n in h.notices())
    assert not [a for a in h.log if isinstance(a, OpenStream) and a is not hb]
