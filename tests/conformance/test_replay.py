"""Every Gradio generation, without a server: replay the recorded wire sessions.

tests/data/sessions/<version>/<scenario>.json were recorded by tools/record.py against real
servers (3.50.2 ... 6.31.0).  Three levels:

* connect: the recorded /config and /info fed to ``connect_flow`` give the same queue
  machine configuration the live client had;
* core: the recorded machine inputs (submits, cancels, join replies, stream bytes,
  websocket frames, ticks) fed to a fresh ``QueueMachine`` give exactly the recorded
  actions, and the jobs end as they did live;
* shell: the scenario itself runs again through the real ``Client`` and ``AsyncClient``
  (on trio and on asyncio) whose transport is a ``ReplayTransport`` (websockets: the
  ``_sync_ws`` hook for ``Client``, the ``Replay.ws_connect`` connector injected into the
  async shells), with the same per-generation assertions as the live matrix.

Scenarios listed in ``scenarios.KNOWN_BUGS`` are xfail(strict): fixing the bug and
re-recording turns them into failures until the entry is removed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gradio_client.protocol.connect import (
    Connection,
    HttpRequest,
    HttpResponse,
    connect_flow,
    machine_config,
)
from gradio_client.testing import FORMAT, ROOT, Replay, replay_machine

from .runner import AIO_MISSING, run_replay, session_paths
from .scenarios import GENERATIONS, KNOWN_BUGS, SCENARIOS

PATHS = session_paths()
IDS = [f"{p.parent.name}-{p.stem}" for p in PATHS]


def load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def test_fixtures_cover_every_generation_and_scenario() -> None:
    recorded = {(p.parent.name, p.stem) for p in PATHS}
    missing = [(v, s) for v in GENERATIONS for s in SCENARIOS if (v, s) not in recorded]
    assert not missing, f"no recorded session for {missing}: run python3 tools/record.py"


def test_fixtures_stay_small() -> None:
    root = PATHS[0].parents[1] if PATHS else Path(".")
    total = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    assert total < 6 * 2**20, f"tests/data/sessions is {total / 2**20:.1f} MiB"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_recording_has_no_volatile_values(path: Path) -> None:
    text = path.read_text()
    assert "127.0.0.1" not in text and "/tmp/gcx-" not in text
    session = load(path)
    assert session["format"] == FORMAT and session["gradio"] in GENERATIONS


# ------------------------------------------------------------------------------ connect


def _drive_connect(replay: Replay, session: dict[str, Any]) -> Connection:
    flow = connect_flow(ROOT)
    reply: HttpResponse | None = None
    exchanges = [e for e in session["exchanges"] if "method" in e and e["method"] == "GET"]
    while True:
        try:
            step = flow.send(reply)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        assert isinstance(step, HttpRequest), step
        match = next(e for e in exchanges if e["url"] == step.url)
        reply = HttpResponse(status_code=match["status"], content=replay.body_of(match),
                             headers=match.get("headers", {}))


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_connect_flow_from_recording(path: Path) -> None:
    session = load(path)
    replay = Replay(session, path.parent / "blobs")
    conn = _drive_connect(replay, session)
    gen = GENERATIONS[session["gradio"]]
    assert conn.config.protocol == gen.protocol
    assert conn.config.api_prefix == gen.api_prefix
    assert conn.config.version == gen.version
    recorded = session["machines"][0]["config"]
    derived = json.loads(json.dumps(
        __import__("msgspec").to_builtins(machine_config(conn.config, stream_read_timeout=60.0))))
    # every field the live client had is derived again; fields added to MachineConfig
    # since the recording (with their defaults) are not in it
    assert set(recorded) <= set(derived), set(recorded) - set(derived)
    assert {k: derived[k] for k in recorded} == recorded


# ------------------------------------------------------------------------------ core


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_queue_machine_replays_exactly(path: Path) -> None:
    session = load(path)
    assert session["machines"], "no machine log recorded"
    for machine in session["machines"]:
        differences, produced = replay_machine(machine)
        assert not differences, "\n".join(differences[:3])
        submitted = [e for e in machine["log"] if e[1] == "submit"]
        terminal = [a for a in produced if a["type"] in ("JobSucceeded", "JobFailed", "JobCancelled")]
        # every job ended exactly once (close() ends what is left, as cancelled)
        assert sorted(a["job"] for a in terminal) == sorted(e[4] for e in submitted)
    if session["scenario"] == "calculator":
        _, produced = replay_machine(session["machines"][0])
        first = next(a for a in produced if a["type"] == "JobSucceeded")
        gen = GENERATIONS[session["gradio"]]
        assert first["data"] == [7] and type(first["data"][0]) is gen.number, first


# ------------------------------------------------------------------------------ shells


def _kinds() -> list[Any]:
    kinds: list[Any] = ["sync"]
    for kind in ("trio", "asyncio"):
        if AIO_MISSING:
            kinds.append(pytest.param(kind, marks=pytest.mark.skip(reason=AIO_MISSING)))
        else:
            kinds.append(kind)
    return kinds


def _case(path: Path, kind: str) -> Any:
    version, name = path.parent.name, path.stem
    marks = []
    known = KNOWN_BUGS.get((name, version))
    if known:
        marks.append(pytest.mark.xfail(reason=known, strict=True))
    return pytest.param(path, kind, marks=marks, id=f"{kind}-{version}-{name}")


CASES = [_case(p, k if isinstance(k, str) else k.values[0]) for p in PATHS for k in _kinds()]


@pytest.mark.parametrize(("path", "kind"), CASES)
def test_scenario_replays_through_client(path: Path, kind: str) -> None:
    if kind != "sync" and AIO_MISSING:
        pytest.skip(AIO_MISSING)
    outcome, replay = run_replay(path, kind, gate_timeout=3.0)
    assert outcome.ok, outcome.error
    assert not replay.problems, replay.problems[:5]
    assert not replay.unused(), replay.unused()[:5]


FORMAT1 = sorted((Path(__file__).parent / "format1").glob("*.json"))


@pytest.mark.parametrize("path", FORMAT1, ids=lambda p: p.stem)
def test_format_1_machine_logs_still_replay(path: Path) -> None:
    """Sessions recorded before format 2 (positional actions) replay as they were recorded,
    and a changed answer is still a difference."""
    session = json.loads(path.read_text())
    assert session["format"] == 1
    for machine in session["machines"]:
        assert replay_machine(machine)[0] == []
    machine = session["machines"][0]
    end = next(a for e in machine["log"] for a in e[-1] if a[0] == "JobSucceeded")
    end[2] = ["something else"]
    assert any("actions differ" in d for d in replay_machine(machine)[0])
