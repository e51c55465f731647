"""batch.py tests written for mutants that survived the scheduler tests (docs/mutation.md)."""

from __future__ import annotations

import pytest

from gradio_client.protocol.batch import BatchScheduler, Outcome, classify, retry_after
from gradio_client.protocol.errors import HTTPStatusError, TooManyRequestsError


@pytest.mark.parametrize(
    ("status", "accepted", "outcome"),
    [
        (499, False, Outcome.FINAL),  # a client error: retrying cannot help
        (400, True, Outcome.FINAL),
        (500, False, Outcome.NOT_RUN),  # server errors may pass: retried
        (500, True, Outcome.UNKNOWN),  # ... unless the server may have run it
        (503, True, Outcome.UNKNOWN),
        (408, False, Outcome.NOT_RUN),  # request timeout and too early are retried too
        (425, False, Outcome.NOT_RUN),
        (409, False, Outcome.FINAL),
        (426, False, Outcome.FINAL),
    ],
)
def test_http_status_outcomes(status: int, accepted: bool, outcome: Outcome) -> None:
    assert classify(HTTPStatusError("x", status), accepted) is outcome


@pytest.mark.parametrize(("value", "seconds"), [(0, 0.0), (0.5, 0.5), (3, 3.0), (-1, None), (None, None)])
def test_retry_after_takes_any_non_negative_number(value: float | None, seconds: float | None) -> None:
    assert retry_after(TooManyRequestsError("slow down", value)) == seconds


def test_no_room_after_the_input_is_closed() -> None:
    scheduler = BatchScheduler([1])
    assert scheduler.room() > 0
    scheduler.close_input()
    assert scheduler.room() == 0


def _fail_once(scheduler: BatchScheduler, now: float, retry_after: float | None = None) -> float | None:
    """Start the one ready row at ``now``, fail it (not run); the next deadline."""
    (start,) = scheduler.start_ready(now)
    scheduler.finished(start.row, Outcome.NOT_RUN, now, retry_after=retry_after)
    return scheduler.next_deadline()


def test_retries_back_off_doubling_and_the_replica_shows_cooling() -> None:
    scheduler = BatchScheduler([1], retries=5, backoff=0.5, max_backoff=30.0)
    scheduler.add(0, "payload")
    scheduler.close_input()
    assert _fail_once(scheduler, 0.0) == 0.5
    assert scheduler.stats()[0].cooling
    assert _fail_once(scheduler, 0.5) == 1.5
    assert _fail_once(scheduler, 1.5) == 3.5


def test_a_retry_after_of_zero_retries_at_once() -> None:
    scheduler = BatchScheduler([1], retries=5, backoff=0.5)
    scheduler.add(0, "payload")
    assert _fail_once(scheduler, 10.0, retry_after=0.0) == 10.0


def test_the_default_window_is_four_rows_per_slot_at_least_sixteen() -> None:
    assert BatchScheduler([5]).room() == 20
    assert BatchScheduler([1, 2]).room() == 16


def _first_replica(scheduler: BatchScheduler) -> int:
    scheduler.add(0, "payload")
    (start,) = scheduler.start_ready(0.0)
    return start.replica


@pytest.mark.parametrize(
    ("hints", "replica"),
    [
        ([], 0),  # a tie goes to the first replica
        ([(0, 5, None)], 1),  # the shorter queue wins
        ([(0, 5, None), (0, 0, None)], 0),  # a queue of 0 is a hint too
        ([(0, None, 5.0)], 1),  # the shorter ETA wins
        ([(0, None, 5.0), (0, None, 0.0)], 0),
        ([(0, 3, None), (0, None, None)], 1),  # None leaves a hint as it was
    ],
)
def test_load_hints_pick_the_less_loaded_replica(
    hints: list[tuple[int, float | None, float | None]], replica: int
) -> None:
    scheduler = BatchScheduler([1, 1])
    for hint in hints:
        scheduler.report_load(*hint)
    assert _first_replica(scheduler) == replica


def test_free_slots_count_relative_to_each_replica_size() -> None:
    scheduler = BatchScheduler([2, 1])
    for row in range(2):
        scheduler.add(row, "payload")
    assert [start.replica for start in scheduler.start_ready(0.0)] == [0, 1]


@pytest.mark.parametrize(("ordered", "handed"), [(False, [1]), (True, [])])
def test_unordered_rows_are_handed_out_as_they_finish(ordered: bool, handed: list[int]) -> None:
    scheduler = BatchScheduler([2], ordered=ordered)
    scheduler.add(0, "a")
    scheduler.add(1, "b")
    assert len(scheduler.start_ready(0.0)) == 2
    assert [done.row for done in scheduler.finished(1, Outcome.OK, 0.0, value="B")] == handed


def test_a_success_counts_returns_the_value_and_leaves_the_replica_ready() -> None:
    scheduler = BatchScheduler([1])
    for row in range(2):
        scheduler.add(row, "payload")
        (start,) = scheduler.start_ready(0.0)
        (done,) = scheduler.finished(start.row, Outcome.OK, 0.0, value=f"v{row}")
        assert (done.row, done.value, done.error) == (row, f"v{row}", None)
    assert scheduler.stats()[0].done == 2 and not scheduler.stats()[0].cooling


@pytest.mark.parametrize(("outcome", "cooling"), [(Outcome.FINAL, False), (Outcome.NOT_RUN, True)])
def test_only_a_failure_of_the_server_cools_the_replica(outcome: Outcome, cooling: bool) -> None:
    scheduler = BatchScheduler([1], retries=0)
    scheduler.add(0, "payload")
    (start,) = scheduler.start_ready(0.0)
    (done,) = scheduler.finished(start.row, outcome, 0.0, error=ValueError("x"))
    assert isinstance(done.error, ValueError)
    assert scheduler.stats()[0].cooling is cooling


def test_failed_rows_are_counted_and_a_last_retry_after_is_honoured() -> None:
    scheduler = BatchScheduler([1], retries=0)
    for row in range(2):
        scheduler.add(row, "payload")
        (start,) = scheduler.start_ready(0.0)  # a Retry-After of 0: no cooling wait
        scheduler.finished(start.row, Outcome.NOT_RUN, 0.0, retry_after=0.0)
        assert scheduler.stats()[0].failed == row + 1
