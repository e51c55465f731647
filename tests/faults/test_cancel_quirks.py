"""Cancels on the real server: the sibling-cancel quirk (missing and duplicate completions)
and the job deadline that cancels on the server."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from gradio_client import CancelledError, Status
from gradio_client.errors import JobTimeoutError

from .conftest import connected, ends_once, wait_for
from .proxy import FaultProxy, StreamFault


def completions(fault: StreamFault, event_id: str) -> list[dict[str, Any]]:
    return [m for m in list(fault.seen) if m.get("msg") == "process_completed" and m.get("event_id") == event_id]


async def test_sibling_cancel_missing_and_duplicate_completions(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """Gradio 6.31: /slow runs one job at a time.  A runs, B waits, both in one session.
    Cancelling B makes the server kill A too (every running task of that session and
    function); A never gets a completion.  The client ends B at once, A after the
    cancel grace (5 s) with a CancelledError naming the cause; and the completions the
    server still sends for B ({} from the cancel, then maybe its real result when the
    freed worker runs it anyway) change nothing."""
    fault = proxy.stream(StreamFault(), times=None).fault  # records what the server sends
    assert fault is not None
    async with connected(kind, proxy.url, tmp_path) as app:
        a = await app.submit(20, api_name="/slow")
        await wait_for(lambda: a.status().code is Status.PROCESSING, "A to run")
        b = await app.submit(0.1, api_name="/slow")
        await wait_for(lambda: b.status().code is Status.IN_QUEUE, "B to wait in the queue")
        cancelled_at = time.monotonic()
        assert await b.cancel() is True
        await ends_once(b, CancelledError)
        error = await ends_once(a, CancelledError, timeout=60)
        took = time.monotonic() - cancelled_at
        assert "same endpoint" in str(error), error
        print(f"\n[{kind}] sibling of a cancelled job ended after {took:.2f} s: {error}")
        cancel = proxy.seen("POST", r"/cancel$")[0].json()  # B's; A's follows when it ends
        event_b = cancel["event_id"]
        await wait_for(lambda: completions(fault, event_b), "the server's completion of B")
        a_ids = {m["event_id"] for m in fault.seen if m.get("msg") == "process_starts"} - {event_b}
        # A's only completion, if any, is the {} that answers the client's own cancel of A
        # (posted when its grace ran out): the server never finished A.
        assert all(c["output"] == {} for e in a_ids for c in completions(fault, e))
        # the client keeps working, and nothing more reached A or B
        assert await app.predict("after", api_name="/echo") == "after"
        assert await app.predict(0.1, api_name="/slow") == "slept 0.1"
        print(f"[{kind}] completions the server sent for B: {[c['output'] for c in completions(fault, event_b)]}")
    for job, code in ((a, Status.CANCELLED), (b, Status.CANCELLED)):
        assert job.status().code is code
        assert [u.code for u in job.updates()].count(code) == 1


async def test_job_timeout_cancels_on_the_server(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    fault = proxy.stream(StreamFault(), times=None).fault
    assert fault is not None
    async with connected(kind, proxy.url, tmp_path) as app:
        job = await app.submit(10, 0.2, api_name="/sleep_gen", job_timeout=1.5)
        error = await ends_once(job, JobTimeoutError)
        assert "timeout" in str(error)
        at_the_end = list(job.updates())
        await wait_for(lambda: proxy.seen("POST", r"/cancel$"), "POST /cancel")
        [cancel] = [r.json() for r in proxy.seen("POST", r"/cancel$")]
        ours = {m.get("event_id") for m in fault.seen if m.get("msg") == "process_starts"}
        assert cancel["event_id"] in ours
        await wait_for(lambda: completions(fault, cancel["event_id"]), "the server to stop the job")
        # the server went on generating until the cancel landed: none of it reached the job
        assert job.updates() == at_the_end
        assert await app.predict("after", api_name="/echo") == "after"
