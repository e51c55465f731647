"""Run a conformance scenario live (recording the wire) or from a recorded session.

Used by tools/matrix.py, tools/record.py and test_replay.py.  Standard library, trio and
our package only (no pytest), so the tools can import it.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
import traceback
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sniffio
import trio

from gradio_client.testing import Recorder, Replay

from .scenarios import FLAKY, GENERATIONS, KNOWN_BUGS, SCENARIOS, Generation

SESSIONS = Path(__file__).resolve().parents[1] / "data" / "sessions"

try:  # the trio client is being finished; without it only the sync facade exists
    from tests.contract.facades import FACADES

    AIO_MISSING: str | None = None
except ImportError as exc:  # pragma: no cover - depends on the checkout
    import functools

    from gradio_client import Client

    AIO_MISSING = f"gradio_client.aio is not importable ({exc})"

    class _SyncJob:
        def __init__(self, job: Any) -> None:
            self.job = job

        async def result(self, timeout: float | None = None) -> Any:
            return await trio.to_thread.run_sync(functools.partial(self.job.result, timeout))

        async def outputs(self) -> list[Any]:
            return await trio.to_thread.run_sync(lambda: list(self.job))

        def status(self) -> Any:
            return self.job.status()

        def updates(self) -> list[Any]:
            return self.job.updates()

        async def cancel(self) -> bool:
            return await trio.to_thread.run_sync(self.job.cancel)

    class _SyncFacade:
        kind = "sync"

        def __init__(self, client: Client) -> None:
            self.client = client

        @classmethod
        async def connect(cls, src: str, **kwargs: Any) -> _SyncFacade:
            return cls(await trio.to_thread.run_sync(functools.partial(Client, src, **kwargs)))

        async def predict(self, *args: Any, **kwargs: Any) -> Any:
            return await trio.to_thread.run_sync(functools.partial(self.client.predict, *args, **kwargs))

        async def submit(self, *args: Any, **kwargs: Any) -> _SyncJob:
            job = await trio.to_thread.run_sync(functools.partial(self.client.submit, *args, **kwargs))
            return _SyncJob(job)

        async def reset_session(self) -> None:
            await trio.to_thread.run_sync(self.client.reset_session)

        async def close(self) -> None:
            await trio.to_thread.run_sync(self.client.close)

    FACADES = {"sync": _SyncFacade}

KINDS = sorted(FACADES)
SCENARIO_TIMEOUT = 120.0


def _count(text: str, needle: str) -> int:
    return text.count(needle)


def wire_count(exchanges: list[dict[str, Any]], needle: str, after: int) -> int:
    """How often ``needle`` occurs in stream chunks / websocket frames received after seq."""
    total = 0
    for exchange in exchanges:
        for seq, text in exchange.get("chunks") or ():
            if seq > after:
                total += _count(text, needle)
        for seq, way, text in exchange.get("frames") or ():
            if seq > after and way == "in":
                total += _count(text, needle)
    return total


class _Base:
    gen: Generation
    kind: str
    tmp: Path
    live: bool

    def __init__(self, gen: Generation, kind: str, tmp: Path) -> None:
        self.gen = gen
        self.kind = kind
        self.tmp = tmp
        self.facades: list[Any] = []

    async def _connect(self, src: str, transport: Any, kwargs: dict[str, Any]) -> Any:
        kwargs.setdefault("verbose", False)
        kwargs.setdefault("download_files", str(self.tmp / "downloads"))
        facade = await FACADES[self.kind].connect(src, httpx_kwargs={"transport": transport}, **kwargs)
        self.facades.append(facade)
        return facade


class LiveContext(_Base):
    """Against a live server, recording every exchange."""

    live = True

    def __init__(self, gen: Generation, kind: str, tmp: Path, url: str, recorder: Recorder) -> None:
        super().__init__(gen, kind, tmp)
        self.url = url
        self.recorder = recorder
        self.observations: dict[str, float] = {}
        self.marks: list[int] = []

    async def connect(self, **kwargs: Any) -> Any:
        transport = self.recorder.transport() if self.kind == "sync" else self.recorder.async_transport()
        return await self._connect(self.url, transport, kwargs)

    def observe(self, name: str, value: float) -> float:
        self.observations[name] = round(value, 3)
        return value

    def mark(self) -> int:
        seq = self.recorder.next_seq()
        self.marks.append(seq)
        return seq

    def wire_count(self, needle: str, after: int) -> int:
        return wire_count(self.recorder.to_dict()["exchanges"], needle, after)


# ------------------------------------------------------------------ streams the client ended
#
# A recorded stream that ended only after its client had shut down (the machine's ``close``)
# ended because the client closed it: Gradio 4.14-4.21 keep a session stream open while the
# session lives.  Replay would release that recorded end as soon as the client's last
# recorded request (say the join of a final job) is made, which races the client's handling of
# that request's reply: when the end wins, the client sees its stream gone with a job still
# joining and opens another one, which the recording does not have.  So the replay holds such
# a stream open, after its recorded chunks, until the client closes it, as the server did.


def client_ended_streams(session: Mapping[str, Any]) -> dict[str, set[int]]:
    """``{url: {k, ...}}``: the k-th recorded GET of ``url`` (0-based, recording order) is a
    stream whose end was recorded after every client of the session had closed."""
    closes = [entry[0] for machine in session.get("machines", ()) for entry in machine["log"]
              if entry[1] == "close"]
    if not closes or len(closes) < len(session.get("machines", ())):
        return {}
    last_close = max(closes)
    held: dict[str, set[int]] = {}
    count: dict[str, int] = {}
    for exchange in session["exchanges"]:
        if exchange.get("method") != "GET" or exchange.get("heartbeat"):
            continue
        url = exchange["url"]
        k = count[url] = count.get(url, -1) + 1
        end = exchange.get("end")
        if "chunks" in exchange and end and end[0] > last_close:
            held.setdefault(url, set()).add(k)
    return held


class _HeldStream(httpx.SyncByteStream):
    """The recorded chunks, then open until the client closes it (its recorded end, which
    the client's own close caused, is not replayed).  The sync client stops a reader by
    shutting its socket down (``network_stream``'s ``socket``): that ends it here too."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.closed = threading.Event()

    def get_extra_info(self, info: str) -> Any:
        return self if info == "socket" else None

    def shutdown(self, how: int) -> None:
        self.closed.set()

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.inner
        except httpx.TransportError:
            pass
        self.closed.wait(SCENARIO_TIMEOUT)

    def close(self) -> None:
        self.closed.set()
        self.inner.close()


class _AsyncHeldStream(httpx.AsyncByteStream):
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.inner:
                yield chunk
        except httpx.TransportError:
            pass
        sleep = trio.sleep if sniffio.current_async_library() == "trio" else _asyncio_sleep
        deadline = time.monotonic() + SCENARIO_TIMEOUT
        while not self.closed and time.monotonic() < deadline:
            await sleep(0.005)

    async def aclose(self) -> None:
        self.closed = True
        await self.inner.aclose()


async def _asyncio_sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


class _Holding:
    """Counts the GETs per (placeholder) URL, as Replay matches them: first recorded first."""

    def __init__(self, replay: Replay) -> None:
        self.replay = replay
        self.held = client_ended_streams(replay.session)
        self.count: dict[str, int] = {}
        self.lock = threading.Lock()

    def holds(self, request: httpx.Request) -> bool:
        if request.method != "GET" or not self.held:
            return False
        url = self.replay.names.hide(str(request.url), learn=False)
        with self.lock:
            k = self.count[url] = self.count.get(url, -1) + 1
        return k in self.held.get(url, ())


class _HoldingTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, holding: _Holding) -> None:
        self.inner, self.holding = inner, holding

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        held = self.holding.holds(request)
        response = self.inner.handle_request(request)
        if held:
            response.stream = stream = _HeldStream(response.stream)
            response.extensions["network_stream"] = stream
        return response

    def close(self) -> None:
        self.inner.close()


class _AsyncHoldingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, holding: _Holding) -> None:
        self.inner, self.holding = inner, holding

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        held = self.holding.holds(request)
        response = await self.inner.handle_async_request(request)
        if held:
            response.stream = _AsyncHeldStream(response.stream)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class ReplayContext(_Base):
    """From a recorded session: no server, no socket."""

    live = False

    def __init__(self, gen: Generation, kind: str, tmp: Path, replay: Replay) -> None:
        super().__init__(gen, kind, tmp)
        self.replay = replay
        self._marks = list(replay.session.get("marks", []))
        self._holding = _Holding(replay)  # shared by the session's clients, like Replay

    async def connect(self, **kwargs: Any) -> Any:
        if self.kind == "sync":  # websockets: the _sync_ws hook Replay installs
            transport: Any = _HoldingTransport(self.replay.transport(), self._holding)
        else:  # websockets: the connector injected into the async shells
            transport = _AsyncHoldingTransport(self.replay.async_transport(), self._holding)
            kwargs.setdefault("ws_connect", self.replay.ws_connect)
        return await self._connect(self.replay.url, transport, kwargs)

    def observe(self, name: str, value: float) -> float:
        return float(self.replay.session["observations"][name])

    def mark(self) -> int:
        return int(self._marks.pop(0))

    def wire_count(self, needle: str, after: int) -> int:
        return wire_count(list(self.replay.session["exchanges"]), needle, after)


async def _run(name: str, ctx: _Base) -> None:
    try:
        with trio.fail_after(SCENARIO_TIMEOUT):
            await SCENARIOS[name](ctx)
    finally:
        with trio.move_on_after(10) as scope:
            scope.shield = True
            for facade in ctx.facades:  # close what a failed scenario left open
                try:
                    await facade.close()
                except Exception:
                    pass


@dataclass
class Outcome:
    version: str
    scenario: str
    kind: str
    ok: bool
    seconds: float
    error: str = ""
    known: str = ""
    session: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        if self.ok:
            return "pass" if not self.known else "pass (known bug fixed?)"
        return "known" if self.known else "FAIL"


def run_live(version: str, name: str, kind: str, url: str, server_tmp: str) -> Outcome:
    """Run one scenario against a live server; the recorded session is in ``.session``."""
    gen = GENERATIONS[version]
    with tempfile.TemporaryDirectory(prefix=f"gcx-{name}-") as tmp:
        recorder = Recorder(url, server_tmp=server_tmp)
        ctx = LiveContext(gen, kind, Path(tmp), url.rstrip("/"), recorder)
        started = time.monotonic()
        error = ""
        with recorder:
            try:
                trio.run(_run, name, ctx)
            except BaseException as exc:  # noqa: BLE001 - reported in the table
                if isinstance(exc, KeyboardInterrupt):
                    raise
                error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        seconds = time.monotonic() - started
        time.sleep(0.2)  # let readers record the ends of their streams
        session = recorder.to_dict(
            scenario=name,
            gradio=version,
            protocol=gen.protocol,
            client=kind,
            ok=not error,
            error=error,
            observations=ctx.observations,
            marks=ctx.marks,
        )
    known = KNOWN_BUGS.get((name, version), "") or (
        FLAKY.get((name, version, kind), "") if error else "")
    return Outcome(version, name, kind, not error, seconds, error, known, session)


def save_session(outcome: Outcome, root: Path = SESSIONS) -> Path:
    """Write a recorded session under ``root/<version>/<scenario>.json`` (blobs shared)."""
    document = outcome.session
    recorder_like = _Saver(document)
    return recorder_like.save(root / outcome.version / f"{outcome.scenario}.json")


class _Saver(Recorder):
    """Saves an already built session document (reuses Recorder.save's blob logic)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._document = document

    def to_dict(self, **meta: Any) -> dict[str, Any]:
        return json.loads(json.dumps(self._document))


def run_replay(path: Path, kind: str, gate_timeout: float = 5.0) -> tuple[Outcome, Replay]:
    """Run the scenario a session recorded, from the recording, through client ``kind``."""
    with Replay.load(path, gate_timeout=gate_timeout) as replay:
        session = replay.session
        version, name = session["gradio"], session["scenario"]
        with tempfile.TemporaryDirectory(prefix=f"gcx-replay-{name}-") as tmp:
            ctx = ReplayContext(GENERATIONS[version], kind, Path(tmp), replay)
            started = time.monotonic()
            error = ""
            try:
                trio.run(_run, name, ctx)
            except Exception as exc:  # noqa: BLE001
                error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return (
        Outcome(version, name, kind, not error, time.monotonic() - started, error,
                KNOWN_BUGS.get((name, version), "")),
        replay,
    )


def session_paths(root: Path = SESSIONS) -> list[Path]:
    return sorted(p for p in root.glob("*/*.json"))
