"""Hypothesis writes the hostile server's behaviour; every session must keep the promises.

Each example draws up to three faults (which request kind misbehaves, how, at which
occurrence, with which code, size or pace), whether the app wants a login, and the client
kind (``Client``, ``AsyncClient`` under trio or asyncio), then runs one full session
(connect, a plain job, a job with an upload and a download, close) and checks the four
promises of ``promises.check_promises``.

Every session runs at a scale (``promises.Scale.by``): every time constant (the clients'
connect, job, read and stream-idle deadlines, the queue core's backoff, retry and grace
delays, the server's paces and the faults' intervals) times ``GCX_HOSTILE_TIME`` (0.1),
every size (the caps, the bombs and huge bodies) times ``GCX_HOSTILE_SIZE`` (1/8); every
bound the promises check is derived from the scaled constants (``Scale``), so a failure
means the same broken promise it means at scale 1.  The machine's scheduling is the one
thing no factor changes: time bounds also allow ``GCX_HOSTILE_JITTER`` (0.5 s) and the
scheduling delay measured during the session (``promises.LagProbe``; under a load
average of 17 a connect with a 0.1 s deadline was once seen to take 0.83 s).

Default run: ``GCX_HOSTILE_EXAMPLES`` examples (50).  Long runs (docs/reliability.md) use
``tests/hostile/long_run.py``, which repeats this test with fresh seeds and sums
``GCX_HOSTILE_COUNT_FILE``: after each session it holds a JSON record (clean sessions,
seconds, faults drawn and fired per request kind x action, outcomes).
``GCX_HOSTILE_SECONDS`` makes the examples drawn after that many seconds no-ops.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from .promises import KINDS, Scale, check_promises, job_bound, memory_budget, rss_mib, run_session
from .server import Attacker, Fault, HostileServer, gzip_bomb

MiB = 1024 * 1024
EXAMPLES = int(os.environ.get("GCX_HOSTILE_EXAMPLES", "50"))
SECONDS = float(os.environ.get("GCX_HOSTILE_SECONDS", "0")) or None
COUNT_FILE = os.environ.get("GCX_HOSTILE_COUNT_FILE")  # the running record, for long runs
TIME = float(os.environ.get("GCX_HOSTILE_TIME", "0.1"))
SIZE = float(os.environ.get("GCX_HOSTILE_SIZE", "0.125"))
JITTER = float(os.environ.get("GCX_HOSTILE_JITTER", "0.5"))
#: the interpreter's churn per session (48 MiB at scale 1, where 64 MiB bodies are read):
#: a trial of 600 sessions at these scales grew the peak RSS by at most 2.2 MiB
CHURN = 16 * MiB
SCALE = Scale.by(TIME, SIZE, jitter=JITTER, churn=CHURN, lag=True)
#: bodies scaled with the caps, keeping their ratio to them: a bomb expands to 64 caps, a
#: huge body is 1.5 or 16 caps (at scale 1: 256 MiB, 6 and 64 MiB against 4 MiB caps)
CAP = SCALE.caps["max_response_size"]
BOMB = 64 * CAP
HUGE = [CAP * 3 // 2, 16 * CAP]
DEEP = [990, 100_000]  # nesting depths (the recursion limit, not memory: not scaled)
PACES = [0.1 * TIME, 0.3 * TIME]  # seconds between the bytes of a drip or the lines of an endless stream
# a cap that let a bomb through would break promise 4: the bomb is past the memory budget
assert BOMB > memory_budget(SCALE.caps, SCALE.churn), (BOMB, memory_budget(SCALE.caps, SCALE.churn))

_COMMON = ["redirect", "silence", "status", "garbage"]
ACTIONS: dict[str, list[str]] = {
    "config": _COMMON + ["bomb", "drip", "huge", "deep", "wrong_types"],
    "info": _COMMON + ["bomb", "drip", "huge", "deep", "wrong_types"],
    "login": _COMMON + ["drip"],
    "join": _COMMON + ["bomb", "drip", "huge", "deep", "wrong_types"],
    "stream": ["redirect", "silence", "status", "bomb", "huge", "endless", "garbage", "wrong_types",
               "replay", "deep"],
    "heartbeat": ["redirect", "silence", "status", "huge", "endless"],
    # job_timeout bounds uploads and downloads: their bounds come from it (job_bound)
    "upload": ["redirect", "silence", "status", "garbage", "bomb", "drip", "huge", "wrong_types"],
    "download": ["redirect", "silence", "status", "bomb", "drip", "huge"],
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
        fault.size = draw(st.sampled_from(HUGE))
    elif action == "deep":
        fault.size = draw(st.sampled_from(DEEP))
    if action in ("drip", "endless"):
        fault.interval = draw(st.sampled_from(PACES))
        fault.heartbeats = draw(st.booleans())
    return fault


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[HostileServer, Attacker]]:
    gzip_bomb(BOMB)
    with HostileServer(time_scale=TIME) as app, Attacker() as evil:
        yield app, evil


class Record:
    """What a run covered, written to ``COUNT_FILE`` after each session."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.clean = 0
        self.plans: set[str] = set()  # distinct (faults, auth, kind), by digest
        self.kinds: Counter[str] = Counter()
        self.drawn: Counter[str] = Counter()  # "kind action": sessions whose plan has it
        self.fired: Counter[str] = Counter()  # ... and whose server reached that request
        self.outcomes: Counter[str] = Counter()  # connect error / job error type names
        self.peak_mib = 0.0  # the largest peak RSS growth of a session
        self.requests = 0  # the most requests the app or the attacker saw in a session
        self.closest = 0.0  # the largest share of its time bound a job or a connect used
        self.lag_max = 0.0  # the largest scheduling delay measured in a session
        self.lag_sum = 0.0

    def add(self, plan: list[Fault], auth: bool, kind: str, counts: dict[str, int], session: Any, evil: str,
            bound: float) -> None:
        self.clean += 1
        used = [j.seconds / (bound + session.lag) for j in session.jobs]
        used.append(session.connect_seconds / (SCALE.connect_timeout + SCALE.margin + session.lag))
        self.lag_max = max(self.lag_max, session.lag)
        self.lag_sum += session.lag
        self.closest = max(self.closest, *used)
        plan_key = repr((plan, auth, kind)).replace(evil, "evil").encode()
        self.plans.add(hashlib.blake2b(plan_key, digest_size=8).hexdigest())
        self.peak_mib = max(self.peak_mib, rss_mib(session))
        self.requests = max(self.requests, session.app_requests, session.evil_requests)
        self.kinds[kind] += 1
        for fault in plan:
            key = f"{fault.kind} {fault.action}"
            self.drawn[key] += 1
            self.fired[key] += counts.get(fault.kind, 0) > (fault.when or 0)
        if session.connect_error is not None:
            self.outcomes["connect: " + type(session.connect_error).__name__] += 1
        for job in session.jobs:
            self.outcomes[f"{job.name}: " + (type(job.error).__name__ if job.error else "ok")] += 1
        if COUNT_FILE and (self.clean % 10 == 0 or self.clean < 10):
            self.write()

    def write(self, final: bool = False) -> None:
        if not COUNT_FILE:
            return
        record = {
            "clean": self.clean, "seconds": round(time.monotonic() - self.started, 1),
            "distinct_plans": len(self.plans), "kinds": self.kinds, "drawn": self.drawn,
            "fired": self.fired, "outcomes": self.outcomes, "time_scale": TIME, "size_scale": SIZE,
            "peak_rss_mib": round(self.peak_mib, 2), "most_requests": self.requests,
            "closest_to_time_bound": round(self.closest, 3),
            "lag_max": round(self.lag_max, 3), "lag_sum": round(self.lag_sum, 1),
            "plans": sorted(self.plans) if final else [],
        }
        tmp = Path(COUNT_FILE + ".tmp")
        tmp.write_text(json.dumps(record, sort_keys=True, indent=1))
        os.replace(tmp, COUNT_FILE)


_record = Record()


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    _record.write(final=True)
    print(f"\nhostile property run: {_record.clean} clean sessions in "
          f"{time.monotonic() - _record.started:.0f} s (time x{TIME:g}, sizes x{SIZE:g})")


def test_every_generated_session_keeps_the_promises(servers: tuple[HostileServer, Attacker]) -> None:
    app, evil = servers
    deadline = None if SECONDS is None else time.monotonic() + SECONDS

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(
        plan=st.lists(faults(evil.url), max_size=3),
        auth=st.booleans(),
        kind=st.sampled_from(KINDS),
    )
    def session(plan: list[Fault], auth: bool, kind: str) -> None:
        if deadline is not None and time.monotonic() > deadline:
            return  # out of time: the remaining examples are not run
        app.reset(plan, auth=auth)
        evil.clear()
        tmp = Path(tempfile.mkdtemp(prefix="gcx-hostile-"))
        bound = job_bound(plan, kind, SCALE) or SCALE.job_timeout + SCALE.margin
        try:
            result = run_session(kind, app, evil, tmp, scale=SCALE)
            check_promises(result, scale=SCALE, job_bound=bound)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        _record.add(plan, auth, kind, dict(app.counts), result, evil.url, bound)

    session()
