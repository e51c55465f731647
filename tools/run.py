#!/usr/bin/env python3
"""One entry point for developers and CI.  Standard library only; any python3 >= 3.10.

    python3 tools/run.py test [pytest args...]   dev venv + gradio venv, pytest under coverage, mypy
    python3 tools/run.py demo                    start the example app, call it through our client
    python3 tools/run.py envs [VERSION ...] [--rebuild] [--no-probe] [--no-check] [--freeze]
                                                 build/verify gradio virtualenvs (all known pins by default):
                                                 build if needed, start the example app, call every
                                                 endpoint over the raw protocol (tools/probe_app.py);
                                                 --freeze records the env's packages in tools/pins/
    python3 tools/run.py serve [VERSION] [--auth user:pw]
                                                 start the kitchen-sink app and wait (for poking at it)
    python3 tools/run.py docs [mkdocs build args...]
                                                 build the documentation site into site/ (mkdocs
                                                 build --strict, in the docs-py3.X venv)

Why virtualenvs: this package has the same import name as the official ``gradio_client``, which the
``gradio`` server package depends on.  So gradio always lives in a virtualenv of its own and tests
start gradio apps as subprocesses from it; our package lives in the "dev" virtualenv.

Virtualenvs live outside the checkout, in ``$GCX_CACHE`` (default ``~/.cache/gcx``):

    dev-py3.11/        our package installed editable with the [test] extra
    gradio-6.31.0/     one per gradio version, with the pins from GRADIO_ENVS below

Each one carries a marker file written after a successful install.  A venv whose marker is missing or
different from what this script would install now is rebuilt; a venv whose interpreter no longer runs
is rebuilt, except that a "-ours" env whose marker differs only in the checkout's folder (CI runs
the same cache from another path) just gets this checkout installed again.  Delete a directory to
force a rebuild, or run ``envs --rebuild VERSION``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GRADIO = "6.31.0"
PINS_DIR = ROOT / "tools" / "pins"
PY_TAG = f"py{sys.version_info[0]}.{sys.version_info[1]}"

# Pins per gradio version.  Old releases declare loose lower bounds only, and today's versions of
# their dependencies break them; each set below was found by building the env, starting
# examples/apps/kitchen_sink.py in it and calling every endpoint (``tools/run.py envs`` does that).
#   "requirements": what ``pip install`` gets, in one resolver run;
#   "uninstall":    removed afterwards (packages that newer dependencies drag in and that shadow
#                   or break the old stack).
# On top of these, tools/pins/gradio-<version>.txt (when present) holds the full package set of a
# working env, passed as ``-c`` constraints so that a rebuild months later gets the same versions.
# Change a requirement: edit it here, delete tools/pins/gradio-<version>.txt, run
# ``tools/run.py envs --rebuild VERSION``, then ``tools/run.py envs --freeze VERSION``.
GRADIO_ENVS: dict[str, dict[str, list[str]]] = {
    "6.31.0": {"requirements": ["gradio==6.31.0"]},
    # newest 5.x on PyPI (`pip index versions gradio`)
    "5.50.0": {"requirements": ["gradio==5.50.0"]},
    "4.44.1": {
        "requirements": [
            "gradio==4.44.1",
            "huggingface_hub==0.25.2",
            "pydantic==2.10.6",
            "fastapi==0.115.0",
        ],
    },
    "4.21.0": {
        "requirements": [
            "gradio==4.21.0",
            "fastapi==0.109.0",
            "pydantic==2.5.3",
            "huggingface_hub==0.20.2",
        ],
    },
    "4.20.1": {
        "requirements": [
            "gradio==4.20.1",
            "fastapi==0.109.0",
            "pydantic==2.5.3",
            "huggingface_hub==0.20.2",
        ],
    },
    "4.14.0": {
        "requirements": [
            "gradio==4.14.0",
            "fastapi==0.109.0",
            "pydantic==2.5.3",
            "huggingface_hub==0.20.2",
        ],
    },
    "4.0.2": {
        "requirements": [
            "gradio==4.0.2",
            "fastapi==0.104.1",
            "pydantic==2.4.2",
            "huggingface_hub==0.18.0",
        ],
    },
    "3.50.2": {
        "requirements": [
            "gradio==3.50.2",
            "fastapi==0.104.1",
            "pydantic==2.4.2",
            "huggingface_hub==0.18.0",
        ],
        "uninstall": ["httpx2", "httpcore2"],
    },
}
# A "-ours" env is the base gradio version with the OFFICIAL gradio_client uninstalled and this
# checkout installed in its place ("then": pip install arguments run last, {ROOT} = this checkout;
# editable, so the env always runs the checkout's code).  tests/dropin/ checks gradio on it.
GRADIO_ENVS["6.31.0-ours"] = {
    "requirements": ["gradio==6.31.0", "msgspec==0.22.0", "trio==0.35.0", "trio-websocket==0.12.2",
                     "wsproto==1.3.2", "pytest==9.2.0", "pytest-trio==0.8.0", "hypothesis==6.170.17"],
    "uninstall": ["gradio_client"],
    "then": ["--no-deps", "-e", "{ROOT}"],
}
# gradio 4.44.1 and 5.50.0 on this package (tests/dropin/test_older_gradio_on_ours.py): the same
# recipe over the pins of their own entries above (tools/pins/gradio-<base version>.txt).
for _base in ("5.50.0", "4.44.1"):
    GRADIO_ENVS[f"{_base}-ours"] = {
        "requirements": [*GRADIO_ENVS[_base]["requirements"], "msgspec==0.22.0", "trio==0.35.0",
                         "trio-websocket==0.12.2", "wsproto==1.3.2"],
        "uninstall": ["gradio_client"],
        "then": ["--no-deps", "-e", "{ROOT}"],
    }
DROPIN_GRADIO = "6.31.0-ours"
OLDER_DROPIN_GRADIO = ("4.44.1-ours", "5.50.0-ours")
ALIASES = {"6": "6.31.0", "5": "5.50.0", "5.x": "5.50.0", "4": "4.44.1", "3": "3.50.2"}


# ----------------------------------------------------------------------------------- helpers
def cache_dir() -> Path:
    path = Path(os.environ.get("GCX_CACHE") or Path.home() / ".cache" / "gcx").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def gradio_venv(version: str) -> Path:
    return cache_dir() / f"gradio-{version}"


def dev_venv() -> Path:
    return cache_dir() / f"dev-{PY_TAG}"


def vpython(venv: Path) -> Path:
    return venv / "bin" / "python"


def say(msg: str) -> None:
    print(f"[run.py] {msg}", file=sys.stderr, flush=True)


def run(cmd: Sequence[object], **kw: Any) -> int:
    say("$ " + " ".join(str(c) for c in cmd))
    return subprocess.call([str(c) for c in cmd], **kw)


def check(cmd: Sequence[object], **kw: Any) -> None:
    rc = run(cmd, **kw)
    if rc != 0:
        raise SystemExit(f"[run.py] command failed with exit code {rc}: {' '.join(map(str, cmd))}")


def python_runs(python: Path) -> bool:
    if not python.exists():
        return False
    try:
        return subprocess.run([str(python), "-c", "pass"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextmanager
def locked(name: str) -> Iterator[None]:
    """Serialise builds of one venv across processes (several engineers share one cache)."""
    with open(cache_dir() / f"{name}.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another process that is building {name} ...")
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def make_venv(venv: Path) -> None:
    if venv.exists():
        say(f"removing {venv}")
        shutil.rmtree(venv)
    check([sys.executable, "-m", "venv", str(venv)])


def pip(venv: Path, *args: str) -> list[str]:
    return [str(vpython(venv)), "-m", "pip", *args]


def pip_check(venv: Path, *args: str) -> None:
    """Run pip with its output in <venv>/.gcx-pip.log; show the log's tail only if pip fails
    (GCX_VERBOSE=1 streams it).  Keeps CI logs readable: pip's config on these machines warns
    about every missing local index."""
    cmd = pip(venv, *args)
    if os.environ.get("GCX_VERBOSE"):
        check(cmd)
        return
    log = venv / ".gcx-pip.log"
    say("$ " + " ".join(cmd) + f"   (output: {log})")
    with open(log, "a") as fh:
        rc = subprocess.call(cmd, stdout=fh, stderr=subprocess.STDOUT)
    if rc != 0:
        lines = [ln for ln in log.read_text(errors="replace").splitlines()
                 if "is ignored: it is neither a file nor a directory" not in ln]
        print("\n".join(lines[-60:]), file=sys.stderr)
        raise SystemExit(f"[run.py] pip failed with exit code {rc}: {' '.join(cmd)}")


# ----------------------------------------------------------------------------- gradio envs
MARKER = ".gcx-requirements"
BUILD_INFO = ".gcx-build.json"


def resolve_version(v: str) -> str:
    v = ALIASES.get(v, v)
    if v not in GRADIO_ENVS:
        raise SystemExit(f"[run.py] unknown gradio version {v!r}; known: {', '.join(GRADIO_ENVS)}")
    return v


def base_version(version: str) -> str:
    """The gradio version of an env name ("6.31.0-ours" -> "6.31.0")."""
    return version.split("-", 1)[0]


def pins_file(version: str) -> Path:
    return PINS_DIR / f"gradio-{base_version(version)}.txt"


def marker_text(version: str) -> str:
    spec = GRADIO_ENVS[version]
    lines = [f"# gradio env {version} ({PY_TAG}); written by tools/run.py after a successful install"]
    lines += spec["requirements"]
    lines += [f"uninstall: {name}" for name in spec.get("uninstall", [])]
    if spec.get("then"):
        lines.append("then: " + " ".join(spec["then"]).format(ROOT=ROOT))
        # this checkout's dependencies may change: rebuild then (the requirements above pin them)
        lines.append("pyproject: sha256:" + hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16])
    pins = pins_file(version)
    if pins.exists():
        digest = hashlib.sha256(pins.read_bytes()).hexdigest()[:16]
        lines.append(f"constraints: {pins.relative_to(ROOT)} sha256:{digest}")
    return "\n".join(lines) + "\n"


def freeze(venv: Path) -> list[str]:
    out = subprocess.run(pip(venv, "freeze", "--all"), capture_output=True, text=True).stdout
    return [ln for ln in out.splitlines()
            if "==" in ln and not ln.startswith(("-e", "pip==", "setuptools==", "wheel=="))]


def write_pins(version: str) -> None:
    """Record a working env's full package set as its constraints file (tools/pins/)."""
    if base_version(version) != version:
        raise SystemExit(f"[run.py] {version} uses the pins of gradio {base_version(version)}; freeze that")
    venv = gradio_venv(version)
    PINS_DIR.mkdir(exist_ok=True)
    header = (f"# Every package of a working gradio {version} env ({PY_TAG}), used as pip constraints\n"
              f"# by tools/run.py so rebuilds get the same set.  Regenerate: tools/run.py envs --freeze {version}\n")
    pins_file(version).write_text(header + "\n".join(sorted(freeze(venv), key=str.lower)) + "\n")
    (venv / MARKER).write_text(marker_text(version))
    say(f"wrote {pins_file(version)}")


def installed_versions(python: Path, dists: list[str]) -> dict[str, str | None]:
    """Versions of distributions installed for ``python`` (None: missing), in one subprocess."""
    code = ("import json, sys\nfrom importlib import metadata\nout = {}\n"
            "for d in sys.argv[1:]:\n"
            "    try: out[d] = metadata.version(d)\n"
            "    except metadata.PackageNotFoundError: out[d] = None\n"
            "print(json.dumps(out))")
    proc = subprocess.run([str(python), "-c", code, *dists], capture_output=True, text=True,
                          cwd=python.parent.parent, env=gradio_env_vars())
    if proc.returncode != 0:
        return dict.fromkeys(dists)
    result: dict[str, str | None] = json.loads(proc.stdout)
    return result


def installed_version(python: Path, dist: str) -> str | None:
    return installed_versions(python, [dist])[dist]


def gradio_env_vars() -> dict[str, str]:
    """Environment for running a gradio venv's python: never with this checkout importable, as
    our ``gradio_client`` would shadow the official one that gradio imports."""
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
    env.pop("PYTHONPATH", None)
    return env


def import_gradio(python: Path) -> str | None:
    """Import gradio for real (slow: 5-10 s) and return its __version__, or None."""
    # cwd: `python -c` puts the cwd first on sys.path, and the cwd may be this checkout
    proc = subprocess.run(
        [str(python), "-c", "import gradio; print(gradio.__version__)"],
        capture_output=True, text=True, env=gradio_env_vars(), cwd=python.parent.parent,
    )
    if proc.returncode != 0:
        say(f"import gradio failed:\n{proc.stderr[-3000:]}")
        return None
    return proc.stdout.strip().splitlines()[-1]


def _without_then(marker: str) -> list[str]:
    """A marker's lines but the "then:" one (which names the checkout's folder)."""
    return [line for line in marker.splitlines() if not line.startswith("then: ")]


def ensure_gradio(version: str, rebuild: bool = False) -> Path:
    """Return the python of a working venv for this gradio version, building it if needed."""
    version = resolve_version(version)
    venv = gradio_venv(version)
    python = vpython(venv)
    marker = venv / MARKER
    want = marker_text(version)
    with locked(venv.name):
        if not rebuild and python_runs(python):
            have = marker.read_text() if marker.exists() else None
            if have == want and installed_version(python, "gradio") == base_version(version):
                return python
            if (have is not None and _without_then(have) == _without_then(want)
                    and installed_version(python, "gradio") == base_version(version)):
                # Only the checkout moved (CI runs the same cache from another folder): point
                # the env's editable install at this checkout, seconds instead of minutes.
                say(f"{venv}: installing this checkout ({ROOT}) in place of the one it had")
                pip_check(venv, "install", *[a.format(ROOT=ROOT) for a in GRADIO_ENVS[version]["then"]])
                marker.write_text(want)
                return python
            if have is None and import_gradio(python) == base_version(version):
                # Built by hand before this script existed (or its marker was lost): adopt it.
                say(f"adopting existing {venv} (import gradio works); writing its marker")
                marker.write_text(want)
                return python
            say(f"{venv} is out of date or broken; rebuilding")
        build_gradio(version, venv)
    return python


def build_gradio(version: str, venv: Path) -> None:
    spec = GRADIO_ENVS[version]
    t0 = time.monotonic()
    say(f"building gradio {version} in {venv} (old versions take several minutes)")
    make_venv(venv)
    pins = pins_file(version)
    constraints = ["-c", str(pins)] if pins.exists() else []
    pip_check(venv, "install", *constraints, *spec["requirements"])
    if spec.get("uninstall"):
        pip_check(venv, "uninstall", "-y", *spec["uninstall"])
    if spec.get("then"):
        pip_check(venv, "install", *[a.format(ROOT=ROOT) for a in spec["then"]])
    got = import_gradio(vpython(venv))
    if got != base_version(version):
        raise SystemExit(f"[run.py] gradio {version} env built but `import gradio` gave {got!r}")
    elapsed = time.monotonic() - t0
    (venv / BUILD_INFO).write_text(json.dumps(
        {"version": version, "python": PY_TAG, "build_seconds": round(elapsed, 1),
         "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "freeze": freeze(venv)},
        indent=1))
    (venv / MARKER).write_text(marker_text(version))
    say(f"gradio {version} env ready in {elapsed:.0f} s")


# --------------------------------------------------------------------------------- dev env
DEV_MARKER = ".gcx-dev"


def dev_marker_text() -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    return json.dumps({"pyproject_sha256": digest, "checkout": str(ROOT), "python": PY_TAG}) + "\n"


def ensure_dev() -> Path:
    venv = dev_venv()
    python = vpython(venv)
    marker = venv / DEV_MARKER
    want = dev_marker_text()
    with locked(venv.name):
        if python_runs(python):
            if marker.exists() and marker.read_text() == want and all(
                    installed_versions(python, ["gradio_client", "pytest", "coverage", "mypy"]).values()):
                return python
            say(f"pyproject.toml or checkout changed (or packages went missing): reinstalling into {venv}")
        else:
            t0 = time.monotonic()
            say(f"creating dev venv {venv}")
            make_venv(venv)
            say(f"  venv created in {time.monotonic() - t0:.0f} s")
        t0 = time.monotonic()
        # editable, so the venv always sees this checkout's code; pytest also runs from ROOT
        pip_check(venv, "install", "-e", f"{ROOT}[test]")
        marker.write_text(want)
        say(f"dev venv ready ({time.monotonic() - t0:.0f} s for pip install -e '.[test]')")
    return python


# -------------------------------------------------------------------------------- commands
def child_env(gradio_python: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["GCX_GRADIO_PYTHON"] = str(gradio_python)
    env["GCX_CACHE"] = str(cache_dir())
    env.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    env.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    return env


DEPLOY_PACKAGES = ("nginx", "haproxy", "squid")  # tests/deploy: real proxies (Debian packages)


def ensure_deploy_packages() -> None:
    """Install nginx, haproxy and squid for tests/deploy when they are missing (as root, with
    apt-get; no service is started).  Elsewhere those tests skip, saying why."""
    missing = [p for p in DEPLOY_PACKAGES
               if not (shutil.which(p) or Path(f"/usr/sbin/{p}").exists())]
    if not missing:
        return
    if not shutil.which("apt-get") or os.geteuid() != 0:
        say(f"{', '.join(missing)} missing and not installable here (needs root and apt-get): "
            "tests/deploy will skip those setups")
        return
    say(f"installing {', '.join(missing)} for tests/deploy (apt-get) ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    policy = Path("/usr/sbin/policy-rc.d")  # keep the packages from starting system services
    added = not policy.exists()
    if added:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        if run(["apt-get", "update"], env=env) == 0:
            run(["apt-get", "install", "-y", "--no-install-recommends", *missing], env=env)
    finally:
        if added:
            policy.unlink(missing_ok=True)


def cmd_test(args: list[str]) -> int:
    t0 = time.monotonic()
    ensure_deploy_packages()
    dev = ensure_dev()
    gradio_python = ensure_gradio(DEFAULT_GRADIO)
    # Extra gradio versions for cross-version tests: GCX_TEST_GRADIO_VERSIONS="4.44.1 3.50.2"
    for v in os.environ.get("GCX_TEST_GRADIO_VERSIONS", "").split():
        ensure_gradio(v)
    dropin_python = ensure_gradio(DROPIN_GRADIO)  # tests/dropin/: gradio on this package
    # tests/dropin/test_older_gradio_on_ours.py: gradio 4.44.1 and 5.50.0 on this package,
    # beside the same versions on the official client
    older = {v: ensure_gradio(v) for v in OLDER_DROPIN_GRADIO}
    for v in OLDER_DROPIN_GRADIO:
        ensure_gradio(base_version(v))
    say(f"environments ready in {time.monotonic() - t0:.0f} s")
    env = child_env(gradio_python)
    env["GCX_DROPIN_PYTHON"] = str(dropin_python)
    for v, python in older.items():  # GCX_DROPIN_PYTHON_4_44_1, GCX_DROPIN_PYTHON_5_50_0
        env["GCX_DROPIN_PYTHON_" + base_version(v).replace(".", "_")] = str(python)

    rc = run([dev, "-m", "coverage", "run", "-m", "pytest", *args], cwd=ROOT, env=env)
    if rc == 5:
        say("pytest collected no tests: that counts as a failure")
    run([dev, "-m", "coverage", "report", "--include", f"{ROOT}/gradio_client/protocol/*"],
        cwd=ROOT, env=env)  # informational only

    mypy_rc = 0
    if any((ROOT / "gradio_client").rglob("*.py")):
        mypy_rc = run([dev, "-m", "mypy"], cwd=ROOT, env=env)
    else:
        say("no .py files under gradio_client/: skipping mypy")
    say(f"pytest exit {rc}, mypy exit {mypy_rc}; total {time.monotonic() - t0:.0f} s")
    return rc if rc != 0 else mypy_rc


def _harness() -> ModuleType:
    sys.path.insert(0, str(ROOT))
    from tests.servers import gradio_server

    return gradio_server


def cmd_demo(args: list[str]) -> int:
    dev = ensure_dev()
    gradio_python = ensure_gradio(DEFAULT_GRADIO)
    harness = _harness()
    say("starting examples/apps/kitchen_sink.py ...")
    app = harness.start_app(DEFAULT_GRADIO, python=str(gradio_python))
    try:
        say(f"app is up at {app.url}")
        return run([dev, str(ROOT / "examples" / "demo.py"), app.url, *args],
                   cwd=ROOT, env=child_env(gradio_python))
    finally:
        app.stop()


def cmd_envs(args: list[str]) -> int:
    rebuild = "--rebuild" in args
    if "--freeze" in args:
        for v in [a for a in args if not a.startswith("--")]:
            ensure_gradio(v)
            write_pins(resolve_version(v))
        return 0
    smoke = "--no-check" not in args
    probe = smoke and "--no-probe" not in args
    versions = [a for a in args if not a.startswith("--")] or list(GRADIO_ENVS)
    harness = _harness() if smoke else None
    rows: list[dict[str, Any]] = []
    failed = False
    for v in versions:
        v = resolve_version(v)
        t0 = time.monotonic()
        row: dict[str, Any] = {"version": v}
        try:
            python = ensure_gradio(v, rebuild=rebuild)
            row["ensure_s"] = round(time.monotonic() - t0, 1)
            info = gradio_venv(v) / BUILD_INFO
            if info.exists():
                row["build_s"] = json.loads(info.read_text()).get("build_seconds")
            if harness is not None:
                t1 = time.monotonic()
                app = harness.start_app(v, python=str(python))
                try:
                    config = harness.get_json(app.url + "config")
                    row["startup_s"] = round(time.monotonic() - t1, 1)
                    row["config_version"] = config.get("version")
                    row["protocol"] = config.get("protocol", "(absent)")
                    row["api_prefix"] = config.get("api_prefix", "(absent)")
                    row["dependencies"] = len(config.get("dependencies", []))
                    if probe:
                        # every endpoint over the raw wire protocol (tools/probe_app.py)
                        t2 = time.monotonic()
                        rc = run([python, str(ROOT / "tools" / "probe_app.py"), app.url],
                                 cwd=gradio_venv(v), env=gradio_env_vars())
                        row["probe"] = "ok" if rc == 0 else f"FAILED (exit {rc})"
                        row["probe_s"] = round(time.monotonic() - t2, 1)
                        failed = failed or rc != 0
                finally:
                    app.stop()
            row["ok"] = row.get("probe", "ok") == "ok"
        except (Exception, SystemExit) as exc:  # report every version, then fail at the end
            row["ok"] = False
            row["error"] = str(exc)[-2000:]
            failed = True
        rows.append(row)
        say(json.dumps(row))
    print("\ngradio environments:")
    for row in rows:
        print("  " + json.dumps(row))
    return 1 if failed else 0


DOCS_MARKER = ".gcx-docs"


def docs_venv() -> Path:
    return cache_dir() / f"docs-{PY_TAG}"


def ensure_docs() -> Path:
    """The docs venv: this checkout (editable) with the [docs] extra (mkdocs, Material,
    mkdocstrings).  Rebuilt when pyproject.toml changes, like the dev venv."""
    venv = docs_venv()
    python = vpython(venv)
    marker = venv / DOCS_MARKER
    want = dev_marker_text()
    with locked(venv.name):
        if python_runs(python) and marker.exists() and marker.read_text() == want and all(
                installed_versions(python, ["mkdocs", "mkdocs-material", "mkdocstrings-python"]).values()):
            return python
        t0 = time.monotonic()
        if not python_runs(python):
            say(f"creating docs venv {venv}")
            make_venv(venv)
        pip_check(venv, "install", "-e", f"{ROOT}[docs]")
        marker.write_text(want)
        say(f"docs venv ready ({time.monotonic() - t0:.0f} s for pip install -e '.[docs]')")
    return python


def cmd_docs(args: list[str]) -> int:
    """Build the site into site/ with warnings as errors; non-zero exit on any failure."""
    t0 = time.monotonic()
    python = ensure_docs()
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")  # Material's end-of-life banner
    rc = run([python, "-m", "mkdocs", "build", "--strict", "--site-dir", str(ROOT / "site"), *args],
             cwd=ROOT, env=env)
    say(f"mkdocs build exit {rc} in {time.monotonic() - t0:.1f} s (site: {ROOT / 'site'})")
    return rc


def cmd_serve(args: list[str]) -> int:
    version = DEFAULT_GRADIO
    auth = None
    rest = list(args)
    while rest:
        a = rest.pop(0)
        if a == "--auth":
            auth = rest.pop(0)
        else:
            version = resolve_version(a)
    python = ensure_gradio(version)
    harness = _harness()

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # stop the app on SIGTERM, and on SIGINT even when started in the background (where bash
    # leaves SIGINT ignored)
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)
    app = harness.start_app(version, python=str(python), auth=auth)
    print(f"{app.url}  (gradio {version}; log: {app.log_path}; Ctrl-C stops it)", flush=True)
    try:
        while app.process.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        app.stop()
    return 0


COMMANDS = {"test": cmd_test, "demo": cmd_demo, "envs": cmd_envs, "serve": cmd_serve,
            "docs": cmd_docs}


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 10):
        raise SystemExit("tools/run.py needs python >= 3.10")
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
