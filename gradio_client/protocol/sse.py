"""An incremental ``text/event-stream`` decoder (WHATWG HTML, "Server-sent events").

Theory of operation
===================

The decoder turns bytes, in chunks cut anywhere, into :class:`SSEEvent` values.  It does no
I/O, reads no clock and knows nothing about Gradio; the shells feed it what they read.

Section references below are to the HTML Living Standard, "Server-sent events":
*parsing* is "Parsing an event stream" (the grammar and the BOM/line rules), *interpreting*
is "Interpreting an event stream" (the per-line steps, "process the field" and "dispatch
the event").

1. **Bytes first, text later.**  Lines are found at the byte level and each complete line is
   decoded as UTF-8 with ``errors="replace"``.  That is the same as decoding the whole stream
   first and then splitting it, because the bytes CR (0x0D) and LF (0x0A) never occur inside
   a multi-byte UTF-8 sequence, and an LF also ends any truncated sequence before it in the
   same way the end of a string does.  Data values are kept as bytes and decoded once, at
   dispatch, after being joined with LF (equal to decoding each line, for the same reason).
   Field names are compared as bytes: a replacement character can never make a name equal
   to ``data``.

2. **Line ends.**  Only CRLF, a lone LF and a lone CR end a line (parsing: the ``end-of-line``
   rule).  U+2028, U+2029, U+0085, VT and FF are ordinary characters; Gradio writes U+2028 raw
   inside its JSON.  Each chunk is split in C: ``bytes.split(b"\\n")`` when the chunk holds no
   CR (the Gradio case), ``bytes.splitlines()`` otherwise (on bytes it breaks at CR, LF and
   CRLF only).  The last piece of a chunk is the start of an unfinished line; it is kept as
   a list of parts and joined once, when its end arrives, so no byte is scanned twice and a
   large event costs linear time.  If the unfinished line starts with ``data: `` the prefix
   is dropped at once, so the join produces the data value without a second full copy.

3. **A CR at the end of a chunk** ends its line at once, so ``b"data: x\\r\\r"`` dispatches in
   the same call.  If the next chunk starts with LF, that LF was the second half of a CRLF
   and is skipped.

4. **BOM.**  One UTF-8 BOM at stream offset 0 is skipped (parsing: a single leading U+FEFF is
   not part of the stream).  Its three bytes may arrive in separate chunks, so until three
   bytes have been seen they are held in ``_head``.  A BOM anywhere else is content.

5. **Fields** (interpreting: "process the field").  ``data`` appends its value to the data
   buffer (a list of byte strings: joining them with LF equals the spec's value-then-LF
   appends with the one trailing LF already removed, as dispatch would); ``event`` sets the event type buffer;
   ``id`` sets the last event ID buffer unless the value holds NUL; ``retry`` sets
   :attr:`SSEDecoder.retry` when the value is one or more ASCII digits.  Other names are
   ignored.  A line starting with ``:`` is a comment.

6. **Dispatch** happens on every blank line (interpreting: "dispatch the event").  It
   publishes the last event ID buffer as :attr:`SSEDecoder.last_event_id` even when no event
   follows, emits nothing if the data buffer is empty, and otherwise emits an event whose type
   is the event type buffer or ``"message"``.  Then the data and event type buffers are
   cleared; the last event ID buffer never is, so an ID sticks across events.

7. **End of stream** (interpreting: at end of file, whatever is pending is thrown away, so
   an event without its closing blank line never fires).  :meth:`SSEDecoder.feed_eof` drops an unfinished line and an event
   not closed by a blank line, and says whether it had to.

8. **Size cap.**  The decoder holds at most one unfinished line plus the data values of the
   current event.  Whenever that (counted in bytes, before decoding) would exceed
   ``max_event_size`` it raises :class:`MessageTooLargeError`.  The rule is checked for every
   complete line (pending data + the line) and for the unfinished line at the end of every
   chunk (pending data + the part seen so far), so whether it fires does not depend on how
   the stream was chunked.  When a chunk cannot possibly cross the cap the per-line checks
   are skipped.  After raising, the decoder is unusable: buffers are freed, :meth:`feed`
   raises :class:`LocalProtocolError`, and :meth:`feed_eof` returns ``False``.  Events that
   the failing chunk completed before the oversized line are not returned (though
   ``last_event_id`` and ``retry`` may reflect its earlier lines).

Deliberate limits, beyond the spec: a ``retry`` value with more digits than Python's
``int()`` accepts from text (``sys.get_int_max_str_digits()``, 4300 by default) is ignored
as if it were not a number.
"""

from __future__ import annotations

from typing import Final, NoReturn

import msgspec

from gradio_client.protocol.errors import LocalProtocolError, MessageTooLargeError

__all__ = ["SSEEvent", "SSEDecoder"]

_BOM: Final = b"\xef\xbb\xbf"


class SSEEvent(msgspec.Struct, frozen=True, gc=False):
    """One dispatched server-sent event."""

    data: str
    """The data buffer with its one trailing LF removed; lines of a multi-line event are joined by LF."""
    event: str = "message"
    """The event type buffer, or ``"message"`` when it was empty."""
    id: str = ""
    """The stream's last event ID when this event was dispatched ("" if none was ever set)."""


class SSEDecoder:
    """Incremental decoder: ``feed(bytes) -> list[SSEEvent]``, then ``feed_eof() -> bool``.

    ``last_event_id`` is the ID published at the most recent blank line (what a client sends
    as ``Last-Event-ID`` when it reconnects); an ``id:`` field of an event that was never
    closed by a blank line is not published.  ``retry`` is the last valid reconnection time
    in milliseconds, or ``None``.

    ``max_event_size`` bounds, in bytes, one unfinished line plus the data of the event being
    built; see the module docstring for the exact rule.
    """

    __slots__ = (
        "last_event_id",
        "retry",
        "_max",
        "_parts",
        "_partial_len",
        "_partial_data",
        "_data",
        "_data_size",
        "_etype",
        "_id_buf",
        "_fields",
        "_head",
        "_special",
        "_closed",
        "_eof_answer",
    )

    last_event_id: str
    retry: int | None

    def __init__(self, max_event_size: int = 64 * 1024 * 1024) -> None:
        if max_event_size < 1:
            raise LocalProtocolError(
                f"max_event_size must be a positive number of bytes, got {max_event_size!r}"
            )
        self.last_event_id = ""
        self.retry = None
        self._max = max_event_size
        # The unfinished line: its pieces, and its length so far.  If it began with
        # "data: ", that prefix is already stripped from the first piece (_partial_data), so
        # the joined pieces are the data value itself; _partial_len still counts it.
        self._parts: list[bytes] = []
        self._partial_len = 0
        self._partial_data = False
        # Interpreting: the data buffer (as raw values), its size, the event type buffer and
        # the last event ID buffer.
        self._data: list[bytes] = []
        self._data_size = 0
        self._etype = ""
        self._id_buf = ""
        # A field other than ``data`` was seen since the last blank line.  Only such a line
        # can change the event type or last event ID buffers (so dispatch looks at them
        # only then), and it means the stream is not at an event boundary (feed_eof).
        self._fields = False
        # Bytes seen at stream offset 0 that may still turn out to be a BOM; None once decided.
        self._head: bytes | None = b""
        # The next chunk needs a look before the hot path, for one of three reasons: the
        # stream is closed (_closed), the BOM is undecided (_head is not None), or else the
        # previous chunk ended in CR, so one LF at the start of the next must be dropped.
        self._special = True
        # None while open; otherwise why feed() is refused.
        self._closed: str | None = None
        # What feed_eof returns once closed: True after an EOF, False after a size error.
        self._eof_answer = True

    @property
    def buffered(self) -> int:
        """Bytes held for an unfinished line and the pending event's data."""
        head = len(self._head) if self._head else 0
        return head + self._partial_len + self._data_size

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Consume the next chunk and return the events it completed, in order.

        Raises :class:`MessageTooLargeError` if the pending event grows past
        ``max_event_size``, and :class:`LocalProtocolError` after :meth:`feed_eof` or after a
        size error.
        """
        if self._special:
            if self._closed is not None:
                raise LocalProtocolError(self._closed)
            head = self._head
            if head is not None:
                # Parsing: a BOM is ignored only at the very start of the stream.
                head += chunk
                if len(head) < 3 and _BOM.startswith(head):
                    self._head = head  # maybe still a BOM: wait for more bytes
                    return []
                self._head = None
                chunk = head[3:] if head.startswith(_BOM) else head
            else:
                # The only other reason: the previous chunk ended in CR.
                if not chunk:
                    return []  # still waiting for the byte after that CR
                if chunk[0] == 0x0A:
                    # The LF of a CRLF whose CR ended the previous chunk (and its line).
                    chunk = chunk[1:]
            self._special = False

        if 0x0D in chunk:
            # Some line ends here are CR or CRLF.  bytes.splitlines breaks at exactly CR, LF
            # and CRLF (unlike str.splitlines), but drops the empty piece after a final line
            # end, so the unfinished tail is decided from the last byte.
            lines = chunk.splitlines()
            last = chunk[-1]
            if last == 0x0D:
                # A CR ending the chunk ends its line now; if it was the first half of a
                # CRLF, the LF starts the next chunk and must be skipped.
                tail = b""
                self._special = True
            elif last == 0x0A:
                tail = b""
            else:
                tail = lines.pop()
        else:
            # Only LF line ends (the Gradio case): the last piece is the unfinished tail.
            lines = chunk.split(b"\n")
            tail = lines.pop()
        cap = self._max

        if not lines:
            # No line end in this chunk: it all belongs to the unfinished line.
            if tail:
                if self._parts:
                    self._parts.append(tail)
                    self._partial_len += len(tail)
                else:
                    self._hold(tail)
                if self._data_size + self._partial_len > cap:
                    self._too_large(self._data_size + self._partial_len)
            return []

        # Each line L completed here has (data before L) + len(L) <= everything held plus
        # this chunk, so when that total fits, no line can break the cap.
        data_size = self._data_size
        check = data_size + self._partial_len + len(chunk) > cap
        data = self._data

        if self._parts:
            # This chunk ends the unfinished line: join its pieces once.
            parts = self._parts
            parts.append(lines[0])
            self._parts = []
            if self._partial_data:
                # A "data: " line whose prefix was stripped when it began (see _hold).
                value = b"".join(parts)
                if check and data_size + 6 + len(value) > cap:
                    self._too_large(data_size + 6 + len(value))
                data.append(value)
                data_size += len(value)
                del lines[0]
            else:
                lines[0] = b"".join(parts)

        # Hot state lives in locals for the loop.  The event type buffer stays on self: it is
        # only read when ``fields`` says a non-data field was seen in this block.
        events: list[SSEEvent] = []
        append = events.append
        id_buf = self._id_buf
        fields = self._fields

        for line in lines:
            if check and data_size + len(line) > cap:
                self._too_large(data_size + len(line))
            if not line:
                # Interpreting: an empty line dispatches the event.
                if data:
                    # Dispatch steps 3-5: the trailing LF is never added (join), the type
                    # defaults to "message", and the event carries the last event ID.
                    append(
                        SSEEvent(
                            b"\n".join(data).decode("utf-8", "replace"),
                            (self._etype or "message") if fields else "message",
                            id_buf,
                        )
                    )
                    data = []
                    data_size = 0
                # Step 2 (empty data buffer: no event) joins here.  Both paths clear the
                # data and event type buffers, and step 1 publishes the last event ID
                # buffer, event or not.  Without a non-data field since the previous blank
                # line neither buffer can have changed, so that work is skipped.
                if fields:
                    self.last_event_id = id_buf
                    self._etype = ""
                    fields = False
            elif line[:6] == b"data: ":
                # The Gradio fast path: field "data", one leading space removed.
                data.append(line[6:])
                data_size += len(line) - 6
            else:
                colon = line.find(b":")
                if colon == 0:
                    continue  # Interpreting: a line starting with ":" is a comment.
                if colon < 0:
                    # No colon: the whole line is the field name, the value is empty.
                    name = line
                    value = b""
                else:
                    # Name before the first colon; drop one leading space from the value.
                    name = line[:colon]
                    value = line[colon + 1 :]
                    if value[:1] == b" ":
                        value = value[1:]
                if name == b"data":
                    data.append(value)
                    data_size += len(value)
                    continue
                fields = True
                if name == b"event":
                    self._etype = value.decode("utf-8", "replace")
                elif name == b"id":
                    # Process the field, id: a value holding NUL is ignored (a NUL byte is
                    # exactly a decoded NUL).
                    if b"\0" not in value:
                        id_buf = self._id_buf = value.decode("utf-8", "replace")
                elif name == b"retry":
                    # Process the field, retry: only a value made of ASCII digits counts
                    # (bytes.isdigit is ASCII-only and False for an empty value).
                    if value.isdigit():
                        try:
                            self.retry = int(value)
                        except ValueError:  # more digits than int() accepts; see docstring
                            pass
                # Any other field name is ignored.

        if check and data_size + len(tail) > cap:
            self._too_large(data_size + len(tail))
        if tail:
            self._hold(tail)
        else:
            self._partial_len = 0
        self._data = data
        self._data_size = data_size
        self._fields = fields
        return events

    def pending_head(self, limit: int = 256) -> bytes:
        """The first ``limit`` bytes of the data of the event still being built, with an
        unfinished ``data`` line included: what a stream cut now would lose.  Empty at an
        event boundary, and once the decoder is closed.  Called on breaks, not per chunk.
        """
        pieces = [piece[:limit] for piece in self._data[:limit]]
        if self._parts:
            line = b"".join(part[:limit] for part in self._parts[:limit])
            if self._partial_data:
                pieces.append(line)
            elif line[:5] == b"data:":
                pieces.append(line[6:] if line[5:6] == b" " else line[5:])
        return b"\n".join(pieces)[:limit]

    def feed_eof(self) -> bool:
        """Signal the end of the stream; discard anything pending.

        Returns ``True`` if the stream ended cleanly on an event boundary (after a blank line,
        or with only comments since the last one), ``False`` if an unfinished line or an event
        not closed by a blank line was discarded.  Calling it again returns ``True``; after a
        :class:`MessageTooLargeError` it returns ``False``.  :meth:`feed` raises afterwards.
        """
        if self._closed is not None:
            return self._eof_answer
        clean = not (self._head or self._parts or self._data or self._fields)
        self._close("feed() called after feed_eof(): the event stream has already ended")
        return clean

    # ------------------------------------------------------------------ internals

    def _hold(self, tail: bytes) -> None:
        """Start an unfinished line with ``tail`` (non-empty, no line end in it)."""
        self._partial_len = len(tail)
        if tail[:6] == b"data: ":
            # Keep only the value, so a large data line (say, base64 media arriving in
            # many chunks) is copied once when it completes instead of joined then sliced.
            self._parts = [tail[6:]]
            self._partial_data = True
        else:
            self._parts = [tail]
            self._partial_data = False

    def _close(self, reason: str) -> None:
        self._closed = reason
        self._special = True
        self._head = None
        self._parts = []
        self._partial_len = 0
        self._data = []
        self._data_size = 0
        self._etype = ""
        self._fields = False

    def _too_large(self, size: int) -> NoReturn:
        self._close("the SSE decoder is unusable after MessageTooLargeError; open a new stream")
        self._eof_answer = False
        cap = self._max
        raise MessageTooLargeError(
            f"a server-sent event grew past max_event_size={cap} bytes ({size} bytes were "
            f"pending and the event was not finished). If this server legitimately sends "
            f"events this large (for example base64-encoded media), raise the "
            f"max_event_size setting, e.g. max_event_size={max(cap * 4, size + 1)}."
        )
