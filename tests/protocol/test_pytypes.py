"""Tests for gradio_client.protocol.pytypes (docs/wire.md, "/info and Python types")."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradio_client.protocol.pytypes import (
    MAX_DEPTH,
    MAX_NODES,
    is_file_schema,
    json_schema_to_python_type,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "configs"

FILE_META = {"properties": {"_type": {"const": "gradio.FileData", "type": "string"}}}
FILE_SCHEMA = {
    "type": "object",
    "properties": {"path": {"type": "string"}, "meta": {"$ref": "#/$defs/Meta"}},
    "$defs": {"Meta": FILE_META},
}


def _server_pairs() -> list[tuple[str, Any, str]]:
    """(where, schema, python_type) for every parameter and return a Gradio 6 server sent.

    Older servers rendered with older rules (3.x: ``int | float`` for numbers; 4.x:
    ``Dict(...)``, ``Tuple[...]``, unquoted enums), so only Gradio 6 captures are the
    reference for the current format.
    """
    out = []
    for path in sorted(DATA.glob("gradio-6.*/info*.json")):
        info = json.loads(path.read_text())
        for kind in ("named_endpoints", "unnamed_endpoints"):
            for name, entry in info.get(kind, {}).items():
                for item in entry["parameters"] + entry["returns"]:
                    where = f"{path.parent.name}/{path.name}:{name}:{item['label']}"
                    out.append((where, item["type"], item["python_type"]["type"]))
    return out


SERVER_PAIRS = _server_pairs()


def test_fixtures_hold_server_pairs() -> None:
    assert len(SERVER_PAIRS) >= 20


def _older_filepaths() -> list[tuple[str, Any]]:
    out = []
    for path in sorted(DATA.glob("gradio-[45].*/info.json")):
        for name, entry in json.loads(path.read_text())["named_endpoints"].items():
            for item in entry["parameters"] + entry["returns"]:
                if item["python_type"]["type"] == "filepath":
                    out.append((f"{path.parent.name}:{name}:{item['label']}", item["type"]))
    return out


OLDER_FILEPATHS = _older_filepaths()


@pytest.mark.skipif(not OLDER_FILEPATHS, reason="no Gradio 4/5 captures")
@pytest.mark.parametrize(("where", "schema"), OLDER_FILEPATHS, ids=[p[0] for p in OLDER_FILEPATHS])
def test_files_of_older_servers_render_as_filepath(where: str, schema: Any) -> None:
    # 4.0-4.20 FileData has no meta, only its title says what it is
    assert json_schema_to_python_type(schema) == "filepath"


@pytest.mark.parametrize(("where", "schema", "expected"), SERVER_PAIRS, ids=[p[0] for p in SERVER_PAIRS])
def test_matches_the_python_type_the_server_sent(where: str, schema: Any, expected: str) -> None:
    assert json_schema_to_python_type(schema) == expected


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({}, "Any"),
        (True, "Any"),
        (False, "Never"),
        (None, "Any"),
        ([1, 2], "Any"),
        ("string", "Any"),
        ({"type": "integer"}, "int"),
        ({"type": "string"}, "str"),
        ({"type": "boolean"}, "bool"),
        ({"type": "number"}, "float"),
        ({"type": "null"}, "None"),
        ({"type": "mystery"}, "Any"),
        ({"type": ["string", "null"]}, "str | None"),
        ({"type": []}, "Any"),
        ({"const": "text"}, "Literal[text]"),
        ({"const": 3, "type": "integer"}, "Literal[3]"),
        ({"enum": ["a", "b"]}, "Literal['a', 'b']"),
        ({"enum": []}, "Any"),
        ({"enum": "ab"}, "Any"),
        ({"type": "array", "items": {"type": "integer"}}, "list[int]"),
        ({"type": "array"}, "list[Any]"),
        ({"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}]}, "tuple[str, float]"),
        ({"type": "array", "items": {"prefixItems": [{"type": "boolean"}]}}, "tuple[bool]"),
        ({"type": "array", "items": [{"type": "string"}, {}]}, "tuple[str, Any]"),
        ({"type": "object"}, "dict()"),
        (
            {"type": "object", "properties": {"a": {"type": "string", "description": "the a"}, "$defs": {}}},
            "dict(a: str (the a))",
        ),
        ({"type": "object", "additionalProperties": True}, "dict(str, Any)"),
        ({"type": "object", "additionalProperties": False}, "dict()"),
        ({"type": "object", "additionalProperties": {"type": "integer"}}, "dict(str, int)"),
        ({"type": "object", "properties": []}, "dict()"),
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, "str | None"),
        ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, "int | float"),
        ({"oneOf": "x"}, "Any"),
        ({"anyOf": []}, "Any"),
        ({"allOf": [{"type": "integer"}, {"type": "string"}]}, "All[int, str]"),
        ({"description": "any valid json"}, "str | float | bool | list | dict"),
        ({"type": {}, "description": "any valid json"}, "str | float | bool | list | dict"),
        ({"type": {}, "description": "a value"}, "Any"),
        ({"description": 3}, "Any"),
        ({"$ref": "#/$defs/Nope"}, "Any"),
        ({"$ref": ""}, "Any"),
        ({"$ref": 5}, "Any"),
        (FILE_SCHEMA, "filepath"),
        ({"type": "array", "items": {"$ref": "#/$defs/F"}, "$defs": {"F": FILE_SCHEMA}}, "list[filepath]"),
    ],
)
def test_rules(schema: Any, expected: str) -> None:
    assert json_schema_to_python_type(schema) == expected


def test_ref_resolution_through_given_and_own_defs() -> None:
    schema = {"$ref": "#/$defs/X", "$defs": {"X": {"type": "string"}}}
    assert json_schema_to_python_type(schema) == "str"
    outer = {"X": {"type": "integer"}, "Y": {"type": "boolean"}}
    assert json_schema_to_python_type({"$ref": "#/$defs/X"}, outer) == "int"
    # a schema's own $defs shadow the outer ones, and the outer ones stay visible
    assert json_schema_to_python_type(schema, outer) == "str"
    assert json_schema_to_python_type({"$ref": "#/$defs/Y", "$defs": {"X": {}}}, outer) == "bool"
    assert json_schema_to_python_type({"$ref": "#/$defs/X", "$defs": "junk"}) == "Any"
    assert json_schema_to_python_type({"$ref": "#/$defs/X"}, "junk") == "Any"  # type: ignore[arg-type]


def test_ref_cycles_render_the_name() -> None:
    defs = {
        "Node": {
            "type": "object",
            "properties": {"value": {"type": "integer"}, "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
        }
    }
    assert (
        json_schema_to_python_type({"$ref": "#/$defs/Node"}, defs)
        == "dict(value: int, children: list[Node])"
    )
    assert json_schema_to_python_type({"$ref": "#/$defs/"}, {"": {"$ref": "#/$defs/"}}) == "Any"


def test_file_schema_detection() -> None:
    assert is_file_schema(FILE_SCHEMA)
    inline = {"properties": {"path": {}, "meta": {"default": {"_type": "gradio.FileData"}}}}
    assert is_file_schema(inline)
    assert json_schema_to_python_type({"type": "object", **inline}) == "filepath"
    assert not is_file_schema({"properties": {"path": {}, "meta": {"default": {"_type": "x"}}}})
    assert not is_file_schema({"properties": {"path": {}, "meta": {"default": "x"}}})
    assert not is_file_schema({"properties": {"path": {}, "meta": {"properties": {"_type": {"const": "x"}}}}})
    assert not is_file_schema({"properties": {"path": {}, "meta": {"properties": {"_type": "x"}}}})
    assert not is_file_schema({"properties": {"path": {}, "meta": "x"}})
    assert not is_file_schema({"properties": {"path": {}}})
    assert is_file_schema({"title": "FileData", "properties": {"path": {}, "url": {}}})  # 4.0-4.20
    assert not is_file_schema({"title": "Other", "properties": {"path": {}, "url": {}}})
    assert not is_file_schema({"properties": "x"})
    assert not is_file_schema("x")
    assert not is_file_schema({"properties": {"path": {}, "meta": {"$ref": "#/$defs/M"}}, "$defs": "junk"})


def test_deep_nesting_renders_any_beyond_the_limit() -> None:
    schema: Any = {"type": "integer"}
    for _ in range(MAX_DEPTH + 10):
        schema = {"type": "array", "items": schema}
    text = json_schema_to_python_type(schema)
    assert text.startswith("list[list[") and "Any" in text and "int" not in text


def test_node_budget_bounds_exponential_refs() -> None:
    # 2**20 leaves if rendered in full; the node budget stops the work early
    defs = {f"D{i}": {"anyOf": [{"$ref": f"#/$defs/D{i + 1}"}, {"$ref": f"#/$defs/D{i + 1}"}]} for i in range(20)}
    defs["D20"] = {"type": "integer"}
    text = json_schema_to_python_type({"$ref": "#/$defs/D0"}, defs)
    assert text.startswith("int | int")
    assert text.endswith("Any | Any")
    assert text.count("int") < MAX_NODES


def test_unprintable_values_do_not_raise() -> None:
    class Bad:
        def __str__(self) -> str:
            raise ValueError("no")

    assert json_schema_to_python_type({"const": Bad()}) == "Literal[?]"
    assert json_schema_to_python_type({"enum": [10**5000]}) == "Literal['?']"


def test_exhausted_stack_gives_any() -> None:
    schema: Any = {"type": "integer"}
    for _ in range(40):
        schema = {"type": "array", "items": schema}
    limit = sys.getrecursionlimit()

    def depth() -> int:
        frame, n = sys._getframe(), 0
        while frame is not None:
            frame, n = frame.f_back, n + 1  # type: ignore[assignment]
        return n

    sys.setrecursionlimit(depth() + 30)
    try:
        result = json_schema_to_python_type(schema)
    finally:
        sys.setrecursionlimit(limit)
    assert result == "Any"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=30,
)
schema_keys = st.sampled_from(
    [
        "type", "items", "prefixItems", "properties", "additionalProperties", "anyOf", "oneOf",
        "allOf", "$ref", "$defs", "const", "enum", "description", "meta", "path", "_type", "default",
    ]
)
schema_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8)
    | st.sampled_from(["object", "array", "string", "#/$defs/a", "gradio.FileData", "json"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(schema_keys | st.text(max_size=3), children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_property_never_raises_on_json(value: Any) -> None:
    assert isinstance(json_schema_to_python_type(value), str)


@settings(max_examples=300, deadline=None)
@given(schema_like, st.dictionaries(st.sampled_from(["a", "b", ""]), schema_like, max_size=3))
def test_property_never_raises_on_schema_like_input(schema: Any, defs: dict[str, Any]) -> None:
    assert isinstance(json_schema_to_python_type(schema), str)
    assert isinstance(json_schema_to_python_type(schema, defs), str)
    assert isinstance(is_file_schema(schema, defs), bool)
