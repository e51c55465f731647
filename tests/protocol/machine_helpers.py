"""A small harness for driving QueueMachine in tests: records actions, builds frames."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from gradio_client.protocol.actions import (
    Action,
    EmitOutput,
    EmitStatus,
    JobCancelled,
    JobFailed,
    JobSucceeded,
    Notice,
    OpenStream,
    Post,
)
from gradio_client.protocol.machine import MachineConfig, QueueMachine

A = TypeVar("A")
TERMINAL = (JobSucceeded, JobFailed, JobCancelled)


def frame(message: dict[str, Any]) -> bytes:
    """One message as Gradio writes it on the event stream."""
    return b"data: " + json.dumps(message, ensure_ascii=False).encode() + b"\n\n"


def completed(event_id: str, data: list[Any], **extra: Any) -> dict[str, Any]:
    return {
        "msg": "process_completed",
        "event_id": event_id,
        "output": {"data": data, "is_generating": False, "duration": 0.01},
        "success": True,
        **extra,
    }


class Harness:
    def __init__(self, protocol: str = "sse_v3", session: str = "S", **config: Any) -> None:
        config.setdefault("api_prefix", "/gradio_api" if protocol == "sse_v3" else "")
        self.machine = QueueMachine(MachineConfig(protocol=protocol, **config), session)
        self.log: list[Action] = []
        self.now = 0.0

    def feed(self, actions: list[Action]) -> list[Action]:
        self.log.extend(actions)
        return actions

    def submit(self, fn: int = 0, data: list[Any] | None = None, **kw: Any) -> tuple[int, list[Action]]:
        job, actions = self.machine.submit(fn, data if data is not None else [1], now=self.now, **kw)
        return job, self.feed(actions)

    def join(self, job_actions: list[Action], event_id: str, status: int = 200) -> list[Action]:
        post = only(job_actions, Post)
        body = json.dumps({"event_id": event_id}).encode() if status == 200 else b"{}"
        return self.feed(self.machine.receive_response(post.request_id, status, body))

    def open(self, actions: list[Action], status: int = 200, ctype: str = "text/event-stream") -> int:
        stream = only(actions, OpenStream)
        self.feed(self.machine.stream_opened(stream.stream_id, status, ctype))
        return stream.stream_id

    def data(self, stream_id: int, *messages: dict[str, Any]) -> list[Action]:
        return self.feed(self.machine.receive_stream_data(stream_id, b"".join(map(frame, messages))))

    def of(self, kind: type[A], job: int | None = None) -> list[A]:
        return [a for a in self.log if isinstance(a, kind) and (job is None or getattr(a, "job", None) == job)]

    def terminal(self, job: int) -> Action:
        ends = [a for a in self.log if isinstance(a, TERMINAL) and a.job == job]
        assert len(ends) == 1, ends
        return ends[0]

    def statuses(self, job: int) -> list[str]:
        return [a.update.code.name for a in self.of(EmitStatus, job)]

    def outputs(self, job: int) -> list[list[Any]]:
        return [a.data for a in self.of(EmitOutput, job)]

    def notices(self) -> list[str]:
        return [a.message for a in self.of(Notice)]


def only(actions: list[Action], kind: type[A]) -> A:
    found = [a for a in actions if isinstance(a, kind)]
    assert len(found) == 1, f"expected one {kind.__name__} in {actions}"
    return found[0]
