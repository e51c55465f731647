"""The thread shell's worker pool: one thread for short work, more only behind long work."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from gradio_client import Client
from gradio_client.shells._pool import _Pool


def test_short_tasks_share_one_thread() -> None:
    pool = _Pool(4, "test")
    done = threading.Semaphore(0)
    for _ in range(200):
        pool.submit(done.release)
    for _ in range(200):
        assert done.acquire(timeout=10)
    assert pool.thread_count == 1
    pool.close()


def test_a_long_task_does_not_hold_up_short_ones() -> None:
    pool = _Pool(2, "test")
    release, short_done = threading.Event(), threading.Event()
    started = threading.Event()

    def upload() -> None:
        started.set()
        release.wait(10)

    pool.submit(upload, long=True)
    assert started.wait(10)
    pool.submit(short_done.set)
    assert short_done.wait(10), "a join waited behind an upload"
    assert pool.thread_count == 2
    release.set()
    pool.close()


def test_the_cap_holds_even_behind_long_tasks() -> None:
    """With every thread busy on a long task, a pool below its cap starts another thread
    for waiting work (the test above); a pool at its cap must not: the short task waits."""
    pool = _Pool(1, "capped")
    release, started, later = threading.Event(), threading.Event(), threading.Event()

    def upload() -> None:
        started.set()
        release.wait(10)

    pool.submit(upload, long=True)
    assert started.wait(10)  # the one thread is now busy with a long task
    pool.submit(later.set)  # a pool below its cap would start a thread here, in submit()
    threads = [t for t in threading.enumerate() if t.name.startswith("capped-")]
    assert len(threads) == 1, threads
    assert not later.is_set()  # it waits behind the long task
    release.set()
    assert later.wait(10)
    pool.close()


def test_a_burst_of_plain_jobs_runs_on_four_threads_at_most(gradio_app: str) -> None:
    """Main thread, session stream reader, heartbeat reader, one pool worker."""
    before = threading.active_count()
    peak = 0
    with Client(gradio_app, verbose=False) as client:
        jobs: list[Any] = [client.submit(f"m{i}", api_name="/echo") for i in range(150)]
        for job in jobs:
            peak = max(peak, client.thread_count)
            job.result(timeout=120)
        assert [job.result() for job in jobs] == [f"m{i}" for i in range(150)]
        peak = max(peak, client.thread_count)
    assert peak <= 3, f"{peak} client threads"
    assert threading.active_count() <= before + 3


def test_close_returns_after_its_reader_threads_left_their_sockets(gradio_app: str) -> None:
    # A reader still inside a read when the HTTP client closes the pool could read from a new
    # connection that reuses the socket's file descriptor (seen behind nginx with TLS).
    client = Client(gradio_app, verbose=False)
    assert client.predict("x", api_name="/echo") == "x"  # the session stream is open
    readers = list(client._shell._threads)
    assert readers, "no reader thread to check"
    client.close()
    assert [t.name for t in readers if t.is_alive()] == []


def test_calls_in_a_row_reuse_their_reader_thread(gradio_app: str) -> None:
    """Each call opens the session stream anew (it ends with the call's job); the reader
    thread that read the last one waits for it instead of a new thread starting each time."""
    seen: set[threading.Thread] = set()
    with Client(gradio_app, verbose=False) as client:
        for i in range(20):
            assert client.predict(f"r{i}", api_name="/echo") == f"r{i}"
            seen |= set(client._shell._threads)
    assert 1 <= len(seen) <= 3, sorted(t.name for t in seen)  # stream + heartbeat (+ one)


def _join_threads(record: list[threading.Thread]) -> dict[str, Any]:
    """httpx_kwargs whose request hook records the thread of each join it sees."""

    def hook(request: Any) -> None:
        if request.method == "POST" and request.url.path.endswith("/queue/join"):
            record.append(threading.current_thread())

    return {"event_hooks": {"request": [hook]}}


def test_predict_sends_its_join_from_the_calling_thread(gradio_app: str) -> None:
    """predict() waits for its job anyway: its join goes out from the caller's thread (one
    thread hand-off less per call); submit() returns at once, so a pool thread sends it."""
    joins: list[threading.Thread] = []
    with Client(gradio_app, verbose=False, httpx_kwargs=_join_threads(joins)) as client:
        assert client.predict("p", api_name="/echo") == "p"
        assert joins == [threading.current_thread()]
        assert client.submit("s", api_name="/echo").result(timeout=60) == "s"
        assert len(joins) == 2 and joins[1] is not threading.current_thread()
        assert joins[1].name.startswith("gradio-client-io")
        done: list[str] = []
        worker = threading.Thread(target=lambda: done.append(client.predict("t", api_name="/echo")))
        worker.start()
        worker.join(60)
        assert done == ["t"] and joins[2] is worker


class _Interrupt(BaseException):
    """Stands for a KeyboardInterrupt arriving while the join is on its way."""


def test_an_interrupt_while_predict_sends_its_join_ends_the_job(gradio_app: str) -> None:
    interrupt = [True]

    def hook(request: Any) -> None:
        if request.url.path.endswith("/queue/join") and interrupt:
            interrupt.pop()
            raise _Interrupt()

    # a job that never ends would leave predict waiting: fail the test instead of hanging
    watchdog = threading.Timer(60, lambda: os.kill(os.getpid(), signal.SIGINT))
    watchdog.start()
    with Client(gradio_app, verbose=False, httpx_kwargs={"event_hooks": {"request": [hook]}}) as client:
        try:
            client.predict("lost", api_name="/echo")
        except _Interrupt:
            pass
        except KeyboardInterrupt:
            raise AssertionError("predict never returned: the interrupted job did not end") from None
        else:
            raise AssertionError("the interrupt did not reach the caller")
        finally:
            watchdog.cancel()
        assert client._machine.pending_jobs() == [], "the interrupted job never ended"
        assert client.predict("next", api_name="/echo") == "next"
        assert client._machine.pending_jobs() == []
