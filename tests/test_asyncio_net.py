"""The asyncio client's network backend (shells/_asyncio_net.py) against httpcore's own.

Differential: the same requests through an ``httpx.AsyncClient`` on httpcore's default
backend (anyio) and on ``AsyncioBackend``, against real small servers on 127.0.0.1 (plain
sockets written by hand, and a real HTTPS server): the same bodies, the same errors.
"""

from __future__ import annotations

import asyncio
import http.server
import shutil
import socket
import ssl
import struct
import subprocess
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradio_client.aio import AsyncClient
from gradio_client.shells import _asyncio_net
from gradio_client.shells._asyncio_net import AsyncioBackend, native_network
from gradio_client.shells._errors import TLSCertificateError, transport_error

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def serve(handler: Handler) -> AsyncIterator[str]:
    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(guarded, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.close()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


def client(native: bool, **kwargs: object) -> httpx.AsyncClient:
    http = httpx.AsyncClient(**kwargs)  # type: ignore[arg-type]
    if native:
        assert native_network(http, kwargs)
    return http


async def outcome(native: bool, url: str, **kwargs: object) -> str:
    """The body, or the name of the httpx error and the kind of error the client makes of it."""
    async with client(native, **kwargs) as http:
        try:
            return (await http.get(url)).text
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}/{type(transport_error(exc, 'GET')).__name__}"


def both(make: Callable[[bool], Awaitable[str]]) -> tuple[str, str]:
    async def run() -> tuple[str, str]:
        return await make(False), await make(True)

    return asyncio.run(run())


@settings(max_examples=25, deadline=None)
@given(
    body=st.binary(min_size=0, max_size=300_000),
    cuts=st.lists(st.integers(min_value=1, max_value=70_000), max_size=6),
    chunked=st.booleans(),
)
def test_bodies_arrive_whole_however_the_server_writes_them(
    body: bytes, cuts: list[int], chunked: bool
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        if chunked:
            head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        else:
            head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)
        writer.write(head)
        at = 0
        for cut in [*cuts, len(body)]:
            piece = body[at : at + cut]
            at += len(piece)
            if piece:
                writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                await writer.drain()
                await asyncio.sleep(0)
        if chunked:
            writer.write(b"0\r\n\r\n")
        await writer.drain()

    async def run(native: bool) -> bytes:
        async with serve(handler) as url, client(native) as http:
            async with http.stream("GET", url) as response:
                return b"".join([chunk async for chunk in response.aiter_bytes()])

    async def main() -> tuple[bytes, bytes]:
        return await run(False), await run(True)

    theirs, ours = asyncio.run(main())
    assert ours == theirs == body


def test_a_slow_reader_bounds_what_is_buffered() -> None:
    size = 8 * 1024 * 1024
    seen: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
        writer.write(b"x" * size)
        await writer.drain()

    async def main() -> int:
        total = 0
        async with serve(handler) as url, client(True) as http:
            async with http.stream("GET", url) as response:
                async for chunk in response.aiter_bytes():
                    total += len(chunk)
                    await asyncio.sleep(0.002)  # the server is far faster than this reader
                    pool = http._transport._pool  # type: ignore[attr-defined]
                    for connection in pool._connections:
                        stream = connection._connection._network_stream
                        seen.append(stream._p.buffered)
        return total

    assert asyncio.run(main()) == size
    assert seen and max(seen) <= _asyncio_net._HIGH + 256 * 1024  # one transport read over


def test_a_reply_that_never_comes_times_out_the_same() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(30)

    async def make(native: bool) -> str:
        async with serve(handler) as url:
            return await outcome(native, url, timeout=httpx.Timeout(5.0, read=0.3))

    theirs, ours = both(make)
    assert ours == theirs == "ReadTimeout/ReadTimeout"


@pytest.mark.parametrize("cut", ["before-reply", "mid-body", "reset"])
def test_a_connection_cut_off_fails_the_same(cut: str) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        if cut == "mid-body":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
            await writer.drain()
        elif cut == "reset":  # linger 0: the close is a RST
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()

    async def make(native: bool) -> str:
        async with serve(handler) as url:
            return await outcome(native, url)

    theirs, ours = both(make)
    assert ours == theirs
    assert ours.split("/")[0] in ("RemoteProtocolError", "ReadError")


def test_a_refused_connection_fails_the_same() -> None:
    async def make(native: bool) -> str:
        async with serve(lambda r, w: asyncio.sleep(0)) as url:
            pass  # closed: nothing listens on that port any more
        return await outcome(native, url)

    theirs, ours = both(make)
    assert ours == theirs
    assert ours.startswith("ConnectError/")


def test_a_kept_alive_connection_the_server_closed_is_not_reused() -> None:
    served: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        served.append(1)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()  # then closes (keep-alive announced, not kept)

    async def make(native: bool) -> str:
        async with serve(handler) as url, client(native) as http:
            first = (await http.get(url)).text
            await asyncio.sleep(0.2)
            return first + (await http.get(url)).text

    assert both(make) == ("okok", "okok")
    assert len(served) == 4


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-keyout", str(key), "-out", str(cert), "-days", "2", "-nodes", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)

    class Ok(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}/", str(cert)
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("trusted", [True, False])
def test_tls_verifies_as_before(https_server: tuple[str, str], trusted: bool) -> None:
    url, cert = https_server

    async def make(native: bool) -> str:
        verify = ssl.create_default_context(cafile=cert) if trusted else ssl.create_default_context()
        async with client(native, verify=verify) as http:
            try:
                texts = [(await http.get(url)).text for _ in range(3)]  # kept alive
                return "".join(texts)
            except httpx.HTTPError as exc:
                assert isinstance(transport_error(exc, "GET"), TLSCertificateError)
                return type(exc).__name__

    theirs, ours = both(make)
    assert ours == theirs == ("okokok" if trusted else "ConnectError")


def test_the_asyncio_client_reads_through_it_and_keeps_a_callers_transport(
    gradio_app: str,
) -> None:
    async def main() -> tuple[str, str, object, object]:
        async with AsyncClient(gradio_app, verbose=False) as ours:
            value = await ours.predict("hi", api_name="/echo")
            backend = ours._http._transport._pool._network_backend  # type: ignore[union-attr]
        transport = httpx.AsyncHTTPTransport()
        async with AsyncClient(
            gradio_app, verbose=False, httpx_kwargs={"transport": transport}
        ) as theirs:
            other = await theirs.predict("ho", api_name="/echo")
            kept = theirs._http._transport  # type: ignore[union-attr]
        return value, other, backend, kept is transport and not isinstance(
            transport._pool._network_backend, AsyncioBackend
        )

    value, other, backend, kept = asyncio.run(main())
    assert (value, other) == ("hi", "ho")
    assert isinstance(backend, AsyncioBackend)
    assert kept is True
