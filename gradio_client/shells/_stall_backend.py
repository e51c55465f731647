"""The network backend of ``_stall.py``: httpcore's, its streams' reads reporting a stall.

Apart from ``_stall.py`` so that importing the sync client does not import httpcore (httpx
imports it only when a client builds its transport, and ``_lazy.import_httpcore`` first).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpcore

from ._stall import STALL, _local, _stalled


class StallStream(httpcore.NetworkStream):
    """A network stream whose reads report a stall (see the module doc)."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if getattr(_local, "hook", None) is None or (timeout is not None and timeout <= STALL):
            return self._stream.read(max_bytes, timeout)
        try:
            return self._stream.read(max_bytes, STALL)
        except httpcore.ReadTimeout:
            _stalled()
            return self._stream.read(max_bytes, None if timeout is None else timeout - STALL)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, timeout)

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return StallStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class StallBackend(httpcore.NetworkBackend):
    """httpcore's network backend, its streams wrapped in ``StallStream``."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        return StallStream(
            self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        )

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        return StallStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


__all__ = ["StallBackend", "StallStream"]
