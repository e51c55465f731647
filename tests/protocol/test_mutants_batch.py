"""batch.py tests written for mutants that survived the scheduler tests (docs/mutation.md)."""

from __future__ import annotations

import pytest

from gradio_client.protocol.batch import Outcome, classify, retry_after
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
