"""The long hostile property run: ``test_property.py`` again and again, with fresh seeds.

    nice -n 15 ~/.cache/gcx/dev-py3.11/bin/python tests/hostile/long_run.py \\
        --shards 2 --until 13:55 --out /tmp/gcx-hostile-run

Each shard is a loop of pytest runs of ``tests/hostile/test_property.py`` (its own process,
so its own servers and ports), each with ``--hypothesis-seed`` = seed base + 1000 x shard +
batch and ``--examples`` examples, until ``--until`` (UTC, HH:MM) or ``--sessions`` clean
sessions in all.  A shard whose pytest run fails stops (its log, ``shard<i>-<seed>.log``,
holds hypothesis's shrunk example); the others go on.  Every 30 s ``total.json`` in
``--out`` sums the per-batch records (``GCX_HOSTILE_COUNT_FILE``): clean sessions, wall
time, seeds, per-request-kind x action faults drawn and fired, outcomes, the largest peak
RSS growth and request count seen, distinct plans, and the load average.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _deadline(until: str) -> float:
    """Seconds since the epoch of the next HH:MM (UTC)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    hour, minute = (int(x) for x in until.split(":"))
    end = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if end <= now:
        end += datetime.timedelta(days=1)
    return end.timestamp()


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.out = Path(args.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.end = _deadline(args.until)
        self.started = time.time()
        self.stop = threading.Event()
        self.failed: list[str] = []
        self.seeds: list[int] = []
        self.loads: list[float] = []
        self.lock = threading.Lock()

    def records(self) -> list[dict[str, Any]]:
        found = []
        for path in sorted(self.out.glob("shard*-*.json")):
            try:
                found.append(json.loads(path.read_text()))
            except (OSError, ValueError):
                continue  # being replaced right now
        return found

    def total(self) -> dict[str, Any]:
        records = self.records()
        total: dict[str, Any] = {"clean": sum(r["clean"] for r in records)}
        for key in ("kinds", "drawn", "fired", "outcomes"):
            summed: Counter[str] = Counter()
            for r in records:
                summed.update(r[key])
            total[key] = dict(sorted(summed.items()))
        plans = set()
        for r in records:
            plans.update(r.get("plans", []))
        total.update(
            wall_seconds=round(time.time() - self.started),
            batches=len(records),
            seeds=sorted(self.seeds),
            distinct_plans_in_finished_batches=len(plans),
            peak_rss_mib=max((r["peak_rss_mib"] for r in records), default=0.0),
            most_requests=max((r["most_requests"] for r in records), default=0),
            closest_to_time_bound=max((r.get("closest_to_time_bound", 0.0) for r in records), default=0.0),
            lag_max=max((r.get("lag_max", 0.0) for r in records), default=0.0),
            lag_mean=round(sum(r.get("lag_sum", 0.0) for r in records) / max(1, sum(r["clean"] for r in records)), 4),
            session_seconds_in_batches=round(sum(r["seconds"] for r in records)),
            time_scale=records[0]["time_scale"] if records else None,
            size_scale=records[0]["size_scale"] if records else None,
            load_average_1min={"min": min(self.loads, default=0), "max": max(self.loads, default=0),
                               "mean": round(sum(self.loads) / max(1, len(self.loads)), 2)},
            failed=self.failed,
            started_utc=datetime.datetime.fromtimestamp(self.started, datetime.timezone.utc).isoformat(timespec="seconds"),
            commit=subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip(),
        )
        return total

    def shard(self, index: int) -> None:
        batch = 0
        while not self.stop.is_set():
            left = self.end - time.time()
            if left < 30:
                return
            seed = self.args.seed + 1000 * index + batch
            batch += 1
            with self.lock:
                self.seeds.append(seed)
            name = f"shard{index}-{seed}"
            env = dict(
                os.environ,
                GCX_HOSTILE_EXAMPLES=str(self.args.examples),
                GCX_HOSTILE_SECONDS=str(int(left - 10)),
                GCX_HOSTILE_COUNT_FILE=str(self.out / f"{name}.json"),
                GRADIO_ANALYTICS_ENABLED="False",
            )
            command = [sys.executable, "-m", "pytest", "tests/hostile/test_property.py", "-q", "-s", "-x",
                       "-p", "no:cacheprovider", f"--hypothesis-seed={seed}"]
            with open(self.out / f"{name}.log", "w") as log:
                code = subprocess.call(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            if code != 0:
                with self.lock:
                    self.failed.append(name)
                return

    def main(self) -> int:
        threads = [threading.Thread(target=self.shard, args=(i,), daemon=True) for i in range(self.args.shards)]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            time.sleep(30 if not self.args.quick else 2)
            self.loads.append(os.getloadavg()[0])
            total = self.total()
            (self.out / "total.json").write_text(json.dumps(total, indent=1))
            print(f"{time.strftime('%H:%M:%S')} {total['clean']} clean sessions in {total['wall_seconds']} s, "
                  f"load {self.loads[-1]:.1f}, failed {self.failed}", flush=True)
            if self.args.sessions and total["clean"] >= self.args.sessions:
                self.stop.set()
        total = self.total()
        (self.out / "total.json").write_text(json.dumps(total, indent=1))
        print(json.dumps({k: total[k] for k in ("clean", "wall_seconds", "failed", "seeds")}), flush=True)
        return 1 if self.failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--until", required=True, help="UTC HH:MM: no batch starts or runs past it")
    parser.add_argument("--sessions", type=int, default=0, help="stop the shards' loops at this many (0: no limit)")
    parser.add_argument("--examples", type=int, default=3000, help="examples per pytest run")
    parser.add_argument("--seed", type=int, default=12_000)
    parser.add_argument("--out", default="/tmp/gcx-hostile-run")
    parser.add_argument("--quick", action="store_true", help="report every 2 s (a trial)")
    return Run(parser.parse_args()).main()


if __name__ == "__main__":
    raise SystemExit(main())
