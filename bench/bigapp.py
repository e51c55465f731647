#!/usr/bin/env python3
"""``Client()`` on a big app (300 endpoints), alone and 64 at once: ours vs the official client.

    python3 bench/bigapp.py [--rounds N] [--many-rounds M] [--clients 64] [--url URL] [--json FILE]

Standard library only.  Starts ``examples/apps/big_app.py`` on gradio 6.31 (a 1.3 MB
``/config``, a 0.6 MB ``/info``) unless ``--url`` names one, then measures, each in fresh
processes and in an order rotating from round to round:

* ``single``: one ``Client(url)`` (after the import), ours and official, and the floor: the
  same two GETs (``/config``, ``/info?all_endpoints=True``) with one keep-alive
  ``httpx.Client``, each timed;
* ``threads``: ``--clients`` threads of one process construct a ``Client(url)`` each, released
  together by a barrier: wall time until the last is ready (of those that connected),
  failures, the process's peak RSS;
* ``processes``: ``--clients`` processes started together, each importing the client and
  constructing one ``Client(url)``: wall time from the first start until the last is ready,
  failures, the largest and the summed peak RSS.

Ours runs from this checkout (``bench-py3.11`` venv), the official 2.7.2 from
``official-2.7.2`` (venvs made by ``bench/run.py``'s helpers).  Prints medians, the median of
the per-round ratios ours/official and the load average before and after.  Round 0 of
``single`` only warms caches.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ worker side (any client)


def _maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(mode: str, url: str, clients: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    if mode == "raw":
        import httpx

        out: dict[str, Any] = {}
        with httpx.Client(timeout=120) as http:
            for key, path in (("config", "config"), ("info", "gradio_api/info?all_endpoints=True")):
                t = time.perf_counter()
                http.get(url + path).raise_for_status()
                out[key] = time.perf_counter() - t
        return out
    from gradio_client import Client

    imported = time.perf_counter()
    if mode == "single":
        cpu = time.process_time()
        t = time.perf_counter()
        Client(url, verbose=False)
        return {"import": imported - t0, "client": time.perf_counter() - t,
                "client_cpu": time.process_time() - cpu, "rss_mb": _maxrss_mb()}
    if mode == "proc":  # one of many processes: when it was ready (wall clock, shared by all)
        try:
            Client(url, verbose=False)
            ok = True
        except Exception as exc:  # noqa: BLE001 - a failure is a result here
            ok, err = False, f"{type(exc).__name__}: {exc}"[:200]
        result = {"ok": ok, "ready_at": time.time(), "rss_mb": _maxrss_mb()}
        if not ok:
            result["error"] = err
        return result
    # threads: `clients` Client() at once in this process
    import threading

    barrier = threading.Barrier(clients + 1)
    done: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    keep = []

    def one() -> None:
        barrier.wait()
        try:
            client = Client(url, verbose=False)
            with lock:
                done.append(time.perf_counter())
                keep.append(client)
        except Exception as exc:  # noqa: BLE001
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}"[:200])

    threads = [threading.Thread(target=one, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join(600)
    return {"all_ready": (max(done) - start) if done else None, "ok": len(done),
            "failed": len(errors), "errors": sorted(set(errors))[:3], "rss_mb": _maxrss_mb(),
            "threads_after": threading.active_count()}


# ------------------------------------------------------------------ the bench


def run_worker(python: str, env: dict[str, str], cwd: str, mode: str, url: str,
               clients: int = 0) -> dict[str, Any]:
    done = subprocess.run([python, str(Path(__file__).resolve()), "--worker", mode, url, str(clients)],
                          env=env, cwd=cwd, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"[bigapp] {mode} worker failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def many_processes(python: str, env: dict[str, str], cwd: str, url: str, n: int) -> dict[str, Any]:
    cmd = [python, str(Path(__file__).resolve()), "--worker", "proc", url, "0"]
    start = time.time()
    procs = [subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(n)]
    results, crashed = [], 0
    for proc in procs:
        out, _err = proc.communicate(timeout=900)
        try:
            results.append(json.loads(out.strip().splitlines()[-1]))
        except (ValueError, IndexError):
            crashed += 1
    ok = [r for r in results if r["ok"]]
    return {"all_ready": (max(r["ready_at"] for r in ok) - start) if ok else None, "ok": len(ok),
            "failed": n - len(ok), "crashed": crashed,
            "errors": sorted({r["error"] for r in results if not r["ok"]})[:3],
            "rss_max_mb": max((r["rss_mb"] for r in results), default=0),
            "rss_sum_mb": sum(r["rss_mb"] for r in results)}


def med(rows: list[dict[str, Any]], key: str) -> float:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else float("nan")


def report_single(single: dict[str, list[dict[str, Any]]], rounds: int) -> None:
    print(f"single Client(), {rounds} rounds (median ms):")
    print(f"  raw GET /config {med(single['raw'], 'config') * 1e3:.0f}, GET /info {med(single['raw'], 'info') * 1e3:.0f}, "
          f"both {med([{'t': r['config'] + r['info']} for r in single['raw']], 't') * 1e3:.0f}")
    for impl in ("ours", "official"):
        rows = single[impl]
        print(f"  {impl:9} Client() {med(rows, 'client') * 1e3:.0f} (CPU {med(rows, 'client_cpu') * 1e3:.0f}), "
              f"import {med(rows, 'import') * 1e3:.0f}, peak RSS {med(rows, 'rss_mb'):.0f} MB")
    ratios = [a["client"] / b["client"] for a, b in zip(single["ours"], single["official"])]
    floor = [a["client"] / (b["config"] + b["info"]) for a, b in zip(single["ours"], single["raw"])]
    print(f"  ours/official {statistics.median(ratios):.2f}x, ours/(two raw GETs) {statistics.median(floor):.2f}x")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        print(json.dumps(worker(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=7, help="rounds of the single-client figures")
    ap.add_argument("--many-rounds", type=int, default=2, help="rounds of the 64-at-once figures")
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--url", help="a running big_app (default: start one on gradio 6.31)")
    ap.add_argument("--json", help="also write every sample here")
    args = ap.parse_args()

    from coldstart import RUN as run  # bench/run.py, loaded once by its sibling (bench/ is on sys.path)
    pythons = {"ours": str(run.ensure_bench_env()), "official": str(run.ensure_official())}
    envs = {"ours": run.worker_env("ours"), "official": run.worker_env("official")}
    app = None
    url = args.url
    if url is None:
        sys.path.insert(0, str(ROOT / "tests" / "servers"))
        import gradio_server

        app = gradio_server.start_app(app="big_app", timeout=300)
        url = app.url
    load_before = os.getloadavg()
    single: dict[str, list[dict[str, Any]]] = {"ours": [], "official": [], "raw": []}
    many: dict[str, list[dict[str, Any]]] = {f"{impl} {how}": [] for impl in ("ours", "official")
                                             for how in ("threads", "processes")}
    try:
        with tempfile.TemporaryDirectory() as cwd:  # never this checkout: it would shadow the official
            for rnd in range(args.rounds + 1):
                impls = ["ours", "official", "raw"]
                for impl in impls[rnd % 3:] + impls[:rnd % 3]:
                    python = pythons["ours" if impl == "raw" else impl]
                    result = run_worker(python, envs["ours" if impl == "raw" else impl], cwd,
                                        "raw" if impl == "raw" else "single", url)
                    if rnd:
                        single[impl].append(result)
                print(f"[bigapp] single round {rnd}/{args.rounds}", file=sys.stderr, flush=True)
            for rnd in range(args.many_rounds):
                order = list(many)
                for name in order[rnd % 4:] + order[:rnd % 4]:
                    impl, how = name.split()
                    if how == "threads":
                        many[name].append(run_worker(pythons[impl], envs[impl], cwd, "threads", url, args.clients))
                    else:
                        many[name].append(many_processes(pythons[impl], envs[impl], cwd, url, args.clients))
                    print(f"[bigapp] {name}: {many[name][-1]}", file=sys.stderr, flush=True)
    finally:
        if app is not None:
            app.stop()
    load_after = os.getloadavg()

    print(f"big app ({url}), load average before {load_before[0]:.2f} {load_before[1]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} ({os.cpu_count()} cores)")
    if args.rounds:
        report_single(single, args.rounds)
    print(f"{args.clients} clients at once, {args.many_rounds} rounds (median):")
    for name, rows in many.items():
        rss = (f"peak RSS {med(rows, 'rss_mb'):.0f} MB" if "threads" in name else
               f"peak RSS max {med(rows, 'rss_max_mb'):.0f} MB, sum {med(rows, 'rss_sum_mb'):.0f} MB")
        print(f"  {name:19} last ready after {med(rows, 'all_ready'):.1f} s, failed {sum(r['failed'] for r in rows)}"
              f"/{args.clients * len(rows)}, {rss}")
        errors = sorted({e for r in rows for e in r.get("errors", [])})
        if errors:
            print(f"    errors: {errors[:3]}")
    if args.json:
        Path(args.json).write_text(json.dumps({"url": url, "load": [load_before, load_after],
                                               "single": single, "many": many}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
