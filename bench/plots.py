"""Charts of a bench/run.py result file: PNGs for bench/RESULTS.md and the docs site.

    python bench/plots.py RESULTS.json OUT_DIR

Needs matplotlib (``pip install "gradio_client[plots]"``); ``bench/run.py --plots DIR`` makes a
venv with it and calls this.  Writes:

* ``latency.png``: the distribution of per-call ``predict`` latency, per client (every round);
* ``bursts.png``: total time of the 200- and 1000-job bursts, per client (median of rounds);
* ``resources.png``: peak threads and peak RSS during the 1000-job burst (worst round).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LABEL = {"ours": "ours (sync)", "trio": "ours (trio)", "asyncio": "ours (asyncio)",
         "official": "official", "raw": "raw floor", "raw-trio": "floor (trio)",
         "raw-asyncio": "floor (asyncio)"}
ORDER = ["ours", "trio", "asyncio", "official", "raw", "raw-trio", "raw-asyncio"]


def _runs(results: dict[str, Any], key: str) -> dict[str, list[dict[str, Any]]]:
    per_impl = results.get(key, {})
    return {i: [r for r in per_impl.get(i, []) if "error" not in r] for i in ORDER
            if any("error" not in r for r in per_impl.get(i, []))}


def latency(results: dict[str, Any], out: Path) -> None:
    runs = _runs(results, "latency")
    data = {i: [x for r in rs for x in r.get("latencies_ms", [])] for i, rs in runs.items()}
    data = {i: v for i, v in data.items() if v}
    if not data:
        return
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.boxplot(list(data.values()), showfliers=False)
    ax.set_xticks(range(1, len(data) + 1), [LABEL[i] for i in data], rotation=15)
    ax.set_ylabel("predict latency (ms)")
    ax.set_title("Per-call latency of /echo (whiskers: 1.5 IQR; outliers hidden)")
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=110)
    plt.close(fig)


def bursts(results: dict[str, Any], out: Path) -> None:
    sizes = [(k, n) for k, n in (("burst200", 200), ("burst1000", 1000)) if k in results]
    if not sizes:
        return
    impls = [i for i in ORDER if any(i in _runs(results, k) for k, _ in sizes)]
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / max(1, len(impls))
    for j, impl in enumerate(impls):
        values = []
        for key, _ in sizes:
            totals = [r["total"] for r in _runs(results, key).get(impl, [])]
            values.append(statistics.median(totals) if totals else 0)
        ax.bar([x + j * width for x in range(len(sizes))], values, width, label=LABEL[impl])
    ax.set_xticks([x + width * (len(impls) - 1) / 2 for x in range(len(sizes))],
                  [f"{n} jobs" for _, n in sizes])
    ax.set_ylabel("total time (s)")
    ax.set_title("Bursts of /echo jobs submitted at once (median of rounds)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "bursts.png", dpi=110)
    plt.close(fig)


def resources(results: dict[str, Any], out: Path) -> None:
    key = "burst1000" if "burst1000" in results else "burst200"
    runs = _runs(results, key)
    if not runs:
        return
    impls = list(runs)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4))
    left.bar([LABEL[i] for i in impls], [max(r["threads_peak"] for r in runs[i]) for i in impls])
    left.set_ylabel("threads (peak)")
    right.bar([LABEL[i] for i in impls], [max(r["peak_rss_mb"] for r in runs[i]) for i in impls])
    right.set_ylabel("peak RSS (MB)")
    for ax in (left, right):
        ax.tick_params(axis="x", rotation=25)
    fig.suptitle(f"{key}: threads and memory (worst round)")
    fig.tight_layout()
    fig.savefig(out / "resources.png", dpi=110)
    plt.close(fig)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    results = json.loads(Path(argv[1]).read_text())["results"]
    out = Path(argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for chart in (latency, bursts, resources):
        chart(results, out)
    print(f"charts written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
