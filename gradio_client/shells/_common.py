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
"""

from __future__ import annotations

import datetime
import functools
import http.cookiejar
import os
import ssl
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Final, NamedTuple, Optional

import httpx

from .. import _files
from ..errors import httpx_twin
from ..protocol.actions import Action
from ..protocol.api import AppConfig, Endpoint, build_data, has_files, info_dict, render_api
from ..protocol.connect import Connection, HttpResponse, is_url, same_origin
from ..protocol.errors import (
    AuthenticationError,
    ConnectionLostError,
    FileError,
    GradioClientError,
    HTTPStatusError,
    LocalProtocolError,
    TransportError,
)
from ..protocol.machine import QueueMachine
from ..protocol.status import StatusUpdate, delivered


class ShellBase:
    """What both shells do the same way around their own ``feed`` and clock."""

    _machine: QueueMachine
    CertificateError,

    def _now(self) -> float:
        raise NotImplementedError

    def feed(self, method: Callable[..., list[Action]], *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

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
            job, actions = self._machine.submit(
                fn_index, data, now=self._now(), timeout=timeout, extra=extra
            )
            register(job)
            ids.append(job)
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


def download_start(
    conn: Connection, ref: dict[str, Any], folder: str
) -> tuple[str, dict[str, str], _files.DownloadSink]:
    """Where to fetch an output file, the headers to send, and the sink it goes into."""
    url = _files.download_url(ref, conn)
    headers = dict(conn.headers) if same_origin(url, conn.root) else {}
    return url, headers, _files.DownloadSink(folder, _files.safe_name(ref))


def download_status_error(response: httpx.Response) -> HTTPStatusError:
    """A download answered with something else than 200 (its body already read)."""
    return HTTPStatusError(
        f"Downloading an output file failed with HTTP {response.status_code}: "
    failure = _certificate_failure(exc)
    if failure is not None:  # issue 18: nothing was lost, the TLS check failed
        return TLSCertificateError(
            f"{what} could not verify the server's TLS certificate: {failure}. For a self-signed "
            "certificate or a private CA, give the client the CA certificate: "
            "httpx_kwargs={'verify': ssl.create_default_context(cafile='ca.pem')} (or set "
            "SSL_CERT_FILE); ssl_verify=False turns verification off (testing only)."
        )
        f"{response.text[:200]!r}",
        response.status_code,
        response.content,
    )


def upload_error(path: str, exc: BaseException) -> GradioClientError:
    """What an upload that failed with ``exc`` ends its job with."""
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError):
        return FileError(f"Cannot read {path!r} for upload: {exc.strerror or exc}.")
    return transport_error(exc, f"Uploading {path!r}")


def uploaded_path(path: str, response: httpx.Response) -> str:
    """The server path in a reply to ``POST /upload`` of ``path``; raises if there is none."""
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


    if response.status_code != 200:
        raise HTTPStatusError(
            f"Uploading {path!r} failed with HTTP {response.status_code}: {response.text[:200]!r}",
            response.status_code,
            response.content,
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

    The origin is known from the start for a URL; for a Space id it is the first host the
    connection flow asks that is not the Hub (``observe``), so the Hub's own
    ``Authorization`` during the look-up is left alone.  An http -> https upgrade of the
    app's own host (ports 80 -> 443) counts as the app, as httpx treats it.
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

    def observe(self, url: str) -> None:
        """A request of the connection flow is about to be sent to ``url``."""
        if self._origin is None:
            origin = origin_of(url)
            if origin != self._hub:
                self._bind(origin)

    def allows(self, url: httpx.URL) -> bool:
        """Whether credentials may go to ``url``."""
        if self._origin is None:  # still asking the Hub where the Space runs
            return True
        origin = (url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme))
        return origin == self._origin or origin == self._upgrade

    def on_request(self, request: httpx.Request) -> None:
        """httpx request hook (sync client)."""
        if not self.allows(request.url):
            headers = request.headers
            for name in self._names:
                if name in headers:
                    del headers[name]

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


# httpx arguments that make a client's TLS set-up its own (a shared context must not be
# changed by one client: httpx loads ``cert`` into the context it is given)
_OWN_TLS: Final = frozenset({"verify", "cert", "trust_env", "http2"})


def http_kwargs(
    httpx_kwargs: Mapping[str, Any] | None,
    ssl_verify: bool,
    guard: CredentialGuard,
    *,
    asynchronous: bool,
) -> dict[str, Any]:
    """Keyword arguments for the client's ``httpx.Client`` / ``httpx.AsyncClient``."""
    kwargs = dict(httpx_kwargs or {})
    kwargs.setdefault("timeout", httpx.Timeout(30.0, connect=10.0))
    kwargs.setdefault("follow_redirects", True)
    if not _OWN_TLS & kwargs.keys():
        kwargs["verify"] = ssl_context(ssl_verify)
    elif "verify" not in kwargs:
        kwargs["verify"] = ssl_verify
    hooks = {name: list(fns) for name, fns in (kwargs.pop("event_hooks", None) or {}).items()}
    hooks.setdefault("request", []).append(
        guard.on_request_async if asynchronous else guard.on_request
    )
    kwargs["event_hooks"] = hooks
    return kwargs


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
