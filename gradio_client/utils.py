"""The official client's ``gradio_client.utils`` names that gradio and downstream code import.

gradio itself imports this module (``from gradio_client import utils as client_utils``) and
calls the helpers below while it builds ``/info``, serialises files and runs events, so they
keep the official semantics (see :mod:`gradio_client._compat` and
:mod:`gradio_client._jsonschema`; ``tests/dropin/`` compares them with the official ones).

``Status``, ``StatusUpdate``, ``ProgressUnit`` and ``OutputUpdate`` are this library's own
(also exported by ``gradio_client``); ``InvalidAPIEndpointError`` is the official name of
``EndpointNotFoundError``; ``apply_diff`` applies a generator diff without mutating its input.
``import gradio_client`` does not load this module: it is loaded on first use.
"""

from __future__ import annotations

import enum
import os
from typing import Any

from . import __version__
from ._compat import (
    async_traverse,
    construct_args,
    decode_base64_to_binary,
    decode_base64_to_file,
    encode_file_path,
    encode_file_to_base64,
    encode_url_or_file_to_base64,
    encode_url_to_base64,
    get_extension,
    get_mimetype,
    is_file_obj,
    is_file_obj_with_meta,
    is_file_obj_with_url,
    is_filepath,
    is_http_url_like,
    is_valid_file,
    sanitize_parameter_names,
    strip_invalid_filename_characters,
    synchronize_async,
    traverse,
)
from ._files import file, handle_file
from ._jsonschema import (
    CURRENT_FILE_DATA_FORMAT,
    FILE_DATA_FORMATS,
    APIInfoParseError,
    get_type,
    json_schema_to_python_type,
    python_type_to_json_schema,
    value_is_file,
)
from .errors import EndpointNotFoundError, QueueError, TooManyRequestsError
from .protocol.diff import apply_diff
from .protocol.messages import ProgressUnit
from .protocol.status import OutputUpdate, Status, StatusUpdate

InvalidAPIEndpointError = EndpointNotFoundError


class SpaceDuplicationError(Exception):
    """Duplicating a Hugging Face Space failed."""


class ServerMessage(str, enum.Enum):
    """The ``msg`` values of Gradio's queue messages (gradio's server builds its messages
    with these)."""

    send_hash = "send_hash"
    queue_full = "queue_full"
    estimation = "estimation"
    send_data = "send_data"
    process_starts = "process_starts"
    process_generating = "process_generating"
    process_completed = "process_completed"
    log = "log"
    progress = "progress"
    heartbeat = "heartbeat"
    server_stopped = "Server stopped unexpectedly."
    unexpected_error = "unexpected_error"
    close_stream = "close_stream"
    process_streaming = "process_streaming"


def _gradio_major() -> int | None:
    """The major version of the installed ``gradio`` (None: not installed, or unreadable),
    read from its metadata, without importing it."""
    from importlib import metadata

    try:
        return int(metadata.version("gradio").split(".")[0])
    except (metadata.PackageNotFoundError, ValueError):
        return None


def _strip_filename_1x(filename: str, max_bytes: int = 200) -> str:
    """The file-name rule of the official client 1.x (which gradio 4.x and 5.x install):
    keep letters, digits and ``._-`` and spaces (and commas in the stem, for gradio 5),
    then drop characters from the end (gradio 4: of the whole name; gradio 5: of the stem,
    the extension kept) until the name fits in ``max_bytes`` bytes of UTF-8."""
    if _GRADIO_MAJOR == 4:
        name, ext, allowed = filename, "", "._- "
    else:
        name, ext = os.path.splitext(filename)
        allowed = "._-, "
    name = "".join(c for c in name if c.isalnum() or c in allowed)
    while name and len((name + ext).encode()) > max_bytes:
        name = name[:-1]
    return name + ext


def _render_1x(schema: Any, defs: Any) -> str:
    """A JSON schema as the official client 1.x renders it: no ``filepath`` shortcut for a
    FileData object (its fields are spelled out), and under gradio 4 (client 1.3) the
    capitalised ``Dict(...)``, ``List[...]``, ``Tuple[...]`` and ``Dict[Any, Any]``."""
    old = _GRADIO_MAJOR == 4
    if schema == {}:
        return "Any"
    kind = get_type(schema)
    if kind == {}:
        if "json" in schema.get("description", {}):
            return "Dict[Any, Any]" if old else "str | float | bool | list | dict"
        return "Any"
    if isinstance(kind, str) and kind in _SCALARS_1X:
        return _SCALARS_1X[kind]
    if kind == "$ref":
        return _render_1x(defs[schema["$ref"].split("/")[-1]], defs)
    if kind == "const":
        return f"Literal[{schema['const']}]"
    if kind == "enum":
        return "Literal[" + ", ".join(f"'{value}'" for value in schema["enum"]) + "]"
    if kind == "array":
        items = schema.get("items", [])
        tuple_, list_ = ("Tuple", "List") if old else ("tuple", "list")
        for holder in (items, schema):
            if "prefixItems" in holder:
                return f"{tuple_}[" + ", ".join(_render_1x(s, defs) for s in holder["prefixItems"]) + "]"
        return f"{list_}[{_render_1x(items, defs)}]"
    if kind == "object":
        parts = []
        for name, sub in schema.get("properties", {}).items():
            if name != "$defs":
                described = f" ({sub.get('description')})" if sub.get("description") else ""
                parts.append(f"{name}: {_render_1x(sub, defs)}{described}")
        if "additionalProperties" in schema:
            extra = schema["additionalProperties"]
            parts.append("str, Any" if extra is True and not old else f"str, {_render_1x(extra, defs)}")
        return ("Dict(" if old else "dict(") + ", ".join(parts) + ")"
    if kind in ("oneOf", "anyOf"):
        return " | ".join(_render_1x(s, defs) for s in schema[kind])
    if kind == "allOf":
        return "All[" + ", ".join(_render_1x(s, defs) for s in schema[kind]) + "]"
    raise APIInfoParseError(f"Cannot parse schema {schema}")


_SCALARS_1X = {"null": "None", "integer": "int", "string": "str", "boolean": "bool", "number": "float"}


def _file_formats_1x() -> list[str]:
    # client 1.3 (gradio 4) knew the three "Dict(path: str, ...)" shapes; 1.14 all of them
    return FILE_DATA_FORMATS[2:5] if _GRADIO_MAJOR == 4 else list(FILE_DATA_FORMATS)


def _json_schema_to_python_type_1x(schema: Any) -> str:
    """``json_schema_to_python_type`` of the official client 1.x (see :func:`_render_1x`)."""
    return _render_1x(schema, schema.get("$defs")).replace(_file_formats_1x()[-1], "filepath")


def _value_is_file_1x(api_info: Any) -> bool:
    """``value_is_file`` of the official client 1.x: the rendered type names a FileData shape."""
    rendered = _render_1x(api_info, api_info.get("$defs"))
    return any(shape in rendered for shape in _file_formats_1x())


# gradio 4.x and 5.x name the files they save (uploads, cached outputs), render /info's
# python types and find file parameters with these helpers: under them they keep the rules
# of the official client 1.x they were released with, so an app serves the same file names
# and /info as on that client (tests/dropin/test_older_gradio_on_ours.py).
_GRADIO_MAJOR = _gradio_major()
if _GRADIO_MAJOR in (4, 5):
    strip_invalid_filename_characters = _strip_filename_1x  # noqa: F811
    json_schema_to_python_type = _json_schema_to_python_type_1x  # noqa: F811
    value_is_file = _value_is_file_1x  # noqa: F811


STATE_COMPONENT = "state"
# Component types the official client leaves out of an endpoint's parameters and outputs
# by default (layout blocks, state, and datasets).
SKIP_COMPONENTS = {
    "state", "row", "column", "tabs", "tab", "tabitem", "box", "form", "accordion", "group",
    "interpretation", "dataset", "sidebar",
}

__all__ = [
    "APIInfoParseError",
    "CURRENT_FILE_DATA_FORMAT",
    "FILE_DATA_FORMATS",
    "InvalidAPIEndpointError",
    "OutputUpdate",
    "ProgressUnit",
    "QueueError",
    "SKIP_COMPONENTS",
    "STATE_COMPONENT",
    "ServerMessage",
    "SpaceDuplicationError",
    "Status",
    "StatusUpdate",
    "TooManyRequestsError",
    "__version__",
    "apply_diff",
    "async_traverse",
    "construct_args",
    "decode_base64_to_binary",
    "decode_base64_to_file",
    "encode_file_path",
    "encode_file_to_base64",
    "encode_url_or_file_to_base64",
    "encode_url_to_base64",
    "file",
    "get_extension",
    "get_mimetype",
    "get_type",
    "handle_file",
    "is_file_obj",
    "is_file_obj_with_meta",
    "is_file_obj_with_url",
    "is_filepath",
    "is_http_url_like",
    "is_valid_file",
    "json_schema_to_python_type",
    "python_type_to_json_schema",
    "sanitize_parameter_names",
    "strip_invalid_filename_characters",
    "synchronize_async",
    "traverse",
    "value_is_file",
]
