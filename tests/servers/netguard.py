"""Keep a test process on loopback: name lookups of non-local hosts fail with ``socket.gaierror``
(as on an offline machine) and connections to addresses outside 127.0.0.0/8 and ::1 are refused,
before any packet leaves.  Covers everything built on the ``socket`` module (httpx, trio, asyncio,
urllib).  Installed for the whole test session by tests/conftest.py.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class NetworkBlocked(socket.gaierror):
    """A test tried to resolve a host that is not local."""


class NonLoopbackConnection(ConnectionRefusedError):
    """A test tried to connect to an address outside 127.0.0.0/8 and ::1."""


def is_local_host(host: Any) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost") or host == "":
        return True
    try:
        addr = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return addr.is_loopback or addr.is_unspecified


def check_address(family: int, address: Any) -> None:
    if family not in (socket.AF_INET, socket.AF_INET6):
        return  # unix sockets etc.
    host = address[0] if isinstance(address, tuple) else address
    if not is_local_host(host):
        raise NonLoopbackConnection(
            f"test tried to connect to {address!r}: tests may only reach 127.0.0.1 / ::1")


@contextmanager
def loopback_only() -> Iterator[None]:
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_local_host(host):
            raise NetworkBlocked(socket.EAI_NONAME,
                                 f"name lookup of {host!r} blocked: tests may only reach 127.0.0.1")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        check_address(self.family, address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check_address(self.family, address)
        return real_connect_ex(self, address)

    patches = {(socket, "getaddrinfo"): getaddrinfo, (socket.socket, "connect"): connect,
               (socket.socket, "connect_ex"): connect_ex}
    originals = {key: getattr(*key) for key in patches}
    for (owner, name), replacement in patches.items():
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        for (owner, name), original in originals.items():
            setattr(owner, name, original)
