"""Tolerant reading of server documents (``/config``, ``/info``).

A server document is decoded as plain JSON first; the readers then take each field they
need with its expected type.  A field of an unexpected type degrades to its default, that
field only, and is recorded in :class:`Notices` with its JSON path; the caller logs one
notice per document (logger ``gradio_client``, level WARNING) naming every degraded field.
Nothing falls back silently, and one odd field never costs the whole document.

Only what is not a server document at all raises :class:`RemoteProtocolError`: not JSON,
an HTML page, JSON nested too deeply, invalid UTF-8, or a top level that is not an object.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import msgspec

from ..errors import RemoteProtocolError

__all__ = ["LOGGER", "Notices", "decode_document"]

LOGGER = logging.getLogger("gradio_client")
_SHOWN = 10  # degraded fields named in one notice; the rest are counted


def decode_document(raw: Any, what: str) -> dict[str, Any]:
    """``raw`` (JSON bytes/str, or an already decoded mapping) as a dict, or raise."""
    if isinstance(raw, Mapping):
        try:
            raw = msgspec.json.encode(raw)
        except (TypeError, msgspec.EncodeError) as exc:
            raise RemoteProtocolError(f"Invalid {what}: not JSON data ({exc})") from None
    if not isinstance(raw, (bytes, bytearray, memoryview, str)):
        raise RemoteProtocolError(f"Invalid {what}: expected JSON text, got {type(raw).__name__}")
    try:
        value = msgspec.json.decode(raw)
    except RecursionError:  # msgspec's answer to JSON nested ~1000 levels deep
        raise RemoteProtocolError(f"Invalid {what}: JSON nested too deeply") from None
    except UnicodeDecodeError as exc:  # msgspec raises it for bad UTF-8 inside strings
        raise RemoteProtocolError(f"Invalid {what}: not valid UTF-8 ({exc})") from None
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
    if not isinstance(value, dict):
        raise RemoteProtocolError(
            f"Invalid {what}: expected a JSON object, got {_kind(value)}"
        )
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__  # pragma: no cover - JSON has no other kinds


class Notices:
    """The degraded fields of one document, and typed field readers that record them."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.fields: list[str] = []

    def bad(self, path: str, expected: str, value: Any) -> None:
        self.fields.append(f"{path} (expected {expected}, got {_kind(value)})")

    def log(self) -> None:
        """Log one WARNING naming the degraded fields, if any."""
        if not self.fields:
            return
        shown = "; ".join(self.fields[:_SHOWN])
        more = len(self.fields) - _SHOWN
        if more > 0:
            shown += f"; and {more} more"
        LOGGER.warning(
            "%s: %d field(s) of an unexpected type were ignored (each took its default): %s",
            self.what,
            len(self.fields),
            shown,
        )

    # -- readers: obj[key] when it has the expected type; else the default, recorded.
    # A missing key or a null takes the default without a notice (every generation leaves
    # fields out; null is how the servers say "not set").

    def str_(self, obj: dict[str, Any], key: str, path: str, default: Any = None) -> Any:
        value = obj.get(key)
        if value is None:
            return default
        if isinstance(value, str):
            return value
        self.bad(f"{path}.{key}", "str", value)
        return default

    def bool_(self, obj: dict[str, Any], key: str, path: str, default: Any = None) -> Any:
        value = obj.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self.bad(f"{path}.{key}", "bool", value)
        return default

    def int_(self, obj: dict[str, Any], key: str, path: str, default: Any = None) -> Any:
        value = obj.get(key)
        if value is None:
            return default
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self.bad(f"{path}.{key}", "int", value)
        return default

    def number(self, obj: dict[str, Any], key: str, path: str, default: Any = None) -> Any:
        value = obj.get(key)
        if value is None:
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        self.bad(f"{path}.{key}", "number", value)
        return default

    def dict_(self, obj: dict[str, Any], key: str, path: str) -> dict[str, Any] | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, dict):
            return value
        self.bad(f"{path}.{key}", "object", value)
        return None

    def list_(self, obj: dict[str, Any], key: str, path: str) -> list[Any] | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, list):
            return value
        self.bad(f"{path}.{key}", "array", value)
        return None

    def ints(self, obj: dict[str, Any], key: str, path: str) -> list[int] | None:
        """A list of ints (component ids); None, recorded, if any item is not an int."""
        values = self.list_(obj, key, path)
        if values is None:
            return None
        for i, v in enumerate(values):
            if not isinstance(v, int) or isinstance(v, bool):
                self.bad(f"{path}.{key}[{i}]", "int", v)
                return None
        return values
