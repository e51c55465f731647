"""Fuzz target for gradio_client.protocol.machine.QueueMachine.

The input is a program: each step's first byte picks an input (submit, cancel, a join
reply of some status, stream opened/data/EOF/error, websocket frames and closes, tick,
reset_session), later bytes give its arguments; stream data is raw bytes from the input,
so the SSE decoder and the message decoder are exercised through the machine.

Invariant: no exception escapes but LocalProtocolError for submits after close(); every
job gets exactly one terminal action and no action names it after that; after close()
every job has ended; and a session stream is opened at most ``max_reconnects`` + 1 times
between two events that can move a job (an output, a job's end, a join reply): a server
cannot keep the client reopening with advisory messages alone (issue 12).

Run: python fuzz/fuzz_machine.py [libFuzzer flags] (atheris); pytest fuzz/fuzz_machine.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

# the checkout: gradio_client when not installed, and the invariant checker shared with the
# property tests (tests/protocol/invariants.py)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradio_client.protocol.actions import (
    Action,
    CloseStream,
    JobCancelled,
    JobFailed,
    JobSucceeded,
    OpenStream,
    OpenWebSocket,
    Post,
)
from gradio_client.protocol.errors import ConnectionLostError, LocalProtocolError
from gradio_client.protocol.machine import MachineConfig, QueueMachine
from tests.protocol.invariants import Ledger

ALLOWED_EXCEPTIONS: tuple[type[BaseException], ...] = ()  # none escape the machine
CORPUS = Path(__file__).resolve().parent / "corpus" / "machine"
PROTOCOLS = ["sse_v3", "sse_v2", "sse_v1", "sse", "ws"]
TERMINAL = (JobSucceeded, JobFailed, JobCancelled)
STATUSES = [200, 200, 200, 503, 422, 429, 401, 500]
EVENT_FRAMES = [
    b'data: {"msg":"estimation","event_id":"E%d","rank":0}\n\n',
    b'data: {"msg":"process_starts","event_id":"E%d"}\n\n',
    b'data: {"msg":"process_generating","event_id":"E%d","output":{"data":["a"]},"success":true}\n\n',
    b'data: {"msg":"process_generating","event_id":"E%d","output":{"data":[[["append",[],"b"]]]},"success":true}\n\n',
    b'data: {"msg":"process_completed","event_id":"E%d","output":{"data":[1]},"success":true}\n\n',
    b'data: {"msg":"process_completed","event_id":"E%d","output":{},"success":true}\n\n',
    b'data: {"msg":"process_completed","event_id":"E%d","output":{"error":null},"success":false}\n\n',
    b'data: {"msg":"send_data","event_id":"E%d"}\n\n',
    b'data: {"msg":"close_stream","event_id":null}\n\n',
    b'data: {"msg":"estimation","event_id":"E%d","rank":1.5,"queue_size":-1,"rank_eta":"x"}\n\n',
    b'data: {"msg":"progress","event_id":"E%d","progress_data":[{"index":-1},3]}\n\n',
    b'data: {"msg":"process_completed","event_id":7,"output":{"data":[1]},"success":true}\n\n',
    b'data: {"msg":"process_completed","event_id":"E%d","output":{"data":' + b"[" * 3000 + b"]" * 3000 + b'},"success":true}\n\n',
]
MAX_RECONNECTS = 2


class _Run:
    def __init__(self, protocol: str) -> None:
        self.machine = QueueMachine(
            MachineConfig(protocol=protocol, heartbeat=True, max_reconnects=MAX_RECONNECTS), "S"
        )
        self.ledger = Ledger(max_reconnects=MAX_RECONNECTS)
        self.jobs: list[int] = []
        self.posts: list[int] = []
        self.streams: list[int] = []
        self.closed = False
        self.now = 0.0

    def apply(self, actions: list[Action]) -> None:
        self.ledger.record(actions)
        for action in actions:
            if isinstance(action, Post):
                self.posts.append(action.request_id)
            elif isinstance(action, (OpenStream, OpenWebSocket)):
                self.streams.append(action.stream_id)
            elif isinstance(action, CloseStream) and action.stream_id in self.streams:
                self.streams.remove(action.stream_id)

    def step(self, op: int, arg: int, blob: bytes) -> None:
        m = self.machine
        pick = lambda seq: seq[arg % len(seq)] if seq else None  # noqa: E731
        kind = op % 12
        if kind == 0:
            try:
                job, actions = m.submit(arg % 3, [arg], now=self.now, timeout=(arg % 4) or None)
            except LocalProtocolError:
                assert self.closed
                return
            self.jobs.append(job)
            self.apply(actions)
        elif kind == 1 and self.jobs:
            self.apply(m.cancel(pick(self.jobs), now=self.now))
        elif kind == 2 and self.posts:
            rid = self.posts.pop(arg % len(self.posts))
            status = STATUSES[arg % len(STATUSES)]
            body = b'{"event_id": "E%d"}' % (arg % 5) if status == 200 else blob[:40]
            self.ledger.may_progress()  # a join reply may name a job: a fresh budget
            self.apply(m.receive_response(rid, status, body, {"retry-after": "1"}))
        elif kind == 3 and self.posts:
            self.apply(m.receive_request_error(self.posts.pop(arg % len(self.posts)), ConnectionLostError("x")))
        elif kind == 4 and self.streams:
            self.apply(m.stream_opened(pick(self.streams), [200, 200, 404, 502][arg % 4], "text/event-stream"))
        elif kind == 5 and self.streams:
            frame = EVENT_FRAMES[arg % len(EVENT_FRAMES)]
            data = frame % (arg % 5) if b"%d" in frame else frame
            self.apply(m.receive_stream_data(pick(self.streams), data))
        elif kind == 6 and self.streams:
            self.apply(m.receive_stream_data(pick(self.streams), blob))
        elif kind == 7 and self.streams:
            self.apply(m.receive_stream_eof(pick(self.streams)))
        elif kind == 8 and self.streams:
            self.apply(m.receive_stream_error(pick(self.streams), ConnectionLostError("cut")))
        elif kind == 9 and self.streams:
            frame = EVENT_FRAMES[arg % len(EVENT_FRAMES)]
            text = (frame % (arg % 5) if b"%d" in frame else frame)[6:-2]
            self.apply(m.receive_ws_message(pick(self.streams), text if arg % 2 else blob))
            if arg % 7 == 0:
                self.apply(m.ws_closed(pick(self.streams), 1000 + arg % 12))
        elif kind == 10:
            self.now += arg / 10
            self.apply(m.tick(self.now))
        elif kind == 11:
            if arg % 5 == 0:
                self.apply(m.close())
                self.closed = True
            else:
                self.apply(m.reset_session(f"S{arg % 3}"))


def test_one_input(data: bytes) -> None:
    if not data:
        return
    run = _Run(PROTOCOLS[data[0] % len(PROTOCOLS)])
    run.apply(run.machine.start())
    i = 1
    while i + 1 < len(data):
        op, arg = data[i], data[i + 1]
        size = data[i + 2] % 64 if i + 2 < len(data) else 0
        blob = data[i + 3 : i + 3 + size]
        run.step(op, arg, blob)
        i += 3 + (size if op % 12 in (2, 6, 9) else 0)
    run.apply(run.machine.close())
    run.ledger.check_closed(run.machine, run.jobs)


test_one_input.__test__ = False  # type: ignore[attr-defined]  # the target, not a test


@given(st.binary(min_size=1, max_size=600))
@settings(max_examples=400, deadline=None)
def test_random_programs(data: bytes) -> None:
    test_one_input(data)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*")), ids=lambda p: p.name)
def test_corpus(path: Path) -> None:
    test_one_input(path.read_bytes())


if __name__ == "__main__":  # pragma: no cover
    import atheris

    atheris.instrument_all()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
