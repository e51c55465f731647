"""Prints, as JSON, what gradio_client.documentation makes of everything gradio registers.

Run by a gradio env's python (official client or this package in its place); the test
compares the two outputs.  Reprs have memory addresses removed.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
from gradio_client import documentation  # noqa: E402


def clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, str):
        return value.replace(sys.prefix, "<env>")
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value)).replace(sys.prefix, "<env>")


def attempt(fn: Any, *args: Any) -> Any:
    try:
        return clean(fn(*args))
    except Exception as exc:  # noqa: BLE001 - the exception is part of the result
        return ["raised", type(exc).__name__, str(exc)]


def main() -> None:
    import gradio_client

    out: dict[str, Any] = {"gradio": gr.__version__, "gradio_client_file": gradio_client.__file__,
                           "groups": {}}
    for group, entries in documentation.classes_to_document.items():
        rows = []
        for cls, fns in entries:
            row: dict[str, Any] = {"name": getattr(cls, "__name__", repr(cls)), "fns": clean(fns)}
            row["cls"] = attempt(documentation.document_cls, cls)
            target = cls.__init__ if isinstance(cls, type) else cls
            row["init"] = attempt(documentation.document_fn, target, cls)
            for fn_name in fns:
                if isinstance(fn_name, str) and not fn_name.startswith("*"):
                    row[f"fn:{fn_name}"] = attempt(documentation.document_fn, getattr(cls, fn_name), cls)
            rows.append(row)
        out["groups"][str(group)] = rows
    out["theme"] = [attempt(documentation.document_fn, gr.themes.Base.__init__, gr.themes.Base),
                    attempt(documentation.document_fn, gr.themes.Base.set, gr.themes.Base)]
    out["inherit"] = sorted(c.__name__ for c in documentation.classes_inherit_documentation)
    docs = attempt(documentation.generate_documentation)
    out["generate_documentation"] = docs
    json.dump(out, sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main()
