"""The app model: what ``/config`` and ``/info`` say, and what follows for a call.

This module is pure (msgspec and the standard library only).  It turns the two
documents a Gradio server publishes into frozen values, and answers the questions a
client asks before and after a job:

* which endpoint does ``api_name`` / ``fn_index`` mean (:meth:`AppConfig.endpoint`);
* how do ``*args, **kwargs`` become the wire ``data`` list (:func:`build_data`);
* how does the wire ``data`` list become the value the user sees (:func:`outputs_value`);
* which values are file references (:func:`map_files`);
* what does the API look like to a person (:func:`render_api`, :func:`info_dict`).

Generations.  Gradio 3.x configs have no ``protocol`` (the client speaks ``ws``), no
dependency ``id`` (``fn_index`` is the list position) and may have no ``/info`` route
(:func:`info_from_config` derives the same information from the components).  Gradio 4
adds ``protocol``, ``skip_api`` and ``id``; Gradio 5 adds ``api_prefix``; Gradio 6
replaces ``api_name: false`` / ``show_api: false`` with ``api_visibility``.  Every field a
generation may lack has a default, unknown fields are ignored, and a field of the wrong
shape raises :class:`RemoteProtocolError` with msgspec's JSON path (e.g.
``$.dependencies[0].inputs[0]``).

Skipped components (protocol.md §1.10).  A component is *skipped* when its ``skip_api``
flag is set or its type is state or layout.  ``/info`` never lists skipped components, so
the user's arguments cover only the non-skipped inputs: :func:`build_data` inserts
``None`` at every skipped input position (the server substitutes session state for a
``gr.State``).  The official client inserts ``None`` only for ``state`` inputs, which
breaks endpoints with another skipped input such as a ``gr.Button`` (Gradio 6 marks
buttons ``skip_api``; the server then answers "didn't receive enough input values").
Skipped outputs are on the wire (state values come back as ``null``) and are removed by
:func:`outputs_value`.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from .errors import ArgumentError, EndpointNotFoundError, RemoteProtocolError
from .pytypes import is_file_schema, json_schema_to_python_type

__all__ = [
    "SKIP_TYPES",
    "ApiInfo",
    "AppConfig",
    "Component",
    "Endpoint",
    "EndpointInfo",
    "Parameter",
    "Return",
    "build_data",
    "info_dict",
    "info_from_config",
    "is_file_reference",
    "map_files",
    "outputs_value",
    "parse_config",
    "parse_info",
    "render_api",
    "version_tuple",
    "with_info",
]

#: Component types that are never part of the API, whatever their ``skip_api`` says.
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
_VISIBILITIES = frozenset({"public", "undocumented", "private"})
_LEGACY_FILE_PROTOCOLS = frozenset({"ws", "sse", "sse_v1", "sse_v2"})
_FILE_DATA = "gradio.FileData"
# Names a parameter may not take, because predict()/submit() use them as keywords.
_RESERVED_NAMES = frozenset({"api_name", "fn_index", "result_callbacks", "headers"})
_MISSING: Any = object()
_RENDER_DEPTH = 8  # defaults nested deeper than this render as "..."


# =========================================================================== public values


class Component(msgspec.Struct, frozen=True):
    """One entry of ``config["components"]``."""

    id: int
    type: str
    #: True when the component is not part of the API: its ``skip_api`` flag is set, or
    #: its type is in :data:`SKIP_TYPES` (state and layout).
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
        """Resolve the endpoint a call means (protocol.md §1.3).

        * ``api_name`` wins when given: it must name a non-private endpoint, leading "/"
          included.
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
            f"This app has {len(candidates) or 'no'} public named endpoints, so it cannot "
            f"guess which one to call: pass api_name (or fn_index). {self._available()}"
        )

    def _by_name(self, api_name: str) -> Endpoint:
        private = None
        for e in self.endpoints.values():
            if e.api_name == api_name:
                if e.is_valid:
                    return e
                private = e
        if private is not None:
            raise EndpointNotFoundError(
                f"The endpoint {api_name!r} is private: the app does not allow API calls "
                f"to it. {self._available()}"
            )
        message = f"Cannot find an endpoint with api_name {api_name!r}."
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
                f"Cannot find an endpoint with fn_index {fn_index}. {self._available()}"
            )
        if not e.is_valid:
            raise EndpointNotFoundError(
                f"The endpoint with fn_index {fn_index} is private: the app does not allow "
                f"API calls to it. {self._available()}"
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


# ============================================================================ /config


class _RawComponent(msgspec.Struct):
    id: int
    type: str = ""
    props: dict[str, Any] = {}
    skip_api: bool | None = None
    api_info: Any = None
    api_info_as_input: Any = None
    api_info_as_output: Any = None
    example_inputs: Any = None
    serializer: str | None = None


class _RawTypes(msgspec.Struct):
    generator: bool = False


class _RawDependency(msgspec.Struct):
    id: int | None = None
    inputs: list[int] = []
    outputs: list[int] = []
    api_name: str | bool | None = None
    api_visibility: str | None = None
    show_api: bool | None = None
    queue: bool | None = None
    types: _RawTypes | None = None
    cancels: list[int] = []
    connection: str | None = None
    backend_fn: bool | None = None
    batch: bool | None = None


class _RawConfig(msgspec.Struct):
    dependencies: list[_RawDependency] | None = None
    components: list[_RawComponent] = []
    version: str | None = None
    protocol: str | None = None
    api_prefix: str | None = None
    connect_heartbeat: bool | None = None
    enable_queue: bool | None = None
    max_file_size: int | float | None = None
    space_id: str | None = None
    show_error: bool | None = None
    root: str | None = None
    allow_flagging: Any = None  # only Gradio 2.x Interface configs have it at the top


_CONFIG_DECODER = msgspec.json.Decoder(_RawConfig)


def parse_config(raw: bytes | str | Mapping[str, Any]) -> AppConfig:
    """Parse a ``/config`` response (JSON bytes/str, or an already decoded dict).

    Tolerant of every generation from 3.x to 6.x.  Raises :class:`RemoteProtocolError`
    when the document is not a Gradio Blocks config (not JSON, HTML, no
    ``dependencies``, a field of the wrong shape), naming the problem.
    """
    cfg = _decode(_CONFIG_DECODER, raw, "Gradio config")
    if cfg.dependencies is None:
        if cfg.allow_flagging is not None:
            raise RemoteProtocolError(
                "This is a Gradio 2.x app (its config has 'allow_flagging' and no "
                "'dependencies'); Gradio 2.x is not supported."
            )
        raise RemoteProtocolError(
            "Invalid Gradio config: it has no 'dependencies' list (is this a Gradio app?)"
        )
    protocol = cfg.protocol or "ws"
    components = {c.id: _component(c) for c in cfg.components}
    raw_components = {c.id: c for c in cfg.components}
    enable_queue = cfg.enable_queue if cfg.enable_queue is not None else protocol != "ws"
    endpoints: dict[int, Endpoint] = {}
    for position, dep in enumerate(cfg.dependencies):
        e = _endpoint(position, dep, components, raw_components, protocol, enable_queue)
        endpoints[e.fn_index] = e
    prefix = (cfg.api_prefix or "").rstrip("/")
    if prefix and not prefix.startswith("/"):
        prefix = "/" + prefix
    return AppConfig(
        version=cfg.version or "",
        protocol=protocol,
        api_prefix=prefix,
        connect_heartbeat=bool(cfg.connect_heartbeat),
        enable_queue=enable_queue,
        max_file_size=int(cfg.max_file_size) if cfg.max_file_size is not None else None,
        space_id=cfg.space_id,
        show_error=bool(cfg.show_error),
        root=cfg.root,
        endpoints=endpoints,
        components=components,
    )


def _decode(decoder: msgspec.json.Decoder[Any], raw: Any, what: str) -> Any:
    if isinstance(raw, Mapping):
        try:
            raw = msgspec.json.encode(raw)
        except (TypeError, msgspec.EncodeError) as exc:
            raise RemoteProtocolError(f"Invalid {what}: not JSON data ({exc})") from None
    if not isinstance(raw, (bytes, bytearray, memoryview, str)):
        raise RemoteProtocolError(f"Invalid {what}: expected JSON text, got {type(raw).__name__}")
    try:
        return decoder.decode(raw)
    except RecursionError:  # msgspec's answer to JSON nested ~1000 levels deep
        raise RemoteProtocolError(f"Invalid {what}: JSON nested too deeply") from None
    except UnicodeDecodeError as exc:  # msgspec raises it for bad UTF-8 inside strings
        raise RemoteProtocolError(f"Invalid {what}: not valid UTF-8 ({exc})") from None
    except msgspec.ValidationError as exc:
        raise RemoteProtocolError(f"Invalid {what}: {exc}") from None
    except msgspec.DecodeError as exc:
        head = bytes(raw[:64]) if not isinstance(raw, str) else raw[:64].encode()
        stripped = head.lstrip()
        if not stripped:
            hint = "the response is empty"
        elif stripped[:1] == b"<":
            hint = "the response looks like an HTML page, not JSON (wrong URL, or a login page?)"
        else:
            hint = f"the response is not valid JSON ({exc}; it starts with {head!r})"
        raise RemoteProtocolError(f"Invalid {what}: {hint}") from None


def _component(c: _RawComponent) -> Component:
    return Component(
        id=c.id,
        type=c.type,
        skip_api=bool(c.skip_api) or c.type in SKIP_TYPES,
        props=c.props,
        api_info=c.api_info,
        api_info_as_input=c.api_info_as_input,
        api_info_as_output=c.api_info_as_output,
    )


def _endpoint(
    position: int,
    dep: _RawDependency,
    components: dict[int, Component],
    raw_components: dict[int, _RawComponent],
    protocol: str,
    enable_queue: bool,
) -> Endpoint:
    if dep.api_visibility in _VISIBILITIES:
        visibility: str = dep.api_visibility
    elif dep.api_name is False:
        visibility = "private"
    elif dep.show_api is False:
        visibility = "undocumented"
    else:
        visibility = "public"
    api_name = "/" + dep.api_name if isinstance(dep.api_name, str) else None

    def type_of(cid: int) -> str:
        c = components.get(cid)
        return c.type if c is not None else ""

    def skipped(cid: int) -> bool:
        # An id missing from "components" (e.g. created later by gr.render) is kept.
        c = components.get(cid)
        return c is not None and c.skip_api

    if protocol == "ws":  # Gradio 3.x: websocket queue only when the app enables it
        queue = enable_queue and dep.queue is not False
    else:
        queue = dep.queue is not False
    return Endpoint(
        fn_index=dep.id if dep.id is not None else position,
        api_name=api_name,
        visibility=visibility,
        inputs=tuple(dep.inputs),
        outputs=tuple(dep.outputs),
        input_types=tuple(type_of(c) for c in dep.inputs),
        output_types=tuple(type_of(c) for c in dep.outputs),
        state_inputs=tuple(i for i, c in enumerate(dep.inputs) if type_of(c) == "state"),
        skipped_inputs=tuple(i for i, c in enumerate(dep.inputs) if skipped(c)),
        skipped_outputs=tuple(skipped(c) for c in dep.outputs),
        file_inputs=tuple(
            i
            for i, c in enumerate(dep.inputs)
            if c in raw_components and _takes_files(raw_components[c])
        ),
        is_generator=dep.types.generator if dep.types is not None else False,
        queue=queue,
        cancels=tuple(dep.cancels),
        connection=dep.connection or "sse",
        backend_fn=dep.backend_fn is not False,
        batch=bool(dep.batch),
    )


_LEGACY_FILE_SERIALIZERS = frozenset(
    {
        "ImgSerializable",
        "FileSerializable",
        "VideoSerializable",
        "GallerySerializable",
    }
)


def _takes_files(c: _RawComponent) -> bool:
    if c.serializer is not None:  # Gradio 3.x
        return c.serializer in _LEGACY_FILE_SERIALIZERS
    schema = c.api_info_as_input if c.api_info_as_input is not None else c.api_info
    return _schema_has_file(schema, schema.get("$defs") if isinstance(schema, dict) else None)


def _schema_has_file(schema: Any, defs: Any, depth: int = 0) -> bool:
    if depth > 32:
        return False
    defs = defs if isinstance(defs, dict) else {}
    if isinstance(schema, list):
        return any(_schema_has_file(s, defs, depth + 1) for s in schema)
    if not isinstance(schema, dict):
        return False
    if is_file_schema(schema, defs):
        return True
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return _schema_has_file(defs.get(ref.rsplit("/", 1)[-1]), defs, depth + 1)
    return any(
        _schema_has_file(v, defs, depth + 1)
        for k, v in schema.items()
        if k not in ("$defs", "default", "examples", "const", "enum")
    )


# ============================================================================== /info


class _RawPyType(msgspec.Struct):
    type: str | None = None
    description: str | None = None


class _RawParam(msgspec.Struct):
    label: str | None = None
    parameter_name: str | None = None
    parameter_has_default: bool = False
    parameter_default: Any = None
    type: Any = None
    python_type: _RawPyType | str | None = None
    component: str | None = None
    example_input: Any = None


class _RawReturn(msgspec.Struct):
    label: str | None = None
    type: Any = None
    python_type: _RawPyType | str | None = None
    component: str | None = None


class _RawEndpointInfo(msgspec.Struct):
    parameters: list[_RawParam] = []
    returns: list[_RawReturn] = []
    api_visibility: str | None = None
    show_api: bool | None = None
    description: str | None = None
    oauth_token: str | None = None


class _RawInfo(msgspec.Struct):
    named_endpoints: dict[str, _RawEndpointInfo] | None = None
    unnamed_endpoints: dict[int, _RawEndpointInfo] | None = None


_INFO_DECODER = msgspec.json.Decoder(_RawInfo)


def parse_info(raw: bytes | str | Mapping[str, Any]) -> ApiInfo:
    """Parse an ``/info`` response (with or without ``?all_endpoints=True``).

    Private entries are dropped (protocol.md §1.11: clients filter them again); entries
    marked ``show_api: false`` (Gradio ≤ 5) are kept as ``undocumented``.  Code snippets
    and other unknown fields are ignored.  A missing ``python_type`` is computed from
    the JSON schema.
    """
    info = _decode(_INFO_DECODER, raw, "Gradio API info")
    if info.named_endpoints is None and info.unnamed_endpoints is None:
        raise RemoteProtocolError(
            "Invalid Gradio API info: it has neither 'named_endpoints' nor "
            "'unnamed_endpoints'"
        )
    named = {
        name: _endpoint_info(entry)
        for name, entry in (info.named_endpoints or {}).items()
        if _info_visibility(entry) != "private"
    }
    unnamed = {
        index: _endpoint_info(entry)
        for index, entry in (info.unnamed_endpoints or {}).items()
        if _info_visibility(entry) != "private"
    }
    return ApiInfo(named=named, unnamed=unnamed)


def _info_visibility(entry: _RawEndpointInfo) -> str:
    if entry.api_visibility in _VISIBILITIES:
        return entry.api_visibility
    return "undocumented" if entry.show_api is False else "public"


def _endpoint_info(entry: _RawEndpointInfo) -> EndpointInfo:
    return EndpointInfo(
        parameters=tuple(_parameter(p) for p in entry.parameters),
        returns=tuple(_return(r) for r in entry.returns),
        visibility=_info_visibility(entry),
        description=entry.description or "",
        oauth_token=entry.oauth_token,
    )


def _python_type(raw: _RawPyType | str | None, schema: Any) -> tuple[str, str]:
    if isinstance(raw, str):
        return raw, ""
    if raw is not None and raw.type is not None:
        return raw.type, raw.description or ""
    description = raw.description if raw is not None else None
    return json_schema_to_python_type(schema), description or ""


def _parameter(p: _RawParam) -> Parameter:
    python_type, description = _python_type(p.python_type, p.type)
    return Parameter(
        name=p.parameter_name,
        label=p.label,
        component=p.component,
        python_type=python_type,
        description=description,
        has_default=p.parameter_has_default,
        default=p.parameter_default,
        type=p.type if isinstance(p.type, dict) else {},
        example_input=p.example_input,
    )


def _return(r: _RawReturn) -> Return:
    python_type, description = _python_type(r.python_type, r.type)
    return Return(
        label=r.label,
        component=r.component,
        python_type=python_type,
        description=description,
        type=r.type if isinstance(r.type, dict) else {},
    )


def with_info(config: AppConfig, info: ApiInfo) -> AppConfig:
    """Return ``config`` with each endpoint's parameters and returns taken from ``info``.

    A named endpoint takes ``info.named[api_name]``; an unnamed one takes
    ``info.unnamed[fn_index]``.  Endpoints ``info`` does not describe get ``None``.
    """
    endpoints = {}
    for fn_index, e in config.endpoints.items():
        if e.api_name is not None:
            entry = info.named.get(e.api_name)
        else:
            entry = info.unnamed.get(fn_index)
        if entry is None:
            endpoints[fn_index] = msgspec.structs.replace(
                e, parameters=None, returns=None, description="", oauth_token=None
            )
        else:
            endpoints[fn_index] = msgspec.structs.replace(
                e,
                parameters=entry.parameters,
                returns=entry.returns,
                description=entry.description,
                oauth_token=entry.oauth_token,
            )
    return msgspec.structs.replace(config, endpoints=endpoints)


def info_from_config(config: AppConfig) -> ApiInfo:
    """Derive ``/info`` from the config, for apps that have no ``/info`` (Gradio 3.x).

    Follows what a Gradio server does for ``/info?all_endpoints=True``: every non-private
    endpoint with a backend function, its non-skipped inputs as parameters and its
    non-skipped outputs as returns.  A parameter has a default when its component has
    an initial ``value``.  Keyword names are made from the labels (the config does not
    carry the function's parameter names): ``"Input Text"`` becomes ``input_text``.
    """
    named: dict[str, EndpointInfo] = {}
    unnamed: dict[int, EndpointInfo] = {}
    for e in config.endpoints.values():
        if not e.is_valid or not e.backend_fn:
            continue
        parameters: list[Parameter] = []
        used: set[str] = set()
        for position, cid in enumerate(e.inputs):
            c = config.components.get(cid)
            if c is None or c.skip_api:
                continue
            schema = _component_schema(c, as_input=True)
            python_type = json_schema_to_python_type(schema)
            # the server describes parameters by "additional_description" only; 3.x
            # schemas have just "description", which is worth showing
            description = _schema_text(schema, "additional_description")
            if _is_legacy_info(c.api_info):
                description = description or _schema_text(schema, "description")
            value = c.props.get("value")
            parameters.append(
                Parameter(
                    name=_derived_name(c.label, position, used),
                    label=c.label if c.label is not None else f"parameter_{cid}",
                    component=_component_name(c),
                    python_type=python_type,
                    description=description,
                    has_default=value is not None,
                    default=value,
                    type=schema if isinstance(schema, dict) else {},
                )
            )
        returns: list[Return] = []
        for cid in e.outputs:
            c = config.components.get(cid)
            if c is None or c.skip_api:
                continue
            schema = _component_schema(c, as_input=False)
            returns.append(
                Return(
                    label=c.label if c.label is not None else f"value_{cid}",
                    component=_component_name(c),
                    python_type=json_schema_to_python_type(schema),
                    description=_schema_text(schema, "description"),
                    type=schema if isinstance(schema, dict) else {},
                )
            )
        entry = EndpointInfo(
            parameters=tuple(parameters),
            returns=tuple(returns),
            visibility=e.visibility,
        )
        if e.api_name is not None:
            named[e.api_name] = entry
        else:
            unnamed[e.fn_index] = entry
    return ApiInfo(named=named, unnamed=unnamed)


def _component_schema(c: Component, *, as_input: bool) -> Any:
    """The component's JSON schema for one direction, unwrapping the 3.x shape."""
    info = c.api_info
    if _is_legacy_info(info):
        return info["info"]
    specific = c.api_info_as_input if as_input else c.api_info_as_output
    return specific if specific is not None else info


def _is_legacy_info(info: Any) -> bool:
    """Gradio 3.x wraps a component's schema: ``{"info": schema, "serialized_info": b}``."""
    return isinstance(info, dict) and "info" in info and "type" not in info


def _schema_text(schema: Any, key: str) -> str:
    value = schema.get(key) if isinstance(schema, dict) else None
    return value if isinstance(value, str) else ""


def _component_name(c: Component) -> str:
    name = c.props.get("name")
    return (name if isinstance(name, str) and name else c.type).capitalize()


def _derived_name(label: str | None, position: int, used: set[str]) -> str:
    base = re.sub(r"[^0-9a-z_]+", "_", (label or "").lower()).strip("_")
    if not base or base in _RESERVED_NAMES:
        base = f"param_{position}"
    elif base[0].isdigit() or keyword.iskeyword(base):
        base = "_" + base if base[0].isdigit() else base + "_"
    name, n = base, 1
    while name in used:
        name = f"{base}_{n}"
        n += 1
    used.add(name)
    return name


# ====================================================================== call arguments


def build_data(endpoint: Endpoint, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> list[Any]:
    """Turn a call's ``*args, **kwargs`` into the wire ``data`` list (protocol.md §1.3).

    With parameter information (from ``/info``): positional arguments fill the first
    parameters, keyword arguments fill parameters by name, missing ones take their
    default; an unknown or duplicated keyword, a missing required argument, or more
    positional arguments than parameters raise :class:`ArgumentError` (a ``TypeError``;
    the official client silently accepts extra positional arguments).  Unnamed
    endpoints take positional arguments only.  Without parameter information, exactly
    one positional argument per API input is required.

    Then ``None`` is inserted at each skipped input position (state and other skipped
    components), giving one value per input component.  Default values in the result
    are the parameters' own objects, not copies: treat the list as read-only.
    """
    params = endpoint.parameters
    if params is None:
        if kwargs:
            raise ArgumentError(
                f"Endpoint {endpoint.display_name} has no parameter information, so it "
                f"takes positional arguments only (got keyword arguments: "
                f"{', '.join(map(str, kwargs))})."
            )
        if len(args) != endpoint.num_api_inputs:
            raise ArgumentError(
                f"Endpoint {endpoint.display_name} takes {endpoint.num_api_inputs} "
                f"positional argument(s) but {len(args)} were given."
            )
        values = list(args)
    else:
        values = _bind(endpoint, params, args, kwargs)
    if len(values) != endpoint.num_api_inputs:
        raise RemoteProtocolError(
            f"/info lists {len(values)} parameter(s) for {endpoint.display_name} but the "
            f"config gives it {endpoint.num_api_inputs} API input(s)."
        )
    skipped = set(endpoint.skipped_inputs)
    supplied = iter(values)
    return [None if i in skipped else next(supplied) for i in range(len(endpoint.inputs))]


def _bind(
    endpoint: Endpoint,
    params: tuple[Parameter, ...],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
) -> list[Any]:
    where = f"Endpoint {endpoint.display_name}"
    if len(args) > len(params):
        raise ArgumentError(
            f"{where} takes {len(params)} argument(s) but {len(args)} positional "
            f"argument(s) were given: {_signature(params)}."
        )
    if kwargs and endpoint.api_name is None:
        raise ArgumentError(
            f"{where} is unnamed, so it takes positional arguments only "
            f"(got keyword arguments: {', '.join(map(str, kwargs))})."
        )
    slots = list(args) + [_MISSING] * (len(params) - len(args))
    index = {p.name: i for i, p in enumerate(params) if p.name is not None}
    for key, value in kwargs.items():
        if key not in index:
            raise ArgumentError(
                f"{where} got an unexpected keyword argument {key!r}: {_signature(params)}."
            )
        i = index[key]
        if i < len(args):
            raise ArgumentError(
                f"{where} got multiple values for argument {key!r} (positional and keyword)."
            )
        slots[i] = value
    missing = []
    for i, p in enumerate(params):
        if slots[i] is _MISSING:
            if p.has_default:
                slots[i] = p.default  # shared with the Parameter: never mutate data
            else:
                missing.append(_param_name(p, i))
    if missing:
        raise ArgumentError(
            f"{where} is missing required argument(s): {', '.join(missing)}: "
            f"{_signature(params)}."
        )
    return slots


def _param_name(p: Parameter, position: int) -> str:
    if p.name:
        return p.name
    if p.label:
        return _derived_name(p.label, position, set())
    return f"param_{position}"


def _signature(params: tuple[Parameter, ...]) -> str:
    parts = []
    for i, p in enumerate(params):
        name = _param_name(p, i)
        parts.append(f"{name}={_render_value(p.default)}" if p.has_default else name)
    return "(" + ", ".join(parts) + ")"


# ============================================================================= outputs


def outputs_value(endpoint: Endpoint, data: Any) -> Any:
    """The user-facing result of a wire ``data`` list (protocol.md §1.10).

    Values of skipped outputs (state, layout) are removed.  Exactly one left: that bare
    value.  Otherwise a tuple (``()`` when every output was skipped).  Raises
    :class:`RemoteProtocolError` when ``data`` is not a list with one value per output.
    """
    if not isinstance(data, (list, tuple)):
        raise RemoteProtocolError(
            f"output.data for {endpoint.display_name} must be a list, got {type(data).__name__}"
        )
    if len(data) != len(endpoint.outputs):
        raise RemoteProtocolError(
            f"output.data for {endpoint.display_name} has {len(data)} value(s) but the "
            f"endpoint has {len(endpoint.outputs)} output(s)"
        )
    kept = [v for v, skip in zip(data, endpoint.skipped_outputs) if not skip]
    if len(kept) == 1:
        return kept[0]
    return tuple(kept)


# =============================================================================== files


def is_file_reference(value: Any, protocol: str, *, inputs: bool = False) -> bool:
    """True if ``value`` is a dict that stands for a file (see :func:`map_files`)."""
    if not isinstance(value, dict):
        return False
    meta = value.get("meta")
    if isinstance(meta, dict) and meta.get("_type") == _FILE_DATA:
        return isinstance(value.get("path"), str) or isinstance(value.get("url"), str)
    if inputs or protocol not in _LEGACY_FILE_PROTOCOLS:
        return False
    if isinstance(value.get("path"), str) and ("url" in value or "orig_name" in value):
        return True  # Gradio 4.0-4.20 FileData: {path, url, size, orig_name, mime_type}
    # Gradio 3.x: {name, data, is_file[, orig_name, size]}
    return isinstance(value.get("name"), str) and isinstance(value.get("is_file"), bool)


def map_files(
    value: Any,
    fn: Callable[[dict[str, Any]], Any],
    protocol: str,
    *,
    inputs: bool = False,
) -> Any:
    """Return ``value`` with ``fn(d)`` in place of every dict ``d`` that is a file reference.

    Which dicts are file references:

    * Always (inputs, and outputs of ``sse_v2.1``, ``sse_v3`` and any newer protocol):
      a dict whose ``meta`` is ``{"_type": "gradio.FileData", ...}`` and which has a
      str ``path`` or ``url`` -- what ``handle_file`` makes and what Gradio ≥ 4.21 sends.
    * Also, for *outputs* (``inputs=False``) of the older protocols ``ws``, ``sse``,
      ``sse_v1`` and ``sse_v2``, whose servers do not tag files:
      - Gradio 4.0-4.20 FileData: a str ``path`` and a ``url`` or ``orig_name`` key;
      - Gradio 3.x: a str ``name`` and a bool ``is_file``.

    A plain JSON object such as ``{"path": "x"}`` (a ``gr.JSON`` output) is therefore
    *not* a file on ``sse_v3``: the official client downloads it anyway (protocol.md
    §1.7).  ``fn``'s result is not searched further.  The walk enters lists, tuples and
    dict values; it never mutates ``value`` and shares unchanged subtrees with it.
    """

    def walk(node: Any) -> Any:  # recursion depth = nesting depth of value
        if isinstance(node, dict):
            if is_file_reference(node, protocol, inputs=inputs):
                return fn(node)
            changed = {k: walk(v) for k, v in node.items()}
            if all(changed[k] is node[k] for k in node):
                return node
            return changed
        if isinstance(node, (list, tuple)):
            items = [walk(v) for v in node]
            if all(a is b for a, b in zip(items, node)):
                return node
            return items if isinstance(node, list) else tuple(items)
        return node

    try:
        return walk(value)
    except RecursionError:
        raise RemoteProtocolError("a value is nested too deeply to search for files") from None


def has_files(value: Any, protocol: str, *, inputs: bool = False) -> bool:
    """Whether ``map_files`` would find a file reference in ``value``.

    The per-output check of the clients: it stops at the first reference and builds
    nothing, where ``map_files`` rebuilds every container it enters.
    """
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if is_file_reference(node, protocol, inputs=inputs):
                return True
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
    return False


# =============================================================================== view_api


def render_api(config: AppConfig, info: ApiInfo, all_endpoints: bool | None = None) -> str:
    """The human-readable API description that ``view_api()`` prints (protocol.md §1.4).

    ``all_endpoints=None`` shows the public named endpoints, or the unnamed ones when
    there are no named ones; ``True`` shows everything ``info`` holds (unnamed and
    undocumented endpoints too); ``False`` shows the public named endpoints only.
    """
    by_name = {e.api_name: e for e in config.endpoints.values() if e.api_name is not None}
    named = [
        (name, entry)
        for name, entry in info.named.items()
        if all_endpoints or entry.visibility == "public"
    ]
    unnamed = list(info.unnamed.items())
    show_unnamed = all_endpoints or (all_endpoints is None and not named)

    lines = ["Client.predict() Usage Info", "---------------------------"]
    lines.append(f"Named API endpoints: {len(named)}")
    for name, entry in named:
        lines += _render_endpoint(f'api_name="{name}"', entry, by_name.get(name))
    if show_unnamed:
        lines += ["", f"Unnamed API endpoints: {len(unnamed)}"]
        for index, entry in unnamed:
            lines += _render_endpoint(f"fn_index={index}", entry, config.endpoints.get(index))
    elif unnamed:
        lines += [
            "",
            f"Unnamed API endpoints: {len(unnamed)}, to view, run "
            f"Client.view_api(all_endpoints=True)",
        ]
    return "\n".join(lines) + "\n"


def _render_endpoint(selector: str, entry: EndpointInfo, endpoint: Endpoint | None) -> list[str]:
    names = [_param_name(p, i) for i, p in enumerate(entry.parameters)]
    returns = [_return_name(r, i) for i, r in enumerate(entry.returns)]
    result = ", ".join(returns) if len(returns) == 1 else "(" + ", ".join(returns) + ")"
    call = ", ".join([*names, selector])
    lines = ["", f" - predict({call}) -> {result}"]
    if entry.visibility == "undocumented":
        lines.append("    (undocumented: hidden from the app's API page, but callable)")
    if entry.description.strip():
        lines.append(f"    {_first_line(entry.description)}")
    if endpoint is not None and endpoint.is_generator:
        lines.append(
            "    Generator: submit() yields each intermediate output; "
            "predict() returns the last."
        )
    if entry.oauth_token:
        lines.append(
            f"    Takes your Hugging Face token ({entry.oauth_token}): pass "
            f"Client(..., oauth_token=...) to grant it."
        )
    lines.append("    Parameters:")
    for name, p in zip(names, entry.parameters):
        python_type = p.python_type
        if p.has_default:
            if p.default is None:
                python_type += " | None"
            need = f"(not required, defaults to: {_render_value(p.default)})"
        else:
            need = "(required)"
        lines.append(f"     - [{p.component or '?'}] {name}: {python_type} {need}{_note(p.description)}")
    if not entry.parameters:
        lines.append("     - None")
    lines.append("    Returns:")
    for name, r in zip(returns, entry.returns):
        lines.append(f"     - [{r.component or '?'}] {name}: {r.python_type}{_note(r.description)}")
    if not entry.returns:
        lines.append("     - None")
    return lines


def _first_line(text: str, limit: int = 200) -> str:
    """The first non-empty line of a (docstring-like) description, shortened."""
    line = next(line.strip() for line in text.splitlines() if line.strip())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _note(description: str) -> str:
    return f" ({_first_line(description)})" if description.strip() else ""


def _return_name(r: Return, position: int) -> str:
    return _derived_name(r.label, position, set()) if r.label else f"value_{position}"


def _render_value(value: Any, depth: int = 0) -> str:
    """A Python-looking rendering of a JSON default; file references as handle_file()."""
    if isinstance(value, (dict, list)) and depth >= _RENDER_DEPTH:
        return "..."
    if isinstance(value, dict):
        if is_file_reference(value, "sse_v3"):
            target = value.get("url") or value.get("path")
            return f"handle_file({target!r})"
        items = (f"{k!r}: {_render_value(v, depth + 1)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_render_value(v, depth + 1) for v in value) + "]"
    return repr(value)


def info_dict(info: ApiInfo) -> dict[str, Any]:
    """``view_api(return_format="dict")``: ``/info``'s own shape, without code snippets.

    ``{"named_endpoints": {"/x": {...}}, "unnamed_endpoints": {"3": {...}}}``, each entry
    with ``parameters`` (``label``, ``parameter_name``, ``parameter_has_default``,
    ``parameter_default``, ``type``, ``python_type: {type, description}``, ``component``,
    ``example_input``), ``returns``, ``api_visibility`` and ``description``.  Unnamed keys
    are strings, as in the JSON the official client returns.
    """
    return {
        "named_endpoints": {name: _entry_dict(e) for name, e in info.named.items()},
        "unnamed_endpoints": {str(i): _entry_dict(e) for i, e in info.unnamed.items()},
    }


def _entry_dict(entry: EndpointInfo) -> dict[str, Any]:
    out: dict[str, Any] = {
        "parameters": [
            {
                "label": p.label,
                "parameter_name": p.name,
                "parameter_has_default": p.has_default,
                "parameter_default": p.default,
                "type": p.type,
                "python_type": {"type": p.python_type, "description": p.description},
                "component": p.component,
                "example_input": p.example_input,
            }
            for p in entry.parameters
        ],
        "returns": [
            {
                "label": r.label,
                "type": r.type,
                "python_type": {"type": r.python_type, "description": r.description},
                "component": r.component,
            }
            for r in entry.returns
        ],
        "api_visibility": entry.visibility,
        "description": entry.description,
    }
    if entry.oauth_token is not None:
        out["oauth_token"] = entry.oauth_token
    return out
