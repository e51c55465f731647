"""The official client's attributes and class methods beyond calls, shared by both clients.

* ``USER_AGENT``: what every request says it is (``gradio_client/<version>; python/<version>``,
  the official client's shape).
* ``record_config``: passes a ``connect_flow`` through, keeping the raw ``/config`` reply,
  so ``client.config`` is the app's config as a dict (decoded on first use).
* ``app_version``: the server's Gradio version as a ``packaging`` ``Version`` (a small
  comparable stand-in when ``packaging`` is not installed).
* ``duplicate_space``: ``Client.duplicate`` through the Hugging Face Hub's HTTP API.
* ``zero_gpu_headers``: the ``x-ip-token`` of the Gradio request being served, if any.
"""

from __future__ import annotations

import logging
import os
import platform
import re
import sys
import warnings
from collections.abc import Generator, Mapping
from typing import Any, Final
from urllib.parse import quote

import httpx
import msgspec

from .protocol.connect import DEFAULT_HUB, Connection, HttpRequest, HttpResponse
from .protocol.errors import HTTPStatusError, SpaceError

log = logging.getLogger("gradio_client")

VERSION: Final = "0.1.0"  # this package's version (also gradio_client.__version__)
USER_AGENT: Final = f"gradio_client/{VERSION}; python/{platform.python_version()}"
_EMBEDDED_CONFIG: Final = re.compile(rb"window\.gradio_config\s*=\s*(\{.*?\});?\s*</script>", re.S)


# ------------------------------------------------------------------------- config


def record_config(flow: Generator[Any, Any, Any], sink: list[bytes]) -> Generator[Any, Any, Any]:
    """Drive ``flow`` unchanged, appending the body of the app's config to ``sink``:
    the 2xx reply to ``GET .../config``, or the config embedded in the app's page."""
    reply: Any = None
    try:
        while True:
            try:
                step = flow.send(reply)
            except StopIteration as stop:
                return stop.value
            reply = yield step
            if (
                isinstance(step, HttpRequest)
                and isinstance(reply, HttpResponse)
                and step.method == "GET"
                and 200 <= reply.status_code < 300
            ):
                if step.url.endswith("/config"):
                    sink.append(reply.content)
                elif step.url.endswith("/") and not sink:
                    match = _EMBEDDED_CONFIG.search(reply.content)
                    if match is not None:
                        sink.append(match.group(1))
    finally:
        flow.close()


def config_dict(raw: bytes | None) -> dict[str, Any]:
    """The app's config as the official client's ``client.config`` holds it."""
    if raw is None:
        return {}
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        log.warning("gradio_client: the app's config is not JSON; client.config is empty")
        return {}
    return value if isinstance(value, dict) else {}


class _Version:
    """A comparable version for when ``packaging`` is not installed (``4.44.1``, ``5.0b3``)."""

    def __init__(self, text: str) -> None:
        self.public = text
        self.release = tuple(int(p) for p in re.findall(r"\d+", text.split("+")[0])[:3])

    def _key(self, other: object) -> tuple[int, ...]:
        if isinstance(other, _Version):
            return other.release
        return _Version(str(other)).release

    def __eq__(self, other: object) -> bool:
        return self.release == self._key(other)

    def __lt__(self, other: object) -> bool:
        return self.release < self._key(other)

    def __le__(self, other: object) -> bool:
        return self.release <= self._key(other)

    def __gt__(self, other: object) -> bool:
        return self.release > self._key(other)

    def __ge__(self, other: object) -> bool:
        return self.release >= self._key(other)

    def __hash__(self) -> int:
        return hash(self.release)

    def __str__(self) -> str:
        return self.public

    def __repr__(self) -> str:
        return f"<Version({self.public!r})>"


def app_version(version: str) -> Any:
    """``version`` (default ``"2.0"``, as the official client) as a comparable Version."""
    text = version or "2.0"
    try:
        from packaging.version import InvalidVersion, Version
    except ImportError:
        return _Version(text)
    try:
        return Version(text)
    except InvalidVersion:
        return _Version(text)


class OfficialNames:
    """The official client's attributes, on ``Client`` and ``AsyncClient``.

    Needs ``_conn`` (the ``Connection``) and ``_raw_config`` (filled by ``record_config``).
    """

    _conn: Connection
    _raw_config: list[bytes]
    _config_dict: dict[str, Any] | None = None
    _download_dir: str | None
    _http: Any  # httpx.Client or httpx.AsyncClient
    download_files: Any  # the constructor's value, as the official client keeps it
    ssl_verify: bool
    httpx_kwargs: dict[str, Any]

    def _keep_options(self, download_files: Any, ssl_verify: bool,
                      httpx_kwargs: dict[str, Any] | None) -> None:
        """Keep the constructor arguments the official client exposes as attributes."""
        self.download_files = download_files
        self.ssl_verify = ssl_verify
        self.httpx_kwargs = dict(httpx_kwargs or {})

    @property
    def api_prefix(self) -> str:
        """The app's API prefix as the official client spells it: ``"gradio_api/"`` on
        Gradio 5 and later, ``"/"`` before."""
        return self._conn.config.api_prefix.lstrip("/") + "/"

    @property
    def src_prefixed(self) -> str:
        """The URL the API routes hang from, with a trailing slash."""
        return self._conn.api_root.rstrip("/") + "/"

    @property
    def output_dir(self) -> str:
        """Where downloaded output files go."""
        from ._files import DEFAULT_TEMP_DIR

        return self._download_dir or DEFAULT_TEMP_DIR

    @property
    def cookies(self) -> dict[str, str]:
        """The app's cookies this client holds (a login's, a load balancer's), name to value."""
        return {c.name: c.value for c in self._http.cookies.jar if c.value is not None}

    @property
    def config(self) -> dict[str, Any]:
        """The app's config (``/config``) as a dict, e.g. ``client.config["dependencies"]``."""
        if self._config_dict is None:
            self._config_dict = config_dict(self._raw_config[-1] if self._raw_config else None)
        return self._config_dict

    @property
    def app_version(self) -> Any:
        """The server's Gradio version, a ``packaging.version.Version``."""
        return app_version(self._conn.config.version)

    @property
    def upload_url(self) -> str:
        """Where files are uploaded, e.g. ``http://host:port/gradio_api/upload``."""
        return self._conn.api_root + "/upload"

    @property
    def headers(self) -> dict[str, str]:
        """The headers sent with every request to the app (user agent, token header, the
        constructor's ``headers``): a live dict, as the official client's."""
        headers = self._conn.headers
        assert isinstance(headers, dict)
        return headers

    def add_zero_gpu_headers(self, headers: dict[str, str]) -> dict[str, str]:
        """Add the ``x-ip-token`` of the Gradio request being served to ``headers`` (when
        this runs inside a Gradio app calling a Space); returns ``headers``.  Jobs do this
        by themselves."""
        return zero_gpu_headers(self._conn.space_id, headers)


def call_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """A call's own headers; the client's ``x-gradio-user: api`` cannot be overridden."""
    own = {k: v for k, v in (headers or {}).items() if k.lower() != "x-gradio-user"}
    own["x-gradio-user"] = "api"
    return own


# ------------------------------------------------------------------------- ZeroGPU


def zero_gpu_headers(space_id: str | None, headers: dict[str, str]) -> dict[str, str]:
    """Copy the ``x-ip-token`` of the Gradio request being served (when this runs inside
    a Gradio app's event handler and calls a Space) into ``headers``; returns ``headers``.

    Only a process that has imported gradio can be serving a request, so gradio is looked
    up in ``sys.modules``, never imported (the official client imports it, which takes
    seconds where gradio is installed but unused)."""
    if not space_id:
        return headers
    context = sys.modules.get("gradio.context")
    local = getattr(context, "LocalContext", None)
    request = local.request.get(None) if local is not None else None
    request_headers = getattr(request, "headers", None)
    if request_headers is not None and "x-ip-token" in request_headers:
        headers["x-ip-token"] = request_headers["x-ip-token"]
    return headers


# ------------------------------------------------------------------------- duplicate


def duplicate_space(
    from_id: str,
    to_id: str | None,
    token: str | None,
    private: bool,
    hardware: str | None,
    secrets: Mapping[str, str] | None,
    sleep_timeout: int,
    verbose: bool,
) -> str:
    """Duplicate a Space through the Hub's HTTP API (``HF_ENDPOINT`` or huggingface.co);
    returns the new Space's id.  An existing target Space is reused (its secrets are
    then left alone, with a warning), as the official client does."""
    hub = (os.environ.get("HF_ENDPOINT") or DEFAULT_HUB).rstrip("/")
    if token is None:
        from .shells._common import saved_token

        token = saved_token()
    headers = {"user-agent": USER_AGENT}
    if token:
        headers["authorization"] = f"Bearer {token}"
    with httpx.Client(
        base_url=hub, headers=headers, timeout=httpx.Timeout(30.0, connect=10.0),
        follow_redirects=True,
    ) as http:
        original = _runtime(http, from_id)
        if original is None:
            raise SpaceError(
                f"Could not find Space: {from_id}. If it is a private Space, please provide "
                "a `token`.",
                space_id=from_id,
            )
        name = (to_id or from_id).rsplit("/", 1)[-1]
        owner = to_id.rsplit("/", 1)[0] if to_id and "/" in to_id else _whoami(http, token)
        space_id = f"{owner}/{name}"
        if _runtime(http, space_id) is not None:
            if verbose:
                print(f"Using your existing Space: https://huggingface.co/spaces/{space_id} 🤗")
            if secrets is not None:
                warnings.warn(
                    "Secrets are only used when the Space is duplicated for the first time, "
                    "and are not updated if the duplicated Space already exists.",
                    stacklevel=3,
                )
        else:
            if verbose:
                print(f"Creating a duplicate of {from_id} for your own use... 🤗")
            body = {"repository": space_id, "visibility": "private" if private else "public"}
            response = http.post(f"/api/spaces/{quote(from_id)}/duplicate", json=body)
            if response.status_code != 409:  # 409: it exists (raced with another caller)
                _check(response, f"Duplicating Space {from_id!r} to {space_id!r}")
            for key, value in (secrets or {}).items():
                response = http.post(
                    f"/api/spaces/{quote(space_id)}/secrets", json={"key": key, "value": value}
                )
                _check(response, f"Adding the secret {key!r} to Space {space_id!r}")
            if verbose:
                print(f"Created new Space: https://huggingface.co/spaces/{space_id}")
        current = _runtime(http, space_id) or {}
        current_hardware = _hardware(current) or "cpu-basic"
        wanted = hardware or _hardware(original) or "cpu-basic"
        if current_hardware != wanted:
            response = http.post(f"/api/spaces/{quote(space_id)}/hardware", json={"flavor": wanted})
            _check(response, f"Requesting {wanted!r} hardware for Space {space_id!r}")
            print(
                f"-------\nNOTE: this Space uses upgraded hardware: {wanted}... see billing "
                "info at https://huggingface.co/settings/billing\n-------"
            )
        if wanted != "cpu-basic":  # only upgraded hardware takes a sleep time
            response = http.post(
                f"/api/spaces/{quote(space_id)}/sleeptime", json={"seconds": sleep_timeout * 60}
            )
            if not response.is_success:
                warnings.warn(
                    f"Could not set a sleep timeout on Space {space_id!r} (HTTP "
                    f"{response.status_code}); set one at "
                    f"https://huggingface.co/spaces/{space_id}/settings to limit billing.",
                    stacklevel=3,
                )
        if verbose:
            print("")
    return space_id


def _runtime(http: httpx.Client, space_id: str) -> dict[str, Any] | None:
    """A Space's runtime, or None when the Hub does not know it (or hides it)."""
    response = http.get(f"/api/spaces/{quote(space_id)}/runtime")
    if response.status_code in (401, 403, 404):
        return None
    _check(response, f"Reading the runtime of Space {space_id!r}")
    value = response.json()
    return value if isinstance(value, dict) else {}


def _hardware(runtime: Mapping[str, Any]) -> str | None:
    hardware = runtime.get("hardware")
    current = hardware.get("current") if isinstance(hardware, dict) else hardware
    return current if isinstance(current, str) else None


def _whoami(http: httpx.Client, token: str | None) -> str:
    if not token:
        raise SpaceError(
            "Duplicating a Space needs a Hugging Face token: pass token=... or log in with "
            "`huggingface-cli login`."
        )
    response = http.get("/api/whoami-v2")
    _check(response, "Asking the Hub who this token belongs to")
    name = response.json().get("name") if response.headers.get("content-type", "").startswith(
        "application/json"
    ) else None
    if not isinstance(name, str):
        raise SpaceError("The Hub did not say who this token belongs to (GET /api/whoami-v2).")
    return name


def _check(response: httpx.Response, what: str) -> None:
    if not response.is_success:
        raise HTTPStatusError(
            f"{what} failed with HTTP {response.status_code}: {response.text[:200]!r}.",
            response.status_code,
            response.content,
        )


__all__ = [
    "OfficialNames",
    "USER_AGENT",
    "VERSION",
    "app_version",
    "call_headers",
    "config_dict",
    "duplicate_space",
    "record_config",
    "zero_gpu_headers",
]
