"""Micro-benchmark of the protocol core's hot path: stream bytes in, actions out.

Run from the repository root:  python bench/bench_core.py

Each message goes through the whole core: SSE decoding, ``decode_message`` (the one
msgspec decoder), routing by ``event_id`` and the job's transition, producing its actions
(statuses, outputs, the terminal action).  Messages are shaped like gradio 6.31's
``/queue/data`` frames (sse_v3), for ``JOBS`` jobs multiplexed on one session stream:
estimation, process_starts, ``GENERATIONS`` process_generating (the first a full value, the
rest diffs) and process_completed per job.  Prints microseconds per message, best of
several runs (an estimate of the cost on an idle machine):

  1. one message per ``receive_stream_data`` call (a server flushing each message);
  2. every message of the run in 4 KiB chunks (a busy stream read in big reads);
  3. ``decode_message`` alone, for the share the decoder takes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from gradio_client.protocol.actions import OpenStream, Post  # noqa: E402
from gradio_client.protocol.machine import MachineConfig, QueueMachine  # noqa: E402
from gradio_client.protocol.messages import decode_message  # noqa: E402

JOBS = 200
GENERATIONS = 5


def frame(message: dict) -> bytes:
    return b"data: " + json.dumps(message, separators=(",", ":")).encode() + b"\n\n"


def messages_for(event_id: str) -> list[bytes]:
    out = [
        frame({"msg": "estimation", "event_id": event_id, "rank": 3, "queue_size": 10,
               "rank_eta": 1.5}),
        frame({"msg": "process_starts", "event_id": event_id, "eta": 0.4,
               "progress_data": None}),
        frame({"msg": "process_generating", "event_id": event_id, "success": True,
               "output": {"data": ["token 0"], "is_generating": True, "duration": 0.01,
                          "average_duration": 0.01, "render_config": None,
                          "changed_state_ids": []}}),
    ]
    for i in range(1, GENERATIONS):
        out.append(frame({"msg": "process_generating", "event_id": event_id, "success": True,
                          "output": {"data": [[["append", [], f" token {i}"]]],
                                     "is_generating": True, "duration": 0.01,
                                     "average_duration": 0.01, "render_config": None,
                                     "changed_state_ids": []}}))
    out.append(frame({"msg": "process_completed", "event_id": event_id, "success": True,
                      "output": {"data": ["token 0 token 1 token 2 token 3 token 4"],
                                 "is_generating": False, "duration": 0.05,
                                 "average_duration": 0.05, "render_config": None,
                                 "changed_state_ids": []},
                      "title": None, "used_cache": None, "avg_time": 0.05}))
    return out


def interleaved() -> list[bytes]:
    """Every job's messages, round robin: the order a busy server produces."""
    per_job = [messages_for(f"{j:032x}") for j in range(JOBS)]
    return [job[i] for i in range(len(per_job[0])) for job in per_job]


def joined_machine() -> tuple[QueueMachine, int]:
    """A machine with JOBS jobs joined and the session stream open."""
    machine = QueueMachine(MachineConfig(protocol="sse_v3", api_prefix="/gradio_api"), "s")
    stream_id = None
    for j in range(JOBS):
        _, actions = machine.submit(0, ["x"], now=0.0)
        post = next(a for a in actions if isinstance(a, Post))
        reply = machine.receive_response(post.request_id, 200, b'{"event_id":"%032x"}' % j)
        for action in reply:
            if isinstance(action, OpenStream):
                stream_id = action.stream_id
    assert stream_id is not None
    machine.stream_opened(stream_id, 200, "text/event-stream")
    return machine, stream_id


def best_of(repeats: int, setup: Callable[[], object], run: Callable[[object], int]) -> float:
    best = float("inf")
    for _ in range(repeats):
        state = setup()
        t0 = time.perf_counter()
        n = run(state)
        best = min(best, (time.perf_counter() - t0) / n)
    return best * 1e6


def main() -> None:
    frames = interleaved()
    stream = b"".join(frames)
    chunks = [stream[i : i + 4096] for i in range(0, len(stream), 4096)]
    datas = [f[6:-2] for f in frames]
    print(f"{JOBS} jobs x {len(frames) // JOBS} messages = {len(frames)} messages, "
          f"{len(stream) / len(frames):.0f} B per message on average")

    def per_message(state: object) -> int:
        machine, sid = state  # type: ignore[misc]
        ends = 0
        for f in frames:
            ends += len(machine.receive_stream_data(sid, f))
        assert not machine.pending_jobs(), "every job must have ended"
        return len(frames)

    def chunked(state: object) -> int:
        machine, sid = state  # type: ignore[misc]
        for c in chunks:
            machine.receive_stream_data(sid, c)
        assert not machine.pending_jobs()
        return len(frames)

    def decode_only(state: object) -> int:
        for d in datas:
            decode_message(d)
        return len(datas)

    print(f"bytes -> actions, 1 message per feed : {best_of(9, joined_machine, per_message):5.2f} us/message")
    print(f"bytes -> actions, 4 KiB chunks       : {best_of(9, joined_machine, chunked):5.2f} us/message")
    print(f"decode_message alone                 : {best_of(9, lambda: None, decode_only):5.2f} us/message")


if __name__ == "__main__":
    main()
