"""The tolerant decoder on real server documents: every /config and /info we have, from every
generation, read without a single degraded field; and any field of a real /info turned into a
wrong type degrades that field only, never the document.

Documents: the corpus apps' /config and /info captured from gradio 6.31 (``captured/``, made
by ``capture.py`` from ``examples/apps/corpus``), ``tests/data/configs/gradio-*`` (captures of
the kitchen-sink app on 3.50 ... 6.31) and the /config and /info bodies inside the recorded
sessions of every generation (``tests/data/sessions``).  No server needed.
"""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradio_client.protocol.api import (
    ApiInfo,
    build_data,
    info_dict,
    merge_public_info,
    needs_public_info,
    parse_config,
    parse_info,
    with_info,
)

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"


def _session_documents() -> list[tuple[str, bytes]]:
    docs = []
    for session in sorted((DATA / "sessions").glob("*/*.json")):
        record = json.loads(session.read_text())
        for exchange in record.get("exchanges", []):
            url = exchange.get("url", "")
            kind = "config" if url.endswith("/config") else "info" if "/info" in url else None
            if kind is None or exchange.get("status") != "200" or not exchange.get("blob"):
                continue
            blob = session.parent / "blobs" / exchange["blob"]
            docs.append((f"{kind}:{session.parent.name}/{session.stem}", blob.read_bytes()))
    # the same documents recur in every session of a generation: keep one of each
    unique: dict[bytes, str] = {}
    for name, body in docs:
        unique.setdefault(body, name)
    return sorted((name, body) for body, name in unique.items())


def _documents() -> list[tuple[str, bytes]]:
    docs = []
    found = [(p, p.parent.parent.name, p.parent.name) for p in sorted((HERE / "captured").glob("*/*/*.json"))]
    found += [(p, p.parent.name, "kitchen_sink") for p in sorted((DATA / "configs").glob("gradio-*/*.json"))]
    for path, generation, app in found:
        if path.stem in ("config", "info", "info_all_endpoints"):
            kind = "config" if path.stem == "config" else "info"
            docs.append((f"{kind}:{generation.removeprefix('gradio-')}/{app}/{path.stem}", path.read_bytes()))
    return docs + _session_documents()


DOCUMENTS = _documents()
APPS = sorted({p.parent for p in (HERE / "captured").glob("*/*/config.json")}
              | {p.parent for p in (DATA / "configs").glob("gradio-*/info_all_endpoints.json")})


def test_the_corpus_is_broad() -> None:
    kinds = {name.split(":")[0] for name, _ in DOCUMENTS}
    generations = {name.split(":")[1].split("/")[0] for name, _ in DOCUMENTS}
    assert kinds == {"config", "info"}
    assert {"3.50.2", "4.0.2", "4.44.1", "5.50.0", "6.31.0"} <= generations, generations
    assert len(DOCUMENTS) >= 40


@pytest.mark.parametrize(("name", "body"), DOCUMENTS, ids=[n for n, _ in DOCUMENTS])
def test_real_documents_parse_without_a_notice(name: str, body: bytes, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="gradio_client"):
        if name.startswith("config:"):
            parse_config(body)
        else:
            parse_info(body)
    assert [r.getMessage() for r in caplog.records] == []


@pytest.mark.parametrize("folder", APPS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_public_endpoint_gets_its_parameters(folder: Path) -> None:
    """With the config and /info of one app, every public endpoint has /info's parameters,
    as many as its API inputs, and view_api's dict is the official client's."""
    config = parse_config((folder / "config.json").read_bytes())
    info = parse_info((folder / "info_all_endpoints.json").read_bytes())
    if needs_public_info(config):  # what the connect flow does: two endpoints share a name
        info = merge_public_info(info, parse_info((folder / "info.json").read_bytes()))
    app = with_info(config, info)
    for e in app.endpoints.values():
        if e.visibility == "public" and e.api_name is not None and e.backend_fn:
            assert e.parameters is not None, e.api_name
            assert len(e.parameters) == e.num_api_inputs, e.api_name
    public = json.loads((folder / "info.json").read_bytes())
    expected = {
        kind: {
            key: {k: v for k, v in entry.items() if k not in ("code_snippets", "api_visibility", "show_api")}
            for key, entry in public.get(kind, {}).items()
            if entry.get("api_visibility", "public") == "public" and entry.get("show_api", True) is not False
        }
        for kind in ("named_endpoints", "unnamed_endpoints")
    }
    assert json.dumps(info_dict(info)) == json.dumps(expected)


def test_chat_interface_parameters_come_from_info() -> None:
    """Issue 11: a ChatInterface's /info has labels that are translation objects; the strict
    decoder rejected the whole document and names fell back to param_0."""
    folder = HERE / "captured" / "gradio-6.31.0" / "chat"
    raw = json.loads((folder / "info_all_endpoints.json").read_bytes())
    labels = [p.get("label") for e in raw["named_endpoints"].values() for p in e["parameters"] + e["returns"]]
    assert any(isinstance(label, dict) for label in labels)  # the odd field is really there
    app = with_info(parse_config((folder / "config.json").read_bytes()), parse_info(json.dumps(raw)))
    respond = app.endpoint(api_name="/_respond")
    assert respond.parameters is not None
    assert [p.name for p in respond.parameters] == ["message"]
    assert respond.parameters[0].example_input == "Hello!!"
    assert build_data(respond, (), {"message": "Hello"}) == ["Hello"] + [None] * (len(respond.inputs) - 1)


# ------------------------------------------------------------------ mutation property

INFOS = [(n, json.loads(b)) for n, b in DOCUMENTS if n.startswith("info:") and b"named_endpoints" in b]
WRONG = [{"x": 1}, [1], "s", 7, 2.5, True]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((*prefix, k))
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((*prefix, i))
            out += _paths(v, (*prefix, i))
    return out


def _kind(value: Any) -> str:
    return "null" if value is None else "bool" if isinstance(value, bool) else (
        "number" if isinstance(value, (int, float)) else type(value).__name__)


def _entries(info: ApiInfo) -> dict[tuple[str, Any], Any]:
    return {**{("named_endpoints", k): v for k, v in info.named.items()},
            **{("unnamed_endpoints", str(k)): v for k, v in info.unnamed.items()}}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_wrong_field_type_degrades_that_field_only(data: st.DataObject) -> None:
    name, doc = data.draw(st.sampled_from(INFOS), label="document")
    path = data.draw(st.sampled_from(_paths(doc)), label="path")
    target: Any = doc
    for step in path:
        target = target[step]
    wrong = data.draw(st.sampled_from([w for w in WRONG if _kind(w) != _kind(target)]), label="value")
    mutated = copy.deepcopy(doc)
    parent: Any = mutated
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = wrong

    before, after = parse_info(json.dumps(doc)), parse_info(json.dumps(mutated))  # never raises
    old, new = _entries(before), _entries(after)
    if len(path) == 1:  # a whole section: the other section is untouched
        for key in set(old) | set(new):
            if key[0] != path[0]:
                assert old.get(key) == new.get(key)
        return
    touched = (path[0], path[1])
    for key in set(old) | set(new):
        if key != touched:
            assert old.get(key) == new.get(key), (name, path, key)
    if len(path) < 3 or touched not in old or touched not in new:
        return  # the entry itself, or an entry dropped/added by its visibility
    was, now = old[touched], new[touched]
    field = path[2]
    for attr in ("parameters", "returns"):
        if field != attr:
            assert getattr(was, attr) == getattr(now, attr), (name, path, attr)
        elif len(path) >= 4:  # inside one parameter/return: the others are untouched
            a, b = getattr(was, attr), getattr(now, attr)
            assert len(a) == len(b)
            assert [x for i, x in enumerate(a) if i != path[3]] == [x for i, x in enumerate(b) if i != path[3]]
    if field in ("parameters", "returns"):
        assert (was.description, was.oauth_token) == (now.description, now.oauth_token)


def test_a_degraded_field_is_named_in_one_notice(caplog: pytest.LogCaptureFixture) -> None:
    folder = HERE / "captured" / "gradio-6.31.0" / "chat"
    info = json.loads((folder / "info_all_endpoints.json").read_bytes())
    info["named_endpoints"]["/_respond"]["parameters"][0]["label"] = 42
    info["named_endpoints"]["/_respond"]["returns"] = "nope"
    config = json.loads((folder / "config.json").read_bytes())
    config["components"][0]["props"] = ["not", "an", "object"]
    config["dependencies"][0]["inputs"] = "x"
    with caplog.at_level(logging.WARNING, logger="gradio_client"):
        parsed = parse_info(json.dumps(info))
        app = parse_config(json.dumps(config))
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2, messages  # one notice per document
    assert "$.named_endpoints['/_respond'].parameters[0].label (expected str, got number)" in messages[0]
    assert "$.named_endpoints['/_respond'].returns (expected array, got str)" in messages[0]
    assert "$.components[0].props (expected object, got array)" in messages[1]
    assert "$.dependencies[0].inputs (expected array, got str)" in messages[1]
    respond = parsed.named["/_respond"]
    assert [p.name for p in respond.parameters] == ["message"] and respond.returns == ()
    assert respond.parameters[0].label is None
    assert 0 not in app.endpoints and len(app.endpoints) == len(config["dependencies"]) - 1


# ------------------------------------------------------------- the connect flow


def _connect(routes: dict[str, bytes | int]) -> tuple[Any, list[str]]:
    """Run the (pure) connect flow of http://app.test against canned responses."""
    from gradio_client.protocol.connect import HttpResponse, Sleep, connect_flow

    flow = connect_flow("http://app.test")
    asked: list[str] = []
    reply = None
    try:
        while True:
            step = flow.send(reply)
            if isinstance(step, Sleep):
                reply = None
                continue
            asked.append(f"{step.method} {step.url}")
            answer = routes[asked[-1]]
            reply = (HttpResponse(status_code=answer, content=b"") if isinstance(answer, int)
                     else HttpResponse(status_code=200, content=answer))
    except StopIteration as done:
        return done.value, asked


def test_connect_fetches_the_public_info_for_a_shared_api_name() -> None:
    folder = HERE / "captured" / "gradio-6.31.0" / "tabs_select"
    routes: dict[str, bytes | int] = {
        "GET http://app.test/config": (folder / "config.json").read_bytes(),
        "GET http://app.test/gradio_api/info?all_endpoints=True": (folder / "info_all_endpoints.json").read_bytes(),
        "GET http://app.test/gradio_api/info": (folder / "info.json").read_bytes(),
    }
    conn, asked = _connect(routes)
    assert asked[-1] == "GET http://app.test/gradio_api/info"
    shared = conn.config.endpoint(api_name="/_select_1")
    assert shared.visibility == "public" and shared.parameters is not None
    assert [p.name for p in shared.parameters] == ["s"]
    # an app without a shared name costs no extra request
    folder = HERE / "captured" / "gradio-6.31.0" / "chat"
    routes = {
        "GET http://app.test/config": (folder / "config.json").read_bytes(),
        "GET http://app.test/gradio_api/info?all_endpoints=True": (folder / "info_all_endpoints.json").read_bytes(),
    }
    conn, asked = _connect(routes)
    assert "GET http://app.test/gradio_api/info" not in asked
    assert [p.name for p in conn.config.endpoint(api_name="/_respond").parameters or ()] == ["message"]


@pytest.mark.parametrize("answer", [b"[1, 2]", b"<html>login</html>", 500])
def test_falling_back_to_the_config_logs_a_notice(answer: bytes | int, caplog: pytest.LogCaptureFixture) -> None:
    folder = HERE / "captured" / "gradio-6.31.0" / "chat"
    routes: dict[str, bytes | int] = {
        "GET http://app.test/config": (folder / "config.json").read_bytes(),
        "GET http://app.test/gradio_api/info?all_endpoints=True": answer,
    }
    with caplog.at_level(logging.WARNING, logger="gradio_client"):
        conn, _ = _connect(routes)
    assert conn.info.document is None  # derived from the config
    assert any("API derived from the config" in r.getMessage() for r in caplog.records)
