"""The app model: frozen values for what ``/config`` and ``/info`` say.

``config.py`` and ``info.py`` build these values; ``call.py``, ``files.py`` and ``render.py``
answer questions with them.  Pure: msgspec and the standard library only.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from ..errors import ArgumentError, EndpointNotFoundError

__all__ = [
    "SKIP_TYPES",
    "ApiInfo",
    "AppConfig",
    "Component",
    "Endpoint",
    "EndpointInfo",
    "Parameter",
    "Return",
    "version_tuple",
]

#: Component types skipped from the API by default: a component whose config entry has no
#: ``skip_api`` flag (Gradio 3.x) is skipped when its type is here.  The flag, when present,
#: wins (a Gradio 6 ``gr.Dataset`` output says ``skip_api: false`` and is returned).
SKIP_TYPES = frozenset(
    {
        "state",
        "row",
        "column",
        "tabs",
        "tab",
        "tabitem",
        "box",
        "form",
        "accordion",
        "group",
        "interpretation",
        "dataset",
        "sidebar",
    }
)


class Component(msgspec.Struct, frozen=True):
    """One entry of ``config["components"]``."""

    id: int
    type: str
    #: True when the component is not part of the API: its ``skip_api`` flag when the
    #: config has one, else whether its type is in :data:`SKIP_TYPES` (state and layout).
    skip_api: bool
    props: dict[str, Any]
    #: The component's JSON schema (Gradio 4+), or ``{"info": schema,
    #: "serialized_info": bool}`` (Gradio 3.x); None when absent.
    api_info: Any = None
    #: Direction-specific schemas (Gradio 5+); None when absent.
    api_info_as_input: Any = None
    api_info_as_output: Any = None

    @property
    def label(self) -> str | None:
        label = self.props.get("label")
        return label if isinstance(label, str) else None


class Parameter(msgspec.Struct, frozen=True):
    """One user-visible argument of an endpoint, from ``/info``."""

    name: str | None  # the keyword name (``parameter_name``); None on old servers
    label: str | None
    component: str | None  # e.g. "Textbox"
    python_type: str
    description: str
    has_default: bool
    default: Any
    type: dict[str, Any]  # JSON schema
    example_input: Any = None


class Return(msgspec.Struct, frozen=True):
    """One user-visible output of an endpoint, from ``/info``."""

    label: str | None
    component: str | None
    python_type: str
    description: str
    type: dict[str, Any]


class EndpointInfo(msgspec.Struct, frozen=True):
    """The ``/info`` entry of one endpoint."""

    parameters: tuple[Parameter, ...]
    returns: tuple[Return, ...]
    visibility: str = "public"  # "public" | "undocumented"  (private ones are dropped)
    description: str = ""
    oauth_token: str | None = None  # "required" | "optional" when it takes a gr.OAuthToken


class ApiInfo(msgspec.Struct, frozen=True):
    """A parsed ``/info``.  ``named`` keys keep their leading "/" (``"/predict"``)."""

    named: dict[str, EndpointInfo]
    unnamed: dict[int, EndpointInfo]
    #: What the official client's ``view_api(return_format="dict")`` returns for this
    #: document: the public entries as the server sent them, without ``code_snippets``,
    #: ``api_visibility`` and ``show_api``.  None when the info was derived from the config.
    document: dict[str, Any] | None = None
    #: The public ``/info`` entries (``/info`` without ``all_endpoints``), when the client
    #: fetched them as well: only for apps where two endpoints share an api_name, since
    #: ``/info?all_endpoints=True`` then describes only the last of them.
    public: dict[str, EndpointInfo] | None = None


class Endpoint(msgspec.Struct, frozen=True):
    """One callable dependency of the app (``config["dependencies"][i]``)."""

    fn_index: int  # dependency["id"], or the list position in old configs
    api_name: str | None  # with the leading "/", e.g. "/predict"; None if unnamed
    visibility: str  # "public" | "undocumented" | "private"
    inputs: tuple[int, ...]  # component ids
    outputs: tuple[int, ...]  # component ids
    input_types: tuple[str, ...]  # component type per input ("" if unknown)
    output_types: tuple[str, ...]
    state_inputs: tuple[int, ...]  # positions in inputs whose component type is "state"
    skipped_inputs: tuple[int, ...]  # positions in inputs not part of the API (⊇ state)
    skipped_outputs: tuple[bool, ...]  # per output position: not part of the API
    file_inputs: tuple[int, ...]  # positions in inputs whose component takes files
    is_generator: bool
    queue: bool  # False: the app does not queue this endpoint (3.x: no websocket)
    cancels: tuple[int, ...]  # fn_indexes this dependency cancels
    connection: str  # "sse" | "stream"
    backend_fn: bool  # False for JavaScript-only dependencies
    batch: bool
    parameters: tuple[Parameter, ...] | None = None  # None: /info lacks this endpoint
    returns: tuple[Return, ...] | None = None
    description: str = ""
    oauth_token: str | None = None

    @property
    def is_valid(self) -> bool:
        """False for private endpoints, which clients must refuse to call."""
        return self.visibility != "private"

    @property
    def display_name(self) -> str:
        """``"/predict"``, or ``"fn_index=3"`` for an unnamed endpoint."""
        return self.api_name if self.api_name is not None else f"fn_index={self.fn_index}"

    @property
    def num_api_inputs(self) -> int:
        """How many values the user supplies (inputs minus skipped ones)."""
        return len(self.inputs) - len(self.skipped_inputs)


class AppConfig(msgspec.Struct, frozen=True):
    """A parsed ``/config``."""

    version: str  # "" when the config does not say
    protocol: str  # "ws" when absent (3.x), else "sse", "sse_v1", ..., "sse_v3"
    api_prefix: str  # "" or "/gradio_api"
    connect_heartbeat: bool  # False when absent (servers before the heartbeat route)
    enable_queue: bool
    max_file_size: int | None
    space_id: str | None
    show_error: bool
    root: str | None
    endpoints: dict[int, Endpoint]
    components: dict[int, Component]

    @property
    def version_info(self) -> tuple[int, ...]:
        """``version`` as a tuple of ints, e.g. ``(4, 44, 1)``; ``()`` if unknown."""
        return version_tuple(self.version)

    def endpoint(self, api_name: str | None = None, fn_index: int | None = None) -> Endpoint:
        """Resolve the endpoint a call means.

        * ``api_name`` wins when given: it must name a non-private endpoint, leading "/"
          included; of several with that name, the first public one.
        * Otherwise ``fn_index`` must be a non-private endpoint's index.
        * With neither, the app must have exactly one public named endpoint with a
          backend function, which is used.

        Raises :class:`EndpointNotFoundError` (a ``ValueError``) listing the available
        api names, or :class:`ArgumentError` for arguments of the wrong type.
        """
        if api_name is not None:
            if not isinstance(api_name, str):
                raise ArgumentError(f"api_name must be a str, got {type(api_name).__name__}")
            return self._by_name(api_name)
        if fn_index is not None:
            if not isinstance(fn_index, int) or isinstance(fn_index, bool):
                raise ArgumentError(f"fn_index must be an int, got {type(fn_index).__name__}")
            return self._by_index(fn_index)
        candidates = [
            e
            for e in self.endpoints.values()
            if e.visibility == "public" and e.api_name is not None and e.backend_fn
        ]
        if len(candidates) == 1:
            return candidates[0]
        raise EndpointNotFoundError(
            "This Gradio app might have multiple endpoints. Please specify an `api_name` or "
            f"`fn_index`: it has {len(candidates) or 'no'} public named endpoints, so this "
            f"client cannot guess which one to call. {self._available()}"
        )

    def _by_name(self, api_name: str) -> Endpoint:
        # Two endpoints may share an api_name (rendering a Blocks renames only clashes with
        # the parent's names): the first public one wins, else the first callable one.  The
        # official client takes the first non-private one; it has the public one's
        # parameters, so where it works this resolves the same endpoint.
        private = None
        fallback = None
        for e in self.endpoints.values():
            if e.api_name == api_name:
                if e.visibility == "public":
                    return e
                if e.is_valid:
                    fallback = fallback or e
                else:
                    private = e
        if fallback is not None:
            return fallback
        if private is not None:
            raise EndpointNotFoundError(
                f"Cannot find a function with `api_name`: {api_name}. The endpoint is "
                f"private: the app does not allow API calls to it. {self._available()}"
            )
        message = f"Cannot find a function with `api_name`: {api_name}."
        if not api_name.startswith("/"):
            slashed = "/" + api_name
            if any(e.api_name == slashed and e.is_valid for e in self.endpoints.values()):
                message += f" Did you mean {slashed!r}? api_name needs a leading '/'."
            else:
                message += " api_name needs a leading '/', e.g. '/predict'."
        raise EndpointNotFoundError(f"{message} {self._available()}")

    def _by_index(self, fn_index: int) -> Endpoint:
        e = self.endpoints.get(fn_index)
        if e is None:
            raise EndpointNotFoundError(
                f"Invalid function index: {fn_index}. {self._available()}"
            )
        if not e.is_valid:
            raise EndpointNotFoundError(
                f"Invalid function index: {fn_index}. The endpoint is private: the app does "
                f"not allow API calls to it. {self._available()}"
            )
        return e

    def _available(self) -> str:
        valid = [e for e in self.endpoints.values() if e.is_valid]
        names = [e.api_name for e in valid if e.api_name is not None]
        unnamed = [str(e.fn_index) for e in valid if e.api_name is None and e.backend_fn]
        text = "Available api_names: " + (", ".join(names) if names else "(none)") + "."
        if unnamed:
            text += " Unnamed endpoints (call with fn_index): " + ", ".join(unnamed) + "."
        return text


def version_tuple(version: str) -> tuple[int, ...]:
    """The leading numeric parts of a version string: ``"5.0.0b3"`` -> ``(5, 0, 0)``."""
    parts: list[int] = []
    for piece in version.split("."):
        match = re.match(r"\d+", piece)
        if match is None:
            break
        parts.append(int(match.group()))
        if match.end() != len(piece):
            break
    return tuple(parts)
