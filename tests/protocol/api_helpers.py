"""Shared data of the app-model tests (test_api.py, test_api_calls.py; fixtures in conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


DATA = Path(__file__).resolve().parent.parent / "data" / "configs"
G6 = DATA / "gradio-6.31.0"
G3 = DATA / "gradio-3.50.2-handwritten"
ALL_CONFIGS = sorted(DATA.glob("gradio-*/config.json"))


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def sse_completed(name: str) -> list[Any]:
    """The output data of the process_completed message of a recorded transcript."""
    for line in (G6 / name).read_text().splitlines():
        if line.startswith("data: "):
            msg = json.loads(line[6:])
            if msg["msg"] == "process_completed":
                return msg["output"]["data"]  # type: ignore[no-any-return]
    raise AssertionError(f"no completion in {name}")


def minimal_config(**overrides: Any) -> dict[str, Any]:
    """A small 6.x-style config: one textbox in, one textbox out, one public endpoint."""
    config: dict[str, Any] = {
        "version": "6.0.0",
        "protocol": "sse_v3",
        "api_prefix": "/gradio_api",
        "components": [
            {"id": 1, "type": "textbox", "props": {"label": "In", "name": "textbox"}, "skip_api": False},
            {"id": 2, "type": "textbox", "props": {"label": "Out", "name": "textbox"}, "skip_api": False},
        ],
        "dependencies": [
            {"id": 0, "inputs": [1], "outputs": [2], "api_name": "echo", "api_visibility": "public"},
        ],
    }
    config.update(overrides)
    return config
