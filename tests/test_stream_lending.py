"""A sync generator's event stream lent to the caller iterating it (issue 13).

While a caller waits in ``Job.__next__`` for the outputs of the client's only job, the
thread shell lends it the event stream: the caller reads and feeds the next chunks itself
instead of being woken by the reader thread for each output.  These tests check what
that must not change: every output once and in order; a caller that stops iterating gets
its stream taken back (the job goes on without it); a second job is served; a cancel or a
timeout from elsewhere ends the caller's wait at once, even when the server says nothing
more (the hostile server's "hang": one output, then silence); an interrupt while waiting
leaves the stream whole.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from gradio_client import Client
from gradio_client.errors import CancelledError
from gradio_client.protocol.errors import JobTimeoutError
from gradio_client.protocol.machine import QueueMachine, watch_machines

from .hostile.fixtures import app, server  # noqa: F401 - fixtures
from .hostile.server import Fault, HostileServer


@pytest.fixture
def stream_feeds() -> Iterator[list[int]]:
    """The thread of every ``receive_stream_data`` input of the machines made meanwhile."""
    feeds: list[int] = []

    def factory(machine: QueueMachine) -> Any:
        def observe(name: str, inputs: Any, returned: Any) -> None:
            if name == "receive_stream_data":
                feeds.append(threading.get_ident())

        return observe

    stop = watch_machines(factory)
    try:
        yield feeds
    finally:
        stop()


@pytest.fixture
def hang(app: HostileServer) -> HostileServer:
    app.reset([Fault("stream", "hang")])
    return app


def test_the_caller_iterating_the_only_job_reads_its_stream(gradio_app: str, stream_feeds: list[int]) -> None:
    with Client(gradio_app, verbose=False) as client:
        job = client.submit(300, api_name="/count_fast")
        outputs = list(job)
        assert outputs == list(range(300))
        assert job.result(timeout=30) == 299
        assert job.outputs() == outputs
    here = stream_feeds.count(threading.get_ident())
    # the reader thread reads until the first output finds this caller waiting
    assert here >= len(stream_feeds) // 2, (here, len(stream_feeds))


def test_a_caller_that_stops_iterating_gets_its_stream_taken_back(gradio_app: str) -> None:
    with Client(gradio_app, verbose=False) as client:
        job = client.submit(6, 0.15, api_name="/sleep_gen")
        assert next(iter(job)) == 0  # the stream is lent to this caller now
        time.sleep(0.6)  # ... which does not read it: the reader thread must go on
        assert len(job.outputs()) >= 3, job.outputs()
        assert job.result(timeout=30) == 5
        assert client.predict("after", api_name="/echo") == "after"


def test_a_second_job_is_served_while_the_first_ones_caller_reads(gradio_app: str) -> None:
    with Client(gradio_app, verbose=False) as client:
        job = client.submit(8, 0.1, api_name="/sleep_gen")
        outputs = iter(job)
        assert next(outputs) == 0
        echoed: list[Any] = []
        other = threading.Thread(target=lambda: echoed.append(client.predict("x", api_name="/echo")))
        other.start()
        assert list(outputs) == list(range(1, 8))
        other.join(30)
        assert echoed == ["x"]
        assert job.result(timeout=30) == 7


def test_a_cancel_ends_the_wait_on_a_lent_stream_at_once(hang: HostileServer) -> None:
    with Client(hang.url, verbose=False, stream_read_timeout=20) as client:
        job = client.submit("bob", api_name="/greet")
        outputs = iter(job)
        assert next(outputs) == "Hello, bob!"
        threading.Timer(0.3, job.cancel).start()
        t0 = time.monotonic()
        assert list(outputs) == []  # the server never says anything more
        assert time.monotonic() - t0 < 5.0
        with pytest.raises(CancelledError):
            job.result(timeout=5)
        deadline = time.monotonic() + 5.0  # the cancel's POST goes out from a pool thread
        while not hang.cancelled and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hang.cancelled, "the server was not asked to cancel"


def test_a_timeout_ends_the_wait_on_a_lent_stream_at_once(hang: HostileServer) -> None:
    with Client(hang.url, verbose=False, stream_read_timeout=20) as client:
        t0 = time.monotonic()
        job = client.submit("bob", api_name="/greet", job_timeout=1.0)
        outputs = list(job)
        assert outputs == ["Hello, bob!"]
        assert time.monotonic() - t0 < 5.0
        with pytest.raises(JobTimeoutError):
            job.result(timeout=5)


def test_an_interrupt_while_waiting_leaves_the_lent_stream_whole(hang: HostileServer) -> None:
    main = threading.main_thread()
    if threading.current_thread() is not main:
        pytest.skip("signals reach the main thread only")
    with Client(hang.url, verbose=False, stream_read_timeout=20) as client:
        job = client.submit("bob", api_name="/greet")
        outputs = iter(job)
        assert next(outputs) == "Hello, bob!"
        streams = hang.count("stream")
        interrupt = threading.Timer(0.3, signal.pthread_kill, (main.ident, signal.SIGINT))
        watchdog = threading.Timer(10.0, job.cancel)  # a lost signal fails, not hangs
        interrupt.start()
        watchdog.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                next(outputs)
            time.sleep(0.5)
            # not broken: a broken stream would have been opened anew for the live job
            assert hang.count("stream") == streams
            assert not job.done()
            job.cancel()
            assert list(outputs) == []
        finally:
            watchdog.cancel()
