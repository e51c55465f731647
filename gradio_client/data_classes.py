"""``FileData`` and ``ParameterInfo``: the official client's typed dicts.

gradio uses ``ParameterInfo`` as a field type of its ``APIEndpointInfo`` model.  As in the
official module, the annotations are strings (``from __future__ import annotations``), so at
run time every key counts as required (``__optional_keys__`` is empty) even where the
annotation says ``NotRequired``; key order and key sets equal the official ones
(``tests/dropin/test_utils_diff.py`` compares them).
"""

from __future__ import annotations

import sys
from typing import Any

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # pragma: no cover - Python 3.10
    from typing import TypedDict

    try:
        from typing_extensions import NotRequired
    except ImportError:  # only get_type_hints() on these classes needs it
        pass


class FileData(TypedDict):
    """A file as the 3.x/4.0-era official client passed it around."""

    name: str | None  # file name
    data: str | None  # base64-encoded content
    size: NotRequired[int | None]  # bytes
    is_file: NotRequired[bool]  # whether ``name`` is a file (else ``data`` holds base64)
    orig_name: NotRequired[str]  # the original file name
    mime_type: NotRequired[str]
    is_stream: NotRequired[bool]


class ParameterInfo(TypedDict):
    """One parameter of an endpoint in an app's ``/info``."""

    label: str
    parameter_name: str
    parameter_has_default: NotRequired[bool]
    parameter_default: NotRequired[Any]
    type: dict[str, Any]
    python_type: dict[str, Any]
    component: str
    example_input: Any


__all__ = ["FileData", "ParameterInfo"]
