"""``import gradio`` in the drop-in env works and imports this package; and what gradio
registers with ``gradio_client.documentation.document`` at import, and what ``document_fn``/``document_cls``/``generate_documentation`` make of every registered class and
method (gradio's theme builder calls ``document_fn``), equal in the official env and in the
drop-in env (tests/dropin/doc_dump.py runs in each).

Left out of the comparison: the ``py-client`` group, which holds the official client's own
classes (its ``Client`` and ``Job`` are decorated with ``@document``; this package's are not:
they are documented in its README, not on gradio.app).
"""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.dropin.conftest import env_without_checkout

DUMP = Path(__file__).resolve().parent / "doc_dump.py"
ROOT = DUMP.parent.parent.parent


def dump(python: Path) -> dict[str, Any]:
    proc = subprocess.run([str(python), str(DUMP)], capture_output=True, text=True, timeout=300,
                          cwd=python.parent, env=env_without_checkout())
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


@pytest.fixture(scope="module")
def dumps(official_python: Path, dropin_python: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(official env's dump, drop-in env's dump), made at once."""
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        theirs, ours = pool.map(dump, [official_python, dropin_python])
    return theirs, ours


def test_import_gradio_uses_this_package(dumps: tuple[dict[str, Any], dict[str, Any]]) -> None:
    theirs, ours = dumps
    assert theirs["gradio"] == ours["gradio"] == "6.31.0"
    assert Path(ours["gradio_client_file"]).resolve() == (ROOT / "gradio_client" / "__init__.py").resolve()
    assert "site-packages" in theirs["gradio_client_file"]


def test_documentation_equals_the_official(dumps: tuple[dict[str, Any], dict[str, Any]]) -> None:
    theirs, ours = (dict(d) for d in dumps)
    for doc in (theirs, ours):
        doc["groups"] = {k: v for k, v in doc["groups"].items() if k != "py-client"}
        doc["generate_documentation"] = {k: v for k, v in doc["generate_documentation"].items()
                                         if k != "py-client"}
    assert list(theirs["groups"]) == list(ours["groups"])
    assert sum(len(rows) for rows in theirs["groups"].values()) > 100
    for group in theirs["groups"]:
        for mine, official in zip(ours["groups"][group], theirs["groups"][group], strict=True):
            assert mine == official, (group, official["name"])
    assert ours["theme"] == theirs["theme"]
    assert ours["inherit"] == theirs["inherit"]
    assert ours["generate_documentation"] == theirs["generate_documentation"]
