"""Queue-machine tests written for mutants of protocol/queue/machine.py that survived the
machine's other tests (test_mutants_queue_routing.py: the same for routing.py).

docs/mutation.md lists every surviving mutant: the ones these tests kill, and why the rest
cannot be killed.  Every test here is pure: it drives ``QueueMachine`` by method calls.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gradio_client.protocol.actions import (
    CloseStream,
    JobCancelled,
    JobSucceeded,
    OpenStream,
    Post,
)
from gradio_client.protocol.errors import (
    AuthenticationError,
    ConnectionLostError,
    HTTPStatusError,
    JobTimeoutError,
    LocalProtocolError,
    MessageTooLargeError,
    RemoteProtocolError,
)
from gradio_client.protocol.machine import (
    MachineConfig,
    Phase,
    QueueMachine,
    watch_machines,
)

from .machine_helpers import Harness, only
from .mutant_queue_helpers import (
    generating,
    joined,
    session_stream,
    ws_job,
)

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
    # the body of a refused stream is an error to show, never events to read
    h.data(sid, {"msg": "process_completed", "event_id": "E1", "output": {"data": [1]}, "success": True})
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
    h = Harness(join_gather=0)  # the stream opens at the first reply
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


def test_a_broken_job_stream_fails_its_job_with_the_transport_error() -> None:
    h = Harness("sse")
    job, actions = h.submit()
    sid = h.open(actions)
    reset = ConnectionLostError("connection reset by peer")
    h.feed(h.machine.receive_stream_error(sid, reset))
    assert h.terminal(job).error is reset


def test_an_error_body_is_kept_until_it_reaches_the_limit() -> None:
    h = Harness(error_body_limit=4)
    job, opened = joined(h)
    sid = h.open([session_stream(opened)], status=404, ctype="text/html")
    for chunk in (b"ab", b"cd", b"ef"):
        h.feed(h.machine.receive_stream_data(sid, chunk))
    h.feed(h.machine.receive_stream_eof(sid))
    error = h.terminal(job).error
    assert isinstance(error, HTTPStatusError) and error.body == b"abcd"


def test_a_too_large_event_on_a_job_stream_fails_the_job_with_the_size_error() -> None:
    h = Harness("sse", max_event_size=1000)
    job, actions = h.submit()
    sid = h.open(actions)
    h.feed(h.machine.receive_stream_data(sid, b"data: " + b"x" * 5000))
    assert isinstance(h.terminal(job).error, MessageTooLargeError)
