"""httpcore's network layer on plain asyncio, for the asyncio client (issue 13).

Under asyncio httpcore reaches the network through anyio, which pays for every read with
a cancel scope, a timer, a checkpoint and two ``epoll_ctl`` calls (it stops the socket's
reader after each read and starts it again for the next).  About a tenth of the asyncio
client's CPU per predict went there.  ``AsyncioBackend`` is the same contract written on
an ``asyncio.Protocol``: the transport reads whenever data comes (paused only while
``_HIGH`` bytes wait unread, so a slow reader still bounds what is buffered), a read
waits on one future, a timeout is one ``call_later``.

What stays as anyio did it, since httpx and our error mapping see only httpcore's
exceptions: a connect (host names resolved by the loop's resolver, Happy Eyeballs after
``_HAPPY_EYEBALLS`` s, a literal IP address not resolved at all) fails with
``ConnectError`` or ``ConnectTimeout``; a read with ``ReadError`` or ``ReadTimeout`` and
returns ``b""`` at a clean end of the stream; a write waits until the kernel took every
byte (``WriteError``, ``WriteTimeout``); TLS is the loop's ``start_tls`` (a failed
handshake or certificate check is a ``ConnectError`` raised from the ``ssl`` error, as
before).  ``native_network`` puts the backend under an ``httpx.AsyncClient`` whose default
transport httpx built itself; a transport, proxy or unix socket of the caller's keeps
httpcore's own backend.
"""

from __future__ import annotations

import asyncio
import select
import ssl
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any, cast

import httpcore
import httpx

_HIGH = 256 * 1024  # unread bytes at which the transport stops reading until they are read
_HAPPY_EYEBALLS = 0.25  # anyio's delay before the next address is tried alongside
_EXPIRED: Any = object()


def _expire(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_result(_EXPIRED)


class _Protocol(asyncio.Protocol):
    """Buffers what the transport reads; wakes the one reader and the one writer."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.paused = False  # reading paused: ``_HIGH`` bytes wait
        self.waiter: asyncio.Future[Any] | None = None  # the reader's
        self.drain: asyncio.Future[Any] | None = None  # set while writing is paused
        self.eof = False
        self.lost = False
        self.error: BaseException | None = None
        self.tls = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.adopt(cast(asyncio.Transport, transport))  # uvloop's are no asyncio.Transport

    def adopt(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        if not self.tls:  # TLS: asyncio's SSL transport never resumes a writer paused at 0
            transport.set_write_buffer_limits(0)  # a write returns once the kernel has it all

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered >= _HIGH and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return not self.tls  # keep a TCP socket open for writing, as anyio; TLS ignores it

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = self.lost = True
        self.error = self.error or exc
        self._wake()
        self.resume_writing()

    def pause_writing(self) -> None:
        if self.drain is None or self.drain.done():
            self.drain = self.loop.create_future()

    def resume_writing(self) -> None:
        drain = self.drain
        if drain is not None and not drain.done():
            drain.set_result(None)

    def take(self, max_bytes: int) -> bytes:
        chunk = self.chunks.popleft()
        if len(chunk) > max_bytes:
            self.chunks.appendleft(chunk[max_bytes:])
            chunk = chunk[:max_bytes]
        self.buffered -= len(chunk)
        if self.paused and self.buffered < _HIGH // 2 and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        return chunk


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection (plain or TLS) as httpcore reads and writes it."""

    def __init__(self, protocol: _Protocol) -> None:
        assert protocol.transport is not None
        self._p = protocol
        self._transport = protocol.transport
        self._closed = False
        self._poll: Any = None  # select.poll of the socket, made on the first is_readable

    async def _wait(self, waiter: asyncio.Future[Any], timeout: float | None) -> bool:
        """Wait for ``waiter``; False when ``timeout`` came first."""
        if timeout is None:
            await waiter
            return True
        handle = self._p.loop.call_later(max(0.0, timeout), _expire, waiter)
        try:
            await waiter
        finally:
            handle.cancel()
        return waiter.result() is not _EXPIRED

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        p = self._p
        if not p.chunks and not p.eof and not self._closed:
            waiter = p.waiter = p.loop.create_future()
            try:
                if not await self._wait(waiter, timeout):
                    raise httpcore.ReadTimeout("timed out")
            finally:
                p.waiter = None
        if self._closed:
            raise httpcore.ReadError("the connection was closed")
        if p.chunks:
            return p.take(max_bytes)
        if p.error is not None:
            raise httpcore.ReadError(str(p.error) or type(p.error).__name__) from p.error
        return b""  # the peer ended the stream

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        p = self._p
        self._check_writable()
        try:
            self._transport.write(buffer)
        except (RuntimeError, OSError) as exc:
            raise httpcore.WriteError(str(exc)) from exc
        drain = p.drain
        if drain is not None and not drain.done():
            if not await self._wait(drain, timeout):
                raise httpcore.WriteTimeout("timed out")
            self._check_writable()

    def _check_writable(self) -> None:
        p = self._p
        if self._closed:
            raise httpcore.WriteError("the connection was closed")
        if p.lost or self._transport.is_closing():
            error = p.error
            raise httpcore.WriteError(
                str(error) if error is not None else "the connection was lost"
            ) from error

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._p._wake()
        transport = self._transport
        if self._p.tls:  # close_notify if it can go at once, then the socket, as anyio
            transport.close()
            self._p.loop.call_soon(transport.abort)
        else:
            transport.abort()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        p = self._p
        loop = p.loop
        try:
            transport = await asyncio.wait_for(
                loop.start_tls(self._transport, p, ssl_context, server_hostname=server_hostname),
                timeout,
            )
        except asyncio.TimeoutError as exc:
            self._transport.abort()
            raise httpcore.ConnectTimeout("the TLS handshake timed out") from exc
        except (ssl.SSLError, OSError, RuntimeError) as exc:
            self._transport.abort()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        if transport is None:  # pragma: no cover - the loop closed meanwhile
            raise httpcore.ConnectError("the TLS handshake was cut off")
        p.tls = True
        p.adopt(transport)
        self._closed = True  # this plain stream is now the TLS stream's
        return AsyncioStream(p)

    def get_extra_info(self, info: str) -> Any:
        transport = self._transport
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        if info == "socket":
            return transport.get_extra_info("socket")
        if info == "is_readable":  # an idle connection with something to read: the peer left
            p = self._p
            return self._closed or p.eof or bool(p.chunks) or self._readable()
        return None

    def _readable(self) -> bool:
        """What the kernel holds that the loop has not read yet (httpcore asks this of an
        idle connection before it reuses it, as anyio answered it: a poll of the socket)."""
        if self._poll is None:
            sock = self._transport.get_extra_info("socket")
            fd = -1 if sock is None else sock.fileno()
            if fd < 0:
                return True
            if not hasattr(select, "poll"):  # pragma: no cover - Windows
                return bool(select.select([fd], [], [], 0)[0])
            self._poll = select.poll()
            self._poll.register(fd, select.POLLIN)
        return bool(self._poll.poll(0))


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on the running asyncio loop (see the module doc)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            local = (local_address, 0) if local_address else None
            if isinstance(loop, asyncio.BaseEventLoop):  # asyncio's own: race a name's addresses
                connecting = loop.create_connection(
                    lambda: _Protocol(loop), host, port, local_addr=local,
                    happy_eyeballs_delay=_HAPPY_EYEBALLS,
                )
            else:  # another loop (uvloop) may not take that argument
                connecting = loop.create_connection(
                    lambda: _Protocol(loop), host, port, local_addr=local
                )
            transport, protocol = await asyncio.wait_for(connecting, timeout)
        except asyncio.TimeoutError as exc:
            raise httpcore.ConnectTimeout("timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        sock = transport.get_extra_info("socket")
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
        except OSError as exc:
            transport.abort()
            raise httpcore.ConnectError(str(exc)) from exc
        return AsyncioStream(protocol)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - native_network leaves uds alone
        loop = asyncio.get_running_loop()
        try:
            transport, protocol = await asyncio.wait_for(
                loop.create_unix_connection(lambda: _Protocol(loop), path), timeout
            )
        except asyncio.TimeoutError as exc:
            raise httpcore.ConnectTimeout("timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        for option in socket_options or ():
            transport.get_extra_info("socket").setsockopt(*option)
        return AsyncioStream(protocol)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def native_network(http: httpx.AsyncClient, httpx_kwargs: Mapping[str, Any]) -> bool:
    """Put ``AsyncioBackend`` under ``http``'s default transport if httpx built that one
    itself from ``httpx_kwargs`` (no ``transport`` of the caller's, no unix socket) and it
    has opened no connection yet; True if it did.  Requests that go through a proxy
    (``mounts``) keep httpcore's backend."""
    if "transport" in httpx_kwargs:
        return False
    transport = getattr(http, "_transport", None)
    if type(transport) is not httpx.AsyncHTTPTransport:
        return False
    pool = getattr(transport, "_pool", None)
    if type(pool) is not httpcore.AsyncConnectionPool or getattr(pool, "_connections", None):
        return False
    if getattr(pool, "_uds", None) is not None:
        return False
    if type(getattr(pool, "_network_backend", None)).__name__ != "AutoBackend":
        return False  # someone else's backend, or another httpcore
    pool._network_backend = AsyncioBackend()
    return True


__all__ = ["AsyncioBackend", "AsyncioStream", "native_network"]
