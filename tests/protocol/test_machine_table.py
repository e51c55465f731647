"""The job-phase table: every (phase, input kind) pair moves along MOVES or raises
LocalProtocolError, on every wire family; plus the Wire table and the observer.

Each case drives one job B to a phase (JOINING, WAITING, DONE) on a wire, feeds one input
of a kind (a user call, a reply, a message of each type on B's channel, a stream end),
and checks that B's phase either stayed or moved by a legal move, that the only exception
is LocalProtocolError, and that B got at most one terminal action (the shared Ledger).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from gradio_client.protocol.actions import (
    Action,
    JobSucceeded,
    OpenStream,
    OpenWebSocket,
    Post,
)
from gradio_client.protocol.errors import ConnectionLostError, LocalProtocolError
from gradio_client.protocol.machine import (
    DIFFED,
    INPUTS,
    MOVES,
    MULTIPLEXED,
    PROTOCOLS,
    MachineConfig,
    Phase,
    QueueMachine,
    Wire,
    watch_machines,
)
from gradio_client.protocol.queue import RULES
from gradio_client.protocol.queue.state import _Job, move
from gradio_client.testing import encode_action, replay_machine

from .invariants import Ledger
from .machine_helpers import completed, frame, only

WIRES = ["ws", "sse", "sse_v1", "sse_v3"]

MESSAGES: dict[str, dict[str, Any]] = {
    "estimation": {"msg": "estimation", "rank": 0, "queue_size": 1, "rank_eta": 1.0},
    "send_hash": {"msg": "send_hash"},
    "send_data": {"msg": "send_data"},
    "queue_full": {"msg": "queue_full"},
    "process_starts": {"msg": "process_starts", "eta": 1.0},
    "progress": {"msg": "progress", "progress_data": [{"index": 1, "length": 3}]},
    "log": {"msg": "log", "log": "hello", "level": "info"},
    "process_generating": {"msg": "process_generating", "output": {"data": [1]}},
    "process_streaming": {"msg": "process_streaming", "output": {"data": [1]}},
    "completed": {"msg": "process_completed", "output": {"data": [2]}},
    "completed_failed": {"msg": "process_completed", "success": False, "output": {"error": "boom"}},
    "completed_cancelled": {"msg": "process_completed", "output": {}},
    "unexpected_error": {"msg": "unexpected_error", "message": "oops"},
    "session_not_found": {"msg": "unexpected_error", "session_not_found": True},
    "server_stopped": {"msg": "server_stopped"},
    "close_stream": {"msg": "close_stream"},
    "heartbeat": {"msg": "heartbeat"},
    "alive": {"msg": "alive?"},
    "unknown": {"msg": "something_new"},
}


class World:
    """One machine on one wire, with job B driven to a phase; knows B's channel."""

    def __init__(self, protocol: str) -> None:
        self.wire = Wire.of(protocol)
        self.machine = QueueMachine(MachineConfig(protocol=protocol, event_ack_timeout=5.0), "S")
        self.ledger = Ledger()
        self.channel: int | None = None  # B's stream or socket (session stream: multiplexed)
        self.posts: list[Post] = []  # B's requests, latest last
        if self.wire.multiplexed:  # a first job opens the session stream, then ends
            a, actions = self.machine.submit(0, [0], now=0.0)
            actions = self.feed(self.machine.receive_response(only(actions, Post).request_id, 200, b'{"event_id":"A"}'))
            self.channel = only(actions, OpenStream).stream_id
            self.feed(self.machine.stream_opened(self.channel, 200, "text/event-stream"))
            self.feed(self.machine.receive_stream_data(self.channel, frame(completed("A", [0]))))
        self.job, actions = self.machine.submit(1, [1], now=0.0, timeout=10.0)
        self.feed(actions)
        for action in actions:
            if isinstance(action, OpenStream):
                self.channel = action.stream_id
                self.feed(self.machine.stream_opened(self.channel, 200, "text/event-stream"))
            elif isinstance(action, OpenWebSocket):
                self.channel = action.stream_id

    def feed(self, actions: list[Action]) -> list[Action]:
        self.ledger.record(actions)
        self.posts += [a for a in actions if isinstance(a, Post) and a.job == self.job]
        return actions

    def say(self, message: dict[str, Any] | bytes) -> list[Action]:
        if isinstance(message, dict):
            message = {**message, "event_id": "B"} if self.wire is not Wire.WS else message
        if self.wire is Wire.WS:
            text = message if isinstance(message, bytes) else json.dumps(message).encode()
            return self.feed(self.machine.receive_ws_message(self._channel(), text))
        data = b"data: " + message + b"\n\n" if isinstance(message, bytes) else frame(message)
        return self.feed(self.machine.receive_stream_data(self._channel(), data))

    def _channel(self) -> int:
        assert self.channel is not None
        return self.channel

    def reply(self, status: int, body: bytes = b'{"event_id":"B"}') -> list[Action]:
        request = self.posts[-1].request_id if self.posts else 10_000
        return self.feed(self.machine.receive_response(request, status, body))

    def to_phase(self, phase: Phase) -> None:
        if phase is Phase.JOINING:
            return
        if self.wire.multiplexed:
            self.reply(200)
        elif self.wire is Wire.SSE_V0:
            self.say(MESSAGES["send_data"])
        else:
            self.say(MESSAGES["send_hash"])
            self.say(MESSAGES["send_data"])
        assert self.machine.phase(self.job) is Phase.WAITING
        if phase is Phase.DONE:
            self.feed(self.machine.cancel(self.job, now=1.0))
            assert self.machine.phase(self.job) is Phase.DONE


def _close_then_submit(w: World) -> list[Action]:
    w.feed(w.machine.close())
    return w.machine.submit(0, [1], now=2.0)[1]  # LocalProtocolError: closed


INPUT_KINDS: dict[str, Callable[[World], list[Action]]] = {
    "cancel": lambda w: w.feed(w.machine.cancel(w.job, now=1.0)),
    "tick_past_deadline": lambda w: w.feed(w.machine.tick(100.0)),
    "tick_early": lambda w: w.feed(w.machine.tick(1.0)),
    "submit_another": lambda w: w.feed(w.machine.submit(2, [2], now=1.0)[1]),
    "reply_ok": lambda w: w.reply(200),
    "reply_without_event": lambda w: w.reply(200, b"{}"),
    "reply_429": lambda w: w.reply(429, b"{}"),
    "reply_422": lambda w: w.reply(422, b'{"detail": []}'),
    "reply_500": lambda w: w.reply(500, b"boom"),
    "request_error": lambda w: w.feed(
        w.machine.receive_request_error(w.posts[-1].request_id if w.posts else 10_000, ConnectionLostError("x"))
    ),
    **{f"message_{name}": (lambda w, m=message: w.say(m)) for name, message in MESSAGES.items()},
    "message_malformed": lambda w: w.say(b'{"msg": "process_completed", "event_id": 5}'),
    "message_not_json": lambda w: w.say(b"{nope"),
    "stream_eof": lambda w: w.feed(w.machine.receive_stream_eof(w._channel())),
    "stream_error": lambda w: w.feed(w.machine.receive_stream_error(w._channel(), ConnectionLostError("x"))),
    "ws_closed": lambda w: w.feed(w.machine.ws_closed(w._channel(), 1000)),
    "stream_opened_401": lambda w: w.feed(w.machine.stream_opened(w._channel(), 401)),
    "close": lambda w: w.feed(w.machine.close()),
    "close_then_submit": _close_then_submit,
}


@pytest.mark.parametrize("kind", list(INPUT_KINDS))
@pytest.mark.parametrize("phase", list(Phase), ids=lambda p: p.name)
@pytest.mark.parametrize("protocol", WIRES)
def test_every_phase_and_input_moves_legally_or_raises(protocol: str, phase: Phase, kind: str) -> None:
    world = World(protocol)
    world.to_phase(phase)
    try:
        INPUT_KINDS[kind](world)
    except LocalProtocolError:
        assert kind == "close_then_submit"  # the one misuse among these inputs
        after = world.machine.phase(world.job)
    else:
        assert kind != "close_then_submit", "a closed machine accepted a job"
        after = world.machine.phase(world.job)
    assert after is phase or (phase, after) in MOVES, f"{phase.name} -> {after.name}"
    world.ledger.check_phases(world.machine, [world.job])
    if kind in ("close", "close_then_submit"):
        world.ledger.check_closed(world.machine, [world.job])


@pytest.mark.parametrize(("was", "to"), list(itertools.product(Phase, Phase)), ids=str)
def test_move_follows_the_table_exactly(was: Phase, to: Phase) -> None:
    job = _Job(1, 0, [], {}, "S")
    job.phase = was
    if (was, to) in MOVES:
        assert move(job, to) is was and job.phase is to
    else:
        with pytest.raises(LocalProtocolError, match=f"cannot move from {was.name} to {to.name}"):
            move(job, to)
        assert job.phase is was


def test_wire_of_every_protocol_and_a_rule_for_every_wire() -> None:
    assert {Wire.of(p) for p in PROTOCOLS} == set(Wire) == set(RULES)
    for protocol in PROTOCOLS:
        wire = Wire.of(protocol)
        assert wire.multiplexed is (protocol in MULTIPLEXED)
        assert wire.diffed is (protocol in DIFFED)
        assert RULES[wire].session_stream is wire.multiplexed
        assert Wire.parse(protocol) is wire
    assert Wire.parse("sse_v9") is None
    with pytest.raises(LocalProtocolError, match="Unsupported Gradio queue protocol 'sse_v9'"):
        Wire.of("sse_v9")


def _run_one_job(machine: QueueMachine) -> list[Action]:
    job, actions = machine.submit(0, [1], now=0.0)
    out = machine.receive_response(only(actions, Post).request_id, 200, b'{"event_id":"E"}')
    stream = only(out, OpenStream).stream_id
    opened = machine.stream_opened(stream, 200, "text/event-stream")
    data = machine.receive_stream_data(stream, frame(completed("E", [7])))
    return actions + out + opened + data


def test_the_observer_sees_every_input_with_its_inputs_and_answer() -> None:
    calls: list[tuple[str, dict[str, Any], Any]] = []
    machine = QueueMachine(MachineConfig(protocol="sse_v3"), "S", observer=lambda *c: calls.append((c[0], dict(c[1]), c[2])))
    produced = _run_one_job(machine)
    assert [c[0] for c in calls] == ["submit", "receive_response", "stream_opened", "receive_stream_data"]
    assert calls[0][1] == {"fn_index": 0, "data": [1], "now": 0.0} and calls[0][2][0] == 1
    assert [a for c in calls for a in (c[2][1] if c[0] == "submit" else c[2])] == produced
    assert isinstance(produced[-1], JobSucceeded)
    assert all(name in INPUTS for name, _, _ in calls)
    assert "submit" not in vars(QueueMachine(MachineConfig(protocol="sse_v3"), "T"))  # no observer: untouched
    assert QueueMachine.submit.__qualname__ == "QueueMachine.submit"  # the class is never patched


def test_watch_machines_observes_machines_created_elsewhere_until_stopped() -> None:
    seen: list[str] = []
    passes = watch_machines(lambda m: None)  # a watcher may let a machine go unobserved
    stop = watch_machines(lambda m: (lambda name, inputs, returned: seen.append(f"{m.session_hash}.{name}")))
    try:
        _run_one_job(QueueMachine(MachineConfig(protocol="sse_v3"), "W"))
        explicit: list[str] = []
        QueueMachine(MachineConfig(protocol="sse_v3"), "X", observer=lambda n, i, r: explicit.append(n)).start()
    finally:
        stop()
        passes()
    _run_one_job(QueueMachine(MachineConfig(protocol="sse_v3"), "Y"))
    assert seen == ["W.submit", "W.receive_response", "W.stream_opened", "W.receive_stream_data"]
    assert explicit == ["start"]


def test_a_typed_recording_replays_and_any_changed_field_is_a_difference() -> None:
    """A log in the recorder's format 2 replays exactly; changing any one field of any
    recorded action (fields the old positional format dropped included) is reported."""
    entries: list[list[Any]] = []

    def record(name: str, inputs: Any, returned: Any) -> None:
        entry: list[Any] = [len(entries), name, [], json.loads(json.dumps({k: v.decode() if isinstance(v, bytes) else v for k, v in inputs.items()}))]
        actions = returned[1] if name == "submit" else returned
        if name == "submit":
            entry.append(returned[0])
        entry.append(json.loads(json.dumps([encode_action(a) for a in actions])))
        entries.append(entry)

    config = MachineConfig(protocol="sse_v3")
    machine = QueueMachine(config, "S", observer=record)
    job, actions = machine.submit(0, [1], now=0.0)
    out = machine.receive_response(only(actions, Post).request_id, 200, b'{"event_id":"E"}')
    stream = only(out, OpenStream).stream_id
    machine.stream_opened(stream, 200, "text/event-stream")
    machine.receive_stream_data(stream, frame({**MESSAGES["log"], "event_id": "E", "title": "T"}))
    machine.receive_stream_data(stream, frame({"msg": "process_completed", "event_id": "E", "success": False, "output": {"error": "boom", "duration": 3}}))
    for entry in entries:  # bytes inputs in the recorder's encoding
        entry[3] = {k: ({"bytes": v} if k == "data" and entry[1] == "receive_stream_data" else v) for k, v in entry[3].items()}
    log = {"config": msgspec.to_builtins(config), "session": "S", "log": entries}
    assert replay_machine(log) == ([], [a for e in entries for a in e[-1]])
    paths = list(_leaves(entries))
    assert len(paths) > 30
    status = next(a for e in log["log"] for a in e[-1] if a["type"] == "EmitStatus")  # type: ignore[index]
    assert "rank" not in status["update"]  # None fields are left out of the recording
    status["update"]["rank"] = 1
    assert replay_machine(log)[0], "recorded rank 1, produced None: unnoticed"
    del status["update"]["rank"]
    for entry_index, action_index, path in paths:
        changed = json.loads(json.dumps(log))
        target = changed["log"][entry_index][-1][action_index]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = "changed" if target[path[-1]] != "changed" else "other"
        differences, _ = replay_machine(changed)
        assert differences, f"a change at {entry_index}/{action_index}/{path} went unnoticed"


def _leaves(entries: list[list[Any]]) -> Any:
    def walk(value: Any, path: tuple[Any, ...]) -> Any:
        if isinstance(value, dict):
            for key, item in value.items():
                yield from walk(item, (*path, key))
        elif isinstance(value, list) and value:
            for index, item in enumerate(value):
                yield from walk(item, (*path, index))
        else:
            yield path

    for entry_index, entry in enumerate(entries):
        for action_index, action in enumerate(entry[-1]):
            for path in walk(action, ()):
                yield entry_index, action_index, path
