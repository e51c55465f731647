"""Tests for gradio_client.protocol.api: a call's arguments, its outputs, file references and
view_api (text and dict)."""

from __future__ import annotations

import copy
import json
from typing import Any

import msgspec
import pytest

from gradio_client.protocol.api import (
    ApiInfo,
    AppConfig,
    EndpointInfo,
    Parameter,
    build_data,
    info_dict,
    info_from_config,
    is_file_reference,
    has_files,
    map_files,
    outputs_value,
    parse_config,
    parse_info,
    render_api,
    with_info,
)
from gradio_client.protocol.errors import (
    ArgumentError,
    RemoteProtocolError,
)

from .api_helpers import G6, load, minimal_config, sse_completed


# ====================================================================== build_data


def test_build_data_positional_kwargs_and_defaults(app6: AppConfig) -> None:
    add = app6.endpoint(api_name="/add")
    assert build_data(add, (1, 2), {}) == [1, 2]
    assert build_data(add, (), {}) == [1, 5]
    assert build_data(add, (7,), {}) == [7, 5]
    assert build_data(add, (), {"b": 9}) == [1, 9]
    assert build_data(add, (), {"b": 9, "a": 8}) == [8, 9]


def test_build_data_inserts_none_for_state_and_skipped_inputs(app6: AppConfig) -> None:
    assert build_data(app6.endpoint(api_name="/chat"), ("hi",), {}) == ["hi", [], None]
    assert build_data(app6.endpoint(api_name="/chat"), (), {"message": "m", "history": [1]}) == ["m", [1], None]
    assert build_data(app6.endpoint(api_name="/counter"), (), {}) == [None]
    # the official client would send ["x"] here and the server rejects it (too few inputs)
    assert build_data(app6.endpoint(api_name="/button_in"), ("x",), {}) == [None, "x"]


@pytest.mark.parametrize(
    ("api_name", "args", "kwargs", "match"),
    [
        ("/greet", (), {}, r"missing required argument\(s\): name: \(name, greeting='Hello'\)"),
        ("/files", (), {}, r"missing required argument\(s\): f, img"),
        ("/add", (1, 2, 3), {}, r"takes 2 argument\(s\) but 3 positional"),
        ("/add", (), {"c": 1}, r"unexpected keyword argument 'c': \(a=1, b=5\)"),
        ("/add", (1,), {"a": 2}, r"multiple values for argument 'a'"),
    ],
)
def test_build_data_errors(app6: AppConfig, api_name: str, args: tuple[Any, ...], kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ArgumentError, match=match) as info:
        build_data(app6.endpoint(api_name=api_name), args, kwargs)
    assert isinstance(info.value, TypeError)
    assert api_name in str(info.value)


def test_build_data_without_parameter_info(cfg6: AppConfig) -> None:
    chat = cfg6.endpoint(api_name="/chat")  # no with_info: parameters is None
    assert build_data(chat, ("hi", []), {}) == ["hi", [], None]
    with pytest.raises(ArgumentError, match=r"takes 2 positional argument\(s\) but 1 were given"):
        build_data(chat, ("hi",), {})
    with pytest.raises(ArgumentError, match=r"positional arguments only \(got keyword arguments: message\)"):
        build_data(chat, (), {"message": "hi"})


def test_unnamed_endpoint_rejects_kwargs(app3: AppConfig) -> None:
    unnamed = app3.endpoint(fn_index=1)
    assert unnamed.parameters is not None
    assert build_data(unnamed, ("img",), {}) == ["img", None]
    with pytest.raises(ArgumentError, match=r"fn_index=1 is unnamed, so it takes positional arguments only"):
        build_data(unnamed, (), {"photo": "img"})


def test_build_data_gradio3_defaults(app3: AppConfig) -> None:
    assert build_data(app3.endpoint(api_name="/predict"), (), {"times": 2}) == ["", 2]


def test_parameters_without_names(cfg6: AppConfig) -> None:
    echo = msgspec.structs.replace(
        cfg6.endpoint(api_name="/hidden"),
        parameters=(Parameter(name=None, label="Some Text", component="Textbox", python_type="str",
                              description="", has_default=False, default=None, type={}),),
    )
    with pytest.raises(ArgumentError, match=r"missing required argument\(s\): some_text"):
        build_data(echo, (), {})
    nameless = msgspec.structs.replace(echo, parameters=(msgspec.structs.replace(echo.parameters[0], label=None),))  # type: ignore[index]
    with pytest.raises(ArgumentError, match=r"argument\(s\): param_0"):
        build_data(nameless, (), {})


def test_info_that_disagrees_with_the_config(cfg6: AppConfig, info6: ApiInfo) -> None:
    wrong = ApiInfo(named={"/chat": info6.named["/add"], "/add": info6.named["/counter"]}, unnamed={})
    app = with_info(cfg6, wrong)
    with pytest.raises(RemoteProtocolError, match=r"/info lists 0 parameter\(s\) for /add but the config gives it 2"):
        build_data(app.endpoint(api_name="/add"), (), {})


# =================================================================== outputs_value


def test_outputs_value_from_recorded_completions(cfg6: AppConfig) -> None:
    counter = cfg6.endpoint(api_name="/counter")
    assert sse_completed("stream_counter.sse") == [None, 1]  # state comes back as null
    assert outputs_value(counter, sse_completed("stream_counter.sse")) == 1
    layout = cfg6.endpoint(api_name="/layout")
    assert outputs_value(layout, sse_completed("stream_layout.sse")) == ()
    files = outputs_value(cfg6.endpoint(api_name="/files"), sse_completed("stream_files.sse"))
    assert isinstance(files, tuple) and len(files) == 2
    as_json = outputs_value(cfg6.endpoint(api_name="/as_json"), sse_completed("stream_json.sse"))
    assert as_json == {"path": "notafile.txt", "value": "v", "items": [1, 2, 3]}


def test_outputs_value_strips_state(cfg6: AppConfig) -> None:
    chat = cfg6.endpoint(api_name="/chat")
    assert outputs_value(chat, ["", [{"role": "user"}], None]) == ("", [{"role": "user"}])
    assert outputs_value(cfg6.endpoint(api_name="/add"), [3]) == 3
    assert outputs_value(cfg6.endpoint(api_name="/add"), [[1, 2]]) == [1, 2]  # one output: bare


def test_outputs_value_errors(cfg6: AppConfig) -> None:
    add = cfg6.endpoint(api_name="/add")
    with pytest.raises(RemoteProtocolError, match=r"output\.data for /add must be a list, got dict"):
        outputs_value(add, {"a": 1})
    with pytest.raises(RemoteProtocolError, match=r"has 2 value\(s\) but the endpoint has 1 output"):
        outputs_value(add, [1, 2])


# ========================================================================= files

META = {"_type": "gradio.FileData"}


def test_map_files_on_recorded_sse_v3_outputs() -> None:
    seen: list[str] = []

    def fn(ref: dict[str, Any]) -> str:
        seen.append(ref["orig_name"])
        return "local:" + ref["orig_name"]

    data = sse_completed("stream_files.sse")
    before = copy.deepcopy(data)
    assert map_files(data, fn, "sse_v3") == ["local:hello.txt", "local:dot.png"]
    assert seen == ["hello.txt", "dot.png"] and data == before
    # the gr.JSON output {"path": "notafile.txt", ...} is not a file on sse_v3
    json_data = sse_completed("stream_json.sse")
    assert map_files(json_data, fn, "sse_v3") is json_data
    assert map_files(json_data, fn, "sse_v2.1") is json_data


LEGACY_40 = {"path": "/tmp/x.png", "url": None, "size": 3, "orig_name": "x.png", "mime_type": None}
LEGACY_3X = {"name": "/tmp/x.png", "data": None, "is_file": True, "orig_name": "x.png"}
PLAIN = {"path": "notafile.txt"}


@pytest.mark.parametrize(
    ("value", "protocol", "inputs", "expected"),
    [
        ({"path": "a", "meta": META}, "sse_v3", False, True),
        ({"path": "a", "meta": META}, "ws", True, True),
        ({"url": "http://h/a", "path": None, "meta": META}, "sse_v3", False, True),
        ({"path": None, "meta": META}, "sse_v3", False, False),
        ({"path": "a", "meta": {"_type": "other"}}, "sse_v3", False, False),
        (PLAIN, "sse_v3", False, False),
        (PLAIN, "sse_v2", False, False),
        (LEGACY_40, "sse_v3", False, False),
        (LEGACY_40, "sse_v2.1", False, False),
        (LEGACY_40, "sse_v2", False, True),
        (LEGACY_40, "sse", False, True),
        (LEGACY_40, "sse_v1", True, False),  # inputs: only tagged files
        ({"path": "a", "orig_name": None}, "sse_v1", False, True),
        (LEGACY_3X, "ws", False, True),
        ({"name": "a", "data": "data:...", "is_file": False}, "ws", False, True),
        ({"name": "a", "is_file": "yes"}, "ws", False, False),
        (LEGACY_3X, "sse_v3", False, False),
        ("a", "ws", False, False),
    ],
)
def test_is_file_reference(value: Any, protocol: str, inputs: bool, expected: bool) -> None:
    assert is_file_reference(value, protocol, inputs=inputs) is expected


def test_map_files_walks_containers_and_shares_the_rest() -> None:
    keep = {"deep": [1, {"x": 2}]}
    value = {"a": [({"path": "f", "meta": META}, 3)], "b": keep, "c": "s"}
    result = map_files(value, lambda ref: ref["path"].upper(), "sse_v3")
    assert result == {"a": [("F", 3)], "b": keep, "c": "s"}
    assert isinstance(result["a"][0], tuple)
    assert result["b"] is keep  # unchanged subtree shared, not copied
    assert value["a"][0][0] == {"path": "f", "meta": META}  # input untouched
    untouched = [keep, ("t",)]
    assert map_files(untouched, lambda ref: 1 / 0, "sse_v3") is untouched
    assert has_files(value, "sse_v3") and not has_files(untouched, "sse_v3")
    assert has_files({"path": "f", "meta": META}, "sse_v3")
    assert not has_files([{"path": "x"}], "sse_v3")  # a gr.JSON value, not a file
    assert has_files([{"path": "x", "url": "u"}], "sse_v2")  # untagged 4.x FileData


def test_map_files_does_not_search_inside_results_or_files() -> None:
    nested = {"path": "outer", "meta": META, "inner": {"path": "inner", "meta": META}}
    calls: list[str] = []

    def fn(ref: dict[str, Any]) -> Any:
        calls.append(ref["path"])
        return {"path": "again", "meta": META}

    assert map_files([nested], fn, "sse_v3") == [{"path": "again", "meta": META}]
    assert calls == ["outer"]


def test_map_files_inputs_ignore_legacy_shapes() -> None:
    value = [LEGACY_40, {"path": "a", "meta": META}]
    assert map_files(value, lambda ref: "X", "sse_v1", inputs=True) == [LEGACY_40, "X"]
    assert map_files(value, lambda ref: "X", "sse_v1") == ["X", "X"]


def test_map_files_too_deep() -> None:
    deep: Any = "leaf"
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(RemoteProtocolError, match="nested too deeply"):
        map_files(deep, lambda ref: ref, "sse_v3")


# ===================================================================== view_api


def test_render_api_shows_every_parameter(app6: AppConfig, info6_all: ApiInfo) -> None:
    text = render_api(app6, info6_all, None)
    assert text.startswith("Client.predict() Usage Info\n---------------------------\nNamed API endpoints: 10\n")
    for name, entry in info6_all.named.items():
        if entry.visibility != "public":
            assert f'api_name="{name}"' not in text
            continue
        assert f'api_name="{name}")' in text
        for p in entry.parameters:
            assert f"[{p.component}] {p.name}: {p.python_type}" in text
        for r in entry.returns:
            assert f"[{r.component}]" in text and r.python_type in text
    assert ' - predict(a, b, api_name="/add") -> sum\n    Add two numbers.\n' in text
    assert "[Number] a: float (not required, defaults to: 1)" in text
    assert "[Textbox] name: str (required)" in text
    assert "[Dropdown] greeting: Literal['Hello', 'Hi'] (not required, defaults to: 'Hello')" in text
    assert "-> (message, chat)" in text
    assert "[File] f: filepath (required) (The FileData class is a subclass" in text
    assert "Attributes:" not in text  # only the first line of a long description
    assert "[Json] json_out: str | float | bool | list | dict (any valid json)" in text
    assert ' - predict(api_name="/layout") -> ()\n    Parameters:\n     - None\n    Returns:\n     - None' in text
    assert 'predict(n, api_name="/count") -> stream\n    Generator: submit() yields' in text
    assert "Unnamed" not in text


def test_render_api_all_endpoints_shows_undocumented(app6: AppConfig, info6_all: ApiInfo) -> None:
    text = render_api(app6, info6_all, True)
    assert "Named API endpoints: 11" in text
    assert ' - predict(x, api_name="/hidden") -> y\n    (undocumented' in text
    assert "Unnamed API endpoints: 0" in text
    assert render_api(app6, info6_all, False) == render_api(app6, info6_all, None)


def test_render_api_unnamed_endpoints(app3: AppConfig) -> None:
    info = info_from_config(app3)
    text = render_api(app3, info, None)
    assert "Unnamed API endpoints: 1, to view, run Client.view_api(all_endpoints=True)" in text
    full = render_api(app3, info, True)
    assert " - predict(photo, fn_index=1) -> result_file\n" in full
    assert "[Image] photo: str (required) (base64 representation of an image)" in full
    only_unnamed = ApiInfo(named={}, unnamed=info.unnamed)
    assert "Named API endpoints: 0\n\nUnnamed API endpoints: 1\n" in render_api(app3, only_unnamed, None)


def test_render_api_defaults_tokens_and_nameless() -> None:
    file_default = {"path": "/tmp/cat.png", "url": "http://h/file=cat.png", "meta": META}
    deep: Any = 1
    for _ in range(12):
        deep = [deep]
    params = (
        Parameter(name="img", label="Img", component="Image", python_type="filepath", description="",
                  has_default=True, default=file_default, type={}),
        Parameter(name="opts", label="Opts", component="Json", python_type="dict", description="",
                  has_default=True, default={"k": [1, "two", None]}, type={}),
        Parameter(name="maybe", label="Maybe", component="Textbox", python_type="str", description="",
                  has_default=True, default=None, type={}),
        Parameter(name=None, label="Deep", component=None, python_type="list", description="",
                  has_default=True, default=deep, type={}),
    )
    entry = EndpointInfo(parameters=params, returns=(), description="\n\n  First line.\nSecond.", oauth_token="required")
    config = parse_config(minimal_config())
    text = render_api(config, ApiInfo(named={"/x": entry}, unnamed={}), None)
    assert "defaults to: handle_file('http://h/file=cat.png')" in text
    assert "defaults to: {'k': [1, 'two', None]}" in text
    assert "[Textbox] maybe: str | None (not required, defaults to: None)" in text
    assert "[?] deep: list (not required, defaults to: [[[[[[[[...]]]]]]]])" in text
    assert "    First line.\n" in text and "Second." not in text
    assert "Acts on your behalf: this endpoint takes your Hugging Face token (required). Pass it" in text
    long = EndpointInfo(parameters=(), returns=(), description="word " * 100)
    long_text = render_api(config, ApiInfo(named={"/y": long}, unnamed={}), None)
    line = next(x for x in long_text.splitlines() if x.startswith("    word"))
    assert len(line) == 4 + 200 and line.endswith("...")


def test_info_dict_is_the_public_document_without_client_side_keys(info6_all: ApiInfo, cfg3: AppConfig) -> None:
    raw = load(G6 / "info_all_endpoints.json")
    public = load(G6 / "info.json")
    d = info_dict(info6_all)
    # what the official client returns: the public /info, minus snippets and visibility
    expected = {
        kind: {
            name: {k: v for k, v in entry.items() if k not in ("code_snippets", "api_visibility", "show_api")}
            for name, entry in public[kind].items()
        }
        for kind in ("named_endpoints", "unnamed_endpoints")
    }
    assert d == expected
    assert list(d["named_endpoints"]) == list(public["named_endpoints"])
    assert "/hidden" in raw["named_endpoints"] and "/hidden" not in d["named_endpoints"]
    add = d["named_endpoints"]["/add"]
    assert list(add) == [k for k in raw["named_endpoints"]["/add"] if k not in ("code_snippets", "api_visibility")]
    assert json.loads(json.dumps(d)) == d  # plain JSON data
    d["named_endpoints"]["/add"]["parameters"].clear()  # a copy: the client's info is untouched
    assert info_dict(info6_all)["named_endpoints"]["/add"]["parameters"]
    derived = info_from_config(cfg3)
    assert derived.document is None
    dd = info_dict(derived)
    assert list(dd["unnamed_endpoints"]) == ["1"]
    assert "api_visibility" not in dd["unnamed_endpoints"]["1"]
    again = parse_info(json.dumps(dd))
    assert again.unnamed == derived.unnamed
    assert again.named == {n: e for n, e in derived.named.items() if e.visibility == "public"}
    with_token = ApiInfo(named={"/t": EndpointInfo(parameters=(), returns=(), oauth_token="optional")}, unnamed={})
    assert info_dict(with_token)["named_endpoints"]["/t"]["oauth_token"] == "optional"
