"""Faults inside the event stream (``GET /queue/data``) of the real server, injected by the
proxy: each job ends exactly once, with the typed error where it fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gradio_client.errors import (
    AppError,
    ConnectionLostError,
    JobTimeoutError,
    RemoteProtocolError,
    ServerStoppedError,
    SessionNotFoundError,
)

from .conftest import connected, ends_once, wait_for
from .proxy import FaultProxy, StreamFault, frame

DATA = r"/queue/data\?"


def for_job(trigger: dict[str, Any], **fields: Any) -> bytes:
    """A frame for the job that ``trigger`` (the message it follows) belongs to."""
    return frame({"event_id": trigger.get("event_id"), **fields})


class AfterStarts(StreamFault):
    """Inject ``frames`` once ``jobs`` distinct events have sent process_starts (so every
    job of the test is waiting on the stream, none still joining)."""

    def __init__(self, jobs: int, frames: list[bytes]) -> None:
        super().__init__()
        self.jobs, self.frames, self.started = jobs, frames, set()

    def on_frame(self, raw: bytes, message: dict[str, Any] | None) -> list[Any]:
        out = super().on_frame(raw, message)
        if message and message.get("msg") == "process_starts" and len(self.started) < self.jobs:
            self.started.add(message.get("event_id"))
            if len(self.started) == self.jobs:
                out += self.frames
        return out


def cancels(proxy: FaultProxy) -> list[Any]:
    return [r.json() for r in proxy.seen("POST", r"/cancel$")]


# ------------------------------------------------------------------ the stream breaks


async def test_cut_mid_message_real_server_drops_the_session(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """Observed on gradio 6.31: when the stream's connection drops, the server deletes the
    session's message queue and abandons its events; the reconnect is answered with
    ``unexpected_error`` / ``session_not_found``.  The job fails with SessionNotFoundError
    (a ConnectionLostError), once; the client then works on (a new stream)."""
    fault = proxy.stream(StreamFault(cut_on="process_generating")).fault
    async with connected(kind, proxy.url, tmp_path) as app:
        job = await app.submit(6, 0.2, api_name="/sleep_gen")
        error = await ends_once(job, SessionNotFoundError)
        assert "session" in str(error)
        assert fault is not None and "process_generating" in [m["msg"] for m in fault.seen]
        assert len(proxy.seen("GET", DATA)) >= 2  # it did reconnect
        assert await app.predict("after", api_name="/echo") == "after"


async def test_cut_between_messages_server_kept_the_job(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """The stream drops (between two messages) but the server never notices (an edge that
    keeps its upstream connection): the client reopens the stream and the job carries on
    with every output, in order, none twice -- messages sent while no stream was open are
    delivered on the new one."""
    proxy.stream(StreamFault(end_on="process_generating", detach=True))
    async with connected(kind, proxy.url, tmp_path) as app:
        job = await app.submit(6, 0.2, api_name="/sleep_gen")
        assert await job.outputs() == [0, 1, 2, 3, 4, 5]
        assert await ends_once(job) == 5
    assert len(proxy.seen("GET", DATA)) == 2


async def test_cut_mid_message_server_kept_the_job(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """The stream drops in the middle of a generator output and the server never notices:
    the client reconnects, the job completes with the right value, and the outputs the
    caller saw are true outputs of the generator (some may be missing: the cut one was
    lost), in order -- never raw diff operations."""
    proxy.stream(StreamFault(cut_on="process_generating", detach=True))
    async with connected(kind, proxy.url, tmp_path) as app:
        job = await app.submit(6, 0.2, api_name="/sleep_gen")
        outputs = await job.outputs()
        assert await ends_once(job) == 5
        assert all(isinstance(v, int) for v in outputs), outputs
        assert outputs == sorted(set(outputs)) and set(outputs) <= set(range(6)), outputs
    assert len(proxy.seen("GET", DATA)) == 2


async def test_cut_after_bytes_anywhere(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """A cut at an arbitrary byte offset, with the server keeping the job: the job ends
    with its value, and every output the caller saw is a true one, in order.  Where the cut
    message cannot be told from a generator output (a cut in its first bytes), the diffs
    after it have no base and are skipped until the completion."""
    for offset in (1, 7, 60, 200):
        proxy.stream(StreamFault(cut_after_bytes=offset, detach=True))
        async with connected(kind, proxy.url, tmp_path) as app:
            job = await app.submit(4, 0.1, api_name="/sleep_gen")
            outputs = await job.outputs()
            assert await ends_once(job) == 3
            assert outputs == sorted(set(outputs)) and set(outputs) <= {0, 1, 2, 3}, (offset, outputs)
            assert outputs[-1] == 3, (offset, outputs)


async def test_stream_ends_without_close_stream_mid_job(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """A clean end of the response (terminal chunk, no close_stream) while the job runs:
    the client reopens at once; the server kept the job, so it completes."""
    proxy.stream(StreamFault(end_on="process_generating", detach=True))
    async with connected(kind, proxy.url, tmp_path) as app:
        job = await app.submit(4, 0.2, api_name="/sleep_gen")
        assert await ends_once(job) == 3


async def test_stream_ends_without_close_stream_real_server(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """Same, but the real server saw the disconnect and dropped the session: typed error."""
    proxy.stream(StreamFault(end_on="process_generating"))
    async with connected(kind, proxy.url, tmp_path) as app:
        await ends_once(await app.submit(6, 0.2, api_name="/sleep_gen"), SessionNotFoundError)
        assert await app.predict("after", api_name="/echo") == "after"


async def test_stream_ends_without_close_stream_after_completion(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """close_stream dropped (a v1/v2-style end): nothing pending, nothing to do; the next
    job opens a new stream."""
    proxy.stream(StreamFault(drop={"close_stream"}), times=None)
    async with connected(kind, proxy.url, tmp_path) as app:
        assert await ends_once(await app.submit("one", api_name="/echo")) == "one"
        assert await ends_once(await app.submit("two", api_name="/echo")) == "two"


# ------------------------------------------------------------------ unexpected_error


async def test_unexpected_error_session_not_found(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    bad = frame({"msg": "unexpected_error", "event_id": None, "message": "404: Not Found",
                 "session_not_found": True, "success": False})
    proxy.stream(StreamFault(inject_after={"process_starts": [bad]}))
    async with connected(kind, proxy.url, tmp_path) as app:
        error = await ends_once(await app.submit(5, 0.2, api_name="/sleep_gen"), SessionNotFoundError)
        assert "404" in str(error)


async def test_unexpected_error_server_stopped(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    bad = frame({"msg": "unexpected_error", "event_id": None,
                 "message": "Server stopped unexpectedly.", "success": False})
    proxy.stream(AfterStarts(3, [bad]))
    async with connected(kind, proxy.url, tmp_path) as app:
        jobs = [await app.submit(5, 0.2, api_name="/sleep_gen") for _ in range(3)]
        for job in jobs:  # every waiting job of the session
            await ends_once(job, ServerStoppedError)


async def test_unexpected_error_for_one_event(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    inject = {"process_starts": [lambda m: for_job(m, msg="unexpected_error", message="kaboom", success=False)]}
    proxy.stream(StreamFault(inject_after=inject))
    async with connected(kind, proxy.url, tmp_path) as app:
        error = await ends_once(await app.submit(5, 0.2, api_name="/sleep_gen"), AppError)
        assert "kaboom" in str(error)


async def test_unexpected_error_inside_the_stream_is_not_fatal(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """A server exception reported without session_not_found / "stopped": the stream goes
    on (here it does), so the job does too."""
    bad = frame({"msg": "unexpected_error", "event_id": None, "message": "KeyError('x')", "success": False})
    proxy.stream(StreamFault(inject_after={"process_starts": [bad]}))
    async with connected(kind, proxy.url, tmp_path) as app:
        assert await ends_once(await app.submit(3, 0.1, api_name="/sleep_gen")) == 2


# ------------------------------------------------------------------ bad frames


async def test_unknown_and_malformed_frames_are_skipped(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    junk: list[Any] = [
        b"data: {not json\n\n",
        b"data: [1, 2, 3]\n\n",
        b"data: \n\n",
        b"data: \xff\xfe\n\n",
        b": a comment line\n\n",
        b"event: weird\ndata: {\"msg\": \"from_the_future\"}\n\n",
        frame({"msg": "brand_new_type", "event_id": None, "payload": [1]}),
        lambda m: for_job(m, msg="another_new_type", extra={"a": 1}),
        frame({"msg": "process_completed", "event_id": "not-an-event-of-ours",
               "output": {"data": ["stolen"]}, "success": True}),
        frame({"msg": "estimation", "event_id": "somebody-else", "rank": "high"}),
    ]
    proxy.stream(StreamFault(inject_after={"process_starts": junk}))
    async with connected(kind, proxy.url, tmp_path) as app:
        job = await app.submit(3, 0.1, api_name="/sleep_gen")
        assert await job.outputs() == [0, 1, 2]
        assert await ends_once(job) == 2


async def test_known_message_with_wrong_field_types_fails_its_job(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    inject = {"process_starts": [lambda m: for_job(m, msg="process_generating", output=5, success="yes")]}
    proxy.stream(StreamFault(inject_after=inject))
    async with connected(kind, proxy.url, tmp_path) as app:
        error = await ends_once(await app.submit(5, 0.2, api_name="/sleep_gen"), RemoteProtocolError)
        assert "process_generating" in str(error)
        assert await app.predict("after", api_name="/echo") == "after"


async def test_completion_with_wrong_data_shape(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    def corrupt(message: dict[str, Any]) -> dict[str, Any]:
        if message.get("msg") == "process_completed":
            message = {**message, "output": {**message["output"], "data": "not-a-list"}}
        return message

    proxy.stream(StreamFault(rewrite=corrupt))
    async with connected(kind, proxy.url, tmp_path) as app:
        await ends_once(await app.submit("x", api_name="/echo"), RemoteProtocolError)


async def test_oversized_frame(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """One event over the 64 MiB cap: the client drops that stream rather than buffer it
    and reconnects.  What happens next is the server's race: if gradio noticed the drop
    first, the session is gone (SessionNotFoundError); if the reconnect came first, the
    messages written into the dropped connection are lost and only the job's deadline
    ends it (JobTimeoutError).  Either way: once, typed, bounded; the client works on."""
    huge = b"data: {\"msg\": \"log\", \"event_id\": null, \"log\": \"" + b"x" * (65 * 1024 * 1024) + b"\"}\n\n"
    proxy.stream(StreamFault(inject_after={"process_starts": [huge]}))
    async with connected(kind, proxy.url, tmp_path) as app:
        job = await app.submit(4, 0.3, api_name="/sleep_gen", job_timeout=20.0)
        await ends_once(job, (ConnectionLostError, JobTimeoutError))
        assert await app.predict("after", api_name="/echo") == "after"
    assert len(proxy.seen("GET", DATA)) >= 2


# ------------------------------------------------------------------ completions


async def test_duplicate_completion(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    proxy.stream(StreamFault(duplicate={"process_completed"}), times=None)
    async with connected(kind, proxy.url, tmp_path) as app:
        job = await app.submit(3, api_name="/count")
        assert await job.outputs() == ["0", "0 1", "0 1 2"]
        assert await ends_once(job) == "0 1 2"
        assert await ends_once(await app.submit("next", api_name="/echo")) == "next"


async def test_missing_completion_ends_at_the_job_timeout(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """A completion that never comes (dropped): nothing from the server can tell this apart
    from a long job, so the job's deadline ends it -- and cancels it on the server."""
    fault = proxy.stream(StreamFault(drop={"process_completed"}), times=None).fault
    assert fault is not None
    async with connected(kind, proxy.url, tmp_path) as app:
        job = await app.submit("lost", api_name="/echo", job_timeout=2.0)
        await ends_once(job, JobTimeoutError)
        await wait_for(lambda: cancels(proxy), "POST /cancel")
    ids = {m.get("event_id") for m in fault.seen if m.get("msg") == "process_completed"}
    assert cancels(proxy)[0]["event_id"] in ids


# ------------------------------------------------------------------ deadlines


async def test_heartbeats_only_then_job_timeout(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """The stream stays alive with nothing but heartbeats: the idle-read deadline never
    fires (heartbeats are traffic), the job's own timeout does, and cancels on the server."""
    fault = proxy.stream(StreamFault(hold_on="*", hold_heartbeat=0.1), times=None).fault
    assert fault is not None
    async with connected(kind, proxy.url, tmp_path, stream_read_timeout=1.0) as app:
        job = await app.submit(30, 0.2, api_name="/sleep_gen", job_timeout=3.0)
        await ends_once(job, JobTimeoutError)
        await wait_for(lambda: cancels(proxy), "POST /cancel")
    assert len(proxy.seen("GET", DATA)) == 1  # heartbeats kept the one stream alive
    ids = {m.get("event_id") for m in fault.seen if m.get("event_id")}
    assert cancels(proxy)[0]["event_id"] in ids


async def test_silent_stream_idle_timeout_reconnects_then_fails(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """Not a byte (not even heartbeats) for longer than stream_read_timeout: the client gives
    up on the stream, reopens it with backoff, and after max_reconnects (5) fruitless
    tries fails the job with ConnectionLostError."""
    proxy.stream(StreamFault(hold_on="*"), times=None)
    async with connected(kind, proxy.url, tmp_path, stream_read_timeout=0.5) as app:
        error = await ends_once(await app.submit(2, 0.1, api_name="/sleep_gen"), ConnectionLostError)
        assert "reconnect" in str(error)
    assert len(proxy.seen("GET", DATA)) == 6  # the first open and 5 reconnects
