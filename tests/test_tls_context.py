"""The clients' verifying TLS context reads its CAs at the first handshake, and verifies as
httpx's own context does: same settings, same CAs, same accepted and rejected servers, sync,
asyncio and trio. A real HTTPS server on 127.0.0.1 with a certificate made by ``openssl``."""

from __future__ import annotations

import asyncio
import http.server
import os
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import trio

from gradio_client._tls import verifying_context

ROOT = Path(__file__).resolve().parent.parent


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(url, path of the self-signed certificate that verifies it)."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-keyout", str(key), "-out", str(cert), "-days", "2", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}/", str(cert)
    server.shutdown()
    server.server_close()


def _get_three_ways(url: str, make: Callable[[], ssl.SSLContext]) -> list[str]:
    """GET url with a fresh context from ``make()`` sync, under asyncio and under trio: the
    body, or the name of the error."""
    results = []

    def sync() -> str:
        with httpx.Client(verify=make()) as client:
            return client.get(url).text

    async def asynchronous() -> str:
        async with httpx.AsyncClient(verify=make()) as client:
            return (await client.get(url)).text

    for run in (sync, lambda: asyncio.run(asynchronous()), lambda: trio.run(asynchronous)):
        try:
            results.append(run())
        except httpx.ConnectError as exc:  # verification failed
            results.append(type(exc).__name__)
    return results


@pytest.mark.parametrize("trusted", [True, False])
def test_it_accepts_and_rejects_what_httpx_does(
    https_server: tuple[str, str], trusted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, cert = https_server
    if trusted:
        monkeypatch.setenv("SSL_CERT_FILE", cert)
    else:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    ours = _get_three_ways(url, verifying_context)
    theirs = _get_three_ways(url, lambda: httpx.create_ssl_context(verify=True))
    assert ours == theirs
    assert ours == (["ok"] * 3 if trusted else ["ConnectError"] * 3)


def test_the_host_name_is_checked(https_server: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    url, cert = https_server
    monkeypatch.setenv("SSL_CERT_FILE", cert)
    with httpx.Client(verify=verifying_context()) as client, pytest.raises(httpx.ConnectError):
        client.get(url.replace("127.0.0.1", "localhost"))  # the certificate names 127.0.0.1 only


def test_same_settings_and_certificates_as_httpx() -> None:
    ours, theirs = verifying_context(), httpx.create_ssl_context(verify=True)
    fields = ("verify_mode", "check_hostname", "verify_flags", "options", "minimum_version",
              "maximum_version", "protocol")
    assert {f: getattr(ours, f) for f in fields} == {f: getattr(theirs, f) for f in fields}
    assert ours.get_ca_certs(binary_form=True) == theirs.get_ca_certs(binary_form=True) != []


def test_an_http_app_never_reads_the_ca_bundle(gradio_app: str) -> None:
    code = """
import sys
from gradio_client import Client
from gradio_client.shells._http import ssl_context
with Client(sys.argv[1], verbose=False) as client:
    out = client.predict("hi", api_name="/echo")
print(out, ssl_context(True)._ca_source is not None)
"""
    done = subprocess.run([sys.executable, "-c", code, gradio_app], capture_output=True, text=True,
                          timeout=120, cwd=str(ROOT), env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["hi", "True"]
