"""Fuzz target for gradio_client.protocol.sse.SSEDecoder.

Invariant: however a byte stream is cut into chunks, the decoder emits the same events,
last_event_id, retry and feed_eof() answer as when it is fed in one piece; and with a small
size cap, a chunking raises MessageTooLargeError exactly when the whole stream does, having
delivered only a prefix of the uncapped events.

Input layout: byte 0 gives the number of cut points k (0-15), the next k bytes give cut
offsets into the rest, which is the stream.

Run it three ways (see fuzz/README.md):
    python fuzz/fuzz_sse.py [libFuzzer flags]     # atheris, if installed
    pytest fuzz/fuzz_sse.py                       # hypothesis + corpus replay
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

try:
    import gradio_client  # noqa: F401
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradio_client.protocol.errors import MessageTooLargeError
from gradio_client.protocol.sse import SSEDecoder, SSEEvent

# The only exceptions the decoder may raise on any input, and when.
ALLOWED_EXCEPTIONS: tuple[type[BaseException], ...] = (
    MessageTooLargeError,  # only from a decoder built with SMALL_CAP
)
SMALL_CAP = 64
CORPUS = Path(__file__).resolve().parent / "corpus" / "sse"


def split_input(data: bytes) -> tuple[bytes, list[bytes]]:
    if not data:
        return b"", [b""]
    k = data[0] % 16
    offsets, stream = data[1 : 1 + k], data[1 + k :]
    cuts = sorted(b % (len(stream) + 1) for b in offsets)
    bounds = [0, *cuts, len(stream)]
    return stream, [stream[a:b] for a, b in zip(bounds, bounds[1:])]


def decode(chunks: list[bytes], cap: int) -> tuple[list[SSEEvent], str, int | None, bool | None]:
    """Feed the chunks; the last item is feed_eof()'s answer, or None if the cap was hit."""
    decoder = SSEDecoder(max_event_size=cap)
    events: list[SSEEvent] = []
    try:
        for chunk in chunks:
            new = decoder.feed(chunk)
            for event in new:
                assert type(event.data) is str and type(event.id) is str
                assert event.event != ""
            events += new
            assert 0 <= decoder.buffered <= cap
    except ALLOWED_EXCEPTIONS:
        assert cap == SMALL_CAP
        assert decoder.feed_eof() is False
        return events, decoder.last_event_id, decoder.retry, None
    clean = decoder.feed_eof()
    assert decoder.buffered == 0
    return events, decoder.last_event_id, decoder.retry, clean


def test_one_input(data: bytes) -> None:
    stream, chunks = split_input(data)
    big = len(stream) + 1
    whole = decode([stream], big)
    assert whole[3] is not None
    assert decode(chunks, big) == whole
    # Byte by byte is the harshest chunking; keep it to short inputs for speed.
    if len(stream) <= 512:
        assert decode([stream[i : i + 1] for i in range(len(stream))], big) == whole

    capped_whole = decode([stream], SMALL_CAP)
    capped = decode(chunks, SMALL_CAP)
    assert (capped[3] is None) == (capped_whole[3] is None)
    assert capped[0] == whole[0][: len(capped[0])]
    if capped[3] is not None:
        assert capped == capped_whole == whole


test_one_input.__test__ = False  # type: ignore[attr-defined]  # not a pytest test itself


# ------------------------------------------------------------------ pytest entry points


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_fuzz_sse_hypothesis(data: bytes) -> None:
    test_one_input(data)


CORPUS_FILES = sorted(p for p in CORPUS.iterdir() if p.is_file()) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS_FILES, reason=f"no seed files in {CORPUS}")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.name for p in CORPUS_FILES])
def test_fuzz_sse_corpus(path: Path) -> None:
    test_one_input(path.read_bytes())


def main() -> None:
    import importlib

    atheris: Any = importlib.import_module("atheris")  # optional: pip install atheris

    # Coverage feedback from the decoder only: instrument_all() would also instrument
    # pytest, hypothesis and the rest of the package, which takes minutes.
    for obj in vars(SSEDecoder).values():
        if inspect.isfunction(obj):
            atheris.instrument_func(obj)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
