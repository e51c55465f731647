"""The httpx client both clients build, and the bodies it reads (issue 12).

* ``http_kwargs``: the ``httpx.Client`` / ``httpx.AsyncClient`` arguments, with the
  credential guard's request hook, the body caps' response hook and the TLS context made
  once per process (``ssl_context``); the sync client's transport reports stalled reads
  (``_stall.py``).
* Body caps: every body httpx reads is decompressed here in bounded pieces and counted
  against a cap (``CappedStream``, ``BodyCaps``); ``document_cap``, ``stream_cap`` and
  ``download_cap`` name a request's cap.
* ``flow_request`` and ``flow_timeout``: a connect-flow step's httpx arguments and deadline;
  ``http_response``: an httpx reply as the core's ``HttpResponse``.
"""

from __future__ import annotations

import functools
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Final

import httpx

from .._lazy import import_httpcore
from .._tls import verifying_context
from ..protocol.connect import HttpRequest, HttpResponse, Limits, too_large
from ._guard import CredentialGuard


def http_response(response: httpx.Response) -> HttpResponse:
    return HttpResponse(
        status_code=response.status_code,
        content=response.content,
        headers=dict(response.headers),
    )


@functools.lru_cache(maxsize=None)
def ssl_context(verify: bool) -> ssl.SSLContext:
    """The TLS context of every client in this process (loading the CA bundle for each
    client took about 50 ms of a 80 ms ``Client()``)."""
    return verifying_context() if verify else httpx.create_ssl_context(verify=False)


MAX_REDIRECTS: Final = 5  # redirects followed per request (httpx_kwargs={"max_redirects": n})

# httpx arguments that make a client's TLS set-up its own (a shared context must not be
# changed by one client: httpx loads ``cert`` into the context it is given)
_OWN_TLS: Final = frozenset({"verify", "cert", "trust_env", "http2"})


def http_kwargs(
    httpx_kwargs: Mapping[str, Any] | None,
    ssl_verify: bool,
    guard: CredentialGuard,
    *,
    asynchronous: bool,
    limits: Limits | None = None,
) -> dict[str, Any]:
    """Keyword arguments for the client's ``httpx.Client`` / ``httpx.AsyncClient``.

    Installs the credential guard (a request hook) and the body caps of ``limits`` (a
    response hook, ``cap_bodies``): with these, every request the client makes keeps its
    credentials on the app's origin and every body it reads is bounded.
    """
    import_httpcore()  # before httpx builds a transport: trio and anyio on first use only
    kwargs = dict(httpx_kwargs or {})
    kwargs.setdefault("timeout", httpx.Timeout(30.0, connect=10.0))
    kwargs.setdefault("follow_redirects", True)
    # a redirect loop costs 1 + max_redirects requests per attempt (httpx's default: 20)
    kwargs.setdefault("max_redirects", MAX_REDIRECTS)
    if not _OWN_TLS & kwargs.keys():
        kwargs["verify"] = ssl_context(ssl_verify)
    elif "verify" not in kwargs:
        kwargs["verify"] = ssl_verify
    hooks = {name: list(fns) for name, fns in (kwargs.pop("event_hooks", None) or {}).items()}
    hooks.setdefault("request", []).append(
        guard.on_request_async if asynchronous else guard.on_request
    )
    caps = BodyCaps(limits or Limits())
    hooks.setdefault("response", []).insert(0, caps.on_response_async if asynchronous else caps.on_response)
    kwargs["event_hooks"] = hooks
    if not asynchronous:
        from ._stall import stall_transport

        transport = stall_transport(kwargs)
        if transport is not None:
            kwargs["transport"] = transport  # a stalled join lets the pool grow (_stall.py)
    return kwargs


# ---------------------------------------------------------------------- body caps

#: Request extension naming the cap of a request's reply body: ``(option, cap or None)``.
#: Without it a GET is taken for a download (``max_download_size``) and anything else for a
#: document (``max_response_size``).
BODY_CAP: Final = "gradio_client.body_cap"
_PIECE: Final = 64 * 1024  # decompressed bytes handed on at a time


def document_cap(limits: Limits) -> dict[str, Any]:
    """Extensions for a request whose reply is read whole (connect flow, joins, cancels)."""
    return {BODY_CAP: ("max_response_size", limits.max_response_size)}


def stream_cap() -> dict[str, Any]:
    """Extensions for an event stream: no total (the machine caps each event)."""
    return {BODY_CAP: ("max_message_size", None)}


def download_cap(limits: Limits) -> dict[str, Any]:
    return {BODY_CAP: ("max_download_size", limits.max_download_size)}


class _Inflate:
    """gzip or deflate, decompressed in pieces of at most ``_PIECE`` bytes."""

    __slots__ = ("_gzip", "_obj", "_first", "_done")

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS)
        self._first = not gzip  # deflate: zlib-wrapped, or raw (as httpx accepts both)
        self._done = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data and not self._done:
            try:
                out = self._obj.decompress(data, _PIECE)
            except zlib.error as exc:
                if self._first:
                    self._first = False
                    self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise httpx.DecodingError(f"Invalid {'gzip' if self._gzip else 'deflate'} body: {exc}") from None
            self._first = False
            if out:
                yield out
            if self._obj.eof:
                data = self._obj.unused_data
                if self._gzip and data.lstrip(b"\0"):  # another gzip member follows
                    self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    data = data.lstrip(b"\0")
                    continue
                self._done = True
                return
            data = self._obj.unconsumed_tail
            while not data and len(out) == _PIECE:  # output may be pending
                out = self._obj.decompress(b"", _PIECE)
                if out:
                    yield out

    def flush(self) -> Iterator[bytes]:
        if not self._done:
            out = self._obj.flush()
            if out:
                yield out


def _decoders(encoding: str) -> list[_Inflate] | None:
    """Decoders for a ``content-encoding``, in the order to run them; None: not ours."""
    decoders: list[_Inflate] = []
    for name in reversed([e.strip().lower() for e in encoding.split(",") if e.strip()]):
        if name in ("gzip", "x-gzip"):
            decoders.append(_Inflate(True))
        elif name == "deflate":
            decoders.append(_Inflate(False))
        elif name != "identity":
            return None
    return decoders


class _Counter:
    """Decodes and counts one body; raises past the cap, or past ``deadline`` (a reply read
    whole that drips: each byte would restart httpx's per-read timeout)."""

    __slots__ = ("_decoders", "_option", "_cap", "_size", "_what", "_deadline", "_budget")

    def __init__(
        self,
        decoders: list[_Inflate],
        option: str,
        cap: int | None,
        what: str | httpx.Request,
        budget: float | None = None,
    ) -> None:
        self._decoders = decoders
        self._option = option
        self._cap = cap
        self._size = 0
        self._what = what  # the request: described only for an error (a URL parse costs)
        self._budget = budget
        self._deadline = None if budget is None else time.monotonic() + budget

    @property
    def what(self) -> str:
        what = self._what
        if isinstance(what, httpx.Request):
            return f"The reply to {what.method} {what.url.copy_with(query=None)}"
        return what

    @property
    def plain(self) -> bool:
        """No decoding: pieces are the chunks as they came (``check`` each one)."""
        return not self._decoders

    @property
    def unbounded(self) -> bool:
        """Neither a cap nor a deadline: counting would change nothing (an event stream)."""
        return self._cap is None and self._deadline is None

    def check(self, chunk: bytes) -> bytes:
        """Count a chunk of a plain body (the deadline and the cap)."""
        if self._deadline is not None and time.monotonic() > self._deadline:
            self._late()
        return self._count(chunk)

    def _late(self) -> None:
        raise httpx.ReadTimeout(
            f"{self.what} took longer than {self._budget:g} s (the read timeout) to "
            "arrive whole."
        )

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        if self._deadline is not None and time.monotonic() > self._deadline:
            self._late()
        for piece in self._through(chunk, 0):
            yield self._count(piece)

    def finish(self) -> Iterator[bytes]:
        for i, decoder in enumerate(self._decoders):
            for out in decoder.flush():
                for piece in self._through(out, i + 1):
                    yield self._count(piece)

    def _through(self, data: bytes, i: int) -> Iterator[bytes]:
        if i == len(self._decoders):
            if data:
                yield data
            return
        for out in self._decoders[i].feed(data):
            yield from self._through(out, i + 1)

    def _count(self, piece: bytes) -> bytes:
        self._size += len(piece)
        if self._cap is not None and self._size > self._cap:
            raise too_large(self.what, self._option, self._cap, self._size)
        return piece


class CappedStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body decompressed here in bounded pieces and counted against a cap.

    It replaces the response's stream (and its ``content-encoding`` header, so httpx does
    not decode again): whoever reads the body (``read()``, ``iter_bytes()``) gets at most
    64 KiB of decompressed bytes per piece, and ``ResponseTooLargeError`` past the cap.
    """

    def __init__(self, raw: Any, counter: _Counter) -> None:
        self._raw = raw
        self._counter = counter
        self._reading: _AsyncPieces | None = None

    def __iter__(self) -> Iterator[bytes]:
        counter = self._counter
        if counter.plain and counter.unbounded:  # an event stream: the machine caps events
            for chunk in self._raw:
                if chunk:
                    yield chunk
            return
        if counter.plain:  # the usual case, without a generator per chunk
            check = counter.check
            for chunk in self._raw:
                if chunk:
                    yield check(chunk)
            return
        for chunk in self._raw:
            yield from counter.feed(chunk)
        yield from counter.finish()

    def __aiter__(self) -> AsyncIterator[bytes]:
        # an iterator object, not an async generator: a half-read body leaves nothing for
        # the event loop's async-generator finalizer (trio asserts on leftovers at exit)
        self._reading = _AsyncPieces(self._raw.__aiter__(), self._counter)
        return self._reading

    def close(self) -> None:
        self._raw.close()

    async def aclose(self) -> None:
        reading, self._reading = self._reading, None
        try:
            if reading is not None:
                await reading.aclose()
        finally:
            await self._raw.aclose()


class _AsyncPieces:
    """The async side of ``CappedStream``: raw chunks in, bounded decoded pieces out."""

    __slots__ = ("_raw", "_counter", "_pending", "_finished")

    def __init__(self, raw: Any, counter: _Counter) -> None:
        self._raw = raw
        self._counter = counter
        self._pending: Iterator[bytes] = iter(())
        self._finished = False

    def __aiter__(self) -> _AsyncPieces:
        return self

    async def __anext__(self) -> bytes:
        while True:
            piece = next(self._pending, None)
            if piece is not None:
                return piece
            if self._finished:
                raise StopAsyncIteration
            try:
                chunk = await self._raw.__anext__()
            except StopAsyncIteration:
                self._finished = True
                self._pending = self._counter.finish()
                continue
            if self._counter.plain:
                if chunk:
                    return self._counter.check(chunk)
                continue
            self._pending = self._counter.feed(chunk)

    async def aclose(self) -> None:
        self._finished = True
        close = getattr(self._raw, "aclose", None)
        if close is not None:
            await close()


class BodyCaps:
    """The response hook that puts every body behind a ``CappedStream``."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def cap_of(self, request: httpx.Request) -> tuple[str, int | None]:
        cap = request.extensions.get(BODY_CAP)
        if isinstance(cap, tuple):
            return cap[0], cap[1]
        if request.method == "GET":
            return "max_download_size", self.limits.max_download_size
        return "max_response_size", self.limits.max_response_size

    def on_response(self, response: httpx.Response) -> None:
        if hasattr(response, "_content"):  # already in memory (a test transport's reply)
            return
        request = response.request
        option, cap = self.cap_of(request)
        encoding = response.headers.get("content-encoding", "")
        decoders = _decoders(encoding)
        if decoders is None:
            decoders = []  # an encoding we did not ask for: passed on as it came
        if "content-encoding" in response.headers:
            del response.headers["content-encoding"]
        budget = None
        if option == "max_response_size":  # read whole: it must arrive within the read timeout
            read = (request.extensions.get("timeout") or {}).get("read")
            budget = float(read) if isinstance(read, (int, float)) else None
        response.stream = CappedStream(
            response.stream, _Counter(decoders, option, cap, request, budget)
        )

    async def on_response_async(self, response: httpx.Response) -> None:
        self.on_response(response)


# ---------------------------------------------------------------------- connect flow


def flow_request(step: HttpRequest, limits: Limits) -> dict[str, Any]:
    """httpx ``request``/``stream`` keyword arguments for a connect-flow step."""
    return {
        "method": step.method,
        "url": step.url,
        "headers": dict(step.headers),
        "data": step.form,
        "follow_redirects": step.follow_redirects,
        "extensions": document_cap(limits),
    }


def flow_timeout(default: httpx.Timeout, remaining: float | None) -> httpx.Timeout:
    """httpx's per-operation timeouts, none longer than what is left of a deadline."""
    if remaining is None:
        return default

    def clip(value: float | None) -> float:
        return max(0.001, remaining if value is None else min(value, remaining))

    return httpx.Timeout(
        connect=clip(default.connect), read=clip(default.read),
        write=clip(default.write), pool=clip(default.pool),
    )
