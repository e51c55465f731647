"""Render a JSON schema as the Python type string Gradio shows in its API docs.

Gradio servers already send ``python_type`` strings in ``/info`` (the server computes
them with the official client's function).  We need our own renderer for apps that have
no ``/info`` (Gradio 3.x, where we derive the API from ``/config``) and as a fallback
when an ``/info`` entry lacks ``python_type``.  The output follows the server's format
(docs/wire.md, "/info and Python types") so that view_api text looks the same
whichever source it came from:

==========================================  ===========================================
schema                                      rendered as
==========================================  ===========================================
``{}``, ``true``, anything not an object    ``Any`` (``false`` is ``Never``)
``{"const": v}``                            ``Literal[v]`` (value printed bare)
``{"enum": [a, b]}``                        ``Literal['a', 'b']``
``integer``/``string``/``boolean``/         ``int``/``str``/``bool``/``float``/``None``
``number``/``null``
``{"type": [t1, t2]}``                      ``T1 | T2``
``array`` with ``prefixItems``              ``tuple[A, B]``
``array`` with ``items``                    ``list[T]`` (``list[Any]`` without items)
``object``                                  ``dict(name: T (description), ..., str, T)``
                                            (the last part from ``additionalProperties``)
an object with ``path`` and a ``meta``      ``filepath``
whose ``_type`` is ``gradio.FileData``
(4.0-4.20: titled ``FileData``)
``oneOf`` / ``anyOf``                       ``A | B``
``allOf``                                   ``All[A, B]``
``{"$ref": "#/$defs/X"}``                   the rendering of ``defs["X"]``; a reference
                                            back into itself renders as ``X``
no usable type, "json" in the description   ``str | float | bool | list | dict``
anything else                               ``Any``
==========================================  ===========================================

The function is *total*: it never raises, whatever it is given (Gradio issue #10792 was
one schema crashing the official renderer, and through it whole apps).  Cycles through
``$ref`` are cut, nesting deeper than :data:`MAX_DEPTH` renders as ``Any``, and a budget
of :data:`MAX_NODES` visited schema nodes bounds the work on adversarial input.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_DEPTH", "MAX_NODES", "json_schema_to_python_type", "is_file_schema"]

MAX_DEPTH = 64
MAX_NODES = 20_000

_JSON_ANY = "str | float | bool | list | dict"
_SIMPLE = {
    "integer": "int",
    "string": "str",
    "boolean": "bool",
    "number": "float",
    "null": "None",
}
_FILE_DATA = "gradio.FileData"


def json_schema_to_python_type(schema: Any, defs: dict[str, Any] | None = None) -> str:
    """Return the Python type string for a JSON schema; never raises.

    ``defs`` are the definitions ``$ref`` points into; by default the schema's own
    ``$defs``.
    """
    if defs is None and isinstance(schema, dict):
        own = schema.get("$defs")
        defs = own if isinstance(own, dict) else None
    try:
        return _Renderer(defs if isinstance(defs, dict) else {}).render(schema, 0)
    except RecursionError:  # only when called with the stack already nearly exhausted
        return "Any"


def is_file_schema(schema: Any, defs: dict[str, Any] | None = None) -> bool:
    """True if ``schema`` describes a Gradio FileData object.

    That is an object with a ``path`` property and a ``meta`` whose ``_type`` is
    ``gradio.FileData`` (Gradio >= 4.21), or, from Gradio 4.0-4.20 which had no ``meta``,
    an object titled ``FileData`` with a ``path`` property.
    """
    if not isinstance(schema, dict):
        return False
    if defs is None:
        own = schema.get("$defs")
        defs = own if isinstance(own, dict) else {}
    props = schema.get("properties")
    if not isinstance(props, dict) or "path" not in props:
        return False
    if "meta" not in props:
        return schema.get("title") == "FileData"
    meta = _resolve(props["meta"], defs)
    if not isinstance(meta, dict):
        return False
    meta_props = meta.get("properties")
    if isinstance(meta_props, dict) and "_type" in meta_props:
        type_schema = meta_props["_type"]
        return isinstance(type_schema, dict) and type_schema.get("const") == _FILE_DATA
    default = meta.get("default")
    return isinstance(default, dict) and default.get("_type") == _FILE_DATA


def _resolve(schema: Any, defs: dict[str, Any]) -> Any:
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        return defs.get(_ref_name(schema["$ref"]), {})
    return schema


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


class _Renderer:
    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs
        self.budget = MAX_NODES
        self.resolving: list[str] = []

    def render(self, schema: Any, depth: int) -> str:
        self.budget -= 1
        if self.budget < 0 or depth > MAX_DEPTH:
            return "Any"
        if schema is False:
            return "Never"
        if not isinstance(schema, dict) or not schema:
            return "Any"
        nested = schema.get("$defs")
        if isinstance(nested, dict) and nested and nested is not self.defs:
            # a sub-schema carrying its own definitions (e.g. one component's schema
            # embedded in another): make them visible while rendering it
            outer, self.defs = self.defs, {**self.defs, **nested}
            try:
                return self._render_dict(schema, depth)
            finally:
                self.defs = outer
        return self._render_dict(schema, depth)

    def _render_dict(self, schema: dict[str, Any], depth: int) -> str:
        if "const" in schema:
            return f"Literal[{_plain(schema['const'])}]"
        if "enum" in schema:
            values = schema["enum"]
            if not isinstance(values, list) or not values:
                return "Any"
            return "Literal[" + ", ".join(f"'{_plain(v)}'" for v in values) + "]"
        if "type" in schema:
            return self._typed(schema, schema["type"], depth)
        return self._untyped(schema, depth)

    def _untyped(self, schema: dict[str, Any], depth: int) -> str:
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref:
            return self._ref(ref, depth)
        for key in ("oneOf", "anyOf"):
            if schema.get(key):
                return self._join(schema[key], " | ", depth)
        if schema.get("allOf"):
            return f"All[{self._join(schema['allOf'], ', ', depth)}]"
        description = schema.get("description")
        if isinstance(description, str) and "json" in description:
            return _JSON_ANY
        return "Any"

    def _typed(self, schema: dict[str, Any], type_: Any, depth: int) -> str:
        if isinstance(type_, list):
            parts = [self._typed(schema, t, depth + 1) for t in type_]
            return " | ".join(parts) if parts else "Any"
        if not isinstance(type_, str):
            # e.g. gr.JSON's {"type": {}, "description": "any valid json"}
            return self._untyped(schema, depth)
        if type_ in _SIMPLE:
            return _SIMPLE[type_]
        if type_ == "array":
            return self._array(schema, depth)
        if type_ == "object":
            return self._object(schema, depth)
        return "Any"

    def _array(self, schema: dict[str, Any], depth: int) -> str:
        items = schema.get("items")
        prefix = schema.get("prefixItems")
        if isinstance(items, dict) and isinstance(items.get("prefixItems"), list):
            prefix = items["prefixItems"]
        if isinstance(prefix, list):
            return f"tuple[{self._join(prefix, ', ', depth)}]"
        if isinstance(items, list):  # draft-4 style tuple validation
            return f"tuple[{self._join(items, ', ', depth)}]"
        return f"list[{self.render(items if items is not None else {}, depth + 1)}]"

    def _object(self, schema: dict[str, Any], depth: int) -> str:
        if is_file_schema(schema, self.defs):
            return "filepath"
        parts = []
        props = schema.get("properties")
        if isinstance(props, dict):
            for name, sub in props.items():
                if name == "$defs":
                    continue
                text = f"{_plain(name)}: {self.render(sub, depth + 1)}"
                description = sub.get("description") if isinstance(sub, dict) else None
                if description:
                    text += f" ({_plain(description)})"
                parts.append(text)
        if "additionalProperties" in schema:
            extra = schema["additionalProperties"]
            if extra is True:
                parts.append("str, Any")
            elif extra is not False:
                parts.append(f"str, {self.render(extra, depth + 1)}")
        return f"dict({', '.join(parts)})"

    def _ref(self, ref: str, depth: int) -> str:
        name = _ref_name(ref)
        if name in self.resolving:
            return name or "Any"
        if name not in self.defs:
            return "Any"
        self.resolving.append(name)
        try:
            return self.render(self.defs[name], depth + 1)
        finally:
            self.resolving.pop()

    def _join(self, subs: Any, sep: str, depth: int) -> str:
        if not isinstance(subs, list):
            return "Any"
        return sep.join(self.render(s, depth + 1) for s in subs) or "Any"


def _plain(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # e.g. an int too long for str(), or a foreign object
        return "?"
