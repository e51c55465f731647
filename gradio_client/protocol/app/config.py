"""``/config``: the app's components and dependencies, read tolerantly into an AppConfig.

Generations.  Gradio 3.x configs have no ``protocol`` (the client speaks ``ws``), no
dependency ``id`` (``fn_index`` is the list position) and may have no ``/info`` route.
Gradio 4 adds ``protocol``, ``skip_api`` and ``id``; Gradio 5 adds ``api_prefix``; Gradio 6
replaces ``api_name: false`` / ``show_api: false`` with ``api_visibility``.  Every field a
generation may lack has a default and unknown fields are ignored.  A field of an unexpected
type takes its default (a component or dependency that cannot be read at all is left out),
with one logged notice naming every such field (see ``tolerant.py``).

Skipped components.  A component is *skipped* (not part of the API) when its ``skip_api``
flag says so; a config without the flag (Gradio 3.x) skips the types in
:data:`~.model.SKIP_TYPES` (state and layout).  ``/info`` never lists skipped components,
so the user's arguments cover only the non-skipped inputs.  The official client inserts
``None`` only for ``state`` inputs, which breaks endpoints with another skipped input such
as a ``gr.Button`` (Gradio 6 marks buttons ``skip_api``; the server then answers "didn't
receive enough input values").  Skipped outputs are on the wire (state values come back as
``null``) and are removed from the user's result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import RemoteProtocolError
from ..pytypes import is_file_schema
from .model import SKIP_TYPES, AppConfig, Component, Endpoint
from .tolerant import Notices, decode_document

__all__ = ["parse_config"]

_VISIBILITIES = frozenset({"public", "undocumented", "private"})
_LEGACY_FILE_SERIALIZERS = frozenset(
    {"ImgSerializable", "FileSerializable", "VideoSerializable", "GallerySerializable"}
)


def parse_config(raw: bytes | str | Mapping[str, Any]) -> AppConfig:
    """Parse a ``/config`` response (JSON bytes/str, or an already decoded dict).

    Tolerant of every generation from 3.x to 6.x.  Raises :class:`RemoteProtocolError`
    only when the document is not a Gradio Blocks config (not JSON, HTML, not an object,
    no ``dependencies``), naming the problem; odd fields degrade with a logged notice.
    """
    doc = decode_document(raw, "Gradio config")
    notices = Notices("Gradio config")
    if "dependencies" not in doc or doc["dependencies"] is None:
        if doc.get("allow_flagging") is not None:
            raise RemoteProtocolError(
                "This is a Gradio 2.x app (its config has 'allow_flagging' and no "
                "'dependencies'); Gradio 2.x is not supported."
            )
        raise RemoteProtocolError(
            "Invalid Gradio config: it has no 'dependencies' list (is this a Gradio app?)"
        )
    protocol = notices.str_(doc, "protocol", "$") or "ws"
    version = notices.str_(doc, "version", "$") or ""
    components: dict[int, Component] = {}
    takes_files: dict[int, bool] = {}
    for i, c in enumerate(notices.list_(doc, "components", "$") or ()):
        component = _component(c, f"$.components[{i}]", notices)
        if component is not None:
            components[component.id] = component
            takes_files[component.id] = _takes_files(c)
    enable_queue = notices.bool_(doc, "enable_queue", "$", protocol != "ws")
    endpoints: dict[int, Endpoint] = {}
    for position, dep in enumerate(notices.list_(doc, "dependencies", "$") or ()):
        path = f"$.dependencies[{position}]"
        e = _endpoint(position, dep, path, notices, components, takes_files, protocol, enable_queue)
        if e is not None:
            endpoints[e.fn_index] = e
    prefix = (notices.str_(doc, "api_prefix", "$") or "").rstrip("/")
    if prefix and not prefix.startswith("/"):
        prefix = "/" + prefix
    max_file_size = notices.number(doc, "max_file_size", "$")
    config = AppConfig(
        version=version,
        protocol=protocol,
        api_prefix=prefix,
        connect_heartbeat=bool(notices.bool_(doc, "connect_heartbeat", "$")),
        enable_queue=enable_queue,
        max_file_size=int(max_file_size) if max_file_size is not None else None,
        space_id=notices.str_(doc, "space_id", "$"),
        show_error=bool(notices.bool_(doc, "show_error", "$")),
        root=notices.str_(doc, "root", "$"),
        endpoints=endpoints,
        components=components,
    )
    notices.log()  # after the last field is read: the notice names every degraded field
    return config


def _component(c: Any, path: str, notices: Notices) -> Component | None:
    if not isinstance(c, dict):
        notices.bad(path, "object", c)
        return None
    cid = notices.int_(c, "id", path)
    if cid is None:
        if "id" not in c:
            notices.fields.append(f"{path}.id (missing)")
        return None
    type_ = notices.str_(c, "type", path) or ""
    flag = notices.bool_(c, "skip_api", path)
    return Component(
        id=cid,
        type=type_,
        skip_api=flag if flag is not None else type_ in SKIP_TYPES,
        props=notices.dict_(c, "props", path) or {},
        api_info=c.get("api_info"),
        api_info_as_input=c.get("api_info_as_input"),
        api_info_as_output=c.get("api_info_as_output"),
    )


def _endpoint(
    position: int,
    dep: Any,
    path: str,
    notices: Notices,
    components: dict[int, Component],
    takes_files: dict[int, bool],
    protocol: str,
    enable_queue: bool,
) -> Endpoint | None:
    if not isinstance(dep, dict):
        notices.bad(path, "object", dep)
        return None
    inputs = notices.ints(dep, "inputs", path)
    outputs = notices.ints(dep, "outputs", path)
    if inputs is None and dep.get("inputs") is not None:
        return None  # which values to send is unknown: the endpoint cannot be called
    if outputs is None and dep.get("outputs") is not None:
        return None
    inputs = inputs or []
    outputs = outputs or []
    api_name_raw = dep.get("api_name")
    if api_name_raw is not None and not isinstance(api_name_raw, (str, bool)):
        notices.bad(f"{path}.api_name", "str | bool", api_name_raw)
        api_name_raw = None
    visibility_raw = notices.str_(dep, "api_visibility", path)
    show_api = notices.bool_(dep, "show_api", path)
    if visibility_raw in _VISIBILITIES:
        visibility: str = visibility_raw
    elif api_name_raw is False:
        visibility = "private"
    elif show_api is False:
        visibility = "undocumented"
    else:
        visibility = "public"
    api_name = "/" + api_name_raw if isinstance(api_name_raw, str) else None

    def type_of(cid: int) -> str:
        c = components.get(cid)
        return c.type if c is not None else ""

    def skipped(cid: int) -> bool:
        # An id missing from "components" (e.g. created later by gr.render) is kept.
        c = components.get(cid)
        return c is not None and c.skip_api

    dep_queue = notices.bool_(dep, "queue", path)
    if protocol == "ws":  # Gradio 3.x: websocket queue only when the app enables it
        queue = enable_queue and dep_queue is not False
    else:
        queue = dep_queue is not False
    types = notices.dict_(dep, "types", path) or {}
    fn_index = notices.int_(dep, "id", path)
    return Endpoint(
        fn_index=fn_index if fn_index is not None else position,
        api_name=api_name,
        visibility=visibility,
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        input_types=tuple(type_of(c) for c in inputs),
        output_types=tuple(type_of(c) for c in outputs),
        state_inputs=tuple(i for i, c in enumerate(inputs) if type_of(c) == "state"),
        skipped_inputs=tuple(i for i, c in enumerate(inputs) if skipped(c)),
        skipped_outputs=tuple(skipped(c) for c in outputs),
        file_inputs=tuple(i for i, c in enumerate(inputs) if takes_files.get(c, False)),
        is_generator=bool(notices.bool_(types, "generator", f"{path}.types")),
        queue=queue,
        cancels=tuple(notices.ints(dep, "cancels", path) or ()),
        connection=notices.str_(dep, "connection", path) or "sse",
        backend_fn=notices.bool_(dep, "backend_fn", path) is not False,
        batch=bool(notices.bool_(dep, "batch", path)),
    )


def _takes_files(c: dict[str, Any]) -> bool:
    serializer = c.get("serializer")
    if isinstance(serializer, str):  # Gradio 3.x
        return serializer in _LEGACY_FILE_SERIALIZERS
    schema = c.get("api_info_as_input")
    if schema is None:
        schema = c.get("api_info")
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
