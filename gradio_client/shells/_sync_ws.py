"""A minimal blocking websocket client on wsproto, for Gradio 3.x queues in the thread shell.

Gradio 3.x speaks JSON text frames over ``/queue/join``; this needs no more than: connect
(TCP or TLS), the opening handshake with cookies and headers, text frames both ways, pings
answered, and the close code.  wsproto (a dependency of trio-websocket) does the framing;
this module only moves bytes, in the same sans-IO spirit as the rest of the library.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Message,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

from ..protocol.errors import ConnectionLostError, MessageTooLargeError
from ._common import ws_rejected


#: ``"host:port"`` -> a function taking ``connect``'s arguments and returning a connected
#: websocket (a ``SyncWebSocket`` subclass).  ``gradio_client.testing`` registers one to
#: record the frames of a live server or to replay recorded ones without a network.
ConnectHook = Callable[..., "SyncWebSocket"]
_connect_hooks: dict[str, ConnectHook] = {}
_hooks_lock = threading.Lock()


def netloc_of(url: str) -> str:
    """``"host:port"`` of a ws/wss/http/https URL, the default port filled in."""
    parts = urlsplit(url)
    secure = parts.scheme in ("wss", "https")
    return f"{parts.hostname or 'localhost'}:{parts.port or (443 if secure else 80)}"


def set_connect_hook(netloc: str, hook: ConnectHook | None) -> None:
    """Route websockets to ``netloc`` (``"host:port"``) through ``hook``; None removes it."""
    with _hooks_lock:
        if hook is None:
            _connect_hooks.pop(netloc, None)
        else:
            _connect_hooks[netloc] = hook


class SyncWebSocket:
    def __init__(
        self, sock: socket.socket, conn: WSConnection, max_message_size: int = 64 * 1024 * 1024
    ) -> None:
        self._sock = sock
        self._conn = conn
        self._send_lock = threading.Lock()
        self._parts: list[str] = []
        self._size = 0  # characters held in _parts
        self.max_message_size = max_message_size
        self.close_code: int | None = None
        self.close_reason = ""
        self._closed = False

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        cookies: Any = None,
        timeout: float = 10.0,
        verify: bool | ssl.SSLContext = True,
        max_message_size: int = 64 * 1024 * 1024,
    ) -> SyncWebSocket:
        """Open a websocket (or hand it to the hook registered for its host, if any)."""
        with _hooks_lock:
            hook = _connect_hooks.get(netloc_of(url))
        if hook is not None:
            ws = hook(url, headers=headers, cookies=cookies, timeout=timeout, verify=verify)
        else:
            ws = cls.open(url, headers=headers, cookies=cookies, timeout=timeout, verify=verify)
        ws.max_message_size = max_message_size
        return ws

    @classmethod
    def open(
        cls,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        cookies: Any = None,
        timeout: float = 10.0,
        verify: bool | ssl.SSLContext = True,
    ) -> SyncWebSocket:
        """Open a real websocket connection (no hooks)."""
        parts = urlsplit(url)
        secure = parts.scheme == "wss"
        host = parts.hostname or "localhost"
        port = parts.port or (443 if secure else 80)
        sock = socket.create_connection((host, port), timeout=timeout)
        if secure:
            context = verify if isinstance(verify, ssl.SSLContext) else ssl.create_default_context()
            if verify is False:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            sock = context.wrap_socket(sock, server_hostname=host)
        extra = [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
        if cookies:
            jar = "; ".join(f"{c.name}={c.value}" for c in getattr(cookies, "jar", cookies))
            if jar:
                extra.append((b"cookie", jar.encode()))
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn = WSConnection(ConnectionType.CLIENT)
        netloc = host if parts.port is None else f"{host}:{port}"
        sock.sendall(conn.send(Request(host=netloc, target=target or "/", extra_headers=extra)))
        ws = cls(sock, conn)
        ws._handshake()
        sock.settimeout(None)
        return ws

    def _handshake(self) -> None:
        body = b""
        status = 0
        while True:
            data = self._sock.recv(65536)
            if not data:
                raise ConnectionLostError("The server closed the connection during the websocket handshake.")
            self._conn.receive_data(data)
            for event in self._conn.events():
                if isinstance(event, AcceptConnection):
                    return
                if isinstance(event, RejectConnection):
                    status = event.status_code
                    if not event.has_body:
                        return self._rejected(status, body)
                elif isinstance(event, RejectData):
                    body += event.data
                    if event.body_finished:
                        return self._rejected(status, body)

    def _rejected(self, status: int, body: bytes) -> None:
        raise ws_rejected(status, body)

    def messages(self) -> Iterator[str]:
        """Text frames until the peer closes (``close_code`` is then set).

        Events wsproto already holds are handled before reading the socket again: the
        server's first frame (Gradio's ``send_hash``) often arrives in the same TCP segment
        as the handshake reply, and waiting on ``recv`` for it would stall until the server
        gives up (5 s on Gradio 3.x) and drops the connection.
        """
        while True:
            for event in self._conn.events():
                if isinstance(event, Message):
                    if isinstance(event, TextMessage):
                        self._parts.append(event.data)
                        self._size += len(event.data)
                        if self._size > self.max_message_size:
                            self._parts.clear()
                            raise MessageTooLargeError(
                                f"A websocket message grew past max_message_size="
                                f"{self.max_message_size} bytes.  If the server is trusted, "
                                "raise it: Client(..., max_message_size=...)."
                            )
                        if event.message_finished:
                            text = "".join(self._parts)
                            self._parts.clear()
                            self._size = 0
                            yield text
                elif isinstance(event, Ping):
                    self._send_raw(self._conn.send(event.response()))
                elif isinstance(event, CloseConnection):
                    self.close_code, self.close_reason = event.code, event.reason or ""
                    try:
                        self._send_raw(self._conn.send(event.response()))
                    except Exception:
                        pass
                    self._closed = True
                    return
            if self._closed:
                return
            try:
                data = self._sock.recv(65536)
            except OSError:
                if self._closed:
                    return
                raise
            if not data:
                self._closed = True
                self.close_code = self.close_code or 1006
                return
            self._conn.receive_data(data)

    def send_text(self, text: str) -> None:
        self._send_raw(self._conn.send(Message(data=text)))

    def _send_raw(self, data: bytes) -> None:
        with self._send_lock:
            self._sock.sendall(data)

    def shutdown(self, how: int = socket.SHUT_RDWR) -> None:
        self._closed = True
        try:
            self._sock.shutdown(how)
        except OSError:
            pass

    def close(self) -> None:
        self._closed = True
        try:
            self._sock.close()
        except OSError:
            pass
