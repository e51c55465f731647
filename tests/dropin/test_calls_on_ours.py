"""gradio's run time on this package: the same calls to the same app, served once with the
official client installed and once with this package in its place, give the same outputs.

gradio calls ``gradio_client.utils`` helpers on every request with files (``traverse``,
``is_file_obj_with_meta``, ``strip_invalid_filename_characters``, ``get_mimetype``,
``is_valid_file``, ``encode_file_path``, ``handle_file`` ...), so each component-kind endpoint
of tests/dropin/apps/chat_app.py is called with the example input the app documents (a local
file for file components: the examples point at the internet), through this client, on both
servers; the outputs are compared after the same normalisation as the documents.
"""

from __future__ import annotations

import base64
import json
import wave
from pathlib import Path
from typing import Any

from gradio_client import Client, handle_file
from tests.dropin.conftest import fetch, normalise
from tests.servers.gradio_server import RunningApp

# a 2x1 RGB PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAEElEQVR4nGP4z8DAwMDAAAAHAAH/PJDk3QAAAABJRU5ErkJggg==")
# Needs ffmpeg, a browser or the network on the server: not run here.
SKIP = {"video", "model3d", "imageeditor", "plot", "lineplot", "annotatedimage", "imageslider"}


def _local_files(tmp: Path) -> dict[str, Path]:
    (tmp / "pic.png").write_bytes(PNG)
    with wave.open(str(tmp / "tone.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x01" * 800)
    (tmp / "notes.txt").write_text("hello")
    return {"png": tmp / "pic.png", "wav": tmp / "tone.wav", "txt": tmp / "notes.txt"}


def _localise(value: Any, component: str, files: dict[str, Path]) -> Any:
    """The example with every file reference replaced by a local file of a fitting kind."""
    if isinstance(value, dict) and isinstance(value.get("meta"), dict) and value["meta"].get("_type") == "gradio.FileData":
        kind = "wav" if component == "Audio" else "txt" if component in ("File", "UploadButton", "DownloadButton") else "png"
        return handle_file(str(files[kind]))
    if isinstance(value, dict):
        return {k: _localise(v, component, files) for k, v in value.items()}
    if isinstance(value, list):
        return [_localise(v, component, files) for v in value]
    return value


def _call(client: Client, app: RunningApp, name: str, args: list[Any]) -> str:
    try:
        result: Any = client.predict(*args, api_name=name)
        text = json.dumps(result, sort_keys=False, default=repr)
    except Exception as exc:  # noqa: BLE001 - the error is the outcome compared
        text = f"raised {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return normalise(text.encode(), app).decode()


def test_component_endpoints_answer_like_the_official(
        app_pairs: dict[str, tuple[RunningApp, RunningApp]], tmp_path: Path) -> None:
    official, ours = app_pairs["chat"]
    info = json.loads(fetch(official, "gradio_api/info"))
    files = _local_files(tmp_path)
    answered: list[str] = []
    with Client(official.url, verbose=False, download_files=False) as on_official, \
            Client(ours.url, verbose=False, download_files=False) as on_ours:
        _compare_all(info, files, official, on_official, ours, on_ours, answered)
    print(f"{len(answered)} endpoints answered alike: {answered}")
    assert len(answered) >= 18, answered
    assert {"image", "audio", "file", "gallery", "multimodaltextbox"} <= set(answered), answered


def _compare_all(info: dict[str, Any], files: dict[str, Path], official: RunningApp, on_official: Client,
                 ours: RunningApp, on_ours: Client, answered: list[str]) -> None:
    for name, endpoint in info["named_endpoints"].items():
        kind = name.split("_", 1)[-1]
        if not name.startswith("/c") or kind in SKIP:
            continue
        args = [_localise(p.get("example_input"), p["component"], files) for p in endpoint["parameters"]]
        theirs, mine = _call(on_official, official, name, args), _call(on_ours, ours, name, args)
        assert mine == theirs, name
        if not theirs.startswith("raised"):  # some examples do not fit the output (both raise)
            answered.append(kind)
