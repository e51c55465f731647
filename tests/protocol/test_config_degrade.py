"""Odd parts of a real /config degrade that part only, with one notice naming each path."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path

import pytest

from gradio_client.protocol.app.config import parse_config
from gradio_client.protocol.errors import RemoteProtocolError

CONFIG = Path(__file__).resolve().parents[1] / "differential" / "captured" / "gradio-6.31.0" / \
    "blocks" / "config.json"


@pytest.fixture
def doc() -> dict:
    return json.loads(CONFIG.read_text())


def _notice(caplog: pytest.LogCaptureFixture) -> str:
    texts = [r.getMessage() for r in caplog.records if r.name == "gradio_client"]
    assert len(texts) == 1, texts
    return texts[0]


def test_bad_components_and_dependencies_drop_only_themselves(doc, caplog):
    good = parse_config(copy.deepcopy(doc))
    comps, deps = doc["components"], doc["dependencies"]
    victim = comps[0]["id"]
    comps.append("not a component")  # not an object
    comps.append({"type": "textbox"})  # no id
    deps.append(["not", "a", "dependency"])
    deps.append({**deps[0], "inputs": "everything"})  # which values to send is unknown
    deps.append({**deps[0], "outputs": {"a": 1}})
    deps[0] = {**deps[0], "api_name": 42}  # wrong type: the endpoint stays, unnamed
    comps[0] = {**comps[0], "skip_api": "sometimes"}  # wrong type: the type list decides
    with caplog.at_level(logging.WARNING, logger="gradio_client"):
        config = parse_config(doc)
    notice = _notice(caplog)
    for path in ("$.components[", ".id (missing)", "$.dependencies[", ".api_name", ".skip_api"):
        assert path in notice, (path, notice)
    # the rest of the document is intact
    assert set(config.endpoints) == set(good.endpoints)
    assert config.endpoints[0].api_name != good.endpoints[0].api_name
    assert {e.api_name for e in list(config.endpoints.values())[1:]} == \
        {e.api_name for e in list(good.endpoints.values())[1:]}
    assert victim in config.components and set(config.components) == set(good.components)


def test_not_a_gradio_config_is_a_typed_error():
    with pytest.raises(RemoteProtocolError, match="2.x"):
        parse_config({"allow_flagging": "never", "components": []})
    with pytest.raises(RemoteProtocolError, match="dependencies"):
        parse_config({"components": []})
