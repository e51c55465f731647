"""One client session against a ``HostileServer``, and the four promises checked after it.

``run_session(kind, app, ...)`` connects a ``Client`` ("sync") or an ``AsyncClient``
("trio", "asyncio") with every kind of credential (token, custom header, login when the app wants
one), runs a plain job (``/greet``) and a job with an upload and a download (``/files``),
waits for each, and closes.  ``check_promises`` then asserts:

1. no credential (token, ``Authorization``, cookie, login body, custom header) reached
   the attacker (``Attacker.leaks()``);
2. connecting ended within ``connect_timeout`` and every job ended exactly once (one
   terminal status, the last; ``done()``; the same outcome when asked again) within its
   ``job_timeout``; every error is typed (a ``GradioClientError``);
3. the requests the app and the attacker received are bounded (``REQUEST_BUDGET``);
4. the peak RSS of this process grew by no more than the caps allow (``memory_budget``):
   ``/proc/self/clear_refs`` resets the high-water mark before the session.

``Scale(time, size)`` (the property test's) multiplies every time constant of a session
(the client's deadlines and timeouts, the queue core's backoff and grace delays, the
server's paces) by one factor and every size (the caps, the bombs and huge bodies) by
another, and derives every bound the promises check from the scaled values; ``None`` (the
explicit tests) uses the module constants below as they are.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import sniffio
import trio

import gradio_client.aio
import gradio_client.client
from gradio_client import Client, Status, handle_file
from gradio_client.aio import AsyncClient
from gradio_client.protocol.connect import machine_config
from gradio_client.protocol.machine import EVENT_ACK_TIMEOUT, MachineConfig
from gradio_client.protocol.errors import GradioClientError
from gradio_client.shells._common import MAX_REDIRECTS

from .server import SECRET_HEADER, SECRET_PASSWORD, SECRET_TOKEN, SECRET_USER, Attacker, HostileServer

MiB = 1024 * 1024
#: small caps for hostile sessions: a bomb past them shows at once in the peak RSS
CAPS: dict[str, Any] = {
    "max_response_size": 4 * MiB,
    "max_message_size": 4 * MiB,
    "max_download_size": 8 * MiB,
}
CONNECT_TIMEOUT = 2.0
JOB_TIMEOUT = 3.0
#: httpx's per-read timeout in hostile sessions.  A job's uploads and downloads read with
#: the shorter of this and what is left of its job_timeout (httpx's default: 30 s).
READ_TIMEOUT = 3.0
WAIT = 45.0  # how long a session waits for a job before calling it hung
MARGIN = 3.0  # scheduling slack on a shared 2-core machine (not a timing assertion)
#: requests the app may see in one session (a normal one takes ~10): a stream in a redirect
#: loop costs 1 + MAX_REDIRECTS requests per attempt and is reopened at most
#: 1 + max_reconnects times; two such streams (session stream and heartbeat), plus the rest
REQUEST_BUDGET = 2 * (1 + MAX_REDIRECTS) * (1 + 5) + 40
TERMINAL = (Status.FINISHED, Status.CANCELLED)
STREAM_READ_TIMEOUT = 2.0  # the event stream's idle timeout in hostile sessions
SETTLE = 0.05  # after close(): a request still in flight lands before the count
#: what one session adds to the peak RSS besides the bodies the caps bound (the
#: interpreter's own churn: threads, buffers, the parsed config)
CHURN = 48 * MiB
#: the queue core's time constants (MachineConfig fields) that ``Scale`` multiplies
MACHINE_TIMES = ("reconnect_base_delay", "reconnect_max_delay", "heartbeat_max_delay",
                 "max_retry_after", "cancel_grace")


@dataclass(frozen=True)
class Scale:
    """Every constant of a hostile session, and what the promises derive from them.

    ``Scale.current()``: the module constants (the explicit tests).  ``Scale.by(time,
    size)``: every time constant times ``time`` (the clients' connect, job, read and
    stream-idle deadlines, the queue core's backoff, retry and grace delays, the hang
    detector) and every cap times ``size``; the bounds follow (a job's bound is its scaled
    deadline plus the scaled margin; the memory budget is 4 caps plus the churn).  Only
    ``jitter`` (the machine's scheduling, which no factor changes) and ``churn`` are
    absolute.
    """

    connect_timeout: float = CONNECT_TIMEOUT
    job_timeout: float = JOB_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    stream_read_timeout: float = STREAM_READ_TIMEOUT
    event_ack_timeout: float = EVENT_ACK_TIMEOUT
    wait: float = WAIT
    margin: float = MARGIN
    settle: float = SETTLE
    caps: dict[str, Any] = field(default_factory=lambda: dict(CAPS))
    churn: int = CHURN
    machine: dict[str, float] = field(default_factory=dict)  # MachineConfig overrides
    time: float = 1.0
    size: float = 1.0
    #: time bounds also grow by the scheduling delay measured during the session (``LagProbe``)
    lag: bool = False

    @classmethod
    def current(cls) -> Scale:
        """The module constants as they are now (tests may monkeypatch them)."""
        return cls(CONNECT_TIMEOUT, JOB_TIMEOUT, READ_TIMEOUT, STREAM_READ_TIMEOUT,
                   EVENT_ACK_TIMEOUT, WAIT, MARGIN, SETTLE, dict(CAPS), CHURN)

    @classmethod
    def by(cls, time: float, size: float, *, jitter: float = 0.0, churn: int = CHURN, lag: bool = False) -> Scale:
        defaults = MachineConfig(protocol="sse_v3")
        return cls(
            connect_timeout=CONNECT_TIMEOUT * time,
            job_timeout=JOB_TIMEOUT * time,
            read_timeout=READ_TIMEOUT * time,
            stream_read_timeout=STREAM_READ_TIMEOUT * time,
            event_ack_timeout=EVENT_ACK_TIMEOUT * time,
            wait=WAIT * time + jitter,
            margin=MARGIN * time + jitter,
            settle=SETTLE * time,
            caps={name: int(value * size) for name, value in CAPS.items()},
            churn=churn,
            machine={name: float(getattr(defaults, name)) * time for name in MACHINE_TIMES},
            time=time,
            size=size,
            lag=lag,
        )

    @property
    def largest_cap(self) -> int:
        return max(v for v in self.caps.values() if isinstance(v, int))


class LagProbe:
    """How late this process gets to run: a daemon thread sleeps ``period`` again and again
    and adds up how late it wakes (other processes on the cores, the GIL).  On a loaded
    machine a client that meets its deadline can still be seen to end late by that much;
    ``Scale(lag=True)`` adds what was measured during a session to its time bounds."""

    _shared: LagProbe | None = None

    def __init__(self, period: float = 0.005) -> None:
        self.period = period
        self._late = 0.0
        self._due = time.monotonic() + period  # when the ticker should wake next
        self._lock = threading.Lock()
        threading.Thread(target=self._run, daemon=True, name="lag-probe").start()

    @classmethod
    def shared(cls) -> LagProbe:
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def _run(self) -> None:
        while True:
            with self._lock:
                self._due = time.monotonic() + self.period
            time.sleep(self.period)
            now = time.monotonic()
            with self._lock:
                self._late += max(0.0, now - self._due)

    def take(self) -> float:
        """Seconds of lateness since the last call, the ticker's current lateness included
        (a ticker not yet run again after a stall has not added it: after a whole-process
        stall the session often ends first)."""
        now = time.monotonic()
        with self._lock:
            late = self._late + max(0.0, now - self._due)
            self._late = 0.0
            self._due = max(self._due, now)
        return late


@contextmanager
def machine_overrides(overrides: dict[str, float]) -> Iterator[list[MachineConfig]]:
    """The clients build their queue machines with ``overrides`` (MachineConfig fields):
    a test-only patch of the ``machine_config`` name that ``client.py`` and ``aio.py``
    import.  Yields the list of the configs made, so a caller can check the patch took."""
    made: list[MachineConfig] = []

    def patched(config: Any, **kwargs: Any) -> MachineConfig:
        made.append(machine_config(config, **{**kwargs, **overrides}))
        return made[-1]

    modules = (gradio_client.client, gradio_client.aio)
    saved = [getattr(m, "machine_config") for m in modules]
    for module in modules:
        setattr(module, "machine_config", patched)
    try:
        yield made
    finally:
        for module, original in zip(modules, saved):
            setattr(module, "machine_config", original)


_resets = 0


def peak_reset() -> int:
    """Reset this process's RSS high-water mark; returns the current RSS (bytes).

    What is alive now is frozen out of the collector (``gc.freeze``), so the collection
    before each session costs what the last session left, not the whole heap (25 ms with
    hypothesis loaded); every 256th reset thaws and collects everything."""
    global _resets
    _resets += 1
    if _resets % 256 == 0:
        gc.unfreeze()
    gc.collect()
    gc.freeze()
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    return _status_kb("VmRSS") * 1024


def peak_rss() -> int:
    return _status_kb("VmHWM") * 1024


def _status_kb(name: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    raise RuntimeError(name)


def memory_budget(caps: dict[str, Any], churn: int = CHURN) -> int:
    """What one session may add to the peak RSS: a few copies of the largest cap (a body
    is held as pieces, then joined, then decoded) plus the interpreter's own churn."""
    largest = max(v for v in caps.values() if isinstance(v, int))
    return 4 * largest + churn


@dataclass
class JobOutcome:
    name: str
    value: Any = None
    error: BaseException | None = None
    seconds: float = 0.0
    terminal: int = 0  # terminal statuses in updates()
    last_is_terminal: bool = False
    done: bool = False
    same_again: bool = False


@dataclass
class Session:
    kind: str
    connect_error: BaseException | None = None
    connect_seconds: float = 0.0
    jobs: list[JobOutcome] = field(default_factory=list)
    rss_before: int = 0
    rss_peak: int = 0
    app_requests: int = 0
    evil_requests: int = 0
    leaks: list[str] = field(default_factory=list)
    machines: list[MachineConfig] = field(default_factory=list)  # the queue machines made
    lag: float = 0.0  # the scheduling delay measured during the session (Scale.lag)


def _options(app: HostileServer, tmp: Path, scale: Scale) -> dict[str, Any]:
    caps = scale.caps
    options: dict[str, Any] = dict(
        httpx_kwargs={"timeout": httpx.Timeout(scale.read_timeout, connect=scale.read_timeout)},
        token=SECRET_TOKEN,
        headers={SECRET_HEADER[0]: SECRET_HEADER[1]},
        verbose=False,
        download_files=str(tmp / "downloads"),
        connect_timeout=scale.connect_timeout,
        stream_read_timeout=scale.stream_read_timeout,
        event_ack_timeout=scale.event_ack_timeout,
        job_timeout=scale.job_timeout,
        **caps,
    )
    if app.auth:
        options["auth"] = (SECRET_USER, SECRET_PASSWORD)
    if os.environ.get("GCX_HOSTILE_LEGACY"):  # showing a test fail on a client without the options
        for name in (*caps, "connect_timeout"):
            options.pop(name, None)
    return options


def _upload_file(tmp: Path) -> str:
    path = tmp / "input.txt"
    if not path.exists():
        path.write_bytes(b"local input\n")
    return str(path)


def _refused(name: str, error: BaseException) -> JobOutcome:
    """A call refused by ``submit`` itself: no job, so nothing to end."""
    return JobOutcome(name, error=error, terminal=1, last_is_terminal=True, done=True, same_again=True)


def _job_outcome(name: str, job: Any, started: float, outcome: Any, error: BaseException | None) -> JobOutcome:
    updates = job.updates()
    ends = [u for u in updates if u.code in TERMINAL]
    return JobOutcome(
        name=name,
        value=outcome,
        error=error,
        seconds=time.monotonic() - started,
        terminal=len(ends),
        last_is_terminal=bool(updates) and updates[-1].code in TERMINAL,
        done=job.done(),
    )


_JOBS = ("greet", "files")


def _args(name: str, tmp: Path) -> tuple[Any, ...]:
    return ("bob", "Hello") if name == "greet" else (handle_file(_upload_file(tmp)), None)


def _sync_session(app: HostileServer, tmp: Path, scale: Scale, jobs: bool, src: str) -> Session:
    session = Session("sync")
    started = time.monotonic()
    try:
        client = Client(src, **_options(app, tmp, scale))
    except BaseException as exc:  # noqa: BLE001 - checked by the promises
        session.connect_error = exc
        session.connect_seconds = time.monotonic() - started
        return session
    session.connect_seconds = time.monotonic() - started
    try:
        if jobs:
            submitted = []
            for name in _JOBS:
                try:
                    submitted.append((name, client.submit(*_args(name, tmp), api_name="/" + name), time.monotonic()))
                except GradioClientError as exc:  # refused at once (e.g. no such endpoint)
                    session.jobs.append(_refused(name, exc))
            for name, job, t0 in submitted:
                value, error = None, None
                try:
                    value = job.result(timeout=scale.wait)
                except BaseException as exc:  # noqa: BLE001
                    error = exc
                outcome = _job_outcome(name, job, t0, value, error)
                try:
                    again: Any = job.result(timeout=0.1)
                    outcome.same_again = error is None and again == value
                except BaseException as exc:  # noqa: BLE001
                    outcome.same_again = error is not None and type(exc) is type(error)
                session.jobs.append(outcome)
    finally:
        client.close()
    return session


async def _within(seconds: float, awaitable: Any) -> Any:
    """``await awaitable`` for at most ``seconds`` (the library's own timeout, not the
    client's: a hang shows even if the client's timeouts are broken)."""
    if sniffio.current_async_library() == "trio":
        with trio.fail_after(seconds):
            return await awaitable
    return await asyncio.wait_for(awaitable, seconds)


async def _async_session(kind: str, app: HostileServer, tmp: Path, scale: Scale, jobs: bool, src: str) -> Session:
    """One ``AsyncClient`` session, under trio or asyncio (whichever runs it)."""
    session = Session(kind)
    started = time.monotonic()
    connected = False
    try:
        async with AsyncClient(src, **_options(app, tmp, scale)) as client:
            connected = True
            session.connect_seconds = time.monotonic() - started
            if jobs:
                await _async_jobs(client, session, tmp, scale)
    except BaseException as exc:  # noqa: BLE001
        if connected:
            raise
        session.connect_error = exc
        session.connect_seconds = time.monotonic() - started
    return session


async def _async_jobs(client: AsyncClient, session: Session, tmp: Path, scale: Scale) -> None:
    submitted = []
    for name in _JOBS:
        try:
            submitted.append((name, await client.submit(*_args(name, tmp), api_name="/" + name), time.monotonic()))
        except GradioClientError as exc:
            session.jobs.append(_refused(name, exc))
    for name, job, t0 in submitted:
        value, error = None, None
        try:
            value = await _within(scale.wait, job.result())
        except BaseException as exc:  # noqa: BLE001
            error = exc
        outcome = _job_outcome(name, job, t0, value, error)
        try:
            again = await _within(0.5, job.result())
            outcome.same_again = error is None and again == value
        except BaseException as exc:  # noqa: BLE001
            outcome.same_again = error is not None and type(exc) is type(error)
        session.jobs.append(outcome)


KINDS = ("sync", "trio", "asyncio")


def run_session(
    kind: str,
    app: HostileServer,
    evil: Attacker,
    tmp: Path,
    *,
    caps: dict[str, Any] | None = None,
    connect_timeout: float | None = None,
    jobs: bool = True,
    src: str | None = None,
    scale: Scale | None = None,
) -> Session:
    """``kind``: one of ``KINDS``.  ``src``: what the client connects to (the app's URL
    unless given, e.g. a Space id).  ``scale``: every constant (default
    ``Scale.current()``); ``caps`` and ``connect_timeout`` replace its own."""
    scale = scale or Scale.current()
    if caps is not None:
        scale = replace(scale, caps=dict(caps))
    if connect_timeout is not None:
        scale = replace(scale, connect_timeout=connect_timeout)
    url = src or app.url
    probe = LagProbe.shared() if scale.lag else None
    with machine_overrides(scale.machine) as made:
        before = peak_reset()
        if probe is not None:
            probe.take()
        if kind == "sync":
            session = _sync_session(app, tmp, scale, jobs, url)
        elif kind == "trio":
            session = trio.run(_async_session, kind, app, tmp, scale, jobs, url)
        elif kind == "asyncio":
            session = asyncio.run(_async_session(kind, app, tmp, scale, jobs, url))
        else:
            raise ValueError(f"no client kind {kind!r} (one of {KINDS})")
        session.rss_before = before
        session.rss_peak = peak_rss()
        session.lag = probe.take() if probe is not None else 0.0
    session.machines = made
    time.sleep(scale.settle)  # a request still in flight from close() lands now
    session.app_requests = app.count()
    session.evil_requests = len(evil.requests)
    session.leaks = evil.leaks()
    return session


def job_bound(faults: list[Any], kind: str, scale: Scale | None = None) -> float | None:
    """How long a job may take under ``faults`` (None: the job timeout + the margin).

    ``job_timeout`` covers a job's uploads and downloads too: every IO operation's timeout
    is what is left of it, a reply read whole (the upload's) must arrive whole within it,
    and a download is checked after each chunk (a dripping download ends within one pace
    past the deadline, inside the margin).  One documented limit stretches it: the sync
    client sends joins on one pool thread, so a join that never answers holds the next
    job's join until its own deadline.
    """
    scale = scale or Scale.current()
    if kind == "sync" and any(f.kind == "join" and f.action in ("silence", "drip") for f in faults):
        return 2 * scale.job_timeout + scale.margin
    return None


def check_promises(
    session: Session,
    *,
    caps: dict[str, Any] | None = None,
    connect_timeout: float | None = None,
    request_budget: int = REQUEST_BUDGET,
    job_bound: float | None = None,
    scale: Scale | None = None,
) -> None:
    """``job_bound``: seconds a job may take (default: the job timeout + the margin);
    ``scale``, ``caps``, ``connect_timeout``: as given to ``run_session``."""
    scale = scale or Scale.current()
    caps = dict(scale.caps if caps is None else caps)
    connect_timeout = scale.connect_timeout if connect_timeout is None else connect_timeout
    bound = scale.job_timeout + scale.margin if job_bound is None else job_bound
    bound += session.lag
    # the harness itself: every queue machine was made with the scaled delays
    for made in session.machines:
        assert all(getattr(made, k) == v for k, v in scale.machine.items()), made
    # 1. credentials stay on the app's origin
    assert not session.leaks, f"credentials reached another origin: {session.leaks}"
    # 2. everything ends, once, in time, with a typed error if it fails
    if session.connect_error is not None:
        assert isinstance(session.connect_error, GradioClientError), repr(session.connect_error)
    else:
        assert session.machines, "connected without making a queue machine (patch missed?)"
    assert session.connect_seconds <= connect_timeout + scale.margin + session.lag, session
    for job in session.jobs:
        assert job.done, job
        assert job.terminal == 1 and job.last_is_terminal, job
        assert job.same_again, job
        if job.error is not None:
            assert isinstance(job.error, GradioClientError), f"{job.name}: {job.error!r}"
        assert job.seconds <= bound, job
    # 3. bounded requests
    assert session.app_requests <= request_budget, session.app_requests
    assert session.evil_requests <= request_budget, session.evil_requests
    # 4. bounded memory
    grown = session.rss_peak - session.rss_before
    budget = memory_budget(caps, scale.churn)
    assert grown <= budget, f"peak RSS grew {grown / MiB:.1f} MiB (budget {budget / MiB:.1f} MiB)"


def rss_mib(session: Session) -> float:
    return (session.rss_peak - session.rss_before) / MiB


__all__ = ["CAPS", "KINDS", "LagProbe", "Scale", "Session", "check_promises", "machine_overrides", "run_session", "rss_mib"]
