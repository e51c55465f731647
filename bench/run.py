#!/usr/bin/env python3
"""Benchmarks: our client, the official gradio_client and a raw-httpx floor, side by side.

    python3 bench/run.py [--rounds N] [--quick] [--only M,M] [--impls I,I] [--out FILE]

Standard library only (any python3 >= 3.10).  One run:

1. makes sure the virtualenvs exist (created on first use, reused after; all under
   ``~/.cache/gcx`` or ``$GCX_CACHE``): ``bench-py3.11`` (our runtime dependencies; our
   package is this checkout, on PYTHONPATH), ``gradio-6.31.0`` (the server, via
   tools/run.py) and ``official-2.7.2`` (the official client, which has our import name and
   so needs a venv of its own);
2. starts ONE gradio 6.31.0 server with ``examples/apps/kitchen_sink.py`` on 127.0.0.1, and
   for each burst a fresh one (warmed by 20 raw predicts): a server that has served earlier
   bursts slows down (its sessions pile up), so that in one run the floor's own 200-job burst
   took 1.4 s in the first round and 4.8 s in the next, and a burst's ratio said more about
   its place in the order than about the client;
3. for each round, for each measurement, runs each implementation in a fresh subprocess
   (``bench/worker.py``), the order of implementations rotating from round to round:
   ``ours`` (sync Client, thread shell), ``trio`` (``gradio_client.aio`` if it exists),
   ``official`` (2.7.2) and ``raw`` (one keep-alive httpx.Client speaking the queue protocol
   by hand: the floor);
4. prints one table: per figure the median over rounds (worst case for lost jobs, threads and
   RSS) for each implementation; the ratios ours/official and ours/floor are medians of the
   per-round ratios (the implementations of one round run back to back, so load drift between
   rounds cancels out), and the targets are judged on those ratios.

``--quick`` (3-5 minutes, depending on the machine's load): 2 rounds, fewer calls, the
official client's 200-job burst in one round, the 1000-job burst in one round and without the
official client (which needs 60-90 s for it).  The full run (3 rounds; the 1000-job burst in
2, the official client's in 1) takes 8-10 minutes, more when the machine is busy.
``--out FILE`` also writes the facts, the table and every worker's raw result as JSON.
Exit status 0 even when targets are missed (it is a measurement, not a test); 1 if a worker of
ours failed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORKER = BENCH / "worker.py"
OFFICIAL_VERSION = "2.7.2"
GRADIO_VERSION = "6.31.0"

# A figure measured while other work kept more than this many cores busy on average (the load
# that is not the benchmark's own: see OtherLoad) is marked "not comparable": on 2 shared cores,
# other work then decides the figure more than the client does.
LOAD_LIMIT = 1.0
SERVER_PID: int | None = None  # the gradio server's, set by run_all: its CPU is ours, not "other"


class OtherLoad:
    """CPU that processes other than this benchmark's used during a measurement, in cores.

    The 1-minute load average counts the benchmark's own server and client too (a busy server
    and client alone make it about 2), so it cannot tell a quiet machine from a busy one.  This
    takes the machine's busy CPU time (/proc/stat) over the measurement and subtracts what the
    benchmark used: this process and its finished children (the worker) and the server."""

    def __init__(self, servers: list[int] | None = None) -> None:
        self.servers = servers if servers is not None else [p for p in [SERVER_PID] if p]
        self.t0 = time.monotonic()
        self.busy0, self.ours0 = self._busy(), self._ours()

    @staticmethod
    def _busy() -> float:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    def _ours(self) -> float:
        t = os.times()
        total = t.user + t.system + t.children_user + t.children_system
        for pid in self.servers:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    stat = f.read().rsplit(")", 1)[1].split()
                total += (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                pass
        return total

    def cores(self) -> float:
        wall = max(time.monotonic() - self.t0, 1e-3)
        other = (self._busy() - self.busy0) - (self._ours() - self.ours0)
        return max(0.0, other / wall)

IMPL_LABEL = {"ours": "ours (sync)", "trio": "ours (trio)", "asyncio": "ours (asyncio)",
              "official": f"official {OFFICIAL_VERSION}", "raw": "raw httpx floor"}
ASYNC_IMPLS = ("trio", "asyncio")  # the async client under each library; floor: raw-<library>


def say(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ environments


def _load_tools_run() -> Any:
    spec = importlib.util.spec_from_file_location("gcx_tools_run", ROOT / "tools" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOLS = _load_tools_run()


def runtime_dependencies() -> list[str]:
    """``[project] dependencies`` of pyproject.toml: what our client needs at run time."""
    text = (ROOT / "pyproject.toml").read_text()
    try:
        import tomllib

        return list(tomllib.loads(text)["project"]["dependencies"])
    except ImportError:  # python 3.10: the list is simple enough to read by hand
        block = text.split("\ndependencies = [", 1)[1].split("]", 1)[0]
        return [part.strip().strip('"').strip("'") for part in block.split(",") if part.strip()]


def ensure_bench_env() -> Path:
    """``$GCX_CACHE/bench-py3.X``: our runtime dependencies only; our package comes from this
    checkout through PYTHONPATH.  Separate from the dev venv, which test runs reinstall."""
    deps = runtime_dependencies()
    venv = TOOLS.cache_dir() / f"bench-{TOOLS.PY_TAG}"
    python = TOOLS.vpython(venv)
    marker = venv / ".gcx-bench"
    want = json.dumps({"dependencies": deps, "python": TOOLS.PY_TAG}) + "\n"
    with TOOLS.locked(venv.name):
        if TOOLS.python_runs(python) and marker.exists() and marker.read_text() == want:
            return python
        t0 = time.monotonic()
        say(f"creating {venv} ({', '.join(deps)})")
        TOOLS.make_venv(venv)
        TOOLS.pip_check(venv, "install", *deps)
        marker.write_text(want)
        say(f"bench env ready in {time.monotonic() - t0:.0f} s")
    return python


def ensure_official(version: str = OFFICIAL_VERSION) -> Path:
    """``$GCX_CACHE/official-<version>``: ``pip install gradio_client==<version>``, nothing else."""
    venv = TOOLS.cache_dir() / f"official-{version}"
    python = TOOLS.vpython(venv)
    marker = venv / ".gcx-official"
    want = f"gradio_client=={version} ({TOOLS.PY_TAG}); written by bench/run.py after a successful install\n"
    with TOOLS.locked(venv.name):
        if TOOLS.python_runs(python) and TOOLS.installed_version(python, "gradio_client") == version:
            if not marker.exists() or marker.read_text() != want:
                marker.write_text(want)  # built by hand: adopt it
            return python
        t0 = time.monotonic()
        say(f"creating {venv} (official gradio_client {version})")
        TOOLS.make_venv(venv)
        TOOLS.pip_check(venv, "install", f"gradio_client=={version}")
        if TOOLS.installed_version(python, "gradio_client") != version:
            raise SystemExit(f"[bench] {venv}: gradio_client {version} did not install")
        marker.write_text(want)
        say(f"official env ready in {time.monotonic() - t0:.0f} s")
    return python


def ensure_plots_env() -> Path:
    """``$GCX_CACHE/plots-py3.X``: matplotlib, for bench/plots.py."""
    venv = TOOLS.cache_dir() / f"plots-{TOOLS.PY_TAG}"
    python = TOOLS.vpython(venv)
    with TOOLS.locked(venv.name):
        if not (TOOLS.python_runs(python) and TOOLS.installed_version(python, "matplotlib")):
            say(f"creating {venv} (matplotlib)")
            TOOLS.make_venv(venv)
            TOOLS.pip_check(venv, "install", "matplotlib>=3.7")
    return python


def worker_env(impl: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
           and not k.startswith(("COVERAGE_", "PYTHONPATH", "GCX_GRADIO_PYTHON", "PYTHONDONTWRITEBYTECODE"))}
    env.update({
        # Imports must load bytecode as an installed package does.  With PYTHONDONTWRITEBYTECODE
        # (set on some machines) every module edited since its .pyc was written would be
        # compiled from source at each import.  The bench's own cache keeps the checkout clean;
        # the untimed warm-up fills it for every implementation alike.
        "PYTHONPYCACHEPREFIX": str(TOOLS.cache_dir() / "bench-pycache"),
        "NO_PROXY": "127.0.0.1,localhost,::1", "no_proxy": "127.0.0.1,localhost,::1",
        "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
        "PYTHONUNBUFFERED": "1",
    })
    if impl in ("ours", "raw") or impl.endswith(ASYNC_IMPLS):
        env["PYTHONPATH"] = str(ROOT)  # this checkout, whatever the dev venv was installed from
    return env


# ------------------------------------------------------------------------------ the plan


class Measurement:
    def __init__(self, key: str, what: str, opts: dict[str, int], timeout: float,
                 max_rounds: int | None = None, official_rounds: int | None = None,
                 best_of: int = 1, fresh_server: bool = False) -> None:
        self.best_of = best_of  # fresh processes per round; the one with the least wall time counts
        self.fresh_server = fresh_server  # each run against a server of its own (step 2)
        self.key = key
        self.what = what
        self.opts = opts
        self.timeout = timeout
        self.max_rounds = max_rounds
        self.official_rounds = official_rounds

    def runs_in(self, impl: str, round_no: int) -> bool:
        if self.what in ("paired", "genpaired") and impl not in ("ours", *ASYNC_IMPLS):
            return False
        if self.what == "burstpaired" and impl != "ours":  # the sync client's (no async floor)
            return False
        if self.max_rounds is not None and round_no >= self.max_rounds:
            return False
        if impl == "official" and self.official_rounds is not None and round_no >= self.official_rounds:
            return False
        return True


def plan(quick: bool) -> list[Measurement]:
    if quick:
        return [
            Measurement("import", "import", {}, 60, best_of=3),
            Measurement("construct", "construct", {"k": 3}, 60),
            Measurement("latency", "latency", {"n": 30, "warmup": 5}, 120),
            Measurement("paired", "paired", {"n": 30, "warmup": 5}, 120),
            Measurement("generator", "generator", {"n": 100, "k": 3}, 60),
            Measurement("genpaired", "genpaired", {"n": 100, "k": 6}, 90),
            Measurement("burst200", "burst", {"n": 200}, 120, official_rounds=1, fresh_server=True),
            Measurement("burstpaired", "burstpaired", {"n": 200, "k": 2}, 120, fresh_server=True),
            Measurement("burst1000", "burst", {"n": 1000}, 180, max_rounds=1, official_rounds=0,
                        fresh_server=True),
        ]
    return [
        Measurement("import", "import", {}, 60, best_of=5),
        Measurement("construct", "construct", {"k": 5}, 60),
        Measurement("latency", "latency", {"n": 60, "warmup": 10}, 240),
        Measurement("paired", "paired", {"n": 60, "warmup": 10}, 240),
        Measurement("generator", "generator", {"n": 100, "k": 5}, 90),
        Measurement("genpaired", "genpaired", {"n": 100, "k": 10}, 120),
        Measurement("burst200", "burst", {"n": 200}, 150, fresh_server=True),
        Measurement("burstpaired", "burstpaired", {"n": 200, "k": 4}, 240, fresh_server=True),
        Measurement("burst1000", "burst", {"n": 1000}, 300, max_rounds=2, official_rounds=1,
                    fresh_server=True),
    ]


# ------------------------------------------------------------------------------ running


def run_worker(python: Path, impl: str, m: Measurement, url: str, cwd: str) -> dict[str, Any]:
    opts = dict(m.opts, timeout=int(m.timeout))
    cmd = [str(python), str(WORKER), impl, m.what, url, *(f"{k}={v}" for k, v in opts.items())]
    load_before = os.getloadavg()[0]
    other = OtherLoad()
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=worker_env(impl), cwd=cwd, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=m.timeout + 15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return {"impl": impl, "what": m.what, "error": f"killed after {m.timeout + 15:.0f} s",
                "stderr": err[-1500:]}
    for line in reversed(out.splitlines()):
        if line.startswith("BENCH-RESULT "):
            result: dict[str, Any] = json.loads(line[len("BENCH-RESULT "):])
            if "error" in result:
                result["stderr"] = err[-1500:]
            result["process_seconds"] = round(time.monotonic() - t0, 2)
            result["load"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            result["other_load"] = round(other.cores(), 2)
            return result
    return {"impl": impl, "what": m.what, "error": f"no result (exit {proc.returncode})",
            "stderr": err[-1500:]}


def run_all(args: argparse.Namespace) -> tuple[dict[str, dict[str, list[dict[str, Any]]]], dict[str, Any]]:
    t_start = time.monotonic()
    dev = ensure_bench_env()
    gradio_python = TOOLS.ensure_gradio(GRADIO_VERSION)
    official = ensure_official()
    pythons = {"ours": dev, "trio": dev, "asyncio": dev, "raw": dev, "raw-trio": dev,
               "raw-asyncio": dev, "official": official}
    has_trio = subprocess.run(
        [str(dev), "-c", "import importlib.util, sys; "
         "sys.exit(0 if importlib.util.find_spec('gradio_client.aio') else 1)"],
        env=worker_env("ours"), capture_output=True).returncode == 0
    impls = ["ours", "trio", "asyncio", "official", "raw"] if has_trio else ["ours", "official", "raw"]
    if args.impls:
        impls = [i for i in impls if i in args.impls.split(",")]
    if not has_trio:
        say("gradio_client.aio not found: the trio client is not measured")
    measurements = [m for m in plan(args.quick)
                    if not args.only or m.key in args.only.split(",")]
    rounds = args.rounds or (2 if args.quick else 3)
    say(f"environments ready in {time.monotonic() - t_start:.0f} s")

    sys.path.insert(0, str(ROOT))
    from tests.servers import gradio_server

    facts: dict[str, Any] = {
        "command": " ".join(["python3", "bench/run.py", *sys.argv[1:]]),
        "cores": os.cpu_count(), "machine": platform.machine(),
        "kernel": platform.release(),
        "python": {}, "gradio": GRADIO_VERSION, "official": OFFICIAL_VERSION,
        "rounds": rounds, "quick": args.quick, "impls": impls,
        "loadavg_start": os.getloadavg(),
    }
    for name, py in (("dev", dev), ("official", official), ("server", gradio_python)):
        facts["python"][name] = subprocess.run(
            [str(py), "-c", "import sys; print(sys.version.split()[0])"],
            capture_output=True, text=True).stdout.strip()

    def floors(key: str) -> list[str]:
        """The async clients' own floors, measured beside them for import and latency."""
        return [f"raw-{i}" for i in impls if i in ASYNC_IMPLS] if key in ("import", "latency") else []

    results: dict[str, dict[str, list[dict[str, Any]]]] = {
        m.key: {i: [] for i in impls + floors(m.key)} for m in measurements}
    t0 = time.monotonic()
    app = gradio_server.start_app(GRADIO_VERSION, python=str(gradio_python))
    global SERVER_PID
    SERVER_PID = app.process.pid
    say(f"gradio {GRADIO_VERSION} up at {app.url} in {time.monotonic() - t0:.0f} s")
    failed_ours = False

    def measure(impl: str, m: Measurement, cwd: str) -> dict[str, Any]:
        """One worker run of ``m``, on the shared server or (``m.fresh_server``) a new one."""
        global SERVER_PID
        if not m.fresh_server:
            return run_worker(pythons[impl], impl, m, app.url, cwd)
        fresh = gradio_server.start_app(GRADIO_VERSION, python=str(gradio_python))
        SERVER_PID = fresh.process.pid
        try:
            run_worker(dev, "raw", Measurement("warm", "latency", {"n": 20, "warmup": 0}, 120),
                       fresh.url, cwd)
            return run_worker(pythons[impl], impl, m, fresh.url, cwd)
        finally:
            fresh.stop()
            SERVER_PID = app.process.pid

    with tempfile.TemporaryDirectory(prefix="gcx-bench-") as cwd:
        try:
            # untimed warm-up: the bytecode cache for every module each client loads, and the
            # server's first requests
            warm = Measurement("warm", "latency", {"n": 5, "warmup": 0}, 120)
            for impl in impls + floors("import"):
                run_worker(pythons[impl], impl, Measurement("import", "import", {}, 60), app.url, cwd)
            for impl in impls:
                run_worker(pythons[impl], impl, warm, app.url, cwd)
            run_worker(dev, "raw", Measurement("warm", "latency", {"n": 20, "warmup": 0}, 120),
                       app.url, cwd)
            for r in range(rounds):
                order = impls[r % len(impls):] + impls[:r % len(impls)]  # rotate: alternate
                for m in measurements:
                    extra = floors(m.key)
                    best: dict[str, dict[str, Any]] = {}
                    for _ in range(m.best_of - 1):  # interleaved repeats; the least wall time counts
                        for impl in order + extra:
                            if m.runs_in(impl, r):
                                res = measure(impl, m, cwd)
                                if "error" not in res and res.get("wall", 1e9) < best.get(impl, {}).get("wall", 1e9):
                                    best[impl] = res
                    for impl in order + extra:
                        if not m.runs_in(impl, r):
                            continue
                        res = measure(impl, m, cwd)
                        if impl in best and ("error" in res or best[impl]["wall"] < res.get("wall", 1e9)):
                            res = best[impl]
                        res["round"] = r
                        results[m.key][impl].append(res)
                        status = "ERROR " + res["error"] if "error" in res else "ok"
                        if "error" in res and impl in ("ours", "trio"):
                            failed_ours = True
                        say(f"round {r + 1}/{rounds} {m.key:<10} {impl:<9} {status} "
                            f"({res.get('process_seconds', '?')} s; elapsed "
                            f"{time.monotonic() - t_start:.0f} s)")
                        if "error" in res and res.get("stderr"):
                            say("  stderr tail: " + res["stderr"][-600:].replace("\n", "\n  "))
        finally:
            app.stop()
    facts["loadavg_end"] = os.getloadavg()
    facts["seconds"] = round(time.monotonic() - t_start)
    facts["failed_ours"] = failed_ours
    return results, facts


# ------------------------------------------------------------------------------ the table

# (label, measurement key, field, aggregate, scale, unit, target[, the trio column's floor])
# target: ("floor", x) ours/floor <= x; ("abs<", x) ours < x; ("abs<=", x); ("zero",);
#         ("threads", sync_max, trio_max); None
FIGURES: list[tuple[Any, ...]] = [
    ("import time (best of N processes per round)", "import", "wall", "median", 1e3, "ms", ("floor", 1.3),
     "raw-trio"),
    ("import: modules loaded", "import", "modules", "median", 1, "", None, "raw-trio"),
    ("Client(url), first in process", "construct", "first", "median", 1e3, "ms", None),
    ("Client(url), warm", "construct", "warm", "median", 1e3, "ms", None),
    ("predict latency, median", "latency", "median", "median", 1e3, "ms", ("floor", 1.15)),
    ("predict latency, p99", "latency", "p99", "median", 1e3, "ms", None),
    ("predict latency, median; async clients vs their library's floor (httpx.AsyncClient)", "latency",
     "median", "median", 1e3, "ms", None, "raw-trio"),
    ("client CPU per predict; async clients vs their library's floor", "latency", "cpu_per_call", "median", 1e3,
     "ms", None, "raw-trio"),
    ("predict latency / floor, paired in one process", "paired", "paired_ratio", "median", 1, "x",
     ("paired", 1.15)),
    ("client CPU per predict / floor, paired in one process", "paired", "paired_cpu_ratio", "median", 1, "x",
     ("paired", 1.2)),
    ("client CPU per predict", "latency", "cpu_per_call", "median", 1e3, "ms", ("abs<", 8.0)),
    ("burst 200: total", "burst200", "total", "median", 1, "s", ("floor", 1.1)),
    ("burst 200: jobs lost (worst)", "burst200", "lost", "max", 1, "", ("zero",)),
    ("burst 200: threads (peak, worst)", "burst200", "threads_peak", "max", 1, "", ("threads", 4, 1)),
    ("burst 200: peak RSS (worst)", "burst200", "peak_rss_mb", "max", 1, "MB", None),
    ("burst 200: CPU per job", "burst200", "cpu_per_job", "median", 1e3, "ms", None),
    ("burst 200: total / floor, paired in one process (sync)", "burstpaired", "paired_ratio", "median", 1,
     "x", ("paired", 1.1)),
    ("burst 200: CPU per job / floor, paired in one process (sync)", "burstpaired", "paired_cpu_ratio",
     "median", 1, "x", None),
    ("burst 1000: total", "burst1000", "total", "median", 1, "s", ("floor", 1.1)),
    ("burst 1000: jobs lost (worst)", "burst1000", "lost", "max", 1, "", ("zero",)),
    ("burst 1000: threads (peak, worst)", "burst1000", "threads_peak", "max", 1, "", ("threads", 4, 1)),
    ("burst 1000: peak RSS (worst)", "burst1000", "peak_rss_mb", "max", 1, "MB", ("abs<", 60.0)),
    ("burst 1000: CPU per job", "burst1000", "cpu_per_job", "median", 1e3, "ms", None),
    ("generator 100: first output (median of k calls)", "generator", "first", "median", 1e3, "ms", None),
    ("generator 100: last output (median of k calls)", "generator", "last", "median", 1e3, "ms", ("floor", 1.1)),
    ("generator 100: client CPU per output (the call's CPU / 100)", "generator", "cpu_per_output", "median",
     1e3, "ms", ("abs<", 0.2)),
    ("generator 100: outputs seen (worst)", "generator", "outputs", "min", 1, "", None),
    ("generator 100: last output / floor, paired in one process", "genpaired", "paired_ratio", "median", 1,
     "x", ("paired", 1.1)),
    ("generator 100: CPU per output / floor, paired in one process", "genpaired", "paired_cpu_ratio",
     "median", 1, "x", None),
]


def aggregate(runs: list[dict[str, Any]], field: str, how: str) -> float | None:
    values = [r[field] for r in runs if "error" not in r and isinstance(r.get(field), (int, float))]
    if not values:
        return None
    if how == "max":
        return max(values)
    if how == "min":
        return min(values)
    return statistics.median(values)


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "" and float(value).is_integer():
        return str(int(value))
    if unit == "x":
        return f"{value:.2f}x"
    if abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def target_text(target: Any, unit: str) -> str:
    if target is None:
        return ""
    kind = target[0]
    if kind in ("floor", "paired"):
        return f"<= {target[1]}x floor"
    if kind in ("abs<", "abs<="):
        return f"{kind[3:]} {target[1]:g} {unit}".strip()
    if kind == "zero":
        return "0"
    if kind == "threads":
        return f"sync <= {target[1]}, trio {target[2]}"
    return ""


def round_ratio(runs_a: list[dict[str, Any]], runs_b: list[dict[str, Any]], field: str,
                how: str) -> float | None:
    """Median over rounds of a/b taken within the same round (the machine's load drifts from
    round to round; within a round the implementations ran back to back).  Worst-case
    figures (max/min) compare the aggregates instead."""
    def good(r: dict[str, Any]) -> bool:
        return "error" not in r and isinstance(r.get(field), (int, float))

    if how != "median":
        a, b = aggregate(runs_a, field, how), aggregate(runs_b, field, how)
        return a / b if a is not None and b else None
    by_round = {r["round"]: r[field] for r in runs_b if good(r)}
    ratios = [r[field] / by_round[r["round"]] for r in runs_a
              if good(r) and by_round.get(r["round"])]
    if ratios:
        return statistics.median(ratios)
    a, b = aggregate(runs_a, field, how), aggregate(runs_b, field, how)
    return a / b if a is not None and b else None


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def verdict(target: Any, value: float | None, floor_ratio: float | None, impl: str) -> str | None:
    if target is None or value is None:
        return None
    kind = target[0]
    if kind == "floor":
        if floor_ratio is None:
            return None
        ok = floor_ratio <= target[1]
    elif kind == "paired":
        ok = value <= target[1]
    elif kind == "abs<":
        ok = value < target[1]
    elif kind == "abs<=":
        ok = value <= target[1]
    elif kind == "zero":
        ok = value == 0
    elif kind == "threads":
        ok = value <= (target[2] if impl in ASYNC_IMPLS else target[1])
    else:
        return None
    return "pass" if ok else "MISS"


def table(results: dict[str, dict[str, list[dict[str, Any]]]], impls: list[str]) -> tuple[str, list[str]]:
    asyncs = [i for i in ASYNC_IMPLS if i in impls]
    cols = ["figure", IMPL_LABEL["ours"], *(IMPL_LABEL[a] for a in asyncs),
            IMPL_LABEL["official"], IMPL_LABEL["raw"], "ours/official", "ours/floor",
            *(f"{a}/floor" for a in asyncs), "target (ours)", "result", "other load (max)"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    misses: list[str] = []
    for label, key, field, how, scale, unit, target, *rest in FIGURES:
        if key not in results:
            continue
        own_floor = bool(rest)  # the async clients are compared with their own library's floor
        runs = {impl: results[key].get(impl, [])
                for impl in ("ours", *asyncs, "official", "raw", *(f"raw-{a}" for a in asyncs))}
        vals: dict[str, float | None] = {}
        for impl, impl_runs in runs.items():
            raw_value = aggregate(impl_runs, field, how)
            vals[impl] = raw_value * scale if raw_value is not None else None
        floor_of = {"ours": "raw"}
        for a in asyncs:
            floor_of[a] = f"raw-{a}" if own_floor and vals.get(f"raw-{a}") is not None else "raw"
        ratios = {impl: round_ratio(runs[impl], runs[floor_of[impl]], field, how)
                  for impl in ("ours", *asyncs)}
        row = [label, fmt(vals["ours"], unit), *(fmt(vals[a], unit) for a in asyncs)]
        floor_text = fmt(vals["raw"], unit)
        own = [f"{a}'s: {fmt(vals[f'raw-{a}'], unit)}" for a in asyncs if floor_of[a] != "raw"]
        if own:
            floor_text += f" ({'; '.join(own)})"
        if unit == "x":  # already a ratio to the floor
            floor_text = "1 (by definition)"
        row += [fmt(vals["official"], unit), floor_text]
        if unit == "x":
            row += ["", fmt(vals["ours"], unit), *(fmt(vals[a], unit) for a in asyncs)]
        else:
            row += [fmt_ratio(round_ratio(runs["ours"], runs["official"], field, how)),
                    fmt_ratio(ratios["ours"]), *(fmt_ratio(ratios[a]) for a in asyncs)]
        verdicts = []
        for impl in ("ours", *asyncs):
            v = verdict(target, vals[impl], ratios[impl], impl)
            if v is not None:
                name = "sync" if impl == "ours" else impl
                verdicts.append(f"{name} {v}" if asyncs else v)
                if v == "MISS":
                    misses.append(f"{label} ({name})")
        loads = [r.get("other_load") for impl_runs in runs.values() for r in impl_runs]
        load = max((x for x in loads if isinstance(x, (int, float))), default=None)
        load_text = "?" if load is None else f"{load:.2f}"
        if load is not None and load > LOAD_LIMIT:
            load_text += " (not comparable)"
        row += [target_text(target, unit), ", ".join(verdicts), load_text]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines), misses


def errors_text(results: dict[str, dict[str, list[dict[str, Any]]]]) -> list[str]:
    out = []
    for key, per_impl in results.items():
        for impl, runs in per_impl.items():
            for r in runs:
                if "error" in r:
                    out.append(f"{key} {impl} round {r.get('round', '?') + 1}: {r['error']}")
                for e in r.get("errors") or []:
                    out.append(f"{key} {impl} round {r.get('round', 0) + 1}: job error {e}")
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 3, --quick 2)")
    parser.add_argument("--quick", action="store_true", help="3-5 minutes instead of 8-10")
    parser.add_argument("--only", help="comma-separated measurements: import,construct,latency,"
                                       "paired,generator,genpaired,burst200,burstpaired,burst1000")
    parser.add_argument("--impls", help="comma-separated: ours,trio,asyncio,official,raw")
    parser.add_argument("--out", help="also write the facts, the table and every raw result here (JSON)")
    parser.add_argument("--plots", metavar="DIR",
                        help="also draw PNG charts into DIR (a venv with matplotlib is made for it)")
    args = parser.parse_args(argv)

    results, facts = run_all(args)
    text, misses = table(results, facts["impls"])
    header = (f"{facts['command']}  |  {facts['cores']} cores, Python {facts['python'].get('dev')}, "
              f"gradio {GRADIO_VERSION} server, official gradio_client {OFFICIAL_VERSION}, "
              f"{facts['rounds']} rounds, {facts['seconds']} s, load average "
              f"{facts['loadavg_start'][0]:.1f} -> {facts['loadavg_end'][0]:.1f}")
    print()
    print(header)
    print()
    print(text)
    print()
    print("targets missed: " + (", ".join(misses) if misses else "none"))
    errs = errors_text(results)
    if errs:
        print("\nerrors:\n  " + "\n  ".join(errs[:30]))
    if args.out or args.plots:
        out = Path(args.out) if args.out else Path(tempfile.mkstemp(suffix=".json")[1])
        out.write_text(json.dumps({"facts": facts, "table": text, "misses": misses,
                                   "results": results}, indent=1) + "\n")
        say(f"wrote {out}")
        if args.plots:
            subprocess.run([str(ensure_plots_env()), str(BENCH / "plots.py"), str(out), args.plots],
                           check=False)
    return 1 if facts["failed_ours"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
