"""Micro-benchmark for gradio_client.protocol.sse.SSEDecoder.

Run from the repository root:  python bench/bench_sse.py

Prints microseconds per event for:
  1. one Gradio-shaped ``process_completed`` message (~300 bytes) per feed() call;
  2. 100 such messages in one chunk;
  3. one large event (1, 4 and 8 MiB of data) fed in 4 KiB chunks, to show linear time.
     The "floor" column is b"".join(chunks).decode() of the same bytes: the work any
     decoder must do, which on its own grows faster than linearly once the data no longer
     fits in cache.
Each figure is the best of several runs, so it estimates cost on an idle machine.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from gradio_client.protocol.sse import SSEDecoder  # noqa: E402


def gradio_message(i: int, text: str) -> bytes:
    """A process_completed frame shaped like gradio 6.x's /queue/data output."""
    payload = {
        "msg": "process_completed",
        "event_id": f"{i:032x}",
        "output": {
            "data": [text],
            "is_generating": False,
            "duration": 0.0005,
            "average_duration": 0.0005,
            "render_config": None,
            "changed_state_ids": [],
        },
        "success": True,
        "title": None,
        "used_cache": None,
        "avg_time": 0.0005,
    }
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return b"data: " + body.encode() + b"\n\n"


ASCII_TEXT = "Hello, world! The answer is 42."
OTHER_TEXT = "Caf\u00e9 \u2028 na\u00efve \u2014 \u65e5\u672c\u8a9e"  # raw UTF-8, as orjson writes it


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def one_per_feed(text: str, n: int = 5_000) -> float:
    chunks = [gradio_message(i, text) for i in range(n)]

    def run() -> None:
        feed = SSEDecoder().feed
        for chunk in chunks:
            feed(chunk)

    return best_of(15, run) / n * 1e6


def hundred_per_feed(text: str, n_chunks: int = 50) -> float:
    chunks = [
        b"".join(gradio_message(j * 100 + i, text) for i in range(100)) for j in range(n_chunks)
    ]

    def run() -> None:
        feed = SSEDecoder().feed
        for chunk in chunks:
            feed(chunk)

    return best_of(15, run) / (n_chunks * 100) * 1e6


def big_event(mib: int, chunk_size: int = 4096) -> tuple[float, float]:
    size = mib * 1024 * 1024
    body = b"data: " + b"A" * size + b"\n\n"
    chunks = [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]

    def run() -> None:
        decoder = SSEDecoder(max_event_size=size + 1024)
        events = []
        for chunk in chunks:
            events += decoder.feed(chunk)
        assert len(events) == 1 and len(events[0].data) == size

    def floor() -> None:
        b"".join(chunks).decode("utf-8", "replace")

    return best_of(5, run), best_of(5, floor)


def main() -> None:
    print(f"message sizes: ascii {len(gradio_message(0, ASCII_TEXT))} B, "
          f"non-ascii {len(gradio_message(0, OTHER_TEXT))} B")
    for label, text in (("ascii", ASCII_TEXT), ("non-ascii", OTHER_TEXT)):
        print(f"1 message per feed()   [{label:9s}]: {one_per_feed(text):5.2f} us/event")
        print(f"100 messages per feed() [{label:9s}]: {hundred_per_feed(text):5.2f} us/event")
    for mib in (1, 4, 8):
        t, floor = big_event(mib)
        print(
            f"one {mib} MiB event in 4 KiB chunks: {t * 1e3:7.2f} ms "
            f"({t * 1e3 / mib:5.2f} ms/MiB; floor join+decode {floor * 1e3:6.2f} ms)"
        )


if __name__ == "__main__":
    main()
