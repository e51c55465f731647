"""The connect flow, driven step by step with responses captured from real servers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from gradio_client.protocol.api import parse_config
from gradio_client.protocol.connect import (
    Connection,
    HttpRequest,
    HttpResponse,
    Sleep,
    connect_flow,
    machine_config,
    same_origin,
)
from gradio_client.protocol.errors import (
    AuthenticationError,
    HTTPStatusError,
    LocalProtocolError,
    RemoteProtocolError,
    SpaceError,
    TooManyRequestsError,
)

CONFIGS = Path(__file__).resolve().parent.parent / "data" / "configs"
CONFIG_6 = (CONFIGS / "gradio-6.31.0" / "config.json").read_bytes()
INFO_6 = (CONFIGS / "gradio-6.31.0" / "info_all_endpoints.json").read_bytes()
CONFIG_3 = (CONFIGS / "gradio-3.50.2" / "config.json").read_bytes()
HUB = "http://hub.test"

Responder = Callable[[HttpRequest], HttpResponse]


def ok(body: bytes | dict | str) -> HttpResponse:
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    return HttpResponse(status_code=200, content=body)


def status(code: int, body: bytes = b"") -> HttpResponse:
    return HttpResponse(status_code=code, content=body)


def drive(flow, routes: dict[str, HttpResponse | list[HttpResponse]]) -> tuple[Connection, list]:
    """Run a flow; ``routes`` maps "METHOD url" to a response (or a list, used in turn)."""
    steps: list = []
    reply = None
    try:
        while True:
            step = flow.send(reply)
            steps.append(step)
            if isinstance(step, Sleep):
                reply = None
                continue
            answer = routes[f"{step.method} {step.url}"]
            reply = answer.pop(0) if isinstance(answer, list) else answer
    except StopIteration as done:
        return done.value, steps


def app_routes(root: str = "http://app.test") -> dict[str, HttpResponse]:
    return {
        f"GET {root}/config": ok(CONFIG_6),
        f"GET {root}/gradio_api/info?all_endpoints=True": ok(INFO_6),
    }


def test_url_flow_reads_config_and_info_with_headers() -> None:
    conn, steps = drive(
        connect_flow("http://app.test/", token="hf_x", headers={"x-extra": "1"}), app_routes()
    )
    assert conn.root == "http://app.test" and conn.space_id is None
    assert conn.api_root == "http://app.test/gradio_api"
    assert conn.config.protocol == "sse_v3"
    assert conn.info.named  # parameter names from /info
    assert all(s.headers == {"x-hf-authorization": "Bearer hf_x", "x-extra": "1"} for s in steps)


def test_bad_src_is_a_space_error() -> None:
    with pytest.raises(SpaceError, match="neither a URL"):
        next(connect_flow("not a space"))


def test_login_posts_a_form_and_maps_refusals() -> None:
    routes = {"POST http://app.test/login": ok({"success": True}), **app_routes()}
    conn, steps = drive(connect_flow("http://app.test", auth=("u", "p")), routes)
    assert steps[0].form == {"username": "u", "password": "p"}
    routes["POST http://app.test/login"] = status(400, b'{"detail":"Incorrect credentials."}')
    with pytest.raises(AuthenticationError, match="username or password"):
        drive(connect_flow("http://app.test", auth=("u", "bad")), routes)
    routes["POST http://app.test/login"] = status(500, b"boom")
    with pytest.raises(HTTPStatusError, match="login failed with HTTP 500"):
        drive(connect_flow("http://app.test", auth=("u", "p")), routes)


@pytest.mark.parametrize(("code", "error"), [(401, AuthenticationError), (429, TooManyRequestsError)])
def test_config_refusals_are_typed(code: int, error: type) -> None:
    with pytest.raises(error):
        drive(connect_flow("http://app.test"), {"GET http://app.test/config": status(code)})


def test_config_embedded_in_the_page_of_an_old_app() -> None:
    page = b"<html><script>window.gradio_config = " + CONFIG_3 + b";</script></html>"
    routes = {
        "GET http://app.test/config": status(404),
        "GET http://app.test/": ok(page),
        "GET http://app.test/info?all_endpoints=True": status(404),  # derived from config
    }
    conn, _ = drive(connect_flow("http://app.test"), routes)
    assert conn.config.protocol == "ws"
    assert conn.info.named or conn.info.unnamed


def test_gradio_2_page_is_refused() -> None:
    old = json.loads(CONFIG_3)
    old.update(version="2.9.4", allow_flagging="manual")
    page = b"<script>window.gradio_config = " + json.dumps(old).encode() + b"</script>"
    routes = {"GET http://app.test/config": status(404), "GET http://app.test/": ok(page)}
    with pytest.raises(RemoteProtocolError, match="Gradio 2.x"):
        drive(connect_flow("http://app.test"), routes)


def test_not_a_gradio_app() -> None:
    routes = {"GET http://app.test/config": status(404), "GET http://app.test/": ok("<html/>")}
    with pytest.raises(ValueError, match="^Could not get Gradio config from: http://app.test/"):
        drive(connect_flow("http://app.test"), routes)
    routes["GET http://app.test/"] = status(404)  # the official wording for a page that fails
    with pytest.raises(ValueError, match="^Could not fetch config for http://app.test/"):
        drive(connect_flow("http://app.test"), routes)


def test_very_old_ws_app_has_no_info_route() -> None:
    old = json.loads(CONFIG_3)
    old["version"] = "3.36.1"
    conn, steps = drive(
        connect_flow("http://app.test"), {"GET http://app.test/config": ok(json.dumps(old))}
    )
    assert len(steps) == 1 and conn.config.protocol == "ws"


def test_unparsable_info_falls_back_to_the_config() -> None:
    routes = app_routes()
    routes["GET http://app.test/gradio_api/info?all_endpoints=True"] = ok("[1, 2]")
    conn, _ = drive(connect_flow("http://app.test"), routes)
    assert conn.info.named


# ------------------------------------------------------------------ Spaces


def space(stage: str | None = "RUNNING", **extra: object) -> HttpResponse:
    info: dict = {"id": "me/app", "host": "http://app.test", **extra}
    if stage is not None:
        info["runtime"] = {"stage": stage}
    return ok(info)


def test_space_id_resolves_through_the_hub_with_the_token() -> None:
    routes = {f"GET {HUB}/api/spaces/me/app": space(), **app_routes()}
    conn, steps = drive(connect_flow("me/app", token="hf_t", hub=HUB + "/"), routes)
    assert conn.space_id == "me/app" and conn.root == "http://app.test"
    assert steps[0].headers == {"authorization": "Bearer hf_t"}


def test_space_without_host_uses_its_subdomain() -> None:
    routes = {f"GET {HUB}/api/spaces/me/app": space(host=None, subdomain="me-app")}
    flow = connect_flow("me/app", hub=HUB)
    next(flow)
    config_request = flow.send(routes[f"GET {HUB}/api/spaces/me/app"])
    assert config_request.url == "https://me-app.hf.space/config"


def test_space_without_any_address_is_an_error() -> None:
    routes = {f"GET {HUB}/api/spaces/me/app": space(host=None)}
    with pytest.raises(SpaceError, match="did not say where"):
        drive(connect_flow("me/app", hub=HUB), routes)


@pytest.mark.parametrize("code", [401, 404])
def test_unknown_or_private_space(code: int) -> None:
    routes = {f"GET {HUB}/api/spaces/me/app": status(code)}
    with pytest.raises(SpaceError, match="pass token"):
        drive(connect_flow("me/app", hub=HUB), routes)


def test_hub_answering_garbage_is_an_http_error() -> None:
    routes = {f"GET {HUB}/api/spaces/me/app": status(500, b"<html>")}
    with pytest.raises(HTTPStatusError, match="Expected a JSON object"):
        drive(connect_flow("me/app", hub=HUB), routes)


def test_building_space_is_polled_until_running() -> None:
    routes = {
        f"GET {HUB}/api/spaces/me/app": space("BUILDING"),
        f"GET {HUB}/api/spaces/me/app/runtime": [ok({"stage": "APP_STARTING"}), ok({"stage": "RUNNING"})],
        **app_routes(),
    }
    conn, steps = drive(connect_flow("me/app", hub=HUB), routes)
    assert [s for s in steps if isinstance(s, Sleep)] == [Sleep(2.0), Sleep(2.0)]
    assert conn.root == "http://app.test"


def test_building_space_wait_is_bounded() -> None:
    routes = {
        f"GET {HUB}/api/spaces/me/app": space("BUILDING"),
        f"GET {HUB}/api/spaces/me/app/runtime": ok({"stage": "BUILDING"}),
    }
    with pytest.raises(SpaceError, match="still BUILDING after 4 s"):
        drive(connect_flow("me/app", hub=HUB, space_wait=4), routes)


@pytest.mark.parametrize(("stage", "text"), [("PAUSED", "paused"), ("SLEEPING", "wake it")])
def test_broken_space_says_what_to_do(stage: str, text: str) -> None:
    routes = {f"GET {HUB}/api/spaces/me/app": space(stage)}
    with pytest.raises(SpaceError, match=text) as info:
        drive(connect_flow("me/app", hub=HUB), routes)
    assert info.value.space_id == "me/app"


# ------------------------------------------------------------------ machine config, origins


def test_machine_config_from_real_configs() -> None:
    six = machine_config(parse_config(CONFIG_6), max_reconnects=2)
    assert six.protocol == "sse_v3" and six.cancel_route and six.max_reconnects == 2
    assert six.api_prefix == "/gradio_api" and six.unqueued_fns == frozenset()
    three = machine_config(parse_config(CONFIG_3))
    assert three.protocol == "ws" and not three.cancel_route and not three.heartbeat


@pytest.mark.parametrize(
    ("url", "root", "same"),
    [
        ("http://a.test/x", "http://a.test", True),
        ("http://a.test:80/x", "http://a.test", True),
        ("https://a.test/x", "http://a.test", False),
        ("http://a.test:8080/x", "http://a.test:8081", False),
        ("http://b.test/x", "http://a.test", False),
        ("wss://a.test/q", "wss://a.test:443", True),
    ],
)
def test_same_origin(url: str, root: str, same: bool) -> None:
    assert same_origin(url, root) is same


def test_hub_answering_invalid_json_is_an_http_error() -> None:
    routes = {f"GET {HUB}/api/spaces/me/app": ok("{not json")}
    with pytest.raises(HTTPStatusError, match="Expected a JSON object"):
        drive(connect_flow("me/app", hub=HUB), routes)


def test_machine_config_prefers_the_canceller_that_cancels_least() -> None:
    config = json.loads(CONFIG_6)
    deps = config["dependencies"]
    target, broad, narrow = deps[0]["id"], deps[1]["id"], deps[2]["id"]
    deps[1]["cancels"] = [target, deps[3]["id"]]
    deps[2]["cancels"] = [target]
    cancel_fns = machine_config(parse_config(json.dumps(config).encode())).cancel_fns
    assert cancel_fns[target] == narrow and cancel_fns[deps[3]["id"]] == broad


_ROOT = "http://app.test"
_FLOWS = {  # which request step a driver fails to answer, and the flow that reaches it
    "POST /login": (lambda: connect_flow(_ROOT, auth=("u", "p")), []),
    "the Hub's Space info": (lambda: connect_flow("me/app", hub=HUB), []),
    "the Hub's Space runtime": (lambda: connect_flow("me/app", hub=HUB), [space("BUILDING"), None]),
    "GET /config": (lambda: connect_flow(_ROOT), []),
    "GET /": (lambda: connect_flow(_ROOT), [status(404)]),
    "GET /info": (lambda: connect_flow(_ROOT), [ok(CONFIG_6)]),
}


@pytest.mark.parametrize("step", list(_FLOWS))
def test_a_request_step_resumed_without_a_response_is_the_drivers_error(step: str) -> None:
    """Every request step needs an HttpResponse back: a driver that sends None (as after a
    Sleep) gets LocalProtocolError naming the step, not an assert or an AttributeError."""
    make, answers = _FLOWS[step]
    flow = make()
    request = flow.send(None)
    for answer in answers:  # the answers that lead to the step under test
        request = flow.send(answer)
    assert isinstance(request, HttpRequest)
    with pytest.raises(LocalProtocolError, match=f"without a response to its {re.escape(step)} request"):
        flow.send(None)
