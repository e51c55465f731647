"""Typed per-app stubs (gradio_client.stubs, ``gradio-client stubs``) against real apps.

For the kitchen-sink app and every app of the corpus (examples/apps/corpus, one gradio 6.31
process): the generated module passes ``mypy --strict`` and ``ruff check``; imported, each
method is called with the app's example values (files replaced by local ones) on one client,
and the same values go to ``client.predict`` on another client (same call order, so session
state advances alike): results (files by content) or error types must agree, and each result
must fit the method's return annotation.  Endpoints with defaults are also called with the
required arguments only.  Plus: AsyncApi under trio and asyncio, the mismatch warning, the
CLI, a mypy check that wrong argument types are rejected, and a property of the identifier
mangling.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import inspect
import keyword
import os
import struct
import subprocess
import sys
import types
import typing
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradio_client import Client, handle_file
from gradio_client._stubgen.names import RESERVED_METHODS, method_names, parameter_names
from gradio_client.aio import AsyncClient
from gradio_client.cli import main as cli_main
from gradio_client.protocol.app import is_file_reference
from gradio_client.stubs import StubMismatchWarning, generate
from tests.servers.gradio_server import DEFAULT_VERSION, RunningApp, get_json, start_app

PYTHON = sys.executable
# Calls whose example values would be slow or need media we cannot make here.
OVERRIDES: dict[tuple[str, str], list[Any] | None] = {
    ("kitchen_sink", "/slow"): [0.1],
    ("kitchen_sink", "/sleep_gen"): [2, 0.05],
}
# Example files of these kinds cannot be made here (real video): such calls are type-checked
# only.  Other kinds map to a local PNG, WAV, OBJ or text file.
UNMAKEABLE = {"mp4", "webm", "avi", "mov", "mkv", "ogv"}


class _Unmakeable(Exception):
    pass


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def corpus() -> Iterator[RunningApp]:
    try:
        app = start_app(DEFAULT_VERSION, app="corpus/serve")
    except Exception as exc:  # the harness's own errors carry the server log
        pytest.fail(f"could not start the corpus: {exc}", pytrace=False)
    yield app
    app.stop()


@pytest.fixture(scope="module")
def app_urls(gradio_app: str, corpus: RunningApp) -> dict[str, str]:
    urls = {"kitchen_sink": gradio_app}
    for name in get_json(corpus.url + "config")["corpus"]:
        urls[name] = f"{corpus.url}{name}/"
    return urls


@pytest.fixture(scope="module")
def stub_dir(tmp_path_factory: pytest.TempPathFactory, app_urls: dict[str, str]) -> Path:
    folder = tmp_path_factory.mktemp("stubs")
    for name, url in app_urls.items():
        with Client(url, verbose=False) as client:
            (folder / f"api_{name}.py").write_text(generate(client))
    return folder


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("media")
    rows = b"".join(b"\x00" + bytes([255, 0, 0] * 4) for _ in range(4))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    (folder / "cat.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    import wave

    with wave.open(str(folder / "tone.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", (i % 40 - 20) * 500) for i in range(800)))
    (folder / "note.txt").write_text("a note\n")
    (folder / "cube.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    return folder


def _import(path: Path) -> types.ModuleType:
    name = f"gcx_stub_{path.stem}_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ values and checks
def _local_file(value: dict[str, Any], media: Path) -> dict[str, Any]:
    name = str(value.get("orig_name") or value.get("path") or "")
    ext = name.rsplit(".", 1)[-1].lower()
    if ext in UNMAKEABLE:
        raise _Unmakeable(name)
    local = {"png": "cat.png", "jpg": "cat.png", "wav": "tone.wav", "gltf": "cube.obj",
             "obj": "cube.obj"}.get(ext, "note.txt")
    return handle_file(media / local)


def _localise(value: Any, media: Path) -> Any:
    """The app's example value with every file reference replaced by a local file."""
    if isinstance(value, dict):
        if is_file_reference(value, "sse_v3", inputs=True):
            return _local_file(value, media)
        return {k: _localise(v, media) for k, v in value.items()}
    if isinstance(value, list):
        return [_localise(v, media) for v in value]
    return value


def _comparable(value: Any) -> Any:
    """A result with downloaded files replaced by their content's hash."""
    if isinstance(value, str) and os.path.isabs(value) and os.path.isfile(value):
        return ("file", hashlib.sha256(Path(value).read_bytes()).hexdigest())
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_comparable(v) for v in value)
    return value


def _outcome(call: Any) -> tuple[tuple[str, Any], Any]:
    """((kind, comparable value or error type), the raw value)."""
    try:
        value = call()
    except Exception as exc:
        return ("error", type(exc).__name__), None
    return ("ok", _comparable(value)), value


def conforms(value: Any, hint: Any) -> bool:
    """Whether ``value`` fits the annotation ``hint`` (the forms stubs generate)."""
    if hint is Any:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Literal:
        return any(type(value) is type(a) and value == a for a in args)
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, a) for a in args)
    if origin is list:
        return isinstance(value, list) and all(conforms(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(
            isinstance(k, str) and conforms(v, args[1]) for k, v in value.items())
    if origin is tuple:
        if args == ((),) or not args:
            return value == ()
        return (isinstance(value, tuple) and len(value) == len(args)
                and all(conforms(v, a) for v, a in zip(value, args)))
    if hint is float:
        return isinstance(value, (int, float))
    return isinstance(value, hint)


def _methods(cls: type) -> dict[str, str]:
    """api_name -> method name, read from the generated methods' docstrings."""
    out = {}
    for name, fn in vars(cls).items():
        doc = getattr(fn, "__doc__", None) or ""
        if callable(fn) and doc.startswith("Call ``"):
            out[doc.split("``")[1]] = name
    return out


def _checked_modules(stub_dir: Path) -> dict[str, str]:
    """mypy --strict and ruff over every generated module at once: output per file."""
    files = sorted(p.name for p in stub_dir.glob("api_*.py"))
    mypy = subprocess.run([PYTHON, "-m", "mypy", "--strict", "--no-incremental", *files],
                          cwd=stub_dir, capture_output=True, text=True, timeout=600)
    ruff = subprocess.run([PYTHON, "-m", "ruff", "check", "--no-cache", "--output-format",
                           "concise", *files], cwd=stub_dir, capture_output=True, text=True,
                          timeout=120)
    out = {}
    for f in files:
        lines = [ln for ln in (mypy.stdout + ruff.stdout).splitlines() if ln.startswith(f + ":")]
        out[f] = "\n".join(lines)
    assert mypy.returncode == 0 or any(out.values()), mypy.stdout + mypy.stderr
    assert ruff.returncode == 0 or any(out.values()), ruff.stdout + ruff.stderr
    return out


# ---------------------------------------------------------------------------- the tests
def test_generated_modules_pass_mypy_strict_and_ruff(stub_dir: Path) -> None:
    results = _checked_modules(stub_dir)
    assert len(results) >= 2
    failing = {f: text for f, text in results.items() if text}
    assert not failing, failing


def test_every_corpus_app_is_covered(app_urls: dict[str, str]) -> None:
    """Every app the corpus defines is served and stubbed (a builder failing on this gradio
    would silently shrink the corpus)."""
    import ast

    source = (Path(__file__).resolve().parent.parent / "examples/apps/corpus/apps.py").read_text()
    apps: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and node.target.id == "APPS" and isinstance(node.value, ast.Dict)):
            apps = {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
    assert apps and apps <= set(app_urls), apps - set(app_urls)


def _differential(app: str, url: str, stub: Path, media: Path) -> tuple[int, list[str]]:
    """Each method of the stub at ``stub`` against ``client.predict``: (calls, mismatches)."""
    calls = 0
    mismatches: list[str] = []
    module = _import(stub)
    with Client(url, verbose=False) as via_stub, Client(url, verbose=False) as direct:
        api = module.Api(via_stub)
        names = _methods(module.Api)
        public = {e.api_name for e in via_stub.app_config.endpoints.values()
                  if e.api_name and e.visibility == "public" and e.backend_fn}
        assert set(names) == public, (app, set(names) ^ public)
        for api_name, method_name in names.items():
            endpoint = via_stub.app_config.endpoint(api_name=api_name)
            method = getattr(api, method_name)
            hints = typing.get_type_hints(method)
            params = list(inspect.signature(method).parameters.values())
            doc = method.__doc__ or ""
            for p in endpoint.parameters or ():
                assert (p.component or "") in doc, (app, api_name, doc)
            key = (app, api_name)
            if key in OVERRIDES and OVERRIDES[key] is None:
                continue
            try:
                values = OVERRIDES.get(key) or [
                    _localise(p.example_input, media) for p in endpoint.parameters or ()]
            except _Unmakeable:
                continue
            assert len(values) == len(params), (app, api_name)
            variants = [(values, {p.name: v for p, v in zip(params, values)})]
            required = [v for p, v in zip(params, values) if p.default is inspect.Parameter.empty]
            if len(required) < len(values) and key not in OVERRIDES:
                variants.append((required, {p.name: v for p, v in zip(params, required)}))
            for positional, keywords in variants:
                ours, raw = _outcome(lambda: method(**keywords))
                theirs, _ = _outcome(lambda: direct.predict(*positional, api_name=api_name))
                calls += 1
                if ours != theirs:
                    mismatches.append(f"{app} {api_name} {keywords!r}: {ours} != {theirs}")
                elif ours[0] == "ok" and not conforms(raw, hints["return"]):
                    mismatches.append(f"{app} {api_name}: {raw!r} does not fit {hints['return']}")
    return calls, mismatches


def test_methods_match_client_predict(stub_dir: Path, app_urls: dict[str, str],
                                      media: Path) -> None:
    """The differential check: each stub method against client.predict, app by app."""
    calls = 0
    mismatches: list[str] = []
    for app, url in app_urls.items():
        n, bad = _differential(app, url, stub_dir / f"api_{app}.py", media)
        calls += n
        mismatches += bad
    assert not mismatches, "\n".join(mismatches)
    assert calls >= 60, calls


OTHER_VERSIONS = [v for v in os.environ.get("GCX_TEST_GRADIO_VERSIONS", "").split()
                  if v != DEFAULT_VERSION]


@pytest.mark.parametrize("version", OTHER_VERSIONS or [pytest.param(
    "", marks=pytest.mark.skip(reason="set GCX_TEST_GRADIO_VERSIONS to run stubs on other "
                                      "gradio generations"))])
def test_kitchen_sink_stub_on_other_generations(version: str, tmp_path: Path,
                                                media: Path) -> None:
    """The same checks for the kitchen-sink app on another gradio (3.x to 5.x)."""
    with start_app(version, app="kitchen_sink") as app:
        stub = tmp_path / "api_kitchen_sink.py"
        with Client(app.url, verbose=False) as client:
            stub.write_text(generate(client))
        assert not _checked_modules(tmp_path)["api_kitchen_sink.py"]
        calls, mismatches = _differential("kitchen_sink", app.url, stub, media)
    assert not mismatches, "\n".join(mismatches)
    assert calls >= 15, calls


def test_the_api_hash_is_stable_across_processes(gradio_app: str, stub_dir: Path) -> None:
    """A second process of the same app has the same API hash: no false mismatch warning."""
    module = _import(stub_dir / "api_kitchen_sink.py")
    with start_app(DEFAULT_VERSION, app="kitchen_sink") as other:
        assert other.url != gradio_app
        with Client(other.url, verbose=False) as client, warnings.catch_warnings():
            warnings.simplefilter("error", StubMismatchWarning)
            module.Api(client)


def test_submit_returns_a_typed_job(gradio_app: str, stub_dir: Path) -> None:
    module = _import(stub_dir / "api_kitchen_sink.py")
    with module.Api(gradio_app, verbose=False) as api, Client(gradio_app, verbose=False) as c:
        job = api.submit_count(4)
        streamed = list(job)
        assert job.result() == c.predict(4, api_name="/count")
        assert streamed == list(c.submit(4, api_name="/count"))
        assert job.outputs() == streamed
        assert job.done() and not job.running()


async def test_async_api_under_trio(gradio_app: str, stub_dir: Path) -> None:
    module = _import(stub_dir / "api_kitchen_sink.py")
    with Client(gradio_app, verbose=False) as client:
        expected = client.predict(3, "multiply", 4, api_name="/calculator")
        streamed_expected = list(client.submit(3, api_name="/count"))
    async with module.AsyncApi(gradio_app, verbose=False) as api:
        assert await api.calculator(3, "multiply", 4) == expected
        job = await api.submit_count(3)
        streamed = [v async for v in job.iter_outputs()]
        assert streamed == streamed_expected
        assert await job.result() == streamed_expected[-1]
    async with AsyncClient(gradio_app, verbose=False) as client:  # a client of the caller's
        api2 = module.AsyncApi(client)
        assert await api2.add(2) == await client.predict(2, api_name="/add")


def test_async_api_under_asyncio(gradio_app: str, stub_dir: Path) -> None:
    module = _import(stub_dir / "api_kitchen_sink.py")

    async def main() -> Any:
        async with module.AsyncApi(gradio_app, verbose=False) as api:
            first = await api.echo("héllo")
        connected = await module.AsyncApi.connect(gradio_app, verbose=False)  # no nursery
        try:
            return first, await connected.calculator(6, "divide", 4)
        finally:
            await connected.aclose()

    with Client(gradio_app, verbose=False) as client:
        assert asyncio.run(main()) == (client.predict("héllo", api_name="/echo"),
                                       client.predict(6, "divide", 4, api_name="/calculator"))


def test_warns_when_the_api_no_longer_matches(gradio_app: str, app_urls: dict[str, str],
                                              stub_dir: Path, tmp_path: Path) -> None:
    module = _import(stub_dir / "api_kitchen_sink.py")
    with Client(gradio_app, verbose=False) as client:
        with warnings.catch_warnings():
            warnings.simplefilter("error", StubMismatchWarning)
            module.Api(client)  # the same app: silent
        # a stub whose recorded /calculator differs: the warning names it
        text = (stub_dir / "api_kitchen_sink.py").read_text()
        recorded = module.Api.ENDPOINT_HASHES["/calculator"]
        edited = tmp_path / "api_edited.py"
        edited.write_text(text.replace(repr(recorded), repr("0" * 16))
                          .replace(module.Api.API_HASH, "sha256:" + "0" * 32))
        with pytest.warns(StubMismatchWarning, match=r"changed: /calculator") as record:
            _import(edited).Api(client)
        assert record[0].filename == __file__  # it points at the caller's line
    with Client(app_urls["interface"], verbose=False) as other:  # another app altogether
        with pytest.warns(StubMismatchWarning, match=r"removed: .*/calculator.*new: /predict"):
            module.Api(other)


def test_cli_writes_the_module(gradio_app: str, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "app_api.py"
    assert cli_main(["stubs", gradio_app, "--output", str(out)]) == 0
    assert "wrote" in capsys.readouterr().err
    with Client(gradio_app, verbose=False) as client:
        assert out.read_text() == generate(client, source=gradio_app)
    header = out.read_text().split('"""', 2)[1]
    assert f"Source: {gradio_app}" in header and "Gradio version: 6." in header
    assert "API hash: sha256:" in header
    # an unwritable output is a one-line error and exit status 1
    assert cli_main(["stubs", gradio_app, "--output", str(tmp_path)]) == 1
    assert "cannot write" in capsys.readouterr().err


def test_mypy_rejects_wrong_arguments(stub_dir: Path) -> None:
    """The types are enforced: a Literal outside the choices and a str for a number fail."""
    use = stub_dir / "use_wrong.py"
    use.write_text(
        "from api_kitchen_sink import Api\n\n\n"
        "def f(api: Api) -> None:\n"
        "    api.calculator(1, 'modulo', 2)\n"
        "    api.add('one')\n"
        "    x: int = api.echo('s')\n"
        "    api.calculator(1, 'add', 2).upper()\n")
    proc = subprocess.run([PYTHON, "-m", "mypy", "--strict", "--no-incremental", use.name],
                          cwd=stub_dir, capture_output=True, text=True, timeout=600)
    errors = [ln for ln in proc.stdout.splitlines() if ": error:" in ln]
    lines = sorted({int(ln.split(":")[1]) for ln in errors})
    assert lines == [5, 6, 7, 8], proc.stdout


# ----------------------------------------------------------------- identifier property
_names = st.text(alphabet=st.characters(codec="utf-8"), max_size=12).map(lambda s: "/" + s)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_names, st.sampled_from(
    ["/lambda", "/class", "/match", "/str", "/close", "/submit_x", "/x", "/_select",
     "/select", "/1st", "/", "/__init__", "/client", "/submit_submit_x", "/x_2"])), max_size=12))
def test_method_names_are_valid_unique_identifiers(api_names: list[str]) -> None:
    names = method_names(api_names)
    assert set(names) == set(api_names)
    every = [n for m in names.values() for n in (m, "submit_" + m)]
    assert len(every) == len(set(every))  # unique, submit_ variants included
    for n in every:
        assert n.isidentifier() and n.isascii(), n
        assert not keyword.iskeyword(n) and not keyword.issoftkeyword(n), n
        assert n not in RESERVED_METHODS, n
    assert method_names(api_names) == names  # deterministic


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=8), max_size=8))
def test_parameter_names_are_valid_unique_identifiers(raw: list[str]) -> None:
    names = parameter_names(raw)
    assert len(names) == len(raw) and len(set(names)) == len(names)
    for n in names:
        assert n.isidentifier() and n.isascii() and not keyword.iskeyword(n) and n != "self"


# ------------------------------------------------- generator property (no server needed)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                 max_size=3),
    max_leaves=8)
_FILE_SCHEMA = {"type": "object", "properties": {"path": {"type": "string"}, "meta": {
    "type": "object", "properties": {"_type": {"const": "gradio.FileData"}}}}}
_schemas = st.recursive(
    st.sampled_from([{}, {"type": "string"}, {"type": "integer"}, {"type": "number"},
                     {"type": "boolean"}, {"type": "null"}, {"type": {}}, _FILE_SCHEMA,
                     {"$ref": "#/$defs/missing"}, {"allOf": [{}, {}]}])
    | st.builds(lambda vs: {"enum": vs}, st.lists(_json, min_size=1, max_size=4))
    | st.builds(lambda v: {"const": v}, _json)
    | _json,  # anything at all
    lambda inner: st.builds(lambda s: {"type": "array", "items": s}, inner)
    | st.builds(lambda ss: {"type": "array", "prefixItems": ss}, st.lists(inner, max_size=3))
    | st.builds(lambda ss: {"anyOf": ss}, st.lists(inner, max_size=3))
    | st.builds(lambda s: {"type": "object", "additionalProperties": s}, inner)
    | st.builds(lambda ts: {"type": ts}, st.lists(st.sampled_from(
        ["string", "integer", "null", "array", "object"]), max_size=3)),
    max_leaves=6)


@st.composite
def _apps(draw: st.DrawFn) -> Any:
    from gradio_client.protocol.app import AppConfig, Endpoint, Parameter, Return

    endpoints = {}
    for i in range(draw(st.integers(0, 5))):
        params = tuple(
            Parameter(name=draw(st.none() | st.text(max_size=8)),
                      label=draw(st.none() | st.text(max_size=8)),
                      component=draw(st.none() | st.text(max_size=8)), python_type="Any",
                      description=draw(st.text(max_size=10)), has_default=draw(st.booleans()),
                      default=draw(_json), type=draw(_schemas))
            for _ in range(draw(st.integers(0, 4))))
        returns = tuple(Return(label=draw(st.none() | st.text(max_size=6)),
                               component=draw(st.none() | st.text(max_size=6)),
                               python_type="Any", description="", type=draw(_schemas))
                        for _ in range(draw(st.integers(0, 3))))
        n_in = len(params)
        endpoints[i] = Endpoint(
            fn_index=i, api_name="/" + draw(st.text(max_size=10)), visibility="public",
            inputs=tuple(range(n_in)), outputs=tuple(range(len(returns))),
            input_types=("",) * n_in, output_types=("",) * len(returns), state_inputs=(),
            skipped_inputs=(), skipped_outputs=(False,) * len(returns), file_inputs=(),
            is_generator=draw(st.booleans()), queue=True, cancels=(), connection="sse",
            backend_fn=True, batch=False,
            parameters=draw(st.none()) if draw(st.booleans()) and not n_in else params,
            returns=returns, description=draw(st.text(max_size=20)))
    return AppConfig(version=draw(st.text(max_size=6)), protocol="sse_v3", api_prefix="",
                     connect_heartbeat=True, enable_queue=True, max_file_size=None,
                     space_id=None, show_error=True, root=None, endpoints=endpoints,
                     components={})


@settings(max_examples=150, deadline=None)
@given(_apps(), st.text(max_size=20))
def test_any_app_gives_a_module_that_compiles(config: Any, source: str) -> None:
    """Whatever names, labels, defaults and schemas an app has, the module is valid Python
    whose annotations evaluate, with both methods per endpoint in both classes."""
    import ast

    from gradio_client._stubgen.render import render_module, stub_endpoints
    from gradio_client.stubs import api_hash, endpoint_hashes

    hashes = endpoint_hashes(config)
    text = render_module(config, {"source": source, "gradio_version": config.version,
                                  "api_hash": api_hash(hashes), "endpoint_hashes": hashes,
                                  "include_undocumented": False})
    text.encode("utf-8")  # writable as a file
    tree = ast.parse(text)
    namespace: dict[str, Any] = {}
    exec(compile(tree, "<stub>", "exec"), namespace)  # noqa: S102 (our own generated code)
    count = len(stub_endpoints(config, False))
    for cls in (namespace["Api"], namespace["AsyncApi"]):
        methods = [n for n, v in vars(cls).items() if inspect.isfunction(v)]
        assert len(methods) == 2 * count
        assert set(cls.ENDPOINT_HASHES) == {e.api_name for e in stub_endpoints(config, False)}
        for name in methods:
            hints = typing.get_type_hints(getattr(cls, name), globalns=namespace)
            assert "return" in hints


def test_random_apps_give_modules_that_pass_mypy_and_ruff(tmp_path: Path) -> None:
    """Forty generated apps (random names, labels, defaults, schemas): every module passes
    ``mypy --strict`` and ``ruff check``, not only the ones of the corpus."""
    from hypothesis import HealthCheck

    from gradio_client._stubgen.render import render_module
    from gradio_client.stubs import api_hash, endpoint_hashes

    count = [0]

    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(_apps())
    def write(config: Any) -> None:
        hashes = endpoint_hashes(config)
        count[0] += 1
        (tmp_path / f"api_random_{count[0]}.py").write_text(render_module(config, {
            "source": "http://127.0.0.1:1/", "gradio_version": config.version,
            "api_hash": api_hash(hashes), "endpoint_hashes": hashes,
            "include_undocumented": False}))

    write()
    results = _checked_modules(tmp_path)
    assert len(results) >= 20
    failing = {f: text for f, text in results.items() if text}
    assert not failing, failing
