"""Deployments: real nginx, haproxy and squid in front of real gradio 6.31 apps.

Servers are shared: the gradio apps for the whole run (replicas are the slow part), each
proxy daemon for its module.  Every daemon listens on a free 127.0.0.1 port, runs in the
foreground with its config, pid and logs in a tmp dir, and is killed when done.  A missing
binary skips the tests that need it with the reason (``tools/run.py test`` installs the
Debian packages as root when apt-get is there).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _start
from tests.servers.gradio_server import RunningApp

from . import daemons

ROOT_PATH = "/rooted"  # the sub-path nginx serves the root_path app under


def need(name: str) -> None:
    reason = daemons.missing(name)
    if reason:
        pytest.skip(reason)


# ------------------------------------------------------------------------ gradio apps


@pytest.fixture(scope="session")
def deploy_apps() -> Iterator[dict[str, RunningApp]]:
    """The extra gradio servers of this layer, started together (startup is the slow part):

    replica   a second server of the kitchen sink: ``gradio_server`` and this one are the
              two replicas behind haproxy
    rooted    the app launched with ``root_path="/rooted"`` (GRADIO_ROOT_PATH), as Gradio's
              nginx guide recommends for a sub-path
    mounted   a FastAPI app with the kitchen sink mounted at /gradio (``gr.mount_gradio_app``)
    """
    kinds = {"replica": {}, "rooted": {"env": {"GRADIO_ROOT_PATH": ROOT_PATH}},
             "mounted": {"app": "../../tests/deploy/mounted_app"}}
    started: dict[str, RunningApp] = {}
    failures: list[str] = []

    def start(name: str) -> None:
        try:
            started[name] = _start(**kinds[name])
        except BaseException as exc:  # pytest.fail raises an OutcomeException
            failures.append(f"{name}: {exc}")

    threads = [threading.Thread(target=start, args=(name,)) for name in kinds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        if failures:
            pytest.fail("\n".join(failures), pytrace=False)
        yield started
    finally:
        for app in started.values():
            app.stop()


@pytest.fixture(scope="session")
def second_replica(deploy_apps: dict[str, RunningApp]) -> RunningApp:
    return deploy_apps["replica"]


@pytest.fixture(scope="session")
def rooted_server(deploy_apps: dict[str, RunningApp]) -> RunningApp:
    return deploy_apps["rooted"]


@pytest.fixture(scope="session")
def mounted_server(deploy_apps: dict[str, RunningApp]) -> RunningApp:
    return deploy_apps["mounted"]


# --------------------------------------------------------------------------- daemons


def recommended(upstream: int, extra: str = "") -> str:
    """The location settings of Gradio's guide "Running a Gradio App on your Web Server
    with Nginx" (plus ``extra`` lines)."""
    return f"""proxy_pass http://127.0.0.1:{upstream}/;
            proxy_buffering off;
            proxy_redirect off;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Forwarded-Proto $scheme;{extra}"""


@pytest.fixture(scope="module")
def nginx(gradio_server: RunningApp, rooted_server: RunningApp,
          mounted_server: RunningApp) -> Iterator[daemons.Daemon]:
    """One nginx, one location per setup:

    /plain/     Gradio's recommended settings, the app has no root_path
    /rooted/    the same, in front of the app launched with root_path="/rooted"
    /defaults/  nginx's defaults: proxy_pass only (HTTP/1.0 upstream, buffering on)
    /short/     recommended + proxy_read_timeout 5s (shorter than the 15 s heartbeat)
    /mounted/   recommended, in front of FastAPI + gr.mount_gradio_app at /gradio
    """
    need("nginx")
    body = f"""
        client_max_body_size 100m;
        location /plain/ {{
            {recommended(gradio_server.port)}
        }}
        location {ROOT_PATH}/ {{
            {recommended(rooted_server.port)}
        }}
        location /defaults/ {{
            proxy_pass http://127.0.0.1:{gradio_server.port}/;
        }}
        location /short/ {{
            {recommended(gradio_server.port, chr(10) + "            proxy_read_timeout 5s;")}
        }}
        location /mounted/ {{
            {recommended(mounted_server.port)}
        }}"""
    daemon = daemons.start_nginx(body)
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def certificate() -> Iterator[tuple[Path, Path]]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed (needed for a self-signed certificate)")
    workdir = Path(tempfile.mkdtemp(prefix="gcx-tls-"))
    os.chmod(workdir, 0o755)
    yield daemons.self_signed(workdir)
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def nginx_tls(gradio_server: RunningApp, certificate: tuple[Path, Path]) -> Iterator[daemons.Daemon]:
    """nginx terminating TLS with a self-signed certificate made for this run."""
    need("nginx")
    body = f"""
        location / {{
            {recommended(gradio_server.port)}
        }}"""
    daemon = daemons.start_nginx(body, tls=certificate)
    yield daemon
    daemon.stop()


ROUND_ROBIN = "    balance roundrobin"
STICKY = "    balance roundrobin\n    cookie GCXSERVER insert indirect nocache httponly"


@pytest.fixture(scope="module")
def round_robin(gradio_server: RunningApp, second_replica: RunningApp) -> Iterator[daemons.Daemon]:
    """haproxy over two replicas, round-robin, no session affinity."""
    need("haproxy")
    daemon = daemons.start_haproxy(ROUND_ROBIN, [gradio_server.port, second_replica.port])
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def split_uploads(gradio_server: RunningApp, second_replica: RunningApp) -> Iterator[daemons.Daemon]:
    """haproxy sending uploads to one replica and everything else to the other (uploads
    routed apart from the queue, the file-call case of no session affinity made certain)."""
    need("haproxy")
    daemon = daemons.start_haproxy(ROUND_ROBIN, [gradio_server.port],
                                   uploads_to=second_replica.port)
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def sticky(gradio_server: RunningApp, second_replica: RunningApp) -> Iterator[daemons.Daemon]:
    """haproxy over two replicas with cookie stickiness (the client keeps the cookie)."""
    need("haproxy")
    daemon = daemons.start_haproxy(STICKY, [gradio_server.port, second_replica.port])
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def squid() -> Iterator[daemons.Daemon]:
    """A forward proxy (squid) that serves loopback clients and loopback targets only."""
    need("squid")
    daemon = daemons.start_squid()
    yield daemon
    daemon.stop()
