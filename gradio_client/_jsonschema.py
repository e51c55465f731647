"""JSON schema <-> Python type helpers with the official ``gradio_client.utils`` semantics.

gradio itself calls these (``Blocks.get_api_info`` renders every parameter's ``python_type``
with :func:`json_schema_to_python_type`; ``gradio.mcp`` and the workflow API use
:func:`python_type_to_json_schema`; ``Blocks.serialize_data`` asks :func:`value_is_file`), so
the strings and schemas must be the official ones, character for character: a different
string would change the ``/info`` a gradio app serves.  ``tests/dropin/test_utils_diff.py``
compares every function here with the official one over real and generated inputs.

This renderer follows the official one also where it is strict: a schema it cannot read raises
(``APIInfoParseError``, or the ``KeyError``/``AttributeError``/``TypeError`` the official one
meets), because gradio relies on that.  The client's own renderer, which never raises and is
what ``view_api`` uses, is :mod:`gradio_client.protocol.pytypes`.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import types
import typing
from typing import Any


class APIInfoParseError(ValueError):
    """A JSON schema in an app's API info could not be rendered as a Python type."""


# The FileData shape as gradio 4.x-6.x renders it; the last one is gradio's current FileData,
# which json_schema_to_python_type shows as "filepath".
FILE_DATA_FORMATS = [
    "Dict(path: str | None (Path to a local file), url: str | None (Publicly available url or "
    "base64 encoded image), size: int | None (Size of image in bytes), orig_name: str | None "
    "(Original filename), mime_type: str | None (mime type of image), is_stream: bool (Can "
    "always be set to False), meta: Dict())",
    "dict(path: str | None (Path to a local file), url: str | None (Publicly available url or "
    "base64 encoded image), size: int | None (Size of image in bytes), orig_name: str | None "
    "(Original filename), mime_type: str | None (mime type of image), is_stream: bool (Can "
    "always be set to False), meta: dict())",
    "Dict(path: str, url: str | None, size: int | None, orig_name: str | None, mime_type: str | None)",
    "Dict(path: str, url: str | None, size: int | None, orig_name: str | None, mime_type: str | None, "
    "is_stream: bool)",
    "Dict(path: str, url: str | None, size: int | None, orig_name: str | None, mime_type: str | None, "
    "is_stream: bool, meta: Dict())",
    "dict(path: str, url: str | None, size: int | None, orig_name: str | None, mime_type: str | None, "
    "is_stream: bool, meta: dict())",
    "dict(path: str, url: str | None, size: int | None, orig_name: str | None, mime_type: str | None, "
    "is_stream: bool, meta: dict(_type: Literal[gradio.FileData]))",
]
CURRENT_FILE_DATA_FORMAT = FILE_DATA_FORMATS[-1]

_SCALARS = {"null": "None", "integer": "int", "string": "str", "boolean": "bool", "number": "float"}
_JSON_ANY = "str | float | bool | list | dict"
_FILE_TYPE = "gradio.FileData"


def get_type(schema: Any) -> Any:
    """The kind of a schema node, in the official precedence: ``const``, ``enum``, the
    ``type`` value itself, ``$ref``, ``oneOf``, ``anyOf``, ``allOf``; ``{}`` when none."""
    if "const" in schema:
        return "const"
    if "enum" in schema:
        return "enum"
    if "type" in schema:
        return schema["type"]
    for key in ("$ref", "oneOf", "anyOf", "allOf"):
        if schema.get(key):
            return key
    return {}


def _ref_name(ref: str) -> str:
    return ref.split("/")[-1]


def _deref(schema: Any, defs: Any) -> Any:
    """``schema`` itself, or the definition its ``$ref`` names when ``defs`` has it."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        if name in defs:
            return defs[name]
    return schema


def is_file_schema(schema: Any, defs: Any = None) -> bool:
    """An object schema of gradio's FileData: it has ``path`` and a ``meta`` whose ``_type``
    (the constant of its schema, else its default) is ``gradio.FileData``."""
    if defs is None:
        defs = schema.get("$defs", {})
    props = schema.get("properties", {})
    if "path" not in props or "meta" not in props:
        return False
    meta = _deref(props["meta"], defs)
    meta_props = meta.get("properties", {})
    if "_type" in meta_props:
        return bool(meta_props["_type"].get("const") == _FILE_TYPE)
    default = meta.get("default", {})
    return isinstance(default, dict) and default.get("_type") == _FILE_TYPE


def _render(schema: Any, defs: Any) -> str:
    if schema == {}:
        return "Any"
    kind = get_type(schema)
    if kind == {}:
        return _JSON_ANY if "json" in schema.get("description", {}) else "Any"
    if isinstance(kind, str) and kind in _SCALARS:
        return _SCALARS[kind]
    if kind == "$ref":
        return _render(defs[_ref_name(schema["$ref"])], defs)
    if kind == "const":
        return f"Literal[{schema['const']}]"
    if kind == "enum":
        return "Literal[" + ", ".join(f"'{value}'" for value in schema["enum"]) + "]"
    if kind == "array":
        items = schema.get("items", [])
        if "prefixItems" in items:
            return "tuple[" + ", ".join(_render(s, defs) for s in items["prefixItems"]) + "]"
        if "prefixItems" in schema:
            return "tuple[" + ", ".join(_render(s, defs) for s in schema["prefixItems"]) + "]"
        return f"list[{_render(items, defs)}]"
    if kind == "object":
        return _render_object(schema, defs)
    if kind in ("oneOf", "anyOf"):
        return " | ".join(_render(s, defs) for s in schema[kind])
    if kind == "allOf":
        return "All[" + ", ".join(_render(s, defs) for s in schema[kind]) + "]"
    raise APIInfoParseError(f"Cannot parse schema {schema}")


def _render_object(schema: Any, defs: Any) -> str:
    props = schema.get("properties", {})
    if is_file_schema(schema, defs or {}):
        return "filepath"
    parts = []
    for name, sub in props.items():
        if name == "$defs":
            continue
        rendered = _render(sub, defs)
        description = sub.get("description")
        parts.append(f"{name}: {rendered} ({description})" if description else f"{name}: {rendered}")
    if "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        parts.append("str, Any" if extra is True else f"str, {_render(extra, defs)}")
    return "dict(" + ", ".join(parts) + ")"


def json_schema_to_python_type(schema: Any) -> str:
    """The Python type string gradio shows for a JSON schema (``/info``'s ``python_type``)."""
    rendered = _render(schema, schema.get("$defs"))
    return rendered.replace(CURRENT_FILE_DATA_FORMAT, "filepath")


# ------------------------------------------------------------------ Python type -> schema
_PLAIN: dict[Any, dict[str, Any]] = {
    type(None): {"type": "null"},
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    dict: {"type": "object", "additionalProperties": {}},
    list: {"type": "array", "items": {}},
    tuple: {"type": "array"},
    set: {"type": "array", "uniqueItems": True},
    frozenset: {"type": "array", "uniqueItems": True},
    bytes: {"type": "string", "format": "byte"},
    bytearray: {"type": "string", "format": "byte"},
}


def python_type_to_json_schema(type_hint: Any) -> dict[str, Any]:
    """The JSON schema of a Python type hint; ``{}`` (anything) for what has none."""
    try:
        return _schema_of(type_hint)
    except Exception:
        return {}


def _is_union(origin: Any) -> bool:
    return origin is typing.Union or origin is types.UnionType or str(origin) == "|"


def _schema_of(hint: Any) -> dict[str, Any]:
    if hint is Any:
        return {}
    for plain, schema in _PLAIN.items():
        if hint is plain:
            return {k: (dict(v) if isinstance(v, dict) else v) for k, v in schema.items()}
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Literal:
        return {"const": args[0]} if len(args) == 1 else {"enum": list(args)}
    if _is_union(origin):
        if len(args) == 2 and type(None) in args:
            other = args[0] if args[1] is type(None) else args[1]
            return {"oneOf": [{"type": "null"}, _schema_of(other)]}
        return {"anyOf": [_schema_of(a) for a in args]}
    if origin is list:
        return {"type": "array", "items": _schema_of(args[0]) if args else {}}
    if origin is tuple:
        return _tuple_schema(args)
    if origin is set or origin is frozenset:
        unique: dict[str, Any] = {"type": "array", "uniqueItems": True}
        if args:
            unique["items"] = _schema_of(args[0])
        return unique
    if origin is dict:
        if not args:
            return {"type": "object", "additionalProperties": {}}
        key, value = args
        if key is not str:
            raise ValueError("JSON Schema only supports string keys in objects")
        return {"type": "object", "additionalProperties": _schema_of(value)}
    if inspect.isclass(hint) and issubclass(hint, enum.Enum):
        return {"enum": [member.value for member in hint]}
    if inspect.isclass(hint) and hasattr(hint, "__annotations__"):
        return _class_schema(hint)
    return {}


def _tuple_schema(args: tuple[Any, ...]) -> dict[str, Any]:
    if not args:
        return {"type": "array"}
    if len(args) == 2 and args[1] is ...:
        return {"type": "array", "items": _schema_of(args[0])}
    return {"type": "array", "prefixItems": [_schema_of(a) for a in args],
            "minItems": len(args), "maxItems": len(args)}


def _class_schema(cls: type) -> dict[str, Any]:
    """A TypedDict, dataclass or annotated class as an object schema.  Which fields are
    ``required`` follows the official rule: every field of a total TypedDict (none of a
    non-total one); a dataclass field whose default is falsy (a field without a default has
    the truthy ``MISSING`` sentinel, so it is *not* required); every field of other classes."""
    hints = typing.get_type_hints(cls)
    properties = {name: _schema_of(hint) for name, hint in hints.items()}
    if hasattr(cls, "__total__"):
        required = list(hints) if cls.__total__ else []
    elif dataclasses.is_dataclass(cls) or hasattr(cls, "__dataclass_fields__"):
        fields = cls.__dataclass_fields__
        required = [name for name in hints if not fields[name].default]
    else:
        required = list(hints)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


# ------------------------------------------------------------------------ file detection
def value_is_file(api_info: Any) -> bool:
    """Whether a component's API schema holds a FileData anywhere (following ``$ref``s)."""
    return _contains_file(api_info, api_info.get("$defs", {}))


def _contains_file(node: Any, defs: Any) -> bool:
    if isinstance(node, list):
        return any(_contains_file(item, defs) for item in node)
    if not isinstance(node, dict):
        return False
    if "$ref" in node:
        name = _ref_name(node["$ref"])
        return name in defs and _contains_file(defs[name], defs)
    if is_file_schema(node, defs):
        return True
    return any(_contains_file(value, defs) for key, value in node.items()
               if key != "$defs" and isinstance(value, (dict, list)))
