"""status.py tests written for mutants that survived the pure tests (docs/mutation.md).

``delivered`` was tested only through the clients (tests/test_client_compat.py); these are
its rules as properties of the core alone.
"""

from __future__ import annotations

import dataclasses
import itertools

from hypothesis import given
from hypothesis import strategies as st

from gradio_client.protocol.status import Status, StatusUpdate, delivered

TERMINAL = {Status.FINISHED, Status.CANCELLED}

updates = st.builds(
    StatusUpdate,
    code=st.sampled_from(list(Status)),
    rank=st.none() | st.integers(0, 10),
    queue_size=st.none() | st.integers(0, 10),
    eta=st.none() | st.floats(0, 100),
    success=st.none() | st.booleans(),
    process_eta=st.none() | st.floats(0, 100),
)


def test_status_order_is_strict_and_follows_ordering() -> None:
    for a, b in itertools.product(Status, repeat=2):
        assert (a < b) == (Status.ordering(a) < Status.ordering(b)), (a, b)
    assert not Status.LOG < Status.PROGRESS and not Status.PROGRESS < Status.LOG
    assert sorted([Status.CANCELLED, Status.STARTING, Status.PROCESSING]) == [
        Status.STARTING, Status.PROCESSING, Status.CANCELLED,
    ]


@given(updates, st.integers())
def test_delivered_follows_the_official_values(update: StatusUpdate, now: int) -> None:
    before = dataclasses.replace(update)
    seen = delivered(update, now)
    assert update == before  # the core's status is not touched
    assert seen.time == now
    assert set(vars(seen)) == set(vars(update))
    expected = dataclasses.replace(update, time=now)
    if update.code in TERMINAL:
        expected.rank = 0
    elif update.code is Status.PROCESSING and update.eta is not None:
        expected.process_eta, expected.eta = update.eta, None
    assert seen == expected
    if update.code is Status.PROCESSING:
        assert seen.eta is None


@given(updates, st.integers(), st.integers())
def test_delivering_a_delivered_status_changes_only_its_time(update: StatusUpdate, t1: int, t2: int) -> None:
    assert delivered(delivered(update, t1), t2) == delivered(update, t2)
