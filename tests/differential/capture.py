"""Capture the corpus apps' /config and /info into tests/differential/captured/gradio-<version>/.

    python3 tests/differential/capture.py [VERSION ...]      # default: 6.31.0

Starts examples/apps/corpus/serve.py from that version's venv (tests/servers/gradio_server.py),
saves per app ``config.json``, ``info.json`` (public) and ``info_all_endpoints.json``, without
the code snippets (they repeat the capturing URL and are not read).  Standard library only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.servers.gradio_server import DEFAULT_VERSION, get_json, start_app  # noqa: E402

OUT = Path(__file__).resolve().parent / "captured"


def _strip(doc: dict) -> dict:
    for kind in ("named_endpoints", "unnamed_endpoints"):
        for entry in (doc.get(kind) or {}).values():
            entry.pop("code_snippets", None)
    return doc


def capture(version: str) -> None:
    with start_app(version, app="corpus/serve") as app:
        for name in get_json(app.url + "config")["corpus"]:
            base = app.url + name
            config = get_json(base + "/config")
            prefix = config.get("api_prefix") or ""
            folder = OUT / f"gradio-{version}" / name
            folder.mkdir(parents=True, exist_ok=True)
            docs = {
                "config": config,
                "info": _strip(get_json(f"{base}{prefix}/info")),
                "info_all_endpoints": _strip(get_json(f"{base}{prefix}/info?all_endpoints=True")),
            }
            for stem, doc in docs.items():
                (folder / f"{stem}.json").write_text(json.dumps(doc, separators=(",", ":")))
            print(f"{version} {name}: captured")


if __name__ == "__main__":
    for v in sys.argv[1:] or [DEFAULT_VERSION]:
        capture(v)
