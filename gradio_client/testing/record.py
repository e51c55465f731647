"""Recording a live session: ``Recorder`` and its transports (see the package doc)."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, cast

import httpx

from ..protocol.machine import Observer, QueueMachine
from ..shells import _sync_ws
from ._format import (
    _HEARTBEAT,
    _KEEP_HEADERS,
    BLOB_MIN,
    FORMAT,
    HOST,
    ROOT,
    SERVER_TMP,
    _bytes,
    _error_name,
    _is_event_stream,
    _MachineLog,
    _Names,
    _request_body,
    _text,
    watch,
)

# ------------------------------------------------------------------------------ recording


class Recorder:
    """One timeline of everything the clients created under it sent and received.

    ``root`` is the live server's URL; ``server_tmp`` its temp dir (both become
    placeholders on save).  Use it as a context manager: inside, websockets to ``root``
    are recorded and every ``QueueMachine`` created is logged.
    """

    def __init__(self, root: str, *, server_tmp: str | None = None) -> None:
        root = root.rstrip("/")
        netloc = root.split("://", 1)[-1]
        literals = {root: ROOT, netloc: HOST}
        if server_tmp:
            literals[str(server_tmp).rstrip("/")] = SERVER_TMP
            resolved = str(Path(server_tmp).resolve()).rstrip("/")
            literals.setdefault(resolved, SERVER_TMP)
        self.root = root
        self.names = _Names(literals)
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self.exchanges: list[dict[str, Any]] = []
        self.machines: list[_MachineLog] = []
        self._t0 = time.monotonic()
        self._netloc = _sync_ws.netloc_of(root)
        self._active = False
        self._unwatch: Callable[[], None] = lambda: None

    # -- lifecycle
    def __enter__(self) -> Recorder:
        self._active = True
        _sync_ws.set_connect_hook(self._netloc, self._connect_ws)
        self._unwatch = watch(self._new_machine)
        return self

    def __exit__(self, *exc: object) -> None:
        self._active = False
        _sync_ws.set_connect_hook(self._netloc, None)
        self._unwatch()

    def next_seq(self) -> int:
        return next(self._seq)

    def transport(self, inner: httpx.BaseTransport | None = None) -> RecordingTransport:
        return RecordingTransport(self, inner)

    def async_transport(self, inner: httpx.AsyncBaseTransport | None = None) -> AsyncRecordingTransport:
        return AsyncRecordingTransport(self, inner)

    def name_session(self, session_hash: str) -> str:
        return self.names.name_session(session_hash)

    # -- the queue machine
    def _new_machine(self, machine: QueueMachine) -> Observer:
        """Every machine created inside the recorder logs its inputs and answers."""
        log = _MachineLog(machine, self.names, self._t0, self.next_seq)
        with self._lock:
            self.machines.append(log)
        return log.observe

    # -- HTTP
    def _begin(self, request: httpx.Request, content: bytes) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "seq": self.next_seq(),
            "method": request.method,
            "url": self.names.hide(str(request.url)),
        }
        body = _request_body(request, content, self.names)
        if body is not None:
            entry["request"] = body
        if _HEARTBEAT.search(request.url.path):
            entry["heartbeat"] = True
        with self._lock:
            self.exchanges.append(entry)
        return entry

    def _respond(self, entry: dict[str, Any], response: httpx.Response) -> None:
        entry["status"] = response.status_code
        entry["headers"] = {
            k: response.headers[k] for k in _KEEP_HEADERS if k in response.headers
        }
        entry["chunks"] = []

    def _chunk(self, entry: dict[str, Any], chunk: bytes) -> None:
        if entry.get("heartbeat"):
            return
        entry["chunks"].append([self.next_seq(), self.names.hide_server(_text(chunk))])

    def _end(self, entry: dict[str, Any], how: str, detail: str = "") -> None:
        if "end" not in entry:
            entry["end"] = [self.next_seq(), how, self.names.hide(detail)] if detail else [
                self.next_seq(), how]

    # -- websockets (Gradio 3.x)
    def _connect_ws(self, url: str, **kwargs: Any) -> _sync_ws.SyncWebSocket:
        entry: dict[str, Any] = {"seq": self.next_seq(), "ws": self.names.hide(url), "frames": []}
        with self._lock:
            self.exchanges.append(entry)
        try:
            ws = cast(_RecordingWebSocket, _RecordingWebSocket.open(url, **kwargs))
        except Exception as exc:
            entry["error"] = self.names.hide(_error_name(exc))
            raise
        ws.attach(self, entry)
        return ws

    # -- saving
    def to_dict(self, **meta: Any) -> dict[str, Any]:
        exchanges = []
        with self._lock:
            for entry in self.exchanges:
                exchanges.append(self._finished(entry))
        return {
            "format": FORMAT,
            **meta,
            "exchanges": exchanges,
            "machines": [m.to_dict() for m in self.machines],
        }

    def _finished(self, entry: dict[str, Any]) -> dict[str, Any]:
        out = dict(entry)
        chunks = out.pop("chunks", None)
        if chunks is None:
            return out
        if "frames" in out:
            return out
        if _is_event_stream(out.get("headers", {})) or out.get("heartbeat"):
            out["chunks"] = chunks
        else:
            out["body"] = "".join(text for _, text in chunks)
            end = out.get("end")
            if end is not None and end[1] != "error":
                out.pop("end")
        return out

    def save(self, path: str | Path, **meta: Any) -> Path:
        """Write the session as JSON; bodies of ``BLOB_MIN`` bytes or more go to
        ``blobs/`` beside it (shared by every session in that folder)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        document = self.to_dict(**meta)
        blobs = path.parent / "blobs"
        for exchange in document["exchanges"]:
            body = exchange.get("body")
            if isinstance(body, str) and len(body) >= BLOB_MIN:
                data = _bytes(body)
                suffix = ".json" if body[:1] in "{[" else ".txt"
                name = hashlib.sha256(data).hexdigest()[:20] + suffix
                blobs.mkdir(exist_ok=True)
                target = blobs / name
                if not target.exists():
                    target.write_bytes(data)
                del exchange["body"]
                exchange["blob"] = name
        path.write_text(json.dumps(document, indent=1) + "\n")  # \udcXX: raw bytes
        return path


class _RecordingStream(httpx.SyncByteStream):
    def __init__(self, recorder: Recorder, entry: dict[str, Any], inner: Any) -> None:
        self._recorder = recorder
        self._entry = entry
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._inner:
                self._recorder._chunk(self._entry, chunk)
                yield chunk
        except Exception as exc:
            self._recorder._end(self._entry, "error", _error_name(exc))
            raise
        self._recorder._end(self._entry, "eof")

    def close(self) -> None:
        self._recorder._end(self._entry, "closed")
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


class _AsyncRecordingStream(httpx.AsyncByteStream):
    def __init__(self, recorder: Recorder, entry: dict[str, Any], inner: Any) -> None:
        self._recorder = recorder
        self._entry = entry
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                self._recorder._chunk(self._entry, chunk)
                yield chunk
        except Exception as exc:
            self._recorder._end(self._entry, "error", _error_name(exc))
            raise
        self._recorder._end(self._entry, "eof")

    async def aclose(self) -> None:
        self._recorder._end(self._entry, "closed")
        aclose = getattr(self._inner, "aclose", None)
        if aclose is not None:
            await aclose()


class RecordingTransport(httpx.BaseTransport):
    """An httpx transport that records every exchange into a :class:`Recorder`."""

    def __init__(self, recorder: Recorder, inner: httpx.BaseTransport | None = None) -> None:
        self._recorder = recorder
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()
        entry = self._recorder._begin(request, content)
        try:
            response = self._inner.handle_request(request)
        except Exception as exc:
            entry["error"] = self._recorder.names.hide(_error_name(exc))
            raise
        self._recorder._respond(entry, response)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_RecordingStream(self._recorder, entry, response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._inner.close()


class AsyncRecordingTransport(httpx.AsyncBaseTransport):
    """The async twin of :class:`RecordingTransport`."""

    def __init__(self, recorder: Recorder, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._recorder = recorder
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        content = await request.aread()
        entry = self._recorder._begin(request, content)
        try:
            response = await self._inner.handle_async_request(request)
        except Exception as exc:
            entry["error"] = self._recorder.names.hide(_error_name(exc))
            raise
        self._recorder._respond(entry, response)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_AsyncRecordingStream(self._recorder, entry, response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


class _RecordingWebSocket(_sync_ws.SyncWebSocket):
    _recorder: Recorder | None = None
    _entry: dict[str, Any]

    def attach(self, recorder: Recorder, entry: dict[str, Any]) -> None:
        self._recorder = recorder
        self._entry = entry
        self._client_closed = False

    def messages(self) -> Iterator[str]:
        assert self._recorder is not None
        for text in super().messages():
            self._entry["frames"].append(
                [self._recorder.next_seq(), "in", self._recorder.names.hide_server(text)]
            )
            yield text
        if "end" not in self._entry:
            who = "client" if self._client_closed else "server"
            self._entry["end"] = [self._recorder.next_seq(), who, self.close_code,
                                  self.close_reason]

    def send_text(self, text: str) -> None:
        assert self._recorder is not None
        self._entry["frames"].append(
            [self._recorder.next_seq(), "out", self._recorder.names.hide(text)]
        )
        super().send_text(text)

    def shutdown(self, how: int = 2) -> None:
        self._client_closed = True
        self._mark_client_end()
        super().shutdown(how)

    def close(self) -> None:
        if not self._closed:
            self._client_closed = True
            self._mark_client_end()
        super().close()

    def _mark_client_end(self) -> None:
        if self._recorder is not None and "end" not in self._entry:
            self._entry["end"] = [self._recorder.next_seq(), "client", None, ""]


