"""One client session against a ``HostileServer``, and the four promises checked after it.

``run_session(kind, app, ...)`` connects a ``Client`` ("sync") or an ``AsyncClient``
("trio") with every kind of credential (token, custom header, login when the app wants
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
"""

from __future__ import annotations

import gc
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import trio

from gradio_client import Client, Status, handle_file
from gradio_client.aio import AsyncClient
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
#: httpx's per-read timeout in hostile sessions.  Uploads and downloads run outside the
#: queue (before the join, after the completion), so job_timeout does not bound them: a
#: silent upload or download reply ends at this timeout (httpx's default: 30 s).
READ_TIMEOUT = 3.0
UPLOAD_READ_TIMEOUT = 30.0  # the clients' own read timeout for upload replies
WAIT = 45.0  # how long a session waits for a job before calling it hung
MARGIN = 3.0  # scheduling slack on a shared 2-core machine (not a timing assertion)
#: requests the app may see in one session (a normal one takes ~10): a stream in a redirect
#: loop costs 1 + MAX_REDIRECTS requests per attempt and is reopened at most
#: 1 + max_reconnects times; two such streams (session stream and heartbeat), plus the rest
REQUEST_BUDGET = 2 * (1 + MAX_REDIRECTS) * (1 + 5) + 40
TERMINAL = (Status.FINISHED, Status.CANCELLED)


def peak_reset() -> int:
    """Reset this process's RSS high-water mark; returns the current RSS (bytes)."""
    gc.collect()
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


def memory_budget(caps: dict[str, Any]) -> int:
    """What one session may add to the peak RSS: a few copies of the largest cap (a body
    is held as pieces, then joined, then decoded) plus the interpreter's own churn."""
    largest = max(v for v in caps.values() if isinstance(v, int))
    return 4 * largest + 48 * MiB


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


def _options(app: HostileServer, tmp: Path, caps: dict[str, Any], connect_timeout: float) -> dict[str, Any]:
    options: dict[str, Any] = dict(
        httpx_kwargs={"timeout": httpx.Timeout(READ_TIMEOUT, connect=READ_TIMEOUT)},
        token=SECRET_TOKEN,
        headers={SECRET_HEADER[0]: SECRET_HEADER[1]},
        verbose=False,
        download_files=str(tmp / "downloads"),
        connect_timeout=connect_timeout,
        stream_read_timeout=2.0,
        job_timeout=JOB_TIMEOUT,
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


def _sync_session(app: HostileServer, tmp: Path, caps: dict[str, Any], connect_timeout: float, jobs: bool, src: str) -> Session:
    session = Session("sync")
    started = time.monotonic()
    try:
        client = Client(src, **_options(app, tmp, caps, connect_timeout))
    except BaseException as exc:  # noqa: BLE001 - checked by the promises
        session.connect_error = exc
        session.connect_seconds = time.monotonic() - started
        return session
    session.connect_seconds = time.monotonic() - started
    try:
        if jobs:
            submitted = []
            for name, args in (("greet", ("bob", "Hello")), ("files", (handle_file(_upload_file(tmp)), None))):
                try:
                    submitted.append((name, client.submit(*args, api_name="/" + name), time.monotonic()))
                except GradioClientError as exc:  # refused at once (e.g. no such endpoint)
                    session.jobs.append(_refused(name, exc))
            for name, job, t0 in submitted:
                value, error = None, None
                try:
                    value = job.result(timeout=WAIT)
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


async def _trio_session(app: HostileServer, tmp: Path, caps: dict[str, Any], connect_timeout: float, jobs: bool, src: str) -> Session:
    session = Session("trio")
    started = time.monotonic()
    connected = False
    try:
        async with AsyncClient(src, **_options(app, tmp, caps, connect_timeout)) as client:
            connected = True
            session.connect_seconds = time.monotonic() - started
            if jobs:
                await _trio_jobs(client, session, tmp)
    except BaseException as exc:  # noqa: BLE001
        if connected:
            raise
        session.connect_error = exc
        session.connect_seconds = time.monotonic() - started
    return session


async def _trio_jobs(client: AsyncClient, session: Session, tmp: Path) -> None:
    submitted = []
    for name, args in (("greet", ("bob", "Hello")), ("files", (handle_file(_upload_file(tmp)), None))):
        try:
            submitted.append((name, await client.submit(*args, api_name="/" + name), time.monotonic()))
        except GradioClientError as exc:
            session.jobs.append(_refused(name, exc))
    for name, job, t0 in submitted:
        value, error = None, None
        try:
            with trio.fail_after(WAIT):
                value = await job.result()
        except BaseException as exc:  # noqa: BLE001
            error = exc
        outcome = _job_outcome(name, job, t0, value, error)
        try:
            with trio.fail_after(0.5):
                again = await job.result()
            outcome.same_again = error is None and again == value
        except BaseException as exc:  # noqa: BLE001
            outcome.same_again = error is not None and type(exc) is type(error)
        session.jobs.append(outcome)


def run_session(
    kind: str,
    app: HostileServer,
    evil: Attacker,
    tmp: Path,
    *,
    caps: dict[str, Any] | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
    jobs: bool = True,
    src: str | None = None,
) -> Session:
    """``src``: what the client connects to (the app's URL unless given, e.g. a Space id)."""
    caps = dict(CAPS if caps is None else caps)
    before = peak_reset()
    if kind == "sync":
        session = _sync_session(app, tmp, caps, connect_timeout, jobs, src or app.url)
    else:
        session = trio.run(_trio_session, app, tmp, caps, connect_timeout, jobs, src or app.url)
    session.rss_before = before
    session.rss_peak = peak_rss()
    time.sleep(0.05)  # a request still in flight from close() lands now
    session.app_requests = app.count()
    session.evil_requests = len(evil.requests)
    session.leaks = evil.leaks()
    return session


def job_bound(faults: list[Any], kind: str) -> float | None:
    """How long a job may take under ``faults`` (None: ``JOB_TIMEOUT`` + ``MARGIN``).

    Two documented limits stretch it: an upload runs before the job joins the queue, so a
    silent or dripping upload reply is bounded by the clients' upload read timeout (30 s),
    not by job_timeout; and the sync client sends joins on one pool thread, so a join that
    never answers holds the next job's upload and join until its own deadline.
    """
    slow = {(f.kind, f.action) for f in faults if f.action in ("silence", "drip")}
    if any(k == "upload" for k, _ in slow):
        return UPLOAD_READ_TIMEOUT + JOB_TIMEOUT + MARGIN
    if kind == "sync" and any(k == "join" for k, _ in slow):
        return 2 * JOB_TIMEOUT + MARGIN
    return None


def check_promises(
    session: Session,
    *,
    caps: dict[str, Any] | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
    request_budget: int = REQUEST_BUDGET,
    job_bound: float | None = None,
) -> None:
    """``job_bound``: seconds a job may take (default: ``JOB_TIMEOUT`` + ``MARGIN``)."""
    caps = dict(CAPS if caps is None else caps)
    bound = JOB_TIMEOUT + MARGIN if job_bound is None else job_bound
    # 1. credentials stay on the app's origin
    assert not session.leaks, f"credentials reached another origin: {session.leaks}"
    # 2. everything ends, once, in time, with a typed error if it fails
    if session.connect_error is not None:
        assert isinstance(session.connect_error, GradioClientError), repr(session.connect_error)
    assert session.connect_seconds <= connect_timeout + MARGIN, session.connect_seconds
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
    assert grown <= memory_budget(caps), f"peak RSS grew {grown / MiB:.0f} MiB (budget {memory_budget(caps) / MiB:.0f} MiB)"


def rss_mib(session: Session) -> float:
    return (session.rss_peak - session.rss_before) / MiB


__all__ = ["CAPS", "Session", "check_promises", "run_session", "rss_mib"]
