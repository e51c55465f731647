"""Run a conformance scenario live (recording the wire) or from a recorded session.

Used by tools/matrix.py, tools/record.py and test_replay.py.  Standard library, trio and
our package only (no pytest), so the tools can import it.
"""

from __future__ import annotations

import json
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


class ReplayContext(_Base):
    """From a recorded session: no server, no socket."""

    live = False

    def __init__(self, gen: Generation, kind: str, tmp: Path, replay: Replay) -> None:
        super().__init__(gen, kind, tmp)
        self.replay = replay
        self._marks = list(replay.session.get("marks", []))

    async def connect(self, **kwargs: Any) -> Any:
        if self.kind == "sync":  # websockets: the _sync_ws hook Replay installs
            transport: Any = self.replay.transport()
        else:  # websockets: the connector injected into the async shells
            transport = self.replay.async_transport()
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
