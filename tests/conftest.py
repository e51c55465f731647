"""Shared fixtures: real Gradio servers (in their own virtualenvs) and a Hugging Face Hub stand-in.

    gradio_app         url of the kitchen-sink app (examples/apps/kitchen_sink.py) on gradio 6.31.0,
                       one server for the whole run, e.g. "http://127.0.0.1:PORT/"
    gradio_server      the same server as a RunningApp (url, port, process, log_tail(), ...)
    gradio_auth_app    url of the same app started with --auth user:pw (started only if used);
                       the credentials are GRADIO_AUTH = ("user", "pw")
    hub                a FakeHub (tests/servers/hub.py) running on 127.0.0.1, with HF_ENDPOINT
                       pointing at it and no HF token visible to the test

Run through ``python3 tools/run.py test``: it builds the virtualenvs and sets GCX_GRADIO_PYTHON.

Tests reach nothing but loopback: a guard installed for the whole session makes name lookups of
non-local hosts fail (socket.gaierror) and refuses connections to non-loopback addresses.  Set
GCX_ALLOW_NETWORK=1 to lift it for manual experiments.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from tests.servers.gradio_server import (  # noqa: E402
    DEFAULT_VERSION,
    GRADIO_AUTH,
    GradioEnvMissing,
    RunningApp,
    start_app,
)
from tests.servers.hub import FakeHub  # noqa: E402
from tests.servers.netguard import loopback_only  # noqa: E402

# `tests` is a namespace package here; make sure no installed package of that name shadowed it
assert Path(start_app.__code__.co_filename).resolve().is_relative_to(_ROOT), start_app.__code__.co_filename


# ----------------------------------------------------------------------- gradio servers
def _start(**kwargs: Any) -> RunningApp:
    try:
        return start_app(DEFAULT_VERSION, **kwargs)
    except GradioEnvMissing as exc:
        pytest.fail(f"{exc}\n(run the tests with `python3 tools/run.py test`, which creates it)",
                    pytrace=False)
    except RuntimeError as exc:
        pytest.fail(f"could not start the example gradio app:\n{exc}", pytrace=False)


@pytest.fixture(scope="session")
def gradio_server() -> Iterator[RunningApp]:
    app = _start()
    yield app
    app.stop()


@pytest.fixture(scope="session")
def gradio_app(gradio_server: RunningApp) -> str:
    return gradio_server.url


@pytest.fixture(scope="session")
def gradio_auth_server() -> Iterator[RunningApp]:
    app = _start(auth=GRADIO_AUTH)
    yield app
    app.stop()


@pytest.fixture(scope="session")
def gradio_auth_app(gradio_auth_server: RunningApp) -> str:
    return gradio_auth_server.url


# ------------------------------------------------------------------------------- hub
@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    fake = FakeHub().start()
    monkeypatch.setenv("HF_ENDPOINT", fake.url)
    # no real token may leak into a test (env or the saved ~/.cache/huggingface/token)
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    try:
        yield fake
    finally:
        fake.stop()


# ---------------------------------------------------------------------- network guard
@pytest.fixture(scope="session", autouse=True)
def _loopback_only() -> Iterator[None]:
    """Tests reach nothing but loopback (tests/servers/netguard.py); GCX_ALLOW_NETWORK=1 lifts it."""
    if os.environ.get("GCX_ALLOW_NETWORK") == "1":
        yield
        return
    with loopback_only():
        yield
