"""JSON schema (from ``/info``) to a Python annotation a type checker accepts.

``gradio_client.protocol.pytypes`` renders the *display* strings Gradio shows on its API page
(``dict(path: str, ...)``, ``filepath``), which are not valid annotations.  This module maps
the same schemas to valid ones, as a small model (:class:`T`) that renders its annotation
text and answers whether a value fits it (used to decide whether an app's default can be
written as a literal default of that type):

==========================================  ============================================
schema                                      annotation
==========================================  ============================================
a Gradio FileData object (anywhere)         ``FileInput`` for parameters (a path, an
                                            ``os.PathLike`` or a ``handle_file`` dict),
                                            ``str`` for results (the downloaded path)
``{"enum": [...]}``, ``{"const": v}``       ``Literal[...]`` (str/int/bool/None values)
``string``/``integer``/``number``/          ``str``/``int``/``float``/``bool``/``None``
``boolean``/``null``
``{"type": [a, b]}``, ``anyOf``, ``oneOf``  ``A | B`` (``Any`` absorbs the rest)
``array`` with ``prefixItems``              ``tuple[A, B] | list[A | B]`` for parameters,
                                            ``list[A | B]`` for results (JSON has no
                                            tuples: the client returns a list)
``array`` with ``items``                    ``list[T]``
``object``                                  ``dict[str, V]`` (``V`` from
                                            ``additionalProperties`` alone, else ``Any``)
``$ref``                                    the definition (a cycle is ``Any``)
anything else (``{}``, ``allOf``, JSON)     ``Any``
==========================================  ============================================

Total: it never raises; nesting deeper than :data:`MAX_DEPTH` is ``Any``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..protocol.pytypes import is_file_schema

__all__ = ["MAX_DEPTH", "T", "annotation"]

MAX_DEPTH = 24
_SIMPLE = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}
_LITERAL_TYPES = (str, int, bool, type(None))


@dataclass(frozen=True)
class T:
    """One annotation.  ``kind`` is ``any``, ``str``, ``int``, ``float``, ``bool``, ``None``,
    ``literal`` (``args``: the values), ``list``/``tuple``/``dict`` (``args``: item types),
    ``union`` (``args``: the members), ``file_in`` or ``file_out``."""

    kind: str
    args: tuple[Any, ...] = ()

    def text(self) -> str:
        """The annotation as source text (names: ``Any``, ``Literal``, ``FileInput``)."""
        k = self.kind
        if k == "any":
            return "Any"
        if k == "literal":
            return "Literal[" + ", ".join(repr(v) for v in self.args) + "]"
        if k in ("list", "dict"):
            inner = ", ".join(a.text() for a in self.args)
            return f"{k}[{'str, ' if k == 'dict' else ''}{inner}]"
        if k == "tuple":
            return "tuple[" + (", ".join(a.text() for a in self.args) or "()") + "]"
        if k == "union":
            return " | ".join(a.text() for a in self.args)
        if k == "file_in":
            return "FileInput"
        if k == "file_out":
            return "str"
        return k  # str, int, float, bool, None

    def names(self) -> set[str]:
        """The imported names the annotation text uses."""
        own = {"any": {"Any"}, "literal": {"Literal"}, "file_in": {"FileInput"},
               "Default": {"Default"}}.get(self.kind, set())
        out = set(own)
        if self.kind in ("list", "dict", "tuple", "union"):
            for a in self.args:
                out |= a.names()
        return out

    def accepts(self, value: Any) -> bool:
        """Whether a type checker would accept ``value`` (a JSON value) for this annotation."""
        k = self.kind
        if k == "any":
            return True
        if k == "union":
            return any(a.accepts(value) for a in self.args)
        if k == "literal":
            return any(type(value) is type(v) and value == v for v in self.args)
        if k in ("str", "file_out"):
            return isinstance(value, str)
        if k == "bool":
            return isinstance(value, bool)
        if k == "int":
            return isinstance(value, int)
        if k == "float":
            return isinstance(value, (int, float))
        if k == "None":
            return value is None
        if k == "list":
            return isinstance(value, list) and all(self.args[0].accepts(v) for v in value)
        if k == "tuple":
            return False  # JSON has no tuples: a list default is not a tuple
        if k == "dict":
            return isinstance(value, dict) and all(
                isinstance(key, str) and self.args[0].accepts(v) for key, v in value.items())
        if k == "file_in":
            return isinstance(value, str)
        return False

    def optional(self) -> T:
        """This annotation, also accepting None."""
        return self if self.accepts(None) else union([self, NONE])


ANY = T("any")
NONE = T("None")


def union(parts: list[T]) -> T:
    """``A | B | ...``: nested unions flattened, duplicates dropped, ``Any`` absorbing all."""
    flat: list[T] = []
    for p in parts:
        for member in p.args if p.kind == "union" else (p,):
            if member.kind == "any":
                return ANY
            if member not in flat:
                flat.append(member)
    # a Literal whose values a plain member already covers is redundant (str | Literal['a'])
    plain = {m.kind for m in flat}
    covers = {str: "str", int: "int", bool: "bool"}
    flat = [m for m in flat if m.kind != "literal"
            or not all(covers.get(type(v)) in plain for v in m.args)]
    if not flat:
        return ANY
    return flat[0] if len(flat) == 1 else T("union", tuple(flat))


def literal(values: list[Any]) -> T:
    """``Literal[...]`` of str/int/bool values; None becomes ``None`` and a True/False pair
    ``bool`` (``Literal[None]`` and ``Literal[True, False]`` are spelled as types)."""
    unique: list[Any] = []
    for v in values:
        if not any(type(u) is type(v) and u == v for u in unique):
            unique.append(v)
    parts = [NONE] if None in unique else []
    rest = [v for v in unique if v is not None]
    if any(v is True for v in rest) and any(v is False for v in rest):
        parts.append(T("bool"))
        rest = [v for v in rest if not isinstance(v, bool)]
    if rest:
        parts.insert(0, T("literal", tuple(rest)))
    return union(parts)


def annotation(schema: Any, *, inputs: bool) -> T:
    """The annotation for a parameter (``inputs=True``) or a result of this JSON schema."""
    defs = schema.get("$defs") if isinstance(schema, dict) else None
    return _Mapper(defs if isinstance(defs, dict) else {}, inputs).map(schema, 0)


class _Mapper:
    def __init__(self, defs: dict[str, Any], inputs: bool) -> None:
        self.defs = defs
        self.inputs = inputs
        self.resolving: list[str] = []

    def map(self, schema: Any, depth: int) -> T:
        if depth > MAX_DEPTH or not isinstance(schema, dict) or not schema:
            return ANY
        try:
            if is_file_schema(schema, self.defs):
                return T("file_in" if self.inputs else "file_out")
        except Exception:  # a foreign schema shape: not a file
            pass
        if "const" in schema:
            return self._literal([schema["const"]], schema, depth)
        if "enum" in schema:
            values = schema["enum"]
            return self._literal(values if isinstance(values, list) else [], schema, depth)
        if "type" in schema:
            return self._typed(schema, schema["type"], depth)
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return self._ref(ref, depth)
        for key in ("anyOf", "oneOf"):
            subs = schema.get(key)
            if isinstance(subs, list) and subs:
                return union([self.map(s, depth + 1) for s in subs])
        subs = schema.get("allOf")
        if isinstance(subs, list) and len(subs) == 1:
            return self.map(subs[0], depth + 1)
        return ANY

    def _literal(self, values: list[Any], schema: dict[str, Any], depth: int) -> T:
        if values and all(isinstance(v, _LITERAL_TYPES) and (
                not isinstance(v, int) or -2**63 <= v < 2**63) for v in values):
            return literal(values)  # (mypy rejects Literal ints past 64 bits)
        if "type" in schema:  # e.g. float choices: the plain type
            return self._typed(schema, schema["type"], depth)
        return ANY

    def _typed(self, schema: dict[str, Any], type_: Any, depth: int) -> T:
        if isinstance(type_, list):
            return union([self._typed(schema, t, depth + 1) for t in type_]) if type_ else ANY
        if not isinstance(type_, str):
            return ANY  # gr.JSON: {"type": {}, "description": "any valid json"}
        if type_ in _SIMPLE:
            return T(_SIMPLE[type_])
        if type_ == "array":
            items = schema.get("items")
            prefix = schema.get("prefixItems")
            if isinstance(items, dict) and isinstance(items.get("prefixItems"), list):
                prefix = items["prefixItems"]
            if not (isinstance(prefix, list) and prefix) and isinstance(items, list) and items:
                prefix = items  # draft-4 tuple validation
            if isinstance(prefix, list) and prefix:
                members = [self.map(s, depth + 1) for s in prefix]
                as_list = T("list", (union(members),))
                # JSON has no tuples: a result is a list; a parameter takes either
                return union([T("tuple", tuple(members)), as_list]) if self.inputs else as_list
            return T("list", (self.map(items, depth + 1),))
        if type_ == "object":
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict) and not schema.get("properties"):
                return T("dict", (self.map(extra, depth + 1),))
            return T("dict", (ANY,))
        return ANY

    def _ref(self, ref: str, depth: int) -> T:
        name = ref.rsplit("/", 1)[-1]
        if name in self.resolving or name not in self.defs:
            return ANY
        self.resolving.append(name)
        try:
            return self.map(self.defs[name], depth + 1)
        finally:
            self.resolving.pop()
