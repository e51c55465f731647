"""The issue-18 rules of the pure core, without servers (tests/deploy/test_deploy.py shows
them through real proxies).

* a joined event the session stream never names within ``event_ack_timeout`` s of the join
  reply (while the stream is open) ends with ``ReplicaMismatchError``;
* a lost session ends a job never named with ``ReplicaMismatchError``, and a named job whose
  stream was cut mid-job with ``StreamCutError``;
* an upload the server that ran the job does not have is ``UploadNotFoundError``.

The bound is chosen from the recorded sessions: a real server names every event at once.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from gradio_client.protocol.actions import JobFailed, JobSucceeded, OpenStream
from gradio_client.protocol.connect import machine_config
from gradio_client.protocol.errors import (
    AppError,
    ConnectionLostError,
    ReplicaMismatchError,
    SessionNotFoundError,
    StreamCutError,
    UploadNotFoundError,
)
from gradio_client.protocol.machine import EVENT_ACK_TIMEOUT, MULTIPLEXED
from tests.protocol.machine_helpers import Harness, completed, only

SESSIONS = Path(__file__).resolve().parents[1] / "data" / "sessions"
LOST = {"msg": "unexpected_error", "message": "404: Not Found", "session_not_found": True}


def joined(h: Harness, event_id: str) -> tuple[int, int | None]:
    job, actions = h.submit()
    opened = h.join(actions, event_id)
    streams = [a for a in opened if isinstance(a, OpenStream)]
    return job, (h.open(opened) if streams else None)


def estimation(event_id: str) -> dict[str, Any]:
    return {"msg": "estimation", "event_id": event_id, "rank": 0, "queue_size": 1, "rank_eta": None}


# --------------------------------------------------------------- the bound, from recordings


def test_every_recorded_server_names_each_event_first_with_an_estimation() -> None:
    """All generations with one stream per session (4.14-6.31): each joined event is named on
    the stream, first by an ``estimation`` sent as the event is queued."""
    checked = 0
    for folder in sorted(p for p in SESSIONS.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.json")):
            session = json.loads(path.read_text())
            if session["protocol"] not in MULTIPLEXED:
                continue
            for machine in session["machines"]:
                joins: set[str] = set()
                first: dict[str, str] = {}
                for entry in machine["log"]:
                    method, args = entry[1], entry[2]
                    if method == "receive_response":
                        body = args[2]["bytes"] if isinstance(args[2], dict) else str(args[2])
                        found = re.search(r'"event_id":\s*"(\w+)"', body or "")
                        if found:
                            joins.add(found.group(1))
                    elif method == "receive_stream_data":
                        chunk = args[1]["bytes"] if isinstance(args[1], dict) else ""
                        for line in chunk.splitlines():
                            if not line.startswith("data:"):
                                continue
                            try:
                                message = json.loads(line[5:])
                            except ValueError:
                                continue
                            if isinstance(message, dict) and message.get("event_id"):
                                first.setdefault(message["event_id"], message["msg"])
                assert joins <= set(first), (path, joins - set(first))
                assert all(first[e] == "estimation" for e in joins), (path, first)
                checked += len(joins)
    assert checked >= 6 * 81  # 4.14.0, 4.20.1, 4.21.0, 4.44.1, 5.50.0, 6.31.0


def test_machine_config_turns_the_rule_on_for_one_stream_per_session() -> None:
    from gradio_client.protocol.api import parse_config

    for version in ("6.31.0", "4.14.0", "4.0.2", "3.50.2"):
        raw = (SESSIONS.parent / "configs" / f"gradio-{version}" / "config.json").read_bytes()
        config = machine_config(parse_config(raw))
        expected = EVENT_ACK_TIMEOUT if config.protocol in MULTIPLEXED else None
        assert config.event_ack_timeout == expected, version


# ------------------------------------------------------------------ the deadline after join


def test_an_event_the_stream_never_names_fails_with_replica_mismatch() -> None:
    h = Harness(event_ack_timeout=10.0)
    h.now = 100.0
    job, sid = joined(h, "E1")
    assert sid is not None
    assert h.machine.next_deadline() is not None  # the clock starts at the next tick
    h.feed(h.machine.tick(100.5))  # armed: 110.5
    assert h.machine.next_deadline() == 110.5
    h.data(sid, estimation("OTHER"), {"msg": "heartbeat"})  # heartbeats keep it alive...
    h.feed(h.machine.tick(110.4))
    assert not h.of(JobFailed)
    h.feed(h.machine.tick(110.5))  # ...but they do not name the job
    end = h.terminal(job)
    assert isinstance(end, JobFailed) and isinstance(end.error, ReplicaMismatchError)
    assert isinstance(end.error, SessionNotFoundError) and end.error.event_id == "E1"
    text = str(end.error)
    assert "different replicas" in text and "sticky sessions" in text and "may have run" in text
    assert h.machine.next_deadline() is None


def test_any_message_naming_the_event_clears_the_deadline() -> None:
    h = Harness(event_ack_timeout=10.0)
    job, sid = joined(h, "E1")
    assert sid is not None
    h.feed(h.machine.tick(0.0))
    h.data(sid, estimation("E1"))
    assert h.machine.next_deadline() is None
    h.feed(h.machine.tick(1000.0))  # a long job with no news is fine once named
    h.data(sid, completed("E1", [7]))
    assert isinstance(h.terminal(job), JobSucceeded)


def test_messages_before_the_join_reply_count_as_naming() -> None:
    h = Harness(event_ack_timeout=10.0)
    first, sid = joined(h, "E1")
    assert sid is not None
    second, actions = h.submit()
    h.data(sid, estimation("E2"))  # early: the join reply is still in flight
    h.join(actions, "E2")
    h.data(sid, estimation("E1"))
    assert h.machine.next_deadline() is None


def test_the_clock_waits_while_the_stream_is_not_open() -> None:
    h = Harness(event_ack_timeout=10.0)
    job, actions = h.submit()
    opened = h.join(actions, "E1")  # the stream GET is not answered yet
    h.feed(h.machine.tick(0.0))
    h.feed(h.machine.tick(50.0))
    assert not h.of(JobFailed)  # re-armed: nothing to blame on replicas yet
    sid = h.open(opened)
    h.feed(h.machine.tick(59.0))
    assert not h.of(JobFailed)
    h.feed(h.machine.tick(60.0))
    assert isinstance(h.terminal(job), JobFailed)
    assert sid is not None


def test_off_by_default_in_a_bare_config() -> None:
    h = Harness()
    job, sid = joined(h, "E1")
    assert h.machine.next_deadline() is None
    h.feed(h.machine.tick(10_000.0))
    assert not h.of(JobFailed)


# ------------------------------------------------------------------ a session the server lost


def test_lost_session_fails_an_unnamed_job_with_replica_mismatch() -> None:
    h = Harness(event_ack_timeout=10.0)
    job, sid = joined(h, "E1")
    assert sid is not None
    h.data(sid, LOST)
    end = h.terminal(job)
    assert isinstance(end, JobFailed) and type(end.error) is ReplicaMismatchError


def test_lost_session_after_a_cut_stream_is_a_stream_cut() -> None:
    h = Harness(event_ack_timeout=10.0)
    job, sid = joined(h, "E1")
    assert sid is not None
    h.data(sid, estimation("E1"), {"msg": "process_starts", "event_id": "E1", "eta": None})
    reopen = h.feed(h.machine.receive_stream_error(sid, ConnectionLostError("incomplete chunked read")))
    sid2 = h.open(reopen)
    h.data(sid2, LOST)
    end = h.terminal(job)
    assert isinstance(end, JobFailed) and isinstance(end.error, StreamCutError)
    text = str(end.error)
    assert "closed while the job was pending" in text and "proxy_read_timeout" in text


def test_lost_session_without_a_cut_keeps_the_plain_error() -> None:
    h = Harness(event_ack_timeout=10.0)
    job, sid = joined(h, "E1")
    assert sid is not None
    h.data(sid, estimation("E1"), LOST)
    end = h.terminal(job)
    assert isinstance(end, JobFailed) and type(end.error) is SessionNotFoundError


# ------------------------------------------------------------------ an upload on another replica


@pytest.mark.parametrize("text", [
    "Cannot move /tmp/gradio/ab/f.txt to the gradio cache dir because it was not uploaded by a user.",
    "File /tmp/gradio/ab/f.txt is not in the upload folder and cannot be accessed.",
])
def test_missing_upload_is_upload_not_found(text: str) -> None:
    h = Harness()
    job, sid = joined(h, "E1")
    assert sid is not None
    h.data(sid, {"msg": "process_completed", "event_id": "E1", "success": False,
                 "output": {"error": text}})
    end = h.terminal(job)
    assert isinstance(end, JobFailed) and isinstance(end.error, UploadNotFoundError)
    assert isinstance(end.error, AppError) and isinstance(end.error, ReplicaMismatchError)
    assert "not found on the server that ran it" in str(end.error) and text in str(end.error)
