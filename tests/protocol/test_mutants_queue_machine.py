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
    QueueFullError,
    SessionNotFoundError,
    StreamCutError,
    TooManyRequestsError,
)
from gradio_client.protocol.machine import MachineConfig, QueueMachine, watch_machines
from gradio_client.protocol.queue.failures import HIDDEN_ERROR

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

