"""Real nginx, haproxy and squid for the deployment tests, run in the foreground.

Each daemon gets a tmp dir holding its config, pid file and logs, listens on a free
127.0.0.1 port and is killed (by its own process id) when the test is done with it.  No system
service is touched.  The Debian packages are installed by ``python3 tools/run.py test``;
``missing(name)`` says why a test must skip when a binary is not there.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers.gradio_server import free_port

BINARIES = {"nginx": "/usr/sbin/nginx", "haproxy": "/usr/sbin/haproxy", "squid": "/usr/sbin/squid"}
START_TIMEOUT = 20.0
_running: list[Daemon] = []


def binary(name: str) -> str | None:
    found = shutil.which(name) or (BINARIES[name] if os.path.exists(BINARIES[name]) else None)
    return found


def missing(name: str) -> str | None:
    """Why ``name`` cannot run here (a skip reason), or None when it can."""
    if binary(name) is not None:
        return None
    how = ("`python3 tools/run.py test` installs it as root with apt-get"
           if shutil.which("apt-get") else "this machine has no apt-get to install it")
    return f"{name} is not installed ({how}: apt-get install -y nginx haproxy squid)"


@dataclass
class Daemon:
    name: str
    port: int
    dir: Path
    process: subprocess.Popen[bytes]
    log: Path
    _stopped: bool = field(default=False, repr=False)

    def log_tail(self, chars: int = 3000) -> str:
        out = []
        for path in sorted(self.dir.glob("*.log")):
            try:
                out.append(f"--- {path.name}\n{path.read_text(errors='replace')[-chars:]}")
            except OSError:
                pass
        return "\n".join(out)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self in _running:
            _running.remove(self)
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)


def _wait_port(daemon: Daemon, port: int, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if daemon.process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    tail = daemon.log_tail()
    daemon.stop()
    raise RuntimeError(f"{daemon.name} did not listen on 127.0.0.1:{port}\n{tail}")


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies, even by SIGKILL (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _spawn(name: str, args: list[str], workdir: Path, port: int) -> Daemon:
    log = workdir / "stdout.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, cwd=workdir, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    daemon = Daemon(name, port, workdir, proc, log)
    _running.append(daemon)
    _wait_port(daemon, port)
    return daemon


@atexit.register
def _stop_all() -> None:
    for daemon in list(_running):
        daemon.stop()


# ----------------------------------------------------------------------------- nginx

def nginx_conf(workdir: Path, port: int, server_body: str, tls: tuple[Path, Path] | None = None) -> str:
    """A whole nginx.conf around one ``server`` whose locations are ``server_body``."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read/write the tmp dir
    listen = f"listen 127.0.0.1:{port}{' ssl' if tls else ''};"
    if tls:
        listen += f"\n        ssl_certificate {tls[0]};\n        ssl_certificate_key {tls[1]};"
    temps = "\n".join(f"    {kind}_temp_path {workdir}/{kind};"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}daemon off;
master_process on;
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log info;
events {{ worker_connections 512; }}
http {{
    access_log {workdir}/access.log;
{temps}
    server {{
        {listen}
        server_name localhost;
{server_body}
    }}
}}
"""


def start_nginx(server_body: str, tls: tuple[Path, Path] | None = None) -> Daemon:
    """nginx in the foreground with ``server_body`` (location blocks) on a free port."""
    exe = binary("nginx")
    assert exe is not None, missing("nginx")
    workdir = Path(tempfile.mkdtemp(prefix="gcx-nginx-"))
    os.chmod(workdir, 0o755)
    port = free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(nginx_conf(workdir, port, server_body, tls))
    return _spawn("nginx", [exe, "-e", str(workdir / "error.log"), "-p", str(workdir), "-c", str(conf)],
                  workdir, port)


# ---------------------------------------------------------------------------- haproxy

def start_haproxy(backend_body: str, servers: list[int], uploads_to: int | None = None) -> Daemon:
    """haproxy in the foreground (-db) balancing over 127.0.0.1:``servers``; ``backend_body``
    holds the balance/cookie lines (a server gets ``cookie rN`` when there is a cookie line).
    ``uploads_to``: send every ``.../upload`` request to that port instead."""
    exe = binary("haproxy")
    assert exe is not None, missing("haproxy")
    workdir = Path(tempfile.mkdtemp(prefix="gcx-haproxy-"))
    port = free_port()
    lines = "\n".join(
        f"    server r{i} 127.0.0.1:{p}" + (f" cookie r{i}" if "cookie " in backend_body else "")
        for i, p in enumerate(servers, 1))
    uploads = upload_backend = ""
    if uploads_to is not None:
        uploads = "    acl upload path_end /upload\n    use_backend uploads if upload\n"
        upload_backend = f"backend uploads\n    server u1 127.0.0.1:{uploads_to}\n"
    conf = workdir / "haproxy.cfg"
    conf.write_text(f"""global
    pidfile {workdir}/haproxy.pid
    log stdout format raw local0 info
defaults
    mode http
    log global
    option httplog
    timeout connect 5s
    timeout client 1h
    timeout server 1h
frontend web
    bind 127.0.0.1:{port}
{uploads}    default_backend gradio
backend gradio
{backend_body}
{lines}
{upload_backend}""")
    return _spawn("haproxy", [exe, "-db", "-f", str(conf)], workdir, port)


# ------------------------------------------------------------------------------ squid

def start_squid() -> Daemon:
    """A forward proxy on 127.0.0.1 that allows only loopback clients and loopback targets."""
    exe = binary("squid")
    assert exe is not None, missing("squid")
    workdir = Path(tempfile.mkdtemp(prefix="gcx-squid-"))
    os.chmod(workdir, 0o777)  # squid drops privileges to its effective user
    port = free_port()
    conf = workdir / "squid.conf"
    user = "cache_effective_user proxy\n" if os.geteuid() == 0 else ""
    conf.write_text(f"""http_port 127.0.0.1:{port}
{user}pid_filename {workdir}/squid.pid
access_log stdio:{workdir}/access.log
cache_log {workdir}/cache.log
cache_store_log none
cache deny all
coredump_dir {workdir}
netdb_filename none
dns_nameservers 127.0.0.1
hosts_file /etc/hosts
acl loopback src 127.0.0.1/32
acl loopdst dst 127.0.0.1/32
acl SSL_ports port 1-65535
acl CONNECT method CONNECT
http_access deny !loopback
http_access deny !loopdst
http_access allow loopback
http_access deny all
shutdown_lifetime 0 seconds
""")
    for name in ("access.log", "cache.log"):
        (workdir / name).touch()
        os.chmod(workdir / name, 0o666)
    return _spawn("squid", [exe, "-N", "-f", str(conf)], workdir, port)


# ------------------------------------------------------------------------- certificate

def self_signed(workdir: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, made now with the openssl CLI."""
    cert, key = workdir / "cert.pem", workdir / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    os.chmod(key, 0o644)
    return cert, key
