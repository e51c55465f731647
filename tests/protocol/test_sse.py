"""Example tests for gradio_client.protocol.sse.

Every stream case is decoded whole, one byte at a time, and with every 2-way split (h11's
discipline), and must give the same events, last event ID, retry and feed_eof answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from gradio_client.protocol.errors import (
    GradioClientError,
    LocalProtocolError,
    MessageTooLargeError,
    RemoteProtocolError,
)
from gradio_client.protocol.sse import SSEDecoder, SSEEvent

BOM = b"\xef\xbb\xbf"
E = SSEEvent


def chunkings(stream: bytes) -> Iterator[list[bytes]]:
    """Whole, byte by byte, and every 2-way split (including empty first/last chunks)."""
    yield [stream]
    yield [stream[i : i + 1] for i in range(len(stream))]
    for i in range(len(stream) + 1):
        yield [stream[:i], stream[i:]]


@dataclass
class Case:
    stream: bytes
    events: list[SSEEvent]
    last_event_id: str = ""
    retry: int | None = None
    clean: bool = True  # what feed_eof() must return
    max_event_size: int = 64 * 1024 * 1024
    id: str = field(default="", compare=False)


def run(chunks: list[bytes], max_event_size: int = 64 * 1024 * 1024) -> tuple[SSEDecoder, list[SSEEvent], bool]:
    decoder = SSEDecoder(max_event_size=max_event_size)
    events: list[SSEEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return decoder, events, decoder.feed_eof()


def check(case: Case) -> None:
    for chunks in chunkings(case.stream):
        decoder, events, clean = run(chunks, case.max_event_size)
        assert events == case.events, chunks
        assert decoder.last_event_id == case.last_event_id, chunks
        assert decoder.retry == case.retry, chunks
        assert clean is case.clean, chunks


CASES = [
    # ---------------------------------------------------------------- WHATWG examples
    Case(
        b"data: YHOO\ndata: +2\ndata: 10\n\n",
        [E("YHOO\n+2\n10")],
        id="spec: stock ticker, multi-line data",
    ),
    Case(
        b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n",
        [E("first event", id="1"), E("second event", id=""), E(" third event", id="")],
        id="spec: test stream, ids and one-space rule",
    ),
    Case(
        b"data\n\ndata\ndata\n\ndata:",
        [E(""), E("\n")],
        clean=False,
        id="spec: empty data, two bare data lines, unterminated last block",
    ),
    Case(
        b"data:test\n\ndata: test\n\n",
        [E("test"), E("test")],
        id="spec: one optional space",
    ),
    Case(
        b"event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n",
        [E("73857293", "add"), E("2153", "remove"), E("113411", "add")],
        id="spec: event types",
    ),
    # ------------------------------------------------ style-anchors 4.3, one per row
    Case(
        b'data: {"t":"a\xe2\x80\xa8b\xe2\x80\xa9c\xc2\x85d\x0be\x0cf\x1cg"}\n\n',
        [E('{"t":"a\u2028b\u2029c\u0085d\x0be\x0cf\x1cg"}')],
        id="only CR/LF/CRLF end a line (U+2028 and friends are data)",
    ),
    Case(
        b"id: 7\n\n: keep-alive\n\nevent: x\n\n\n\nretry: 5\n\n",
        [],
        last_event_id="7",
        retry=5,
        id="empty data: no dispatch, no phantom events after an id",
    ),
    Case(
        b"data:\ndata: a\ndata:\n\n",
        [E("\na\n")],
        id="multi-line data joined with LF, leading and trailing empty lines kept",
    ),
    Case(
        b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 9\n\ndata: d\n\n",
        [E("a", id="1"), E("b", id="1"), E("c", id=""), E("d", id="9")],
        last_event_id="9",
        id="last event ID sticks across events; empty id resets it",
    ),
    Case(
        b"id: 1\n\nid: 2\x003\ndata: x\n\n",
        [E("x", id="1")],
        last_event_id="1",
        id="id with NUL is ignored",
    ),
    Case(
        b"retry: 3000\n"
        b"retry: +12\nretry: 1_000\nretry: \xd9\xa1\xd9\xa2\nretry: soon\nretry:\nretry\n"
        b"retry:  12\nretry: 12 \nretry: 1.5\nretry: -1\nretry: \xef\xbc\x91\n"
        b"data: x\n\n",
        [E("x")],
        retry=3000,
        id="retry: only ASCII digits ('+12', '1_000', Arabic-Indic, 'soon', '' ignored)",
    ),
    Case(b"retry: 0012\n\n", [], retry=12, id="retry with leading zeros"),
    Case(
        b"retry: 7\nretry: " + b"9" * 5000 + b"\n\n",
        [],
        retry=7,
        id="retry longer than int() accepts is ignored (documented limit)",
    ),
    Case(BOM + b"data: a\n\n", [E("a")], id="leading BOM skipped"),
    Case(
        BOM + BOM + b"data: a\n\ndata: b\n\n",
        [E("b")],
        id="second BOM is content (part of the first field name)",
    ),
    Case(
        b"data: a\n\n" + BOM + b"data: b\n\n",
        [E("a")],
        id="BOM not at offset 0 is content",
    ),
    Case(
        b"\xef\xbbdata: a\n\ndata: b\n\n",
        [E("b")],
        id="truncated BOM is content (U+FFFD in the field name)",
    ),
    Case(b"\xef\xbb", [], clean=False, id="stream is a BOM prefix only"),
    Case(BOM, [], id="stream is exactly a BOM"),
    Case(b"", [], id="empty stream"),
    Case(
        b"data: a\n\r\ndata: b\n\n",
        [E("a"), E("b")],
        id="mixed line endings: LF then CRLF is two line ends",
    ),
    Case(
        b"data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\rdata: e\n\r",
        [E("a\nb\nc"), E("d"), E("e")],
        id="mixed line endings within events",
    ),
    Case(
        b"data: a\n\ndata: b\n",
        [E("a")],
        clean=False,
        id="incomplete final event discarded",
    ),
    Case(b"data: a\n\ndata: b", [E("a")], clean=False, id="unterminated final line"),
    Case(b"data: a\n\n: bye\n", [E("a")], id="trailing comment is a clean end"),
    Case(b"data: a\n\nid: 5\n", [E("a")], clean=False, id="unpublished id at EOF"),
    Case(b"data: a\n\nevent: x\n", [E("a")], clean=False, id="event field without dispatch"),
    Case(b"data: a\n\nfoo: x\n", [E("a")], clean=False, id="unknown field without dispatch"),
    Case(b"data: a\n\n: unfinished comment", [E("a")], clean=False, id="unterminated comment"),
    Case(
        b"data: x\r\r",
        [E("x")],
        id="CR at end of stream ends the line",
    ),
    Case(
        b"data: \xff\xfe caf\xc3\xa9 \xe2\x82\ndata: \xe2\n\n",
        [E("\ufffd\ufffd caf\u00e9 \ufffd\n\ufffd")],
        id="always UTF-8, invalid bytes replaced",
    ),
    Case(
        b": hello\ndata: a\n: middle\ndata: b\n\n",
        [E("a\nb")],
        id="comments ignored",
    ),
    # ------------------------------------------------------------------- field rules
    Case(
        b"Data: x\n\nDATA: y\n\ndata : z\n\n data: w\n\n",
        [],
        id="field names are case- and space-sensitive",
    ),
    Case(
        b"data:\tx\n\ndata:  y\n\ndata:x:y\n\n",
        [E("\tx"), E(" y"), E("x:y")],
        id="value: only one leading space removed; name ends at the first colon",
    ),
    Case(
        b"event: a\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\nevent: b\nevent: c\ndata: 4\n\n",
        [E("1", "a"), E("2"), E("3"), E("4", "c")],
        id="event type is per event; empty means message",
    ),
    Case(
        b"event: a\n\ndata: 1\n\n",
        [E("1")],
        id="event type cleared by a dispatch without data",
    ),
    Case(
        b"event: a\n\nid: 2\ndata: 1\n\nevent: b\ndata: 3\n\nretry: 4\ndata: 5\n\n",
        [E("1", id="2"), E("3", "b", id="2"), E("5", id="2")],
        last_event_id="2",
        retry=4,
        id="event type cleared even when the next block has other fields",
    ),
    Case(
        b"id: \xff\ndata: x\n\n",
        [E("x", id="\ufffd")],
        last_event_id="\ufffd",
        id="id decoded with replacement",
    ),
    Case(
        b"data: x\nid: 3\n\n",
        [E("x", id="3")],
        last_event_id="3",
        id="id line after data still applies at dispatch",
    ),
    Case(
        b'data: {"msg":"estimation","event_id":"ab","rank":0}\n\n'
        b'data: {"msg":"process_completed","event_id":"ab","output":{"data":["h\xc3\xa9\xe2\x80\xa8"]},"success":true}\n\n'
        b'data: {"msg":"close_stream","event_id":null}\n\n',
        [
            E('{"msg":"estimation","event_id":"ab","rank":0}'),
            E('{"msg":"process_completed","event_id":"ab","output":{"data":["h\u00e9\u2028"]},"success":true}'),
            E('{"msg":"close_stream","event_id":null}'),
        ],
        id="Gradio queue/data stream",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_stream(case: Case) -> None:
    check(case)


# ------------------------------------------------------------ CR at a chunk boundary


def test_cr_at_end_of_chunk_dispatches_in_the_same_call() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\r\r") == [E("x")]
    assert decoder.buffered == 0


def test_lf_after_chunk_final_cr_is_skipped() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\r") == []
    # If this LF were taken as a line of its own, "x" would be dispatched alone.
    assert decoder.feed(b"\ndata: y\r\n\r\n") == [E("x\ny")]


def test_lf_skip_survives_empty_chunks() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\r") == []
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"\n") == [E("x")]


def test_only_one_lf_is_skipped() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\r") == []
    assert decoder.feed(b"\n\n") == [E("x")]


def test_split_bom_is_held_then_skipped() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"\xef") == []
    assert decoder.buffered == 1
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\xbb") == []
    assert decoder.buffered == 2
    assert decoder.feed(b"\xbfdata: a\n") == []
    assert decoder.buffered == 1
    assert decoder.feed(b"\n") == [E("a")]


def test_events_are_returned_per_feed_in_order() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: 1\n\ndata: 2\n\ndata: 3") == [E("1"), E("2")]
    assert decoder.feed(b"\n\n") == [E("3")]


def test_last_event_id_is_published_only_at_a_blank_line() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"id: 1\n")
    assert decoder.last_event_id == ""
    decoder.feed(b"\n")
    assert decoder.last_event_id == "1"
    decoder.feed(b"id: 2\ndata: x\n")
    assert decoder.last_event_id == "1"


def test_retry_applies_immediately() -> None:
    decoder = SSEDecoder()
    assert decoder.retry is None
    decoder.feed(b"retry: 250\n")
    assert decoder.retry == 250


def test_buffered_counts_unfinished_line_and_pending_data() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: abc")
    assert decoder.buffered == 9
    decoder.feed(b"\n")
    assert decoder.buffered == 3
    decoder.feed(b"data: de")
    assert decoder.buffered == 3 + 8
    decoder.feed(b"\n\n")
    assert decoder.buffered == 0


def test_event_struct() -> None:
    event = E("x")
    assert (event.data, event.event, event.id) == ("x", "message", "")
    with pytest.raises(AttributeError):
        event.data = "y"  # type: ignore[misc]


# ------------------------------------------------------------------------ EOF


def test_feed_after_eof_raises() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\n") == [E("a")]
    assert decoder.feed_eof() is True
    with pytest.raises(LocalProtocolError, match="after feed_eof"):
        decoder.feed(b"data: b\n\n")
    with pytest.raises(LocalProtocolError):
        decoder.feed(b"")


def test_feed_eof_twice() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n")
    assert decoder.feed_eof() is False
    assert decoder.buffered == 0
    assert decoder.feed_eof() is True


def test_feed_eof_with_pending_lf_skip_is_clean() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r\r") == [E("a")]
    assert decoder.feed_eof() is True


# ------------------------------------------------------------------- size cap


@pytest.mark.parametrize(
    "stream",
    [
        pytest.param(b"data: " + b"x" * 200 + b"\n\n", id="one long data line"),
        pytest.param(b"data: " + b"x" * 200, id="one long unterminated line"),
        pytest.param(b"data: " + b"x" * 60 + b"\ndata: " + b"y" * 60 + b"\n\n", id="data over two lines"),
        pytest.param(b"data: " + b"x" * 60 + b"\n: " + b"y" * 60 + b"\n\n", id="data then a long comment"),
        pytest.param(b": " + b"x" * 200 + b"\n\n", id="one long comment line"),
        pytest.param(b"data: ok\n\n" + b"data: " + b"x" * 200 + b"\n\n", id="after a good event"),
        pytest.param(b"data: a\r" + b"x" * 100 + b"\r\r", id="CR line ends"),
        pytest.param(b"data: " + b"x" * 95 + b"\n\n", id="one byte over"),
        pytest.param(b"data: " + b"x" * 95 + b"\r\n\r\n", id="one byte over, CRLF"),
        pytest.param(b"data: ab\n" + b"data: " + b"x" * 93 + b"\n\n", id="one byte over, 2 lines"),
    ],
)
def test_size_cap_raises_for_every_chunking(stream: bytes) -> None:
    for chunks in chunkings(stream):
        decoder = SSEDecoder(max_event_size=100)
        with pytest.raises(MessageTooLargeError, match="max_event_size=100"):
            for chunk in chunks:
                decoder.feed(chunk)
                assert decoder.buffered <= 100


def test_size_cap_many_small_chunks() -> None:
    decoder = SSEDecoder(max_event_size=1000)
    decoder.feed(b"data: ")
    fed = 6
    with pytest.raises(MessageTooLargeError) as info:
        while True:
            decoder.feed(b"0123456789")
            fed += 10
            assert fed <= 1000
    # 996 bytes were accepted; the chunk that would have made 1006 raised.
    assert fed == 996
    message = str(info.value)
    assert "max_event_size=1000" in message and "raise the max_event_size setting" in message
    assert isinstance(info.value, RemoteProtocolError)
    assert isinstance(info.value, GradioClientError)


def test_size_cap_many_small_data_lines() -> None:
    decoder = SSEDecoder(max_event_size=1000)
    with pytest.raises(MessageTooLargeError):
        for _ in range(1000):
            decoder.feed(b"data: 0123456789\n")


def test_size_cap_is_per_event() -> None:
    stream = b"".join(b"data: " + b"x" * 90 + b"\n\n" for _ in range(20))
    check(Case(stream, [E("x" * 90)] * 20, max_event_size=100))


def test_size_cap_exact_fit_is_allowed() -> None:
    # The cap bounds the unfinished line (96 bytes here) plus pending data: 6 + 94 = 100.
    check(Case(b"data: " + b"x" * 94 + b"\n\n", [E("x" * 94)], max_event_size=100))
    check(Case(b"data: " + b"x" * 94 + b"\r\n\r\n", [E("x" * 94)], max_event_size=100))


def test_decoder_unusable_after_size_error() -> None:
    decoder = SSEDecoder(max_event_size=10)
    with pytest.raises(MessageTooLargeError):
        decoder.feed(b"data: 0123456789\n\n")
    assert decoder.buffered == 0
    with pytest.raises(LocalProtocolError, match="unusable"):
        decoder.feed(b"data: x\n\n")
    assert decoder.feed_eof() is False
    assert decoder.feed_eof() is False


def test_size_error_in_split_bom_path() -> None:
    decoder = SSEDecoder(max_event_size=3)
    assert decoder.feed(b"\xef\xbb") == []
    with pytest.raises(MessageTooLargeError):
        decoder.feed(b"xy")


@pytest.mark.parametrize("bad", [0, -1])
def test_max_event_size_must_be_positive(bad: int) -> None:
    with pytest.raises(LocalProtocolError, match="max_event_size"):
        SSEDecoder(max_event_size=bad)


@pytest.mark.parametrize(
    ("chunks", "head"),
    [
        ([b""], b""),
        ([b"data: {\"msg\":\"x\"}\n\n"], b""),  # at a boundary nothing is pending
        ([b"d"], b""),  # not yet known to be a data line
        ([b"data: {\"ms"], b"{\"ms"),
        ([b"data: {\"msg\"", b":\"pro"], b"{\"msg\":\"pro"),
        ([b"data:{\"a\"", b"}"], b"{\"a\"}"),  # no space after the colon, held unparsed
        ([b"data: one\ndata: tw"], b"one\ntw"),
        ([b"data: one\n"], b"one"),  # a whole line, the event not closed yet
        ([b": comment\nevent: e\n"], b""),
    ],
)
def test_pending_head_shows_what_a_cut_would_lose(chunks: list[bytes], head: bytes) -> None:
    decoder = SSEDecoder()
    for chunk in chunks:
        decoder.feed(chunk)
    assert decoder.pending_head() == head
    assert SSEDecoder().pending_head() == b""


def test_pending_head_is_bounded() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: " + b"x" * 1000 + b"\ndata: " + b"y" * 10)
    decoder.feed(b"y" * 1000)
    assert decoder.pending_head(16) == b"x" * 16
    decoder.feed_eof()
    assert decoder.pending_head() == b""
