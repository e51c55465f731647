"""Properties of the reopen budget (issue 12): whatever a server says on its streams, jobs
that get no progress end within a bounded number of stream opens, and every job ends
exactly once.

hypothesis plays the server: for each stream the machine opens it picks messages (for any
live event, for unknown events, session-wide), maybe an output or a completion for some
job, then ends the stream (EOF with or without ``close_stream``, or a transport error).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gradio_client.protocol.actions import (
    Action,
    EmitOutput,
    JobCancelled,
    JobFailed,
    JobSucceeded,
    OpenStream,
    Post,
)
from gradio_client.protocol.errors import ConnectionLostError, RemoteProtocolError
from gradio_client.protocol.machine import MachineConfig, QueueMachine

from .invariants import Ledger
from .machine_helpers import completed, frame

TERMINAL = (JobSucceeded, JobFailed, JobCancelled)

ADVISORY = ["estimation", "starts", "progress", "log", "heartbeat", "close", "unknown", "bad_rank",
            "noise", "empty_output"]
PROGRESS = ["output", "completed"]


def advisory(kind: str, event_id: str) -> bytes:
    messages: dict[str, Any] = {
        "estimation": {"msg": "estimation", "event_id": event_id, "rank": 0, "queue_size": 1},
        "starts": {"msg": "process_starts", "event_id": event_id},
        "progress": {"msg": "progress", "event_id": event_id, "progress_data": [{"index": 1, "length": 3}]},
        "log": {"msg": "log", "event_id": event_id, "log": "x", "level": "info"},
        "heartbeat": {"msg": "heartbeat", "event_id": None},
        "close": {"msg": "close_stream", "event_id": None},
        "unknown": {"msg": "from_the_future", "event_id": event_id},
        "bad_rank": {"msg": "estimation", "event_id": event_id, "rank": -2.5, "queue_size": "many"},
        "empty_output": {"msg": "process_generating", "event_id": event_id, "output": {}, "success": False},
    }
    if kind == "noise":
        return b"data: {not json\n\n: comment\n\n"
    return frame(messages[kind])


class Server:
    """Drives one machine as a scripted server; records what the client did."""

    def __init__(self, protocol: str, jobs: int, max_reconnects: int) -> None:
        self.machine = QueueMachine(MachineConfig(protocol=protocol, max_reconnects=max_reconnects), "S")
        self.ledger = Ledger()  # the stream budget is checked per test, with its own bound
        self.ends: dict[int, list[Action]] = {}
        self.opens: list[OpenStream] = []
        self.pending: list[OpenStream] = []
        self.events: dict[str, int] = {}
        self.progress = 0
        for n in range(jobs):
            job, actions = self.machine.submit(0, [n], now=0.0)
            self.apply(actions)
            post = next(a for a in actions if isinstance(a, Post))
            event = f"E{n}"
            self.events[event] = job
            self.apply(self.machine.receive_response(post.request_id, 200, json.dumps({"event_id": event}).encode()))

    def apply(self, actions: list[Action]) -> None:
        self.ledger.record(actions)
        for action in actions:
            if isinstance(action, TERMINAL):
                self.ends.setdefault(action.job, []).append(action)
            elif isinstance(action, OpenStream) and "queue/data" in action.path:
                self.pending.append(action)
                self.opens.append(action)

    def live_events(self) -> list[str]:
        return [e for e, job in self.events.items() if job not in self.ends]


@st.composite
def stream_script(draw: st.DrawFn, with_progress: bool) -> tuple[list[tuple[str, int]], str]:
    kinds = ADVISORY + (PROGRESS if with_progress else [])
    messages = draw(st.lists(st.tuples(st.sampled_from(kinds), st.integers(0, 7)), max_size=6))
    ending = draw(st.sampled_from(["eof", "close", "error"]))
    return messages, ending


def play(server: Server, scripts: Any, max_streams: int) -> bool:
    """Serve streams until the machine stops opening them (True) or ``max_streams`` (False)."""
    streams = 0
    while server.pending:
        if streams == max_streams:
            return False
        stream = server.pending.pop(0)
        streams += 1
        server.apply(server.machine.stream_opened(stream.stream_id, 200, "text/event-stream"))
        messages, ending = scripts(streams)
        chunks = []
        for kind, pick in messages:
            live = server.live_events() or ["gone"]
            event = live[pick % len(live)]
            if kind == "output":
                chunks.append(frame({"msg": "process_generating", "event_id": event,
                                     "output": {"data": [streams]}, "success": True}))
            elif kind == "completed":
                chunks.append(frame(completed(event, [streams])))
            else:
                chunks.append(advisory(kind, event))
        if ending == "close":
            chunks.append(frame({"msg": "close_stream", "event_id": None}))
        before = len(server.ends)
        actions = server.machine.receive_stream_data(stream.stream_id, b"".join(chunks))
        server.progress += sum(isinstance(a, EmitOutput) for a in actions) + (len(server.ends) - before)
        server.apply(actions)
        if ending == "error":
            actions = server.machine.receive_stream_error(stream.stream_id, ConnectionLostError("cut"))
        else:
            actions = server.machine.receive_stream_eof(stream.stream_id)
        server.apply(actions)
    return True


@given(
    protocol=st.sampled_from(["sse_v1", "sse_v2", "sse_v2.1", "sse_v3"]),
    jobs=st.integers(1, 4),
    max_reconnects=st.integers(0, 6),
    scripts=st.lists(stream_script(with_progress=False), min_size=1, max_size=8),
)
@settings(max_examples=300, deadline=None)
def test_without_progress_every_job_ends_within_the_budget(
    protocol: str, jobs: int, max_reconnects: int, scripts: list[Any]
) -> None:
    server = Server(protocol, jobs, max_reconnects)
    assert play(server, lambda n: scripts[(n - 1) % len(scripts)], max_streams=max_reconnects + 1)
    assert len(server.opens) <= max_reconnects + 1
    for job in server.events.values():
        [end] = server.ends[job]
        assert isinstance(end, JobFailed)
        assert isinstance(end.error, (ConnectionLostError, RemoteProtocolError)), end.error
    # backoff: with no progress at most one reopen goes at once, the rest wait longer each time
    delays = [o.delay for o in server.opens[1:]]
    assert sum(d == 0.0 for d in delays) <= 1
    waits = [d for d in delays if d > 0]
    assert waits == sorted(waits)


@given(
    protocol=st.sampled_from(["sse_v1", "sse_v3"]),
    jobs=st.integers(1, 4),
    max_reconnects=st.integers(0, 4),
    scripts=st.lists(stream_script(with_progress=True), min_size=1, max_size=8),
)
@settings(max_examples=300, deadline=None)
def test_with_progress_the_stream_opens_are_bounded_by_the_progress(
    protocol: str, jobs: int, max_reconnects: int, scripts: list[Any]
) -> None:
    """Every stream open is paid for: by the budget of the job that waits longest, or by an
    output or an end delivered on an earlier stream.  Every job still ends exactly once."""
    server = Server(protocol, jobs, max_reconnects)
    play(server, lambda n: scripts[(n - 1) % len(scripts)], max_streams=60)  # a generator may never end
    assert len(server.opens) <= (max_reconnects + 1) * (1 + server.progress)
    server.apply(server.machine.close())
    server.ledger.check_closed(server.machine, server.events.values())
    for job in server.events.values():
        assert len(server.ends[job]) == 1
