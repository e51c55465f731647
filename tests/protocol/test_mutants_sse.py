"""SSE decoder tests written for mutants of protocol/sse.py that survived the other tests.

docs/mutation.md lists every surviving mutant: the ones these tests kill, and why the rest
cannot be killed.  Each test states a property of the decoder, not of a mutant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from gradio_client.protocol.errors import MessageTooLargeError
from gradio_client.protocol.sse import SSEDecoder

from .test_sse import chunkings

SIZE = re.compile(rb"\((\d+) bytes were pending")
HINT = re.compile(rb"e\.g\. max_event_size=(\d+)\.$")


def chunkings3(stream: bytes) -> Iterator[list[bytes]]:
    """:func:`chunkings`, plus every 3-way split."""
    yield from chunkings(stream)
    for i in range(len(stream) + 1):
        for j in range(i, len(stream) + 1):
            yield [stream[:i], stream[i:j], stream[j:]]


OVERSIZED = [
    pytest.param(b"data: " + b"x" * 30 + b"\n\n", id="one data line"),
    pytest.param(b"data: " + b"x" * 30, id="unterminated data line"),
    pytest.param(b"data: 0123456789\ndata: 0123456789\n\n", id="two data lines"),
    pytest.param(b"data:" + b"x" * 30 + b"\n\n", id="data without space"),
    pytest.param(b": " + b"c" * 30 + b"\n\n", id="comment line"),
    pytest.param(b"data: ab\r" + b"x" * 30 + b"\r\r", id="CR line ends"),
]


@pytest.mark.parametrize("stream", OVERSIZED)
def test_size_error_reports_the_pending_size_and_a_value_that_fits(stream: bytes) -> None:
    """Whatever the chunking, the error names a pending size over the cap and suggests a
    max_event_size that would hold it and that grows the cap at least twofold."""
    cap = 20
    for chunks in chunkings3(stream):
        decoder = SSEDecoder(max_event_size=cap)
        with pytest.raises(MessageTooLargeError) as info:
            for chunk in chunks:
                decoder.feed(chunk)
        message = str(info.value).encode()
        size = SIZE.search(message)
        hint = HINT.search(message)
        assert size is not None and hint is not None, (chunks, message)
        pending, suggested = int(size.group(1)), int(hint.group(1))
        assert cap < pending <= len(stream), (chunks, message)
        assert suggested > pending and suggested >= 2 * cap, (chunks, message)


def test_size_error_suggests_a_value_over_a_pending_size_far_past_the_cap() -> None:
    decoder = SSEDecoder(max_event_size=10)
    with pytest.raises(MessageTooLargeError) as info:
        decoder.feed(b"data: " + b"x" * 100 + b"\n")
    message = str(info.value).encode()
    size, hint = SIZE.search(message), HINT.search(message)
    assert size is not None and hint is not None
    assert int(size.group(1)) == 106 and int(hint.group(1)) > 106


def test_size_error_of_a_data_line_completed_across_chunks_counts_its_prefix() -> None:
    """A data line held across chunks is counted whole (prefix included) when it ends."""
    decoder = SSEDecoder(max_event_size=20)
    assert decoder.feed(b"data: 01234") == []  # 11 bytes held, under the cap
    with pytest.raises(MessageTooLargeError) as info:
        decoder.feed(b"5678901234567\n")  # the line is 6 + 18 = 24 bytes
    assert b"(24 bytes were pending" in str(info.value).encode()


@pytest.mark.parametrize(
    ("stream", "head"),
    [
        (b"data: xyz", b"xyz"),
        (b"data:xyz", b"xyz"),
        (b"data: 1\ndata: xyz", b"1\nxyz"),
        (b"data:  xyz", b" xyz"),  # one space is the separator, the second is content
        (b"event: e\ndata: ", b""),
    ],
)
def test_pending_head_of_an_unfinished_data_line_for_every_chunking(stream: bytes, head: bytes) -> None:
    """The ``data: `` prefix may arrive split over chunks (``dat`` + ``a: xyz``); the
    pending head is the value either way."""
    for chunks in chunkings3(stream):
        decoder = SSEDecoder()
        for chunk in chunks:
            assert decoder.feed(chunk) == []
        assert decoder.pending_head() == head, chunks


def test_pending_head_default_limit_is_256_bytes() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: " + b"x" * 1000)
    assert decoder.pending_head() == b"x" * 256
    decoder.feed(b"\n")
    assert decoder.pending_head() == b"x" * 256


@pytest.mark.parametrize(
    "stream",
    [
        pytest.param(b"data: 0123456789\ndata: abcdefghij\ndata: xyz", id="data lines"),
        pytest.param(b"data:0123456789\ndata:abcdefghij\ndata:xyz", id="no space"),
        pytest.param(b"data\ndata: 0123456789\r\ndata:abcdefghij\rdata: xyz", id="mixed"),
    ],
)
def test_buffered_and_the_cap_count_every_pending_data_line_for_every_chunking(stream: bytes) -> None:
    """``buffered`` is the data values of the open event plus the unfinished line, however
    the lines arrived; the cap fits exactly that many bytes and not one fewer."""
    *lines, unfinished = stream.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    values = [line.split(b":", 1)[1].removeprefix(b" ") if b":" in line else b"" for line in lines]
    pending = sum(map(len, values)) + len(unfinished)
    for chunks in chunkings3(stream):
        decoder = SSEDecoder(max_event_size=pending)
        for chunk in chunks:
            assert decoder.feed(chunk) == []
        assert decoder.buffered == pending, chunks
        tight = SSEDecoder(max_event_size=pending - 1)
        with pytest.raises(MessageTooLargeError):
            for chunk in chunks:
                tight.feed(chunk)
