"""What both shells share and which does no protocol work of its own.

* ``prepare``: endpoint resolution and the wire ``data`` of a call (pure, plus a check that
  named local files exist).
* ``ClientBase``: the read-only surface of a connected client (``view_api``, endpoints).
* ``transport_error``: httpx exceptions mapped onto our typed errors.
* ``stamp``: the wall-clock time put on each status as it is delivered.
* ``client_options``: the constructor arguments both clients take, checked and resolved.
* ``CredentialGuard`` and ``http_kwargs``: the httpx client both clients build, with the
  app's credentials kept to the app's origin and the TLS context made once per process.
* ``uploaded_path`` and ``ws_rejected``: replies to an upload and a refused websocket.
* Body caps and redirects (issue 12), for any shell (see ``http_kwargs``): every body
  httpx reads is decompressed here in bounded pieces and counted against a cap
  (``CappedStream``); a request whose body may hold credentials is never sent to another
  origin, redirects included (``CredentialGuard.on_request``); ``flow_request`` and
  ``flow_timeout`` give a connect-flow step its httpx arguments and deadline.
"""

from __future__ import annotations

import datetime
import functools
import http.cookiejar
import os
import ssl
import time
import warnings
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any, Final, NamedTuple, Optional

import httpx

from .. import _files
from ..errors import httpx_status_twin, httpx_twin
from ..protocol.actions import Action
from ..protocol.api import AppConfig, Endpoint, build_data, has_files, info_dict, render_api
from ..protocol.connect import (
    Connection,
    HttpRequest,
    HttpResponse,
    Limits,
    is_url,
    same_origin,
    too_large,
)
from ..protocol.errors import (
    AuthenticationError,
    CertificateError,
    ConnectionLostError,
    FileError,
    GradioClientError,
    HTTPStatusError,
    LocalProtocolError,
    TransportError,
    UnsafeRedirectError,
)
from ..protocol.machine import QueueMachine
from ..protocol.status import StatusUpdate, delivered


class ShellBase:
    """What both shells do the same way around their own ``feed`` and clock."""

    _machine: QueueMachine

    def _now(self) -> float:
        raise NotImplementedError

    def feed(self, method: Callable[..., list[Action]], *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    @property
    def job_deadlines(self) -> dict[int, float]:
        """``job_timeout`` deadlines by job id (shell clock), so that a blocking request of
        a job can be bounded by it; an entry is dropped when its job ends."""
        deadlines: dict[int, float] | None = self.__dict__.get("_job_deadlines")
        if deadlines is None:
            deadlines = self.__dict__["_job_deadlines"] = {}
        return deadlines

    def submit(
        self,
        register: Callable[[int], None],
        fn_index: int,
        data: list[Any],
        *,
        timeout: float | None = None,
        extra: dict[str, Any] | None = None,
    ) -> int:
        """Submit a job; ``register(job_id)`` runs before any of its actions is performed."""
        ids: list[int] = []

        def call() -> list[Action]:
            now = self._now()
            job, actions = self._machine.submit(
                fn_index, data, now=now, timeout=timeout, extra=extra
            )
            register(job)
            ids.append(job)
            if timeout is not None:
                self.job_deadlines[job] = now + timeout
            return actions

        self.feed(call)
        return ids[0]


class Prepared(NamedTuple):
    endpoint: Endpoint
    data: list[Any]
    uploads: list[str]  # local paths to upload first


def prepare(
    conn: Connection,
    api_name: str | None,
    fn_index: int | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Prepared:
    endpoint = conn.config.endpoint(api_name=api_name, fn_index=fn_index)
    data = _files.wrap_plain_paths(endpoint, build_data(endpoint, args, kwargs))
    uploads = _files.local_uploads(data, conn.config.protocol)
    for path in uploads:
        _files.check_upload(path, conn.config.max_file_size)
    return Prepared(endpoint, data, uploads)


def stamp(update: StatusUpdate) -> StatusUpdate:
    return delivered(update, datetime.datetime.now())


def http_response(response: httpx.Response) -> HttpResponse:
    return HttpResponse(
        status_code=response.status_code,
        content=response.content,
        headers=dict(response.headers),
    )


def transport_error(exc: BaseException, what: str) -> GradioClientError:
    """An httpx (or socket) failure as one of our errors, saying what was being done."""
    if isinstance(exc, GradioClientError):
        return exc
    failure = _certificate_failure(exc)
    if failure is not None:  # issue 18: nothing was lost, the TLS check failed
        return TLSCertificateError(
            f"{what} could not verify the server's TLS certificate: {failure}. For a self-signed "
            "certificate or a private CA, give the client the CA certificate: "
            "httpx_kwargs={'verify': ssl.create_default_context(cafile='ca.pem')} (or set "
            "SSL_CERT_FILE); ssl_verify=False turns verification off (testing only)."
        )
    if isinstance(exc, httpx.HTTPError):  # ours, and an instance of exc's httpx class too
        if isinstance(exc, httpx.TimeoutException):
            doing = f"{what} timed out ({type(exc).__name__})."
        elif isinstance(exc, httpx.RemoteProtocolError):
            doing = f"{what} broke off."
        elif isinstance(exc, httpx.ConnectError):
            doing = f"{what} could not connect."
        else:
            doing = f"{what} failed ({type(exc).__name__})."
        return httpx_twin(exc, doing)
    if isinstance(exc, (ConnectionError, OSError)):
        return ConnectionLostError(f"{what} could not connect: {exc}.")
    return TransportError(f"{what} failed: {type(exc).__name__}: {exc}.")


class TLSCertificateError(CertificateError, httpx.ConnectError):
    """A certificate that failed verification: our ``CertificateError`` and, as httpx
    raised it, an ``httpx.ConnectError`` (``except httpx.ConnectError`` keeps working)."""

    def __init__(self, message: str) -> None:
        CertificateError.__init__(self, message)
        self._request: httpx.Request | None = None  # httpx's .request raises RuntimeError


def _certificate_failure(exc: BaseException) -> str | None:
    """What failed, when ``exc`` (or what it wraps) is a failed TLS certificate check."""
    seen = 0
    cause: BaseException | None = exc
    while cause is not None and seen < 8:
        if isinstance(cause, ssl.SSLCertVerificationError) or (
            "CERTIFICATE_VERIFY_FAILED" in str(cause)
        ):
            return str(cause) or type(cause).__name__
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    return None


def download_start(
    conn: Connection, ref: dict[str, Any], folder: str
) -> tuple[str, dict[str, str], _files.DownloadSink]:
    """Where to fetch an output file, the headers to send, and the sink it goes into."""
    url = _files.download_url(ref, conn)
    headers = dict(conn.headers) if same_origin(url, conn.root) else {}
    return url, headers, _files.DownloadSink(folder, _files.safe_name(ref))


def download_status_error(response: httpx.Response) -> HTTPStatusError:
    """A download answered with something else than 200 (its body already read)."""
    return httpx_status_twin(  # also an httpx.HTTPStatusError, as the official client's
        response,
        f"Downloading an output file failed with HTTP {response.status_code}: "
        f"{response.text[:200]!r}",
    )


def upload_error(path: str, exc: BaseException) -> GradioClientError:
    """What an upload that failed with ``exc`` ends its job with."""
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError):
        return FileError(f"Cannot read {path!r} for upload: {exc.strerror or exc}.")
    return transport_error(exc, f"Uploading {path!r}")


def uploaded_path(path: str, response: httpx.Response) -> str:
    """The server path in a reply to ``POST /upload`` of ``path``; raises if there is none."""
    if response.status_code != 200:  # also an httpx.HTTPStatusError, as the official client's
        raise httpx_status_twin(
            response,
            f"Uploading {path!r} failed with HTTP {response.status_code}: {response.text[:200]!r}",
        )
    try:
        paths = response.json()
    except ValueError:
        paths = None
    if not (isinstance(paths, list) and paths and isinstance(paths[0], str)):
        raise HTTPStatusError(
            f"Uploading {path!r}: unexpected reply {response.text[:200]!r}",
            response.status_code,
            response.content,
        )
    return paths[0]


def ws_rejected(status: int, body: bytes | None) -> GradioClientError:
    """A refused websocket handshake (Gradio 3.x) as one of our errors."""
    if status in (401, 403):
        return AuthenticationError(
            f"The server refused the websocket (HTTP {status}): log in first."
        )
    return HTTPStatusError(
        f"The websocket handshake failed with HTTP {status}.", status, body or b""
    )


# ---------------------------------------------------------------------- construction


class Options(NamedTuple):
    src: str
    token: str | None
    download_dir: str | None  # None: downloads are off
    oauth_token: str | None


_KNOWN_IGNORED: Final = frozenset({"analytics_enabled", "_skip_components", "oauth_token"})


def client_options(
    what: str,
    src: str | None,
    token: str | None,
    download_files: str | os.PathLike[str] | bool,
    hf_token: str | None,
    space: str | None,
    ignored: Mapping[str, Any],
) -> Options:
    """Check and resolve the constructor arguments ``Client`` and ``AsyncClient`` share.

    ``what`` names the class in messages.  Warnings point at the caller's constructor call.
    """
    if hf_token is not None:
        warnings.warn("hf_token is deprecated; use token", DeprecationWarning, stacklevel=3)
        token = token or hf_token
    if space is not None:
        warnings.warn(
            "space is deprecated; pass the Space id as src", DeprecationWarning, stacklevel=3
        )
        src = src or space
    if src is None:
        raise LocalProtocolError(f"{what} needs src: an app URL or a Space id (owner/name).")
    unknown = set(ignored) - _KNOWN_IGNORED
    if unknown:
        raise TypeError(f"{what}() got unexpected keyword arguments: {sorted(unknown)}")
    if download_files is True:
        download_files = _files.DEFAULT_TEMP_DIR
    download_dir: str | None = None
    if download_files is not False:
        folder = os.fspath(download_files)
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise ValueError(f"download_files must be a directory: {folder!r}")
        download_dir = os.path.abspath(folder)
    if token is None and not is_url(src):
        token = saved_token()
    return Options(src, token, download_dir, ignored.get("oauth_token"))


def saved_token() -> str | None:
    """The user's Hugging Face token, found where huggingface_hub looks: ``$HF_TOKEN``, then
    the file ``huggingface-cli login`` writes (``$HF_TOKEN_PATH``, else ``$HF_HOME/token``,
    else ``~/.cache/huggingface/token``).  Used for Space ids only: a URL gets a token only
    when one is passed."""
    token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")
    if token:
        return token.strip()
    path = os.environ.get("HF_TOKEN_PATH")
    if not path:
        home = os.environ.get("HF_HOME") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface"
        )
        path = os.path.join(home, "token")
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().strip() or None
    except OSError:
        return None


_DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_BODYLESS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
Origin = tuple[str, str, Optional[int]]


def origin_of(url: httpx.URL | str) -> Origin:
    """``(scheme, host, port)`` of a URL, the default port filled in."""
    u = url if isinstance(url, httpx.URL) else httpx.URL(url)
    return (u.scheme, u.host, u.port or _DEFAULT_PORTS.get(u.scheme))


class CredentialGuard:
    """Keeps the app's credentials with the app: its origin (scheme, host, port) only.

    The credentials are the token header, every header the caller passed to the
    constructor, ``Authorization`` (httpx auth too) and cookies.  httpx would send them
    elsewhere in two ways: following a redirect off the app (it strips only
    ``Authorization``) and from its cookie jar, which ignores ports (cookies of
    ``127.0.0.1:<app>`` go to ``127.0.0.1:<any port>``).  So every request httpx sends,
    redirects included, passes ``on_request``, which drops them when it leaves the app's
    origin; and the jar stores cookies set by the app's origin only (``cookie_policy``),
    so what websockets send from the jar is the app's too.

    The origin is known from the start for a URL; for a Space id it is the host of the
    first request the connect flow makes to the app (``observe`` of a step with
    ``app=True``), whatever it is: the Hub's own origin too.  Until then only the Hub may
    get credentials (its ``Authorization`` during the look-up).  An http -> https upgrade
    of the app's own host (ports 80 -> 443) counts as the app, as httpx treats it.

    A request with a body (any method but GET, HEAD, OPTIONS) to another origin is refused
    with ``UnsafeRedirectError``: the client itself only ever sends bodies to the app, so
    such a request is a redirect httpx is following (a 307/308 re-sends the body: a login
    form, a join carrying an OAuth token).
    """

    __slots__ = ("_origin", "_upgrade", "_hub", "_names")

    _ALWAYS: Final = frozenset({"authorization", "x-hf-authorization", "cookie"})

    def __init__(self, src: str, headers: Mapping[str, str] | None, hub: str) -> None:
        self._names = tuple(self._ALWAYS | {name.lower() for name in headers or ()})
        self._hub = origin_of(hub)
        self._origin: Origin | None = None
        self._upgrade: Origin | None = None
        if is_url(src):
            self._bind(origin_of(src))

    def _bind(self, origin: Origin) -> None:
        self._origin = origin
        scheme, host, port = origin
        self._upgrade = ("https", host, 443) if (scheme, port) == ("http", 80) else None

    def observe(self, step: HttpRequest | str) -> None:
        """A request of the connect flow is about to be sent.

        Given the flow's ``HttpRequest``, the guard binds at its first step to the app.
        Given only a URL (older drivers), at the first URL that is not the Hub's."""
        if self._origin is not None:
            return
        if isinstance(step, HttpRequest):
            if step.app:
                self._bind(origin_of(step.url))
        else:
            origin = origin_of(step)
            if origin != self._hub:
                self._bind(origin)

    @property
    def origin(self) -> Origin | None:
        """The app's origin, once known."""
        return self._origin

    def allows(self, url: httpx.URL) -> bool:
        """Whether credentials may go to ``url``."""
        origin = (url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme))
        if self._origin is None:  # still asking the Hub where the Space runs
            return origin == self._hub
        return origin == self._origin or origin == self._upgrade

    def on_request(self, request: httpx.Request) -> None:
        """httpx request hook (sync client)."""
        if not self.allows(request.url):
            if request.method not in _BODYLESS:
                raise UnsafeRedirectError(
                    f"The server redirected a {request.method} to another origin "
                    f"({request.url.scheme}://{request.url.netloc.decode('ascii', 'replace')}); "
                    "not followed: its body may hold credentials."
                )
            headers = request.headers
            for name in self._names:
                if name in headers:
                    del headers[name]
        if "accept-encoding" not in request.headers or request.headers["accept-encoding"] != "identity":
            # only what CappedStream decodes in bounded pieces
            request.headers["accept-encoding"] = "gzip, deflate"

    async def on_request_async(self, request: httpx.Request) -> None:
        """httpx request hook (async client)."""
        self.on_request(request)

    def cookie_policy(self) -> http.cookiejar.CookiePolicy:
        return _AppCookiePolicy(self)


class _AppCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """Accept cookies only from the app's origin (see ``CredentialGuard``)."""

    def __init__(self, guard: CredentialGuard) -> None:
        super().__init__()
        self._guard = guard

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        sent = getattr(request, "request", None)  # httpx wraps its Request for the jar
        url = sent.url if isinstance(sent, httpx.Request) else httpx.URL(request.get_full_url())
        return self._guard.allows(url) and super().set_ok(cookie, request)


@functools.lru_cache(maxsize=None)
def ssl_context(verify: bool) -> ssl.SSLContext:
    """The TLS context of every client in this process (loading the CA bundle for each
    client took about 50 ms of a 80 ms ``Client()``)."""
    return httpx.create_ssl_context(verify=verify)


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
        what: str,
        budget: float | None = None,
    ) -> None:
        self._decoders = decoders
        self._option = option
        self._cap = cap
        self._size = 0
        self._what = what
        self._budget = budget
        self._deadline = None if budget is None else time.monotonic() + budget

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise httpx.ReadTimeout(
                f"{self._what} took longer than {self._budget:g} s (the read timeout) to "
                "arrive whole."
            )
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
            raise too_large(self._what, self._option, self._cap, self._size)
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
        for chunk in self._raw:
            yield from self._counter.feed(chunk)
        yield from self._counter.finish()

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
        what = f"The reply to {request.method} {request.url.copy_with(query=None)}"
        budget = None
        if option == "max_response_size":  # read whole: it must arrive within the read timeout
            read = (request.extensions.get("timeout") or {}).get("read")
            budget = float(read) if isinstance(read, (int, float)) else None
        response.stream = CappedStream(
            response.stream, _Counter(decoders, option, cap, what, budget)
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


def guard_cookies(http: httpx.Client | httpx.AsyncClient, guard: CredentialGuard) -> None:
    """Make the client's cookie jar keep the app's cookies only."""
    http.cookies.jar.set_policy(guard.cookie_policy())


class ClientBase:
    """The read-only surface shared by ``Client`` and ``AsyncClient``."""

    _conn: Connection
    _download_dir: str | None

    def _needs_io(self, data: list[Any]) -> bool:
        """Whether an output has files to download (a walk that stops at the first)."""
        return self._download_dir is not None and has_files(data, self._conn.config.protocol)

    @property
    def src(self) -> str:
        return self._conn.root + "/"

    @property
    def space_id(self) -> str | None:
        return self._conn.space_id

    @property
    def app_config(self) -> AppConfig:
        return self._conn.config

    @property
    def protocol(self) -> str:
        return self._conn.config.protocol

    @property
    def endpoints(self) -> dict[int, Endpoint]:
        return dict(self._conn.config.endpoints)

    def view_api(
        self,
        all_endpoints: bool | None = None,
        print_info: bool = True,
        return_format: str | None = None,
    ) -> dict[str, Any] | str | None:
        """Show every endpoint's parameters and return values.

        ``return_format="dict"`` returns the API as a dict, ``"str"`` the text; by default
        the text is printed and nothing is returned.
        """
        if return_format not in (None, "dict", "str"):
            raise ValueError("return_format must be None, 'dict' or 'str'")
        text = render_api(self._conn.config, self._conn.info, all_endpoints)
        if print_info:
            print(text)
        if return_format == "dict":
            return info_dict(self._conn.info)
        if return_format == "str":
            return text
        return None

    def __repr__(self) -> str:
        return render_api(self._conn.config, self._conn.info, None)

    def __str__(self) -> str:
        return self.__repr__()
