"""gradio 4.44.1 and 5.50.0 running on THIS package in place of the official client.

Each version's drop-in env (``<version>-ours`` in tools/run.py: the version's own pins, the
official ``gradio_client`` uninstalled, this checkout installed editable) must:

* import gradio, with this checkout as its ``gradio_client`` (gradio's command line imports
  ``gradio_client.cli.deploy_discord`` at ``import gradio``);
* serve tests/dropin/apps/small_app.py (a ``gr.Interface`` inside a ``gr.Blocks``) with the
  same ``/config`` and ``/info`` as the same app on the official client of that gradio
  (its env ``gradio-<version>``), byte for byte after ``conftest.normalise``;
* answer every endpoint, called through this client, as the app on the official client
  answers it (text, numbers, a generator's outputs, a file round trip, a ``gr.Error``);
  and once more through this client from inside the drop-in env;
* name files, render JSON schemas as Python types and find file values as the official client
  of that gradio does (``utils.strip_invalid_filename_characters``,
  ``json_schema_to_python_type``, ``value_is_file``: gradio calls them for every file it saves
  and for ``/info``; the official 1.x rules differ from 2.x's), on generated inputs;
* run ``gradio --help`` and ``gradio deploy-discord --help`` (the latter printing what the
  official one prints), and refuse ``gradio deploy-discord`` with a clear error, exit 1.

``GCX_DROPIN_PYTHON_4_44_1`` / ``GCX_DROPIN_PYTHON_5_50_0`` name the drop-in envs'
interpreters (``python3 tools/run.py test`` builds them, once; default: the cache).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gradio_client import AppError, Client, handle_file
from tests.dropin.conftest import HERE, env_without_checkout, fetch, normalise, start_script
from tests.servers.gradio_server import RunningApp, gradio_python

ROOT = HERE.parent.parent
APP = HERE / "apps" / "small_app.py"
VERSIONS = ["4.44.1", "5.50.0"]


def dropin_python(version: str) -> Path:
    default = Path(os.environ.get("GCX_CACHE") or Path.home() / ".cache" / "gcx").expanduser()
    variable = "GCX_DROPIN_PYTHON_" + version.replace(".", "_")
    python = Path(os.environ.get(variable) or default / f"gradio-{version}-ours" / "bin" / "python")
    if not python.exists():
        pytest.fail(f"no drop-in env at {python}: build it with "
                    f"`python3 tools/run.py envs {version}-ours` (a few minutes, once)", pytrace=False)
    return python


@pytest.fixture(scope="module", params=VERSIONS)
def pair(request: pytest.FixtureRequest) -> Iterator[tuple[str, RunningApp, RunningApp]]:
    """(version, the app on the official client, the same app on this package), started at once."""
    version: str = request.param
    ours_python, official_python = dropin_python(version), gradio_python(version)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        official_f = pool.submit(start_script, official_python, version, APP)
        ours_f = pool.submit(start_script, ours_python, f"{version}-ours", APP)
        started = []
        try:
            for future in (official_f, ours_f):
                started.append(future.result())
            yield version, started[0], started[1]
        finally:
            for app in started:
                app.stop()


def _normalise(body: bytes, app: RunningApp) -> bytes:
    # gradio 4.x's component class ids are 32 hex digits (6.x: 64) hashing the env's path
    ids: dict[str, str] = {}
    body = re.sub(rb'"component_class_id": ?"([0-9a-f]{32})"',
                  lambda m: b'"component_class_id":"c%d"' % int(ids.setdefault(m.group(1), str(len(ids)))),
                  body)
    return normalise(body, app)


def _api(version: str) -> str:
    return "gradio_api/" if version.startswith("5") else ""


@pytest.mark.parametrize("path", ["config", "info", "info?all_endpoints=true"])
def test_documents_equal_the_official(pair: tuple[str, RunningApp, RunningApp], path: str) -> None:
    version, official, ours = pair
    full = path if path == "config" else _api(version) + path
    theirs, mine = _normalise(fetch(official, full), official), _normalise(fetch(ours, full), ours)
    if theirs != mine:
        at = next((i for i, (a, b) in enumerate(zip(theirs, mine)) if a != b), min(len(theirs), len(mine)))
        pytest.fail(f"{version} {full} differs at byte {at}:\n official: {theirs[max(0, at - 200):at + 200]!r}"
                    f"\n ours:     {mine[max(0, at - 200):at + 200]!r}")
    assert b'"/greet"' in mine or b'"greet"' in mine  # the Interface's endpoint is served


def _answers(app: RunningApp, tmp: Path) -> dict[str, Any]:
    """Every endpoint of the small app, called through this client."""
    tmp.mkdir(parents=True)
    sample = tmp / "sample (1).txt"
    sample.write_bytes(b"twelve bytes")
    answers: dict[str, Any] = {}
    with Client(app.url, verbose=False, download_files=str(tmp / "downloads")) as client:
        answers["greet"] = client.predict("Ada", 2, api_name="/greet")
        answers["add"] = client.predict(1.5, 2, api_name="/add")
        job = client.submit(4, api_name="/count")
        answers["count"] = [job.result(), list(job.outputs())]
        info, back = client.predict(handle_file(str(sample)), api_name="/file_info")
        answers["file_info"] = [info, Path(back).name, Path(back).read_bytes()]
        try:
            client.predict("no", api_name="/fail")
        except AppError as exc:
            answers["fail"] = ["AppError", exc.message]
        else:
            answers["fail"] = "no error"
    return answers


def test_calls_answer_as_on_the_official(pair: tuple[str, RunningApp, RunningApp], tmp_path: Path) -> None:
    version, official, ours = pair
    mine = _answers(ours, tmp_path / "ours")
    assert mine == _answers(official, tmp_path / "official")
    assert mine["greet"] == "Hello Ada! Hello Ada!" and mine["add"] == 3.5, mine
    assert mine["count"] == ["3", ["0", "1", "2", "3"]], mine
    assert mine["file_info"][2] == b"twelve bytes" and mine["fail"][0] == "AppError", mine


def _in_env(version: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``args`` run by the drop-in env's python, outside this checkout."""
    env = env_without_checkout()
    env["COLUMNS"] = "100"
    return subprocess.run([str(dropin_python(version)), *args], cwd=HERE / "apps", env=env,
                          capture_output=True, text=True, timeout=120)


def test_client_inside_the_dropin_env(pair: tuple[str, RunningApp, RunningApp]) -> None:
    version, _, ours = pair
    code = ("import gradio, gradio_client, sys\n"
            "from gradio_client import Client\n"
            "print(gradio.__version__, gradio_client.__file__)\n"
            "print(Client(sys.argv[1], verbose=False).predict('Bo', 3, api_name='/greet'))\n")
    proc = _in_env(version, "-c", code, ours.url)
    assert proc.returncode == 0, proc.stderr[-3000:]
    first, second = proc.stdout.strip().splitlines()[-2:]
    assert first == f"{version} {ROOT / 'gradio_client' / '__init__.py'}"
    assert second == "Hello Bo! Hello Bo! Hello Bo!"


# gradio's command line (``gradio.cli.cli``, what the ``gradio`` script runs), several
# commands in one process (``import gradio`` takes seconds): {name: [exit code, stdout, stderr]}
CLI = """
import contextlib, io, json, sys
from gradio.cli import cli
answers = {}
for name, argv in json.loads(sys.argv[1]).items():
    out, err, code = io.StringIO(), io.StringIO(), 0
    sys.argv = ["gradio", *argv]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli()
        except SystemExit as exc:
            code = exc.code or 0
    answers[name] = [code, out.getvalue(), err.getvalue()]
print(json.dumps(answers))
"""


def _gradio_cli(python: Path, commands: dict[str, list[str]]) -> dict[str, list[Any]]:
    env = env_without_checkout()
    env["COLUMNS"] = "100"
    proc = subprocess.run([str(python), "-c", CLI, json.dumps(commands)], cwd=HERE / "apps", env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    answers: dict[str, list[Any]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return answers


@pytest.mark.parametrize("version", VERSIONS)
def test_gradio_command_line(version: str) -> None:
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        ours_f = pool.submit(_gradio_cli, dropin_python(version), {
            "help": ["--help"],
            "discord help": ["deploy-discord", "--help"],
            "discord": ["deploy-discord", "--src", "owner/space", "--api-names", "/chat"]})
        official_f = pool.submit(_gradio_cli, gradio_python(version), {"discord help": ["deploy-discord", "--help"]})
        ours, official = ours_f.result(), official_f.result()
    code, out, err = ours["help"]
    assert code == 0 and "Usage:" in out, ours["help"]
    assert ours["discord help"][0] == 0 and "--discord-bot-token" in ours["discord help"][1], ours
    assert ours["discord help"] == official["discord help"]
    code, out, err = ours["discord"]
    assert code == 1 and err.startswith("Error: ") and "not supported by this gradio_client" in err, ours["discord"]
    assert "Traceback" not in err


NAMES = """
import json, random, sys
rng = random.Random(int(sys.argv[1]))  # a generator of its own: imports draw nothing from it
alphabet = "abcXYZ019 ._-,()[]#\u00e9\u6f22\U0001f600/\\\\:*?<>|\\t"
names = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(3000)]
names += ["sample (1).txt", "a,b.tar.gz", "..", ".hidden", "x" * 250 + ".txt", "\u00e9" * 150 + ".png"]
from gradio_client import utils
print(json.dumps([[n, utils.strip_invalid_filename_characters(n),
                   utils.strip_invalid_filename_characters(n, 20)] for n in names]))
"""


def _same_in_both_envs(version: str, script: str, what: str) -> list[Any]:
    """Run ``script`` (seeded) in the drop-in env and in the official one; every row of the
    two answers must be equal.  Returns ours."""
    seed = str(int.from_bytes(os.urandom(2), "big"))
    answers = []
    for python in (dropin_python(version), gradio_python(version)):
        proc = subprocess.run([str(python), "-c", script, seed], cwd=HERE / "apps", env=env_without_checkout(),
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-3000:]
        answers.append(json.loads(proc.stdout))
    ours, official = answers
    differ = [(o, t) for o, t in zip(ours, official) if o != t]
    assert not differ, f"seed {seed}: {len(differ)} {what} differ, e.g. (ours, official) {differ[:3]}"
    return list(ours)


@pytest.mark.parametrize("version", VERSIONS)
def test_file_names_as_the_official(version: str) -> None:
    """The same 3000 generated names (seeded) through both envs' ``gradio_client.utils``."""
    ours = _same_in_both_envs(version, NAMES, "names")
    assert any(row[0] != row[1] for row in ours)  # the rule did remove something


SCHEMAS = """
import json, random, sys
rng = random.Random(int(sys.argv[1]))  # a generator of its own: imports draw nothing from it
FILE = {"properties": {"path": {"type": "string"}, "url": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "size": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "orig_name": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "mime_type": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "is_stream": {"type": "boolean"},
        "meta": {"default": {"_type": "gradio.FileData"}, "title": "Meta", "type": "object"}},
        "required": ["path"], "title": "FileData", "type": "object"}

def schema(depth):
    roll = rng.randrange(12 if depth < 3 else 5)
    if roll == 0: return {"type": rng.choice(["string", "integer", "number", "boolean", "null"])}
    if roll == 1: return {}
    if roll == 2: return {"description": rng.choice(["any json", "x"])}
    if roll == 3: return {"enum": rng.sample(["a", "b", 1, 2.5], 2)}
    if roll == 4: return {"const": rng.choice(["k", 3])}
    if roll == 5: return {"type": "array", "items": schema(depth + 1)}
    if roll == 6: return {"type": "array", "prefixItems": [schema(depth + 1), schema(depth + 1)]}
    if roll == 7: return {rng.choice(["anyOf", "oneOf", "allOf"]): [schema(depth + 1), schema(depth + 1)]}
    if roll == 8: return {"$ref": "#/$defs/FileData"}
    if roll == 9: return dict(FILE)
    node = {"type": "object", "properties": {f"p{i}": dict(schema(depth + 1), **({"description": "d"} if i else {}))
                                             for i in range(rng.randrange(3))}}
    if rng.random() < 0.4:
        node["additionalProperties"] = rng.choice([True, False, {"type": "string"}, schema(depth + 1)])
    return node

from gradio_client import utils
answers = []
for _ in range(1500):
    top = {"type": "object", "properties": {"x": schema(0), "y": schema(1)}, "$defs": {"FileData": FILE}}
    row = []
    for fn in (utils.json_schema_to_python_type, utils.value_is_file):
        try:
            row.append(fn(top))
        except Exception as exc:
            row.append(type(exc).__name__)
    answers.append(row)
print(json.dumps(answers))
"""


@pytest.mark.parametrize("version", VERSIONS)
def test_schemas_render_as_the_official(version: str) -> None:
    """1500 generated schemas (seeded; FileData shapes, $refs, unions, tuples, extra
    properties) through both envs' ``json_schema_to_python_type`` and ``value_is_file``."""
    ours = _same_in_both_envs(version, SCHEMAS, "schemas")
    assert any(row[1] is True for row in ours) and any(row[1] is False for row in ours)
