#!/usr/bin/env python3
"""Load test: bursts of concurrent jobs on ONE client against a real Gradio server.

    python3 tools/stress.py [--bursts 10] [--jobs 1000] [--client sync|trio|both]
                            [--endpoint echo|count] [--timeout 1200] [--json FILE]

Starts its own kitchen-sink app (tests/servers/gradio_server.py, gradio 6.31 by default;
loopback only) and, for each client kind, connects one client and runs ``--bursts`` bursts:
each submits ``--jobs`` jobs at once (``/echo`` with a unique text, or ``/count`` a small
generator) and waits for all of them.  Every job must end exactly once with its own
value: a job that has not ended when its burst's deadline passes is *lost*, one that
raised is *failed*, one whose value is not its own is *wrong*.  Reported per burst: wall
time, jobs/s, and for the run: peak threads of the process (and of the client), peak RSS.

Exits 0 if no job was lost, failed or wrong; 1 otherwise; 2 if the global ``--timeout``
(wall clock for the whole run, server start included) expired.  Run with the dev
interpreter (``~/.cache/gcx/dev/bin/python``); plain ``python3`` re-executes itself with it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _reexec_with_dev_python() -> None:
    try:
        import httpx  # noqa: F401
        import msgspec  # noqa: F401
        import trio  # noqa: F401
    except ImportError:
        cache = Path(os.environ.get("GCX_CACHE") or Path.home() / ".cache" / "gcx")
        for candidate in sorted(cache.glob("dev*/bin/python")):
            # (a venv's python is a symlink to the base interpreter: compare the venvs)
            if candidate.exists() and Path(sys.prefix).resolve() != candidate.parent.parent.resolve():
                os.execv(str(candidate), [str(candidate), *sys.argv])
        sys.exit("stress.py needs the dev virtualenv (python3 tools/run.py test builds it)")


_reexec_with_dev_python()
sys.path.insert(0, str(ROOT))

import trio  # noqa: E402

from gradio_client import Client  # noqa: E402
from tests.servers.gradio_server import DEFAULT_VERSION, start_app  # noqa: E402


class Monitor:
    """Samples the process's thread count and RSS every 20 ms."""

    def __init__(self) -> None:
        self.peak_threads = threading.active_count()
        self.peak_client_threads = 0
        self.peak_rss_mb = 0.0
        self.client: Any = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="stress-monitor")

    def __enter__(self) -> Monitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.sample()

    def sample(self) -> None:
        self.peak_threads = max(self.peak_threads, threading.active_count() - 1)  # not ours
        client = self.client
        if client is not None and hasattr(client, "thread_count"):
            self.peak_client_threads = max(self.peak_client_threads, client.thread_count)
        self.peak_rss_mb = max(self.peak_rss_mb, rss_mb())


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def call_for(endpoint: str, burst: int, i: int) -> tuple[tuple[Any, ...], Any]:
    """(arguments, expected value) of job ``i`` of burst ``burst``."""
    if endpoint == "count":
        n = 1 + (burst * 7 + i) % 5
        return (n,), " ".join(str(k) for k in range(n))
    text = f"b{burst}-j{i}"
    return (text,), text


class Tally:
    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.ok = 0
        self.failed = 0
        self.wrong = 0
        self.errors: dict[str, int] = {}

    @property
    def lost(self) -> int:
        return self.jobs - self.ok - self.failed - self.wrong

    def error(self, exc: BaseException) -> None:
        self.failed += 1
        key = f"{type(exc).__name__}: {str(exc)[:120]}"
        self.errors[key] = self.errors.get(key, 0) + 1


# ---------------------------------------------------------------------- the two clients


def run_sync(url: str, args: argparse.Namespace, monitor: Monitor) -> list[dict[str, Any]]:
    client = Client(url, verbose=False, download_files=False)
    monitor.client = client
    rows = []
    try:
        for burst in range(args.bursts):
            tally = Tally(args.jobs)
            started = time.monotonic()
            jobs = []
            for i in range(args.jobs):
                call, expected = call_for(args.endpoint, burst, i)
                jobs.append((client.submit(*call, api_name=f"/{args.endpoint}"), expected))
            deadline = started + args.burst_timeout
            for job, expected in jobs:
                try:
                    value = job.result(timeout=max(0.0, deadline - time.monotonic()))
                except TimeoutError:
                    if not job.done():
                        continue  # lost
                    try:
                        value = job.result(timeout=0)
                    except Exception as exc:  # noqa: BLE001
                        tally.error(exc)
                        continue
                except Exception as exc:  # noqa: BLE001 - counted, reported
                    tally.error(exc)
                    continue
                if value == expected:
                    tally.ok += 1
                else:
                    tally.wrong += 1
            for job, _ in jobs:  # lost ones are cancelled so the next burst starts clean
                if not job.done():
                    job.cancel()
            rows.append(report_burst("sync", burst, tally, time.monotonic() - started, monitor))
    finally:
        client.close()
        monitor.client = None
    return rows


def run_trio(url: str, args: argparse.Namespace, monitor: Monitor) -> list[dict[str, Any]]:
    from gradio_client.aio import AsyncClient

    rows: list[dict[str, Any]] = []

    async def main() -> None:
        async with AsyncClient(url, verbose=False, download_files=False) as client:
            monitor.client = client
            for burst in range(args.bursts):
                tally = Tally(args.jobs)
                started = time.monotonic()
                jobs = []
                for i in range(args.jobs):
                    call, expected = call_for(args.endpoint, burst, i)
                    jobs.append((await client.submit(*call, api_name=f"/{args.endpoint}"), expected))

                async def collect(job: Any, expected: Any) -> None:
                    try:
                        value = await job.result()
                    except Exception as exc:  # noqa: BLE001 - counted, reported
                        tally.error(exc)
                        return
                    if value == expected:
                        tally.ok += 1
                    else:
                        tally.wrong += 1

                with trio.move_on_after(args.burst_timeout):
                    async with trio.open_nursery() as nursery:
                        for job, expected in jobs:
                            nursery.start_soon(collect, job, expected)
                for job, _ in jobs:
                    if not job.done():
                        await job.cancel()
                rows.append(report_burst("trio", burst, tally, time.monotonic() - started, monitor))
            monitor.client = None

    trio.run(main)
    return rows


def report_burst(kind: str, burst: int, tally: Tally, wall: float, monitor: Monitor) -> dict[str, Any]:
    monitor.sample()
    row = {
        "client": kind,
        "burst": burst + 1,
        "jobs": tally.jobs,
        "ok": tally.ok,
        "lost": tally.lost,
        "failed": tally.failed,
        "wrong": tally.wrong,
        "wall_s": round(wall, 2),
        "jobs_per_s": round(tally.jobs / wall, 1) if wall > 0 else None,
        "rss_mb": round(rss_mb(), 1),
        "errors": tally.errors,
    }
    print(
        f"{kind:5} burst {burst + 1:2}: {tally.ok}/{tally.jobs} ok, lost {tally.lost}, "
        f"failed {tally.failed}, wrong {tally.wrong}; {wall:6.2f} s, "
        f"{row['jobs_per_s']} jobs/s; threads now {threading.active_count()}, "
        f"rss {row['rss_mb']} MB",
        flush=True,
    )
    for key, count in tally.errors.items():
        print(f"        {count} x {key}", flush=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--client", choices=["sync", "trio", "both"], default="both")
    parser.add_argument("--endpoint", choices=["echo", "count"], default="echo")
    parser.add_argument("--concurrency", type=int, default=16,
                        help="the app's per-event concurrency limit (kitchen_sink --concurrency)")
    parser.add_argument("--burst-timeout", type=float, default=300.0,
                        help="a job not done this long after its burst started is lost")
    parser.add_argument("--timeout", type=float, default=1800.0, help="wall clock for the whole run")
    parser.add_argument("--version", default=DEFAULT_VERSION, help="gradio version of the server")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    def expire() -> None:
        print(f"stress: global timeout of {args.timeout:g} s expired", file=sys.stderr, flush=True)
        os._exit(2)  # the server exits with us (GCX_PARENT_PID)

    watchdog = threading.Timer(args.timeout, expire)
    watchdog.daemon = True
    watchdog.start()

    kinds = ["sync", "trio"] if args.client == "both" else [args.client]
    print(f"starting gradio {args.version} kitchen-sink app (concurrency {args.concurrency})...", flush=True)
    app = start_app(args.version, extra_args=["--concurrency", str(args.concurrency)])
    print(f"server at {app.url}; {args.bursts} bursts x {args.jobs} jobs of /{args.endpoint} per client", flush=True)
    results: dict[str, Any] = {"url": app.url, "args": vars(args), "clients": {}}
    bad = 0
    try:
        for kind in kinds:
            with Monitor() as monitor:
                base_threads = threading.active_count() - 1  # not the monitor
                started = time.monotonic()
                rows = (run_sync if kind == "sync" else run_trio)(app.url, args, monitor)
                total = time.monotonic() - started
            jobs = sum(r["jobs"] for r in rows)
            summary = {
                "bursts": rows,
                "jobs": jobs,
                "lost": sum(r["lost"] for r in rows),
                "failed": sum(r["failed"] for r in rows),
                "wrong": sum(r["wrong"] for r in rows),
                "wall_s": round(total, 2),
                "jobs_per_s": round(jobs / total, 1),
                "threads_before": base_threads,
                "peak_threads": monitor.peak_threads,
                "peak_client_threads": monitor.peak_client_threads if kind == "sync" else None,
                "peak_rss_mb": round(monitor.peak_rss_mb, 1),
            }
            results["clients"][kind] = summary
            bad += summary["lost"] + summary["failed"] + summary["wrong"]
            print(
                f"{kind}: {jobs} jobs in {total:.1f} s ({summary['jobs_per_s']} jobs/s); lost "
                f"{summary['lost']}, failed {summary['failed']}, wrong {summary['wrong']}; "
                f"threads {base_threads} before, peak {monitor.peak_threads}"
                + (f" (client's own: {monitor.peak_client_threads})" if kind == "sync" else "")
                + f"; peak RSS {summary['peak_rss_mb']} MB",
                flush=True,
            )
    finally:
        app.stop()
        watchdog.cancel()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    print("PASS: no job lost, failed or wrong" if bad == 0 else f"FAIL: {bad} jobs lost, failed or wrong")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
