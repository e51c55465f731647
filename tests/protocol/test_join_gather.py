"""Gathering joins: the session stream of a burst opens once, after its joins.

A join reply that arrives while other joins of the same session are in flight does not open
the session stream; the stream opens at the reply to the last of them, or
``join_gather`` seconds after the first tick at the latest.  The server keeps a session's
messages until its stream comes, so nothing is lost, and the client reads a burst's results
in a few large reads instead of one wake-up per message while it is still sending joins.
"""

from __future__ import annotations

import pytest

from gradio_client.protocol.actions import JobFailed, OpenStream
from gradio_client.protocol.errors import ConnectionLostError
from gradio_client.protocol.machine import Phase

from .machine_helpers import Harness, completed
from .mutant_queue_helpers import session_stream


def session_opens(actions: list) -> list[OpenStream]:
    return [a for a in actions if isinstance(a, OpenStream) and "queue/data" in a.path]


def test_one_job_opens_its_stream_at_its_reply() -> None:
    h = Harness()
    _, join = h.submit()
    assert session_opens(h.join(join, "E1"))


@pytest.mark.parametrize("n", [2, 5, 40])
def test_a_burst_opens_one_stream_at_its_last_reply(n: int) -> None:
    h = Harness()
    jobs = [h.submit() for _ in range(n)]
    for i, (_, join) in enumerate(jobs):
        opened = session_opens(h.join(join, f"E{i}"))
        assert len(opened) == (1 if i == n - 1 else 0)
    sid = h.open(opened)
    h.data(sid, *[completed(f"E{i}", [i]) for i in range(n)])
    assert [h.terminal(job).data for job, _ in jobs] == [[i] for i in range(n)]


def test_a_join_that_stays_unanswered_holds_the_stream_back_at_most_join_gather() -> None:
    h = Harness(join_gather=2.0)
    h.now = 10.0
    first, join = h.submit()
    _, slow = h.submit()
    assert not session_opens(h.join(join, "E1"))
    assert h.machine.next_deadline() == 10.0  # tick now: the clock starts
    assert not session_opens(h.feed(h.machine.tick(10.5)))
    assert h.machine.next_deadline() == 12.5
    assert not session_opens(h.feed(h.machine.tick(12.4)))
    opened = session_opens(h.feed(h.machine.tick(12.5)))
    assert len(opened) == 1 and h.machine.phase(first) is Phase.WAITING
    assert not session_opens(h.join(slow, "E2"))  # the stream is there already
    assert h.machine.next_deadline() is None


@pytest.mark.parametrize("how", ["503", "reset"])
def test_a_failed_last_join_opens_the_stream_of_the_others(how: str) -> None:
    h = Harness()
    first, join = h.submit()
    second, failing = h.submit()
    assert not session_opens(h.join(join, "E1"))
    if how == "503":
        opened = session_opens(h.join(failing, "E2", status=503))
    else:
        post = [a for a in failing if a.__class__.__name__ == "Post"][0]
        opened = session_opens(
            h.feed(h.machine.receive_request_error(post.request_id, ConnectionLostError("reset")))
        )
    assert isinstance(h.terminal(second), JobFailed)
    assert len(opened) == 1 and h.machine.phase(first) is Phase.WAITING


def test_nothing_opens_when_every_gathered_job_ended_meanwhile() -> None:
    h = Harness()
    first, join = h.submit()
    second, failing = h.submit()
    h.join(join, "E1")
    h.feed(h.machine.cancel(first, now=0.0))
    assert not session_opens(h.join(failing, "E2", status=503))
    assert h.machine.next_deadline() is None


def test_a_join_waiting_to_retry_after_429_does_not_hold_the_stream_back() -> None:
    h = Harness()
    _, join = h.submit()
    limited, retried = h.submit()
    retry = h.join(retried, "E2", status=429)  # re-posted after a delay: not in flight
    assert h.machine.phase(limited) is Phase.JOINING and retry
    assert session_opens(h.join(join, "E1"))


def test_join_gather_zero_opens_at_the_first_reply() -> None:
    h = Harness(join_gather=0)
    _, join = h.submit()
    h.submit()
    assert session_stream(h.join(join, "E1"))
