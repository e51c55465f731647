"""app/*.py tests written for mutants that survived the app-model tests (docs/mutation.md):
a call's arguments and result (call.py), which endpoint a call means (model.py), file
references (files.py) and ``view_api`` (render.py).  /config and /info: test_mutants_app.py.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradio_client.protocol.app import (
    ApiInfo,
    Component,
    Endpoint,
    EndpointInfo,
    Parameter,
    Return,
    build_data,
    has_files,
    info_dict,
    is_file_reference,
    map_files,
    outputs_value,
    render_api,
)
from gradio_client.protocol.app.call import KeywordsNotSupportedError, render_value
from gradio_client.protocol.errors import (
    ArgumentError,
    EndpointNotFoundError,
    RemoteProtocolError,
)

from .mutant_app_helpers import config_of, json_values

# ================================================================ call.py: a call


def _endpoint(params: list[tuple[str | None, Any]], api_name: str | None = "/f", skipped: tuple[int, ...] = ()) -> Any:
    """An endpoint with one input per parameter (plus the skipped ones); a parameter is
    (name, default), the default ``REQUIRED`` for none."""
    n = len(params) + len(skipped)
    parameters = tuple(
        Parameter(name=name, label=None, component=None, python_type="Any", description="",
                  has_default=default is not REQUIRED, default=None if default is REQUIRED else default, type={})
        for name, default in params
    )
    return Endpoint(
        fn_index=4, api_name=api_name, visibility="public", inputs=tuple(range(n)), outputs=(0,), input_types=("",) * n,
        output_types=("",), state_inputs=(), skipped_inputs=skipped, skipped_outputs=(False,), file_inputs=(),
        is_generator=False, queue=True, cancels=(), connection="sse", backend_fn=True, batch=False, parameters=parameters,
    )


REQUIRED: Any = object()
names = st.lists(st.sampled_from("abcdef"), unique=True, min_size=1, max_size=5)


@given(names, st.data())
def test_build_data_binds_like_a_python_call(params: list[str], data: st.DataObject) -> None:
    """The same arguments bound to a Python function of that signature give the same
    values, or both refuse them (an ArgumentError where Python raises TypeError)."""
    required = data.draw(st.integers(0, len(params)))
    defaults = {name: f"default-{name}" for name in params[required:]}
    endpoint = _endpoint([(n, defaults.get(n, REQUIRED)) for n in params])
    args = tuple(data.draw(st.lists(st.integers(), max_size=len(params) + 1)))
    kwargs = data.draw(st.dictionaries(st.sampled_from([*params, "zz"]), st.integers(), max_size=3))
    source = f"def f({', '.join(n if n not in defaults else f'{n}={defaults[n]!r}' for n in params)}): return [{', '.join(params)}]"
    scope: dict[str, Any] = {}
    exec(source, scope)  # noqa: S102 - the oracle: Python's own binding
    try:
        expected = scope["f"](*args, **kwargs)
    except TypeError:
        with pytest.raises(ArgumentError):
            build_data(endpoint, args, kwargs)
    else:
        assert build_data(endpoint, args, kwargs) == expected


def test_argument_errors_name_every_missing_argument_and_the_signature() -> None:
    endpoint = _endpoint([("a", REQUIRED), (None, REQUIRED), ("c", REQUIRED), ("d", [1, {"k": None}])])
    with pytest.raises(ArgumentError) as info:
        build_data(endpoint, (), {"c": 3})
    assert str(info.value) == (
        "No value provided for required argument: a. Endpoint /f is missing required argument(s): "
        "a, param_1: (a, param_1, c, d=[1, {'k': None}])."
    )
    with pytest.raises(ArgumentError) as info:
        build_data(endpoint, (1, 2), {"b": 0})
    assert str(info.value).startswith("Parameter `b` is not a valid key-word argument. Endpoint /f got an unexpected keyword argument 'b': (a, param_1, c, d=")
    with pytest.raises(ArgumentError) as info:
        build_data(endpoint, (1, 2), {"a": 0})
    assert "Endpoint /f got multiple values for argument 'a'" in str(info.value)
    with pytest.raises(ArgumentError) as info:
        build_data(endpoint, (1, 2, 3, 4, 5), {})
    assert str(info.value).startswith("Endpoint /f takes 4 argument(s) but 5 positional argument(s) were given: (a,")


def test_skipped_inputs_get_none_in_their_place() -> None:
    e = _endpoint([("a", REQUIRED), ("b", "B")], skipped=(0, 3))
    assert build_data(e, ("A",), {}) == [None, "A", "B", None]
    bare: Endpoint = msgspec.structs.replace(e, parameters=None)
    assert build_data(bare, ("A", "b"), {}) == [None, "A", "b", None]


def test_an_unnamed_endpoint_refuses_keywords_by_name_and_in_the_officials_words() -> None:
    for endpoint in (_endpoint([("a", REQUIRED)], api_name=None),
                     msgspec.structs.replace(_endpoint([("a", REQUIRED)]), parameters=None)):
        with pytest.raises(KeywordsNotSupportedError) as info:
            build_data(endpoint, (), {"a": 1, "b": 2})
        assert str(info.value).startswith("This endpoint does not support key-word arguments.")
        assert str(info.value).endswith("(got keyword arguments: a, b).")
        assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)


@pytest.mark.parametrize("data", [(), (1,), "ab", None, 3])
def test_outputs_value_needs_a_list_with_one_value_per_output(data: Any) -> None:
    e = msgspec.structs.replace(_endpoint([]), outputs=(1, 2), skipped_outputs=(False, True))
    if isinstance(data, tuple) and len(data) == 2:
        return
    with pytest.raises(RemoteProtocolError, match=r"^output\.data for /f "):
        outputs_value(e, data)
    assert outputs_value(e, (5, None)) == 5 and outputs_value(e, [[5], None]) == [5]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"path": "/tmp/a.png", "meta": {"_type": "gradio.FileData"}}, "handle_file('/tmp/a.png')"),
        ({"path": "/p", "url": "", "meta": {"_type": "gradio.FileData"}}, "handle_file('/p')"),
        ({"path": "x"}, "{'path': 'x'}"),
        ({"a": 1, "b": [2, 3]}, "{'a': 1, 'b': [2, 3]}"),
        ([], "[]"), ({}, "{}"), ("s", "'s'"), (None, "None"), (1.5, "1.5"),
    ],
)
def test_render_value(value: Any, text: str) -> None:
    assert render_value(value) == text


@pytest.mark.parametrize("depth", [6, 7, 8, 9])
def test_render_value_shows_eight_levels(depth: int) -> None:
    for container, (open_, close) in ((list, "[]"), (dict, "{}")):
        value: Any = 0
        for _ in range(depth):
            value = [value] if container is list else {"k": value}
        text = render_value(value)
        assert ("..." in text) is (depth > 8)
        assert text.count(open_) == min(depth, 8)
        assert text.count(close) == min(depth, 8)


# ======================================================== model.py: which endpoint


def test_of_endpoints_sharing_a_name_the_first_public_then_the_first_callable() -> None:
    config = config_of(
        {"api_name": "x", "api_visibility": "private", "id": 0},
        {"api_name": "x", "api_visibility": "undocumented", "id": 1},
        {"api_name": "x", "api_visibility": "undocumented", "id": 2},
        {"api_name": "y", "api_visibility": "undocumented", "id": 3},
        {"api_name": "y", "api_visibility": "public", "id": 4},
        {"api_name": "y", "api_visibility": "public", "id": 5},
    )
    assert config.endpoint(api_name="/x").fn_index == 1
    assert config.endpoint(api_name="/y").fn_index == 4


def test_no_hint_toward_a_private_endpoint() -> None:
    config = config_of({"api_name": "p", "api_visibility": "private"}, {"api_name": "q"})
    with pytest.raises(EndpointNotFoundError) as info:
        config.endpoint(api_name="p")
    message = str(info.value)
    assert "Did you mean" not in message and "api_name needs a leading '/', e.g. '/predict'." in message
    assert message.endswith("Available api_names: /q.")


def test_the_default_endpoint_is_the_only_public_named_one_with_a_backend() -> None:
    assert config_of({"api_name": "a"}, {"api_name": "b", "backend_fn": False}).endpoint().api_name == "/a"
    assert config_of({"api_name": "a", "api_visibility": "undocumented"}, {"api_name": "b"}).endpoint().api_name == "/b"
    assert config_of({"api_name": None}, {"api_name": "b"}).endpoint().api_name == "/b"
    with pytest.raises(EndpointNotFoundError, match=r"it has 2 public named endpoints, so .* Available api_names: /a, /b\.$"):
        config_of({"api_name": "a"}, {"api_name": "b"}).endpoint()
    with pytest.raises(EndpointNotFoundError, match="it has no public named endpoints"):
        config_of({"api_name": "a", "backend_fn": False}).endpoint()


def test_a_private_index_and_an_unknown_one_are_told_apart() -> None:
    config = config_of({"api_name": "a", "api_visibility": "private"}, {"api_name": None}, {"api_name": None, "backend_fn": False})
    with pytest.raises(EndpointNotFoundError) as info:
        config.endpoint(fn_index=0)
    assert str(info.value) == (
        "Invalid function index: 0. The endpoint is private: the app does not allow API calls to it. "
        "Available api_names: (none). Unnamed endpoints (call with fn_index): 1."
    )
    with pytest.raises(EndpointNotFoundError) as info:
        config.endpoint(fn_index=-1)
    assert str(info.value).startswith("Invalid function index: -1. Available api_names: (none).")
    assert config.endpoint(fn_index=1).fn_index == 1


def test_endpoint_properties() -> None:
    e = _endpoint([("a", REQUIRED), ("b", 2)], skipped=(1,))
    assert (e.num_api_inputs, e.display_name, e.is_valid) == (2, "/f", True)
    unnamed = msgspec.structs.replace(e, api_name=None, visibility="undocumented")
    assert (unnamed.display_name, unnamed.is_valid) == ("fn_index=4", True)
    assert msgspec.structs.replace(e, visibility="private").is_valid is False


@pytest.mark.parametrize(("label", "expected"), [("L", "L"), ("", ""), (3, None), (None, None), ({"key": "k"}, None)])
def test_a_component_label_is_its_text_or_none(label: Any, expected: str | None) -> None:
    assert Component(id=1, type="t", skip_api=False, props={"label": label}).label == expected
    assert Component(id=1, type="t", skip_api=False, props={}).label is None


# ===================================================================== files.py


@given(json_values, st.sampled_from(["ws", "sse", "sse_v1", "sse_v2", "sse_v2.1", "sse_v3"]), st.booleans())
def test_has_files_agrees_with_map_files(value: Any, protocol: str, inputs: bool) -> None:
    for v in (value, [value, dict(LEGACY_40_FILE)], {"k": (value, dict(LEGACY_3X_FILE))}, [{"x": [TAGGED_FILE]}]):
        found: list[Any] = []
        map_files(v, found.append, protocol, inputs=inputs)
        assert has_files(v, protocol, inputs=inputs) is bool(found)


LEGACY_40_FILE = {"path": "/tmp/x", "url": None, "orig_name": "x"}
LEGACY_3X_FILE = {"name": "/tmp/x", "data": None, "is_file": True}
TAGGED_FILE = {"path": "/tmp/x", "meta": {"_type": "gradio.FileData"}}


def test_map_files_rebuilds_only_what_changed() -> None:
    same = {"a": [1, 2], "b": ({"c": "d"},)}
    value = {"same": same, "list": [TAGGED_FILE, "x"], "tuple": ("y", TAGGED_FILE)}
    out = map_files(value, lambda ref: "F", "sse_v3")
    assert out == {"same": same, "list": ["F", "x"], "tuple": ("y", "F")}
    assert out["same"] is same and type(out["tuple"]) is tuple and type(out["list"]) is list
    assert map_files(same, lambda ref: "F", "sse_v3") is same
    assert map_files([1, [2]], lambda ref: "F", "sse_v3") == [1, [2]]


# ==================================================================== render.py


def _entry(visibility: str = "public", n_returns: int = 1, **fields: Any) -> Any:
    p = Parameter(name="x", label="X", component="Textbox", python_type="str", description="", has_default=False,
                  default=None, type={})
    returns = tuple(Return(label=f"Out {i}", component=None, python_type="int", description="", type={}) for i in range(n_returns))
    return EndpointInfo(parameters=(p,), returns=returns, visibility=visibility, **fields)


def _render_cases() -> tuple[Any, Any]:
    config = config_of({"api_name": "a"}, {"api_name": "u", "api_visibility": "undocumented"}, {"api_name": None},
                     {"api_name": None})
    info = ApiInfo(named={"/a": _entry(), "/u": _entry("undocumented")}, unnamed={2: _entry(), 3: _entry("undocumented")})
    return config, info


@pytest.mark.parametrize(
    ("all_endpoints", "named", "unnamed"),
    [(None, ["/a"], None), (False, ["/a"], None), (True, ["/a", "/u"], [2, 3])],
)
def test_which_endpoints_view_api_shows(all_endpoints: bool | None, named: list[str], unnamed: list[int] | None) -> None:
    config, info = _render_cases()
    text = render_api(config, info, all_endpoints)
    assert f"Named API endpoints: {len(named)}\n" in text
    assert [line for line in text.splitlines() if "api_name=" in line] == [
        f' - predict(x, api_name="{n}") -> out_0' for n in named
    ]
    fn_lines = [line for line in text.splitlines() if "fn_index=" in line and "predict(" in line]
    if unnamed is None:
        assert fn_lines == [] and text.endswith(
            "\nUnnamed API endpoints: 2, to view, run Client.view_api(all_endpoints=True)\n"
        )
    else:
        assert "\nUnnamed API endpoints: 2\n" in text
        assert fn_lines == [f" - predict(x, fn_index={i}) -> out_0" for i in unnamed]


def test_without_named_endpoints_view_api_shows_the_unnamed_unless_told_not_to() -> None:
    config, info = _render_cases()
    only = ApiInfo(named={}, unnamed=info.unnamed)
    assert "\nUnnamed API endpoints: 2\n" in render_api(config, only, None)
    assert render_api(config, only, False).endswith("Unnamed API endpoints: 2, to view, run Client.view_api(all_endpoints=True)\n")
    none = ApiInfo(named={}, unnamed={})
    assert render_api(config, none, False) == "Client.predict() Usage Info\n---------------------------\nNamed API endpoints: 0\n"


def test_with_a_public_info_view_api_shows_its_entries_first() -> None:
    config, _ = _render_cases()
    info = ApiInfo(named={"/a": _entry("undocumented"), "/u": _entry("undocumented"), "/b": _entry()}, unnamed={},
                   public={"/a": _entry(n_returns=2)})
    text = render_api(config, info, None)
    assert 'api_name="/a") -> (out_0, out_1)' in text and "/u" not in text and "/b" not in text
    full = render_api(config, info, True)
    assert [line.split("api_name=")[1] for line in full.splitlines() if "api_name=" in line] == [
        '"/a") -> (out_0, out_1)', '"/a") -> out_0', '"/u") -> out_0'
    ]


def test_an_endpoints_block() -> None:
    params = (
        Parameter(name="a", label=None, component=None, python_type="str", description="first\nsecond",
                  has_default=True, default="d", type={}),
        Parameter(name=None, label="Big Num", component="Number", python_type="float", description="",
                  has_default=True, default=None, type={}),
    )
    returns = (Return(label=None, component="Json", python_type="dict", description="  \n out ", type={}),
               Return(label="", component=None, python_type="int", description="", type={}))
    entry = EndpointInfo(parameters=params, returns=returns, visibility="undocumented", description=" ",
                         oauth_token="optional")
    config = config_of({"api_name": "g", "types": {"generator": True}, "api_visibility": "undocumented"})
    text = render_api(config, ApiInfo(named={"/g": entry}, unnamed={}), True)
    assert text.split("\n", 3)[3] == (
        "\n"
        ' - predict(a, big_num, api_name="/g") -> (value_0, value_1)\n'
        "    (undocumented: hidden from the app's API page, but callable)\n"
        "    Generator: submit() yields each intermediate output; predict() returns the last.\n"
        "    Acts on your behalf: this endpoint takes your Hugging Face token (optional). "
        "Pass it with Client(..., oauth_token=...) to grant it.\n"
        "    Parameters:\n"
        "     - [?] a: str (not required, defaults to: 'd') (first)\n"
        "     - [Number] big_num: float | None (not required, defaults to: None)\n"
        "    Returns:\n"
        "     - [Json] value_0: dict (out)\n"
        "     - [?] value_1: int\n"
        "\n"
        "Unnamed API endpoints: 0\n"
    )


@pytest.mark.parametrize("length", [199, 200, 201])
def test_a_description_line_is_cut_past_200_characters(length: int) -> None:
    config = config_of({"api_name": "a"})
    line = "x" * (length - 1) + "y"
    text = render_api(config, ApiInfo(named={"/a": _entry(description=f"\n{line}\nmore")}, unnamed={}), None)
    shown = next(t for t in text.splitlines() if t.startswith("    x"))[4:]
    assert shown == (line if length <= 200 else "x" * 197 + "...")


def test_the_dict_derived_from_a_config() -> None:
    p = Parameter(name="n", label="N", component="Number", python_type="float", description="d", has_default=True,
                  default=[[1]], type={"items": {"type": "array"}}, example_input={"e": [1]})
    r = Return(label="R", component="Json", python_type="Any", description="rd", type={"items": {"type": "object"}})
    public = EndpointInfo(parameters=(p,), returns=(r,), description="what")
    hidden = EndpointInfo(parameters=(), returns=(), visibility="undocumented")
    d = info_dict(ApiInfo(named={"/p": public, "/h": hidden}, unnamed={7: public, 8: hidden}))
    entry = {
        "parameters": [{"label": "N", "parameter_name": "n", "parameter_has_default": True, "parameter_default": [[1]],
                        "type": {"items": {"type": "array"}}, "python_type": {"type": "float", "description": "d"},
                        "component": "Number", "example_input": {"e": [1]}}],
        "returns": [{"label": "R", "type": {"items": {"type": "object"}},
                     "python_type": {"type": "Any", "description": "rd"}, "component": "Json"}],
        "description": "what",
    }
    assert d == {"named_endpoints": {"/p": entry}, "unnamed_endpoints": {"7": entry}}
    assert list(d["named_endpoints"]["/p"]) == ["parameters", "returns", "description"]
    shared = d["named_endpoints"]["/p"]
    shared["parameters"][0]["parameter_default"][0].append(2)
    shared["parameters"][0]["type"]["items"]["x"] = 1
    shared["parameters"][0]["example_input"]["e"].append(2)
    shared["returns"][0]["type"]["items"]["x"] = 1
    assert (p.default, p.type, p.example_input, r.type) == (
        [[1]], {"items": {"type": "array"}}, {"e": [1]}, {"items": {"type": "object"}}
    )


def test_is_file_reference_defaults_to_the_output_rule() -> None:
    legacy = {"path": "/tmp/x", "url": None, "orig_name": "x"}
    assert is_file_reference(legacy, "sse_v2") is True
    assert is_file_reference(legacy, "sse_v2", inputs=True) is False


def test_resolution_errors_name_the_type_given() -> None:
    config = config_of({"api_name": "a"})
    for kwargs, message in (
        ({"api_name": 3}, "api_name must be a str, got int"),
        ({"fn_index": "3"}, "fn_index must be an int, got str"),
        ({"fn_index": True}, "fn_index must be an int, got bool"),
    ):
        with pytest.raises(ArgumentError) as info:
            config.endpoint(**kwargs)
        assert str(info.value) == message


def test_every_unnamed_endpoint_is_listed() -> None:
    config = config_of({"api_name": None}, {"api_name": None}, {"api_name": "a"})
    with pytest.raises(EndpointNotFoundError) as info:
        config.endpoint(fn_index=9)
    assert str(info.value).endswith("Available api_names: /a. Unnamed endpoints (call with fn_index): 0, 1.")


def test_names_made_from_labels_without_letters_use_the_position() -> None:
    p = Parameter(name=None, label="!!!", component=None, python_type="str", description="", has_default=False,
                  default=None, type={})
    endpoint = msgspec.structs.replace(_endpoint([("a", REQUIRED), ("b", REQUIRED)]), parameters=(p, p))
    with pytest.raises(ArgumentError, match=r"missing required argument\(s\): param_0, param_1:"):
        build_data(endpoint, (), {})
    r = Return(label="!!!", component=None, python_type="int", description="", type={})
    entry = EndpointInfo(parameters=(), returns=(r, r), visibility="public")
    text = render_api(config_of({"api_name": "a"}), ApiInfo(named={"/a": entry}, unnamed={}), None)
    assert 'predict(api_name="/a") -> (param_0, param_1)' in text
    bare = msgspec.structs.replace(p, label=None)
    entry = EndpointInfo(parameters=(p, bare), returns=(), visibility="public")
    text = render_api(config_of({"api_name": "a"}), ApiInfo(named={"/a": entry}, unnamed={}), None)
    assert 'predict(param_0, param_1, api_name="/a") -> ()' in text


def test_the_generator_note_follows_the_endpoint_view_api_describes() -> None:
    config = config_of(
        {"api_name": None, "types": {"generator": True}},
        {"api_name": "g", "types": {"generator": True}},
        {"api_name": "s", "api_visibility": "undocumented", "types": {"generator": True}},
        {"api_name": "s", "api_visibility": "public"},
        {"api_name": "t", "api_visibility": "public", "types": {"generator": True}},
        {"api_name": "t", "api_visibility": "public"},
        {"api_name": "u", "api_visibility": "public"},
        {"api_name": "u", "api_visibility": "undocumented", "types": {"generator": True}},
    )
    named = {name: _entry() for name in ("/g", "/s", "/t", "/u")}
    text = render_api(config, ApiInfo(named=named, unnamed={0: _entry()}), True)
    blocks = {block.split("\n", 1)[0]: block for block in text.split("\n\n")[1:]}
    generator = {head.split("predict(x, ")[1].split(")")[0] for head, block in blocks.items() if "Generator:" in block}
    assert generator == {'api_name="/g"', 'api_name="/t"', "fn_index=0"}


def test_the_hint_about_unnamed_endpoints_is_a_paragraph_of_its_own() -> None:
    config, info = _render_cases()
    assert render_api(config, info, None).endswith(
        "     - [?] out_0: int\n\nUnnamed API endpoints: 2, to view, run Client.view_api(all_endpoints=True)\n"
    )


def test_a_hint_about_the_leading_slash_keeps_the_name_asked_for() -> None:
    config = config_of({"api_name": "a"})
    for asked, hint in (("a", " Did you mean '/a'? api_name needs a leading '/'."),
                        ("b", " api_name needs a leading '/', e.g. '/predict'.")):
        with pytest.raises(EndpointNotFoundError) as info:
            config.endpoint(api_name=asked)
        assert str(info.value) == f"Cannot find a function with `api_name`: {asked}.{hint} Available api_names: /a."

