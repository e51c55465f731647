"""Tests for gradio_client.protocol.api: the app model built from /config and /info
(parsing, endpoint resolution, derived info).  Calls, outputs, files and view_api:
test_api_calls.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from gradio_client.protocol.api import (
    ApiInfo,
    AppConfig,
    Endpoint,
    EndpointInfo,
    Parameter,
    build_data,
    info_dict,
    info_from_config,
    has_files,
    map_files,
    merge_public_info,
    needs_public_info,
    outputs_value,
    parse_config,
    parse_info,
    render_api,
    version_tuple,
    with_info,
)
from gradio_client.protocol.errors import (
    ArgumentError,
    EndpointNotFoundError,
    RemoteProtocolError,
)

from .api_helpers import ALL_CONFIGS, DATA, G6, load, minimal_config


# ============================================================== every captured config


@pytest.mark.parametrize("path", ALL_CONFIGS, ids=[p.parent.name for p in ALL_CONFIGS])
def test_every_fixture_config_parses_consistently(path: Path) -> None:
    raw = load(path)
    config = parse_config(path.read_bytes())
    assert len(config.endpoints) == len(raw["dependencies"])
    assert set(config.components) == {c["id"] for c in raw["components"]}
    for fn_index, e in config.endpoints.items():
        assert e.fn_index == fn_index
        assert len(e.skipped_outputs) == len(e.outputs)
        assert set(e.state_inputs) <= set(e.skipped_inputs)
        assert all(e.input_types[i] == "state" for i in e.state_inputs)
        assert e.visibility in {"public", "undocumented", "private"}
    # the dict form gives the same result as the bytes form
    assert parse_config(raw) == config


# ============================================== the same app on every captured version

CAPTURED = sorted(p.parent for p in DATA.glob("gradio-[0-9]*/outputs.json"))


@pytest.mark.skipif(not CAPTURED, reason="no captured versions")
@pytest.mark.parametrize("folder", CAPTURED, ids=[p.name for p in CAPTURED])
def test_captured_app_on_every_version(folder: Path) -> None:
    """capture_app.py as each real server describes it (see tests/data/configs/README.md)."""
    version = folder.name.removeprefix("gradio-")
    config = parse_config((folder / "config.json").read_bytes())
    info = parse_info((folder / "info_all_endpoints.json").read_bytes())
    app = with_info(config, info)
    assert config.version == version
    major_minor = version_tuple(version)[:2]
    expected_protocol = (
        "ws" if major_minor < (4, 0) else "sse" if major_minor < (4, 9)
        else "sse_v1" if major_minor < (4, 17) else "sse_v2" if major_minor < (4, 21)
        else "sse_v2.1" if major_minor < (4, 22) else "sse_v3"
    )
    assert config.protocol == expected_protocol
    assert config.api_prefix == ("/gradio_api" if major_minor >= (5, 0) else "")
    by_name = {e.api_name: e for e in config.endpoints.values()}
    chat, counter, files = by_name["/chat"], by_name["/counter"], by_name["/files"]
    assert chat.fn_index == 2 and chat.state_inputs == (2,)
    assert chat.skipped_outputs == (False, False, True)
    assert counter.state_inputs == (0,) and counter.skipped_outputs == (True, False)
    assert by_name["/layout"].skipped_outputs == (True,)
    assert files.file_inputs == (0, 1)
    assert by_name["/count"].is_generator
    # the private endpoint (fn 5): api_name=False up to 5.x, api_visibility in 6.x
    assert config.endpoints[5].visibility == "private"
    with pytest.raises(EndpointNotFoundError, match="is private"):
        config.endpoint(fn_index=5)
    # show_api=False exists from 4.x on (the capture app falls back to public before)
    hidden = by_name["/hidden"].visibility
    assert hidden == ("public" if major_minor < (4, 1) else "undocumented")
    # the api_name=None endpoint is unnamed in 3.x; 4.x+ apps mark it private instead
    assert (config.endpoints[10].api_name, config.endpoints[10].visibility) == (
        (None, "public") if major_minor < (4, 0) else (config.endpoints[10].api_name, "private")
    )
    assert build_data(app.endpoint(api_name="/chat"), ("hi", []), {}) == ["hi", [], None]
    assert outputs_value(chat, ["", [], None]) == ("", [])
    # files as this version's server sends them, found by the rule for its protocol
    outputs = load(folder / "outputs.json")
    found: list[Any] = []
    map_files(outputs["files"], found.append, config.protocol)
    assert len(found) == (1 if config.protocol == "ws" else 2)  # 3.x images are base64 text
    assert has_files(outputs["files"], config.protocol)
    if isinstance(outputs["as_json"], list) and isinstance(outputs["as_json"][0], dict):
        if "meta" not in outputs["as_json"][0]:  # 4.21 itself turned it into a FileData
            assert map_files(outputs["as_json"], found.append, config.protocol) == outputs["as_json"]
            assert len(found) == (1 if config.protocol == "ws" else 2)
    text = render_api(app, info, True)
    for name in info.named:
        assert f'api_name="{name}"' in text


def test_gradio3_real_unnamed_endpoint() -> None:
    folder = DATA / "gradio-3.50.2"
    if not folder.is_dir():
        pytest.skip("no gradio 3.50.2 capture")
    config = parse_config((folder / "config.json").read_bytes())
    info = parse_info((folder / "info.json").read_bytes())
    assert list(info.unnamed) == [10]
    assert info.named["/add"].parameters[0].name is None  # 3.x /info has no keyword names
    app = with_info(config, info)
    unnamed = app.endpoint(fn_index=10)
    assert unnamed.api_name is None and unnamed.parameters is not None
    assert build_data(unnamed, ("x",), {}) == ["x"]
    with pytest.raises(ArgumentError, match="positional arguments only"):
        build_data(unnamed, (), {"x": "x"})
    assert "Unnamed API endpoints: 1, to view" in render_api(app, info, None)
    assert " - predict(x, fn_index=10) -> y" in render_api(app, info, True)


# ===================================================================== /config facts


def test_gradio6_config_top_level(cfg6: AppConfig) -> None:
    assert cfg6.version == "6.31.0"
    assert cfg6.version_info == (6, 31, 0)
    assert cfg6.protocol == "sse_v3"
    assert cfg6.api_prefix == "/gradio_api"
    assert cfg6.connect_heartbeat is True  # the app has gr.State
    assert cfg6.enable_queue is True
    assert cfg6.show_error is True
    assert cfg6.max_file_size is None
    assert cfg6.space_id is None
    assert cfg6.root == "http://127.0.0.1:7861"


def test_gradio6_endpoints(cfg6: AppConfig) -> None:
    by_name = {e.api_name: e for e in cfg6.endpoints.values()}
    chat = by_name["/chat"]
    assert chat.fn_index == 2
    assert chat.input_types == ("textbox", "chatbot", "state")
    assert chat.state_inputs == (2,) and chat.skipped_inputs == (2,)
    assert chat.skipped_outputs == (False, False, True)
    assert chat.num_api_inputs == 2
    counter = by_name["/counter"]
    assert counter.state_inputs == (0,) and counter.skipped_outputs == (True, False)
    assert by_name["/layout"].skipped_outputs == (True,)  # a gr.Row
    assert by_name["/layout"].output_types == ("row",)
    assert by_name["/count"].is_generator and not by_name["/add"].is_generator
    assert by_name["/files"].file_inputs == (0, 1)
    assert by_name["/stream_chat"].file_inputs == (1,)  # chat messages may hold files
    assert by_name["/add"].file_inputs == ()
    assert by_name["/secret"].visibility == "private" and not by_name["/secret"].is_valid
    assert by_name["/hidden"].visibility == "undocumented" and by_name["/hidden"].is_valid
    # gr.Button is skip_api in Gradio 6 but is not state: skipped, not a state input
    button_in = by_name["/button_in"]
    assert button_in.input_types == ("button", "textbox")
    assert button_in.skipped_inputs == (0,) and button_in.state_inputs == ()
    # Gradio 6 turns api_name=False into the name "false" with private visibility
    assert by_name["/false"].visibility == "private"
    assert all(e.queue and e.connection == "sse" and e.backend_fn for e in cfg6.endpoints.values())
    assert all(e.parameters is None for e in cfg6.endpoints.values())
    assert cfg6.components[12].type == "chatbot" and cfg6.components[12].label == "Chat"
    assert cfg6.components[11].skip_api and cfg6.components[11].label is None


def test_gradio3_handwritten_config(cfg3: AppConfig) -> None:
    assert cfg3.protocol == "ws"
    assert cfg3.api_prefix == ""
    assert cfg3.version_info == (3, 50, 2)
    assert cfg3.enable_queue is True
    assert cfg3.connect_heartbeat is False
    e = cfg3.endpoints
    assert [x.fn_index for x in e.values()] == [0, 1, 2, 3, 4]  # list positions
    assert e[0].api_name == "/predict" and e[0].queue
    assert e[1].api_name is None and e[1].state_inputs == (1,) and e[1].file_inputs == (0,)
    assert e[1].skipped_outputs == (False, True)
    assert e[1].display_name == "fn_index=1"
    assert e[2].is_generator
    assert e[3].backend_fn is False and e[3].cancels == (2,) and e[3].queue is False
    assert e[4].visibility == "undocumented" and e[4].queue is False  # show_api false, queue false


@pytest.mark.parametrize(
    ("dependency", "visibility"),
    [
        ({"api_name": "x", "api_visibility": "undocumented"}, "undocumented"),
        ({"api_name": "x", "api_visibility": "private"}, "private"),
        ({"api_name": "x", "api_visibility": "weird", "show_api": False}, "undocumented"),
        ({"api_name": False}, "private"),  # Gradio 4/5
        ({"api_name": "x", "show_api": False}, "undocumented"),  # Gradio 4/5
        ({"api_name": "x"}, "public"),
        ({"api_name": None}, "public"),  # unnamed, callable by fn_index
    ],
)
def test_visibility_across_generations(dependency: dict[str, Any], visibility: str) -> None:
    config = parse_config(minimal_config(dependencies=[{"inputs": [1], "outputs": [2], **dependency}]))
    assert config.endpoints[0].visibility == visibility


@pytest.mark.parametrize(
    ("protocol", "enable_queue", "dep_queue", "expected"),
    [
        (None, True, None, True),  # 3.x, queue on, dependency follows the app
        (None, False, None, False),  # 3.x without enable_queue: POST /api/predict
        (None, False, True, False),
        (None, True, False, False),
        (None, None, None, False),  # 3.x config without the key
        ("sse_v3", None, None, True),
        ("sse_v3", None, False, False),
    ],
)
def test_queue_flag(protocol: str | None, enable_queue: bool | None, dep_queue: bool | None, expected: bool) -> None:
    raw = minimal_config()
    del raw["protocol"]
    if protocol is not None:
        raw["protocol"] = protocol
    if enable_queue is not None:
        raw["enable_queue"] = enable_queue
    raw["dependencies"][0]["queue"] = dep_queue
    assert parse_config(raw).endpoints[0].queue is expected


def test_defaults_for_absent_fields() -> None:
    config = parse_config({"dependencies": [{"inputs": [5], "outputs": [6]}]})
    assert config.version == "" and config.version_info == ()
    assert config.protocol == "ws" and config.api_prefix == ""
    assert config.connect_heartbeat is False and config.enable_queue is False
    assert config.show_error is False and config.root is None and config.max_file_size is None
    e = config.endpoints[0]
    # component ids missing from "components" are kept as API inputs/outputs of unknown type
    assert e.input_types == ("",) and e.skipped_inputs == () and e.skipped_outputs == (False,)
    assert e.api_name is None and e.backend_fn and not e.is_generator and e.cancels == ()


def test_api_prefix_and_max_file_size_are_normalised() -> None:
    config = parse_config(minimal_config(api_prefix="gradio_api/", max_file_size=1e6, space_id="a/b"))
    assert config.api_prefix == "/gradio_api"
    assert config.max_file_size == 1_000_000 and isinstance(config.max_file_size, int)
    assert config.space_id == "a/b"


def test_file_inputs_from_schemas() -> None:
    file_schema = {
        "type": "object",
        "properties": {"path": {"type": "string"}, "meta": {"$ref": "#/$defs/M"}},
    }
    meta = {"properties": {"_type": {"const": "gradio.FileData"}}}
    deep: Any = file_schema
    for _ in range(40):  # beyond the search depth: not seen
        deep = {"type": "array", "items": deep}
    schemas = [
        {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/F"}], "$defs": {"F": file_schema, "M": meta}},
        {"type": "array", "items": file_schema, "$defs": {"M": meta}},
        {"type": "object", "properties": {"path": {"type": "string"}}},  # plain JSON
        {"type": "object", "default": file_schema, "$defs": {"M": meta}},  # only in a default
        {**deep, "$defs": {"M": meta}},
        {"$ref": "#/$defs/F", "$defs": "junk"},
    ]
    raw = minimal_config()
    raw["components"] = [
        {"id": i + 1, "type": "x", "props": {}, "api_info": schema} for i, schema in enumerate(schemas)
    ] + [{"id": 9, "type": "x", "props": {}, "api_info": {"type": "string"}, "api_info_as_input": schemas[0]}]
    raw["dependencies"][0]["inputs"] = [*range(1, len(schemas) + 1), 9]
    assert parse_config(raw).endpoints[0].file_inputs == (0, 1, 6)


def test_skip_api_flag_or_layout_type() -> None:
    raw = minimal_config()
    raw["components"] += [
        {"id": 3, "type": "group", "props": {}},  # no flag (3.x): skipped by type
        {"id": 4, "type": "dataset", "props": {}, "skip_api": False},  # the flag wins over the type
        {"id": 5, "type": "html", "props": {}, "skip_api": True},
        {"id": 6, "type": "state", "props": {}, "skip_api": True},
        {"id": 7, "type": "dataset", "props": {}},
    ]
    raw["dependencies"][0]["outputs"] = [2, 3, 4, 5, 6, 7]
    assert parse_config(raw).endpoints[0].skipped_outputs == (False, True, False, True, True, True)


# ============================================================= endpoint resolution


def test_resolve_by_name_and_index(cfg6: AppConfig) -> None:
    assert cfg6.endpoint(api_name="/add").fn_index == 0
    assert cfg6.endpoint(fn_index=1).api_name == "/greet"
    assert cfg6.endpoint(api_name="/greet", fn_index=0).fn_index == 1  # api_name wins
    assert cfg6.endpoint("/chat").fn_index == 2


def test_undocumented_endpoint_is_callable(cfg6: AppConfig) -> None:
    assert cfg6.endpoint(api_name="/hidden").fn_index == 6
    assert cfg6.endpoint(fn_index=6).api_name == "/hidden"


def test_missing_leading_slash_gets_a_hint(cfg6: AppConfig) -> None:
    with pytest.raises(EndpointNotFoundError) as info:
        cfg6.endpoint(api_name="add")
    message = str(info.value)
    assert "Did you mean '/add'?" in message
    assert "Available api_names: /add, /greet, /chat" in message
    assert "/secret" not in message
    assert isinstance(info.value, ValueError)


def test_unknown_name_lists_available(cfg6: AppConfig) -> None:
    with pytest.raises(EndpointNotFoundError, match=r"^Cannot find a function with `api_name`: /nope\. Available api_names: /add"):
        cfg6.endpoint(api_name="/nope")
    with pytest.raises(EndpointNotFoundError, match=r"needs a leading '/', e\.g\. '/predict'"):
        cfg6.endpoint(api_name="nope")


@pytest.mark.parametrize("kwargs", [{"api_name": "/secret"}, {"fn_index": 5}, {"api_name": "/false"}])
def test_private_endpoint_is_refused(cfg6: AppConfig, kwargs: dict[str, Any]) -> None:
    with pytest.raises(EndpointNotFoundError, match="is private"):
        cfg6.endpoint(**kwargs)


def test_unknown_fn_index(cfg6: AppConfig) -> None:
    with pytest.raises(EndpointNotFoundError, match="^Invalid function index: 99\\."):
        cfg6.endpoint(fn_index=99)


def test_no_default_with_many_endpoints(cfg6: AppConfig) -> None:
    with pytest.raises(EndpointNotFoundError, match=r"^This Gradio app might have multiple endpoints\. .*has 10 public named endpoints"):
        cfg6.endpoint()


def test_single_public_endpoint_is_the_default() -> None:
    raw = minimal_config()
    raw["dependencies"] += [
        {"id": 1, "inputs": [1], "outputs": [2], "api_name": "hidden", "api_visibility": "undocumented"},
        {"id": 2, "inputs": [1], "outputs": [2], "api_name": "secret", "api_visibility": "private"},
        {"id": 3, "inputs": [], "outputs": [], "api_name": "js", "backend_fn": False},
        {"id": 4, "inputs": [1], "outputs": [2], "api_name": None},
    ]
    assert parse_config(raw).endpoint().api_name == "/echo"


def test_no_public_named_endpoint(cfg3: AppConfig) -> None:
    raw = minimal_config(dependencies=[{"inputs": [1], "outputs": [2], "api_name": None}])
    with pytest.raises(EndpointNotFoundError) as info:
        parse_config(raw).endpoint()
    assert "has no public named endpoints" in str(info.value)
    assert "Available api_names: (none). Unnamed endpoints (call with fn_index): 0." in str(info.value)
    # 3.x: the JS-only dependency is not offered as an unnamed endpoint
    with pytest.raises(EndpointNotFoundError, match=r"fn_index\): 1\.$"):
        cfg3.endpoint(api_name="/nope")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"api_name": 3}, "api_name must be a str"), ({"fn_index": "3"}, "fn_index must be an int"), ({"fn_index": True}, "fn_index must be an int")],
)
def test_resolution_argument_types(cfg6: AppConfig, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ArgumentError, match=match) as info:
        cfg6.endpoint(**kwargs)
    assert isinstance(info.value, TypeError)


# ========================================================================= /info


def test_parse_info_gradio6(info6: ApiInfo, info6_all: ApiInfo) -> None:
    assert "/secret" not in info6.named and "/hidden" not in info6.named
    assert set(info6_all.named) - set(info6.named) == {"/hidden"}
    assert info6_all.named["/hidden"].visibility == "undocumented"
    assert info6.unnamed == {} and all(k.startswith("/") for k in info6.named)
    add = info6.named["/add"]
    assert add.description == "Add two numbers."
    a, b = add.parameters
    assert a == Parameter(
        name="a", label="A", component="Number", python_type="float", description="",
        has_default=True, default=1, type={"type": "number"}, example_input=3,
    )
    assert b.name == "b" and b.default == 5
    assert add.returns[0].label == "Sum" and add.returns[0].python_type == "float"
    greet = info6.named["/greet"]
    assert greet.parameters[0].has_default is False and greet.parameters[0].default is None
    assert greet.parameters[1].python_type == "Literal['Hello', 'Hi']"
    files = info6.named["/files"]
    assert files.parameters[0].python_type == "filepath"
    assert files.parameters[0].description.startswith("The FileData class")
    assert info6.named["/counter"].parameters == ()  # the state input is not listed
    assert info6.named["/as_json"].returns[0].description == "any valid json"


def test_parse_info_legacy_shapes() -> None:
    raw = {
        "named_endpoints": {
            "/a": {"parameters": [{"label": "X", "type": {"type": "integer"}, "component": "Number"}], "returns": []},
            "/b": {"parameters": [], "returns": [], "show_api": False},
            "/c": {"parameters": [], "returns": [], "api_visibility": "private"},
            "/d": {
                "parameters": [{"label": "Y", "python_type": "str", "type": "junk"}],
                "returns": [{"label": "Z", "python_type": {"description": "d"}, "type": {"type": "boolean"}}],
                "oauth_token": "required",
                "description": None,
                "code_snippets": {"python": "..."},
            },
        },
        "unnamed_endpoints": {"4": {"parameters": [], "returns": []}},
    }
    info = parse_info(raw)
    assert list(info.named) == ["/a", "/b", "/d"]
    assert info.document is not None and list(info.document["named_endpoints"]) == ["/a", "/d"]
    x = info.named["/a"].parameters[0]
    assert x.name is None and x.python_type == "int" and x.description == "" and not x.has_default
    assert info.named["/b"].visibility == "undocumented"
    d = info.named["/d"]
    assert d.parameters[0].python_type == "str" and d.parameters[0].type == {}
    assert d.returns[0].python_type == "bool" and d.returns[0].description == "d"
    assert d.oauth_token == "required" and d.description == ""
    assert list(info.unnamed) == [4]
    empty = {"named_endpoints": {}, "unnamed_endpoints": {}}
    assert parse_info(b'{"unnamed_endpoints": {}}') == ApiInfo(named={}, unnamed={}, document=empty)


def test_with_info_attaches_parameters(app6: AppConfig, info6: ApiInfo) -> None:
    add = app6.endpoint(api_name="/add")
    assert add.parameters is not None and [p.name for p in add.parameters] == ["a", "b"]
    assert add.returns is not None and add.description == "Add two numbers."
    assert app6.endpoint(api_name="/hidden").parameters is not None
    assert app6.endpoints[5].parameters is None  # private: never in /info
    # attaching the public-only /info resets what it does not describe
    again = with_info(app6, info6)
    assert again.endpoint(api_name="/hidden").parameters is None
    assert again.endpoint(api_name="/hidden").description == ""
    assert again.endpoint(api_name="/add") == add


def test_with_info_unnamed_by_fn_index(cfg3: AppConfig) -> None:
    entry = EndpointInfo(parameters=(), returns=(), oauth_token="optional")
    attached = with_info(cfg3, ApiInfo(named={}, unnamed={1: entry}))
    assert attached.endpoints[1].parameters == () and attached.endpoints[1].oauth_token == "optional"
    assert attached.endpoints[0].parameters is None


# ================================================================== info_from_config


def test_derived_info_matches_the_real_server(cfg6: AppConfig, info6_all: ApiInfo) -> None:
    derived = info_from_config(cfg6)
    assert list(derived.named) == list(info6_all.named)
    strip = lambda p: msgspec.structs.replace(p, name=None, example_input=None)  # noqa: E731
    for name, real in info6_all.named.items():
        mine = derived.named[name]
        assert [strip(p) for p in mine.parameters] == [strip(p) for p in real.parameters], name
        assert mine.returns == real.returns, name
        assert mine.visibility == real.visibility
    # keyword names come from labels, since the config lacks the function's names
    assert [p.name for p in derived.named["/files"].parameters] == ["upload", "picture"]
    assert [p.name for p in derived.named["/button_in"].parameters] == ["x"]


def test_derived_info_gradio3(cfg3: AppConfig) -> None:
    info = info_from_config(cfg3)
    assert list(info.named) == ["/predict", "/stream", "/details"]
    assert list(info.unnamed) == [1]  # the JS-only dependency 3 is left out
    text, times = info.named["/predict"].parameters
    assert (text.name, text.label, text.component, text.python_type) == ("input_text", "Input Text", "Textbox", "str")
    assert text.has_default and text.default == ""
    assert (times.name, times.python_type, times.default) == ("times", "float", 3)
    photo, = info.unnamed[1].parameters
    assert photo.component == "Image" and photo.python_type == "str"
    assert photo.description == "base64 representation of an image"
    assert not photo.has_default
    result, = info.unnamed[1].returns
    assert result.label == "Result file" and result.python_type.startswith("dict(name: str (name of file)")
    details = info.named["/details"]
    assert details.visibility == "undocumented"
    assert details.parameters[0].label == "parameter_10" and details.parameters[0].name == "param_0"
    assert details.returns[0].python_type == "str | float | bool | list | dict"


def test_derived_names_are_usable_keywords() -> None:
    labels = ["Input Text", "input text", "3D model", "class", "api_name", "!!!", None]
    components = [
        {"id": i + 1, "type": "textbox", "props": {"label": label} if label else {}}
        for i, label in enumerate(labels)
    ]
    raw = {"components": components, "dependencies": [{"inputs": list(range(1, 8)), "outputs": [], "api_name": "p"}]}
    names = [p.name for p in info_from_config(parse_config(raw)).named["/p"].parameters]
    assert names == ["input_text", "input_text_1", "_3d_model", "class_", "param_4", "param_5", "param_6"]


# ==================================================================== parse errors


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (b"<!DOCTYPE html><html><body>Login</body></html>", "looks like an HTML page"),
        ("  \n<html>", "looks like an HTML page"),
        (b"", "the response is empty"),
        (b"   ", "the response is empty"),
        (b"garbage{", r"not valid JSON .*starts with b'garbage\{'"),
        (b"[1, 2]", r"expected a JSON object, got array"),
        (b'{"components": []}', "has no 'dependencies' list"),
        (b'{"allow_flagging": "never", "components": []}', "Gradio 2.x"),
        (b'{"dependencies": [], "components": [{"id": 1, "props": {"v": ' + b"[" * 3000 + b"]" * 3000 + b"}}]}", "nested too deeply"),
        (b'{"dependencies": [], "version": "\x8b"}', "not valid UTF-8"),
        ({"dependencies": [object()]}, "not JSON data"),
        (42, "expected JSON text, got int"),
    ],
)
def test_parse_config_errors(raw: Any, match: str) -> None:
    with pytest.raises(RemoteProtocolError, match=match) as info:
        parse_config(raw)
    assert str(info.value).startswith(("Invalid Gradio config", "This is a Gradio 2.x"))


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (b"<html>", "Invalid Gradio API info: the response looks like an HTML page"),
        (b"[]", "Invalid Gradio API info: expected a JSON object, got array"),
        (b'{"detail": "Not Found"}', "neither 'named_endpoints' nor 'unnamed_endpoints'"),
    ],
)
def test_parse_info_errors(raw: bytes, match: str) -> None:
    with pytest.raises(RemoteProtocolError, match=match):
        parse_info(raw)


def test_parse_accepts_bytearray_and_memoryview() -> None:
    raw = (G6 / "config.json").read_bytes()
    assert parse_config(bytearray(raw)) == parse_config(memoryview(raw)) == parse_config(raw)
    with pytest.raises(RemoteProtocolError, match="looks like an HTML page"):
        parse_config(memoryview(b"<html>"))


# ========================================================================= misc


@pytest.mark.parametrize(
    ("version", "expected"),
    [("4.44.1", (4, 44, 1)), ("5.0.0b3", (5, 0, 0)), ("3.50", (3, 50)), ("", ()), ("dev", ()), ("6.x.1", (6,))],
)
def test_version_tuple(version: str, expected: tuple[int, ...]) -> None:
    assert version_tuple(version) == expected


def test_values_are_frozen(cfg6: AppConfig) -> None:
    e: Endpoint = cfg6.endpoint(api_name="/add")
    with pytest.raises(AttributeError):
        e.api_name = "/other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        cfg6.protocol = "ws"  # type: ignore[misc]


# ============================================================== shared api_names


@pytest.mark.parametrize("public_first", [True, False])
def test_shared_api_name_resolves_the_public_endpoint(public_first: bool) -> None:
    """Rendering a Blocks can give two dependencies one api_name; /info?all_endpoints=True
    then describes the last of them, the public /info the public one."""
    raw = minimal_config()
    raw["components"].append({"id": 3, "type": "textbox", "props": {"label": "Z"}, "skip_api": False})
    public = {"id": 1, "inputs": [1], "outputs": [2], "api_name": "x_1", "api_visibility": "public"}
    hidden = {"id": 2, "inputs": [], "outputs": [3], "api_name": "x_1", "api_visibility": "undocumented"}
    raw["dependencies"] += [public, hidden] if public_first else [hidden, public]
    config = parse_config(raw)

    def entry(n: int, visibility: str) -> dict[str, Any]:
        params = [{"label": "In", "parameter_name": "s", "component": "Textbox", "type": {"type": "string"}}]
        return {"parameters": params[:n], "returns": [], "api_visibility": visibility}

    last = hidden if not public_first else public
    all_info = parse_info({"named_endpoints": {
        "/echo": entry(1, "public"),
        "/x_1": entry(0, "undocumented") if last is hidden else entry(1, "public"),
    }})
    public_info = parse_info({"named_endpoints": {"/echo": entry(1, "public"), "/x_1": entry(1, "public")}})
    assert needs_public_info(config)
    assert not needs_public_info(parse_config(minimal_config()))
    app = with_info(config, merge_public_info(all_info, public_info))
    chosen = app.endpoint(api_name="/x_1")
    assert chosen.fn_index == 1 and chosen.visibility == "public"
    assert chosen.parameters is not None and [p.name for p in chosen.parameters] == ["s"]
    assert build_data(chosen, ("v",), {}) == ["v"]
    other = app.endpoints[2]
    assert other.parameters is None or other.parameters == ()
    assert info_dict(merge_public_info(all_info, public_info))["named_endpoints"]["/x_1"]["parameters"][0]["parameter_name"] == "s"
    text = render_api(app, merge_public_info(all_info, public_info), None)
    assert 'predict(s, api_name="/x_1")' in text
