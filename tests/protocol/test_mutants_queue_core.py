"""Tests written for mutants of protocol/queue/{wire,core,state}.py that survived the queue
machine's own tests (the rest are in ``test_mutants_queue_rules.py``).

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
    Notice,
    OpenStream,
    OpenWebSocket,
    Post,
)
from gradio_client.protocol.errors import ConnectionLostError, StalledStreamError

from .machine_helpers import Harness, completed, only
from .test_mutants_queue_rules import joined, session_stream

# ------------------------------------------------------------------ wire.py: joins and cancels


def failed_cancels(h: Harness, posts: list[Post]) -> list[str]:
    """Each cancel request fails without a reply: each is a notice (and fails no job)."""
    for post in posts:
        h.feed(h.machine.receive_request_error(post.request_id, ConnectionLostError("refused")))
    assert not h.of(JobFailed)
    return [n for n in h.notices() if "cancel request failed" in n]


def test_a_canceller_and_a_reset_that_fail_are_notices() -> None:
    h = Harness("sse_v1", cancel_route=False, cancel_fns={0: 5})
    job, opened = joined(h)
    h.open([session_stream(opened)])
    posts = [a for a in h.feed(h.machine.cancel(job, now=0.0)) if isinstance(a, Post)]
    assert [p.path for p in posts] == ["/api/predict/", "/reset"]
    assert json.loads(posts[0].body) == {"data": [], "fn_index": 5, "session_hash": "S"}
    assert len(failed_cancels(h, posts)) == 2


def test_a_websocket_reset_that_fails_is_a_notice() -> None:
    h = Harness("ws")
    job, actions = h.submit(2)
    only(actions, OpenWebSocket)
    reset = only(h.feed(h.machine.cancel(job, now=0.0)), Post)
    assert (reset.path, json.loads(reset.body)) == ("/reset", {"session_hash": "S", "fn_index": 2})
    assert len(failed_cancels(h, [reset])) == 1


def test_the_no_cancel_route_notice_names_the_job() -> None:
    h = Harness("sse_v1", cancel_route=False)
    job, _opened = joined(h)
    h.feed(h.machine.cancel(job, now=0.0))
    (notice,) = h.of(Notice)
    assert notice.job == job and "no cancel route" in notice.message


def test_an_unqueued_websocket_endpoint_posts_its_join_body_to_predict() -> None:
    h = Harness("ws", unqueued_fns=frozenset({4}))
    job, actions = h.machine.submit(4, [1, "x"], now=0.0, extra={"event_data": {"k": 1}})
    post = only(actions, Post)
    assert post.path == "/api/predict/" and post.job == job
    assert json.loads(post.body) == {"data": [1, "x"], "fn_index": 4, "session_hash": "S", "event_data": {"k": 1}}


@pytest.mark.parametrize("read_timeout", [7.5, None])
def test_a_per_job_event_stream_uses_the_configured_read_timeout(read_timeout: float | None) -> None:
    h = Harness("sse", stream_read_timeout=read_timeout, api_prefix="/p")
    _, actions = h.submit(3)
    stream = only(actions, OpenStream)
    assert stream.read_timeout == read_timeout
    assert stream.path == "/p/queue/join?fn_index=3&session_hash=S"


def test_only_running_siblings_of_the_same_endpoint_and_session_get_the_grace() -> None:
    h = Harness(cancel_grace=2.0)
    ids: dict[str, int] = {}
    sid = None
    for name, fn in (("victim", 1), ("sibling", 1), ("other_fn", 2), ("queued", 1)):
        ids[name], opened = joined(h, name, fn=fn)
        streams = [a for a in opened if isinstance(a, OpenStream)]
        if streams:
            sid = h.open(streams)
    assert sid is not None
    for name in ("victim", "sibling", "other_fn"):
        h.data(sid, {"msg": "process_starts", "event_id": name, "eta": None})
    h.feed(h.machine.cancel(ids["victim"], now=10.0))
    assert h.machine.next_deadline() == 12.0
    h.feed(h.machine.tick(12.0))
    h.feed(h.machine.tick(100.0))
    cancelled = {a.job for a in h.of(JobCancelled)}
    assert cancelled == {ids["victim"], ids["sibling"]}
    assert set(h.machine.pending_jobs()) == {ids["other_fn"], ids["queued"]}


# ------------------------------------------------------------------ core.py: ending jobs


def final_status(h: Harness, job: int) -> Any:
    return [a.update for a in h.log if getattr(a, "job", None) == job and hasattr(a, "update")][-1]


@pytest.mark.parametrize(("how", "code", "success"), [
    ("complete", "FINISHED", True), ("fail", "FINISHED", False), ("cancel", "CANCELLED", False)])
def test_the_final_status_says_how_the_job_ended(how: str, code: str, success: bool) -> None:
    h = Harness()
    job, opened = joined(h)
    sid = h.open([session_stream(opened)])
    if how == "complete":
        h.data(sid, completed("E1", [1]))
    elif how == "fail":
        h.data(sid, {"msg": "process_completed", "event_id": "E1", "success": False, "output": {"error": "x"}})
    else:
        h.feed(h.machine.cancel(job, now=0.0))
    update = final_status(h, job)
    assert update.code.name == code and update.success is success


def test_an_ended_job_leaves_no_deadline_behind() -> None:
    h = Harness(event_ack_timeout=10.0)
    job, opened = joined(h)
    h.open([session_stream(opened)])
    h.feed(h.machine.tick(0.0))
    assert h.machine.next_deadline() == 10.0
    h.feed(h.machine.cancel(job, now=1.0))
    assert h.machine.next_deadline() is None


def test_a_join_cancelled_in_flight_no_longer_holds_early_messages() -> None:
    """With no join in flight, a message for an unknown event belongs to nobody."""
    h = Harness()
    _, opened = joined(h, "E1")
    sid = h.open([session_stream(opened)])
    late, _ = h.submit()
    h.feed(h.machine.cancel(late, now=0.0))
    h.data(sid, {"msg": "estimation", "event_id": "EX", "rank": 0, "queue_size": 1})
    assert any("unknown event EX" in n for n in h.notices())


def test_two_jobs_named_with_one_event_id_both_end() -> None:
    h = Harness()
    first, opened = joined(h, "E1")
    sid = h.open([session_stream(opened)])
    second, _ = joined(h, "E1")  # a server that repeats an event id
    h.data(sid, completed("E1", [1]))
    assert h.terminal(second) == JobSucceeded(job=second, data=[1])
    h.feed(h.machine.cancel(first, now=0.0))
    assert isinstance(h.terminal(first), JobCancelled)


def early(h: Harness, sid: int, event_id: str, n: int = 1) -> None:
    for _ in range(n):
        h.data(sid, {"msg": "estimation", "event_id": event_id, "rank": 0, "queue_size": 1})


def too_many(h: Harness) -> list[str]:
    return [n for n in h.notices() if "Too many early messages" in n]


def test_the_early_buffer_is_emptied_when_the_last_job_ends() -> None:
    h = Harness(early_message_limit=2)
    _, opened = joined(h, "E1")
    sid = h.open([session_stream(opened)])
    waiting, _ = h.submit()
    early(h, sid, "EX", 2)  # kept: a join is in flight
    h.feed(h.machine.cancel(waiting, now=0.0))
    h.data(sid, completed("E1", [1]))  # no job left: the buffer is dropped
    _second, opened = joined(h, "E2")
    h.submit()
    early(h, sid, "EY", 2)
    assert not too_many(h)
    early(h, sid, "EY")
    assert too_many(h)


def test_early_messages_of_a_join_cancelled_in_flight_are_dropped_when_it_is_named() -> None:
    h = Harness(early_message_limit=3)
    _, opened = joined(h, "E1")
    sid = h.open([session_stream(opened)])
    cancelled, cancelled_join = h.submit()
    h.submit()  # keeps a join in flight
    h.feed(h.machine.cancel(cancelled, now=0.0))
    early(h, sid, "EA", 2)
    early(h, sid, "EZ")
    h.join(cancelled_join, "EA")  # its two early messages go
    early(h, sid, "EY", 2)
    assert not too_many(h)
    early(h, sid, "EY")
    assert too_many(h)


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_exactly_tombstone_limit_ended_events_are_remembered(limit: int) -> None:
    h = Harness(tombstone_limit=limit)
    sid = None
    for n in range(limit + 1):
        _, opened = joined(h, f"E{n}")
        streams = [a for a in opened if isinstance(a, OpenStream)]
        sid = h.open(streams) if streams else sid
        assert sid is not None
        h.data(sid, completed(f"E{n}", [n]))
    assert sid is not None
    for n in range(limit + 1):
        early(h, sid, f"E{n}")
    dropped = [n for n in h.notices() if "unknown event" in n]
    assert dropped == ["Dropped a message for unknown event E0."]


# ------------------------------------------------------------------ core.py: sessions and streams


def test_an_old_session_whose_job_stalls_out_is_forgotten_cleanly() -> None:
    h = Harness(max_reconnects=0)
    job, opened = joined(h)
    sid = h.open([session_stream(opened)])
    h.feed(h.machine.reset_session("T"))
    after = h.feed(h.machine.receive_stream_eof(sid))
    assert isinstance(h.terminal(job).error, StalledStreamError)
    assert not [a for a in after if isinstance(a, OpenStream)]
    assert h.machine.receive_stream_eof(sid) == []


def test_a_session_hash_used_again_starts_afresh() -> None:
    """A forgotten session keeps nothing, such as its heartbeat's failure count."""
    h = Harness(heartbeat=True)
    sid = only(h.feed(h.machine.start()), OpenStream).stream_id
    for _ in range(3):  # three failures in a row: the next wait is 4 s
        sid = only(h.feed(h.machine.receive_stream_error(sid, ConnectionLostError("x"))), OpenStream).stream_id
    h.feed(h.machine.reset_session("T"))
    sid = only(h.feed(h.machine.reset_session("S")), OpenStream).stream_id
    assert only(h.feed(h.machine.receive_stream_error(sid, ConnectionLostError("x"))), OpenStream).delay == 1.0


def test_the_session_stream_uses_the_configured_read_timeout() -> None:
    h = Harness(stream_read_timeout=7.5)
    _, opened = joined(h)
    assert session_stream(opened).read_timeout == 7.5
    assert only(Harness(heartbeat=True, stream_read_timeout=7.5).machine.start(), OpenStream).read_timeout == 7.5


def test_requests_go_at_once_unless_a_delay_is_asked() -> None:
    h = Harness()
    job, actions = h.submit()
    assert only(actions, Post).delay == 0.0
    h.join(actions, "E1")
    assert only(h.feed(h.machine.cancel(job, now=0.0)), Post).delay == 0.0


def test_reopen_delays_follow_the_documented_curve() -> None:
    """docs: 0.25 s doubling up to 8 s (0.25, 0.5, 1, 2, 4, 8, 8, ...)."""
    h = Harness(max_reconnects=8)
    _, opened = joined(h)
    sid = h.open([session_stream(opened)])
    delays = []
    for _ in range(8):
        reopen = only(h.feed(h.machine.receive_stream_error(sid, ConnectionLostError("x"))), OpenStream)
        delays.append(reopen.delay)
        sid = h.open([reopen])
    assert delays == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


# ------------------------------------------------------------------ core.py: advisory statuses


def test_the_status_cap_notice_comes_once_at_the_first_dropped_status_and_names_the_job() -> None:
    from gradio_client.protocol.machine import MachineConfig, QueueMachine

    h = Harness()
    h.machine = QueueMachine(MachineConfig(protocol="sse_v3", api_prefix="/gradio_api"), "S", max_status_updates=3)
    job, opened = joined(h)
    sid = h.open([session_stream(opened)])
    for rank in range(4):
        h.data(sid, {"msg": "estimation", "event_id": "E1", "rank": rank, "queue_size": 9})
    assert h.statuses(job) == ["IN_QUEUE"] * 3
    (notice,) = h.of(Notice)
    assert notice.job == job and "3" in notice.message
    for rank in range(4, 8):
        h.data(sid, {"msg": "estimation", "event_id": "E1", "rank": rank, "queue_size": 9})
    assert len(h.of(Notice)) == 1


@pytest.mark.parametrize(("prefix", "path"), [
    ("/gradio_api/", "/gradio_api/queue/join"), ("/X/", "/X/queue/join"), ("/", "/queue/join"), ("", "/queue/join")])
def test_the_api_prefix_loses_only_its_trailing_slash(prefix: str, path: str) -> None:
    h = Harness(api_prefix=prefix)
    _, actions = h.submit()
    assert only(actions, Post).path == path
    assert session_stream(h.join(actions, "E1")).path == path.replace("join", "data?session_hash=S")
