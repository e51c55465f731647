"""Which values are file references, for inputs (uploads) and outputs (downloads)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import RemoteProtocolError

__all__ = ["has_files", "is_file_reference", "map_files"]

_LEGACY_FILE_PROTOCOLS = frozenset({"ws", "sse", "sse_v1", "sse_v2"})
_FILE_DATA = "gradio.FileData"


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
    *not* a file on ``sse_v3``: the official client downloads it anyway.  ``fn``'s result is not searched further.  The walk enters lists, tuples and
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
