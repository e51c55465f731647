"""Does pipelining joins pay?  The raw floor's burst with k joins in flight.

Issue 13 asked for joins sent pipelined (a bounded number in flight).  Before building that
into the clients, this measures the ceiling: a raw-httpx floor on asyncio (one thread) that
speaks sse_v3 by hand, sends ``n`` joins of ``/echo`` with at most ``k`` in flight, and reads
every completion from the one session stream.  If k=32 is not faster than k=1 on a server,
no client can gain from pipelining there.

    python3 bench/pipeline.py [--n 200,1000] [--k 1,2,4,8,32] [--rounds 3]

Starts one gradio 6.31 kitchen-sink server (a fresh one per round), prints a table: median
total seconds per (n, k) and the ratio to k=1, and the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRADIO_PY = Path(os.environ.get("GCX_GRADIO_PYTHON", Path.home() / ".cache/gcx/gradio-6.31.0/bin/python"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False")
    proc = subprocess.Popen([str(GRADIO_PY), str(ROOT / "examples/apps/kitchen_sink.py"), "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/config", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


async def burst(url: str, n: int, k: int) -> float:
    import asyncio

    import httpx

    session = uuid.uuid4().hex
    async with httpx.AsyncClient(timeout=httpx.Timeout(120.0, connect=10.0),
                                 limits=httpx.Limits(max_connections=k + 2)) as http:
        config = (await http.get(url + "/config")).json()
        api = url + config.get("api_prefix", "/gradio_api")
        fn = {d.get("api_name"): d["id"] for d in config["dependencies"]}["echo"]
        gate = asyncio.Semaphore(k)
        events: dict[str, int] = {}
        done = asyncio.Event()
        seen = 0
        first_join = asyncio.Event()

        async def join(i: int) -> None:
            async with gate:
                body = {"data": [f"m{i}"], "fn_index": fn, "session_hash": session,
                        "event_data": None, "trigger_id": None}
                reply = await http.post(api + "/queue/join", json=body)
                events[reply.json()["event_id"]] = i
                first_join.set()

        async def read() -> None:
            nonlocal seen
            await first_join.wait()
            while seen < n:
                async with http.stream("GET", api + "/queue/data", params={"session_hash": session}) as resp:
                    async for line in resp.aiter_lines():
                        if not line.startswith("data:"):
                            continue
                        msg = json.loads(line[5:])
                        if msg.get("msg") == "process_completed":
                            seen += 1
                            if seen == n:
                                done.set()
                                return

        t0 = time.perf_counter()
        reader = asyncio.create_task(read())
        await asyncio.gather(*(join(i) for i in range(n)))
        await asyncio.wait_for(done.wait(), 300)
        await reader
        return time.perf_counter() - t0


def main() -> int:
    import asyncio

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", default="200,1000")
    parser.add_argument("--k", default="1,2,4,8,32")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ns = [int(x) for x in args.n.split(",")]
    ks = [int(x) for x in args.k.split(",")]
    load0 = os.getloadavg()[0]
    results: dict[tuple[int, int], list[float]] = {}
    for r in range(args.rounds):
        for n in ns:
            for k in ks:
                proc, url = start_server()
                try:
                    asyncio.run(burst(url, 20, 1))  # warm the server
                    took = asyncio.run(burst(url, n, k))
                finally:
                    proc.kill()
                    proc.wait()
                results.setdefault((n, k), []).append(took)
                print(f"[pipeline] round {r + 1} n={n} k={k}: {took:.2f} s (load {os.getloadavg()[0]:.2f})",
                      file=sys.stderr)
    load1 = os.getloadavg()[0]
    print(f"load average (1 min): {load0:.2f} before, {load1:.2f} after")
    print("| jobs | joins in flight | total (median) | vs 1 in flight |")
    print("|---|---|---|---|")
    for n in ns:
        base = statistics.median(results[(n, ks[0])])
        for k in ks:
            med = statistics.median(results[(n, k)])
            print(f"| {n} | {k} | {med:.2f} s | {med / base:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
