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


# gradio 4.x and 5.x name the files they save (uploads, cached outputs) with this helper:
# under them it keeps the rule of the official client they were released with, so an app
# serves the same file names as on that client (tests/dropin/test_older_gradio_on_ours.py).
_GRADIO_MAJOR = _gradio_major()
if _GRADIO_MAJOR in (4, 5):
    strip_invalid_filename_characters = _strip_filename_1x  # noqa: F811


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
