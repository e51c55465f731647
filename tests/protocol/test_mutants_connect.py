"""protocol/connect.py tests written for mutation testing (docs/mutation.md).

The module's own tests (test_connect.py) drive the flow through its main roads.  These pin
what the module promises around them: the caps of ``Limits`` and their errors, the
deadlines of ``ConnectDeadline``, every status boundary of the login, ``/config``, ``/info``
and the Hub, the wait for a building Space, the queue machine's settings per server, and
what each error names.  Pure: responses are captured documents or hand-made replies.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from gradio_client.protocol.api import parse_config
from gradio_client.protocol.connect import (
    ConnectDeadline,
    HttpRequest,
    HttpResponse,
    Limits,
    Sleep,
    connect_flow,
    is_url,
    machine_config,
    same_origin,
    too_large,
)
from gradio_client.protocol.errors import (
    AuthenticationError,
    ConfigError,
    ConnectTimeoutError,
    HTTPStatusError,
    ResponseTooLargeError,
    SpaceError,
    TooManyRequestsError,
)

from .test_connect import CONFIG_3, CONFIG_6, HUB, INFO_6, app_routes, drive, ok, space, status

ROOT = "http://app.test"
INFO_URL = f"GET {ROOT}/gradio_api/info?all_endpoints=True"


def config_with(base: bytes = CONFIG_6, **fields: Any) -> bytes:
    config = json.loads(base)
    config.update(fields)
    return json.dumps(config).encode()


# ------------------------------------------------------------------ Limits and caps

SIZES = ["max_response_size", "max_message_size", "max_download_size"]


@pytest.mark.parametrize("name", SIZES)
def test_size_caps_are_positive_integers_or_none(name: str) -> None:
    assert getattr(Limits(**{name: 1}), name) == 1
    assert getattr(Limits(**{name: None}), name) is None
    for bad in (0, -5, 2.5, "10"):
        with pytest.raises(ValueError, match=rf"^{name} .*got {bad!r}$"):
            Limits(**{name: bad})


def test_the_connect_timeout_is_positive_or_none() -> None:
    assert Limits(connect_timeout=0.001).connect_timeout == 0.001
    assert Limits(connect_timeout=None).connect_timeout is None
    for bad in (0, 0.0, -1.0):
        with pytest.raises(ValueError, match=rf"^connect_timeout .*got {bad!r}$"):
            Limits(connect_timeout=bad)


def test_the_event_size_is_the_message_cap_or_unbounded() -> None:
    assert Limits(max_message_size=1234).event_size == 1234
    assert Limits(max_message_size=None).event_size == 2**62


@pytest.mark.parametrize(("limit", "size", "suggested"), [(10, 11, 40), (10, 41, 42), (100, 400, 401)])
def test_too_large_names_the_body_the_cap_and_a_cap_that_would_do(
    limit: int, size: int, suggested: int
) -> None:
    error = too_large("GET /config", "max_response_size", limit, size)
    assert isinstance(error, ResponseTooLargeError)
    assert (error.option, error.limit, error.size) == ("max_response_size", limit, size)
    text = str(error)
    assert text.startswith("GET /config ")
    assert f"max_response_size={limit} " in text and f"({size} bytes" in text
    assert f"max_response_size={suggested})" in text and "max_response_size=None" in text


# ------------------------------------------------------------------ deadlines


def test_app_steps_share_one_deadline_and_hub_steps_get_their_own() -> None:
    deadline = ConnectDeadline(Limits(connect_timeout=5.0))
    hub = HttpRequest(method="GET", url=f"{HUB}/api/spaces/me/app", app=False)
    app = HttpRequest(method="GET", url=f"{ROOT}/config")
    assert deadline.for_step(hub, 10.0) == 15.0
    assert deadline.for_step(hub, 12.0) == 17.0  # the Hub's steps do not start the app's
    assert deadline.for_step(app, 20.0) == 25.0
    assert deadline.for_step(app, 23.0) == 25.0
    assert deadline.for_step(hub, 24.0) == 29.0


def test_no_connect_timeout_is_no_deadline() -> None:
    deadline = ConnectDeadline(Limits(connect_timeout=None))
    for app in (True, False):
        assert deadline.for_step(HttpRequest(method="GET", url=ROOT, app=app), 1.0) is None


@pytest.mark.parametrize(("app", "where"), [(True, "Connecting to the app"), (False, "the Hub")])
def test_a_connect_timeout_names_the_step_and_the_timeout(app: bool, where: str) -> None:
    step = HttpRequest(method="POST", url=f"{ROOT}/login", app=app)
    error = ConnectDeadline(Limits(connect_timeout=2.5)).error(step)
    assert isinstance(error, ConnectTimeoutError)
    assert where in str(error) and "connect_timeout=2.5 " in str(error)
    assert f"POST {ROOT}/login" in str(error)


# ------------------------------------------------------------------ the flow's requests


def test_is_url() -> None:
    assert is_url("http://a") and is_url("https://a")
    assert not is_url("me/app") and not is_url("ftp://a") and not is_url("ws://a")


def test_requests_carry_the_token_and_the_callers_headers_over_it() -> None:
    conn, steps = drive(connect_flow(ROOT, token="t1"), app_routes())
    assert conn.headers == {"x-hf-authorization": "Bearer t1"}
    assert all(s.headers == {"x-hf-authorization": "Bearer t1"} and s.app for s in steps)
    _, steps = drive(connect_flow(ROOT, token="", headers={"a": "b"}), app_routes())
    assert all(s.headers == {"a": "b"} for s in steps)
    _, steps = drive(connect_flow(ROOT, token="t1", headers={"x-hf-authorization": "mine"}), app_routes())
    assert all(s.headers == {"x-hf-authorization": "mine"} for s in steps)
    _, steps = drive(connect_flow(ROOT + "///"), app_routes())
    assert [s.url for s in steps] == [f"{ROOT}/config", f"{ROOT}/gradio_api/info?all_endpoints=True"]
    assert all(s.method == "GET" and s.follow_redirects for s in steps)
    conn, _ = drive(connect_flow("https://HOSTX/"), app_routes("https://HOSTX"))  # only "/" goes
    assert conn.root == "https://HOSTX"


def test_a_bad_src_is_named() -> None:
    with pytest.raises(SpaceError, match="'not a space'") as info:
        next(connect_flow("not a space"))
    assert info.value.space_id == "not a space"


# ------------------------------------------------------------------ login


def login_routes(reply: HttpResponse) -> dict[str, Any]:
    return {f"POST {ROOT}/login": reply, **app_routes()}


@pytest.mark.parametrize("code", [200, 204, 299])
def test_a_login_answered_2xx_goes_on(code: int) -> None:
    conn, steps = drive(connect_flow(ROOT, auth=("u", "p"), token="t"), login_routes(status(code)))
    login = steps[0]
    assert (login.method, login.url, login.app, login.follow_redirects) == ("POST", f"{ROOT}/login", True, False)
    assert login.headers == {"x-hf-authorization": "Bearer t"}
    assert conn.root == ROOT and len(steps) == 3


@pytest.mark.parametrize("code", [300, 302, 307, 399])
def test_a_login_answered_with_a_redirect_fails_and_names_where(code: int) -> None:
    target = "https://elsewhere.test/" + "x" * 300
    reply = HttpResponse(status_code=code, content=b"", headers={"Location": target})
    with pytest.raises(AuthenticationError, match=rf"HTTP {code} to '{target[:200]}'\)") as info:
        drive(connect_flow(ROOT, auth=("u", "p")), login_routes(reply))
    assert ROOT in str(info.value)
    with pytest.raises(AuthenticationError, match=rf"HTTP {code} to 'nowhere'"):
        drive(connect_flow(ROOT, auth=("u", "p")), login_routes(status(code)))


@pytest.mark.parametrize("code", [400, 401, 403])
def test_a_refused_login_is_an_authentication_error(code: int) -> None:
    with pytest.raises(AuthenticationError, match=f"login to {ROOT}/"):
        drive(connect_flow(ROOT, auth=("u", "p")), login_routes(status(code)))


@pytest.mark.parametrize("code", [199, 404, 500, 503])
def test_any_other_login_status_is_an_http_error(code: int) -> None:
    with pytest.raises(HTTPStatusError, match=f"HTTP {code}") as info:
        drive(connect_flow(ROOT, auth=("u", "p")), login_routes(status(code, b"  nope  ")))
    assert info.value.status_code == code and info.value.body == b"  nope  "
    assert "'nope'" in str(info.value)


def test_an_http_error_shows_the_first_200_bytes_of_the_body() -> None:
    body = b"\xff" + b"a" * 300
    with pytest.raises(HTTPStatusError) as info:
        drive(connect_flow(ROOT, auth=("u", "p")), login_routes(status(502, body)))
    assert repr("\ufffd" + "a" * 199) + "." in str(info.value) and info.value.body == body


# ------------------------------------------------------------------ /config


@pytest.mark.parametrize("code", [200, 203, 299])
def test_config_answered_2xx_is_read(code: int) -> None:
    routes = app_routes()
    routes[f"GET {ROOT}/config"] = HttpResponse(status_code=code, content=CONFIG_6)
    conn, _ = drive(connect_flow(ROOT), routes)
    assert conn.config.version == "6.31.0"


def test_config_refusals_name_the_app() -> None:
    with pytest.raises(AuthenticationError, match=f"load {ROOT}/ "):
        drive(connect_flow(ROOT), {f"GET {ROOT}/config": status(401)})
    with pytest.raises(TooManyRequestsError, match=f"{ROOT} answered HTTP 429"):
        drive(connect_flow(ROOT), {f"GET {ROOT}/config": status(429)})


@pytest.mark.parametrize(("config_code", "page_code"), [(300, 200), (404, 299), (500, 250)])
def test_any_other_config_status_falls_back_to_the_page(config_code: int, page_code: int) -> None:
    page = b"<script>window.gradio_config=" + CONFIG_3 + b"</script>"
    routes = {
        f"GET {ROOT}/config": status(config_code),
        f"GET {ROOT}/": HttpResponse(status_code=page_code, content=page),
        f"GET {ROOT}/info?all_endpoints=True": status(404),
    }
    conn, steps = drive(connect_flow(ROOT, token="t"), routes)
    assert conn.config.version == "3.50.2"
    assert steps[1].url == f"{ROOT}/" and steps[1].headers == {"x-hf-authorization": "Bearer t"}


@pytest.mark.parametrize(("page_code", "start"), [(200, "Could not get Gradio config from:"),
                                                   (300, "Could not fetch config for"),
                                                   (199, "Could not fetch config for")])
def test_a_page_without_a_config_is_not_a_gradio_app(page_code: int, start: str) -> None:
    page = b"<script>window.gradio_config = " + CONFIG_3 + b";</script>"
    routes = {f"GET {ROOT}/config": status(404), f"GET {ROOT}/": HttpResponse(status_code=page_code, content=page)}
    if page_code == 200:
        routes[f"GET {ROOT}/"] = ok("<html><script>var x = 1;</script></html>")
    with pytest.raises(ConfigError, match=f"^{start} {ROOT}/. .*HTTP 404") as info:
        drive(connect_flow(ROOT), routes)
    assert info.value.status_code == 404


def test_a_config_that_does_not_parse_names_the_app_and_the_reason() -> None:
    routes = {f"GET {ROOT}/config": ok(b"[1, 2]")}
    with pytest.raises(ConfigError, match=f"^Could not get Gradio config from: {ROOT}/. .+"):
        drive(connect_flow(ROOT), routes)
    page = b"<script>window.gradio_config = {\"not\": 1};</script>"
    routes = {f"GET {ROOT}/config": status(404), f"GET {ROOT}/": ok(page)}
    with pytest.raises(ConfigError, match=f"^Could not get Gradio config from: {ROOT}/. .+"):
        drive(connect_flow(ROOT), routes)


def test_a_gradio_2_page_names_the_app() -> None:
    page = b"<script>window.gradio_config = " + config_with(CONFIG_3, allow_flagging="never") + b"</script>"
    routes = {f"GET {ROOT}/config": status(404), f"GET {ROOT}/": ok(page)}
    with pytest.raises(ConfigError, match=f"{ROOT}/ runs Gradio 2.x"):
        drive(connect_flow(ROOT), routes)


# ------------------------------------------------------------------ /info


@pytest.mark.parametrize(("protocol", "version", "asks"), [
    ("ws", "3.36.1", False), ("ws", "3.36.0", False), ("ws", "3.37.0", True), ("ws", "3.36.2", True),
    ("ws", "2.37.2", False),
    ("sse", "3.36.1", True), ("sse_v3", "3.0", True),
])
def test_info_is_asked_for_unless_the_server_is_too_old_for_it(protocol: str, version: str, asks: bool) -> None:
    routes = {f"GET {ROOT}/config": ok(config_with(CONFIG_3, protocol=protocol, version=version)),
              f"GET {ROOT}/info?all_endpoints=True": status(404)}
    _, steps = drive(connect_flow(ROOT), routes)
    assert [s.url for s in steps[1:]] == ([f"{ROOT}/info?all_endpoints=True"] if asks else [])


@pytest.mark.parametrize("code", [200, 299])
def test_info_answered_2xx_is_used(code: int) -> None:
    routes = app_routes()
    routes[INFO_URL] = HttpResponse(status_code=code, content=INFO_6)
    conn, _ = drive(connect_flow(ROOT), routes)
    assert conn.info.named["/add"].parameters  # names from /info, not from labels


@pytest.mark.parametrize("code", [199, 300, 404, 500])
def test_info_answered_otherwise_falls_back_to_the_config_with_a_warning(
    code: int, caplog: pytest.LogCaptureFixture
) -> None:
    routes = app_routes()
    routes[INFO_URL] = HttpResponse(status_code=code, content=INFO_6)
    with caplog.at_level(logging.WARNING):
        conn, _ = drive(connect_flow(ROOT), routes)
    assert conn.info.named
    assert [r.getMessage() for r in caplog.records if ROOT in r.getMessage() and f"HTTP {code}" in r.getMessage()]


def test_unusable_info_is_logged_with_the_reason(caplog: pytest.LogCaptureFixture) -> None:
    routes = app_routes()
    routes[INFO_URL] = ok("[1, 2]")
    with caplog.at_level(logging.WARNING):
        drive(connect_flow(ROOT), routes)
    assert [r for r in caplog.records if r.getMessage().startswith(f"{ROOT}: /info is unusable (")
            and "expected a JSON object, got array" in r.getMessage()]  # the reason


def shared_name_config() -> bytes:
    config = json.loads(CONFIG_6)
    config["dependencies"][1]["api_name"] = config["dependencies"][0]["api_name"]
    return json.dumps(config).encode()


def test_a_shared_api_name_fetches_the_public_info_too(caplog: pytest.LogCaptureFixture) -> None:
    public_url = f"GET {ROOT}/gradio_api/info"
    routes: dict[str, Any] = {f"GET {ROOT}/config": ok(shared_name_config()), INFO_URL: ok(INFO_6),
                              public_url: HttpResponse(status_code=299, content=INFO_6)}
    conn, steps = drive(connect_flow(ROOT, token="t"), routes)
    assert steps[-1].url == f"{ROOT}/gradio_api/info" and steps[-1].headers == steps[0].headers
    assert conn.info.public and set(conn.info.public) == set(json.loads(INFO_6)["named_endpoints"])
    for reply in (status(404), HttpResponse(status_code=300, content=INFO_6), status(199)):
        routes[public_url] = reply
        conn, _ = drive(connect_flow(ROOT), routes)
        assert not conn.info.public
    routes[public_url] = ok("[1]")
    with caplog.at_level(logging.WARNING):
        conn, _ = drive(connect_flow(ROOT), routes)
    assert not conn.info.public and conn.info.named
    assert [r for r in caplog.records if r.getMessage().startswith(f"{ROOT}: the public /info is unusable (")
            and "expected a JSON object, got array" in r.getMessage()]  # the reason


def test_one_name_per_endpoint_does_not_fetch_the_public_info() -> None:
    _, steps = drive(connect_flow(ROOT), app_routes())
    assert len(steps) == 2


def test_the_api_root_has_no_trailing_slash() -> None:
    routes = {f"GET {ROOT}/config": ok(config_with(api_prefix="/gradio_api/")), INFO_URL: ok(INFO_6)}
    conn, _ = drive(connect_flow(ROOT), routes)
    assert conn.api_root == f"{ROOT}/gradio_api"


# ------------------------------------------------------------------ Spaces


def test_a_space_is_asked_of_the_hub_with_the_token() -> None:
    routes = {f"GET {HUB}/api/spaces/me/my-app.v2": space(host="http://app.test/"), **app_routes()}
    conn, steps = drive(connect_flow("me/my-app.v2", hub=HUB + "//"), routes)
    assert steps[0].app is False and steps[0].headers == {} and steps[0].method == "GET"
    assert conn.root == ROOT and conn.space_id == "me/my-app.v2"
    assert steps[1].headers == {} and steps[1].app
    hub = "http://HUBX"
    routes = {f"GET {hub}/api/spaces/me/app": space(host="http://HOSTX/"), **app_routes("http://HOSTX")}
    conn, _ = drive(connect_flow("me/app", hub=hub + "/"), routes)
    assert conn.root == "http://HOSTX"


@pytest.mark.parametrize("code", [401, 403, 404])
def test_an_unknown_space_is_named_and_a_token_hint_given_only_without_one(code: int) -> None:
    routes = {f"GET {HUB}/api/spaces/me/app": status(code)}
    with pytest.raises(SpaceError, match="pass token=") as info:
        drive(connect_flow("me/app", hub=HUB), routes)
    assert info.value.space_id == "me/app" and "'me/app'" in str(info.value)
    with pytest.raises(SpaceError) as info:
        drive(connect_flow("me/app", hub=HUB, token="t"), routes)
    assert "pass token" not in str(info.value) and "'me/app'" in str(info.value)


@pytest.mark.parametrize("code", [200, 299])
def test_the_hubs_answer_is_read_on_any_2xx(code: int) -> None:
    reply = HttpResponse(status_code=code, content=json.dumps({"host": ROOT}).encode())
    conn, _ = drive(connect_flow("me/app", hub=HUB), {f"GET {HUB}/api/spaces/me/app": reply, **app_routes()})
    assert conn.root == ROOT


@pytest.mark.parametrize("code", [199, 300, 500])
def test_the_hubs_answer_on_another_status_is_an_http_error(code: int) -> None:
    reply = HttpResponse(status_code=code, content=json.dumps({"host": ROOT}).encode())
    with pytest.raises(HTTPStatusError, match=f"the Hub's Space info failed with HTTP {code}") as info:
        drive(connect_flow("me/app", hub=HUB), {f"GET {HUB}/api/spaces/me/app": reply})
    assert info.value.status_code == code


@pytest.mark.parametrize("host", [None, "", 5])
def test_a_space_without_a_usable_host_runs_at_its_subdomain(host: Any) -> None:
    routes = {f"GET {HUB}/api/spaces/me/app": space(host=host, subdomain="me-app"),
              **app_routes("https://me-app.hf.space")}
    conn, _ = drive(connect_flow("me/app", hub=HUB), routes)
    assert conn.root == "https://me-app.hf.space"
    routes[f"GET {HUB}/api/spaces/me/app"] = space(host=host, subdomain=5)
    with pytest.raises(SpaceError, match="'me/app'") as info:
        drive(connect_flow("me/app", hub=HUB), routes)
    assert info.value.space_id == "me/app"


def test_a_building_space_is_polled_on_the_hub_with_the_token() -> None:
    routes = {
        f"GET {HUB}/api/spaces/me/app": space("BUILDING"),
        f"GET {HUB}/api/spaces/me/app/runtime": [ok({"stage": "RUNNING_BUILDING"}), ok({"stage": 7})],
        **app_routes(),
    }
    conn, steps = drive(connect_flow("me/app", hub=HUB, token="t"), routes)
    polls = [s for s in steps if isinstance(s, HttpRequest) and s.url.endswith("/runtime")]
    assert len(polls) == 2 and conn.root == ROOT
    assert all(p.method == "GET" and p.app is False and p.headers == {"authorization": "Bearer t"}
               for p in polls)


@pytest.mark.parametrize(("wait", "sleeps"), [(0.0, 0), (1.0, 1), (2.0, 1), (3.0, 2), (4.0, 2), (4.5, 3)])
def test_the_wait_for_a_building_space_is_bounded(wait: float, sleeps: int) -> None:
    routes = {
        f"GET {HUB}/api/spaces/me/app": space("APP_STARTING"),
        f"GET {HUB}/api/spaces/me/app/runtime": ok({"stage": "APP_STARTING"}),
    }
    flow = connect_flow("me/app", hub=HUB, space_wait=wait)
    seen: list[Any] = []
    with pytest.raises(SpaceError, match=f"still APP_STARTING after {wait:g} s") as info:
        reply = None
        while True:
            step = flow.send(reply)
            seen.append(step)
            reply = None if isinstance(step, Sleep) else routes[f"{step.method} {step.url}"]
    assert [s for s in seen if isinstance(s, Sleep)] == [Sleep(2.0)] * sleeps
    assert (info.value.space_id, info.value.stage) == ("me/app", "APP_STARTING")


def test_a_hub_runtime_that_is_not_json_is_an_http_error() -> None:
    routes = {f"GET {HUB}/api/spaces/me/app": space("BUILDING"),
              f"GET {HUB}/api/spaces/me/app/runtime": status(502, b"bad gateway")}
    with pytest.raises(HTTPStatusError, match="Space runtime failed with HTTP 502: 'bad gateway'"):
        drive(connect_flow("me/app", hub=HUB), routes)


@pytest.mark.parametrize("stage", ["NO_APP_FILE", "CONFIG_ERROR", "BUILD_ERROR", "RUNTIME_ERROR",
                                   "PAUSED", "SLEEPING", "STOPPED", "DELETING"])
def test_a_broken_space_is_named_with_its_stage(stage: str) -> None:
    routes = {f"GET {HUB}/api/spaces/me/app": space(stage)}
    with pytest.raises(SpaceError, match="^Space 'me/app' ") as info:
        drive(connect_flow("me/app", hub=HUB), routes)
    assert (info.value.space_id, info.value.stage) == ("me/app", stage)


@pytest.mark.parametrize("runtime", [None, "RUNNING", ["BUILDING"], {"stage": None}, {"stage": ["BUILDING"]}])
def test_a_space_whose_stage_is_unknown_is_tried(runtime: Any) -> None:
    info = {"host": ROOT, "runtime": runtime}
    conn, steps = drive(connect_flow("me/app", hub=HUB), {f"GET {HUB}/api/spaces/me/app": ok(info), **app_routes()})
    assert conn.root == ROOT and not any(isinstance(s, Sleep) for s in steps)


# ------------------------------------------------------------------ the queue machine's settings


@pytest.mark.parametrize(("version", "route"), [("4.30.9", False), ("4.31", True), ("4.31.0", True), ("5.0", True)])
def test_the_cancel_route_exists_from_4_31(version: str, route: bool) -> None:
    config = parse_config(config_with(version=version))
    assert machine_config(config).cancel_route is route


@pytest.mark.parametrize(("protocol", "multiplexed"), [("sse_v1", True), ("sse_v3", True), ("sse", False), ("ws", False)])
@pytest.mark.parametrize("heartbeat", [True, False])
def test_heartbeat_and_event_ack_only_on_the_multiplexed_protocols(
    protocol: str, multiplexed: bool, heartbeat: bool
) -> None:
    config = parse_config(config_with(protocol=protocol, connect_heartbeat=heartbeat))
    settings = machine_config(config)
    assert settings.heartbeat is (heartbeat and multiplexed)
    assert machine_config(config, event_ack_timeout=7.0).event_ack_timeout == (7.0 if multiplexed else None)
    assert machine_config(config, event_ack_timeout=None).event_ack_timeout is None
    if multiplexed:
        assert settings.event_ack_timeout is not None and settings.event_ack_timeout > 0
    else:
        assert settings.event_ack_timeout is None
    assert machine_config(config, heartbeat=True, protocol="x").protocol == "x"  # overrides win


def test_unqueued_endpoints_matter_only_on_websockets() -> None:
    config = json.loads(CONFIG_3)
    config["dependencies"][1]["queue"] = False
    ws = machine_config(parse_config(json.dumps(config).encode()))
    assert ws.unqueued_fns == {1} and ws.protocol == "ws"
    config["enable_queue"] = False
    everything = machine_config(parse_config(json.dumps(config).encode())).unqueued_fns
    assert everything == set(range(len(config["dependencies"])))
    config["protocol"] = "sse"
    assert machine_config(parse_config(json.dumps(config).encode())).unqueued_fns == frozenset()


def test_every_cancelled_endpoint_names_a_canceller() -> None:
    config = json.loads(CONFIG_6)
    deps = config["dependencies"]
    deps[4]["cancels"] = [deps[0]["id"], deps[1]["id"]]
    cancel_fns = machine_config(parse_config(json.dumps(config).encode())).cancel_fns
    assert dict(cancel_fns) == {deps[0]["id"]: deps[4]["id"], deps[1]["id"]: deps[4]["id"]}


# ------------------------------------------------------------------ origins


@pytest.mark.parametrize(("scheme", "port"), [("http", 80), ("https", 443), ("ws", 80), ("wss", 443)])
def test_the_default_port_of_each_scheme_is_the_same_origin(scheme: str, port: int) -> None:
    assert same_origin(f"{scheme}://a.test:{port}/x", f"{scheme}://a.test")
    assert same_origin(f"{scheme}://a.test/x", f"{scheme}://a.test:{port}")
    assert not same_origin(f"{scheme}://a.test:{port + 1}/x", f"{scheme}://a.test")
    assert not same_origin(f"{scheme}://a.test/x", f"{scheme}://b.test")


def test_an_unknown_scheme_has_no_default_port() -> None:
    assert same_origin("ftp://a.test/x", "ftp://a.test")
    assert not same_origin("ftp://a.test:21/x", "ftp://a.test")


# ------------------------------------------------------------------ after the run (survivors)


def test_a_building_space_is_waited_for_300_s_by_default() -> None:
    routes = {
        f"GET {HUB}/api/spaces/me/app": space("BUILDING"),
        f"GET {HUB}/api/spaces/me/app/runtime": ok({"stage": "BUILDING"}),
    }
    flow = connect_flow("me/app", hub=HUB)
    sleeps = 0
    with pytest.raises(SpaceError, match="still BUILDING after 300 s"):
        reply = None
        while True:
            step = flow.send(reply)
            sleeps += isinstance(step, Sleep)
            reply = None if isinstance(step, Sleep) else routes[f"{step.method} {step.url}"]
    assert sleeps == 150


@pytest.mark.parametrize("prefix", ["/apiX", "/api "])
def test_the_info_url_uses_the_api_prefix_as_the_config_gives_it(prefix: str) -> None:
    routes = {f"GET {ROOT}/config": ok(config_with(api_prefix=prefix)),
              f"GET {ROOT}{prefix}/info?all_endpoints=True": ok(INFO_6)}
    conn, _ = drive(connect_flow(ROOT), routes)
    assert conn.config.api_prefix == prefix and conn.api_root == ROOT + prefix
