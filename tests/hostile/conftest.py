"""Fixtures of the hostile-server tests: one app and one attacker per module, reset for
each test; the client kinds "sync" (``Client``) and "trio" (``AsyncClient``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import Attacker, HostileServer, gzip_bomb

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[HostileServer, Attacker]]:
    gzip_bomb(256 * MiB)  # made once (cached on disk), not while a client waits
    with HostileServer() as app, Attacker() as evil:
        yield app, evil


@pytest.fixture
def app(servers: tuple[HostileServer, Attacker]) -> HostileServer:
    servers[0].reset(auth=False)
    servers[1].clear()
    return servers[0]


@pytest.fixture
def evil(servers: tuple[HostileServer, Attacker], app: HostileServer) -> Attacker:
    return servers[1]


@pytest.fixture(params=["sync", "trio"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)
