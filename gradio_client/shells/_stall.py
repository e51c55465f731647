"""Telling the sync client's worker pool that a short request has stalled.

The thread shell sends joins, cancels and other short requests from one pool thread in
turn (``thread_shell._Pool``).  A reply that never comes (a join a proxy holds, a server
that hangs) would hold that thread, and every job's join queued behind it, until the
read timeout.  The pool cannot see that from outside without a timer thread of its own;
the thread inside the read can.  ``StallBackend`` wraps httpcore's network backend: a
read on a thread that has a hook set (``watching``) first waits at most ``STALL`` seconds;
when nothing came by then it calls the hook once (the pool then counts the task as long
and may start another thread for the work queued behind it) and goes on reading for the
rest of the read timeout.  A recv that times out consumed nothing, so the second read
continues where the first left off, plain or TLS.  Threads without a hook (stream readers,
the caller's) read exactly as before, and so do reads that come within ``STALL``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.request import getproxies

import httpcore
import httpx

STALL = 2.0  # seconds a short request's read may wait before its thread counts as stalled

_local = threading.local()


@contextmanager
def watching(hook: Callable[[], None]) -> Iterator[None]:
    """Within this block, a read on this thread that waits past ``STALL`` calls ``hook``
    (once)."""
    _local.hook = hook
    try:
        yield
    finally:
        _local.hook = None


def _stalled() -> None:
    hook: Callable[[], None] | None = getattr(_local, "hook", None)
    if hook is not None:
        _local.hook = None  # once per task
        hook()


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


def stall_transport(kwargs: dict[str, Any]) -> httpx.HTTPTransport | None:
    """The default transport ``httpx.Client(**kwargs)`` would make, with ``StallBackend``;
    None when ``kwargs`` bring their own transport, a unix socket or a proxy, when proxies
    come from the environment (httpx reads them only when it makes the transport itself), or
    when httpcore has no network backend to wrap: the pool then only grows behind long
    tasks."""
    if {"transport", "mounts", "uds", "proxy"} & kwargs.keys():
        return None
    if kwargs.get("trust_env", True) and getproxies():
        return None  # httpx reads proxies from the environment only without a transport
    transport = httpx.HTTPTransport(
        verify=kwargs.get("verify", True),
        cert=kwargs.get("cert"),
        trust_env=kwargs.get("trust_env", True),
        http1=kwargs.get("http1", True),
        http2=kwargs.get("http2", False),
        limits=kwargs.get("limits", httpx.Limits(max_connections=100, max_keepalive_connections=20)),
    )
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(backend, httpcore.NetworkBackend):  # pragma: no cover - another httpcore
        return None
    pool._network_backend = StallBackend(backend)  # type: ignore[union-attr]
    return transport
