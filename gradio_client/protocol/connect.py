"""Connecting to an app, as a pure request/response flow that any shell can drive.

``connect_flow`` is a generator (the httpx "auth flow" idea): it yields ``HttpRequest`` or
``Sleep`` steps and is sent back an ``HttpResponse`` (or None after a sleep); its return
value is a ``Connection``.  The sync shell drives it with httpx.Client, the trio shell with
httpx.AsyncClient, an embedder with anything.  Steps, in order:

1. ``src`` that is not a URL is a Hugging Face Space id: ``GET {hub}/api/spaces/{id}``
   (with the token).  401/404 mean unknown or private; a building Space is polled every
   2 s (``GET .../runtime``) up to ``space_wait`` seconds; a broken, paused or sleeping Space
   is a ``SpaceError`` saying what to do.  The Space's ``host`` becomes the root URL.
2. ``auth=(user, password)``: ``POST {root}/login`` (form).  Cookies come back in the
   shell's cookie jar; a refusal (400 or 401) is an ``AuthenticationError``.  The login is
   sent with ``follow_redirects=False``: a redirect would make httpx send the form (the
   password) again, maybe to another origin, so any 3xx is a failed login
   (``AuthenticationError`` naming where it pointed).
3. ``GET {root}/config`` (never under the API prefix).  401 is an ``AuthenticationError``,
   429 a ``TooManyRequestsError``.  Other failures fall back to the HTML page's embedded
   ``window.gradio_config`` (very old apps); a page without one is not a Gradio app.
4. ``GET {root}{prefix}/info?all_endpoints=True`` for parameter names, types and defaults.
   When it fails (old servers have no such route) the API is derived from the config.

Every request step says whether it goes to the app (``app=True``) or to the Hub: a shell's
credential guard binds to the app's origin at the first app step, whatever its host (the
Hub's own origin included).  ``Limits`` holds the client's caps and the connect deadline;
``ConnectDeadline`` turns them into a deadline per step (pure: the shell passes its clock).
"""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping
from typing import Any, Final, Union
from urllib.parse import quote, urlsplit

import msgspec

from .app.tolerant import LOGGER
from .api import (
    ApiInfo,
    AppConfig,
    info_from_config,
    merge_public_info,
    needs_public_info,
    parse_config,
    parse_info,
    version_tuple,
    with_info,
)
from .errors import (
    AuthenticationError,
    ConfigError,
    ConnectTimeoutError,
    GradioClientError,
    ResponseTooLargeError,
    HTTPStatusError,
    LocalProtocolError,
    RemoteProtocolError,
    SpaceError,
    TooManyRequestsError,
)
from .queue.wire import EVENT_ACK_TIMEOUT, MachineConfig, Wire


class HttpRequest(msgspec.Struct, frozen=True, kw_only=True):
    method: str
    url: str
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)
    form: Mapping[str, str] | None = None
    app: bool = True  # to the app (False: to the Hub, resolving a Space id)
    follow_redirects: bool = True  # False: a 3xx comes back to the flow as it is


class HttpResponse(msgspec.Struct, frozen=True, kw_only=True):
    status_code: int
    content: bytes
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)


class Sleep(msgspec.Struct, frozen=True):
    seconds: float


Step = Union[HttpRequest, Sleep]


class Connection(msgspec.Struct, frozen=True, kw_only=True):
    """What the client knows once connected."""

    root: str  # "http://host:port" or "https://owner-name.hf.space", no trailing slash
    config: AppConfig
    info: ApiInfo
    space_id: str | None = None
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)  # for app requests

    @property
    def api_root(self) -> str:
        """The root plus the API prefix: where queue, upload and file routes live."""
        return self.root + self.config.api_prefix.rstrip("/")


MiB: Final = 1024 * 1024


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """The client's caps on what a server can make it read, wait for, or write.

    Every size is counted after decompression.  ``None`` means no cap.  The
    ``Client``/``AsyncClient`` keywords of the same names set them.
    """

    #: one HTTP reply body read whole: ``/config``, ``/info``, login, the Hub's answers,
    #: join / data / cancel replies, upload replies (``ResponseTooLargeError``)
    max_response_size: int | None = 64 * MiB
    #: one server-sent event (one line of it too) or one websocket message
    #: (``MessageTooLargeError``); the event stream as a whole has no cap
    max_message_size: int | None = 64 * MiB
    #: one downloaded output file, on disk (``ResponseTooLargeError``)
    max_download_size: int | None = 1024 * MiB
    #: the whole connect flow (login, ``/config``, ``/info``), in seconds
    #: (``ConnectTimeoutError``); each request to the Hub gets as long again, and waiting
    #: for a building Space has its own budget (``space_wait``, 300 s)
    connect_timeout: float | None = 30.0

    def __post_init__(self) -> None:
        for name in ("max_response_size", "max_message_size", "max_download_size"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive number of bytes or None, got {value!r}")
        timeout = self.connect_timeout
        if timeout is not None and not timeout > 0:
            raise ValueError(f"connect_timeout must be a positive number of seconds or None, got {timeout!r}")

    @property
    def event_size(self) -> int:
        """``max_message_size`` as the machine's ``max_event_size`` (which needs a number)."""
        return self.max_message_size if self.max_message_size is not None else 2**62


DEFAULT_LIMITS: Final = Limits()


def too_large(what: str, option: str, limit: int, size: int) -> ResponseTooLargeError:
    """The error for a body past a cap: what it was, the cap, and how to raise it."""
    return ResponseTooLargeError(
        f"{what} grew past {option}={limit} bytes ({size} bytes read, counted after "
        f"decompression).  If the server is trusted, raise the cap: "
        f"Client(..., {option}={max(limit * 4, size + 1)}), or {option}=None for no cap.",
        option,
        limit,
        size,
    )


class ConnectDeadline:
    """When each request of the connect flow must be done by (pure: pass the clock in).

    Requests to the app share one deadline, ``limits.connect_timeout`` after the first of
    them; a request to the Hub gets ``connect_timeout`` of its own (the waits between the
    Hub's polls of a building Space are ``space_wait``'s, not this).
    """

    __slots__ = ("_timeout", "_app_deadline")

    def __init__(self, limits: Limits) -> None:
        self._timeout = limits.connect_timeout
        self._app_deadline: float | None = None

    def for_step(self, step: HttpRequest, now: float) -> float | None:
        """The deadline of ``step``, in the clock of ``now`` (None: none)."""
        if self._timeout is None:
            return None
        if not step.app:
            return now + self._timeout
        if self._app_deadline is None:
            self._app_deadline = now + self._timeout
        return self._app_deadline

    def error(self, step: HttpRequest) -> ConnectTimeoutError:
        where = "Connecting to the app" if step.app else "Asking the Hub where the Space runs"
        return ConnectTimeoutError(
            f"{where} did not finish within connect_timeout={self._timeout:g} s "
            f"({step.method} {step.url} was still going).  Pass connect_timeout=... "
            "(seconds, or None for no deadline) to wait longer."
        )


DEFAULT_HUB: Final = "https://huggingface.co"
BUILDING_STAGES: Final = frozenset({"BUILDING", "APP_STARTING", "RUNNING_BUILDING", "RUNNING_APP_STARTING"})
BROKEN_STAGES: Final = {
    "NO_APP_FILE": "has no app file",
    "CONFIG_ERROR": "has a configuration error",
    "BUILD_ERROR": "failed to build",
    "RUNTIME_ERROR": "crashed (runtime error)",
    "PAUSED": "is paused by its owner",
    "SLEEPING": "is sleeping; open it in a browser to wake it, then try again",
    "STOPPED": "is stopped; open it in a browser to restart it, then try again",
    "DELETING": "is being deleted",
}
_SPACE_ID: Final = re.compile(r"^[\w.\-]+/[\w.\-]+$")
_EMBEDDED_CONFIG: Final = re.compile(rb"window\.gradio_config\s*=\s*(\{.*?\});?\s*</script>", re.S)


def is_url(src: str) -> bool:
    return src.startswith(("http://", "https://"))


def connect_flow(
    src: str,
    *,
    token: str | None = None,
    auth: tuple[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    hub: str = DEFAULT_HUB,
    space_wait: float = 300.0,
) -> Generator[Step, HttpResponse | None, Connection]:
    """Resolve ``src``, log in, and read the app's config and API (see the module doc)."""
    app_headers: dict[str, str] = {}
    if token:
        app_headers["x-hf-authorization"] = f"Bearer {token}"
    app_headers.update(headers or {})
    space_id: str | None = None
    if is_url(src):
        root = src.rstrip("/")
    elif _SPACE_ID.match(src):
        space_id = src
        root = yield from _resolve_space(src, token, hub.rstrip("/"), space_wait)
    else:
        raise SpaceError(
            f"{src!r} is neither a URL (http://... or https://...) nor a Space id (owner/name).",
            space_id=src,
        )
    if auth is not None:
        response = yield HttpRequest(
            method="POST",
            url=f"{root}/login",
            headers=app_headers,
            form={"username": auth[0], "password": auth[1]},
            follow_redirects=False,  # a redirect would send the password again
        )
        response = _answered(response, "POST /login")
        if 300 <= response.status_code < 400:
            location = _header(response, "location") or "nowhere"
            raise AuthenticationError(
                f"Could not log in to {root}: the login was answered with a redirect "
                f"(HTTP {response.status_code} to {location[:200]!r}), not with a session.  "
                "It was not followed, so the password went nowhere else.  A Gradio app "
                "launched with auth=... answers 200; an app without a login redirects "
                "(then drop auth=)."
            )
        if response.status_code in (400, 401, 403):
            raise AuthenticationError(
                f"Could not login to {root}/. The username or password is wrong."
            )
        if not 200 <= response.status_code < 400:
            raise _status_error("login", response)
    config = yield from _fetch_config(root, app_headers)
    info = yield from _fetch_info(root, config, app_headers)
    config = with_info(config, info)
    return Connection(root=root, config=config, info=info, space_id=space_id, headers=app_headers)


def _resolve_space(
    space_id: str, token: str | None, hub: str, space_wait: float
) -> Generator[Step, HttpResponse | None, str]:
    hub_headers = {"authorization": f"Bearer {token}"} if token else {}
    url = f"{hub}/api/spaces/{quote(space_id)}"
    response = _answered(
        (yield HttpRequest(method="GET", url=url, headers=hub_headers, app=False)), "the Hub's Space info"
    )
    if response.status_code in (401, 403, 404):
        hint = "" if token else " If it is private, pass token=..."
        raise SpaceError(
            f"Space {space_id!r} was not found, or this token cannot see it.{hint}",
            space_id=space_id,
        )
    info = _json_object(response, "the Hub's Space info")
    host = info.get("host")
    if not isinstance(host, str) or not host:
        subdomain = info.get("subdomain")
        if not isinstance(subdomain, str):
            raise SpaceError(f"The Hub did not say where Space {space_id!r} runs.", space_id)
        host = f"https://{subdomain}.hf.space"
    stage = _stage(info)
    waited = 0.0
    while stage in BUILDING_STAGES:
        if waited >= space_wait:
            raise SpaceError(
                f"Space {space_id!r} was still {stage} after {space_wait:g} s.", space_id, stage
            )
        yield Sleep(2.0)
        waited += 2.0
        request = HttpRequest(method="GET", url=f"{url}/runtime", headers=hub_headers, app=False)
        response = _answered((yield request), "the Hub's Space runtime")
        stage = _stage({"runtime": _json_object(response, "the Hub's Space runtime")})
    if stage in BROKEN_STAGES:
        raise SpaceError(f"Space {space_id!r} {BROKEN_STAGES[stage]}.", space_id, stage)
    return host.rstrip("/")


def _stage(info: Mapping[str, Any]) -> str | None:
    runtime = info.get("runtime")
    stage = runtime.get("stage") if isinstance(runtime, dict) else None
    return stage if isinstance(stage, str) else None


def _fetch_config(
    root: str, headers: Mapping[str, str]
) -> Generator[Step, HttpResponse | None, AppConfig]:
    response = _answered(
        (yield HttpRequest(method="GET", url=f"{root}/config", headers=headers)), "GET /config"
    )
    if response.status_code == 401:
        raise AuthenticationError(  # the official client's first sentence, then ours
            f"Could not load {root}/ as credentials were not provided. Please login: pass "
            "auth=(username, password) (or a token for a private Space)."
        )
    if response.status_code == 429:
        raise TooManyRequestsError(
            f"Too many requests to the API, please try again later. {root} answered HTTP 429."
        )
    if 200 <= response.status_code < 300:
        return _parse_config_of(root, response.content)
    # Very old apps embed the config in their page.
    page = _answered((yield HttpRequest(method="GET", url=f"{root}/", headers=headers)), "GET /")
    match = _EMBEDDED_CONFIG.search(page.content) if 200 <= page.status_code < 300 else None
    if match is None:  # the official client's wording first (a ValueError there too)
        start = (
            f"Could not get Gradio config from: {root}/"
            if 200 <= page.status_code < 300
            else f"Could not fetch config for {root}/"
        )
        raise ConfigError(
            f"{start}. GET /config answered HTTP {response.status_code} and the page has no "
            "embedded config: this does not look like a Gradio app.",
            response.status_code,
        )
    if "allow_flagging" in (_loads(match.group(1)) or {}):
        raise ConfigError(
            "Gradio 2.x is not supported by this client. Please upgrade your Gradio app to "
            f"Gradio 3.x or higher ({root}/ runs Gradio 2.x)."
        )
    return _parse_config_of(root, match.group(1))


def _parse_config_of(root: str, content: bytes) -> AppConfig:
    try:
        return parse_config(content)
    except RemoteProtocolError as exc:
        raise ConfigError(f"Could not get Gradio config from: {root}/. {exc}") from None


def _fetch_info(
    root: str, config: AppConfig, headers: Mapping[str, str]
) -> Generator[Step, HttpResponse | None, ApiInfo]:
    if Wire.parse(config.protocol) is Wire.WS and version_tuple(config.version) <= (3, 36, 1):
        return info_from_config(config)  # no /info route before 3.37
    prefix = config.api_prefix.rstrip("/")
    response = yield HttpRequest(
        method="GET", url=f"{root}{prefix}/info?all_endpoints=True", headers=headers
    )
    response = _answered(response, "GET /info")
    if not 200 <= response.status_code < 300:
        LOGGER.warning("%s: /info answered HTTP %s; API derived from the config instead "
                       "(parameter names from labels)", root, response.status_code)
        return info_from_config(config)
    try:
        info = parse_info(response.content)
    except GradioClientError as exc:
        LOGGER.warning("%s: /info is unusable (%s); API derived from the config instead "
                       "(parameter names from labels)", root, exc)
        return info_from_config(config)
    if needs_public_info(config):  # a shared api_name: the public /info has the public one
        public = yield HttpRequest(method="GET", url=f"{root}{prefix}/info", headers=headers)
        if public is not None and 200 <= public.status_code < 300:
            try:
                info = merge_public_info(info, parse_info(public.content))
            except GradioClientError as exc:
                LOGGER.warning("%s: the public /info is unusable (%s)", root, exc)
    return info


def machine_config(config: AppConfig, *, event_ack_timeout: float | None = EVENT_ACK_TIMEOUT,
                   **overrides: Any) -> MachineConfig:
    """The queue machine's configuration for this app (overrides: MachineConfig fields).

    ``event_ack_timeout`` applies to the multiplexed protocols (Gradio 4.9 and later), where
    the server names every joined event on the session stream at once; None turns it off."""
    version = version_tuple(config.version)
    wire = Wire.parse(config.protocol)  # None: the machine refuses the protocol
    multiplexed = wire is not None and wire.multiplexed
    cancel_fns: dict[int, int] = {}
    for endpoint in sorted(config.endpoints.values(), key=lambda e: len(e.cancels)):
        for target in endpoint.cancels:
            cancel_fns.setdefault(target, endpoint.fn_index)
    unqueued = frozenset(
        e.fn_index for e in config.endpoints.values() if not (config.enable_queue and e.queue)
    )
    settings: dict[str, Any] = {
        "protocol": config.protocol,
        "api_prefix": config.api_prefix,
        "cancel_route": version >= (4, 31),
        "cancel_fns": cancel_fns,
        "unqueued_fns": unqueued if wire is Wire.WS else frozenset(),
        "heartbeat": config.connect_heartbeat and multiplexed,
        "event_ack_timeout": event_ack_timeout if multiplexed else None,
    }
    settings.update(overrides)
    return MachineConfig(**settings)


def same_origin(url: str, root: str) -> bool:
    """Whether ``url`` points at the app itself (credentials may be sent there)."""
    a, b = urlsplit(url), urlsplit(root)
    return (a.scheme, a.hostname, a.port or _port(a.scheme)) == (
        b.scheme,
        b.hostname,
        b.port or _port(b.scheme),
    )


def _port(scheme: str) -> int | None:
    return {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(scheme)


def _answered(response: HttpResponse | None, step: str) -> HttpResponse:
    """The reply the driver sent back for a request step; None there is the driver's bug."""
    if response is None:
        raise LocalProtocolError(
            f"connect_flow was resumed without a response to its {step} request: send the "
            "flow an HttpResponse after every HttpRequest step (None only after a Sleep)."
        )
    return response


def _header(response: HttpResponse, name: str) -> str | None:
    for key, value in response.headers.items():
        if key.lower() == name:
            return value
    return None


def _loads(content: bytes) -> Any:
    try:
        return msgspec.json.decode(content)
    except msgspec.DecodeError:
        return None


def _json_object(response: HttpResponse, what: str) -> dict[str, Any]:
    value = _loads(response.content) if 200 <= response.status_code < 300 else None
    if not isinstance(value, dict):
        raise _status_error(what, response, " Expected a JSON object.")
    return value


def _status_error(what: str, response: HttpResponse, hint: str = "") -> HTTPStatusError:
    text = response.content[:200].decode("utf-8", "replace").strip()
    return HTTPStatusError(
        f"{what} failed with HTTP {response.status_code}: {text!r}.{hint}",
        response.status_code,
        response.content,
    )


__all__ = [
    "ConnectDeadline",
    "Connection",
    "DEFAULT_LIMITS",
    "Limits",
    "HttpRequest",
    "HttpResponse",
    "Sleep",
    "connect_flow",
    "is_url",
    "machine_config",
    "same_origin",
    "too_large",
]
