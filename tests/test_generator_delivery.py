"""A sync generator job's outputs reach each of its consumers once, whole and in order.

The thread shell hands a job's statuses and outputs on in runs (one step, one wake-up of a
waiting caller, for an ITERATING status and the output that came with it; issue 13).  These
tests run several generators at once on one session stream, so that runs of different
jobs interleave, and consume each job three ways at the same time: ``watch()``, iteration
and, at the end, ``outputs()`` and ``result()``; all must agree with what the app yields.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from gradio_client import Client, OutputUpdate, Status, StatusUpdate


@pytest.mark.parametrize("n", [1, 60])
def test_each_consumer_sees_every_output_once_in_order(gradio_app: str, n: int) -> None:
    with Client(gradio_app, verbose=False) as client:
        jobs = [client.submit(n, api_name="/count_fast") for _ in range(3)]
        iterated: dict[int, list[Any]] = {}

        def iterate(i: int) -> None:
            iterated[i] = list(jobs[i])

        threads = [threading.Thread(target=iterate, args=(i,)) for i in range(len(jobs))]
        for thread in threads:
            thread.start()
        watched = [list(job.watch()) for job in jobs]
        for thread in threads:
            thread.join(60)
        expected = list(range(n))
        for i, (job, events) in enumerate(zip(jobs, watched)):
            assert job.result(timeout=60) == n - 1
            outputs = [e.outputs for e in events if isinstance(e, OutputUpdate) and not e.final]
            assert outputs == expected
            assert iterated[i] == expected
            assert job.outputs() == expected
            for k, event in enumerate(events):
                if isinstance(event, OutputUpdate) and not event.final:
                    before = events[k - 1]  # the status that came with it, just before
                    assert isinstance(before, StatusUpdate)
                    assert before.code is Status.ITERATING
                    assert before.time <= event.time
            last = events[-1]
            final = events[-2]
            assert isinstance(last, StatusUpdate) and last.code is Status.FINISHED
            assert isinstance(final, OutputUpdate) and final.final and final.outputs == n - 1
            iterating = [u for u in job.updates() if u.code is Status.ITERATING]
            assert len(iterating) == n
