"""What a replay serves: the transports, event streams and websockets fed from a recording,
and the re-binding of per-job streams (see ``Replay``)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

import httpx

from ..shells import _sync_ws
from ._format import _HEARTBEAT, _bytes

if TYPE_CHECKING:
    from .replay import Replay

_EVENT_ID = re.compile(r'"msg": ?"send_data", ?"event_id": ?"([^"]+)"')


def _send_data_index(exchange: Mapping[str, Any]) -> int | None:
    return next((i for i, (_, text) in enumerate(exchange.get("chunks", ()))
                 if '"send_data"' in text), None)


def _sent_event(exchange: Mapping[str, Any]) -> str | None:
    """The event_id a recorded per-job stream announced (``send_data``)."""
    i = _send_data_index(exchange)
    if i is None:
        return None
    found = _EVENT_ID.search(exchange["chunks"][i][1])
    return found.group(1) if found else None


def _rebind_stream(stream: Any, exchange: dict[str, Any]) -> None:
    """Give ``stream`` another recording, at the same point relative to ``send_data``."""
    old, new = _send_data_index(stream._exchange), _send_data_index(exchange)
    if old is not None and new is not None:
        stream._i = new + 1 if stream._i > old else min(stream._i, new)
    else:
        stream._i = min(stream._i, len(exchange["chunks"]))
    stream._exchange = exchange


def _async_sleep(seconds: float) -> Any:
    import sniffio

    if sniffio.current_async_library() == "trio":
        import trio

        return trio.sleep(seconds)
    import asyncio

    return asyncio.sleep(seconds)


def _heartbeat_end(replay: Replay, closed: Callable[[], bool]) -> None:
    with replay._cond:
        while not (replay._closed or closed()):
            replay._cond.wait(0.05)


class _ReplayStream(httpx.SyncByteStream):
    def __init__(self, replay: Replay, exchange: dict[str, Any] | None) -> None:
        self._replay = replay
        self._exchange = exchange
        self._i = 0  # next chunk (the recording may be swapped: see Replay._rebind_data)
        self._bound = False  # a per-job stream whose job is known (Replay._next_chunk)
        self._sent: str | None = None  # the event_id it announced (send_data)
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        replay = self._replay
        if self._exchange is None:  # a heartbeat: open until closed
            _heartbeat_end(replay, lambda: self._closed)
            return
        while True:
            step = replay._next_chunk(self)
            if step is None:
                break
            exchange, i, seq, text, gated, own = step
            if gated and not replay.wait(seq, lambda: self._closed, own):
                return
            if replay._took_chunk(self, exchange, i):
                yield _bytes(replay.names.show(text))
        if replay._held_open(self):
            _heartbeat_end(replay, lambda: self._closed)
            return
        end = self._exchange.get("end") or [10**12, "eof"]
        if not replay.wait(end[0], lambda: self._closed):
            return
        if end[1] == "error":
            raise httpx.RemoteProtocolError(f"replayed: {end[2] if len(end) > 2 else ''}")

    def close(self) -> None:
        self._closed = True
        with self._replay._cond:
            self._replay._cond.notify_all()


class _AsyncReplayStream(httpx.AsyncByteStream):
    def __init__(self, replay: Replay, exchange: dict[str, Any] | None) -> None:
        self._replay = replay
        self._exchange = exchange
        self._i = 0
        self._bound = False
        self._sent: str | None = None
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        replay = self._replay
        if self._exchange is None:
            while not (replay._closed or self._closed):
                await _async_sleep(0.05)
            return
        while True:
            step = replay._next_chunk(self)
            if step is None:
                break
            exchange, i, seq, text, gated, own = step
            if gated and not await replay.await_(seq, lambda: self._closed, own):
                return
            if replay._took_chunk(self, exchange, i):
                yield _bytes(replay.names.show(text))
        if replay._held_open(self):
            while not (replay._closed or self._closed):
                await _async_sleep(0.05)
            return
        end = self._exchange.get("end") or [10**12, "eof"]
        if not await replay.await_(end[0], lambda: self._closed):
            return
        if end[1] == "error":
            raise httpx.RemoteProtocolError(f"replayed: {end[2] if len(end) > 2 else ''}")

    async def aclose(self) -> None:
        self._closed = True


class ReplayTransport(httpx.BaseTransport):
    """An httpx transport answering from a :class:`Replay` (never touches a socket)."""

    def __init__(self, replay: Replay) -> None:
        self.replay = replay
        self._streams: list[Any] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()
        exchange = None if _HEARTBEAT.search(request.url.path) else self.replay.match(request, content)
        response = self.replay.response(request, exchange, asynchronous=False)
        if isinstance(response.stream, _ReplayStream):
            self._streams.append(response.stream)
        return response

    def close(self) -> None:
        """Ends the streams still being read (the client is closing)."""
        for stream in self._streams:
            stream.close()


class AsyncReplayTransport(httpx.AsyncBaseTransport):
    """The async twin of :class:`ReplayTransport` (trio or asyncio)."""

    def __init__(self, replay: Replay) -> None:
        self.replay = replay

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        content = await request.aread()
        exchange = None if _HEARTBEAT.search(request.url.path) else self.replay.match(request, content)
        return self.replay.response(request, exchange, asynchronous=True)


class _ReplayWebSocket(_sync_ws.SyncWebSocket):
    def __init__(self, replay: Replay, exchange: dict[str, Any]) -> None:
        super().__init__(cast(Any, None), cast(Any, None))
        self._replay = replay
        self._exchange = exchange
        self._i = 0  # next frame of the recording
        self._bound = False

    def messages(self) -> Iterator[str]:
        replay = self._replay
        while True:
            with replay._cond:
                frames = self._exchange["frames"]
                i = self._i
                if i >= len(frames):
                    break
                seq, way, text = frames[i]
                if way == "out":  # the client speaks next
                    deadline = time.monotonic() + replay.gate_timeout
                    while self._i == i and self._exchange["frames"] is frames and not (
                        self._closed or replay._closed
                    ):
                        if time.monotonic() > deadline:
                            replay.problems.append(f"the client never sent {text[:200]}")
                            self._i = i + 1
                            break
                        replay._cond.wait(0.05)
                    if self._closed or replay._closed:
                        return
                    continue
            # Before it names its job, a socket's recording is provisional: its frames are
            # queue statuses, delivered without the global order (whose gates may belong
            # to the job this socket will turn out to be).
            if self._bound and not replay.wait(seq, lambda: self._closed):
                return
            with replay._cond:
                if self._closed or replay._closed:
                    return
                if self._i != i or self._exchange["frames"] is not frames:
                    continue  # re-bound meanwhile
                self._i = i + 1
            yield replay.names.show(text)
        end = self._exchange.get("end") or [10**12, "server", 1006, ""]
        if end[1] == "client":
            _heartbeat_end(replay, lambda: self._closed)
            return
        if replay.wait(end[0], lambda: self._closed):
            self.close_code, self.close_reason = end[2], end[3] or ""
        self._closed = True

    async def amessages(self) -> AsyncIterator[str]:
        """``messages()`` for the async shells: the same script, waiting by polling."""
        replay = self._replay

        def gone() -> bool:
            return self._closed or replay._closed

        while True:
            with replay._cond:
                frames = self._exchange["frames"]
                i = self._i
                if i >= len(frames):
                    break
                seq, way, text = frames[i]
            if way == "out":  # the client speaks next
                deadline = time.monotonic() + replay.gate_timeout
                while self._i == i and self._exchange["frames"] is frames and not gone():
                    if time.monotonic() > deadline:
                        with replay._cond:
                            replay.problems.append(f"the client never sent {text[:200]}")
                            self._i = i + 1
                        break
                    await _async_sleep(0.002)
                if gone():
                    return
                continue
            if self._bound and not await replay.await_(seq, lambda: self._closed):
                return
            with replay._cond:
                if gone():
                    return
                if self._i != i or self._exchange["frames"] is not frames:
                    continue  # re-bound meanwhile
                self._i = i + 1
            yield replay.names.show(text)
        end = self._exchange.get("end") or [10**12, "server", 1006, ""]
        if end[1] == "client":
            while not gone():
                await _async_sleep(0.05)
            return
        if await replay.await_(end[0], lambda: self._closed):
            self.close_code, self.close_reason = end[2], end[3] or ""
        self._closed = True

    def send_text(self, text: str) -> None:
        replay = self._replay
        hidden = replay.names.hide(text)
        with replay._cond:
            frames = self._exchange["frames"]
            ordinal = sum(1 for f in frames[: self._i] if f[1] == "out")
            j = next((k for k in range(self._i, len(frames)) if frames[k][1] == "out"), None)
            try:
                is_data = not self._bound and "data" in json.loads(hidden)
            except (ValueError, TypeError):
                is_data = False
            if is_data:
                replay._rebind_locked(self, ordinal, hidden)
                frames = self._exchange["frames"]
                j = self._i if self._i < len(frames) and frames[self._i][1] == "out" else j
            if j is None:
                replay.problems.append(f"unrecorded websocket frame sent: {hidden[:200]}")
                return
            seq, _, expected = frames[j]
            if _frame_key(expected) != _frame_key(hidden):
                replay.problems.append(
                    f"websocket frame differs: sent {hidden[:200]}, recorded {expected[:200]}"
                )
            self._i = j + 1
            replay._pass_locked(seq)

    def shutdown(self, how: int = 2) -> None:
        with self._replay._cond:
            self._closed = True
            if not self._bound and id(self._exchange) in self._replay._ws_owner:
                # never named its job: it used the recording it was first given
                self._replay._ws_owner.pop(id(self._exchange), None)
                if self._exchange in self._replay._ws:
                    self._replay._ws.remove(self._exchange)
                self._bound = True
            self._replay._cond.notify_all()

    def close(self) -> None:
        self.shutdown()


class _AsyncReplayWebSocket:
    """A recorded websocket as the async shells see one (``_driver.AsyncWebSocket``)."""

    def __init__(self, ws: _ReplayWebSocket) -> None:
        self._ws = ws
        self._messages = ws.amessages()

    async def get_message(self) -> str:
        try:
            return await self._messages.__anext__()
        except StopAsyncIteration:
            code, reason = self._ws.close_code, self._ws.close_reason
        from ..shells._driver import WebSocketClosed

        raise WebSocketClosed(code, reason)

    async def send_message(self, text: str) -> None:
        self._ws.send_text(text)  # never blocks: it only checks the frame against the recording


def _frame_key(text: str) -> str:
    try:
        return json.dumps(json.loads(text), sort_keys=True)
    except ValueError:
        return text


