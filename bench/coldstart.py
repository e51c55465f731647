#!/usr/bin/env python3
"""Cold start: a one-shot script and ``gradio-client predict``, ours vs the official client.

    python3 bench/coldstart.py [--rounds N] [--url URL] [--official-python PY ...] [--json FILE]

Standard library only.  Starts one gradio 6.31 app (``examples/apps/kitchen_sink.py``) unless
``--url`` names one, then runs, in each round and in a rotating order, each of these in a fresh
process (wall time of the whole process, interpreter start included):

* ``import``: ``import gradio_client``;
* ``script``: ``from gradio_client import Client; print(Client(url).predict("hi",
  api_name="/echo"))`` (``verbose=False``), which also reports its own phases (import,
  ``Client()``, ``predict``) to stderr;
* ``cli`` (ours only; the official client has no ``predict`` command): ``python -m
  gradio_client predict URL --api-name /echo hi``, the ``gradio-client`` command's code path.

Ours runs from this checkout (``bench-py3.11`` venv, the checkout on PYTHONPATH); the official
2.7.2 from ``official-2.7.2`` (its own venv: nothing else installed) and from ``gradio-6.31.0``
(the server's venv, where it is installed beside gradio).  Both venvs are made by
``bench/run.py``'s helpers.  Prints per process the median wall time, the fastest and the
median CPU time (user + system, which depends much less on other work than wall time does);
then the median of the per-round ratios ours/official (the processes of one round run back
to back, so drifting load cancels out), the ratio of the fastest runs and the CPU ratio; and
the load average before and after.  The first round warms the bytecode caches and is not
counted.  A process that fails (the official client was seen to crash at exit) is counted,
reported and run again.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "servers"))


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RUN = _load("gcx_bench_run", ROOT / "bench" / "run.py")

SCRIPT = """\
import time, sys, json
t0 = time.perf_counter()
from gradio_client import Client
t1 = time.perf_counter()
client = Client(sys.argv[1], verbose=False)
t2 = time.perf_counter()
print(client.predict("hi", api_name="/echo"))
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "client": t2 - t1, "predict": t3 - t2}), file=sys.stderr)
"""


def commands(ours: str, officials: dict[str, str], url: str) -> dict[str, list[str]]:
    cmds = {"ours import": [ours, "-c", "import gradio_client"],
            "ours script": [ours, "-c", SCRIPT, url],
            "ours cli": [ours, "-m", "gradio_client", "predict", url, "--api-name", "/echo", "hi"]}
    for label, python in officials.items():
        cmds[f"{label} import"] = [python, "-c", "import gradio_client"]
        cmds[f"{label} script"] = [python, "-c", SCRIPT, url]
    return cmds


class Failed(Exception):
    pass


def run_once(cmd: list[str], env: dict[str, str], cwd: str) -> tuple[float, float, dict[str, float]]:
    """Wall and CPU (user + system) seconds of one process, and the phases it reported."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if done.returncode != 0 or (cmd[-1] != "import gradio_client" and "hi" not in done.stdout):
        raise Failed(f"exit status {done.returncode}: {done.stderr.strip()[-300:]}")
    phases: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if line.startswith("{"):
            phases = json.loads(line)
    return wall, cpu, phases


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--url", help="an app serving /echo (default: start kitchen_sink on gradio 6.31)")
    ap.add_argument("--official-python", nargs="*", help="interpreters with the official client")
    ap.add_argument("--json", help="also write every sample here")
    args = ap.parse_args()

    ours = str(RUN.ensure_bench_env())
    if args.official_python is None:
        officials = {"official": str(RUN.ensure_official()),
                     "official@gradio-venv": str(RUN.TOOLS.cache_dir() / "gradio-6.31.0" / "bin" / "python")}
    else:
        officials = {f"official#{i}": p for i, p in enumerate(args.official_python)}
    app = None
    url = args.url
    if url is None:
        import gradio_server

        app = gradio_server.start_app()
        url = app.url
    env = {label: RUN.worker_env("ours" if label.startswith("ours") else "official")
           for label in ("ours", "official")}
    cmds = commands(ours, officials, url)
    samples: dict[str, list[float]] = {k: [] for k in cmds}
    cpus: dict[str, list[float]] = {k: [] for k in cmds}
    failures: dict[str, list[str]] = {}
    phases: dict[str, list[dict[str, float]]] = {k: [] for k in cmds}
    load_before = os.getloadavg()
    try:
        with tempfile.TemporaryDirectory() as cwd:  # never this checkout: it would shadow the official
            names = list(cmds)
            for rnd in range(args.rounds + 1):
                order = names[rnd % len(names):] + names[:rnd % len(names)]
                for name in order:
                    for _attempt in range(3):  # a process that fails is counted, then run again
                        try:
                            wall, cpu, ph = run_once(cmds[name], env["ours" if name.startswith("ours") else "official"], cwd)
                            break
                        except Failed as exc:
                            failures.setdefault(name, []).append(str(exc))
                    else:
                        raise SystemExit(f"[coldstart] {name} failed 3 times: {failures[name][-1]}")
                    if rnd:  # round 0 warms the bytecode caches
                        samples[name].append(wall)
                        cpus[name].append(cpu)
                        if ph:
                            phases[name].append(ph)
                print(f"[coldstart] round {rnd}/{args.rounds}", file=sys.stderr, flush=True)
    finally:
        if app is not None:
            app.stop()
    load_after = os.getloadavg()

    def med(xs: list[float]) -> float:
        return statistics.median(xs) * 1000

    print(f"cold start, {args.rounds} rounds, load average before {load_before[0]:.2f} "
          f"{load_before[1]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f} ({os.cpu_count()} cores)")
    print(f"{'process':28} {'wall ms':>8} {'min':>6} {'CPU ms':>7}   phases (median wall ms)")
    for name, xs in samples.items():
        ph = phases[name]
        detail = "  ".join(f"{k} {statistics.median(p[k] for p in ph) * 1000:.0f}" for k in ph[0]) if ph else ""
        print(f"{name:28} {med(xs):8.0f} {min(xs) * 1000:6.0f} {med(cpus[name]):7.0f}   {detail}")
    print()
    for label in officials:
        for ours_name, theirs in (("ours import", "import"), ("ours script", "script"), ("ours cli", "script")):
            ratios = [a / b for a, b in zip(samples[ours_name], samples[f"{label} {theirs}"])]
            cpu_ratios = [a / b for a, b in zip(cpus[ours_name], cpus[f"{label} {theirs}"])]
            fastest = min(samples[ours_name]) / min(samples[f"{label} {theirs}"])
            print(f"{ours_name:12} / {label} {theirs:7}: wall {statistics.median(ratios):.2f}x "
                  f"(per-round min {min(ratios):.2f}, max {max(ratios):.2f}; fastest/fastest {fastest:.2f}x), "
                  f"CPU {statistics.median(cpu_ratios):.2f}x")
    for name, errors in failures.items():
        print(f"{name}: {len(errors)} failed process(es), run again; last: {errors[-1]}")
    if args.json:
        Path(args.json).write_text(json.dumps({"url": url, "load_before": load_before, "load_after": load_after,
                                               "samples": samples, "cpu": cpus, "phases": phases,
                                               "failures": failures}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
