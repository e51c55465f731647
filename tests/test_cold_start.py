"""A sync program's cold start loads neither trio nor anyio, and both still work when used.

Each check runs in a fresh interpreter (what is imported depends on what the process did
before) against the real test app.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASYNC_LIBS = ("trio", "anyio", "sniffio", "outcome", "attr", "sortedcontainers")


def _python(code: str, *args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=str(ROOT))
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_a_sync_call_imports_no_async_library(gradio_app: str) -> None:
    code = f"""
import sys, json
from gradio_client import Client
with Client(sys.argv[1], verbose=False) as client:
    out = client.predict("hi", api_name="/echo")
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set({ASYNC_LIBS!r}))
print(json.dumps([out, loaded]))
"""
    assert json.loads(_python(code, gradio_app)) == ["hi", []]


def test_trio_and_asyncio_work_after_a_sync_start(gradio_app: str) -> None:
    """httpcore was imported without trio and anyio: its locks still come from the one trio
    and anyio of the process, under the async client and under plain httpx."""
    code = """
import sys, json, asyncio
import httpx
from gradio_client import AsyncClient, Client
url = sys.argv[1]
with Client(url, verbose=False) as client:
    outs = [client.predict("sync", api_name="/echo")]
import trio, anyio
import httpcore._synchronization as sync

async def main(tag):
    async with AsyncClient(url, verbose=False) as client:
        outs.append(await client.predict(tag, api_name="/echo"))
    async with httpx.AsyncClient() as http:
        outs.append((await http.get(url + "config")).status_code)

trio.run(main, "trio")
asyncio.run(main("asyncio"))
print(json.dumps([outs, sync.trio.Lock is trio.Lock, sync.anyio.Lock is anyio.Lock]))
"""
    outs, same_trio, same_anyio = json.loads(_python(code, gradio_app))
    assert outs == ["sync", "trio", 200, "asyncio", 200]
    assert same_trio and same_anyio


def test_an_async_library_imported_first_is_used_as_it_is() -> None:
    """``import gradio_client`` loads no httpcore at all; building a client's httpx
    arguments imports it with the real trio (already imported) and anyio deferred."""
    code = """
import json, sys, trio
import gradio_client
before = "httpcore" in sys.modules
from gradio_client.shells._guard import CredentialGuard
from gradio_client.shells._http import http_kwargs
http_kwargs(None, True, CredentialGuard("http://127.0.0.1:1", None, "http://127.0.0.1:2"), asynchronous=False)
import httpcore._synchronization as sync
print(json.dumps([before, sync.trio is trio, type(sync.anyio).__name__]))
"""
    assert json.loads(_python(code)) == [False, True, "_Deferred"]
