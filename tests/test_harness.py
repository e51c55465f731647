"""Tests of the test harness itself: the Hub stand-in, the example app, the network guard.

Uses only the standard library as an HTTP client, so it says nothing about our client.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.servers.gradio_server import GRADIO_AUTH
from tests.servers.netguard import NetworkBlocked, NonLoopbackConnection, check_address
from tests.servers import gradio_server as harness
from tests.servers.hub import FakeHub

# every api_name of examples/apps/kitchen_sink.py on gradio 6.x (tests across the repo rely on them)
API_NAMES = {
    "calculator", "echo", "add", "count", "count_fast", "chat", "counter", "image_flip",
    "file_roundtrip", "file_info", "progress", "fail", "crash", "notify", "slow", "sleep_gen",
    "json_path", "validate", "secret", "hidden",
}

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str, headers: dict[str, str] | None = None, data: bytes | None = None
          ) -> tuple[int, dict[str, str], Any]:
    req = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with _opener.open(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read() or b"null")


# ------------------------------------------------------------------------------ hub
def test_hub_unknown_space_is_404(hub: FakeHub) -> None:
    status, headers, body = fetch(f"{hub.url}/api/spaces/nobody/nothing")
    assert status == 404
    assert body == {"error": "Repository not found"}
    assert headers["X-Error-Code"] == "RepoNotFound"


def test_hub_public_space(hub: FakeHub) -> None:
    hub.add_space("Owner/My_App", host="http://127.0.0.1:1234")
    status, _, info = fetch(f"{hub.url}/api/spaces/Owner/My_App")
    assert status == 200
    assert info["id"] == "Owner/My_App"
    assert info["host"] == "http://127.0.0.1:1234"
    assert info["private"] is False
    assert info["subdomain"] == "owner-my-app"
    assert info["runtime"] == {"stage": "RUNNING", "hardware": {"current": "cpu-basic", "requested": "cpu-basic"}}
    assert fetch(f"{hub.url}/api/spaces/Owner/My_App/runtime")[2]["stage"] == "RUNNING"
    assert fetch(f"{hub.url}/api/spaces/Owner/My_App/host")[2] == {
        "host": "http://127.0.0.1:1234", "subdomain": "owner-my-app"}


def test_hub_default_host_is_hf_space_form(hub: FakeHub) -> None:
    hub.add_space("owner/name")
    assert fetch(f"{hub.url}/api/spaces/owner/name")[2]["host"] == "https://owner-name.hf.space"


def test_hub_private_space_needs_its_token(hub: FakeHub) -> None:
    hub.add_space("owner/secret", host="http://127.0.0.1:1", private=True, token="hf_x")
    for route in ("", "/runtime", "/host"):
        url = f"{hub.url}/api/spaces/owner/secret{route}"
        status, headers, body = fetch(url)
        assert (status, body) == (401, {"error": "Invalid username or password."})
        assert headers["X-Error-Code"] == "RepoNotFound"
        assert fetch(url, {"Authorization": "Bearer hf_wrong"})[0] == 401
        # the Hub reads Authorization, not the x-hf-authorization header Spaces get
        assert fetch(url, {"X-HF-Authorization": "Bearer hf_x"})[0] == 401
        status, _, body = fetch(url, {"Authorization": "Bearer hf_x"})
        assert status == 200, body
    assert fetch(f"{hub.url}/api/spaces/owner/secret", {"Authorization": "Bearer hf_x"})[2]["private"] is True


def test_hub_private_space_requires_a_token() -> None:
    with pytest.raises(ValueError):
        FakeHub().add_space("a/b", private=True)


def test_hub_records_requests(hub: FakeHub) -> None:
    hub.add_space("owner/app", host="http://127.0.0.1:9")
    fetch(f"{hub.url}/api/spaces/owner/app/runtime?x=1", {"Authorization": "Bearer t", "User-Agent": "probe/1"})
    fetch(f"{hub.url}/api/spaces/owner/app", data=b"{}")
    (req,) = hub.requests_for("/api/spaces/owner/app/runtime")
    assert (req.method, req.query) == ("GET", "x=1")
    assert req.headers["authorization"] == "Bearer t"
    assert req.headers["user-agent"] == "probe/1"
    (post,) = hub.requests_for("/api/spaces/owner/app")
    assert (post.method, post.body) == ("POST", b"{}")
    hub.clear_requests()
    assert hub.requests == []


def test_hub_stage_changes(hub: FakeHub) -> None:
    hub.add_space("owner/app", host="http://127.0.0.1:9", stage="BUILDING")
    runtime = f"{hub.url}/api/spaces/owner/app/runtime"
    assert fetch(runtime)[2]["stage"] == "BUILDING"
    hub.set_stage("owner/app", "RUNNING", after=0.3)
    assert fetch(runtime)[2]["stage"] == "BUILDING"
    deadline = time.monotonic() + 5
    while fetch(runtime)[2]["stage"] != "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    hub.set_stage("owner/app", "PAUSED")
    assert fetch(f"{hub.url}/api/spaces/owner/app")[2]["runtime"]["stage"] == "PAUSED"


def test_hub_fixture_sets_env(hub: FakeHub) -> None:
    assert os.environ["HF_ENDPOINT"] == hub.url
    assert "HF_TOKEN" not in os.environ


def test_hub_from_dict() -> None:
    with FakeHub({"o/n": {"host": "http://127.0.0.1:5", "stage": "SLEEPING"}}) as hub:
        assert fetch(f"{hub.url}/api/spaces/o/n/runtime")[2]["stage"] == "SLEEPING"


# ---------------------------------------------------------------------- gradio app
def test_gradio_app_serves_every_endpoint(gradio_app: str) -> None:
    assert gradio_app.startswith("http://127.0.0.1:") and gradio_app.endswith("/")
    status, _, config = fetch(gradio_app + "config")
    assert status == 200
    assert config["version"] == harness.DEFAULT_VERSION
    assert config["protocol"] == "sse_v3"
    assert config["api_prefix"] == "/gradio_api"
    deps = {d["api_name"]: d for d in config["dependencies"]}
    assert API_NAMES <= set(deps), API_NAMES - set(deps)
    assert deps["secret"]["api_visibility"] == "private"
    assert deps["hidden"]["api_visibility"] == "undocumented"
    assert deps["calculator"]["api_visibility"] == "public"
    assert deps["count"]["types"]["generator"] is True
    assert config["connect_heartbeat"] is True  # the app has gr.State


def test_gradio_app_info_lists_public_endpoints(gradio_app: str) -> None:
    status, _, info = fetch(gradio_app + "gradio_api/info")
    assert status == 200
    named = set(info["named_endpoints"])
    assert {"/" + n for n in API_NAMES - {"secret", "hidden"}} <= named
    assert "/secret" not in named and "/hidden" not in named
    add = info["named_endpoints"]["/add"]["parameters"]
    assert [(p["parameter_name"], p["parameter_has_default"], p["parameter_default"]) for p in add] == [
        ("a", False, None), ("b", True, 5)]


def test_every_endpoint_answers_over_the_raw_protocol(gradio_server: harness.RunningApp) -> None:
    """tools/probe_app.py calls each endpoint with raw httpx from the gradio venv and checks results."""
    proc = subprocess.run(
        [str(harness.gradio_python()), str(harness.ROOT / "tools" / "probe_app.py"), gradio_server.url],
        capture_output=True, text=True, timeout=120, cwd=harness.cache_dir(),
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "all endpoints ok" in proc.stdout


def test_gradio_auth_app_requires_login(gradio_auth_app: str) -> None:
    status, _, body = fetch(gradio_auth_app + "config")
    assert status == 401, body
    form = f"username={GRADIO_AUTH[0]}&password={GRADIO_AUTH[1]}".encode()
    req = urllib.request.Request(gradio_auth_app + "login", data=form)
    with _opener.open(req, timeout=10) as resp:
        assert resp.status == 200
        cookies = [v.split(";")[0] for k, v in resp.headers.items() if k.lower() == "set-cookie"]
    assert cookies
    status, _, config = fetch(gradio_auth_app + "config", {"Cookie": "; ".join(cookies)})
    assert status == 200
    assert "calculator" in {d["api_name"] for d in config["dependencies"]}


def test_missing_gradio_env_says_how_to_build_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(harness.GradioEnvMissing, match=r"tools/run.py envs 0\.0\.1"):
        harness.start_app("0.0.1")


# ---------------------------------------------------------------------- network guard
def test_network_guard_blocks_non_local_names() -> None:
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("huggingface.co", 443)
    assert socket.getaddrinfo("127.0.0.1", 80)
    assert socket.getaddrinfo("localhost", 80)


@pytest.mark.parametrize("address", [("192.0.2.1", 80), ("10.0.0.1", 443), ("2001:db8::1", 80, 0, 0)])
def test_network_guard_refuses_non_loopback(address: tuple[Any, ...]) -> None:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with pytest.raises(NonLoopbackConnection):
        check_address(family, address)
    check_address(socket.AF_INET, ("127.0.0.1", 80))
    check_address(socket.AF_INET6, ("::1", 80, 0, 0))
