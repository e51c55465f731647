"""``CredentialGuard``: the app's credentials (token, headers, cookies) go to the app's
origin only, redirects and the cookie jar included (issue 12)."""

from __future__ import annotations

import http.cookiejar
from collections.abc import Mapping
from typing import Any, Final, Optional

import httpx

from ..protocol.connect import HttpRequest, is_url
from ..protocol.errors import UnsafeRedirectError

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


def guard_cookies(http: httpx.Client | httpx.AsyncClient, guard: CredentialGuard) -> None:
    """Make the client's cookie jar keep the app's cookies only."""
    http.cookies.jar.set_policy(guard.cookie_policy())
