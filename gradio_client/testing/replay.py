"""Replaying a recorded session: ``Replay`` and its transports (see the package doc)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any, cast

import httpx

from ..protocol import errors as _errors
from ..protocol.machine import Observer, QueueMachine
from ..shells import _sync_ws
from ._format import (
    _HEARTBEAT,
    ROOT,
    _body_key,
    _bytes,
    _Names,
    _request_body,
    _text,
    watch,
)
from ._replay_io import (
    AsyncReplayTransport,
    ReplayTransport,
    _async_sleep,
    _AsyncReplayStream,
    _AsyncReplayWebSocket,
    _frame_key,
    _rebind_stream,
    _ReplayStream,
    _ReplayWebSocket,
    _send_data_index,
    _sent_event,
)

# ------------------------------------------------------------------------------ replay


def _same_place(frames: list[Any], i: int, other: list[Any]) -> int:
    """Where in ``other`` a socket stands that stood at frame ``i`` of ``frames``: after as
    many of its own sent frames, and as many frames received since the last of them, but
    never past its next sent frame.  (Two recordings of a job may differ in how many queue
    statuses come between the client's frames: the same index would put it elsewhere.)"""
    outs = [k for k, f in enumerate(frames) if f[1] == "out"]
    theirs = [k for k, f in enumerate(other) if f[1] == "out"]
    sent = sum(1 for k in outs if k < i)
    if sent > len(theirs):
        return min(i, len(other))
    since = i - (outs[sent - 1] + 1 if sent else 0)
    start = theirs[sent - 1] + 1 if sent else 0
    limit = theirs[sent] if sent < len(theirs) else len(other)
    return min(start + since, limit)


class Replay:
    """Serves a recorded session to clients pointed at :attr:`url`, without a network.

    Requests are matched to recorded exchanges by method, URL and body (placeholders
    substituted), first unused first.  ``problems`` lists what did not match; ``unused()``
    the recorded exchanges nobody asked for.
    """

    def __init__(
        self,
        session: Mapping[str, Any],
        blobs: str | Path | None = None,
        *,
        gate_timeout: float = 5.0,
    ) -> None:
        self.session = session
        self.url = ROOT + "/"
        self.gate_timeout = gate_timeout
        self.problems: list[str] = []
        self.names = _Names({})
        self._blobs = Path(blobs) if blobs is not None else None
        self._cond = threading.Condition()
        self._closed = False
        self._unwatch: Callable[[], None] = lambda: None
        self._pending: dict[tuple[str, str, str], deque[dict[str, Any]]] = {}
        self._ws: list[dict[str, Any]] = []
        self._ws_owner: dict[int, _ReplayWebSocket] = {}
        self._joins: list[Any] = []  # live per-job event streams (Gradio 4.0-4.8)
        self._aliases: dict[str, str] = {}  # live event_id -> the recorded one it stands for
        gates: list[int] = []
        for exchange in session["exchanges"]:
            if "ws" in exchange:
                # websockets are matched to jobs by their data frame (see _rebind_locked);
                # their frames wait for HTTP requests (a cancel's /reset) but gate nothing
                self._ws.append(exchange)
                continue
            if exchange.get("heartbeat"):
                continue
            key = self._key(exchange["method"], exchange["url"], exchange.get("request"))
            self._pending.setdefault(key, deque()).append(exchange)
            gates.append(exchange["seq"])
        self._gates = sorted(gates)
        self._seen: set[int] = set()
        self._low = 0  # index into _gates of the first gate not yet passed

    @classmethod
    def load(cls, path: str | Path, **kwargs: Any) -> Replay:
        path = Path(path)
        return cls(json.loads(path.read_text()), path.parent / "blobs", **kwargs)

    def __enter__(self) -> Replay:
        _sync_ws.set_connect_hook(_sync_ws.netloc_of(ROOT), self._connect_ws)
        self._unwatch = watch(self._new_machine)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        _sync_ws.set_connect_hook(_sync_ws.netloc_of(ROOT), None)
        self._unwatch()

    def transport(self) -> ReplayTransport:
        return ReplayTransport(self)

    def async_transport(self) -> AsyncReplayTransport:
        return AsyncReplayTransport(self)

    @contextlib.asynccontextmanager
    async def ws_connect(self, url: str, **kwargs: Any) -> AsyncIterator[_AsyncReplayWebSocket]:
        """The websocket connector of the async shells (``AsyncClient(ws_connect=...)``):
        recorded websockets (Gradio 3.x) served on asyncio or trio, without a network."""
        ws = cast(_ReplayWebSocket, self._connect_ws(url, **kwargs))
        try:
            yield _AsyncReplayWebSocket(ws)
        finally:
            ws.shutdown()

    def unused(self) -> list[str]:
        """Recorded requests (not heartbeats) the replayed clients never made."""
        with self._cond:
            left = [f"{e['method']} {e['url']}" for q in self._pending.values() for e in q]
            left += [f"websocket {e['ws']}" for e in self._ws]
        return left

    # -- matching
    @staticmethod
    def _key(method: str, url: str, body: Any) -> tuple[str, str, str]:
        return (method, url, _body_key(body))

    def _new_machine(self, machine: QueueMachine) -> Observer:
        # name sessions in creation order, as the recording did
        self.names.name_session(machine.session_hash)
        return self._machine_input

    def _machine_input(self, name: str, inputs: Mapping[str, Any], returned: Any) -> None:
        if name == "reset_session":
            self.names.name_session(inputs["session_hash"])

    def match(self, request: httpx.Request, content: bytes) -> dict[str, Any] | None:
        url = self.names.hide(str(request.url))
        body = _request_body(request, content, self.names)
        with self._cond:
            body = self._unalias_locked(url, body)
            key = self._key(request.method, url, body)
            queue = self._pending.get(key)
            if queue:
                exchange: dict[str, Any] | None = queue.popleft()
            else:
                exchange = self._rebind_data_locked(request.method, url, body)
            if exchange is None:
                self.problems.append(f"no recorded exchange for {request.method} {url} {_body_key(body)[:300]}")
                return None
            if url.endswith("/queue/data") and isinstance(body, dict):
                # the stream that announced this event_id is known for sure now
                live = (body.get("json") or {}).get("event_id")
                for stream in self._joins:
                    if stream._sent is not None and stream._sent == live:
                        stream._bound = True
            self._pass_locked(exchange["seq"])
        return exchange

    # -- Gradio 4.0-4.8: one GET /queue/join?fn_index&session_hash per job.  Concurrent
    # jobs of one endpoint open identical URLs, so a stream is first given any recording
    # of that URL; the job's POST /queue/data (its data, and the event_id its stream
    # sent) tells which recording it really is: the streams swap recordings then, and
    # the live event_id stands for the recorded one from then on.

    def _unalias_locked(self, url: str, body: Any) -> Any:
        data = body.get("json") if isinstance(body, dict) else None
        if (isinstance(data, dict) and data.get("event_id") in self._aliases
                and not url.endswith("/queue/data")):
            return {"json": {**data, "event_id": self._aliases[data["event_id"]]}}
        return body

    def _rebind_data_locked(self, method: str, url: str, body: Any) -> dict[str, Any] | None:
        data = body.get("json") if isinstance(body, dict) else None
        if not (url.endswith("/queue/data") and isinstance(data, dict) and "event_id" in data):
            return None
        live = str(data["event_id"])
        bare = {k: v for k, v in data.items() if k != "event_id"}
        for (m, u, _), queue in self._pending.items():
            if m != method or u != url:
                continue
            for recorded in queue:
                rec = (recorded.get("request") or {}).get("json") or {}
                if {k: v for k, v in rec.items() if k != "event_id"} == bare:
                    queue.remove(recorded)
                    wanted = str(rec.get("event_id", live))
                    self._aliases[live] = wanted
                    self._swap_joins_locked(live, wanted)
                    return recorded
        return None

    def _swap_joins_locked(self, live: str, wanted: str) -> None:
        """The stream that sent event_id ``live`` takes the recording that sent ``wanted``
        (from the stream holding it, or from those not requested yet)."""
        if live == wanted:
            return
        mine = next((s for s in self._joins if s._sent == live), None)
        if mine is None:
            return
        other = next((s for s in self._joins if _sent_event(s._exchange) == wanted), None)
        target: dict[str, Any] | None = other._exchange if other is not None else None
        if target is None:
            for (m, u, _), queue in self._pending.items():
                found = next((e for e in queue if m == "GET" and _sent_event(e) == wanted), None)
                if found is not None:  # not requested yet: give ours back in its place
                    queue[queue.index(found)] = mine._exchange
                    target = found
                    self._seen.add(found["seq"])
                    break
        if target is None:
            return
        old = mine._exchange
        _rebind_stream(mine, target)
        if other is not None:
            _rebind_stream(other, old)
        self._cond.notify_all()

    def _next_chunk(
        self, stream: Any
    ) -> tuple[dict[str, Any], int, int, str, bool, frozenset[int] | None] | None:
        """The stream's next chunk and whether it waits for the recorded order.  Until its
        job's POST /queue/data says which recording a per-job stream is, its chunks up to
        ``send_data`` are provisional (queue statuses): delivered without the global
        order, whose gates may belong to the job it will turn out to be."""
        with self._cond:
            exchange = stream._exchange
            if stream._i >= len(exchange["chunks"]):
                return None
            seq, text = exchange["chunks"][stream._i]
            if stream not in self._joins:
                return exchange, stream._i, seq, text, True, None
            # a per-job stream waits for its own job's actions only: the recorded order
            # of other jobs' requests depends on how the recording client scheduled them
            sent = _send_data_index(exchange)
            gated = stream._bound or sent is None or stream._i > sent
            return exchange, stream._i, seq, text, gated, self._own_gates(exchange)

    def _held_open(self, stream: Any) -> bool:
        """A per-job stream recorded without ``send_data`` that broke off: its job was
        cancelled while queued, which the client does by closing the stream.  The
        recording cannot tell that close from a break, so it stays open until the
        client closes it."""
        with self._cond:
            end = stream._exchange.get("end") or [0, "eof"]
            return (stream in self._joins and end[1] == "error"
                    and _send_data_index(stream._exchange) is None)

    def _took_chunk(self, stream: Any, exchange: dict[str, Any], i: int) -> bool:
        """Whether chunk ``i`` of ``exchange`` is still the stream's next one (it was not
        re-bound meanwhile); if so it is taken."""
        with self._cond:
            if stream._exchange is not exchange or stream._i != i:
                return False
            stream._i = i + 1
            if i == _send_data_index(exchange):
                stream._sent = _sent_event(exchange)  # what its job will post with
            return True

    def _pass_locked(self, seq: int) -> None:
        self._seen.add(seq)
        while self._low < len(self._gates) and self._gates[self._low] in self._seen:
            self._low += 1
        self._cond.notify_all()

    def _open_locked(self, seq: int, own: frozenset[int] | None = None) -> bool:
        """Whether every gate (client action) recorded before ``seq`` has been passed
        (only those of ``own``, if given)."""
        if own is not None:
            return all(g in self._seen for g in own if g < seq)
        return self._low >= len(self._gates) or self._gates[self._low] > seq

    def _own_gates(self, exchange: Mapping[str, Any]) -> frozenset[int]:
        """A per-job stream's own client actions: its GET, and the requests naming the
        event_id it announced (its data, its cancel)."""
        event = _sent_event(exchange)
        own = {int(exchange["seq"])}
        if event is not None:
            for other in self.session["exchanges"]:
                body = (other.get("request") or {}).get("json")
                if isinstance(body, dict) and body.get("event_id") == event:
                    own.add(int(other["seq"]))
        return frozenset(own)

    def wait(self, seq: int, abandoned: Callable[[], bool] = lambda: False,
             own: frozenset[int] | None = None) -> bool:
        """Block until the item recorded at ``seq`` may be delivered; False if closed.

        ``own``: wait only for these client actions (a per-job stream's own), not for
        every one recorded before ``seq``."""
        deadline = time.monotonic() + self.gate_timeout
        with self._cond:
            while not self._open_locked(seq, own):
                if self._closed or abandoned():
                    return False
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._skip_locked(seq, own)
                    break
                self._cond.wait(min(remaining, 0.05))
            return not (self._closed or abandoned())

    async def await_(self, seq: int, abandoned: Callable[[], bool] = lambda: False,
                     own: frozenset[int] | None = None) -> bool:
        deadline = time.monotonic() + self.gate_timeout
        while True:
            with self._cond:
                if self._closed or abandoned():
                    return False
                if self._open_locked(seq, own):
                    return True
                if time.monotonic() >= deadline:
                    self._skip_locked(seq, own)
                    return True
            await _async_sleep(0.002)

    def _skip_locked(self, seq: int, own: frozenset[int] | None = None) -> None:
        gates = self._gates[self._low:] if own is None else sorted(own)
        missing = [g for g in gates if g < seq and g not in self._seen]
        self.problems.append(
            f"gave up waiting for recorded client action(s) seq {missing[:5]} before seq {seq}"
        )
        for g in missing:
            self._seen.add(g)
        self._pass_locked(-1)

    def blob(self, name: str) -> str:
        if self._blobs is None:
            raise FileNotFoundError(f"session refers to blob {name} but has no blobs folder")
        return _text((self._blobs / name).read_bytes())

    def body_of(self, exchange: Mapping[str, Any]) -> bytes:
        if "blob" in exchange:
            text = self.blob(exchange["blob"])
        else:
            text = exchange.get("body", "")
        return _bytes(self.names.show(text))

    def response(self, request: httpx.Request, exchange: dict[str, Any] | None,
                 asynchronous: bool) -> httpx.Response:
        if exchange is None:
            if _HEARTBEAT.search(request.url.path):
                stream: Any = (_AsyncReplayStream if asynchronous else _ReplayStream)(self, None)
                return httpx.Response(200, headers={"content-type": "text/event-stream"},
                                      stream=stream, request=request)
            return httpx.Response(
                404, content=b'{"detail":"replay: no recorded exchange"}',
                headers={"content-type": "application/json"}, request=request,
            )
        if "error" in exchange:
            raise httpx.ConnectError(exchange["error"], request=request)
        headers = exchange.get("headers", {})
        if "chunks" in exchange:
            stream = (_AsyncReplayStream if asynchronous else _ReplayStream)(self, exchange)
            if "/queue/join?" in exchange.get("url", ""):
                with self._cond:
                    self._joins.append(stream)
            return httpx.Response(exchange["status"], headers=headers, stream=stream,
                                  request=request)
        return httpx.Response(exchange["status"], headers=headers,
                              content=self.body_of(exchange), request=request)

    def _connect_ws(self, url: str, **kwargs: Any) -> _sync_ws.SyncWebSocket:
        # A socket is bound to the first recorded one not in use; it may be re-bound when
        # it sends its data frame (Gradio 3.x), which names the job: many sockets to one
        # URL connect in whatever order their threads run.
        hidden = self.names.hide(url)
        with self._cond:
            exchange = next(
                (e for e in self._ws if e["ws"] == hidden and id(e) not in self._ws_owner), None
            )
            if exchange is None:
                self.problems.append(f"no recorded websocket for {hidden}")
                raise _errors.ConnectionLostError(f"replay: no recorded websocket for {hidden}")
            self._pass_locked(exchange["seq"])
            if "error" in exchange:
                self._ws.remove(exchange)
                raise _errors.ConnectionLostError(exchange["error"])
            ws = _ReplayWebSocket(self, exchange)
            self._ws_owner[id(exchange)] = ws
        return ws

    def _passed_before_locked(self, exchange: dict[str, Any], index: int) -> None:
        """A socket took over ``exchange`` at frame ``index``: what came before happened."""
        self._seen.add(exchange["seq"])
        self._seen.update(seq for seq, way, _ in exchange["frames"][:index] if way == "out")
        self._pass_locked(-1)

    def _rebind_locked(self, ws: _ReplayWebSocket, ordinal: int, text: str) -> None:
        """``ws`` sent its ``ordinal``-th frame ``text``, a data frame: take the recording
        that sent the same frame, swapping with whoever held it."""
        key = _frame_key(text)
        for exchange in self._ws:
            if exchange["ws"] != ws._exchange["ws"]:
                continue
            outs = [i for i, f in enumerate(exchange["frames"]) if f[1] == "out"]
            if ordinal < len(outs) and _frame_key(exchange["frames"][outs[ordinal]][2]) == key:
                break
        else:
            return
        mine = ws._exchange
        if exchange is not mine:
            other = self._ws_owner.get(id(exchange))
            if other is not None:
                other._i = _same_place(exchange["frames"], other._i, mine["frames"])
                other._exchange = mine
                self._ws_owner[id(mine)] = other
            else:
                self._ws_owner.pop(id(mine), None)
            ws._exchange = exchange
            ws._i = outs[ordinal]
            self._passed_before_locked(exchange, ws._i)
            if other is not None:
                self._passed_before_locked(mine, other._i)
        self._ws.remove(exchange)
        self._ws_owner.pop(id(exchange), None)
        ws._bound = True


