"""The ``/info`` document kept for ``view_api`` shares no object with the parsed values."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from gradio_client.protocol.app import parse_info

PARAMETER = {
    "label": "x", "parameter_name": "x", "parameter_has_default": True, "parameter_default": [1, 2],
    "type": {"type": "object", "properties": {"a": {"type": "string"}}},
    "python_type": {"type": "dict", "description": ""}, "component": "JSON", "example_input": {"k": [1]},
}
INFO = {
    "named_endpoints": {
        "/f": {"parameters": [PARAMETER], "returns": [{"label": "y", "type": {"type": "array"},
                                                        "python_type": {"type": "list", "description": ""},
                                                        "component": "JSON"}],
               "api_visibility": "public", "code_snippets": {"python": "..."}, "description": "d"},
        "/p": {"parameters": [], "returns": [], "api_visibility": "private"},
    },
    "unnamed_endpoints": {},
}


@pytest.mark.parametrize("form", ["str", "bytes", "dict"])
def test_changing_the_document_changes_no_parsed_value(form: str) -> None:
    text = json.dumps(INFO)
    raw: Any = {"str": text, "bytes": text.encode(), "dict": copy.deepcopy(INFO)}[form]
    info = parse_info(raw)
    param, ret = info.named["/f"].parameters[0], info.named["/f"].returns[0]
    before = copy.deepcopy((param.type, param.default, param.example_input, ret.type))
    entry = info.document["named_endpoints"]["/f"]
    assert set(entry) == {"parameters", "returns", "description"}  # client-side keys dropped
    assert list(info.document["named_endpoints"]) == ["/f"]  # private entries dropped
    assert entry["parameters"] == [PARAMETER]
    entry["parameters"][0]["type"]["properties"]["a"]["type"] = "integer"
    entry["parameters"][0]["parameter_default"].append(3)
    entry["parameters"][0]["example_input"]["k"].append(2)
    entry["returns"][0]["type"]["items"] = {}
    assert (param.type, param.default, param.example_input, ret.type) == before
    if form == "dict":
        assert raw == INFO  # nor the caller's mapping
