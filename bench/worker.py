"""One measurement of one client implementation, in a fresh process.  Run by ``bench/run.py``.

    python bench/worker.py IMPL MEASUREMENT URL [key=value ...]

IMPL         ours (sync Client, thread shell) | trio, asyncio (gradio_client.aio.AsyncClient
             under that library) |
             official (gradio_client 2.7.2, run from its own venv) | raw (one httpx.Client
             speaking the queue protocol by hand: the floor; for ``import``: httpx and
             msgspec) | raw-trio (the trio client's floors: for ``import`` httpx, msgspec
             and trio; for ``latency`` one httpx.AsyncClient on trio, by hand like raw) |
             raw-asyncio (the same floors on asyncio)
MEASUREMENT  import | construct | latency | paired | genpaired | burstpaired | burst | generator
             (paired, genpaired: ours, trio or asyncio alternating call by call with its
             floor in this process (raw; the async clients: raw-trio, raw-asyncio):
             predicts, or generators of n outputs)
options      n=, warmup=, k=, timeout= (see the functions below)

Prints exactly one line ``BENCH-RESULT {json}`` on stdout (anything else the clients print is
ignored by run.py).  Every figure is measured inside this process:

* wall: time.perf_counter; cpu: time.process_time (all threads of the process);
* peak RSS: resource.getrusage(RUSAGE_SELF).ru_maxrss (whole process, so interpreter and imports
  are included);
* threads: the ``Threads:`` line of /proc/self/status (main thread included), read at moments of
  peak load (during and right after the submits of a burst, and while results come in), never by
  a sampler thread, which would count itself;
* modules: len(sys.modules).

Only ``sys`` and ``time`` are imported before an import measurement, so that it counts what
the measured import pulls in.
"""

import sys
import time


def _now() -> float:
    return time.perf_counter()


# ------------------------------------------------------------------------------ import


def measure_import(impl: str) -> dict:
    before = set(sys.modules)
    c0 = time.process_time()
    t0 = _now()
    if impl in ("ours", "official"):
        import gradio_client  # noqa: F401
    elif impl == "trio":
        import trio  # noqa: F401  (the program's own library; the client picks it up)

        import gradio_client.aio  # noqa: F401
    elif impl == "asyncio":
        import asyncio  # noqa: F401

        import gradio_client.aio  # noqa: F401,F811
    elif impl == "raw":  # the floor of our import: our two runtime dependencies, nothing else
        import httpx  # noqa: F401
        import msgspec  # noqa: F401
    elif impl == "raw-trio":  # the floor of the trio client's import
        import httpx  # noqa: F401,F811
        import msgspec  # noqa: F401,F811
        import trio  # noqa: F401
    elif impl == "raw-asyncio":  # the floor of the asyncio client's import
        import asyncio  # noqa: F401,F811

        import httpx  # noqa: F401,F811
        import msgspec  # noqa: F401,F811
    else:
        raise SystemExit(f"unknown impl {impl!r}")
    wall = _now() - t0
    cpu = time.process_time() - c0
    added = set(sys.modules) - before
    return {"wall": wall, "cpu": cpu, "modules": len(added), "modules_total": len(sys.modules),
            "top_packages": _top_packages(added)}


def _top_packages(names: set) -> dict:
    counts: dict = {}
    for name in names:
        top = name.split(".")[0]
        counts[top] = counts.get(top, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1])[:8])


if __name__ == "__main__" and len(sys.argv) > 2 and sys.argv[2] == "import":
    # measured before this module imports anything else
    _result = measure_import(sys.argv[1])
    import json as _json

    _result.update(impl=sys.argv[1], what="import")
    sys.stdout.write("BENCH-RESULT " + _json.dumps(_result) + "\n")
    sys.stdout.flush()
    raise SystemExit(0)


# ------------------------------------------------------------------------------ helpers

import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import uuid  # noqa: E402


def threads_now() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return -1


def rss_now_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return -1.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class Peak:
    """Thread-count peak from explicit reads (no sampler thread)."""

    def __init__(self) -> None:
        self.value = threads_now()

    def sample(self) -> None:
        self.value = max(self.value, threads_now())


def checkpoints(n: int, parts: int = 8) -> set:
    return {max(0, (n * k) // parts - 1) for k in range(1, parts + 1)}


def pct(values: list, q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))
    return ordered[index]


# ------------------------------------------------------------------ client adapters
#
# Each adapter exposes the same small surface to the measurements below:
#   connect(url) -> client; predict(client, text) -> value; close(client);
#   burst(client, n, peak, deadline) -> (values or exceptions, submitted_at);
#   generator(client, n) -> (t_first, t_last_output, t_done, outputs)   (times since submit)


class SyncAdapter:
    """Our sync Client and the official one share the call surface."""

    def __init__(self, impl: str, workers: int = 0) -> None:
        self.impl = impl
        self.kwargs = {"max_workers": workers} if workers else {}  # an experiment knob

    def connect(self, url: str):
        from gradio_client import Client

        return Client(url, verbose=False, **self.kwargs)

    def predict(self, client, text: str):
        return client.predict(text, api_name="/echo")

    def close(self, client) -> None:
        close = getattr(client, "close", None)
        if close is not None:
            close()

    def burst(self, client, n: int, peak: Peak, deadline: float):
        marks = checkpoints(n)
        jobs = []
        for i in range(n):
            jobs.append(client.submit(f"m{i}", api_name="/echo"))
            if i in marks:
                peak.sample()
        submitted = _now()
        values = []
        for i, job in enumerate(jobs):
            try:
                values.append(job.result(timeout=max(0.1, deadline - time.monotonic())))
            except Exception as exc:  # noqa: BLE001 - a lost job, counted by the caller
                values.append(exc)
            if i in marks:
                peak.sample()
        return values, submitted

    def generator(self, client, n: int):
        t0 = _now()
        job = client.submit(n, api_name="/count_fast")
        first = last = None
        outputs = []
        for value in job:
            last = _now() - t0
            if first is None:
                first = last
            outputs.append(value)
        job.result(timeout=60)
        done = _now() - t0
        return first, last, done, outputs


def run_async(lib: str, fn):  # noqa: ANN001, ANN201
    """Run ``fn()`` on ``lib`` ("trio" or "asyncio"), as a program of that library would."""
    if lib == "trio":
        import trio

        return trio.run(fn)
    import asyncio

    return asyncio.run(fn())


class RawClient:
    """The floor: one keep-alive httpx.Client speaking sse_v3 by hand (simple line parsing)."""

    def __init__(self, url: str) -> None:
        import httpx

        self.root = url.rstrip("/")
        self.http = httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0))
        self.session = uuid.uuid4().hex
        config = self.http.get(self.root + "/config").json()
        self.api = self.root + config.get("api_prefix", "/gradio_api")
        self.info = self.http.get(self.api + "/info", params={"all_endpoints": "True"}).json()
        self.fn = {d.get("api_name"): d["id"] for d in config["dependencies"]}

    def join(self, api_name: str, data: list) -> str:
        body = {"data": data, "fn_index": self.fn[api_name], "session_hash": self.session,
                "event_data": None, "trigger_id": None}
        response = self.http.post(self.api + "/queue/join", json=body)
        response.raise_for_status()
        return response.json()["event_id"]

    def messages(self):
        with self.http.stream("GET", self.api + "/queue/data",
                              params={"session_hash": self.session}) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if line.startswith("data:"):
                    yield json.loads(line[5:])

    def close(self) -> None:
        self.http.close()


class RawAdapter:
    def connect(self, url: str):
        return RawClient(url)

    def predict(self, client: RawClient, text: str):
        event = client.join("echo", [text])
        for msg in client.messages():
            if msg.get("event_id") == event and msg.get("msg") == "process_completed":
                if not msg.get("success"):
                    raise RuntimeError(str(msg)[:200])
                return msg["output"]["data"][0]
        raise RuntimeError("stream ended before the completion")

    def close(self, client: RawClient) -> None:
        client.close()

    def burst(self, client: RawClient, n: int, peak: Peak, deadline: float):
        marks = checkpoints(n)
        events = {}
        for i in range(n):
            events[client.join("echo", [f"m{i}"])] = i
            if i in marks:
                peak.sample()
        submitted = _now()
        values: list = [RuntimeError("never completed")] * n
        done = 0
        while done < n and time.monotonic() < deadline:  # the server may close the stream early
            for msg in client.messages():
                if msg.get("msg") != "process_completed" or msg.get("event_id") not in events:
                    continue
                i = events.pop(msg["event_id"])
                values[i] = msg["output"]["data"][0] if msg.get("success") else RuntimeError(str(msg))
                done += 1
                if done - 1 in marks:
                    peak.sample()
                if done == n:
                    break
        return values, submitted

    def generator(self, client: RawClient, n: int):
        t0 = _now()
        event = client.join("count_fast", [n])
        first = last = None
        outputs = []
        for msg in client.messages():
            if msg.get("event_id") != event:
                continue
            kind = msg.get("msg")
            if kind == "process_generating":
                last = _now() - t0
                if first is None:
                    first = last
                outputs.append(msg["output"]["data"])  # sse_v3: diffs after the first
            elif kind == "process_completed":
                break
        done = _now() - t0
        return first, last, done, outputs


# ------------------------------------------------------------------ trio measurements


class AsyncRaw:
    """The async floor: one httpx.AsyncClient speaking sse_v3 by hand, as RawClient."""

    def __init__(self, http, url: str) -> None:
        self.http = http
        self.root = url.rstrip("/")
        self.session = uuid.uuid4().hex

    async def connect(self) -> "AsyncRaw":
        config = (await self.http.get(self.root + "/config")).json()
        self.api = self.root + config.get("api_prefix", "/gradio_api")
        self.fn = {d.get("api_name"): d["id"] for d in config["dependencies"]}
        return self

    async def _join(self, api_name: str, data: list) -> str:
        body = {"data": data, "fn_index": self.fn[api_name], "session_hash": self.session,
                "event_data": None, "trigger_id": None}
        return (await self.http.post(self.api + "/queue/join", json=body)).json()["event_id"]

    async def _messages(self):
        async with self.http.stream("GET", self.api + "/queue/data",
                                    params={"session_hash": self.session}) as response:
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    yield json.loads(line[5:])

    async def predict(self, text: str):
        event = await self._join("echo", [text])
        async for msg in self._messages():
            if msg.get("event_id") == event and msg.get("msg") == "process_completed":
                return msg["output"]["data"][0]
        raise RuntimeError("stream ended before the completion")

    async def generator(self, n: int) -> tuple:
        t0 = _now()
        event = await self._join("count_fast", [n])
        first = last = None
        outputs = []
        async for msg in self._messages():
            if msg.get("event_id") != event:
                continue
            if msg.get("msg") == "process_generating":
                last = _now() - t0
                if first is None:
                    first = last
                outputs.append(msg["output"]["data"])
            elif msg.get("msg") == "process_completed":
                break
        return first, last, _now() - t0, outputs


def raw_async_latency(lib: str, url: str, opts: dict) -> dict:
    """The async floor's latency (``AsyncRaw`` on ``lib``)."""
    import httpx

    async def run() -> dict:
        async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=10.0)) as http:
            raw = await AsyncRaw(http, url).connect()
            for i in range(opts["warmup"]):
                await raw.predict(f"w{i}")
            lat = []
            c0 = time.process_time()
            t_all = _now()
            for i in range(opts["n"]):
                t0 = _now()
                value = await raw.predict(f"x{i}")
                lat.append(_now() - t0)
                if value != f"x{i}":
                    raise RuntimeError(f"wrong value {value!r}")
            return _latency_figures(lat, time.process_time() - c0, _now() - t_all)

    return run_async(lib, run)


def async_measure(lib: str, what: str, url: str, opts: dict) -> dict:
    """gradio_client.aio.AsyncClient under ``lib``: one trio.run / asyncio.run per measurement."""
    from gradio_client.aio import AsyncClient

    out: dict = {}

    async def generate(client, n: int) -> tuple:
        t0 = _now()
        job = await client.submit(n, api_name="/count_fast")
        first = last = None
        outputs = []
        async for value in job.iter_outputs():
            last = _now() - t0
            if first is None:
                first = last
            outputs.append(value)
        await job.result()
        return first, last, _now() - t0, outputs

    async def construct() -> None:
        times = []
        for _ in range(opts["k"]):
            client = AsyncClient(url, verbose=False)
            t0 = _now()
            await client.__aenter__()
            times.append(_now() - t0)
            await client.__aexit__(None, None, None)
        out.update(first=times[0], warm=statistics.median(times[1:]) if len(times) > 1 else times[0])

    async def latency() -> None:
        async with AsyncClient(url, verbose=False) as client:
            for i in range(opts["warmup"]):
                await client.predict(f"w{i}", api_name="/echo")
            lat = []
            c0 = time.process_time()
            t_all = _now()
            for i in range(opts["n"]):
                t0 = _now()
                value = await client.predict(f"x{i}", api_name="/echo")
                lat.append(_now() - t0)
                if value != f"x{i}":
                    raise RuntimeError(f"wrong value {value!r}")
            out.update(_latency_figures(lat, time.process_time() - c0, _now() - t_all))

    async def alternate(ours_fn, raw_fn, n: int, warmup: int) -> tuple:
        """``_alternate`` on this loop, against this library's floor (``AsyncRaw``): the
        settle is a sleep of the loop, during which our client's tasks finish the call's
        tail."""
        sleep = __import__(lib).sleep
        for i in range(warmup):
            await ours_fn(-1 - i)
            await raw_fn(-1 - i)
        ours: list = []
        base: list = []
        for i, fn, sink in _turns(n, (ours_fn, ours), (raw_fn, base)):
            c0 = time.process_time()
            figure = await fn(i)
            await sleep(SETTLE)
            sink.append((figure, time.process_time() - c0))
        return ours, base

    def timed(predict):
        async def call(i: int) -> float:
            t0 = _now()
            return _echoed(i, await predict(f"x{i}"), _now() - t0)
        return call

    def last_output(generator, n: int):
        async def call(i: int) -> float:  # noqa: ARG001
            return _last_of(await generator(n), n)
        return call

    async def paired() -> None:
        import httpx

        async with AsyncClient(url, verbose=False) as client, httpx.AsyncClient(
                timeout=httpx.Timeout(60.0, connect=10.0)) as http:
            raw = await AsyncRaw(http, url).connect()
            if what == "paired":
                pairs = await alternate(timed(lambda t: client.predict(t, api_name="/echo")),
                                        timed(raw.predict), opts["n"], opts["warmup"])
                out.update(_pair_figures(*pairs))
            else:
                n = opts["n"]
                pairs = await alternate(last_output(lambda k: generate(client, k), n),
                                        last_output(raw.generator, n), opts["k"], 1)
                out.update(_pair_figures(*pairs, per=n))

    async def burst() -> None:
        n = opts["n"]
        async with AsyncClient(url, verbose=False) as client:
            await client.predict("warm", api_name="/echo")
            peak = Peak()
            marks = checkpoints(n)
            rss0 = rss_now_mb()
            deadline = time.monotonic() + opts["timeout"] - 5
            c0 = time.process_time()
            t0 = _now()
            jobs = []
            for i in range(n):
                jobs.append(await client.submit(f"m{i}", api_name="/echo"))
                if i in marks:
                    peak.sample()
            submitted = _now()
            values = []
            for i, job in enumerate(jobs):
                try:
                    values.append(await job.result(timeout=max(0.1, deadline - time.monotonic())))
                except Exception as exc:  # noqa: BLE001 - a lost job, counted by the caller
                    values.append(exc)
                if i in marks:
                    peak.sample()
            out.update(_burst_figures(n, values, t0, submitted, c0, peak, rss0))

    async def generator() -> None:
        async with AsyncClient(url, verbose=False) as client:
            await client.predict("warm", api_name="/echo")
            n = opts["n"]
            samples = []
            c0 = time.process_time()
            for _ in range(opts["k"]):
                samples.append(await generate(client, n))
            out.update(_generator_figures(samples, n, time.process_time() - c0))

    fn = {"construct": construct, "latency": latency, "burst": burst, "generator": generator,
          "paired": paired, "genpaired": paired}[what]
    run_async(lib, fn)
    return out


# ------------------------------------------------------------------ sync measurements


SETTLE = 0.005  # s: a paired call's CPU is read this long after it returns (see _alternate)


def _pair_figures(ours: list, base: list, per: int = 1) -> dict:
    """``ours``/``base``: (figure, cpu) per call, call i of each run back to back.  Ratios
    are medians of the per-pair ratios; ``per`` divides the CPU (outputs per call)."""
    t_o, t_b = [x[0] for x in ours], [x[0] for x in base]
    c_o, c_b = [x[1] / per for x in ours], [x[1] / per for x in base]
    return {"median": statistics.median(t_o), "floor_median": statistics.median(t_b),
            "ratio": statistics.median(t_o) / statistics.median(t_b),
            "paired_ratio": statistics.median(a / b for a, b in zip(t_o, t_b)),
            "cpu": statistics.median(c_o), "floor_cpu": statistics.median(c_b),
            "paired_cpu_ratio": statistics.median(a / b for a, b in zip(c_o, c_b) if b > 0),
            "calls": len(ours)}


def _alternate(ours_fn, raw_fn, n: int, warmup: int) -> tuple:
    """Our client and the raw floor alternately, call by call, in this process: load drift
    on a shared machine hits both alike, so a ratio is steadier than one computed across
    processes.  Each call's CPU (the process's, every thread) is read ``SETTLE`` s after it
    returns, so the work our client's threads still do for the call (the stream's end) is
    counted with it, not with the next call.  ``fn(i)`` returns the call's figure."""
    for i in range(warmup):
        ours_fn(-1 - i)
        raw_fn(-1 - i)
    ours: list = []
    base: list = []
    for i, fn, sink in _turns(n, (ours_fn, ours), (raw_fn, base)):
        c0 = time.process_time()
        figure = fn(i)
        time.sleep(SETTLE)
        sink.append((figure, time.process_time() - c0))
    return ours, base


def _turns(n: int, ours: tuple, base: tuple):
    """(i, call, its results' list) for n pairs, which of the two goes first alternating."""
    for i in range(n):
        for fn, sink in ((base, ours) if i % 2 else (ours, base)):
            yield i, fn, sink


def _echoed(i: int, value, elapsed: float) -> float:
    """A paired predict's latency, once its value is checked."""
    if value != f"x{i}":
        raise RuntimeError(f"wrong value {value!r}")
    return elapsed


def _last_of(sample: tuple, n: int) -> float:
    """A paired generator's last-output time, once every output is seen."""
    first, last, done, outputs = sample
    if len(outputs) != n or last is None:
        raise RuntimeError(f"{len(outputs)} outputs of {n}")
    return last


def _timed_predict(predict):
    """``predict(text)`` as a paired call: its latency, its value checked."""
    def call(i: int) -> float:
        t0 = _now()
        return _echoed(i, predict(f"x{i}"), _now() - t0)
    return call


def _last_output(generator, n: int):
    """``generator(n)`` as a paired call: the time of its last output, every output seen."""
    def call(i: int) -> float:  # noqa: ARG001
        return _last_of(generator(n), n)
    return call


def _burst_total(burst, client, n: int, timeout: float):
    """``burst(client, n, ...)`` as a paired call: its total time, every job checked."""
    def call(i: int) -> float:  # noqa: ARG001
        deadline = time.monotonic() + timeout
        t0 = _now()
        values, _ = burst(client, n, Peak(), deadline)
        total = _now() - t0
        lost = sum(1 for j, v in enumerate(values) if v != f"m{j}")
        if lost:
            raise RuntimeError(f"{lost} of {n} jobs lost")
        return total
    return call


def _paired(what: str, ad, client, url: str, opts: dict) -> dict:
    raw = RawAdapter()
    floor = raw.connect(url)
    try:
        if what == "burstpaired":  # bursts of n jobs, ours and the floor's alternating
            n, per = opts["n"], opts["timeout"] / (2 * opts["k"] + 2)
            ad.predict(client, "warm")
            ours, base = _alternate(_burst_total(ad.burst, client, n, per),
                                    _burst_total(raw.burst, floor, n, per), opts["k"], 1)
            return _pair_figures(ours, base, per=n)
        if what == "paired":
            ours, base = _alternate(_timed_predict(lambda t: ad.predict(client, t)),
                                    _timed_predict(lambda t: raw.predict(floor, t)),
                                    opts["n"], opts["warmup"])
            return _pair_figures(ours, base)
        n = opts["n"]
        ours, base = _alternate(_last_output(lambda k: ad.generator(client, k), n),
                                _last_output(lambda k: raw.generator(floor, k), n),
                                opts["k"], 1)
        return _pair_figures(ours, base, per=n)
    finally:
        raw.close(floor)


def _latency_figures(lat: list, cpu: float, wall: float) -> dict:
    return {"median": statistics.median(lat), "p99": pct(lat, 0.99), "mean": statistics.fmean(lat),
            "min": min(lat), "cpu_per_call": cpu / len(lat), "wall": wall, "calls": len(lat),
            "latencies_ms": [round(x * 1e3, 2) for x in lat]}  # for bench/plots.py


def _burst_figures(n, values, t0, submitted, c0, peak, rss0) -> dict:
    end = _now()
    cpu = time.process_time() - c0
    ok = sum(1 for i, v in enumerate(values) if v == f"m{i}")
    errors = [repr(v)[:160] for v in values if isinstance(v, BaseException)][:3]
    return {"n": n, "total": end - t0, "submit_time": submitted - t0, "lost": n - ok,
            "errors": errors, "threads_peak": peak.value, "threads_end": threads_now(),
            "peak_rss_mb": peak_rss_mb(), "rss_before_mb": rss0, "cpu": cpu, "cpu_per_job": cpu / n}


def _generator_figures(samples: list, n: int, cpu: float = float("nan")) -> dict:
    """Medians over the k calls of one worker; the fewest outputs any call saw; the client's
    CPU (this process, every thread) over the k calls per output."""
    return {"cpu_per_output": cpu / (n * len(samples)),
            "first": statistics.median(x[0] for x in samples),
            "last": statistics.median(x[1] for x in samples),
            "done": statistics.median(x[2] for x in samples),
            "outputs": min(len(x[3]) for x in samples), "n": n, "calls": len(samples)}


def sync_measure(impl: str, what: str, url: str, opts: dict) -> dict:
    ad = RawAdapter() if impl == "raw" else SyncAdapter(impl, opts.get("workers", 0))
    if what == "construct":
        times = []
        for _ in range(opts["k"]):
            t0 = _now()
            client = ad.connect(url)
            times.append(_now() - t0)
            ad.close(client)
        return {"first": times[0], "warm": statistics.median(times[1:]) if len(times) > 1 else times[0]}

    client = ad.connect(url)
    try:
        if what == "latency":
            for i in range(opts["warmup"]):
                ad.predict(client, f"w{i}")
            lat = []
            c0 = time.process_time()
            t_all = _now()
            for i in range(opts["n"]):
                t0 = _now()
                value = ad.predict(client, f"x{i}")
                lat.append(_now() - t0)
                if value != f"x{i}":
                    raise RuntimeError(f"wrong value {value!r}")
            return _latency_figures(lat, time.process_time() - c0, _now() - t_all)
        if what in ("paired", "genpaired", "burstpaired"):
            return _paired(what, ad, client, url, opts)
        if what == "burst":
            n = opts["n"]
            ad.predict(client, "warm")  # connections open, stream path warm
            peak = Peak()
            rss0 = rss_now_mb()
            deadline = time.monotonic() + opts["timeout"] - 5
            c0 = time.process_time()
            t0 = _now()
            values, submitted = ad.burst(client, n, peak, deadline)
            return _burst_figures(n, values, t0, submitted, c0, peak, rss0)
        if what == "generator":
            ad.predict(client, "warm")
            c0 = time.process_time()
            samples = [ad.generator(client, opts["n"]) for _ in range(opts["k"])]
            return _generator_figures(samples, opts["n"], time.process_time() - c0)
        raise SystemExit(f"unknown measurement {what!r}")
    finally:
        ad.close(client)


# ------------------------------------------------------------------------------ main

DEFAULTS = {"n": 100, "warmup": 10, "k": 5, "timeout": 120, "workers": 0}


def emit(result: dict) -> None:
    sys.stdout.write("BENCH-RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()


def main(argv: list) -> int:
    impl, what, url = argv[1], argv[2], argv[3]
    opts = dict(DEFAULTS)
    for arg in argv[4:]:
        key, _, value = arg.partition("=")
        opts[key] = float(value) if key == "timeout" else int(value)
    base = {"impl": impl, "what": what}

    def on_alarm(signum, frame):  # noqa: ARG001
        emit({**base, "error": f"worker timed out after {opts['timeout']} s"})
        os._exit(3)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(opts["timeout"]))
    try:
        if impl in ("raw-trio", "raw-asyncio") and what == "latency":
            result = raw_async_latency(impl[4:], url, opts)
        elif impl in ("trio", "asyncio"):
            result = async_measure(impl, what, url, opts)
        else:
            result = sync_measure(impl, what, url, opts)
    except Exception as exc:  # noqa: BLE001 - reported to run.py
        import traceback

        traceback.print_exc()
        emit({**base, "error": f"{type(exc).__name__}: {exc}"[:500]})
        return 1
    result.update(base, modules_total=len(sys.modules), threads_end=threads_now(),
                  peak_rss_mb=result.get("peak_rss_mb", peak_rss_mb()))
    emit(result)
    sys.stdout.flush()
    os._exit(0)  # do not wait for clients' leftover non-daemon threads


if __name__ == "__main__":
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv))
