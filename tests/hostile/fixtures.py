"""Fixtures for tests outside tests/hostile that need only the configurable app server
(no attacker): ``server`` (one per module) and ``app`` (reset for each test).  Import both
names into the test module: ``from .hostile.fixtures import app, server``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import HostileServer


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    with HostileServer() as app:
        yield app


@pytest.fixture
def app(server: HostileServer) -> HostileServer:
    server.reset()
    return server
