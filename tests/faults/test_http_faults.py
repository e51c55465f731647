"""Faults on plain requests (join, config, login, the stream's response head): each job ends
exactly once with the typed error, and the client keeps working afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gradio_client.errors import (
    AuthenticationError,
    HTTPStatusError,
    QueueFullError,
    RemoteProtocolError,
    TooManyRequestsError,
    ValidationError,
)
from tests.servers.gradio_server import GRADIO_AUTH

from .conftest import connected, ends_once
from .proxy import FaultProxy

JOIN = r"/queue/join$"
HTML_PAGE = "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Log in</body></html>"


def joins(proxy: FaultProxy) -> list[Any]:
    return proxy.seen("POST", JOIN)


async def test_queue_full_503(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    proxy.respond("POST", JOIN, 503, {"detail": "Queue is full. Max size is 1 and size is 1."}, times=1)
    async with connected(kind, proxy.url, tmp_path) as app:
        job = await app.submit("x", api_name="/echo")
        error = await ends_once(job, QueueFullError)
        assert "Queue is full" in str(error)
        assert len(joins(proxy)) == 1  # a full queue is not retried behind the caller's back
        assert await app.predict("next", api_name="/echo") == "next"


async def test_validation_422(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    detail = [
        {"__type__": "validate", "is_valid": False, "message": "x must be non-negative",
         "parameter_name": "x"},
        {"__type__": "validate", "is_valid": True, "message": "", "parameter_name": "y"},
    ]
    proxy.respond("POST", JOIN, 422, {"detail": detail}, times=1)
    async with connected(kind, proxy.url, tmp_path) as app:
        job = await app.submit("x", api_name="/echo")
        error = await ends_once(job, ValidationError)
        assert "x must be non-negative" in str(error) and error.errors
        assert await app.predict("next", api_name="/echo") == "next"


async def test_join_401(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    proxy.respond("POST", JOIN, 401, {"detail": "Not authenticated"}, times=1)
    async with connected(kind, proxy.url, tmp_path) as app:
        job = await app.submit("x", api_name="/echo")
        await ends_once(job, AuthenticationError)
        assert len(joins(proxy)) == 1


async def test_config_401_is_an_authentication_error(kind: str, proxy: FaultProxy) -> None:
    proxy.respond("GET", r"^/config", 401, {"detail": "Not authenticated"})
    with pytest.raises(AuthenticationError, match="auth="):
        async with connected(kind, proxy.url, download_files=False):
            pass


async def test_wrong_password_is_an_authentication_error(kind: str, gradio_auth_app: str) -> None:
    with FaultProxy(gradio_auth_app) as proxy:
        with pytest.raises(AuthenticationError, match="wrong"):
            async with connected(kind, proxy.url, auth=(GRADIO_AUTH[0], "not-the-password")):
                pass
        logins = proxy.seen("POST", r"^/login")
        assert len(logins) == 1 and b"not-the-password" in logins[0].body
        assert not proxy.seen("POST", JOIN)


async def test_login_401_is_an_authentication_error(kind: str, proxy: FaultProxy) -> None:
    proxy.respond("POST", r"^/login", 401, {"detail": "Incorrect credentials."})
    with pytest.raises(AuthenticationError):
        async with connected(kind, proxy.url, auth=("u", "p"), download_files=False):
            pass


async def test_429_retry_after_is_honoured(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    rule = proxy.respond("POST", JOIN, 429, {"detail": "slow down"}, {"Retry-After": "1.5"}, times=2)
    async with connected(kind, proxy.url, tmp_path) as app:
        job = await app.submit("patient", api_name="/echo")
        assert await ends_once(job) == "patient"
    attempts = joins(proxy)
    assert rule.hits == 2 and len(attempts) == 3
    gaps = [b.time - a.time for a, b in zip(attempts, attempts[1:])]
    assert all(gap >= 1.4 for gap in gaps), gaps  # never earlier than the server asked


async def test_429_gives_up_after_its_retries(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    proxy.respond("POST", JOIN, 429, {"detail": "slow down"}, {"Retry-After": "0.2"})
    async with connected(kind, proxy.url, tmp_path) as app:
        job = await app.submit("x", api_name="/echo")
        error = await ends_once(job, TooManyRequestsError)
        assert error.retry_after == pytest.approx(0.2)
    assert len(joins(proxy)) == 4  # the first try and three retries


async def test_429_with_a_long_retry_after_fails_at_once(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    proxy.respond("POST", JOIN, 429, "", {"Retry-After": "3600"})
    async with connected(kind, proxy.url, tmp_path) as app:
        job = await app.submit("x", api_name="/echo")
        error = await ends_once(job, TooManyRequestsError)
        assert error.retry_after == 3600 and "3600" in str(error)
    assert len(joins(proxy)) == 1


async def test_429_without_retry_after_backs_off(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    proxy.respond("POST", JOIN, 429, "Too Many Requests", times=1)
    async with connected(kind, proxy.url, tmp_path) as app:
        assert await ends_once(await app.submit("later", api_name="/echo")) == "later"
    assert len(joins(proxy)) == 2


async def test_config_429_is_too_many_requests(kind: str, proxy: FaultProxy) -> None:
    proxy.respond("GET", r"^/config", 429, "", {"Retry-After": "10"})
    with pytest.raises(TooManyRequestsError):
        async with connected(kind, proxy.url, download_files=False):
            pass


async def test_html_join_reply(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    proxy.respond("POST", JOIN, 200, HTML_PAGE, {"content-type": "text/html"}, times=1)
    proxy.respond("POST", JOIN, 502, "<html><body><h1>502 Bad Gateway</h1></body></html>",
                  {"content-type": "text/html"}, times=1)
    async with connected(kind, proxy.url, tmp_path) as app:
        error = await ends_once(await app.submit("x", api_name="/echo"), RemoteProtocolError)
        assert "event_id" in str(error)
        error = await ends_once(await app.submit("x", api_name="/echo"), HTTPStatusError)
        assert error.status_code == 502 and "HTML" in str(error)
        assert await app.predict("next", api_name="/echo") == "next"


async def test_html_event_stream(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """A login page where the event stream should be (a proxy in between): a typed error,
    not a hang or a JSON decode error; no endless reconnects either."""
    proxy.respond("GET", r"/queue/data\?", 200, HTML_PAGE, {"content-type": "text/html"})
    async with connected(kind, proxy.url, tmp_path) as app:
        error = await ends_once(await app.submit("x", api_name="/echo"), RemoteProtocolError)
        assert "text/event-stream" in str(error)
    assert len(proxy.seen("GET", r"/queue/data\?")) == 1


async def test_html_config(kind: str, proxy: FaultProxy) -> None:
    proxy.respond("GET", r"^/config", 200, HTML_PAGE, {"content-type": "text/html"})
    proxy.respond("GET", r"^/$", 200, HTML_PAGE, {"content-type": "text/html"})
    with pytest.raises(RemoteProtocolError):
        async with connected(kind, proxy.url, download_files=False):
            pass


async def test_stream_502_then_reconnect_delivers(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """The stream's GET fails before the server saw it (a gateway error): the server keeps
    the job's messages, the client retries with backoff and gets every one of them."""
    proxy.respond("GET", r"/queue/data\?", 502, "<html>Bad Gateway</html>",
                  {"content-type": "text/html"}, times=2)
    async with connected(kind, proxy.url, tmp_path) as app:
        job = await app.submit(4, api_name="/count")
        assert await job.outputs() == ["0", "0 1", "0 1 2", "0 1 2 3"]  # iterated once
        assert await ends_once(job) == "0 1 2 3"
    assert len(proxy.seen("GET", r"/queue/data\?")) >= 3
