"""The same calls through this client and the official one, against the same live apps.

One gradio 6.31 process serves the whole corpus (examples/apps/corpus/serve.py, one path per
app).  ``driver.py`` runs every call of ``cases.py`` twice: in a subprocess of the gradio
virtualenv's Python (the official ``gradio_client`` 2.7.2 lives there) and in this process
(this package).  Each call's results must be equal (values and their types, downloaded files
by name and content, errors by class and first sentence, view_api's dict with its key order,
the client's and the job's public names), or the call is listed in ``cases.DIFFERENT`` with
its reason and the weaker check that still holds.

``GCX_DIFF_VERSION=5.50.0`` runs it against another generation's venv (its own official
client); calls that need a newer gradio than the corpus server has are skipped there.
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
import wave
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.differential import driver
from tests.differential.cases import CALLS, DIFFERENT
from tests.servers.gradio_server import (
    DEFAULT_VERSION,
    GradioEnvMissing,
    RunningApp,
    gradio_python,
    start_app,
)

VERSION = os.environ.get("GCX_DIFF_VERSION", DEFAULT_VERSION)
DRIVER = Path(driver.__file__).resolve()
OFFICIAL_PROCESSES = 3


def _png(path: Path) -> None:
    width = height = 4
    rows = b"".join(b"\x00" + bytes([255, 0, 0] * width) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _wav(path: Path) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", (i % 40 - 20) * 500) for i in range(800)))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("diff-inputs")
    _png(folder / "cat.png")
    _wav(folder / "tone.wav")
    (folder / "note.txt").write_text("a note\n")
    (folder / "cube.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    return folder


@pytest.fixture(scope="module")
def corpus() -> Iterator[RunningApp]:
    try:
        app = start_app(VERSION, app="corpus/serve")
    except GradioEnvMissing as exc:
        pytest.skip(str(exc))
    try:
        yield app
    finally:
        app.stop()


def _mounted(app: RunningApp) -> list[str]:
    from tests.servers.gradio_server import get_json

    return list(get_json(app.url + "config")["corpus"])


@pytest.fixture(scope="module")
def results(corpus: RunningApp, inputs: Path) -> dict[str, dict[str, Any]]:
    """{"official": {call id: result}, "ours": {...}}, every call run once per client."""
    mounted = set(_mounted(corpus)) | {"not_an_app"}  # a path the server answers 404 on
    calls = [c for c in CALLS if c["app"] in mounted]
    request = {"base": corpus.url, "files": str(inputs), "calls": calls}
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GCX_GRADIO_PYTHON")}
    env.update({"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1",
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    # The official client spends most of a call waiting (about 0.2 s each, ten times ours):
    # its calls run in OFFICIAL_PROCESSES subprocesses, one share of the apps each, while
    # ours run here; all of them overlap.
    apps = sorted({c["app"] for c in calls}, key=lambda a: -sum(c["app"] == a for c in calls))
    shares: list[list[str]] = [[] for _ in range(OFFICIAL_PROCESSES)]
    for app in apps:  # the app with most calls first, each to the lightest share
        min(shares, key=lambda share: sum(c["app"] in share for c in calls)).append(app)
    procs = []
    for i, share in enumerate(s for s in shares if s):
        share_request = dict(request, calls=[c for c in calls if c["app"] in share],
                             downloads=str(inputs / "official"))
        request_file = inputs / f"official-request-{i}.json"
        request_file.write_text(json.dumps(share_request))
        with open(request_file) as stdin:
            procs.append(subprocess.Popen(
                [str(gradio_python(VERSION)), str(DRIVER)], stdin=stdin, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True, cwd=str(inputs), env=env))
    official: dict[str, Any] = {}
    try:
        ours = driver.run(dict(request, downloads=str(inputs / "ours")))
        for proc in procs:
            out, err = proc.communicate(timeout=240)
            if proc.returncode != 0:
                raise AssertionError(f"official driver failed:\n{err[-4000:]}")
            official.update(json.loads(out))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return {"official": official, "ours": ours, "mounted": {"apps": sorted(mounted)}}


# ------------------------------------------------------------------------ comparison


def _is_error(result: Any) -> bool:
    return isinstance(result, dict) and "error" in result


# Official clients before 2.0 (gradio 4.x/5.x) put this before the app's error message.
_UPSTREAM = "The upstream Gradio app has raised an exception: "


def _same_error(ours: dict[str, Any], official: dict[str, Any]) -> list[str]:
    problems = []
    mine, theirs = ours["error"], dict(official["error"])
    if theirs["text"].startswith(_UPSTREAM):
        theirs["first"] = driver.first_sentence(theirs["text"].removeprefix(_UPSTREAM))
    if theirs["cls"] not in mine["mro"]:
        problems.append(f"class: ours {mine['cls']} (MRO {mine['mro']}) is not a {theirs['cls']}")
    if mine["first"].rstrip(".") != theirs["first"].rstrip("."):  # ours may add sentences
        problems.append(f"first sentence: ours {mine['first']!r} != official {theirs['first']!r}")
    return problems


def compare(ours: Any, official: Any) -> list[str]:
    """The differences between two results of the same call (empty: equal)."""
    if _is_error(official) or _is_error(ours):
        if not (_is_error(official) and _is_error(ours)):
            return [f"ours {ours!r:.400} != official {official!r:.400}"]
        return _same_error(ours, official)
    if isinstance(official, dict) and "client" in official:  # attrs
        problems = []
        for side in ("client", "job"):
            for name, kind in official[side].items():
                if name not in ours[side]:
                    problems.append(f"{side}.{name} missing (official: {kind})")
                elif ours[side][name] != kind:
                    problems.append(f"{side}.{name}: ours {ours[side][name]} != official {kind}")
        return problems
    if isinstance(official, dict) and "dataclass" in official:  # status: ours may add fields
        problems = [f"{k}: ours {ours.get(k)} != official {v}"
                    for k, v in official.items() if k != "fields" and ours.get(k) != v]
        if official["fields"] is not None and not set(official["fields"]) <= set(ours["fields"] or ()):
            problems.append(f"fields: ours {ours['fields']} lack some of {official['fields']}")
        return problems
    if isinstance(official, dict) and set(official) == {"seen", "result", "outputs"}:
        return [f"{key}: " + p for key in ("result", "outputs", "seen")
                for p in compare(ours[key], official[key])]
    if json.dumps(ours) != json.dumps(official):  # order-sensitive: view_api's dict too
        return [f"ours {json.dumps(ours)[:600]} != official {json.dumps(official)[:600]}"]
    return []


_PREDICT = re.compile(r"^ - predict\(.*$", re.M)
_PARAM = re.compile(r"^     - \[[^\]]*\] \w+: [^(\n]*", re.M)


def _text_outline(text: str) -> tuple[list[str], list[str], list[str]]:
    head = [line for line in text.splitlines() if "API endpoints:" in line]
    return head, _PREDICT.findall(text), [p.strip() for p in _PARAM.findall(text)]


_OURS_ONLY = re.compile(r"^    (?!Parameters:|Returns:|Acts on your behalf)\S")  # our extra lines


_STRUCTURE = ("Client.predict", "---", "Named API", "Unnamed API", " - predict(",
              "    Parameters:", "    Returns:", "     - ", "    Acts on your behalf")


def _text_lines(text: str, ours: bool) -> list[str]:
    """view_api text with the documented differences taken out: our extra lines (the
    endpoint's description, the generator note); the official client's trailing spaces, its
    two spaces before a description and three after "defaults to:", and the lines after the
    first of a multi-line description (we show the first line only); the quotes of string
    defaults (we print them as Python literals)."""
    lines: list[str] = []
    last_item = -1
    for line in text.splitlines():
        if ours and _OURS_ONLY.match(line):
            continue
        if not ours and line.strip() and not line.startswith(_STRUCTURE):
            del lines[last_item + 1:]  # a description's later lines (and blank ones)
            if not lines[last_item].endswith(")"):
                lines[last_item] += ")"
            continue
        line = line.rstrip().replace("defaults to:   ", "defaults to: ").replace(")  (", ") (")
        line = re.sub(r"defaults to: (['\"])(.*)\1\)", r"defaults to: \2)", line)
        if line.startswith("     - "):
            last_item = len(lines)
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _weaker_check(kind: str, ours: Any, official: Any) -> list[str]:
    if kind == "ours_better":
        if _is_error(ours):
            return [f"ours failed: {ours['error']}"]
        if not _is_error(official):
            return [f"the official client works here too: ours {ours} vs {official}"]
        return []
    if kind == "rejects":
        if not _is_error(ours):
            return ["ours did not reject the call"]
        if _is_error(official):
            return _same_error(ours, official)
        return [] if "TypeError" in ours["error"]["mro"] else ["ours rejects it, not as TypeError"]
    if kind == "text":
        if _is_error(ours) or _is_error(official):
            return compare(ours, official)
        if "all_endpoints=True" not in ours["value"] and "(undocumented" not in ours["value"]:
            mine, theirs = _text_lines(ours["value"], True), _text_lines(official["value"], False)
            return [] if mine == theirs else [f"ours {mine}\n!= official {theirs}"]
        mine_o, theirs_o = _text_outline(ours["value"]), _text_outline(official["value"])
        problems = []
        if not set(theirs_o[1]) <= set(mine_o[1]):
            problems.append(f"endpoints: ours {mine_o[1]} vs official {theirs_o[1]}")
        if not set(theirs_o[2]) <= set(mine_o[2]):
            problems.append(f"parameters: ours {mine_o[2]} vs official {theirs_o[2]}")
        return problems
    raise AssertionError(kind)


@pytest.mark.parametrize("case", CALLS, ids=[c["id"] for c in CALLS])
def test_same_as_official(case: dict[str, Any], results: dict[str, dict[str, Any]]) -> None:
    if case["app"] not in results["mounted"]["apps"]:
        pytest.skip(f"{case['app']} is not in this gradio's corpus")
    ours, official = results["ours"][case["id"]], results["official"][case["id"]]
    problems = compare(ours, official)
    if case["id"] in DIFFERENT:
        reason, kind = DIFFERENT[case["id"]]
        if kind == "owner":
            if problems:
                pytest.xfail(f"{reason}: {problems}")
            return
        assert _weaker_check(kind, ours, official) == [], reason
        return
    assert problems == [], f"{case['id']}: ours {ours!r:.1500}\nofficial {official!r:.1500}"


def test_every_difference_is_a_call() -> None:
    ids = {c["id"] for c in CALLS}
    assert set(DIFFERENT) <= ids


if __name__ == "__main__":  # pragma: no cover - manual: print every call's two results
    sys.exit(pytest.main([__file__, "-q"]))
