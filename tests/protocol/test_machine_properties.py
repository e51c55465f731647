"""Properties of the queue machine under any interleaving and any chunking.

* Every job ends exactly once, and nothing names it after its end, whatever happens:
  submits, cancels, join replies of every kind, stream bytes in any chunks, EOFs,
  errors, timeouts, and finally close().
* Splitting a stream's bytes anywhere yields the same actions.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from gradio_client.protocol.actions import (
    Action,
    CloseStream,
    EmitOutput,
    JobCancelled,
    JobFailed,
    JobSucceeded,
    OpenStream,
    OpenWebSocket,
    Post,
    SendWebSocket,
)
from gradio_client.protocol.errors import ConnectionLostError
from gradio_client.protocol.machine import MachineConfig, Phase, QueueMachine

from .invariants import Ledger
from .machine_helpers import completed, frame

TERMINAL = (JobSucceeded, JobFailed, JobCancelled)


def message_for(kind: str, event_id: str | None) -> dict[str, Any] | bytes:
    if kind == "estimation":
        return {"msg": "estimation", "event_id": event_id, "rank": 1, "queue_size": 2, "rank_eta": 0.5}
    if kind == "starts":
        return {"msg": "process_starts", "event_id": event_id}
    if kind == "progress":
        return {"msg": "progress", "event_id": event_id, "progress_data": [{"index": 1, "length": 2}]}
    if kind == "log":
        return {"msg": "log", "event_id": event_id, "log": "hi", "level": "warning"}
    if kind == "generating":
        return {"msg": "process_generating", "event_id": event_id, "output": {"data": ["x"]}, "success": True}
    if kind == "diff":
        return {"msg": "process_generating", "event_id": event_id, "output": {"data": [[["append", [], "y"]]]}, "success": True}
    if kind == "completed":
        return completed(event_id, [1])
    if kind == "error":
        return {"msg": "process_completed", "event_id": event_id, "output": {"error": "bad"}, "success": False}
    if kind == "cancelled":
        return {"msg": "process_completed", "event_id": event_id, "output": {}, "success": True}
    if kind == "heartbeat":
        return {"msg": "heartbeat", "event_id": None}
    if kind == "close":
        return {"msg": "close_stream", "event_id": None}
    if kind == "lost_session":
        return {"msg": "unexpected_error", "event_id": None, "message": "x", "session_not_found": True}
    if kind == "unknown":
        return {"msg": "something_new", "event_id": event_id}
    if kind == "malformed":  # an advisory field that cannot be read: dropped, job goes on
        return {"msg": "estimation", "event_id": event_id, "rank": "nope"}
    if kind == "bad_result":  # a result field that cannot be read: fails the job
        return {"msg": "process_completed", "event_id": event_id, "output": {"data": "nope"}, "success": True}
    if kind == "deep":  # too deep for the decoder (RecursionError): fails the job
        head = json.dumps({"msg": "process_completed", "event_id": event_id})[:-1].encode()
        return b"data: " + head + b', "output": {"data": [' + b"[" * 5000 + b"]" * 5000 + b"]}}\n\n"
    return b"data: {not json\n\n"


KINDS = [
    "estimation", "starts", "progress", "log", "generating", "diff", "completed", "error",
    "cancelled", "heartbeat", "close", "lost_session", "unknown", "malformed", "garbage",
    "bad_result", "deep",
]


class MachineModel(RuleBasedStateMachine):
    @initialize(
        protocol=st.sampled_from(["sse_v1", "sse_v2", "sse_v3", "sse", "ws"]),
        heartbeat=st.booleans(),
        join_gather=st.sampled_from([0.0, 2.0]),
    )
    def setup(self, protocol: str, heartbeat: bool, join_gather: float) -> None:
        self.protocol = protocol
        self.machine = QueueMachine(
            MachineConfig(
                protocol=protocol,
                heartbeat=heartbeat,
                max_reconnects=2,
                cancel_grace=1.0,
                join_gather=join_gather,
            ),
            "S",
        )
        self.now = 0.0
        self.jobs: list[int] = []
        self.ledger = Ledger(max_reconnects=2)
        self.ended = self.ledger.ended
        self.posts: dict[int, Post] = {}
        self.pending_streams: dict[int, OpenStream | OpenWebSocket] = {}
        self.open_streams: set[int] = set()
        self.event_ids: list[str] = []
        self.next_event = 0
        self.deadlines: dict[int, float] = {}  # job -> its timeout deadline
        self.apply(self.machine.start())

    def apply(self, actions: list[Action]) -> None:
        self.ledger.record(actions)
        for action in actions:
            if isinstance(action, Post):
                self.posts[action.request_id] = action
            elif isinstance(action, (OpenStream, OpenWebSocket)):
                self.pending_streams[action.stream_id] = action
            elif isinstance(action, CloseStream):
                self.pending_streams.pop(action.stream_id, None)
                self.open_streams.discard(action.stream_id)
            elif isinstance(action, SendWebSocket):
                assert action.stream_id in self.open_streams | set(self.pending_streams)

    @rule(fn=st.integers(0, 2), timeout=st.none() | st.floats(0.1, 5))
    def submit(self, fn: int, timeout: float | None) -> None:
        job, actions = self.machine.submit(fn, [fn], now=self.now, timeout=timeout)
        assert job not in self.jobs
        self.jobs.append(job)
        if timeout is not None:
            self.deadlines[job] = self.now + timeout
        self.apply(actions)

    @precondition(lambda self: self.jobs)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        self.apply(self.machine.cancel(data.draw(st.sampled_from(self.jobs)), now=self.now))

    @precondition(lambda self: self.posts)
    @rule(data=st.data(), outcome=st.sampled_from(["ok", "ok", "ok", "503", "429", "500", "422", "error"]))
    def reply(self, data: st.DataObject, outcome: str) -> None:
        request_id = data.draw(st.sampled_from(sorted(self.posts)))
        self.posts.pop(request_id)
        self.ledger.may_progress()
        if outcome == "error":
            self.apply(self.machine.receive_request_error(request_id, ConnectionLostError("reset")))
            return
        if outcome == "ok":
            event_id = f"E{self.next_event}"
            self.next_event += 1
            self.event_ids.append(event_id)
            body = json.dumps({"event_id": event_id}).encode()
            self.apply(self.machine.receive_response(request_id, 200, body, {}))
        else:
            self.apply(self.machine.receive_response(request_id, int(outcome), b'{"detail": "no"}', {"Retry-After": "1"}))

    @precondition(lambda self: self.pending_streams)
    @rule(data=st.data(), status=st.sampled_from([200, 200, 200, 500, 401]))
    def open_stream(self, data: st.DataObject, status: int) -> None:
        stream_id = data.draw(st.sampled_from(sorted(self.pending_streams)))
        action = self.pending_streams.pop(stream_id)
        self.open_streams.add(stream_id)
        if isinstance(action, OpenStream):
            self.apply(self.machine.stream_opened(stream_id, status, "text/event-stream"))

    @precondition(lambda self: self.open_streams)
    @rule(
        data=st.data(),
        kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=6),
        cut=st.integers(0, 400),
    )
    def messages(self, data: st.DataObject, kinds: list[str], cut: int) -> None:
        stream_id = data.draw(st.sampled_from(sorted(self.open_streams)))
        ids = self.event_ids + ["unknown-event"]
        chunks = []
        for kind in kinds:
            event_id = data.draw(st.sampled_from(ids)) if self.protocol not in ("ws", "sse") else None
            msg = message_for(kind, event_id)
            if self.protocol in ("ws", "sse") and kind == "completed" and data.draw(st.booleans()):
                msg = {"msg": "send_data", "event_id": "V0"}
            chunks.append(msg if isinstance(msg, bytes) else frame(msg))
        blob = b"".join(chunks)
        if self.protocol == "ws":
            for chunk in chunks:
                text = chunk[6:-2] if chunk.startswith(b"data: ") else chunk
                self.apply(self.machine.receive_ws_message(stream_id, text.decode()))
        else:
            cut = min(cut, len(blob))
            self.apply(self.machine.receive_stream_data(stream_id, blob[:cut]))
            self.apply(self.machine.receive_stream_data(stream_id, blob[cut:]))

    @precondition(lambda self: self.open_streams)
    @rule(data=st.data(), how=st.sampled_from(["eof", "error", "ws_close"]))
    def end_stream(self, data: st.DataObject, how: str) -> None:
        stream_id = data.draw(st.sampled_from(sorted(self.open_streams)))
        self.open_streams.discard(stream_id)
        if how == "eof":
            self.apply(self.machine.receive_stream_eof(stream_id))
        elif how == "error":
            self.apply(self.machine.receive_stream_error(stream_id, ConnectionLostError("cut")))
        else:
            self.apply(self.machine.ws_closed(stream_id, 1006))

    @rule(dt=st.floats(0, 3))
    def tick(self, dt: float) -> None:
        self.now += dt
        self.apply(self.machine.tick(self.now))

    @precondition(lambda self: (self.machine.next_deadline() or 0.0) > self.now)
    @rule()
    def tick_to_the_next_deadline(self) -> None:
        """At its next deadline the machine has work: it acts, or the deadline moves on
        (never a busy loop at one instant)."""
        deadline = self.machine.next_deadline()
        assert deadline is not None
        self.now = deadline
        actions = self.machine.tick(deadline)
        self.apply(actions)
        later = self.machine.next_deadline()
        assert actions or later is None or later > deadline, (actions, later)

    @rule(session=st.sampled_from(["T", "U"]))
    def reset(self, session: str) -> None:
        self.apply(self.machine.reset_session(session))

    @invariant()
    def phases_match_terminals(self) -> None:
        if hasattr(self, "machine"):
            self.ledger.check_phases(self.machine, self.jobs)

    @invariant()
    def a_waiting_job_has_its_session_stream_or_waits_for_joins_in_flight(self) -> None:
        """A named job is never stranded without a stream: its session's stream is open (or
        asked for), or it gathers while other joins are in flight, with a deadline ahead."""
        if not hasattr(self, "machine") or self.protocol in ("sse", "ws"):
            return
        machine = self.machine
        for session in machine._sessions.values():
            if session.stream is None and machine._session_jobs(session, Phase.WAITING):
                assert session.hash in machine._gathering and session.in_flight > 0
                assert machine.next_deadline() is not None

    @invariant()
    def next_deadline_covers_every_live_timeout(self) -> None:
        """The machine's next deadline is no later than the earliest timeout of a live job
        (it may be earlier: a sibling-cancel grace), and never in the past: every deadline
        up to the last tick was handled."""
        if not hasattr(self, "machine"):
            return
        deadline = self.machine.next_deadline()
        live = [when for job, when in self.deadlines.items() if job not in self.ended]
        if live:
            assert deadline is not None and deadline <= min(live), (deadline, live)
        assert deadline is None or deadline >= self.now, (deadline, self.now)

    def teardown(self) -> None:
        if not hasattr(self, "machine"):
            return
        self.apply(self.machine.close())
        self.ledger.check_closed(self.machine, self.jobs)


MachineModel.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
TestMachineModel = MachineModel.TestCase


def _session(protocol: str) -> tuple[QueueMachine, list[Action], int, int]:
    # join_gather=0: the stream opens at A's reply, and B's messages come before its own
    machine = QueueMachine(MachineConfig(protocol=protocol, join_gather=0), "S")
    a, actions = machine.submit(0, [1], now=0)
    b, actions_b = machine.submit(1, [2], now=0)
    post = next(x for x in actions if isinstance(x, Post))
    out = machine.receive_response(post.request_id, 200, b'{"event_id": "A"}')
    stream = next(x for x in out if isinstance(x, OpenStream))
    machine.stream_opened(stream.stream_id, 200, "text/event-stream; charset=utf-8")
    return machine, actions_b, stream.stream_id, b


TRANSCRIPT = b"".join(
    [
        frame({"msg": "estimation", "event_id": "A", "rank": 0, "queue_size": 2, "rank_eta": None}),
        frame({"msg": "estimation", "event_id": "B", "rank": 1, "queue_size": 2, "rank_eta": 1.0}),
        frame({"msg": "process_starts", "event_id": "A", "eta": None}),
        frame({"msg": "process_generating", "event_id": "A", "output": {"data": ["caf\u00e9 \u2028"]}, "success": True}),
        b": a comment\r\n\r\n",
        frame({"msg": "process_generating", "event_id": "A", "output": {"data": [[["append", [], "!"]]]}, "success": True}),
        frame({"msg": "heartbeat", "event_id": None}),
        frame({"msg": "log", "event_id": "A", "log": "note", "level": "info"}),
        frame(completed("A", ["caf\u00e9 \u2028!"])),
        frame({"msg": "process_starts", "event_id": "B"}),
        frame(completed("B", [2])),
        frame({"msg": "close_stream", "event_id": None}),
    ]
)


def _run(chunks: list[bytes]) -> list[Action]:
    machine, actions_b, stream_id, _ = _session("sse_v3")
    out: list[Action] = []
    post_b = next(x for x in actions_b if isinstance(x, Post))
    for i, chunk in enumerate(chunks):
        out += machine.receive_stream_data(stream_id, chunk)
        if i == len(chunks) // 2:  # B's join reply lands mid-stream
            out += machine.receive_response(post_b.request_id, 200, b'{"event_id": "B"}')
    out += machine.receive_stream_eof(stream_id)
    return out


@given(st.lists(st.integers(0, len(TRANSCRIPT)), max_size=20))
@settings(max_examples=300, deadline=None)
def test_any_chunking_gives_the_same_actions(cuts: list[int]) -> None:
    """B's join reply lands at a different byte offset each time: before, between or after
    its messages.  Whatever the split, every job sees the same actions in the same order."""
    points = sorted(set(cuts))
    chunks = [TRANSCRIPT[i:j] for i, j in zip([0, *points], [*points, len(TRANSCRIPT)])]
    assert _per_job(_run(chunks)) == _per_job(_run([TRANSCRIPT]))


def _per_job(actions: list[Action]) -> dict[int, list[Action]]:
    out: dict[int, list[Action]] = {}
    for action in actions:
        out.setdefault(getattr(action, "job", None) or 0, []).append(action)
    return out


def test_transcript_outcome() -> None:
    actions = _run([TRANSCRIPT])
    ends = [a for a in actions if isinstance(a, TERMINAL)]
    assert ends == [JobSucceeded(job=1, data=["caf\u00e9 \u2028!"]), JobSucceeded(job=2, data=[2])]
    outputs = [a.data for a in actions if isinstance(a, EmitOutput)]
    assert outputs == [["caf\u00e9 \u2028"], ["caf\u00e9 \u2028!"]]
