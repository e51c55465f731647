"""Space ids through the local Hub stand-in (HF_ENDPOINT), and proof that nothing leaves 127.0.0.1.

tests/contract/test_contract.py already checks, on both clients, that a public Space id
resolves, a private one needs its token (sent as ``Authorization: Bearer`` to the Hub),
sleeping / crashed / unknown Spaces raise ``SpaceError`` and a building one is waited for.
Here:

* a whole Space-id session (Hub look-up, private token, config, queue, upload, download,
  heartbeat) is watched at the socket level: every connection goes to 127.0.0.1;
* the guard of tests/conftest.py is shown to stop a non-loopback attempt (a Space whose
  host is the real ``*.hf.space``, an IP literal outside 127/8) before any packet leaves;
* a Space id resolves through the Hub stand-in to an app that is a *recording*: private,
  building then running, with no gradio server at all.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from gradio_client import Client, handle_file
from gradio_client.errors import ConnectionLostError, SpaceError, TransportError
from gradio_client.testing import ROOT, Replay
from tests.servers.netguard import NetworkBlocked, NonLoopbackConnection

from .runner import SESSIONS


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every address a socket of this process connects to during the test."""
    seen: list[Any] = []
    guarded_connect = socket.socket.connect  # the loopback guard's, installed by conftest
    guarded_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        seen.append(address)
        return guarded_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        seen.append(address)
        return guarded_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return seen


def _loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    return isinstance(host, str) and ipaddress.ip_address(host.split("%")[0]).is_loopback


def test_space_session_never_leaves_loopback(
    hub: Any, gradio_server: Any, connections: list[Any], tmp_path: Path
) -> None:
    app = gradio_server.url.rstrip("/")
    hub.add_space("acme/private", host=app, private=True, token="hf_secret")
    source = tmp_path / "note.txt"
    source.write_text("hello")
    with Client("acme/private", token="hf_secret", verbose=False,
                download_files=str(tmp_path / "dl")) as client:
        assert client.space_id == "acme/private"
        assert client.predict("x", api_name="/echo") == "x"
        job = client.submit(3, api_name="/count")
        assert list(job) == ["0", "0 1", "0 1 2"]
        out = client.predict(handle_file(source), api_name="/file_roundtrip")
        assert Path(out).read_text() == "olleh"
    ports = {address[1] for address in connections}
    assert connections and all(_loopback(a) for a in connections), connections
    assert {gradio_server.port, int(hub.url.rsplit(":", 1)[1])} <= ports
    sent = hub.requests_for("/api/spaces/acme/private")
    assert sent and sent[0].headers.get("authorization") == "Bearer hf_secret"


def test_guard_stops_non_loopback_attempts(hub: Any, connections: list[Any]) -> None:
    # a Space running on the real Hub: its host is https://acme-remote.hf.space
    hub.add_space("acme/remote")
    with pytest.raises((ConnectionLostError, TransportError)) as info:
        Client("acme/remote", verbose=False)
    chain = []
    exc: BaseException | None = info.value
    while exc is not None:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    assert any(isinstance(e, (NetworkBlocked, httpx.ConnectError)) for e in chain), chain
    # an address outside 127.0.0.0/8: its lookup is refused (httpx resolves even literals)
    hub.add_space("acme/lan", host="http://192.0.2.10:7860")  # TEST-NET-1, never routed
    with pytest.raises((ConnectionLostError, TransportError)):
        Client("acme/lan", verbose=False)
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("192.0.2.10", 80), timeout=1)
    # and a raw connect() to it is refused before it reaches the kernel
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as raw:
        with pytest.raises(NonLoopbackConnection):
            raw.connect(("192.0.2.10", 80))
    assert ("192.0.2.10", 80) in connections  # attempted, and stopped
    assert all(_loopback(a) or a[0] == "192.0.2.10" for a in connections), connections


class _Router(httpx.BaseTransport):
    """The Hub stand-in over real loopback HTTP, the app from a recording."""

    def __init__(self, hub_url: str, app: httpx.BaseTransport) -> None:
        self._hub = httpx.URL(hub_url)
        self._real = httpx.HTTPTransport()
        self._app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == self._hub.host and request.url.port == self._hub.port:
            return self._real.handle_request(request)
        return self._app.handle_request(request)

    def close(self) -> None:
        self._real.close()
        self._app.close()


@pytest.mark.parametrize("version", ["6.31.0", "4.44.1", "3.50.2"])
def test_private_building_space_with_a_recorded_app(
    hub: Any, connections: list[Any], version: str
) -> None:
    path = SESSIONS / version / "echo.json"
    if not path.exists():
        pytest.skip(f"no recording {path} (python3 tools/record.py {version})")
    hub.add_space("acme/recorded", host=ROOT, private=True, token="hf_tok", stage="BUILDING")
    with Replay.load(path) as replay:
        with pytest.raises(SpaceError, match="token"):
            Client("acme/recorded", verbose=False,
                   httpx_kwargs={"transport": _Router(hub.url, replay.transport())})
        hub.set_stage("acme/recorded", "RUNNING", after=0.5)
        client = Client("acme/recorded", token="hf_tok", verbose=False,
                        httpx_kwargs={"transport": _Router(hub.url, replay.transport())})
        try:
            text = "a\u2028b\u2029c\u0085d \U0001f600 \r\n end"
            assert client.predict(text, api_name="/echo") == text
        finally:
            client.close()
    stages = hub.requests_for("/api/spaces/acme/recorded/runtime")
    assert stages, "the building Space was not polled"
    assert all(_loopback(a) for a in connections), connections
    assert not [p for p in replay.problems if "echo" in p], replay.problems
