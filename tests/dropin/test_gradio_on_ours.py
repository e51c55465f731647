"""gradio 6.31 running on THIS package in place of the official client (the drop-in env).

* (``import gradio`` works and imports this checkout: test_documentation_diff.py)
* the kitchen-sink app and a ChatInterface app serve the same ``/config``, ``/info`` (both
  forms) and ``/openapi.json`` as the same apps on the official client, byte for byte after
  normalising what differs between any two processes (``conftest.normalise``); ``/info`` holds the
  API page's code snippets, which gradio makes with ``gradio_client.snippet``;
* the contract suite (tests/contract) passes with the client and the app both in the drop-in env.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dropin.conftest import env_without_checkout, fetch, normalise
from tests.servers.gradio_server import RunningApp

ROOT = Path(__file__).resolve().parent.parent.parent
DOCUMENTS = ["config", "gradio_api/info", "gradio_api/info?all_endpoints=true", "gradio_api/openapi.json"]


@pytest.mark.parametrize("name", ["kitchen_sink", "chat"])
@pytest.mark.parametrize("path", DOCUMENTS)
def test_documents_equal_the_official(app_pairs: dict[str, tuple[RunningApp, RunningApp]],
                                      name: str, path: str) -> None:
    official, ours = app_pairs[name]
    theirs = normalise(fetch(official, path), official)
    mine = normalise(fetch(ours, path), ours)
    if theirs != mine:
        at = next((i for i, (a, b) in enumerate(zip(theirs, mine)) if a != b), min(len(theirs), len(mine)))
        pytest.fail(f"{name} {path} differs at byte {at}:\n official: {theirs[max(0, at - 200):at + 200]!r}"
                    f"\n ours:     {mine[max(0, at - 200):at + 200]!r}")
    assert hashlib.sha256(theirs).hexdigest() == hashlib.sha256(mine).hexdigest()


def test_info_has_code_snippets(app_pairs: dict[str, tuple[RunningApp, RunningApp]]) -> None:
    import json

    for name in ("kitchen_sink", "chat"):
        info = json.loads(fetch(app_pairs[name][1], "gradio_api/info"))
        assert info["named_endpoints"], name
        for endpoint, details in info["named_endpoints"].items():
            snippets = details["code_snippets"]
            assert set(snippets) == {"python", "javascript", "bash", "cli"}, endpoint
            assert f'api_name="{endpoint}"' in snippets["python"]


def test_contract_suite_in_the_dropin_env(dropin_python: Path) -> None:
    """tests/contract run by the drop-in env's python: gradio's dependencies and this client in
    one environment; the suite's app also runs in the drop-in env."""
    env = env_without_checkout()
    env["GCX_GRADIO_PYTHON"] = str(dropin_python)
    proc = subprocess.run(
        [str(dropin_python), "-m", "pytest", "tests/contract", "-q", "-p", "no:cacheprovider", "-x"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    tail = proc.stdout[-4000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, tail
    assert re.search(r"\d+ passed", proc.stdout), tail
    print(proc.stdout.strip().splitlines()[-1], file=sys.stderr)
