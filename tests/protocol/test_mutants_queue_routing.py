"""Queue-machine tests written for mutants of protocol/queue/routing.py (message routing,
join and predict replies) that survived the machine's other tests.

docs/mutation.md lists every surviving mutant: the ones these tests kill, and why the rest
cannot be killed.  Every test here is pure: it drives ``QueueMachine`` by method calls.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gradio_client.protocol.actions import (
    EmitStatus,
    JobCancelled,
    JobFailed,
    JobSucceeded,
    Notice,
    Post,
    SendWebSocket,
)
from gradio_client.protocol.errors import (
    AppError,
    ConnectionLostError,
    HTTPStatusError,
    MalformedMessageError,
    QueueFullError,
    RemoteProtocolError,
    ReplicaMismatchError,
    SessionNotFoundError,
    StreamCutError,
    TooManyRequestsError,
)
from gradio_client.protocol.machine import Phase
from gradio_client.protocol.queue.failures import HIDDEN_ERROR
from gradio_client.protocol.status import Status

from .machine_helpers import Harness, only
from .mutant_queue_helpers import (
    generating,
    joined,
    on_session_stream,
    session_stream,
    ws_job,
    ws_say,
)

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



# ------------------------------------------------------------------ routing.py: odd messages


def test_a_repaired_message_is_noticed_for_its_job_and_still_counts() -> None:
    h, job, sid = on_session_stream({"msg": "estimation", "event_id": "E1", "rank": 1.5, "queue_size": 2})
    h.data(sid, {"msg": "estimation", "event_id": "ZZ", "rank": 1.5, "queue_size": 2})
    repaired = [n for n in h.of(Notice) if "unreadable field" in n.message]
    assert [n.job for n in repaired] == [job, None]
    assert all("Estimation" in n.message and "rank" in n.message for n in repaired)
    assert [a.update.queue_size for a in h.of(EmitStatus, job)] == [2]


@pytest.mark.parametrize("event_id", ["E1", "XXXX", "0"])
def test_a_repaired_message_without_an_event_is_nobodys(event_id: str) -> None:
    h = Harness()
    _, opened = joined(h, event_id)
    sid = h.open([session_stream(opened)])
    h.data(sid, {"msg": "estimation", "rank": 1.5})
    assert [n.job for n in h.of(Notice) if "unreadable" in n.message] == [None]


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
    h = Harness(early_message_limit=3, join_gather=0)  # the stream opens at the first reply
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
    h = Harness(join_gather=0)  # the stream opens at the first reply
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


# ------------------------------------------------------------------ routing.py: join replies


def join_reply(status: int, body: bytes, headers: dict[str, str] | None = None, **config: Any) -> tuple[Harness, int, list[Any]]:
    h = Harness(**config)
    job, actions = h.submit()
    after = h.feed(h.machine.receive_response(only(actions, Post).request_id, status, body, headers))
    return h, job, after


@pytest.mark.parametrize("status", [199, 300, 404, 500])
def test_a_join_reply_outside_2xx_fails_the_job_with_its_status(status: int) -> None:
    h, job, _ = join_reply(status, b'{"event_id": "E1", "detail": "no"}')
    error = h.terminal(job).error
    assert isinstance(error, HTTPStatusError) and error.status_code == status


def test_a_join_reply_without_an_event_id_fails_the_job_showing_the_body() -> None:
    h, job, _ = join_reply(200, b'{"detail": "who are you"}')
    error = h.terminal(job).error
    assert isinstance(error, RemoteProtocolError)
    assert "event_id" in str(error) and "who are you" in str(error)


def test_a_join_reply_opens_the_session_stream_at_once() -> None:
    _, _, after = join_reply(200, b'{"event_id": "E1"}')
    assert session_stream(after).delay == 0.0


def test_a_503_join_reply_is_a_full_queue_with_the_servers_words() -> None:
    h, job, _ = join_reply(503, b'{"detail": "busy, come back"}')
    error = h.terminal(job).error
    assert isinstance(error, QueueFullError) and str(error) == "busy, come back"


def test_a_job_cancelled_while_joining_is_cancelled_by_its_event_and_its_messages_dropped() -> None:
    h = Harness()
    _, opened = joined(h, "E0")
    sid = h.open([session_stream(opened)])
    job, actions = h.submit()
    h.feed(h.machine.cancel(job, now=0.0))
    posts = [a for a in h.join(actions, "E1") if isinstance(a, Post)]
    assert [(p.path, json.loads(p.body)["event_id"]) for p in posts] == [("/gradio_api/cancel", "E1")]
    h.data(sid, {"msg": "process_completed", "event_id": "E1", "output": {"data": [1]}, "success": True})
    assert not any("E1" in n for n in h.notices())


@pytest.mark.parametrize(("headers", "delays"), [({}, [0.25, 0.5]), ({"Retry-After": "3"}, [3.0, 3.0])])
def test_a_rate_limited_join_is_retried_exactly_the_configured_times(
    headers: dict[str, str], delays: list[float]
) -> None:
    h = Harness(rate_limit_retries=2)
    job, actions = h.submit()
    seen = []
    for _ in range(3):
        actions = h.feed(h.machine.receive_response(only(actions, Post).request_id, 429, b"{}", headers))
        seen += [(a.path, a.delay) for a in actions if isinstance(a, Post)]
    assert seen == [("/gradio_api/queue/join", delay) for delay in delays]
    error = h.terminal(job).error
    assert isinstance(error, TooManyRequestsError)
    assert error.retry_after == (3.0 if headers else None)


@pytest.mark.parametrize(("after", "retried"), [("30", True), ("30.5", False)])
def test_a_retry_after_up_to_the_limit_is_honoured(after: str, retried: bool) -> None:
    h, job, actions = join_reply(429, b"{}", {"Retry-After": after}, max_retry_after=30.0)
    if retried:
        assert only(actions, Post).delay == 30.0 and h.machine.phase(job) is Phase.JOINING
    else:
        assert isinstance(h.terminal(job).error, TooManyRequestsError)


def test_an_eviction_gives_back_the_count_of_the_messages_it_dropped() -> None:
    h = Harness(early_message_limit=3, join_gather=0)  # the stream opens at the first reply
    named_late, join = h.submit()
    h.submit()  # a join in flight all along: early messages are kept
    _, opened = joined(h, "E0")
    sid = h.open([session_stream(opened)])

    def early(event_id: str) -> list[str]:
        h.data(sid, {"msg": "estimation", "event_id": event_id, "rank": 0, "queue_size": 1})
        return [n for n in h.notices() if "Too many" in n]

    assert early("X0") == early("X1") == early("X2") == []
    assert early("X3") == ["Too many early messages; dropped those of event X0."]
    h.join(join, "X1")  # replays X1's message: two are kept now
    assert h.statuses(named_late) == ["IN_QUEUE"]
    assert len(early("X4")) == 1  # three kept: at the limit, nothing dropped yet
    assert early("X5")[1:] == ["Too many early messages; dropped those of event X2."]


def test_an_early_output_replayed_at_its_join_counts_as_progress_of_the_stream() -> None:
    """docs/wire.md: a reopen goes at once when the ended stream moved some job forward."""
    h = Harness(join_gather=0)  # the stream opens at the first reply
    job, join = h.submit()
    _, opened = joined(h, "E0")
    sid = h.open([session_stream(opened)])
    h.data(sid, generating(["a"]))  # E1 is not named yet: kept
    h.join(join, "E1")
    assert h.outputs(job) == [["a"]]
    assert session_stream(h.feed(h.machine.receive_stream_eof(sid))).delay == 0.0
