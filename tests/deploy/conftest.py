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
def second_replica() -> Iterator[RunningApp]:
    """A second server of the same app: ``gradio_server`` and this one are the replicas."""
    app = _start()
    yield app
    app.stop()


@pytest.fixture(scope="session")
def rooted_server() -> Iterator[RunningApp]:
    """The app launched with ``root_path="/rooted"`` (GRADIO_ROOT_PATH), as Gradio's nginx
    guide recommends for a sub-path."""
    app = _start(env={"GRADIO_ROOT_PATH": ROOT_PATH})
    yield app
    app.stop()


@pytest.fixture(scope="session")
def mounted_server() -> Iterator[RunningApp]:
    """A FastAPI app with the kitchen sink mounted at /gradio (``gr.mount_gradio_app``)."""
    app = _start(app="../../tests/deploy/mounted_app")
    yield app
    app.stop()


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
