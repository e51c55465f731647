"""app/*.py tests written for mutants that survived the app-model tests (docs/mutation.md).

They state, as properties where they can, what the modules promise: the tolerant readers
of ``tolerant.py`` (a field of the wrong type takes its default, recorded with its JSON
path, what was expected and what came; one notice per document), what ``/config`` and
``/info`` become.  Calls, endpoints, files and ``view_api``: test_mutants_app_calls.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gradio_client.protocol.app import (
    ApiInfo,
    EndpointInfo,
    Parameter,
    Return,
    info_from_config,
    needs_public_info,
    parse_config,
    parse_info,
    with_info,
)
from gradio_client.protocol.app.info import derived_name
from gradio_client.protocol.app.tolerant import LOGGER, Notices, decode_document
from gradio_client.protocol.errors import RemoteProtocolError

from .mutant_app_helpers import (
    config_of,
    json_values,
    kind,
    minimal,
    parsed_with_notices,
    records,
)

# ============================================================ tolerant.py: readers

READERS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    # reader: (the name the notice gives the expected type, does the value fit)
    "str_": ("str", lambda v: isinstance(v, str)),
    "bool_": ("bool", lambda v: isinstance(v, bool)),
    "int_": ("int", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "number": ("number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)),
    "dict_": ("object", lambda v: isinstance(v, dict)),
    "list_": ("array", lambda v: isinstance(v, list)),
}


@pytest.mark.parametrize("reader", sorted(READERS))
@given(value=json_values, present=st.booleans())
@example(value=True, present=True)
@example(value=3, present=True)
@example(value=1.5, present=True)
def test_a_reader_takes_a_fitting_value_and_records_any_other(reader: str, value: Any, present: bool) -> None:
    expected, fits = READERS[reader]
    notices = Notices("Doc")
    obj = {"k": value} if present else {"other": value}
    takes_default = reader not in ("dict_", "list_")
    got = getattr(notices, reader)(obj, "k", "$.x", "DEFAULT") if takes_default else getattr(notices, reader)(obj, "k", "$.x")
    default = "DEFAULT" if takes_default else None
    if not present or value is None:  # absent or null: the default, silently
        assert got == default and notices.fields == []
    elif fits(value):
        assert got is value and notices.fields == []
    else:
        assert got == default
        assert notices.fields == [f"$.x.k (expected {expected}, got {kind(value)})"]


def test_readers_default_to_none() -> None:
    notices = Notices("Doc")
    for reader in ("str_", "bool_", "int_", "number"):
        assert getattr(notices, reader)({}, "k", "$") is None
        assert getattr(notices, reader)({"k": []}, "k", "$") is None
    assert len(notices.fields) == 4


@given(st.lists(st.integers(-3, 3), max_size=4), st.integers(0, 4), json_values)
def test_ints_records_the_first_item_that_is_not_an_int(values: list[int], at: int, intruder: Any) -> None:
    notices = Notices("Doc")
    assert notices.ints({"ids": values}, "ids", "$.d") == values and notices.fields == []
    if isinstance(intruder, int) and not isinstance(intruder, bool):
        return
    at = min(at, len(values))
    spoiled = [*values[:at], intruder, *values[at:], "second bad item"]
    assert notices.ints({"ids": spoiled}, "ids", "$.d") is None
    assert notices.fields == [f"$.d.ids[{at}] (expected int, got {kind(intruder)})"]


def test_ints_of_no_list() -> None:
    notices = Notices("Doc")
    assert notices.ints({}, "ids", "$") is None and notices.fields == []
    assert notices.ints({"ids": 3}, "ids", "$") is None
    assert notices.fields == ["$.ids (expected array, got number)"]


# ============================================================ tolerant.py: the notice


@pytest.mark.parametrize("count", [0, 1, 9, 10, 11, 25])
def test_one_warning_names_ten_degraded_fields_and_counts_the_rest(caplog: pytest.LogCaptureFixture, count: int) -> None:
    notices = Notices("Gradio thing")
    for i in range(count):
        notices.bad(f"$.f{i}", "str", i)
    with caplog.at_level(logging.DEBUG, logger=LOGGER.name):
        notices.log()
    logged = records(caplog)
    if count == 0:
        assert logged == []
        return
    (record,) = logged
    assert record.levelno == logging.WARNING
    text = record.getMessage()
    assert text.startswith(f"Gradio thing: {count} field(s) of an unexpected type were ignored")
    shown = [f"$.f{i} (expected str, got number)" for i in range(min(count, 10))]
    tail = "; ".join(shown) + (f"; and {count - 10} more" if count > 10 else "")
    assert text.endswith(": " + tail)
    assert f"$.f{min(count, 10)} (" not in text  # the 11th is counted, not named


# ====================================================== tolerant.py: decode_document


@pytest.mark.parametrize(
    ("raw", "kind_"),
    [(b"null", "null"), (b"true", "bool"), (b"1.5", "number"), (b"3", "number"), (b'"s"', "str"), (b"[]", "array")],
)
def test_a_document_that_is_not_an_object_names_what_it_is(raw: bytes, kind_: str) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        decode_document(raw, "Doc")
    assert str(info.value) == f"Invalid Doc: expected a JSON object, got {kind_}"


@given(st.text(alphabet="abc{}", min_size=1, max_size=100).filter(lambda s: s.strip("{}") and s[0] != "{"))
@example("a" * 64)
@example("b" * 65 + "{")
def test_text_that_is_not_json_is_quoted_from_its_first_64_bytes(text: str) -> None:
    raw = text.encode()
    for form in (raw, text, bytearray(raw), memoryview(raw)):
        with pytest.raises(RemoteProtocolError) as info:
            decode_document(form, "Doc")
        message = str(info.value)
        assert message.startswith("Invalid Doc: the response is not valid JSON (")
        assert message.endswith(f"; it starts with {raw[:64]!r})")


@pytest.mark.parametrize("raw", [b"  <html>", "\n\t<!doctype html>", memoryview(b"<p>")])
def test_an_html_page_is_named(raw: Any) -> None:
    with pytest.raises(RemoteProtocolError, match=r"^Invalid Doc: the response looks like an HTML page"):
        decode_document(raw, "Doc")


@pytest.mark.parametrize("raw", [b"", "", b" \n ", " "])
def test_an_empty_response_is_named(raw: Any) -> None:
    with pytest.raises(RemoteProtocolError, match=r"^Invalid Doc: the response is empty$"):
        decode_document(raw, "Doc")


def test_a_mapping_is_read_as_its_json() -> None:
    doc = {"a": [1, {"b": None}], "c": "d"}
    assert decode_document(doc, "Doc") == doc
    assert decode_document(json.dumps(doc), "Doc") == doc
    with pytest.raises(RemoteProtocolError, match=r"^Invalid Doc: not JSON data \("):
        decode_document({"a": object()}, "Doc")
    with pytest.raises(RemoteProtocolError, match=r"^Invalid Doc: expected JSON text, got list$"):
        decode_document([1], "Doc")


# ============================================================ config.py: /config


@pytest.mark.parametrize(
    ("bad", "fields", "expected"),
    [
        (
            {"protocol": 1, "version": [], "enable_queue": "yes", "api_prefix": {}, "max_file_size": "1 MB"},
            ["$.protocol (expected str, got number)", "$.version (expected str, got array)",
             "$.enable_queue (expected bool, got str)", "$.api_prefix (expected str, got object)",
             "$.max_file_size (expected number, got str)"],
            {"protocol": "ws", "version": "", "enable_queue": False, "api_prefix": "", "max_file_size": None},
        ),
        (
            {"connect_heartbeat": 1, "space_id": True, "show_error": "no", "root": 5, "components": {}},
            [
                "$.components (expected array, got object)", "$.connect_heartbeat (expected bool, got number)",
                "$.space_id (expected str, got bool)", "$.show_error (expected bool, got str)",
                "$.root (expected str, got number)"],
            {"connect_heartbeat": False, "space_id": None, "show_error": False, "root": None, "components": {}},
        ),
    ],
)
def test_a_top_level_field_of_the_wrong_type_takes_its_default_and_is_named(
    bad: dict[str, Any], fields: list[str], expected: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    good = {"connect_heartbeat": True, "space_id": "a/b", "show_error": True, "root": "http://h",
            "enable_queue": True, "max_file_size": 5}
    raw = minimal(**{**good, **bad})
    config, seen = parsed_with_notices(parse_config, raw, caplog)
    assert sorted(seen) == sorted(fields)
    for key, value in expected.items():
        assert getattr(config, key) == value, key


def test_dependencies_that_are_not_a_list_give_no_endpoints(caplog: pytest.LogCaptureFixture) -> None:
    config, seen = parsed_with_notices(parse_config, minimal(dependencies={"0": {}}), caplog)
    assert config.endpoints == {} and seen == ["$.dependencies (expected array, got object)"]
    with pytest.raises(RemoteProtocolError, match="has no 'dependencies' list"):
        parse_config(minimal(dependencies=None))


def test_without_the_enable_queue_key_only_a_3x_app_has_no_queue() -> None:
    for protocol, queued in (("sse", True), ("sse_v1", True), ("sse_v3", True), (None, False)):
        raw = minimal(protocol=protocol)
        assert parse_config(raw).enable_queue is queued, protocol


@pytest.mark.parametrize(("prefix", "expected"), [("gradio_api", "/gradio_api"), ("/a/b//", "/a/b"), ("/", ""), ("", ""), ("x ", "/x "), ("/X/", "/X")])
def test_the_api_prefix_has_one_leading_slash_and_none_trailing(prefix: str, expected: str) -> None:
    assert parse_config(minimal(api_prefix=prefix)).api_prefix == expected


def test_components_are_read_field_by_field(caplog: pytest.LogCaptureFixture) -> None:
    schemas = {"api_info": {"type": "a"}, "api_info_as_input": {"type": "b"}, "api_info_as_output": {"type": "c"}}
    raw = minimal()
    raw["components"] = [
        {"id": 1, "type": "textbox", "props": {"label": "L"}, "skip_api": False, **schemas},
        {"id": 2},  # no type, no props: "" and {}
        {"id": 3, "type": 7, "props": [], "skip_api": "no"},
        {"id": "4", "type": "textbox"},
        {"id": None, "type": "textbox"},  # null: not set, dropped without a notice
        {"type": "textbox"},
        [5],
    ]
    config, seen = parsed_with_notices(parse_config, raw, caplog)
    assert seen == [
        "$.components[2].type (expected str, got number)", "$.components[2].skip_api (expected bool, got str)",
        "$.components[2].props (expected object, got array)", "$.components[3].id (expected int, got str)",
        "$.components[5].id (missing)", "$.components[6] (expected object, got array)",
    ]
    assert sorted(config.components) == [1, 2, 3]
    first = config.components[1]
    assert (first.type, first.props, first.skip_api, first.label) == ("textbox", {"label": "L"}, False, "L")
    assert (first.api_info, first.api_info_as_input, first.api_info_as_output) == tuple(schemas.values())
    bare = config.components[2]
    assert (bare.type, bare.props, bare.skip_api, bare.api_info, bare.api_info_as_input, bare.api_info_as_output) == (
        "", {}, False, None, None, None
    )
    assert (config.components[3].type, config.components[3].props) == ("", {})


def test_dependencies_are_read_field_by_field(caplog: pytest.LogCaptureFixture) -> None:
    raw = minimal()
    raw["dependencies"] = [
        {"id": 7, "inputs": [1], "outputs": [2], "api_name": "a", "batch": True, "connection": "stream",
         "cancels": [3], "types": {"generator": True}, "backend_fn": True, "queue": True},
        {"inputs": [1], "outputs": [2]},  # every field absent: its default
        {"id": "x", "inputs": [1], "outputs": [2], "api_name": 3, "batch": "y", "connection": 1, "cancels": ["z"],
         "types": {"generator": "g"}, "backend_fn": 0, "queue": "q", "api_visibility": 2, "show_api": "s"},
    ]
    config, seen = parsed_with_notices(parse_config, raw, caplog)
    d = "$.dependencies[2]"
    assert seen == [
        f"{d}.api_name (expected str | bool, got number)", f"{d}.api_visibility (expected str, got number)",
        f"{d}.show_api (expected bool, got str)", f"{d}.queue (expected bool, got str)",
        f"{d}.id (expected int, got str)", f"{d}.types.generator (expected bool, got str)",
        f"{d}.cancels[0] (expected int, got str)", f"{d}.connection (expected str, got number)",
        f"{d}.backend_fn (expected bool, got number)", f"{d}.batch (expected bool, got str)",
    ]
    assert sorted(config.endpoints) == [1, 2, 7]
    full, bare, odd = config.endpoints[7], config.endpoints[1], config.endpoints[2]
    assert (full.api_name, full.batch, full.connection, full.cancels, full.is_generator, full.backend_fn, full.queue) == (
        "/a", True, "stream", (3,), True, True, True
    )
    for e in (bare, odd):
        assert (e.api_name, e.batch, e.connection, e.cancels, e.is_generator, e.backend_fn, e.queue, e.visibility) == (
            None, False, "sse", (), False, True, True, "public"
        )


def test_a_dependency_whose_values_cannot_be_known_is_left_out(caplog: pytest.LogCaptureFixture) -> None:
    raw = minimal()
    raw["dependencies"] = [
        {"inputs": [1, "a"], "outputs": [2]},
        {"inputs": [1], "outputs": [None]},
        {"inputs": [1], "outputs": [2], "types": []},
        {"inputs": None, "outputs": None, "api_name": "n"},  # null: none
        "dependency",
    ]
    config, seen = parsed_with_notices(parse_config, raw, caplog)
    d = "$.dependencies"
    assert seen == [
        f"{d}[0].inputs[1] (expected int, got str)", f"{d}[1].outputs[0] (expected int, got null)",
        f"{d}[2].types (expected object, got array)", f"{d}[4] (expected object, got str)",
    ]
    assert sorted(config.endpoints) == [2, 3]
    assert config.endpoints[2].is_generator is False
    assert (config.endpoints[3].inputs, config.endpoints[3].outputs) == ((), ())


def test_an_input_missing_from_the_components_takes_no_files() -> None:
    raw = minimal()
    raw["dependencies"][0]["inputs"] = [99, 1]
    raw["dependencies"][0]["outputs"] = [2, 98]
    e = parse_config(raw).endpoints[0]
    assert e.file_inputs == () and e.skipped_inputs == () and e.input_types == ("", "textbox")
    assert e.output_types == ("textbox", "") and e.skipped_outputs == (False, False)


FILE_SCHEMA = {"type": "object", "properties": {"path": {"type": "string"}, "meta": {"default": {"_type": "gradio.FileData"}}}}


@pytest.mark.parametrize("key", ["default", "examples", "const", "enum", "$defs"])
def test_a_file_schema_only_in_a_value_keyword_takes_no_files(key: str) -> None:
    raw = minimal()
    raw["components"][0]["api_info"] = {"type": "object", key: {"F": FILE_SCHEMA} if key == "$defs" else [FILE_SCHEMA]}
    assert parse_config(raw).endpoints[0].file_inputs == ()
    raw["components"][0]["api_info"] = {"type": "object", "items": [FILE_SCHEMA]}
    assert parse_config(raw).endpoints[0].file_inputs == (0,)


@pytest.mark.parametrize("serializer", ["ImgSerializable", "FileSerializable", "VideoSerializable", "GallerySerializable", "StringSerializable", "JSONSerializable"])
def test_gradio3_serializers_that_take_files(serializer: str) -> None:
    raw = minimal()
    raw["components"][0]["serializer"] = serializer
    raw["components"][0]["api_info"] = FILE_SCHEMA  # the serializer decides on 3.x
    assert parse_config(raw).endpoints[0].file_inputs == ((0,) if serializer[0] in "IFVG" else ())


def _nested(depth: int) -> Any:
    schema: Any = FILE_SCHEMA
    for _ in range(depth):
        schema = {"items": schema}
    return schema


def test_the_file_search_goes_32_levels_deep() -> None:
    found = []
    for depth in (31, 32, 33, 34):
        raw = minimal()
        raw["components"][0]["api_info"] = _nested(depth)
        found.append(parse_config(raw).endpoints[0].file_inputs == (0,))
    assert found == [True, True, False, False]


# ================================================================ info.py: /info


def _param(**fields: Any) -> dict[str, Any]:
    return {"label": "X", "parameter_name": "x", "component": "Textbox", "type": {"type": "string"},
            "python_type": {"type": "str", "description": ""}, **fields}


def test_info_entries_are_read_field_by_field(caplog: pytest.LogCaptureFixture) -> None:
    raw = {
        "named_endpoints": {
            "/bad": 3,
            "/odd": {"parameters": {}, "returns": "r", "description": 1, "oauth_token": 2, "api_visibility": "secret"},
            "/p": {"parameters": [5, _param(label=4, component=[], parameter_name=1.5, parameter_has_default="y",
                                            python_type=7, type="t")], "returns": [None, "r"]},
            "/private": {"api_visibility": "private", "parameters": 1},
            "/last": {"parameters": [], "returns": []},
        },
        "unnamed_endpoints": {"x": {}, "3": {"show_api": "no"}},
    }
    info, seen = parsed_with_notices(parse_info, raw, caplog)
    n = "$.named_endpoints"
    p = f"{n}['/p'].parameters[1]"
    assert seen == [
        f"{n}['/bad'] (expected object, got number)",
        f"{n}['/odd'].api_visibility (unknown value 'secret')",
        f"{n}['/odd'].parameters (expected array, got object)", f"{n}['/odd'].returns (expected array, got str)",
        f"{n}['/odd'].description (expected str, got number)", f"{n}['/odd'].oauth_token (expected str, got number)",
        f"{n}['/p'].parameters[0] (expected object, got number)",
        f"{p}.python_type (expected object | str, got number)",
        f"{p}.parameter_name (expected str, got number)", f"{p}.label (expected str, got number)",
        "and 7 more",  # the rest: test_info_notices_past_the_tenth
    ]
    assert list(info.named) == ["/odd", "/p", "/last"]
    assert list(info.unnamed) == [3] and info.unnamed[3].visibility == "public"
    odd = info.named["/odd"]
    assert (odd.parameters, odd.returns, odd.description, odd.oauth_token, odd.visibility) == ((), (), "", None, "public")
    nameless, spoiled = info.named["/p"].parameters
    assert (nameless.name, nameless.label, nameless.component, nameless.has_default, nameless.type) == (None, None, None, False, {})
    assert (spoiled.name, spoiled.label, spoiled.component, spoiled.has_default, spoiled.type) == (None, None, None, False, {})
    assert spoiled.python_type == nameless.python_type  # from no usable schema: the same
    assert [r.label for r in info.named["/p"].returns] == [None, None]


def test_info_notices_past_the_tenth(caplog: pytest.LogCaptureFixture) -> None:
    raw = {"named_endpoints": {"/p": {"parameters": [_param(component=[], parameter_has_default="y", type="t")],
                                      "returns": [7]}},
           "unnamed_endpoints": {"x": {}, "3": {"show_api": "no"}}}
    info, seen = parsed_with_notices(parse_info, raw, caplog)
    p = "$.named_endpoints['/p'].parameters[0]"
    assert seen == [
        f"{p}.component (expected str, got array)", f"{p}.parameter_has_default (expected bool, got str)",
        f"{p}.type (expected object, got str)", "$.named_endpoints['/p'].returns[0] (expected object, got number)",
        "$.unnamed_endpoints['x'] (expected an fn_index key)", "$.unnamed_endpoints['3'].show_api (expected bool, got str)",
    ]
    assert list(info.unnamed) == [3]


def test_a_translated_label_is_no_label_and_no_notice(caplog: pytest.LogCaptureFixture) -> None:
    label = {"key": "x.y", "_type": "translation_metadata"}
    raw = {"named_endpoints": {"/p": {"parameters": [_param(label=label)], "returns": [{"label": label, "type": {}}]}}}
    info, seen = parsed_with_notices(parse_info, raw, caplog)
    assert seen == []
    assert info.named["/p"].parameters[0].label is None and info.named["/p"].returns[0].label is None
    _, seen = parsed_with_notices(parse_info, {"named_endpoints": {"/p": {"parameters": [_param(label={"key": "k"})]}}}, caplog)
    assert seen == ["$.named_endpoints['/p'].parameters[0].label (expected str, got object)"]


@pytest.mark.parametrize(
    ("python_type", "schema", "expected"),
    [
        ("int", {"type": "string"}, ("int", "")),  # Gradio 3.x: the text as sent
        ({"type": "Tree", "description": "a tree"}, {"type": "string"}, ("Tree", "a tree")),
        ({"description": "only text"}, {"type": "integer"}, ("int", "only text")),
        ({"type": None, "description": None}, {"type": "boolean"}, ("bool", "")),
        (None, {"type": "number"}, ("float", "")),
        (None, True, ("Any", "")),  # a boolean schema: any value, no notice
    ],
)
def test_the_python_type_is_the_servers_or_computed_from_the_schema(
    python_type: Any, schema: Any, expected: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    param = {"parameter_name": "p", "type": schema, "python_type": python_type}
    ret = {"type": schema, "python_type": python_type}
    info, seen = parsed_with_notices(parse_info, {"named_endpoints": {"/f": {"parameters": [param], "returns": [ret]}}}, caplog)
    (p,), (r,) = info.named["/f"].parameters, info.named["/f"].returns
    assert (p.python_type, p.description) == expected == (r.python_type, r.description)
    assert p.type == r.type == (schema if isinstance(schema, dict) else {})
    assert seen == []


def test_a_private_or_unreadable_entry_does_not_stop_the_rest() -> None:
    raw = {"named_endpoints": {"/a": {"api_visibility": "private"}, "/b": [], "/c": {}},
           "unnamed_endpoints": {"1": {"api_visibility": "private"}, "z": {}, "2": 0, "3": {}}}
    info = parse_info(raw)
    assert list(info.named) == ["/c"] and list(info.unnamed) == [3]
    assert info.document == {"named_endpoints": {"/c": {}}, "unnamed_endpoints": {"3": {}}}


def test_undocumented_entries_are_parsed_but_not_in_the_document() -> None:
    raw = {"named_endpoints": {"/u": {"show_api": False, "code_snippets": 1}, "/v": {"api_visibility": "undocumented"}},
           "unnamed_endpoints": {"4": {"show_api": False}, "5": {"show_api": True, "show_api_extra": 1}}}
    info = parse_info(raw)
    assert [e.visibility for e in (*info.named.values(), *info.unnamed.values())] == ["undocumented"] * 3 + ["public"]
    assert info.document == {"named_endpoints": {}, "unnamed_endpoints": {"5": {"show_api_extra": 1}}}


# ======================================================= info.py: with_info, derived


def test_only_callable_endpoints_sharing_a_name_need_the_public_info() -> None:
    pub = {"api_name": "x", "api_visibility": "public"}
    assert needs_public_info(config_of(pub, {"api_name": "x", "api_visibility": "undocumented"}))
    assert needs_public_info(config_of({"api_name": "y"}, pub, {"api_name": "x"}))
    assert not needs_public_info(config_of(pub, {"api_name": "x", "api_visibility": "private"}))
    assert not needs_public_info(config_of({"api_name": "x", "api_visibility": "private"}, pub))
    assert not needs_public_info(config_of({"api_name": None}, {"api_name": None}, pub))


def test_with_info_takes_every_field_of_the_entry_and_resets_the_rest() -> None:
    p = Parameter(name="x", label="X", component="Textbox", python_type="str", description="",
                  has_default=False, default=None, type={})
    r = Return(label="Y", component="Textbox", python_type="str", description="", type={})
    entry = EndpointInfo(parameters=(p,), returns=(r,), description="what it does", oauth_token="required")
    config = config_of({"api_name": "a"}, {"api_name": None})
    app = with_info(config, ApiInfo(named={"/a": entry}, unnamed={1: entry}))
    for e in app.endpoints.values():
        assert (e.parameters, e.returns, e.description, e.oauth_token) == ((p,), (r,), "what it does", "required")
    again = with_info(app, ApiInfo(named={}, unnamed={}))
    for e in again.endpoints.values():
        assert (e.parameters, e.returns, e.description, e.oauth_token) == (None, None, "", None)
    assert again.components == config.components and again.version == config.version


def test_with_a_public_info_an_entry_of_another_visibility_is_not_taken() -> None:
    undocumented = EndpointInfo(parameters=(), returns=(), visibility="undocumented", description="u")
    public = EndpointInfo(parameters=(), returns=(), visibility="public", description="p")
    config = config_of({"api_name": "x"}, {"api_name": "x", "api_visibility": "undocumented"}, {"api_name": "y"},
                     {"api_name": "z", "api_visibility": "undocumented"})
    info = ApiInfo(named={"/x": undocumented, "/y": public, "/z": undocumented}, unnamed={}, public={"/x": public})
    app = with_info(config, info)
    assert [app.endpoints[i].description for i in range(4)] == ["p", "u", "p", "u"]
    # without the public /info, the all-endpoints entry goes to every endpoint of that name
    alone = with_info(config, ApiInfo(named=info.named, unnamed={}))
    assert [alone.endpoints[i].description for i in range(4)] == ["u", "u", "p", "u"]
    # a public endpoint the public /info lacks keeps the all-endpoints entry of its visibility
    partial = with_info(config, ApiInfo(named={"/y": undocumented}, unnamed={}, public={}))
    assert partial.endpoints[2].parameters is None


def test_derived_info_reads_labels_defaults_and_schemas() -> None:
    components = [
        {"id": 1, "type": "textbox", "props": {"label": "Text", "value": "v", "name": "textbox"},
         "api_info": {"type": "string", "additional_description": "more"}},
        {"id": 2, "type": "number", "props": {"value": 0}, "api_info": {"type": "number", "description": "d"},
         "api_info_as_input": {"type": "integer", "description": "as input"},
         "api_info_as_output": {"type": "boolean", "description": "as output"}},
        {"id": 3, "type": "image", "props": {"label": "Pic", "name": ""},
         "api_info": {"info": {"type": "string", "description": "base64"}, "serialized_info": True}},
        {"id": 4, "type": "json", "props": {"label": 5}, "api_info": "junk"},
    ]
    config = config_of({"inputs": [1, 2, 3, 4], "outputs": [2, 3, 4], "api_name": "f"}, components=components)
    entry = info_from_config(config).named["/f"]
    text, number, image, junk = entry.parameters
    assert (text.name, text.label, text.component, text.python_type, text.description, text.has_default, text.default) == (
        "text", "Text", "Textbox", "str", "more", True, "v"
    )
    assert (number.name, number.label, number.component, number.python_type, number.description) == (
        "param_1", "parameter_2", "Number", "int", ""
    )
    assert (number.has_default, number.default, number.type) == (True, 0, {"type": "integer", "description": "as input"})
    assert (image.name, image.component, image.python_type, image.description, image.has_default) == (
        "pic", "Image", "str", "base64", False
    )
    assert (junk.name, junk.label, junk.component, junk.type) == ("param_3", "parameter_4", "Json", {})
    n_out, image_out, junk_out = entry.returns
    assert (n_out.label, n_out.python_type, n_out.description, n_out.component) == ("value_2", "bool", "as output", "Number")
    assert (image_out.label, image_out.python_type, image_out.description, image_out.type) == (
        "Pic", "str", "base64", {"type": "string", "description": "base64"}
    )
    assert (junk_out.label, junk_out.type) == ("value_4", {})


def test_derived_info_leaves_out_skipped_and_unknown_components() -> None:
    components = [
        {"id": 1, "type": "textbox", "props": {"label": "A"}},
        {"id": 2, "type": "state", "props": {"label": "S"}},
        {"id": 3, "type": "textbox", "props": {"label": "B"}, "skip_api": True},
    ]
    config = config_of({"inputs": [2, 9, 1, 3], "outputs": [3, 1, 2, 8], "api_name": "f"},
                     {"inputs": [1], "outputs": [], "api_name": "js", "backend_fn": False},
                     {"inputs": [1], "outputs": [], "api_name": "p", "api_visibility": "private"},
                     {"inputs": [1], "outputs": [1]}, components=components)
    info = info_from_config(config)
    assert list(info.named) == ["/f"] and list(info.unnamed) == [3]
    (a,) = info.named["/f"].parameters
    assert a.name == "a" and [r.label for r in info.named["/f"].returns] == ["A"]
    assert info.unnamed[3].visibility == "public"


def test_derived_names_count_up_past_one() -> None:
    used: set[str] = set()
    assert [derived_name("Text", i, used) for i in range(4)] == ["text", "text_1", "text_2", "text_3"]
    assert used == {"text", "text_1", "text_2", "text_3"}
    assert derived_name("  --  ", 7, set()) == "param_7"
    assert derived_name("2 Big", 0, set()) == "_2_big" and derived_name("if", 0, set()) == "if_"
    assert [derived_name(n, 1, set()) for n in ("headers", "fn_index", "result_callbacks")] == ["param_1"] * 3


def test_a_component_with_id_0_takes_files_for_itself_only() -> None:
    raw = minimal()
    raw["components"] = [
        {"id": 0, "type": "file", "props": {}, "api_info": FILE_SCHEMA},
        {"id": 1, "type": "textbox", "props": {}, "api_info": {"type": "string"}},
    ]
    raw["dependencies"][0]["inputs"] = [1, 0, 1]
    assert parse_config(raw).endpoints[0].file_inputs == (1,)


def _in_lists(depth: int) -> Any:
    schema: Any = FILE_SCHEMA
    for _ in range(depth):
        schema = [schema]
    return {"anyOf": schema}


def test_the_file_search_counts_lists_and_references_as_levels() -> None:
    found = []
    for depth in (30, 31, 32, 33):
        raw = minimal()
        raw["components"][0]["api_info"] = _in_lists(depth)
        found.append(parse_config(raw).endpoints[0].file_inputs == (0,))
    assert found == [True, True, False, False]  # the anyOf object is one level more
    chain = {f"D{i}": {"$ref": f"#/$defs/D{i + 1}"} for i in range(20)} | {"D20": FILE_SCHEMA}
    for ref, defs, expected in (
        ("#/$defs/D0", chain, (0,)),
        ("#/$defs/D0", chain | {"D20": {"$ref": "#/$defs/D0"}}, ()),  # a cycle ends at the depth limit
        ("D20", chain, (0,)),  # a bare name is a reference too
    ):
        raw = minimal()
        raw["components"][0]["api_info"] = {"$ref": ref, "$defs": defs}
        assert parse_config(raw).endpoints[0].file_inputs == expected, (ref, expected)


def test_every_field_of_a_parameter_and_a_return_is_named_with_its_path(caplog: pytest.LogCaptureFixture) -> None:
    entry = {
        "parameters": [
            {"python_type": 7, "parameter_name": 1, "label": 2, "component": 3, "parameter_has_default": "y", "type": "t"},
            {"python_type": {"type": 5, "description": 6}},
        ],
        "returns": [{"python_type": 7, "label": 2, "component": 3, "type": "t"}, {"python_type": {"type": 5, "description": 6}}],
    }
    _, seen = parsed_with_notices(parse_info, {"unnamed_endpoints": {"0": entry}}, caplog)
    e = "$.unnamed_endpoints['0']"
    p, q, r = f"{e}.parameters[0]", f"{e}.parameters[1]", f"{e}.returns[0]"
    assert seen == [
        f"{p}.python_type (expected object | str, got number)", f"{p}.parameter_name (expected str, got number)",
        f"{p}.label (expected str, got number)", f"{p}.component (expected str, got number)",
        f"{p}.parameter_has_default (expected bool, got str)", f"{p}.type (expected object, got str)",
        f"{q}.python_type.type (expected str, got number)", f"{q}.python_type.description (expected str, got number)",
        f"{r}.python_type (expected object | str, got number)", f"{r}.label (expected str, got number)",
        "and 4 more",
    ]
    (ret,) = parse_info({"unnamed_endpoints": {"0": {"returns": [entry["returns"][0]]}}}).unnamed[0].returns
    assert (ret.label, ret.component, ret.type, ret.description) == (None, None, {}, "")
    _, seen = parsed_with_notices(parse_info, {"named_endpoints": {"/r": {"returns": entry["returns"]}}}, caplog)
    r, s = "$.named_endpoints['/r'].returns[0]", "$.named_endpoints['/r'].returns[1]"
    assert seen == [
        f"{r}.python_type (expected object | str, got number)", f"{r}.label (expected str, got number)",
        f"{r}.component (expected str, got number)", f"{r}.type (expected object, got str)",
        f"{s}.python_type.type (expected str, got number)", f"{s}.python_type.description (expected str, got number)",
    ]


def test_the_endpoint_lists_and_the_visibility_are_named_with_their_paths(caplog: pytest.LogCaptureFixture) -> None:
    raw = {"named_endpoints": [], "unnamed_endpoints": {"1": {"api_visibility": 5, "show_api": "no"}}}
    info, seen = parsed_with_notices(parse_info, raw, caplog)
    assert seen == [
        "$.named_endpoints (expected object, got array)",
        "$.unnamed_endpoints['1'].api_visibility (expected str, got number)",
        "$.unnamed_endpoints['1'].show_api (expected bool, got str)",
    ]
    assert info.named == {} and info.unnamed[1].visibility == "public"


def test_an_info_without_endpoints_is_named_as_such() -> None:
    with pytest.raises(RemoteProtocolError) as info:
        parse_info({"detail": "Not Found"})
    assert str(info.value).startswith("Invalid Gradio API info: it has neither 'named_endpoints' nor")


def test_a_shared_name_after_an_unnamed_or_private_endpoint_is_still_seen() -> None:
    for first in ({"api_name": None}, {"api_name": "p", "api_visibility": "private"}):
        assert needs_public_info(config_of(first, {"api_name": "x"}, {"api_name": "x", "api_visibility": "undocumented"}))


def test_derived_info_names_the_component_class_and_reads_schemas_with_an_info_key() -> None:
    components = [
        {"id": 1, "type": "custom", "props": {"label": "A", "name": "Slider"}, "api_info": {"type": "number", "info": "note"}},
        {"id": 2, "type": "custom", "props": {"label": "B", "name": 3}, "api_info": {"type": "string"}},
    ]
    entry = info_from_config(config_of({"inputs": [1, 2], "outputs": [], "api_name": "f"}, components=components)).named["/f"]
    a, b = entry.parameters
    assert (a.component, a.python_type, a.type) == ("Slider", "float", {"type": "number", "info": "note"})
    assert (b.component, b.python_type) == ("Custom", "str")
