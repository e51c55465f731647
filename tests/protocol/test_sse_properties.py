"""Differential properties: SSEDecoder against a whole-buffer reference decoder.

The reference is written as directly from the WHATWG text as possible and ignores speed:
decode the whole stream as UTF-8 (replacing errors), drop one leading BOM, split on
CRLF | CR | LF, drop the unterminated last piece (EOF does not end a line), and run the
"interpreting an event stream" steps line by line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from gradio_client.protocol.errors import MessageTooLargeError
from gradio_client.protocol.sse import SSEDecoder, SSEEvent

BOM = b"\xef\xbb\xbf"


@dataclass
class Reference:
    events: list[SSEEvent]
    last_event_id: str
    retry: int | None
    clean: bool  # the stream ended on an event boundary (nothing pending to discard)


def reference_decode(stream: bytes) -> Reference:
    text = stream.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):  # one leading BOM is ignored
        text = text[1:]
    lines = re.split(r"\r\n|\r|\n", text)
    unterminated = lines.pop()  # the text after the last line end is never processed

    events: list[SSEEvent] = []
    data = ""
    event_type = ""
    id_buffer = ""
    last_event_id = ""
    retry: int | None = None
    in_event = False  # a non-comment line since the last blank line

    for line in lines:
        if line == "":
            # Dispatch the event.
            last_event_id = id_buffer
            if data == "":
                data = ""
                event_type = ""
                in_event = False
                continue
            if data.endswith("\n"):
                data = data[:-1]
            events.append(SSEEvent(data, event_type or "message", last_event_id))
            data = ""
            event_type = ""
            in_event = False
            continue
        if line.startswith(":"):
            continue
        if ":" in line:
            name, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
        else:
            name, value = line, ""
        in_event = True
        if name == "event":
            event_type = value
        elif name == "data":
            data += value + "\n"
        elif name == "id":
            if "\0" not in value:
                id_buffer = value
        elif name == "retry":
            if value and all(c in "0123456789" for c in value):
                try:
                    retry = int(value)
                except ValueError:  # beyond int()'s digit limit: ignored, as SSEDecoder does
                    pass
    return Reference(events, last_event_id, retry, clean=unterminated == "" and not in_event)


# ------------------------------------------------------------------ strategies

PIECES = [
    b"data:",
    b"data: ",
    b"data",
    b"event:",
    b"event: ",
    b"id:",
    b"id: ",
    b"retry:",
    b"retry: ",
    b":",
    b" ",
    b"\r",
    b"\n",
    b"\r\n",
    b"\n\n",
    BOM,
    b"\xef",
    b"\xef\xbb",
    "\u2028".encode(),
    "\u0085".encode(),
    b"\x00",
    b"\x0b\x0c",
    b"\xff",
    b"\xe2\x80",
    b"0",
    b"12",
    b"x",
    b"msg",
    "\u0661".encode(),  # ARABIC-INDIC DIGIT ONE
]

token_soup = st.lists(
    st.one_of(st.sampled_from(PIECES), st.binary(max_size=6)),
    max_size=40,
).map(b"".join)

# Whole lines: a (possibly wrong or empty) field name, a separator, a short value and a line
# end.  An empty name without separator is a blank line; an empty name with ":" a comment.
field_names = st.sampled_from(
    [b"data", b"data", b"event", b"id", b"retry", b"", b"", b"Data", b"dat", b"x", BOM + b"data"]
)
separators = st.sampled_from([b":", b": ", b": ", b":  ", b""])
value_bits = st.sampled_from(
    [b"x", b"y", b"1", b"0", b"12", b" ", b"\x00", "\u2028".encode(), b"\xff", b"\xe2\x80",
     b"+", b"_", "\u0661".encode(), BOM, b":", b"\t"]
)
line_ends = st.sampled_from([b"\n", b"\n", b"\r", b"\r\n"])
field_lines = st.tuples(
    field_names, separators, st.lists(value_bits, max_size=4).map(b"".join), line_ends
).map(b"".join)
retry_lines = st.tuples(
    st.just(b"retry"),
    separators,
    st.sampled_from([b"12", b"0", b"007", b"+12", b"-1", b"1_000", b" 12", b"12 ", b"1.5",
                     "\u0661\u0662".encode(), "\uff11".encode(), b"", b"soon"]),
    line_ends,
).map(b"".join)
lines = st.one_of(field_lines, retry_lines, line_ends)  # many blank lines: many dispatches
structured = st.tuples(
    st.sampled_from([b"", b"", BOM, b"\xef\xbb"]),
    st.lists(lines, max_size=16).map(b"".join),
    st.sampled_from([b"", b"", b"\n", b"data: tail", b"\r"]),
).map(b"".join)

streams = st.one_of(structured, token_soup)


@st.composite
def stream_and_chunks(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    stream = draw(streams)
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    bounds = [0, *cuts, len(stream)]
    chunks = [stream[a:b] for a, b in zip(bounds, bounds[1:])]
    return stream, chunks


# ------------------------------------------------------------------ properties


@settings(max_examples=800, deadline=None)
@given(stream_and_chunks())
def test_incremental_equals_reference_for_any_chunking(sc: tuple[bytes, list[bytes]]) -> None:
    stream, chunks = sc
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    fed = 0
    for chunk in chunks:
        events += decoder.feed(chunk)
        fed += len(chunk)
        # Timeliness: after each chunk, exactly the events the prefix completes are out
        # (an event ended by a CR at the chunk's end is not held back).
        prefix = reference_decode(stream[:fed])
        assert events == prefix.events
        assert decoder.last_event_id == prefix.last_event_id
        assert decoder.retry == prefix.retry
    expected = reference_decode(stream)
    assert events == expected.events
    assert decoder.last_event_id == expected.last_event_id
    assert decoder.retry == expected.retry
    assert decoder.feed_eof() is expected.clean


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.data())
def test_arbitrary_bytes_any_chunking(stream: bytes, data: st.DataObject) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    bounds = [0, *cuts, len(stream)]
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for a, b in zip(bounds, bounds[1:]):
        events += decoder.feed(stream[a:b])
    expected = reference_decode(stream)
    assert (events, decoder.last_event_id, decoder.retry) == (
        expected.events,
        expected.last_event_id,
        expected.retry,
    )
    assert decoder.feed_eof() is expected.clean


@settings(max_examples=250, deadline=None)
@given(stream_and_chunks())
def test_feed_eof_reports_pending_partial_line_or_event(sc: tuple[bytes, list[bytes]]) -> None:
    stream, chunks = sc
    decoder = SSEDecoder()
    for chunk in chunks:
        decoder.feed(chunk)
    # Independently of the reference: a stream that ends with a blank line (or with only
    # comment lines after one) is clean, and anything after it is not.
    text = stream.decode("utf-8", "replace").removeprefix("\ufeff")
    lines = re.split(r"\r\n|\r|\n", text)
    unterminated = lines.pop()
    after_last_blank = lines[len(lines) - lines[::-1].index("") :] if "" in lines else lines
    pending = unterminated != "" or any(not line.startswith(":") for line in after_last_blank)
    assert decoder.feed_eof() is (not pending)
    assert decoder.buffered == 0


@settings(max_examples=200, deadline=None)
@given(stream_and_chunks())
def test_buffered_and_cap_match_whole_stream(sc: tuple[bytes, list[bytes]]) -> None:
    """With a small cap, a chunking raises exactly when the whole stream does."""
    stream, chunks = sc
    cap = 24

    def decode(parts: list[bytes]) -> tuple[list[SSEEvent], bool]:
        decoder = SSEDecoder(max_event_size=cap)
        out: list[SSEEvent] = []
        try:
            for part in parts:
                out += decoder.feed(part)
                assert decoder.buffered <= cap
        except MessageTooLargeError:
            return out, True
        return out, False

    whole_events, whole_raised = decode([stream])
    events, raised = decode(chunks)
    assert raised == whole_raised
    full = reference_decode(stream).events
    assert events == full[: len(events)]
    if not raised:
        assert events == whole_events == full


def peak_held_bytes(stream: bytes) -> int:
    """The most bytes the documented cap rule ever counts for this stream, worked out
    independently at the byte level: for each line, the pending event's data values plus the
    line (or, for the unterminated tail, the part that exists)."""
    if stream.startswith(BOM):
        stream = stream[3:]
    elif BOM.startswith(stream):
        return 0  # only a BOM prefix: held aside, never counted
    pieces = re.split(rb"\r\n|\r|\n", stream)
    peak = 0
    data = 0
    for piece in pieces:
        peak = max(peak, data + len(piece))
        if piece == b"":
            data = 0
        elif piece.startswith(b"data:") or piece == b"data":
            value = piece[5:]
            data += len(value) - (1 if value.startswith(b" ") else 0)
    return peak


@settings(max_examples=200, deadline=None)
@given(stream_and_chunks())
def test_cap_boundary_is_exact(sc: tuple[bytes, list[bytes]]) -> None:
    """A cap equal to the peak never raises; one byte less always does, at any chunking."""
    stream, chunks = sc
    peak = peak_held_bytes(stream)

    def raises(cap: int) -> bool:
        decoder = SSEDecoder(max_event_size=cap)
        try:
            for chunk in chunks:
                decoder.feed(chunk)
        except MessageTooLargeError:
            return True
        return False

    assert not raises(max(peak, 1))
    if peak > 1:
        assert raises(peak - 1)


def test_reference_agrees_with_spec_examples() -> None:
    # Guard the oracle itself against drift.
    ref = reference_decode(b"data: YHOO\ndata: +2\ndata: 10\n\n")
    assert ref.events == [SSEEvent("YHOO\n+2\n10")]
    ref = reference_decode(b"data\n\ndata\ndata\n\ndata:")
    assert ref.events == [SSEEvent(""), SSEEvent("\n")] and not ref.clean
    ref = reference_decode(BOM + b"id: 1\ndata: a\r\n\r\nid: 2\x00\n\n")
    assert ref.events == [SSEEvent("a", id="1")] and ref.last_event_id == "1" and ref.clean
