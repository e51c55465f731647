"""Properties of the pure batch scheduler (gradio_client/protocol/batch.py).

A simulated driver adds rows as ``room()`` allows, starts what ``start_ready`` says, and ends
running attempts with outcomes hypothesis picks, advancing a fake clock to ``next_deadline``.
Whatever the program, the rules in the module's docstring hold.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gradio_client.protocol.batch import BatchScheduler, Outcome, RowDone, classify, retry_after
from gradio_client.protocol.errors import (
    AppError,
    ConnectionLostError,
    HTTPStatusError,
    QueueFullError,
    SessionNotFoundError,
    TooManyRequestsError,
    ValidationError,
)

OUTCOMES = list(Outcome)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.integers(0, 40),
    concurrency=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    retries=st.integers(0, 3),
    ordered=st.booleans(),
    window=st.one_of(st.none(), st.integers(1, 12)),
    data=st.data(),
)
def test_every_row_ends_once_within_limits(rows, concurrency, retries, ordered, window, data):
    sched = BatchScheduler(concurrency, retries=retries, ordered=ordered, window=window,
                           backoff=0.5, max_backoff=4.0)
    now = 0.0
    added: list[int] = []
    handed: list[RowDone] = []
    running: dict[int, int] = {}  # row -> replica
    attempts: dict[int, list[Outcome]] = {}
    next_row = 0
    for _step in range(5000):
        assert sched.room() >= 0
        held = len(added) - len(handed)
        assert held <= (window or max(16, 4 * sum(concurrency)))
        for start in sched.start_ready(now):
            assert start.row not in running, "a row started while it ran"
            assert start.payload == ("payload", start.row)
            running[start.row] = start.replica
            assert start.attempt == len(attempts.setdefault(start.row, [])) + 1
        for replica, limit in enumerate(concurrency):
            assert sum(1 for r in running.values() if r == replica) <= limit
        if sched.done():
            break
        deadline = sched.next_deadline()
        if deadline is not None:
            assert deadline > now, "a deadline that is already due after start_ready"
        moves = []
        if sched.room() and next_row < rows:
            moves.append("add")
        if next_row == rows and sched.room():
            moves.append("close")
        if running:
            moves.append("end")
        if deadline is not None:
            moves.append("wait")
        assert moves, "the run is stuck: nothing runs, nothing is due, no input is wanted"
        move = data.draw(st.sampled_from(moves), label="move")
        if move == "add":
            for _ in range(data.draw(st.integers(1, sched.room()), label="rows to add")):
                if next_row == rows:
                    break
                sched.add(next_row, ("payload", next_row))
                added.append(next_row)
                next_row += 1
        elif move == "close":
            sched.close_input()
        elif move == "end":
            row = data.draw(st.sampled_from(sorted(running)), label="row")
            outcome = data.draw(st.sampled_from(OUTCOMES), label="outcome")
            del running[row]
            attempts[row].append(outcome)
            error = None if outcome is Outcome.OK else RuntimeError(str(row))
            handed.extend(sched.finished(row, outcome, now, value=row, error=error))
        else:
            assert deadline is not None
            now = deadline
    assert sched.done(), "the run did not end"
    # every row handed out exactly once, in order when ordered
    assert sorted(r.row for r in handed) == list(range(rows))
    if ordered:
        assert [r.row for r in handed] == added
    for result in handed:
        seen = attempts[result.row]
        assert result.attempts == len(seen) <= retries + 1
        last = seen[-1]
        assert (result.error is None) == (last is Outcome.OK)
        assert all(o in (Outcome.NOT_RUN, Outcome.UNKNOWN) for o in seen[:-1]), \
            "a row went on after an OK or FINAL outcome"
        if last in (Outcome.NOT_RUN, Outcome.UNKNOWN):
            assert len(seen) == retries + 1, "a retryable failure ended a row with retries left"
        assert result.may_have_run == (Outcome.UNKNOWN in seen)


def test_retry_prefers_another_replica_and_honours_retry_after():
    sched = BatchScheduler([1, 1], retries=2, ordered=True, backoff=1.0, max_backoff=60.0)
    sched.add(0, "x")
    sched.close_input()
    (first,) = sched.start_ready(0.0)
    assert sched.finished(first.row, Outcome.NOT_RUN, 0.0, error=QueueFullError("full"),
                          retry_after=7.0) == []
    assert sched.start_ready(6.9) == []
    assert sched.next_deadline() == 7.0
    (second,) = sched.start_ready(7.0)
    assert second.replica != first.replica and second.attempt == 2


def test_a_dead_replica_cools_down_and_rows_move_to_the_other():
    sched = BatchScheduler([2, 2], retries=5, ordered=False, backoff=1.0, max_backoff=8.0)
    for i in range(4):
        sched.add(i, i)
    sched.close_input()
    starts = sched.start_ready(0.0)
    dead = [s for s in starts if s.replica == 0]
    for s in dead:
        sched.finished(s.row, Outcome.NOT_RUN, 0.0, error=ConnectionLostError("gone"))
    # replica 1 is still full and replica 0 cools down: nothing starts at once
    assert sched.start_ready(0.1) == []
    alive = [s for s in starts if s.replica == 1]
    sched.finished(alive[0].row, Outcome.OK, 0.2, value="ok")
    (moved,) = sched.start_ready(1.0)
    assert moved.replica == 1 and moved.row in {s.row for s in dead}


def test_classify_by_error_kind():
    assert classify(AppError("no"), accepted=True) is Outcome.FINAL
    assert classify(ValidationError("bad"), accepted=False) is Outcome.FINAL
    assert classify(QueueFullError("full"), accepted=False) is Outcome.NOT_RUN
    assert classify(TooManyRequestsError("slow", retry_after=3), accepted=False) is Outcome.NOT_RUN
    assert classify(ConnectionLostError("x"), accepted=False) is Outcome.NOT_RUN
    assert classify(ConnectionLostError("x"), accepted=True) is Outcome.UNKNOWN
    assert classify(SessionNotFoundError("x"), accepted=False) is Outcome.UNKNOWN
    assert classify(HTTPStatusError("x", 502), accepted=False) is Outcome.NOT_RUN
    assert classify(HTTPStatusError("x", 404), accepted=False) is Outcome.FINAL
    assert retry_after(TooManyRequestsError("slow", retry_after=3)) == 3.0
    assert retry_after(AppError("no")) is None


def test_misuse_is_a_typed_error():
    import pytest

    from gradio_client.protocol.errors import LocalProtocolError

    for bad in ({"concurrency": []}, {"concurrency": [0]}, {"concurrency": [1], "retries": -1},
                {"concurrency": [1], "window": 0}):
        with pytest.raises(ValueError):
            BatchScheduler(**bad)
    sched = BatchScheduler([1])
    sched.add(0, "a")
    with pytest.raises(LocalProtocolError, match="added twice"):
        sched.add(0, "b")
    with pytest.raises(LocalProtocolError, match="not running"):
        sched.finished(0, Outcome.OK, 0.0)
    with pytest.raises(LocalProtocolError, match="not running"):
        sched.replica_of(0)
    sched.close_input()
    with pytest.raises(LocalProtocolError, match="after close_input"):
        sched.add(1, "c")


def test_load_hints_pick_the_less_loaded_replica_and_stats_count():
    sched = BatchScheduler([2, 2], ordered=False)
    sched.report_load(0, queue_size=9, eta=30.0)
    sched.report_load(1, queue_size=1, eta=2.0)
    sched.report_load(1, queue_size=None, eta=-1.0)  # unknown or nonsense: kept as before
    sched.add(0, "a")
    (start,) = sched.start_ready(0.0)
    assert start.replica == 1 and sched.replica_of(0) == 1 and sched.running() == 1
    assert [s.running for s in sched.stats()] == [0, 1]
    sched.finished(0, Outcome.OK, 0.1, value=1)
    assert [(s.done, s.failed, s.cooling) for s in sched.stats()] == [(0, 0, False), (1, 0, False)]
    assert sched.running() == 0


def test_a_job_timeout_is_final():
    from gradio_client.protocol.errors import JobTimeoutError

    assert classify(JobTimeoutError("late"), accepted=True) is Outcome.FINAL
