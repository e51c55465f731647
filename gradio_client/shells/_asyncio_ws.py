"""A small websocket client on wsproto over asyncio streams, for Gradio 3.x queues.

The asyncio twin of ``_sync_ws.py`` and of what trio-websocket does for the trio shell:
connect (TCP or TLS; a literal IP address needs no resolver thread), the opening handshake
with headers and cookies, text frames both ways, pings answered, the close code.  A message
longer than ``max_message_size`` closes the socket with 1009 (message too big), as
trio-websocket does, and the machine then ends the job.  wsproto does the framing; this
module only moves bytes.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError as WsProtocolError

from ..protocol.errors import ConnectionLostError
from ._common import ws_rejected
from ._driver import WebSocketClosed

_READ = 65536
_HANDSHAKE_LIMIT = 64 * 1024  # a refusal's body kept for the error, at most
_MESSAGE_TOO_BIG = 1009


class AsyncioWebSocket:
    """An open websocket: ``get_message`` (text, raising ``WebSocketClosed`` at the end)
    and ``send_message``; see ``open_websocket``."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        conn: WSConnection,
        max_message_size: int,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._conn = conn
        self._max = max_message_size
        self._parts: list[str] = []
        self._size = 0
        self._closed: WebSocketClosed | None = None
        self._send_lock = asyncio.Lock()

    async def _write(self, data: bytes) -> None:
        async with self._send_lock:
            self._writer.write(data)
            await self._writer.drain()

    async def send_message(self, text: str) -> None:
        if self._closed is not None:
            raise self._closed
        await self._write(self._conn.send(TextMessage(data=text)))

    async def get_message(self) -> str:
        """The next text message; raises ``WebSocketClosed`` once the socket is closed."""
        while True:
            if self._closed is not None:
                raise self._closed
            for event in self._conn.events():
                if isinstance(event, (TextMessage, BytesMessage)):
                    part = event.data if isinstance(event, TextMessage) else event.data.decode(
                        "utf-8", "replace"
                    )
                    self._size += len(part)
                    if self._size > self._max:
                        await self._close(_MESSAGE_TOO_BIG, "message too big")
                        raise self._gone(_MESSAGE_TOO_BIG, "message too big")
                    self._parts.append(part)
                    if event.message_finished:
                        text = "".join(self._parts)
                        self._parts.clear()
                        self._size = 0
                        return text
                elif isinstance(event, Ping):
                    await self._write(self._conn.send(event.response()))
                elif isinstance(event, CloseConnection):
                    try:
                        if self._conn.state is ConnectionState.REMOTE_CLOSING:
                            await self._write(self._conn.send(event.response()))
                    except (OSError, WsProtocolError):
                        pass
                    raise self._gone(event.code, event.reason or "")
            try:
                data = await self._reader.read(_READ)
            except OSError as exc:
                raise self._gone(None, f"the connection broke: {exc}") from exc
            if not data:
                raise self._gone(1006, "the connection closed without a close frame")
            self._conn.receive_data(data)

    def _gone(self, code: int | None, reason: str) -> WebSocketClosed:
        self._closed = WebSocketClosed(code, reason)
        return self._closed

    async def _close(self, code: int, reason: str) -> None:
        if self._conn.state is ConnectionState.OPEN:
            try:
                await self._write(self._conn.send(CloseConnection(code=code, reason=reason)))
            except (OSError, WsProtocolError):
                pass

    def close(self) -> None:
        """Say goodbye (best effort: the close frame is queued, nothing is awaited, so a
        peer that stopped reading cannot hold this up) and drop the socket."""
        if self._conn.state is ConnectionState.OPEN:
            try:
                self._writer.write(self._conn.send(CloseConnection(code=1000)))
            except (OSError, WsProtocolError):  # pragma: no cover - socket already gone
                pass
        self._closed = self._closed or WebSocketClosed(1000, "closed by the client")
        self._writer.close()


async def _handshake(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn: WSConnection
) -> None:
    status = 0
    body = b""
    while True:
        data = await reader.read(_READ)
        if not data:
            raise ConnectionLostError(
                "The server closed the connection during the websocket handshake."
            )
        conn.receive_data(data)
        for event in conn.events():
            if isinstance(event, AcceptConnection):
                return
            if isinstance(event, RejectConnection):
                status = event.status_code
                if not event.has_body:
                    raise ws_rejected(status, body)
            elif isinstance(event, RejectData):
                body = (body + event.data)[:_HANDSHAKE_LIMIT]
                if event.body_finished:
                    raise ws_rejected(status, body)


@asynccontextmanager
async def open_websocket(
    url: str,
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    max_message_size: int = 1 << 20,
    connect_timeout: float = 10.0,
) -> AsyncIterator[AsyncioWebSocket]:
    """Open a websocket to a ws:// or wss:// URL; closed when the block ends."""
    parts = urlsplit(url)
    secure = parts.scheme == "wss"
    host = parts.hostname or "localhost"
    port = parts.port or (443 if secure else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn = WSConnection(ConnectionType.CLIENT)

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if secure:
            context = ssl_context or ssl.create_default_context()
            reader, writer = await asyncio.open_connection(
                host, port, ssl=context, server_hostname=host, limit=_READ
            )
        else:
            reader, writer = await asyncio.open_connection(host, port, limit=_READ)
        try:
            netloc = host if parts.port is None else f"{host}:{port}"
            writer.write(conn.send(Request(host=netloc, target=target, extra_headers=headers or [])))
            await writer.drain()
            await _handshake(reader, writer, conn)
        except BaseException:
            writer.close()
            raise
        return reader, writer

    try:
        reader, writer = await asyncio.wait_for(connect(), connect_timeout)
    except asyncio.TimeoutError as exc:
        raise ConnectionLostError(
            f"The websocket handshake with {host}:{port} timed out ({connect_timeout:g} s)."
        ) from exc
    ws = AsyncioWebSocket(reader, writer, conn, max_message_size)
    try:
        yield ws
    finally:
        ws.close()


__all__ = ["AsyncioWebSocket", "open_websocket"]
