#!/usr/bin/env python3
"""Batch benchmark: many rows through local replicas, ours against a plain official loop.

    python3 bench/batch.py [--rows 10000] [--concurrency 8] [--skip-official] [--out FILE]

Starts two gradio 6.31 replicas of examples/apps/kitchen_sink.py and sends ``--rows`` rows
of ``/calculator`` (row i is ``(i, "add", 0.5)``, so every output can be checked):

* ``ours-2``: ``ClientPool([a, b]).map(rows)`` over both replicas (unordered);
* ``ours-kill``: the same, with replica b killed (SIGKILL) after half of the rows came back;
* ``official``: the official client 2.7.2 on replica a, as a plain loop people write:
  ``jobs = [client.submit(*row) for row in rows]``, then ``job.result()`` for each;
* ``stream``: ours over 1,000,000 generated rows of which all but the last 2,000 are
  skipped as already done (a resume), to show that input is streamed: peak RSS stays that
  of a small run.

Each runs in a fresh process (bench/batch_worker.py); figures: wall time, rows/s, rows lost or
wrong, peak RSS, and the CPU other processes used meanwhile (``run.OtherLoad``; above 1.0
core: not comparable).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import run as bench_run  # noqa: E402  (bench/run.py: environments and worker env)

WORKER = ROOT / "bench" / "batch_worker.py"


def worker(python: Path, impl: str, urls: list[str], opts: dict[str, Any],
           servers: list[int], kill_pid: int | None = None) -> dict[str, Any]:
    cmd = [str(python), str(WORKER), impl, json.dumps({"urls": urls, **opts,
                                                      "kill_pid": kill_pid})]
    load = os.getloadavg()[0]
    other = bench_run.OtherLoad(servers)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=bench_run.worker_env(
        "official" if impl == "official" else "ours"), timeout=3600)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("BATCH-RESULT "):
            result: dict[str, Any] = json.loads(line[len("BATCH-RESULT "):])
            result["load"] = [round(load, 2), round(os.getloadavg()[0], 2)]
            result["other_load"] = round(other.cores(), 2)
            return result
    return {"impl": impl, "error": f"exit {proc.returncode}", "stderr": proc.stderr[-2000:]}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--skip-official", action="store_true")
    parser.add_argument("--out")
    args = parser.parse_args(argv)

    ours_py = bench_run.ensure_bench_env()
    official_py = None if args.skip_official else bench_run.ensure_official()
    gradio_py = bench_run.TOOLS.ensure_gradio(bench_run.GRADIO_VERSION)
    from tests.servers import gradio_server

    opts = {"rows": args.rows, "concurrency": args.concurrency}
    results: list[dict[str, Any]] = []
    t0 = time.monotonic()
    for impl in ["ours-2", "ours-kill", "stream"] + ([] if official_py is None else ["official"]):
        a = gradio_server.start_app(bench_run.GRADIO_VERSION, python=str(gradio_py))
        b = gradio_server.start_app(bench_run.GRADIO_VERSION, python=str(gradio_py))
        try:
            python = official_py if impl == "official" else ours_py
            assert python is not None
            res = worker(python, impl, [a.url, b.url], opts, [a.process.pid, b.process.pid],
                         kill_pid=b.process.pid if impl == "ours-kill" else None)
        finally:
            a.stop()
            b.stop()
        results.append(res)
        print(f"[batch] {impl}: {json.dumps(res)}", file=sys.stderr, flush=True)

    print(f"\npython3 bench/batch.py {' '.join(argv)}  |  {os.cpu_count()} cores, "
          f"{round(time.monotonic() - t0)} s\n")
    print("| run | rows | wall | rows/s | lost or wrong | peak RSS | other load |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        if "error" in r:
            print(f"| {r['impl']} | error: {r['error']} | | | | | |")
            continue
        mark = " (not comparable)" if r["other_load"] > bench_run.LOAD_LIMIT else ""
        print(f"| {r['impl']} | {r['rows']} | {r['wall']:.1f} s | {r['rows'] / r['wall']:.0f} | "
              f"{r['lost']} | {r['peak_rss_mb']:.0f} MB | {r['other_load']:.2f}{mark} |")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
