"""Capture /config and /info of capture_app.py from real Gradio servers.

Standard library only; run it with any python3.  For each version it starts
``capture_app.py`` in ``~/.cache/gcx/gradio-<version>`` on a free 127.0.0.1 port (proxies
pointed at a closed port, analytics off), saves into ``gradio-<version>/``:

* ``config.json``               GET /config
* ``info.json``                 GET {api_prefix}/info
* ``info_all_endpoints.json``   GET {api_prefix}/info?all_endpoints=True
* ``outputs.json``              the wire output ``data`` of /files and /as_json, by
                                POST {api_prefix}/run/<name> (or /api/<name>)

and stops the server.  Usage: python3 capture.py 4.44.1 5.50.0 ...
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("GCX_CACHE") or Path.home() / ".cache" / "gcx")
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415478da63f8cfc000000301010018dd8db00000000049454e44ae426082"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310 - loopback only
        return bytes(r.read())


def post(url: str, body: bytes, content_type: str) -> bytes:
    req = urllib.request.Request(url, data=body, headers={"content-type": content_type})
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - loopback only
        return bytes(r.read())


def upload(base: str, name: str, content: bytes) -> str:
    boundary = "capture-boundary"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
        f"Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return json.loads(post(f"{base}/upload", body, f"multipart/form-data; boundary={boundary}"))[0]


def call(base: str, api_name: str, data: list) -> object:
    body = json.dumps({"data": data, "session_hash": "capture"}).encode()
    errors = []
    for route in ("run", "api"):
        try:
            return json.loads(post(f"{base}/{route}/{api_name}", body, "application/json"))["data"]
        except (urllib.error.HTTPError, KeyError) as exc:
            errors.append(f"{route}: {exc}")
    return {"capture_failed": errors}


def capture(version: str) -> None:
    python = CACHE / f"gradio-{version}" / "bin" / "python"
    target = HERE / f"gradio-{version}"
    target.mkdir(exist_ok=True)
    port = free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HTTP_PROXY="http://127.0.0.1:9",
               HTTPS_PROXY="http://127.0.0.1:9", NO_PROXY="127.0.0.1,localhost",
               no_proxy="127.0.0.1,localhost")
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([str(python), str(HERE / "capture_app.py"), str(port)],
                            cwd=tempfile.gettempdir(), env=env, stdout=log, stderr=log)
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                config = get(f"{root}/config")
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise SystemExit(f"gradio {version} did not start:\n{log.read().decode()[-3000:]}")
                time.sleep(0.5)
        prefix = json.loads(config).get("api_prefix", "") or ""
        base = root + prefix
        (target / "config.json").write_bytes(config)
        (target / "info.json").write_bytes(get(f"{base}/info"))
        (target / "info_all_endpoints.json").write_bytes(get(f"{base}/info?all_endpoints=True"))
        protocol = json.loads(config).get("protocol")
        if protocol is None:  # 3.x: files travel as base64 or {name, data, is_file}
            file_arg: object = {"name": "hello.txt", "data": "data:text/plain;base64,aGVsbG8=", "is_file": False}
            img_arg: object = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mP4z8AAAAMBAQAY3Y2wAAAAAElFTkSuQmCC"
        else:
            file_arg = {"path": upload(base, "hello.txt", b"hello"), "orig_name": "hello.txt",
                        "meta": {"_type": "gradio.FileData"}}
            img_arg = {"path": upload(base, "dot.png", PNG), "orig_name": "dot.png",
                       "meta": {"_type": "gradio.FileData"}}
        outputs = {
            "files": call(base, "files", [file_arg, img_arg]),
            "as_json": call(base, "as_json", ["v"]),
        }
        (target / "outputs.json").write_text(json.dumps(outputs, indent=1) + "\n")
        print(f"captured gradio {version} ({protocol or 'ws'}) into {target}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    for v in sys.argv[1:]:
        capture(v)
