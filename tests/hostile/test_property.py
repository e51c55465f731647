"""Hypothesis writes the hostile server's behaviour; every session must keep the promises.

Each example draws up to three faults (which request kind misbehaves, how, at which
occurrence, with which code, size or pace), whether the app wants a login, and the client
kind, then runs one full session (connect, a plain job, a job with an upload and a
download, close) and checks the four promises of ``promises.check_promises``.

Default run: ``GCX_HOSTILE_EXAMPLES`` examples (50).  The long run recorded in
docs/reliability.md:

    GCX_HOSTILE_EXAMPLES=900 GCX_HOSTILE_SECONDS=720 GCX_HOSTILE_COUNT_FILE=/tmp/count \\
        nice -n 19 ~/.cache/gcx/dev-py3.11/bin/python -m pytest tests/hostile/test_property.py -q -s

``GCX_HOSTILE_SECONDS`` makes the examples drawn after that many seconds no-ops (the test
passes if every session so far was clean; keep ``GCX_HOSTILE_EXAMPLES`` near what fits, as
hypothesis still draws the rest); the number of clean sessions is printed, and written to
``GCX_HOSTILE_COUNT_FILE`` after each session.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from . import promises
from .promises import check_promises, job_bound, run_session
from .server import Attacker, Fault, HostileServer, gzip_bomb

MiB = 1024 * 1024
EXAMPLES = int(os.environ.get("GCX_HOSTILE_EXAMPLES", "50"))
SECONDS = float(os.environ.get("GCX_HOSTILE_SECONDS", "0")) or None
COUNT_FILE = os.environ.get("GCX_HOSTILE_COUNT_FILE")  # the running count, for long runs
BOMB = 256 * MiB

_COMMON = ["redirect", "silence", "status", "garbage"]
ACTIONS: dict[str, list[str]] = {
    "config": _COMMON + ["bomb", "drip", "huge", "deep", "wrong_types"],
    "info": _COMMON + ["bomb", "drip", "huge", "deep", "wrong_types"],
    "login": _COMMON + ["drip"],
    "join": _COMMON + ["bomb", "drip", "huge", "deep", "wrong_types"],
    "stream": ["redirect", "silence", "status", "bomb", "huge", "endless", "garbage", "wrong_types",
               "replay", "deep"],
    "heartbeat": ["redirect", "silence", "status", "huge", "endless"],
    # a silent or dripping upload reply takes the clients' 30 s upload read timeout
    # (test_silence_and_drip_in_a_job_end_in_time); a dripping download is a known limit
    "upload": ["redirect", "status", "garbage", "bomb", "huge", "wrong_types"],
    "download": ["redirect", "silence", "status", "bomb", "huge"],
    "cancel": ["redirect", "silence", "status"],
}
CODES = {
    "redirect": [301, 302, 303, 307, 308],
    "status": [400, 401, 403, 404, 422, 429, 500, 502, 503],
}


@st.composite
def faults(draw: Any, evil_url: str) -> Fault:
    kind = draw(st.sampled_from(sorted(ACTIONS)))
    action = draw(st.sampled_from(ACTIONS[kind]))
    fault = Fault(kind, action, when=draw(st.sampled_from([None, 0, 1])))
    if action in CODES:
        fault.code = draw(st.sampled_from(CODES[action]))
    if action == "redirect":
        fault.target = draw(st.sampled_from(["self", evil_url]))
    if action == "bomb":
        fault.size = BOMB
    elif action == "huge":
        fault.size = draw(st.sampled_from([6 * MiB, 64 * MiB]))
    elif action == "deep":
        fault.size = draw(st.sampled_from([990, 100_000]))
    if action in ("drip", "endless"):
        fault.interval = draw(st.sampled_from([0.1, 0.3]))
        fault.heartbeats = draw(st.booleans())
    return fault


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[HostileServer, Attacker]]:
    gzip_bomb(BOMB)
    with HostileServer() as app, Attacker() as evil:
        yield app, evil


_clean = 0
_started = time.monotonic()


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    print(f"\nhostile property run: {_clean} clean sessions in {time.monotonic() - _started:.0f} s")


def test_every_generated_session_keeps_the_promises(servers: tuple[HostileServer, Attacker], monkeypatch: pytest.MonkeyPatch) -> None:
    app, evil = servers
    # tighter deadlines than the explicit tests: many sessions per minute
    monkeypatch.setattr(promises, "JOB_TIMEOUT", 1.5)
    monkeypatch.setattr(promises, "READ_TIMEOUT", 1.5)
    deadline = None if SECONDS is None else time.monotonic() + SECONDS

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(
        plan=st.lists(faults(evil.url), max_size=3),
        auth=st.booleans(),
        kind=st.sampled_from(["sync", "trio"]),
    )
    def session(plan: list[Fault], auth: bool, kind: str) -> None:
        global _clean
        if deadline is not None and time.monotonic() > deadline:
            return  # out of time: the remaining examples are not run
        app.reset(plan, auth=auth)
        evil.clear()
        tmp = Path(tempfile.mkdtemp(prefix="gcx-hostile-"))
        try:
            result = run_session(kind, app, evil, tmp, connect_timeout=1.0)
            check_promises(result, connect_timeout=1.0, job_bound=job_bound(plan, kind))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        _clean += 1
        if COUNT_FILE:
            Path(COUNT_FILE).write_text(f"{_clean} clean sessions in {time.monotonic() - _started:.0f} s\n")

    session()
