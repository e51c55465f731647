"""pytypes.py tests written for mutants that survived the pure tests (docs/mutation.md).

The renderer promises (its module docstring): nesting deeper than ``MAX_DEPTH`` renders
as ``Any`` and nothing shallower does, whatever construct nests (array items, tuple
items, object properties, ``additionalProperties``, unions, ``allOf``, ``$ref``, a list
of types); a budget of exactly ``MAX_NODES`` visited schema nodes; and totality: it never
raises, whatever it is given.
"""

from __future__ import annotations

from typing import Any

import pytest

from gradio_client.protocol.pytypes import (
    MAX_DEPTH,
    MAX_NODES,
    is_file_schema,
    json_schema_to_python_type,
)

INT = {"type": "integer"}


def _wrap(kind: str, inner: Any, defs: dict[str, Any]) -> Any:
    if kind == "items":
        return {"type": "array", "items": inner}
    if kind == "prefixItems":
        return {"type": "array", "prefixItems": [inner]}
    if kind == "properties":
        return {"type": "object", "properties": {"a": inner}}
    if kind == "additionalProperties":
        return {"type": "object", "additionalProperties": inner}
    if kind in ("anyOf", "oneOf", "allOf"):
        return {kind: [inner]}
    if kind == "$ref":
        name = f"D{len(defs)}"
        defs[name] = inner
        return {"$ref": f"#/$defs/{name}"}
    assert kind == "type list"  # a union of types, then the array: two levels
    return {"type": ["array"], "items": inner}


# (construct, the levels of nesting one wrapper adds)
KINDS = [
    ("items", 1),
    ("prefixItems", 1),
    ("properties", 1),
    ("additionalProperties", 1),
    ("anyOf", 1),
    ("oneOf", 1),
    ("allOf", 1),
    ("$ref", 1),
    ("type list", 2),
]


@pytest.mark.parametrize("kind,cost", KINDS)
@pytest.mark.parametrize("extra", [0, 1])
def test_the_depth_limit_is_exact_for_every_nesting_construct(kind: str, cost: int, extra: int) -> None:
    # innermost schema at depth MAX_DEPTH is rendered; one level more is Any
    defs: dict[str, Any] = {}
    schema: Any = INT
    for _ in range(extra):
        schema = _wrap("items", schema, defs)
    for _ in range(MAX_DEPTH // cost):
        schema = _wrap(kind, schema, defs)
    text = json_schema_to_python_type(schema, defs)
    if extra:
        assert "int" not in text and "Any" in text, text
    else:
        assert "int" in text, text


@pytest.mark.parametrize("extra", [0, 1])
def test_the_node_budget_is_exactly_max_nodes(extra: int) -> None:
    # the root and MAX_NODES - 1 properties are MAX_NODES nodes: all rendered
    count = MAX_NODES - 1 + extra
    schema = {"type": "object", "properties": {f"p{i}": INT for i in range(count)}}
    text = json_schema_to_python_type(schema)
    assert text.count(": int") == MAX_NODES - 1
    assert text.endswith(f"p{count - 1}: {'Any' if extra else 'int'})")


def test_outer_definitions_return_after_a_sub_schema_with_its_own() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"$defs": {"X": {"type": "string"}}, "$ref": "#/$defs/X"},
            "b": {"$ref": "#/$defs/Y"},
        },
    }
    assert json_schema_to_python_type(schema, {"Y": INT}) == "dict(a: str, b: int)"


def test_a_list_of_types_with_structured_members() -> None:
    schema = {"type": ["array", "null"], "items": INT}
    assert json_schema_to_python_type(schema) == "list[int] | None"
    obj = {"type": ["object", "null"], "properties": {"x": INT}}
    assert json_schema_to_python_type(obj) == "dict(x: int) | None"


def test_an_unusable_type_falls_back_to_the_untyped_rules() -> None:
    # e.g. gr.JSON's {"type": {}}: the other keywords still decide
    schema = {"type": {}, "anyOf": [INT, {"type": "string"}]}
    assert json_schema_to_python_type(schema) == "int | str"
    assert json_schema_to_python_type({"type": 3, "allOf": [INT]}) == "All[int]"


def test_a_reference_without_a_slash_names_the_definition() -> None:
    assert json_schema_to_python_type({"$ref": "X"}, {"X": INT}) == "int"
    meta = {"properties": {"_type": {"const": "gradio.FileData"}}}
    file_schema = {"properties": {"path": {}, "meta": {"$ref": "Meta"}}}
    assert is_file_schema(file_schema, {"Meta": meta})


def test_properties_after_one_named_defs_are_rendered() -> None:
    schema = {"type": "object", "properties": {"$defs": {"X": INT}, "b": INT}}
    assert json_schema_to_python_type(schema) == "dict(b: int)"


def test_boolean_property_schemas() -> None:
    schema = {"type": "object", "properties": {"a": True, "b": False, "c": [1]}}
    assert json_schema_to_python_type(schema) == "dict(a: Any, b: Never, c: Any)"


@pytest.mark.parametrize("key", ["prefixItems", "items"])
def test_an_empty_tuple_renders_as_tuple_of_any(key: str) -> None:
    assert json_schema_to_python_type({"type": "array", key: []}) == "tuple[Any]"
