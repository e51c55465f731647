"""The sync websocket (Gradio 3.x queues) caps one message, however it is fragmented
(issue 12, item 4: it accumulated fragments without limit; the trio path stops at
``max_message_size`` through trio-websocket)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Request, TextMessage

from gradio_client.protocol.errors import MessageTooLargeError
from gradio_client.shells._sync_ws import SyncWebSocket

MiB = 1024 * 1024


def _serve(listener: socket.socket, total: int, fragment: int, stop: threading.Event) -> None:
    conn, _ = listener.accept()
    ws = WSConnection(ConnectionType.SERVER)
    try:
        while True:
            ws.receive_data(conn.recv(65536))
            if any(isinstance(e, Request) for e in ws.events()):
                break
        conn.sendall(ws.send(AcceptConnection()))
        conn.sendall(ws.send(TextMessage(data='{"msg": "send_hash"}')))
        piece = "x" * fragment
        sent = 0
        while sent < total and not stop.is_set():
            conn.sendall(ws.send(TextMessage(data=piece, message_finished=False)))
            sent += fragment
        conn.sendall(ws.send(TextMessage(data="", message_finished=True)))
    except OSError:
        pass
    finally:
        conn.close()


@pytest.fixture
def fragmented() -> Iterator[str]:
    """A websocket server sending one 64 MiB text message in 64 KiB fragments."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    thread = threading.Thread(target=_serve, args=(listener, 64 * MiB, 64 * 1024, stop), daemon=True)
    thread.start()
    yield f"ws://127.0.0.1:{listener.getsockname()[1]}/queue/join"
    stop.set()
    listener.close()
    thread.join(10)


def test_fragments_past_the_cap_raise(fragmented: str) -> None:
    ws = SyncWebSocket.connect(fragmented, max_message_size=4 * MiB)
    try:
        messages = ws.messages()
        assert next(messages) == '{"msg": "send_hash"}'
        with pytest.raises(MessageTooLargeError, match="max_message_size"):
            next(messages)
        assert sum(len(p) for p in ws._parts) == 0  # nothing kept
    finally:
        ws.close()


def test_the_whole_message_arrives_under_the_cap(fragmented: str) -> None:
    ws = SyncWebSocket.connect(fragmented, max_message_size=65 * MiB)
    try:
        messages = ws.messages()
        next(messages)
        assert len(next(messages)) == 64 * MiB
    finally:
        ws.close()
