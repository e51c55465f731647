"""``/info``: each endpoint's parameters and returns, read tolerantly into an ApiInfo.

The client fetches ``/info?all_endpoints=True`` (undocumented endpoints are callable, so
their parameter names are wanted too).  Where two endpoints share an api_name (rendering a
Blocks renames only the names that clash with the parent's), that document describes only
the last of them, so the client then also fetches the public ``/info``
(:func:`needs_public_info`, :func:`merge_public_info`).  Apps without ``/info`` (Gradio
before 3.37), or whose ``/info`` is unusable, get one derived from the config
(:func:`info_from_config`); the client logs a notice when it falls back.

Private entries are dropped (a server may list them; clients filter them again).  Entries
marked ``show_api: false`` (Gradio 4-5) are kept as ``undocumented``.  A field of an
unexpected type takes its default (a parameter that is not an object becomes a nameless
``Any`` parameter, keeping the positions of the others), with one logged notice naming
every such field.  Gradio 6 sends some labels as translation objects
(``{"key": ..., "_type": "translation_metadata"}``): an expected shape, read as no label.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from typing import Any

import msgspec

from ..errors import RemoteProtocolError
from ..pytypes import json_schema_to_python_type
from .model import ApiInfo, AppConfig, Component, EndpointInfo, Parameter, Return
from .tolerant import Notices, decode_document

__all__ = [
    "info_from_config",
    "merge_public_info",
    "needs_public_info",
    "parse_info",
    "with_info",
]

_VISIBILITIES = frozenset({"public", "undocumented", "private"})
# Names a parameter may not take, because predict()/submit() use them as keywords.
_RESERVED_NAMES = frozenset({"api_name", "fn_index", "result_callbacks", "headers"})
# Keys of an /info entry that the official client removes from view_api's dict.
_CLIENT_SIDE_KEYS = ("code_snippets", "api_visibility", "show_api")


def parse_info(raw: bytes | str | Mapping[str, Any]) -> ApiInfo:
    """Parse an ``/info`` response (with or without ``?all_endpoints=True``).

    Raises :class:`RemoteProtocolError` only when the document is not an API info at all
    (not a JSON object, or neither ``named_endpoints`` nor ``unnamed_endpoints``).  A
    missing ``python_type`` is computed from the JSON schema.
    """
    doc = decode_document(raw, "Gradio API info")
    if doc.get("named_endpoints") is None and doc.get("unnamed_endpoints") is None:
        raise RemoteProtocolError(
            "Invalid Gradio API info: it has neither 'named_endpoints' nor "
            "'unnamed_endpoints'"
        )
    notices = Notices("Gradio API info")
    # the document view_api hands out shares nothing with the parsed values: a second decode
    # of the same text (3 ms for a 300-endpoint app, where deep-copying the entries took 80)
    fresh = decode_document(raw, "Gradio API info")
    named: dict[str, EndpointInfo] = {}
    unnamed: dict[int, EndpointInfo] = {}
    document: dict[str, Any] = {"named_endpoints": {}, "unnamed_endpoints": {}}
    for key in ("named_endpoints", "unnamed_endpoints"):
        entries = notices.dict_(doc, key, "$") or {}
        for name, entry in entries.items():
            path = f"$.{key}[{name!r}]"
            if not isinstance(entry, dict):
                notices.bad(path, "object", entry)
                continue
            visibility = _visibility(entry, path, notices)
            if visibility == "private":
                continue
            if key == "named_endpoints":
                named[name] = _endpoint_info(entry, visibility, path, notices)
            elif name.isdigit():
                unnamed[int(name)] = _endpoint_info(entry, visibility, path, notices)
            else:
                notices.fields.append(f"{path} (expected an fn_index key)")
                continue
            if visibility == "public":
                document[key][name] = _client_view(fresh[key][name])
    notices.log()
    return ApiInfo(named=named, unnamed=unnamed, document=document)


def _client_view(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry as the official client keeps it: server keys in server order, minus the
    code snippets and visibility keys."""
    return {k: v for k, v in entry.items() if k not in _CLIENT_SIDE_KEYS}


def _visibility(entry: dict[str, Any], path: str, notices: Notices) -> str:
    visibility = notices.str_(entry, "api_visibility", path)
    if visibility in _VISIBILITIES:
        return str(visibility)
    if visibility is not None:
        notices.fields.append(f"{path}.api_visibility (unknown value {visibility!r})")
    return "undocumented" if notices.bool_(entry, "show_api", path) is False else "public"


def _endpoint_info(entry: dict[str, Any], visibility: str, path: str, notices: Notices) -> EndpointInfo:
    parameters = notices.list_(entry, "parameters", path) or []
    returns = notices.list_(entry, "returns", path) or []
    return EndpointInfo(
        parameters=tuple(
            _parameter(p, f"{path}.parameters[{i}]", notices) for i, p in enumerate(parameters)
        ),
        returns=tuple(
            _return(r, f"{path}.returns[{i}]", notices) for i, r in enumerate(returns)
        ),
        visibility=visibility,
        description=notices.str_(entry, "description", path) or "",
        oauth_token=notices.str_(entry, "oauth_token", path),
    )


def _label(item: dict[str, Any], path: str, notices: Notices) -> str | None:
    label = item.get("label")
    if isinstance(label, dict) and label.get("_type") == "translation_metadata":
        return None  # Gradio 6 i18n label: the text lives in the browser's translations
    return notices.str_(item, "label", path)  # type: ignore[no-any-return]


def _python_type(item: dict[str, Any], path: str, notices: Notices) -> tuple[str, str]:
    raw = item.get("python_type")
    schema = item.get("type")
    if isinstance(raw, str):  # Gradio 3.x
        return raw, ""
    if isinstance(raw, dict):
        where = f"{path}.python_type"
        type_ = notices.str_(raw, "type", where)
        description = notices.str_(raw, "description", where) or ""
        if type_ is not None:
            return type_, description
        return json_schema_to_python_type(schema), description
    if raw is not None:
        notices.bad(f"{path}.python_type", "object | str", raw)
    return json_schema_to_python_type(schema), ""


def _schema(item: dict[str, Any], path: str, notices: Notices) -> dict[str, Any]:
    schema = item.get("type")
    if schema is None or isinstance(schema, (dict, bool)):
        return schema if isinstance(schema, dict) else {}
    notices.bad(f"{path}.type", "object", schema)
    return {}


def _parameter(p: Any, path: str, notices: Notices) -> Parameter:
    if not isinstance(p, dict):
        notices.bad(path, "object", p)
        p = {}
    python_type, description = _python_type(p, path, notices)
    return Parameter(
        name=notices.str_(p, "parameter_name", path),
        label=_label(p, path, notices),
        component=notices.str_(p, "component", path),
        python_type=python_type,
        description=description,
        has_default=bool(notices.bool_(p, "parameter_has_default", path)),
        default=p.get("parameter_default"),
        type=_schema(p, path, notices),
        example_input=p.get("example_input"),
    )


def _return(r: Any, path: str, notices: Notices) -> Return:
    if not isinstance(r, dict):
        notices.bad(path, "object", r)
        r = {}
    python_type, description = _python_type(r, path, notices)
    return Return(
        label=_label(r, path, notices),
        component=notices.str_(r, "component", path),
        python_type=python_type,
        description=description,
        type=_schema(r, path, notices),
    )


def needs_public_info(config: AppConfig) -> bool:
    """Whether two callable endpoints share an api_name, so that the client should fetch
    the public ``/info`` too (the all-endpoints one describes only the last of them)."""
    seen: set[str] = set()
    for e in config.endpoints.values():
        if e.api_name is None or not e.is_valid:
            continue
        if e.api_name in seen:
            return True
        seen.add(e.api_name)
    return False


def merge_public_info(info: ApiInfo, public: ApiInfo) -> ApiInfo:
    """``info`` (all endpoints) with the entries of the public ``/info``: they describe the
    public endpoint of a shared api_name, and make view_api's dict."""
    return msgspec.structs.replace(info, public=dict(public.named), document=public.document)


def with_info(config: AppConfig, info: ApiInfo) -> AppConfig:
    """Return ``config`` with each endpoint's parameters and returns taken from ``info``.

    A named endpoint takes ``info.named[api_name]`` (a public one sharing its name with
    another takes the public ``/info`` entry, when fetched); an unnamed one takes
    ``info.unnamed[fn_index]``.  Endpoints ``info`` does not describe get ``None``.
    """
    endpoints = {}
    for fn_index, e in config.endpoints.items():
        if e.api_name is not None:
            entry = info.named.get(e.api_name)
            if info.public is not None:  # some api_names are shared
                if e.visibility == "public" and e.api_name in info.public:
                    entry = info.public[e.api_name]
                elif entry is not None and entry.visibility != e.visibility:
                    entry = None  # the entry of another endpoint with the same api_name
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
                    name=derived_name(c.label, position, used),
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


def derived_name(label: str | None, position: int, used: set[str]) -> str:
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
