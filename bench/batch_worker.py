"""One batch run in a fresh process; run by bench/batch.py.

    python bench/batch_worker.py IMPL '{"urls": [...], "rows": N, "concurrency": C, "kill_pid": P}'

Prints one line ``BATCH-RESULT {json}``: rows, wall seconds, rows lost or wrong, peak RSS (MB).
"""

import json
import os
import resource
import signal
import sys
import time


def expected(i: int) -> float:
    return i + 0.5


def run_ours(impl: str, opts: dict) -> dict:
    from gradio_client.batch import ClientPool, RowError

    n = opts["rows"]
    seen: dict = {}
    wrong = 0
    t0 = time.perf_counter()
    if impl == "stream":
        total, keep = 1_000_000, 2_000
        rows = ((float(i), "add", 0.5) for i in range(total))
        skip = lambda i: i < total - keep  # noqa: E731  (already done: a resume)
        n = keep
        urls = opts["urls"][:1]
    else:
        rows = ((float(i), "add", 0.5) for i in range(n))
        skip = None
        urls = opts["urls"]
    with ClientPool(urls, verbose=False) as pool:
        from gradio_client.batch import run_map

        run = run_map(pool.clients, rows, api_name="/calculator",
                      concurrency=opts["concurrency"], ordered=False, skip=skip)
        for index, value in run:
            if isinstance(value, RowError) or value != expected(index) or index in seen:
                wrong += 1
            seen[index] = value
            if opts.get("kill_pid") and len(seen) == n // 2:
                os.kill(opts["kill_pid"], signal.SIGKILL)
    wall = time.perf_counter() - t0
    first = 1_000_000 - n if impl == "stream" else 0
    lost = sum(1 for i in range(first, first + n) if i not in seen) + wrong
    return {"impl": impl, "rows": n, "wall": wall, "lost": lost, "retried": run.counts["retried"]}


def run_official(opts: dict) -> dict:
    from gradio_client import Client

    n = opts["rows"]
    client = Client(opts["urls"][0], verbose=False)
    t0 = time.perf_counter()
    jobs = [client.submit(float(i), "add", 0.5, api_name="/calculator") for i in range(n)]
    lost = 0
    for i, job in enumerate(jobs):
        try:
            if job.result(timeout=600) != expected(i):
                lost += 1
        except Exception:
            lost += 1
    wall = time.perf_counter() - t0
    client.close()
    return {"impl": "official", "rows": n, "wall": wall, "lost": lost}


def main() -> None:
    impl, opts = sys.argv[1], json.loads(sys.argv[2])
    try:
        result = run_official(opts) if impl == "official" else run_ours(impl, opts)
    except Exception as exc:  # noqa: BLE001
        result = {"impl": impl, "error": f"{type(exc).__name__}: {exc}"}
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("BATCH-RESULT " + json.dumps(result), flush=True)
    os._exit(0)  # do not wait for the official client's threads


if __name__ == "__main__":
    main()
