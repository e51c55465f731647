"""Issue 12 in the queue core: no job runs forever on a server that never moves it forward.

* Only outputs and ends are progress; a stream that brings only advisory messages (or
  nothing) uses up the job's reopen budget, with backoff, and the job then fails typed.
* A message that cannot be decoded fails its job and never reopens the stream.
* An advisory field that cannot be read is dropped with a notice; the job goes on.
* Repeated advisory statuses are capped.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gradio_client.protocol.actions import (
    EmitStatus,
    JobFailed,
    JobSucceeded,
    Notice,
    OpenStream,
    Post,
)
from gradio_client.protocol.errors import (
    ConnectionLostError,
    LocalProtocolError,
    MalformedMessageError,
    RemoteProtocolError,
    StalledStreamError,
)
from gradio_client.protocol.machine import MAX_REPEATS, Phase, QueueMachine
from gradio_client.protocol.queue.state import _Job
from gradio_client.protocol.messages import ProgressUnit, decode_message, decode_with_repairs, peek_header

from .machine_helpers import Harness, completed, only


def joined(h: Harness, event_id: str = "E1", fn: int = 0) -> tuple[int, list[Any]]:
    job, actions = h.submit(fn)
    return job, h.join(actions, event_id)


def endless(h: Harness, sid: int, *messages: dict[str, Any], limit: int = 1000) -> tuple[int, list[float]]:
    """Play a server that answers every stream open with ``messages`` then ends it; returns
    how many streams were opened and the delays the machine asked for."""
    opens, delays = 1, []
    for _ in range(limit):
        h.data(sid, *messages)
        reopen = [a for a in h.feed(h.machine.receive_stream_eof(sid)) if isinstance(a, OpenStream)]
        if not reopen:
            return opens, delays
        delays.append(reopen[0].delay)
        sid = h.open(reopen)
        opens += 1
    raise AssertionError(f"still reopening after {limit} streams")


ESTIMATION = {"msg": "estimation", "event_id": "E1", "rank": 0, "queue_size": 1, "rank_eta": 1.0}
STARTS = {"msg": "process_starts", "event_id": "E1", "eta": None}
CLOSE = {"msg": "close_stream", "event_id": None}


@pytest.mark.parametrize(
    "program",
    [
        [ESTIMATION, CLOSE],
        [STARTS, CLOSE],
        [ESTIMATION, STARTS, {"msg": "heartbeat", "event_id": None}, CLOSE],
        [{"msg": "progress", "event_id": "E1", "progress_data": [{"index": 1, "length": 9}]}],
        [{"msg": "log", "event_id": "E1", "log": "hi", "level": "info"}, CLOSE],
        [],
    ],
    ids=["estimation", "process_starts", "mixed", "progress-eof", "log", "nothing"],
)
def test_a_server_that_closes_without_progress_ends_the_job(program: list[dict[str, Any]]) -> None:
    """Issue 12 item 3: it used to reset the budget and reopen at once, forever."""
    h = Harness()
    job, opened = joined(h)
    opens, delays = endless(h, h.open(opened), *program)
    limit = h.machine.config.max_reconnects
    assert opens == limit + 1
    end = h.terminal(job)
    assert isinstance(end, JobFailed) and isinstance(end.error, StalledStreamError)
    assert isinstance(end.error, ConnectionLostError)  # what callers already catch
    assert "without progress" in str(end.error)
    # backoff: at most one quick retry, then the delays double
    assert delays[1:] == [h.machine._backoff(n) for n in range(2, limit + 1)]
    assert sum(delays) >= 7.5 - 1e-9
    # a stalled job may still sit on the server: it is cancelled there
    assert any(p.path.endswith("/cancel") for p in h.of(Post))
    # its status history stays bounded: the same status never more than MAX_REPEATS + 1 times
    codes = h.statuses(job)
    assert len(codes) <= 2 * (opens * max(1, len(program))) + 2


def test_errors_without_progress_fail_with_connection_lost() -> None:
    h = Harness(max_reconnects=2)
    job, opened = joined(h)
    sid = h.open(opened)
    for _ in range(2):
        reopen = only(h.feed(h.machine.receive_stream_error(sid, ConnectionLostError("reset"))), OpenStream)
        assert reopen.delay > 0  # nothing said, not closed: back off from the first retry
        sid = h.open([reopen])
    h.feed(h.machine.receive_stream_error(sid, ConnectionLostError("reset")))
    error = h.terminal(job).error
    assert type(error) is ConnectionLostError and "2 reconnects" in str(error)


def test_outputs_are_progress_and_refill_the_budget() -> None:
    """A generator whose every stream brings one output: never a stall, always a quick reopen."""
    h = Harness("sse_v1", max_reconnects=2)  # full values, no diffs
    job, opened = joined(h)
    sid = h.open(opened)
    for n in range(10):
        h.data(sid, ESTIMATION, {"msg": "process_generating", "event_id": "E1",
                                 "output": {"data": [str(n)]}, "success": True}, CLOSE)
        reopen = only(h.feed(h.machine.receive_stream_eof(sid)), OpenStream)
        assert reopen.delay == 0.0
        sid = h.open([reopen])
    h.data(sid, completed("E1", ["done"]))
    assert h.terminal(job) == JobSucceeded(job=job, data=["done"])
    assert len(h.outputs(job)) == 10


def test_an_empty_generating_message_is_not_progress() -> None:
    h = Harness(max_reconnects=3)
    job, opened = joined(h)
    empty = {"msg": "process_generating", "event_id": "E1", "output": {}, "success": False}
    opens, _ = endless(h, h.open(opened), empty, CLOSE)
    assert opens == 4 and isinstance(h.terminal(job).error, StalledStreamError)


def test_each_job_has_its_own_budget() -> None:
    """Job a makes progress on every stream, job b never does: b fails, a goes on."""
    h = Harness("sse_v1", max_reconnects=2)
    a, opened = joined(h, "EA")
    sid = h.open(opened)
    b, b_actions = h.submit()
    h.join(b_actions, "EB")
    for n in range(3):
        h.data(sid, {"msg": "estimation", "event_id": "EB", "rank": 0},
               {"msg": "process_generating", "event_id": "EA", "output": {"data": [n]}, "success": True})
        reopen = only(h.feed(h.machine.receive_stream_eof(sid)), OpenStream)
        sid = h.open([reopen])
    assert isinstance(h.terminal(b).error, StalledStreamError)
    assert h.machine.phase(a) is Phase.WAITING
    h.data(sid, completed("EA", ["a"]))
    assert h.terminal(a) == JobSucceeded(job=a, data=["a"])


def test_a_join_named_just_before_close_stream_gets_a_quick_retry() -> None:
    """The server may close the stream before it sees a new join (nothing else pending)."""
    h = Harness()
    a, opened = joined(h, "EA")
    sid = h.open(opened)
    b, b_actions = h.submit()
    h.data(sid, completed("EA", [1]))
    h.join(b_actions, "EB")
    h.data(sid, CLOSE)
    reopen = only(h.feed(h.machine.receive_stream_eof(sid)), OpenStream)
    assert reopen.delay == 0.0
    # the second fruitless end backs off
    sid = h.open([reopen])
    h.data(sid, CLOSE)
    assert only(h.feed(h.machine.receive_stream_eof(sid)), OpenStream).delay > 0


# ------------------------------------------------------------------ undecodable messages


def deep(levels: int, event_id: str | None = "E1", tag: str = "process_completed") -> bytes:
    head = json.dumps({"msg": tag, "event_id": event_id})[:-1].encode()
    return head + b', "output": {"data": [' + b"[" * levels + b"]" * levels + b"]}, \"success\": true}"


@pytest.mark.parametrize("levels", [5_000, 100_000])
def test_a_message_too_deep_to_decode_fails_its_job_without_a_reopen(levels: int) -> None:
    """Issue 12 item 3: RecursionError in the decoder used to escape as a transport error."""
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    actions = h.feed(h.machine.receive_stream_data(sid, b"data: " + deep(levels) + b"\n\n"))
    assert not any(isinstance(a, OpenStream) for a in actions)
    error = h.terminal(job).error
    assert isinstance(error, MalformedMessageError) and isinstance(error, RemoteProtocolError)
    assert "RecursionError" in str(error) and error.event_id == "E1"


def test_deep_message_on_a_per_job_stream_fails_that_job() -> None:
    h = Harness("ws")
    job, actions = h.submit()
    sid = actions[0].stream_id  # OpenWebSocket
    h.feed(h.machine.receive_ws_message(sid, deep(5_000, None).decode()))
    assert isinstance(h.terminal(job).error, MalformedMessageError)


@pytest.mark.parametrize("tag", ["process_completed", "process_generating", "process_streaming"])
def test_a_result_without_a_readable_event_id_fails_the_jobs_it_may_belong_to(tag: str) -> None:
    h = Harness()
    a, opened = joined(h, "EA")
    sid = h.open(opened)
    b, b_actions = h.submit()  # still joining: its event could be the one
    h.data(sid, {"msg": tag, "event_id": 42, "output": {"data": [1]}, "success": True})
    for job in (a, b):
        error = h.terminal(job).error
        assert isinstance(error, MalformedMessageError) and "$.event_id" in str(error)


@pytest.mark.parametrize(
    "raw",
    [b"data: {not json\n\n", b"data: [1, 2]\n\n", b'data: {"msg": "estimation", "event_id": 5}\n\n',
     b'data: {"msg": "brand_new", "event_id": [1]}\n\n', b"data: " + deep(5_000, None, "estimation") + b"\n\n"],
)
def test_noise_without_a_readable_event_id_is_only_a_notice(raw: bytes) -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    actions = h.feed(h.machine.receive_stream_data(sid, raw))
    assert [type(a) for a in actions] == [Notice]
    assert h.machine.phase(job) is Phase.WAITING


def test_an_undecodable_early_message_fails_the_job_when_it_is_named() -> None:
    h = Harness()
    a, opened = joined(h, "EA")
    sid = h.open(opened)
    b, b_actions = h.submit()
    h.feed(h.machine.receive_stream_data(sid, b"data: " + deep(5_000, "EB") + b"\n\n"))
    assert h.machine.phase(b) is Phase.JOINING
    h.join(b_actions, "EB")
    assert isinstance(h.terminal(b).error, MalformedMessageError)
    assert h.machine.phase(a) is Phase.WAITING


def test_an_undecodable_message_for_an_unknown_event_is_dropped() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.feed(h.machine.receive_stream_data(sid, b"data: " + deep(5_000, "nobody") + b"\n\n"))
    assert any("unknown event nobody" in n for n in h.notices())
    assert h.machine.phase(job) is Phase.WAITING


def test_peek_header_reads_only_the_leading_fields() -> None:
    assert peek_header(b' { "msg" : "x" , "event_id": null, "output": [[[') == ("x", None)
    assert peek_header('{"event_id":"e","msg":"y"}') == ("y", "e")
    assert peek_header(b'{"output": {"event_id": "inner"}, "msg": "x"}') == (None, None)
    assert peek_header(b"[1]") == (None, None)
    assert peek_header(b'{"msg": "x", "msg": "z"}') == ("x", None)


# ------------------------------------------------------------------ advisory fields


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"msg": "estimation", "rank": 1.5, "queue_size": 3}, "rank"),
        ({"msg": "estimation", "rank": -1, "queue_size": 3}, "rank"),
        ({"msg": "estimation", "rank": 10**30, "queue_size": 3}, "rank"),
        ({"msg": "estimation", "rank": 0, "queue_size": "many"}, "queue_size"),
        ({"msg": "estimation", "rank": 0, "rank_eta": -3.0}, "rank_eta"),
        ({"msg": "estimation", "rank": 0, "rank_eta": 1e300}, "rank_eta"),
        ({"msg": "process_starts", "eta": "soon"}, "eta"),
        ({"msg": "progress", "progress_data": [{"index": -1, "length": 10}]}, "progress_data[0].index"),
        ({"msg": "progress", "progress_data": [{"index": 1, "length": 10}, "x"]}, "progress_data[1]"),
        ({"msg": "progress", "progress_data": {"index": 1}}, "progress_data"),
        ({"msg": "log", "log": ["not", "text"], "level": "info"}, "log"),
        ({"msg": "process_completed", "output": {"data": [7], "duration": "slow"}, "success": True}, "output.duration"),
    ],
)
def test_an_unreadable_advisory_field_is_dropped_with_a_notice(message: dict[str, Any], field: str) -> None:
    """Issue 12 item 6: it used to fail the whole job."""
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.data(sid, {**message, "event_id": "E1"})
    notes = [a for a in h.of(Notice) if "unreadable field" in a.message]
    assert len(notes) == 1 and f"$.{field}" in notes[0].message and notes[0].job == job
    if message["msg"] == "process_completed":
        assert h.terminal(job) == JobSucceeded(job=job, data=[7])
        return
    assert h.machine.phase(job) is Phase.WAITING
    update = h.of(EmitStatus, job)[-1].update
    dropped = {"rank_eta": "eta"}.get(field, field)
    if dropped in ("rank", "queue_size", "eta"):
        assert getattr(update, dropped) is None
    h.data(sid, completed("E1", [1]))
    assert h.terminal(job) == JobSucceeded(job=job, data=[1])


def test_repairs_name_every_dropped_field_and_keep_the_rest() -> None:
    message, repairs = decode_with_repairs(
        b'{"msg":"estimation","event_id":"E","rank":2,"queue_size":-4,"rank_eta":"x","queue_eta":3}'
    )
    assert (message.rank, message.queue_size, message.rank_eta, message.queue_eta) == (2, None, None, 3.0)
    assert [r.split(":")[0] for r in repairs] == ["$.queue_size", "$.rank_eta"]
    message, repairs = decode_with_repairs(b'{"msg":"estimation","event_id":"E","rank":2}')
    assert repairs == ()


@pytest.mark.parametrize(
    "message",
    [
        {"msg": "process_completed", "output": {"data": "x"}, "success": True},
        {"msg": "process_completed", "output": {"data": [1], "error": 5}, "success": False},
        {"msg": "process_completed", "output": 5, "success": True},
        {"msg": "process_generating", "output": {"data": [1]}, "success": "yes"},
    ],
)
def test_a_wrong_result_field_still_fails_the_job(message: dict[str, Any]) -> None:
    h = Harness()
    job, opened = joined(h)
    h.data(h.open(opened), {**message, "event_id": "E1"})
    assert isinstance(h.terminal(job).error, MalformedMessageError)


# ------------------------------------------------------------------ status history


def test_repeated_identical_statuses_are_capped() -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    for _ in range(200):
        h.data(sid, ESTIMATION)
    assert h.statuses(job).count("IN_QUEUE") == MAX_REPEATS + 1
    h.data(sid, {**ESTIMATION, "rank": 5})  # a change goes out, and resets the count
    h.data(sid, ESTIMATION)
    assert h.statuses(job).count("IN_QUEUE") == MAX_REPEATS + 3


def test_advisory_statuses_per_job_are_capped() -> None:
    h = Harness()
    h.machine = QueueMachine(h.machine.config, "S", max_status_updates=10)
    job, opened = joined(h)
    sid = h.open(opened)
    for rank in range(50):
        h.data(sid, {**ESTIMATION, "rank": rank})
    assert h.statuses(job).count("IN_QUEUE") == 10
    assert sum("later ones are dropped" in n for n in h.notices()) == 1
    h.data(sid, {"msg": "process_generating", "event_id": "E1", "output": {"data": [1]}, "success": True})
    h.data(sid, completed("E1", [2]))
    assert h.statuses(job)[-2:] == ["ITERATING", "FINISHED"]  # outputs and the end always go out


def test_ending_a_job_twice_is_a_local_protocol_error_not_an_assert() -> None:
    h = Harness()
    job, opened = joined(h)
    state: _Job = h.machine._jobs[job]
    h.feed(h.machine.cancel(job, now=0.0))
    with pytest.raises(LocalProtocolError, match="cannot move from DONE to DONE"):
        h.machine._end(state, JobFailed(job=job, error=ConnectionLostError("x")))


def test_decode_message_is_decode_with_repairs_without_the_repairs() -> None:
    raw = b'{"msg":"estimation","event_id":"E","rank":-1,"queue_size":2}'
    message, repairs = decode_with_repairs(raw)
    assert decode_message(raw) == message and repairs
    units = ProgressUnit.from_msg([{"index": 1, "length": 4, "unit": "steps", "desc": "x"}])
    assert units == [ProgressUnit(1, 4, "steps", None, "x")]


def test_websocket_frames_for_a_closed_socket_are_ignored() -> None:
    h = Harness("ws")
    job, actions = h.submit()
    sid = actions[0].stream_id
    h.feed(h.machine.cancel(job, now=0.0))
    assert h.machine.receive_ws_message(sid, '{"msg": "send_hash"}') == []


def test_numbers_beyond_float_range_are_read_as_the_official_client_reads_them() -> None:
    """msgspec refuses ``1e999``; Python's json reads it as infinity (so does the official
    client).  In an advisory field it is then dropped; in output data it is kept."""
    h = Harness()
    job, opened = joined(h)
    sid = h.open(opened)
    h.feed(h.machine.receive_stream_data(
        sid, b'data: {"msg":"estimation","event_id":"E1","rank":0,"rank_eta":1e999}\n\n'))
    assert h.machine.phase(job) is Phase.WAITING
    assert any("$.rank_eta" in n for n in h.notices())
    h.feed(h.machine.receive_stream_data(
        sid, b'data: {"msg":"process_completed","event_id":"E1","output":{"data":[1e999]},"success":true}\n\n'))
    end = h.terminal(job)
    assert isinstance(end, JobSucceeded) and end.data == [float("inf")]


DEEP_BODY = b'{"event_id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def test_a_join_reply_too_deep_to_decode_fails_the_job() -> None:
    """It used to raise RecursionError out of receive_response (and end the trio client)."""
    h = Harness()
    job, actions = h.submit()
    h.feed(h.machine.receive_response(only(actions, Post).request_id, 200, DEEP_BODY))
    error = h.terminal(job).error
    assert isinstance(error, RemoteProtocolError) and "without an event_id" in str(error)


@pytest.mark.parametrize("status", [200, 500, 404])
def test_an_unqueued_reply_too_deep_to_decode_fails_the_job(status: int) -> None:
    h = Harness("ws", unqueued_fns=frozenset({0}))
    job, actions = h.submit(0, [1])
    h.feed(h.machine.receive_response(only(actions, Post).request_id, status, DEEP_BODY))
    assert isinstance(h.terminal(job), JobFailed)
