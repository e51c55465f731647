"""Small drivers shared by test_mutants_queue_machine.py and test_mutants_queue_routing.py."""

from __future__ import annotations

import json
from typing import Any

from gradio_client.protocol.actions import OpenStream, OpenWebSocket

from .machine_helpers import Harness, only


def joined(h: Harness, event_id: str = "E1", **kw: Any) -> tuple[int, list[Any]]:
    job, actions = h.submit(**kw)
    return job, h.join(actions, event_id)


def session_stream(actions: list[Any]) -> OpenStream:
    return only([a for a in actions if isinstance(a, OpenStream) and "queue/data" in a.path], OpenStream)


def ws_job(h: Harness, fn: int = 0) -> tuple[int, int]:
    job, actions = h.submit(fn)
    return job, only(actions, OpenWebSocket).stream_id


def ws_say(h: Harness, sid: int, message: dict[str, Any]) -> list[Any]:
    return h.feed(h.machine.receive_ws_message(sid, json.dumps(message)))


def generating(data: list[Any]) -> dict[str, Any]:
    return {"msg": "process_generating", "event_id": "E1", "output": {"data": data}, "success": True}


def on_session_stream(*messages: dict[str, Any], **config: Any) -> tuple[Harness, int, int]:
    h = Harness(**config)
    job, opened = joined(h)
    sid = h.open([session_stream(opened)])
    for message in messages:
        h.data(sid, message)
    return h, job, sid
