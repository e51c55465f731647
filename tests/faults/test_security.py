"""Credentials stay with the app, local files stay local, downloads stay in their folder.

The app is the real one behind a ``FaultProxy`` that rewrites a job's completion into the
file reference under test; "foreign" servers are recording ``FaultProxy(None)`` instances
on another loopback host (127.0.0.2) and on another port of the app's own host.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gradio_client import handle_file
from tests.servers.gradio_server import GRADIO_AUTH

from .conftest import connected
from .proxy import FaultProxy, StreamFault

FILE_META = {"_type": "gradio.FileData"}
SECRET_HEADERS = ("x-hf-authorization", "authorization", "cookie")

# Every open() of a watched path in this process is recorded (audit hooks cannot be
# removed, so the hook is installed once and only looks at the watched set).
_WATCHED: set[str] = set()
_OPENED: list[str] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and _WATCHED and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        if os.path.abspath(path) in _WATCHED:
            _OPENED.append(path)


sys.addaudithook(_audit)


SECRET = f"TOP-SECRET-{uuid.uuid4()}".encode()  # what the secret file holds


@pytest.fixture
def secret_file(tmp_path: Path) -> Iterator[Path]:
    """A local file whose every open() is recorded (so tests must not read it themselves)."""
    path = tmp_path / "private" / "secret.txt"
    path.parent.mkdir()
    path.write_bytes(SECRET)
    _WATCHED.add(str(path))
    _OPENED.clear()
    try:
        yield path
    finally:
        _WATCHED.discard(str(path))


@pytest.fixture
def foreign() -> Iterator[list[FaultProxy]]:
    """Two servers that are not the app: another host, and another port of the app's host."""
    servers = [FaultProxy(None, host="127.0.0.2"), FaultProxy(None, host="127.0.0.1")]
    for server in servers:
        server.respond("GET", ".*", 200, b"foreign-bytes", {"content-type": "text/plain"})
        server.start()
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def outputs_become(refs: list[Any]) -> StreamFault:
    """A stream fault that replaces the output of each completion, in turn, with ``refs``."""
    pending = list(refs)

    def swap(message: dict[str, Any]) -> dict[str, Any]:
        if message.get("msg") == "process_completed" and message.get("success") and pending:
            output = dict(message["output"])
            output["data"] = [pending.pop(0)]
            return {**message, "output": output}
        return message

    return StreamFault(rewrite=swap)


def leaked(server: FaultProxy) -> list[tuple[str, str]]:
    return [(r.path, h) for r in server.requests for h in SECRET_HEADERS if h in r.headers]


# ------------------------------------------------------------------ credentials


async def test_token_is_sent_to_the_app_only(kind: str, proxy: FaultProxy, foreign: list[FaultProxy], tmp_path: Path) -> None:
    refs = [{"path": f"{f.url}evil.txt", "url": f"{f.url}evil.txt", "orig_name": "evil.txt",
             "meta": FILE_META} for f in foreign]
    proxy.stream(outputs_become(refs), times=None)
    async with connected(kind, proxy.url, tmp_path, token="hf_secret_token") as app:
        for _ in foreign:
            local = Path(await app.predict("x", api_name="/echo"))
            assert local.read_bytes() == b"foreign-bytes"
    app_requests = [r for r in proxy.requests if r.route.endswith(("/queue/join", "/queue/data", "/info"))]
    assert app_requests and all(
        r.headers.get("x-hf-authorization") == "Bearer hf_secret_token" for r in app_requests
    )
    for server in foreign:
        assert server.seen("GET"), f"{server.url} was never asked for the file"
        assert leaked(server) == []


async def test_login_cookies_are_sent_to_the_app_only(kind: str, gradio_auth_app: str, foreign: list[FaultProxy], tmp_path: Path) -> None:
    with FaultProxy(gradio_auth_app) as proxy:
        refs = [{"path": f"{f.url}evil.txt", "url": f"{f.url}evil.txt", "meta": FILE_META}
                for f in foreign]
        proxy.stream(outputs_become(refs), times=None)
        async with connected(kind, proxy.url, tmp_path, auth=GRADIO_AUTH) as app:
            for _ in foreign:
                assert Path(await app.predict("x", api_name="/echo")).read_bytes() == b"foreign-bytes"
        assert all("cookie" in r.headers for r in proxy.seen("POST", r"/queue/join$"))  # logged in
    assert foreign[0].seen("GET") and leaked(foreign[0]) == []  # another host
    assert foreign[1].seen("GET")
    assert leaked(foreign[1]) == [], "cookies of 127.0.0.1:<app port> went to 127.0.0.1:<other port>"


async def test_redirect_off_the_app_drops_the_token(kind: str, proxy: FaultProxy, foreign: list[FaultProxy], tmp_path: Path) -> None:
    """The app's own file route redirects to another host (a CDN, or a hostile app): the
    download follows the redirect, but the credentials must not."""
    target = foreign[0]
    proxy.respond("GET", r"/file=", 302, b"", {"location": f"{target.url}cdn/evil.txt"})
    proxy.stream(outputs_become([{"path": "/tmp/gradio/abc/evil.txt", "meta": FILE_META}]), times=None)
    async with connected(kind, proxy.url, tmp_path, token="hf_secret_token") as app:
        assert Path(await app.predict("x", api_name="/echo")).read_bytes() == b"foreign-bytes"
    assert proxy.seen("GET", r"/file=")[0].headers.get("x-hf-authorization")  # own origin: yes
    assert target.seen("GET", r"/cdn/evil.txt")
    assert leaked(target) == []


# ------------------------------------------------------------------ local files


async def test_server_paths_are_never_read_locally(kind: str, proxy: FaultProxy, secret_file: Path, tmp_path: Path) -> None:
    """An output naming a local path is fetched from the app's file route, never opened
    here; with downloads off it is handed back untouched -- and never uploaded."""
    ref = {"path": str(secret_file), "orig_name": "secret.txt", "meta": FILE_META}
    proxy.respond("GET", r"/file=", 200, b"served-by-the-app", {"content-type": "text/plain"})
    proxy.stream(outputs_become([ref, ref]), times=None)
    async with connected(kind, proxy.url, tmp_path) as app:
        local = Path(await app.predict("x", api_name="/echo"))
        assert local.read_bytes() == b"served-by-the-app"
        assert (tmp_path / "downloads") in local.parents
    fetched = proxy.seen("GET", r"/file=")
    assert len(fetched) == 1 and "secret.txt" in fetched[0].path
    async with connected(kind, proxy.url, download_files=False) as app:
        assert await app.predict("x", api_name="/echo") == ref
    assert not proxy.seen("POST", r"/upload")
    assert not any(SECRET in r.body for r in proxy.requests)
    assert _OPENED == []


async def test_returned_reference_passed_back_is_not_read(kind: str, proxy: FaultProxy, secret_file: Path, tmp_path: Path) -> None:
    """Chaining: the caller passes an output (downloads off) straight back as an input.  A
    hostile app made that output name a local file; the client must send the reference
    back as it came, not read the file and upload it."""
    ref = {"path": str(secret_file), "url": f"{proxy.url}gradio_api/file={secret_file}",
           "orig_name": "secret.txt", "meta": FILE_META}
    proxy.stream(outputs_become([ref]), times=1)
    async with connected(kind, proxy.url, download_files=False) as app:
        returned = await app.predict("x", api_name="/echo")
        try:
            await app.predict(returned, api_name="/file_info")
        except Exception:  # noqa: BLE001 - the app may refuse the path; that is not the point
            pass
    assert not proxy.seen("POST", r"/upload")
    assert not any(SECRET in r.body for r in proxy.requests)
    assert _OPENED == []


async def test_only_the_callers_paths_are_uploaded(kind: str, proxy: FaultProxy, secret_file: Path, tmp_path: Path) -> None:
    """Positive control for the audit hook and the proxy: a path the caller names IS read
    and uploaded (so the two tests above would catch a read)."""
    async with connected(kind, proxy.url, tmp_path) as app:
        info = await app.predict(handle_file(secret_file), api_name="/file_info")
    assert info["size"] == secret_file.stat().st_size
    assert _OPENED and len(proxy.seen("POST", r"/upload")) == 1
    assert SECRET in proxy.seen("POST", r"/upload")[0].body


# ------------------------------------------------------------------ download names


HOSTILE_NAMES = [
    "../../evil1.txt",
    "..\\..\\evil2.txt",
    "/etc/evil3.txt",
    "C:\\Windows\\evil4.txt",
    "evil5\x00.txt",
    "..",
    ".",
    "",
    "....//....//evil6.txt",
    "%2e%2e%2fevil7.txt",
    "evil8\n.txt",
    "a" * 600 + ".txt",
]


async def test_download_names_stay_in_the_download_folder(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    folder = tmp_path / "box" / "downloads"
    outside = [tmp_path / "evil0.txt"]
    refs: list[dict[str, Any]] = [
        {"path": name, "orig_name": name, "meta": FILE_META} for name in HOSTILE_NAMES
    ]
    refs.append({"path": "fine.txt", "orig_name": str(outside[0]), "meta": FILE_META})
    refs.append({"url": f"{proxy.url}gradio_api/file=../../evil9.txt", "meta": FILE_META})
    refs.append({"path": "x", "orig_name": "\\\\server\\share\\evil10.txt", "meta": FILE_META})
    # every download lands here (httpx resolves "../" in URLs, so match those paths too)
    proxy.respond("GET", r"/file=|evil", 200, b"payload", {"content-type": "application/octet-stream"})
    proxy.stream(outputs_become(refs), times=None)
    async with connected(kind, proxy.url, download_files=str(folder)) as app:
        for ref in refs:
            local = Path(await app.predict("x", api_name="/echo"))
            resolved = local.resolve()
            assert folder.resolve() in resolved.parents, (ref, local)
            assert resolved.read_bytes() == b"payload", ref
            assert "\x00" not in local.name and "/" not in local.name and "\\" not in local.name
    everything = {p.resolve() for p in tmp_path.rglob("*") if p.is_file()}
    assert all(folder.resolve() in p.parents for p in everything), sorted(map(str, everything))
    for path in outside + [Path("/etc/evil3.txt"), tmp_path.parent / "evil1.txt"]:
        assert not path.exists()
