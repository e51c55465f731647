"""The documentation site builds with ``mkdocs build --strict`` (warnings are errors: a broken
link, a missing page, a docstring the API reference cannot render), and every public name of
``gradio_client`` has a docstring for that reference.

The build runs in the docs virtualenv that ``python3 tools/run.py docs`` uses (created on
first use, with the ``docs`` extra); the test skips only when that virtualenv cannot be built
because the packages cannot be installed.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import gradio_client

ROOT = Path(__file__).resolve().parent.parent


def _run_py() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gcx_tools_run", ROOT / "tools" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _own_doc(obj: object) -> str:
    """The object's own docstring (a class's, not one inherited from a base)."""
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    return doc.strip() if isinstance(doc, str) else ""


def test_every_public_name_has_a_docstring() -> None:
    missing = []
    for name in gradio_client.__all__:
        obj = getattr(gradio_client, name)
        if isinstance(obj, (str, int, float)):  # __version__
            continue
        if not _own_doc(obj):
            missing.append(name)
    assert not missing, f"public names without a docstring: {missing}"


def test_the_check_sees_a_missing_docstring() -> None:
    class Bare:
        pass

    class Documented(Bare):
        """Documented."""

    class Inherits(Documented):
        pass

    assert not _own_doc(Bare) and _own_doc(Documented) and not _own_doc(Inherits)


def test_docs_build_strict(tmp_path: Path) -> None:
    run = _run_py()
    try:
        python = run.ensure_docs()
    except SystemExit as exc:  # pip failed: the packages are not installable here
        pytest.skip(f"the docs virtualenv cannot be built (mkdocs, mkdocs-material, "
                    f"mkdocstrings-python not installable): {exc}")
    site = tmp_path / "site"
    proc = subprocess.run(
        [str(python), "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pages = {p.name for p in site.glob("*.html")}
    expected = {p.stem + ".html" for p in (ROOT / "docs").glob("*.md")}
    assert expected <= pages, expected - pages
    api = (site / "api.html").read_text()
    for name in ("gradio_client.Client", "gradio_client.AsyncJob", "gradio_client.handle_file",
                 "gradio_client.batch.ClientPool", "gradio_client.stubs.generate"):
        assert f'id="{name}"' in api, name
