"""The machine's clocks: job timeouts and the event-acknowledgement clock of unnamed jobs.

Both are kept so that a burst of thousands of jobs costs little per input: timeouts in a
heap (entries of ended jobs dropped lazily, and pruned before they outnumber the live ones),
acknowledgement clocks per session in join order.  These tests hold the observable rules
(which job ends when, what ``next_deadline`` says) against a plain model of them.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gradio_client.protocol.actions import JobFailed
from gradio_client.protocol.errors import JobTimeoutError, ReplicaMismatchError
from gradio_client.protocol.machine import Phase

from .machine_helpers import TERMINAL, Harness
from .mutant_queue_helpers import joined, session_stream

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("submit"), st.floats(0.0, 50.0)),
        st.tuples(st.just("cancel"), st.integers(0, 40)),
        st.tuples(st.just("tick"), st.floats(0.0, 20.0)),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(ops=OPS)
def test_timeouts_end_exactly_the_jobs_a_plain_model_expires(ops: list[tuple[str, float]]) -> None:
    """Model: a job times out at the first tick at or past submit time + timeout, unless it
    was cancelled before; ``next_deadline`` is the earliest deadline of a live job."""
    h = Harness()
    live: dict[int, float] = {}  # job -> deadline
    ids: list[int] = []
    for op, value in ops:
        if op == "submit":
            job, _ = h.submit(timeout=value)
            live[job] = h.now + value
            ids.append(job)
        elif op == "cancel" and ids:
            job = ids[int(value) % len(ids)]
            h.feed(h.machine.cancel(job, now=h.now))
            live.pop(job, None)
        elif op == "tick":
            h.now += value
            ended = {a.job for a in h.feed(h.machine.tick(h.now)) if isinstance(a, TERMINAL)}
            due = {job for job, when in live.items() if when <= h.now}
            assert ended == due
            for job in due:
                assert isinstance(h.terminal(job).error, JobTimeoutError)
                del live[job]
        assert h.machine.next_deadline() == (min(live.values()) if live else None)
        assert len(h.machine._timers) <= 2 * len(live) + 65  # ended jobs' entries pruned


def test_a_long_run_of_cancelled_jobs_leaves_no_timers_behind() -> None:
    h = Harness()
    for _ in range(5_000):
        job, _ = h.submit(timeout=3600.0)
        h.feed(h.machine.cancel(job, now=h.now))
        assert len(h.machine._timers) <= 65
    assert h.machine.next_deadline() is None


def test_ack_clocks_run_in_join_order_and_expire_one_by_one() -> None:
    h = Harness(event_ack_timeout=10.0)
    first, opened = joined(h, "E1")
    sid = h.open([session_stream(opened)])
    h.feed(h.machine.tick(1.0))  # E1's clock starts
    second, _ = joined(h, "E2")
    h.feed(h.machine.tick(2.0))  # E2's
    third, _ = joined(h, "E3")
    h.feed(h.machine.tick(3.0))  # E3's
    assert h.machine.next_deadline() == 11.0
    h.feed(h.machine.tick(11.0))
    assert isinstance(h.terminal(first).error, ReplicaMismatchError)
    assert h.machine.phase(second) is Phase.WAITING
    assert h.machine.next_deadline() == 12.0
    h.data(sid, {"msg": "estimation", "event_id": "E2", "rank": 0, "queue_size": 1})  # named
    assert h.machine.next_deadline() == 13.0
    h.feed(h.machine.tick(13.0))
    assert isinstance(h.terminal(third).error, ReplicaMismatchError)
    assert h.machine.phase(second) is Phase.WAITING
    assert h.machine.next_deadline() is None


def test_a_tick_that_finds_the_stream_closed_restarts_every_clock_of_its_session() -> None:
    h = Harness(event_ack_timeout=10.0)
    first, opened = joined(h, "E1")
    sid = h.open([session_stream(opened)])
    h.feed(h.machine.tick(1.0))
    second, _ = joined(h, "E2")
    h.feed(h.machine.tick(2.0))
    reopen = h.feed(h.machine.receive_stream_eof(sid))  # the stream ends; a reopen is asked
    assert session_stream(reopen)
    h.feed(h.machine.tick(5.0))  # not open: both clocks start again
    assert h.machine.next_deadline() == 15.0
    h.open([session_stream(reopen)])
    h.feed(h.machine.tick(14.0))
    assert not [a for a in h.log if isinstance(a, JobFailed)]
    h.feed(h.machine.tick(15.0))
    assert isinstance(h.terminal(first).error, ReplicaMismatchError)
    assert isinstance(h.terminal(second).error, ReplicaMismatchError)
