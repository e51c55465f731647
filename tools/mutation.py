#!/usr/bin/env python3
"""Mutation testing of the protocol core (gradio_client/protocol/) with mutmut.  Stdlib only.

    python3 tools/mutation.py run sse diff          mutate these modules, run their tests
    python3 tools/mutation.py run 'app/*'           a glob under gradio_client/protocol/
    python3 tools/mutation.py report [--markdown]   per module: mutants, killed, survived, ...
    python3 tools/mutation.py survivors [MODULE]    each surviving mutant with its diff
    python3 tools/mutation.py show NAME             one mutant's diff
    python3 tools/mutation.py check --tests T.py NAME...  apply each mutant by hand to a
                                                    second clone and run tests T.py of the
                                                    checkout on it: killed or survived

Options of ``run``: ``--workdir DIR`` (default /tmp/gcx-mutation), ``--rev REV`` (default
HEAD), ``--max-children N`` (default 2), ``--fresh`` (forget earlier results).

What it does, so that a run can be repeated exactly:

* mutmut never runs in the checkout: ``run`` makes (or updates) a git clone of the commit
  ``--rev`` in ``WORKDIR/<module>`` (uncommitted changes are not part of it) and runs
  there, one folder per module (mutmut ties its results to the test selection).
* mutmut 3.8.1 lives in a virtualenv of its own, ``$GCX_CACHE/mut-py3.X`` (default
  ``~/.cache/gcx``), built on first use with the pins in ``MUT_REQUIREMENTS``.
* Its configuration is written as ``setup.cfg`` into the clone (pyproject.toml has no
  ``[tool.mutmut]`` section, so mutmut reads setup.cfg): the mutated files are the modules
  named on the command line; the tests are the module's own (``OWN_TESTS``, plus any
  ``tests/protocol/test_mutants_<module>*.py``), or for a module without tests of its own
  every pure test, ``tests/protocol/`` and ``tests/test_core_purity.py``.  No Gradio
  server, no network.
* Hypothesis runs with a fixed profile (``_mutation_hypothesis.py``, loaded as a pytest
  plugin): derandomized (the same examples on every run), no example database, at most 30
  examples per property (also for a test that asks for more), no deadline and no health
  checks (mutmut's trampolines slow every call, and a slow-but-correct mutant must not
  count as killed).  ``check`` runs a survivor's tests with the same profile.
* Everything runs under ``nice -n 19``; mutmut's own timeout is CPU time, not wall time.

A mutant's status is mutmut's: killed (a test failed), survived (every test passed),
timeout (over 15x the CPU time of its tests), no tests (no selected test reaches it).
docs/mutation.md lists the results and explains every survivor.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("GCX_CACHE", Path.home() / ".cache" / "gcx"))
VENV = CACHE / f"mut-py{sys.version_info[0]}.{sys.version_info[1]}"
DEFAULT_WORKDIR = Path("/tmp/gcx-mutation")
CORE = "gradio_client/protocol"
# The tests run against a module's mutants: its own tests (fast; every mutant runs its
# tests, so the whole suite per mutant would take hours on a shared machine), including the
# test_mutants_* files written for its survivors.  ``run --tests`` overrides.
OWN_TESTS = {
    "sse": ["tests/protocol/test_sse.py", "tests/protocol/test_sse_properties.py"],
    "diff": ["tests/protocol/test_diff.py"],
    "batch": ["tests/protocol/test_batch_scheduler.py"],
    "connect": ["tests/protocol/test_connect.py"],
    "pytypes": ["tests/protocol/test_pytypes.py"],
    "app": ["tests/protocol/test_api.py", "tests/protocol/test_api_calls.py",
            "tests/protocol/test_config_degrade.py", "tests/protocol/test_info_document.py"],
    "job": ["tests/protocol/test_job.py"],
    # the queue machine (queue/*): its example, edge, table and property tests
    "queue": ["tests/protocol/test_machine.py", "tests/protocol/test_machine_edges.py",
              "tests/protocol/test_machine_table.py", "tests/protocol/test_machine_properties.py",
              "tests/protocol/test_stream_budget.py", "tests/protocol/test_stream_budget_properties.py"],
    # no test file of their own: the machine's example tests, and the messages fuzz target
    "messages": ["tests/protocol/test_machine.py", "tests/protocol/test_machine_edges.py",
                 "fuzz/fuzz_messages.py"],
    "status": ["tests/protocol/test_machine.py", "tests/protocol/test_machine_edges.py",
               "tests/protocol/test_job.py"],
}
ALL_TESTS = ["tests/protocol", "tests/test_core_purity.py"]  # errors, actions

MUT_REQUIREMENTS = [
    "mutmut==3.8.1",
    # the tests' and the package's own dependencies (mutmut imports the mutated copy)
    "pytest==9.2.0",
    "hypothesis==6.170.17",
    "pytest-trio==0.8.0",
    "trio==0.35.0",
    "trio-websocket==0.12.2",
    "httpx==0.28.1",
    "msgspec==0.22.0",
    "sniffio==1.3.1",
    "wsproto==1.3.2",
]

PLUGIN = '''"""Hypothesis settings of a mutation run (written by tools/mutation.py)."""
from hypothesis import HealthCheck, settings

settings.register_profile(
    "mutation",
    derandomize=True,
    database=None,
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)
settings.load_profile("mutation")

CAP = 30  # a test that asks for more examples gets this many in a mutation run


def _capped(chosen):
    if chosen is None or chosen.max_examples <= CAP:
        return chosen
    return settings(chosen, max_examples=CAP, derandomize=True, database=None, deadline=None)


def pytest_collection_modifyitems(items):
    """Tests that set their own (larger) count: @settings on a @given test, or a stateful
    TestCase's ``settings`` attribute."""
    for item in items:
        test = getattr(item, "obj", None)
        own = getattr(test, "_hypothesis_internal_use_settings", None)
        if getattr(test, "is_hypothesis_test", False) and own is not None:
            test._hypothesis_internal_use_settings = _capped(own)
        cls = getattr(item, "cls", None)
        if cls is not None and isinstance(getattr(cls, "settings", None), settings):
            cls.settings = _capped(cls.settings)
'''

STATUS_BY_CODE = {
    1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
    36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout",
    37: "caught by type check", None: "not checked",
}
COLUMNS = ["mutants", "killed", "survived", "timeout", "no tests", "not checked", "other"]


def _mutmut() -> Path:
    exe = VENV / "bin" / "mutmut"
    marker = VENV / ".gcx-mutation"
    wanted = "\n".join(MUT_REQUIREMENTS)
    if not exe.exists() or not marker.exists() or marker.read_text() != wanted:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, *MUT_REQUIREMENTS], check=True)
        marker.write_text(wanted)
    return exe


def _files(modules: list[str]) -> list[str]:
    """Module names (``sse``, ``app/config``, ``queue/*``) as paths under the core."""
    out = []
    for name in modules:
        name = name.removesuffix(".py")
        if not list((ROOT / CORE).glob(name + ".py")) and not name.endswith("*"):
            raise SystemExit(f"no module {CORE}/{name}.py in this checkout")
        out.append(f"{CORE}/{name}.py")
    return out


def _tests(module: str) -> list[str]:
    stem = module.removesuffix(".py").split("/")[0].rstrip("*")
    own = OWN_TESTS.get(stem)
    if own is None:
        return ALL_TESTS
    extra = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "protocol").glob(f"test_mutants_{stem}*.py"))
    return own + extra


def _slug(module: str) -> str:
    return module.removesuffix(".py").replace("/", "-").replace("*", "all")


def _setup_cfg(files: list[str], tests: list[str]) -> str:
    lines = ["[mutmut]", "source_paths = gradio_client", "only_mutate ="]
    lines += [f"    {f}" for f in files]
    lines += ["also_copy =", "    _mutation_hypothesis.py", "    fuzz/", "pytest_add_cli_args_test_selection ="]
    lines += [f"    {t}" for t in tests]
    lines += ["pytest_add_cli_args ="]
    lines += [f"    {a}" for a in ["-p", "no:cacheprovider", "-p", "_mutation_hypothesis"]]
    return "\n".join(lines) + "\n"


def _git(workdir: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(workdir), *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


def _prepare(workdir: Path, rev: str, fresh: bool) -> str:
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", rev], check=True, capture_output=True, text=True
    ).stdout.strip()
    if not (workdir / ".git").exists():
        subprocess.run(["git", "clone", "-q", "--no-checkout", str(ROOT), str(workdir)], check=True)
    _git(workdir, "fetch", "-q", str(ROOT), "HEAD")  # brings every commit up to HEAD
    _git(workdir, "checkout", "-q", "--force", "--detach", commit)
    if fresh and (workdir / "mutants").exists():
        subprocess.run(["rm", "-rf", str(workdir / "mutants")], check=True)
    return commit


def run(args: argparse.Namespace) -> int:
    """Each module in a clone of its own (``WORKDIR/<module>``): mutmut's results are tied
    to its test selection, which differs per module."""
    exe = _mutmut()
    code = 0
    for module in args.modules:
        files = _files([module])
        tests = args.tests or _tests(module)
        workdir = Path(args.workdir) / _slug(module)
        commit = _prepare(workdir, args.rev, args.fresh)
        (workdir / "setup.cfg").write_text(_setup_cfg(files, tests))
        (workdir / "_mutation_hypothesis.py").write_text(PLUGIN)
        (workdir / "mutation-commit.txt").write_text(commit + "\n")
        print(f"mutmut on {commit[:10]} in {workdir}: {' '.join(files)}; tests {' '.join(tests)}", flush=True)
        cmd = ["nice", "-n", "19", str(exe), "run", "--max-children", str(args.max_children)]
        returncode = subprocess.run(cmd, cwd=workdir, check=False).returncode
        code = code or returncode  # a module that fails must not skip the next ones
    return code or report(args)


def _results(base: Path) -> dict[str, dict[str, str]]:
    """Per mutated file: mutant name -> status, from mutmut's .meta files of every module's
    work folder."""
    out: dict[str, dict[str, str]] = {}
    for workdir in sorted(p for p in base.iterdir() if (p / "mutants").is_dir()):
        core = workdir / "mutants" / CORE
        for meta in sorted(core.rglob("*.py.meta")):
            codes = json.loads(meta.read_text())["exit_code_by_key"]
            module = str(meta.relative_to(core)).removesuffix(".py.meta")
            out[module] = {k: STATUS_BY_CODE.get(v, "other") for k, v in codes.items()}
    return out


def _workdir_of(base: Path, name: str) -> Path:
    """The work folder that holds mutant ``name`` (gradio_client.protocol.sse.x_feed__mutmut_1)."""
    module = name.removeprefix(CORE.replace("/", ".") + ".").split(".x")[0].split(".")
    for slug in ("-".join(module), module[0] + "-all", module[0]):
        if (base / slug / "mutants").exists():
            return base / slug
    raise SystemExit(f"no work folder in {base} holds {name}")


def report(args: argparse.Namespace) -> int:
    workdir = Path(args.workdir)
    results = _results(workdir)
    if not results:
        print(f"no results in {workdir}/mutants", file=sys.stderr)
        return 1
    commits = {p.read_text().strip()[:10] for p in workdir.glob("*/mutation-commit.txt")}
    print(f"results in {workdir} (commits {', '.join(sorted(commits))})")
    rows = []
    for module, statuses in results.items():
        count = Counter(s if s in COLUMNS else "other" for s in statuses.values())
        rows.append([module, str(len(statuses))] + [str(count[c]) for c in COLUMNS[1:]])
    if getattr(args, "markdown", False):
        print("| module | " + " | ".join(COLUMNS) + " |")
        print("|---" * (len(COLUMNS) + 1) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        print(f"{'module':<16}" + "".join(f"{c:>12}" for c in COLUMNS))
        for row in rows:
            print(f"{row[0]:<16}" + "".join(f"{c:>12}" for c in row[1:]))
    return 0


def survivors(args: argparse.Namespace) -> int:
    workdir = Path(args.workdir)
    for module, statuses in _results(workdir).items():
        if args.module and module != args.module:
            continue
        for name, status in statuses.items():
            if status in ("survived", "timeout", "no tests"):
                print(f"## {name}: {status}", flush=True)
                subprocess.run([str(_mutmut()), "show", name], cwd=_workdir_of(workdir, name), check=False)
    return 0


def show(args: argparse.Namespace) -> int:
    workdir = _workdir_of(Path(args.workdir), args.name)
    return subprocess.run([str(_mutmut()), "show", args.name], cwd=workdir, check=False).returncode


# Prints the path of a mutant's file, a newline, and the file's text with the mutant applied
# (what ``mutmut apply`` would write over the source, which we leave alone).
_MUTATED_SOURCE = """
import sys
from mutmut.mutation import diff_apply as d
name = sys.argv[1]
path = d.find_mutant(name).path
function, cls = d.orig_function_and_class_names_from_key(name)
function = function.rpartition(".")[-1]
module = d.read_orig_module(path)


def find(body):  # mutmut's own lookup takes the first method of that name in ANY class
    for child in body:
        if cls is None and isinstance(child, d.cst.FunctionDef) and child.name.value == function:
            return child
        if cls is not None and isinstance(child, d.cst.ClassDef) and child.name.value == cls:
            return next(m for m in child.body.body
                        if isinstance(m, d.cst.FunctionDef) and m.name.value == function)
    raise SystemExit(f"no {cls or ''}.{function} in {path}")


original = find(module.body)
indexed = d.read_functions_from_index(name, path)
mutant = indexed[1] if indexed is not None else d.read_mutant_function(d.read_mutants_module(path), name)
mutant = mutant.with_changes(name=d.cst.Name(function))
print(path)
sys.stdout.write(module.deep_replace(original, mutant).code)
"""


def check(args: argparse.Namespace) -> int:
    """Apply each mutant's diff to a clean clone (``WORKDIR-check``, same commit as the run)
    and run the given test files of the checkout (committed or not) against it."""
    workdir = _workdir_of(Path(args.workdir), args.names[0])
    checkdir = Path(args.checkdir or str(workdir) + "-check")
    commit = (workdir / "mutation-commit.txt").read_text().strip()
    if not (checkdir / ".git").exists():
        subprocess.run(["git", "clone", "-q", "--no-checkout", str(ROOT), str(checkdir)], check=True)
    _git(checkdir, "fetch", "-q", str(ROOT), "HEAD")
    _git(checkdir, "checkout", "-q", "--force", "--detach", commit)
    for test in args.tests:
        target = checkdir / test
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ROOT / test).read_bytes())
    (checkdir / "_mutation_hypothesis.py").write_text(PLUGIN)  # the run's settings: no deadline
    python = str(VENV / "bin" / "python")
    survived = 0
    for name in args.names:
        for attempt in range(10):  # a running mutmut may be rewriting its .meta file
            done = subprocess.run(
                [python, "-c", _MUTATED_SOURCE, name], cwd=workdir, capture_output=True, text=True, check=False
            )
            if done.returncode == 0 or attempt == 9:
                break
            time.sleep(1)
        done.check_returncode()
        mutated = done.stdout
        path, _, source = mutated.partition("\n")
        (checkdir / path).write_text(source)
        try:
            done = subprocess.run(
                ["nice", "-n", "19", python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                 "-p", "_mutation_hypothesis", *args.tests], cwd=checkdir, capture_output=True, text=True,
                env={**os.environ, "PYTHONPATH": str(checkdir)}, check=False,
            )
        finally:
            _git(checkdir, "checkout", "-q", "--force", commit, "--", "gradio_client")
        verdict = "killed" if done.returncode == 1 else "survived" if done.returncode == 0 else (
            f"error {done.returncode}: {done.stdout[-400:]}"
        )
        survived += done.returncode == 0
        print(f"{name}: {verdict}", flush=True)
    return 1 if survived else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default=str(DEFAULT_WORKDIR))
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run")
    p.add_argument("modules", nargs="+")
    p.add_argument("--rev", default="HEAD")
    p.add_argument("--max-children", type=int, default=2)
    p.add_argument("--fresh", action="store_true")
    p.add_argument("--tests", action="append", help="a test path instead of the module's own (repeatable)")
    p.set_defaults(func=run)
    p = sub.add_parser("report")
    p.add_argument("--markdown", action="store_true")
    p.set_defaults(func=report)
    p = sub.add_parser("survivors")
    p.add_argument("module", nargs="?")
    p.set_defaults(func=survivors)
    p = sub.add_parser("show")
    p.add_argument("name")
    p.set_defaults(func=show)
    p = sub.add_parser("check")
    p.add_argument("--tests", action="append", required=True, help="a test file (repeat for more)")
    p.add_argument("--checkdir", help="the clean clone to apply mutants in (default: the run's "
                   "work folder + '-check'); two checks at once need two")
    p.add_argument("names", nargs="+")
    p.set_defaults(func=check)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
