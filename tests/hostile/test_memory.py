"""Peak memory with the DEFAULT caps, measured in a child process (issue 12, item 4).

The hostile server runs here; the client runs in a fresh interpreter that reports its own
peak RSS (``VmHWM``, reset at its start) before and after the session.  A 1 GiB gzip bomb as ``/config``
(1 MB on the wire) must stop at ``max_response_size`` (64 MiB); a 2 GiB bomb as a download
must stop at ``max_download_size`` (1 GiB) without holding it in memory, and leave nothing
on disk.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gradio_client.protocol.connect import DEFAULT_LIMITS

from .server import Attacker, Fault, HostileServer, gzip_bomb

MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]
OVERHEAD = 64 * MiB  # interpreter, httpx, trio, threads: measured ~45 MiB for a plain session

CHILD = r"""
import json, sys
kind, url, folder = sys.argv[1:4]
import gradio_client, trio
from gradio_client import Client
from gradio_client.aio import AsyncClient
def rss():  # the high-water mark (getrusage's ru_maxrss keeps the parent's across exec)
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) * 1024
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")
base = rss()
out = {"base": base}
try:
    if kind == "sync":
        client = Client(url, verbose=False, download_files=folder)
        try:
            client.predict(None, None, api_name="/files")
        finally:
            client.close()
    else:
        async def main():
            async with AsyncClient(url, verbose=False, download_files=folder) as client:
                await client.predict(None, None, api_name="/files")
        trio.run(main)
    out["error"] = None
except Exception as exc:
    out.update(error=type(exc).__name__, option=getattr(exc, "option", None), size=getattr(exc, "size", None), message=str(exc))
out["peak"] = rss()
print(json.dumps(out))
"""


def _child(kind: str, url: str, folder: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind, url, str(folder)],
        capture_output=True, text=True, timeout=300, env=env, cwd=str(ROOT),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def servers():
    gzip_bomb(1024 * MiB)
    gzip_bomb(2048 * MiB)
    with HostileServer() as app, Attacker() as evil:
        yield app, evil


@pytest.mark.parametrize("kind", ["sync", "trio"])
def test_config_bomb_with_default_caps(kind: str, servers, tmp_path: Path) -> None:
    app, _ = servers
    app.reset([Fault("config", "bomb", size=1024 * MiB)])
    result = _child(kind, app.url, tmp_path)
    cap = DEFAULT_LIMITS.max_response_size
    assert result["error"] == "ResponseTooLargeError" and result["option"] == "max_response_size", result
    assert result["size"] <= cap + 64 * 1024
    grown = result["peak"] - result["base"]
    print(f"{kind} config bomb 1 GiB: peak RSS {result['peak'] / MiB:.0f} MiB (+{grown / MiB:.0f} MiB over the imports)")
    assert grown <= 2 * cap + OVERHEAD, grown / MiB


@pytest.mark.parametrize("kind", ["sync", "trio"])
def test_download_bomb_with_default_caps(kind: str, servers, tmp_path: Path) -> None:
    app, _ = servers
    app.reset([Fault("download", "bomb", size=2048 * MiB)])
    result = _child(kind, app.url, tmp_path)
    cap = DEFAULT_LIMITS.max_download_size
    assert result["error"] == "ResponseTooLargeError" and result["option"] == "max_download_size", result
    assert result["size"] <= cap + 64 * 1024  # written to disk: at most the cap
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # and removed again
    grown = result["peak"] - result["base"]
    print(f"{kind} download bomb 2 GiB: peak RSS {result['peak'] / MiB:.0f} MiB (+{grown / MiB:.0f} MiB)")
    assert grown <= OVERHEAD, grown / MiB
