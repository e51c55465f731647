"""One open stream of the thread shell (``_Reader``), and lending it (``Lending``).

Lending: while a caller waits in ``Job.__next__`` for an output of the client's only job,
the stream that brought that output is lent to it.  The caller reads and feeds the next
chunks itself and the stream's reader thread waits, so a generator's outputs are not handed
from thread to thread one by one (each hand-off was a wake-up and a pass of the GIL: 10.4
syscalls per output, 4.1 lent).  The caller waits for data with poll() outside httpx, so an
interrupt there leaves the stream whole; a cancel or a timeout wakes it through a
socketpair; the reader thread takes the stream back when the caller is not reading at one
of its checks (``LEND_CHECK``), when another job starts, and at the stream's end.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from ..protocol.actions import Action, EmitOutput
from ..protocol.machine import QueueMachine
from ._common import transport_error

# Seconds between a lent stream's checks that its borrower still reads it: how long the
# stream's next updates may wait for a caller that stopped iterating.  Each check wakes the
# reader thread and takes the GIL: at 5 ms they cost 15 % of a generator output's CPU.
LEND_CHECK = 0.05


class _Reader:
    """One open stream (or websocket) and the thread reading it."""

    __slots__ = (
        "stream_id", "closed", "ended", "lock", "response", "socket", "wakeup", "successor",
        "turn", "chunks", "lent_to", "back", "end", "reading", "pending", "pending_cut",
        "read_timeout",
    )

    def __init__(self, stream_id: int) -> None:
        self.stream_id = stream_id
        self.closed = False
        self.ended = False  # its end was fed: its thread looks for a next stream soon
        self.lock = threading.Lock()  # hands ``response`` over between reader and close()
        self.response: httpx.Response | None = None
        self.socket: Any = None
        self.wakeup = threading.Event()
        # a stream opened while this one's end was being fed: runs next on this thread
        self.successor: tuple[_Reader, Callable[[_Reader], None]] | None = None
        # Lending (``ThreadShell.read_lent``): whoever reads ``chunks`` holds ``turn``.
        self.turn = threading.Lock()
        self.chunks: Iterator[bytes] | None = None
        self.lent_to: int | None = None  # the job whose waiting caller reads it meanwhile
        self.back = threading.Event()  # set when the stream is given back (or closed)
        self.end: BaseException | StopIteration | None = None  # met by the borrower
        self.reading = False  # the borrower is inside ``read_lent``'s wait or read
        self.pending: Callable[[], bool] | None = None  # bytes buffered under httpx?
        self.pending_cut = False  # the borrower is inside httpx's read: an interrupt cuts it
        self.read_timeout: float | None = None

    def close(self) -> None:
        self.closed = True
        self.wakeup.set()
        self.back.set()
        with self.lock:
            # Unblock the reader's recv(): shut the socket down under httpx.  The reader
            # clears ``response`` under this lock before its connection goes back to httpx's
            # pool, so the socket shut down here is still the stream's.  A connection whose
            # body had ended just before goes back to the pool shut down: httpcore drops it
            # before any reuse (an idle connection that reads as readable has expired).
            response, self.response = self.response, None
            _shutdown(response)
        if self.socket is not None:
            try:
                self.socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


    def response_socket(self) -> Any:
        response = self.response
        stream = response.extensions.get("network_stream") if response is not None else None
        return stream.get_extra_info("socket") if stream is not None else None


def _pending_bytes(response: httpx.Response | None) -> Callable[[], bool] | None:
    """A test of whether bytes of ``response``'s body are buffered under httpx (in h11's
    receive buffer, or decrypted by TLS and not yet read): the next chunk then comes
    without waiting for the socket.  None when the HTTP stack is not one whose buffer is
    known (httpcore's HTTP/1.1 on h11): its stream is not lent."""
    obj: Any = response.stream if response is not None else None
    for _ in range(8):  # CappedStream, httpx's streams, httpcore's, its connection
        h11 = getattr(obj, "_h11_state", None)
        if h11 is not None:
            break
        obj = next(
            (getattr(obj, name) for name in ("_raw", "_stream", "_httpcore_stream", "_connection")
             if getattr(obj, name, None) is not None),
            None,
        )
    else:
        return None
    if h11 is None or not hasattr(h11, "trailing_data"):
        return None
    stream = response.extensions.get("network_stream") if response is not None else None
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is None:
        return None
    tls = getattr(sock, "pending", None)
    if tls is None:
        return lambda: bool(h11.trailing_data[0])
    return lambda: bool(h11.trailing_data[0]) or tls() > 0


def _shutdown(response: httpx.Response | None) -> None:
    """Shut down the socket under an open response (its reader's ``recv`` returns)."""
    if response is not None:
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Lending:
    """The thread shell's lending of a stream (see the module doc)."""

    _machine: QueueMachine
    _closed: bool
    # job id -> how to lend a stream to its caller waiting in ``Job.__next__``
    _borrowers: dict[int, Callable[[_Reader], None]]
    _wake: tuple[socket.socket, socket.socket] | None  # see wake_borrower

    def _feed_here(
        self, method: Callable[..., list[Action]], *args: Any, **kwargs: Any
    ) -> list[Action] | None:
        raise NotImplementedError

    def _read_chunks(self, reader: _Reader, chunks: Iterator[bytes]) -> bool:
        """Feed ``chunks`` to the machine until the stream ends; True if it was closed.

        Lending: when a chunk brings an output to a caller waiting in ``Job.__next__`` and
        that job is the client's only one, the stream is lent to that caller.  It reads the
        next chunks itself (``read_lent``) while this thread waits (``_while_lent``), so a
        generator's outputs are not handed from thread to thread one by one.  The stream
        comes back when the job ends, when the caller stops reading, or with an end (EOF,
        an error) the caller met, which this thread then feeds as if it had read it.
        """
        sid = reader.stream_id
        reader.chunks = chunks
        data = self._machine.receive_stream_data
        while True:
            if reader.lent_to is not None:
                self._while_lent(reader)
                if reader.closed:
                    return True
                end, reader.end = reader.end, None
                if isinstance(end, StopIteration):
                    return False
                if end is not None:
                    raise end
                continue
            chunk = next(chunks, None)
            if chunk is None:
                return False
            if reader.closed:
                return True
            actions = self._feed_here(data, sid, chunk)
            if actions and self._borrowers:
                self._lend(reader, actions)

    def wait_lending(self, job: int, borrow: Callable[[_Reader], None], waiter: Any) -> None:
        """Wait on ``waiter`` (released when ``job`` changes) as a caller that can read a
        stream of ``job`` itself: ``borrow(reader)`` lends it one."""
        self._borrowers[job] = borrow
        try:
            waiter.acquire()
        finally:
            self._borrowers.pop(job, None)

    def _lend(self, reader: _Reader, actions: list[Action]) -> None:
        for action in actions:
            if type(action) is EmitOutput and action.job in self._borrowers:
                borrow = self._borrowers.get(action.job)  # gone if its caller woke meanwhile
                if borrow is None or self._machine.job_count() != 1 or self._closed:
                    return
                if reader.pending is None:
                    reader.pending = _pending_bytes(reader.response)
                    if reader.pending is None:  # an HTTP stack whose buffer we cannot see
                        return
                if self._wake is None:
                    self._wake = socket.socketpair()
                    for end in self._wake:
                        end.setblocking(False)
                reader.back.clear()
                reader.lent_to = action.job
                borrow(reader)
                return

    def _while_lent(self, reader: _Reader) -> None:
        """Wait while a caller reads ``reader``'s stream.  Every ``LEND_CHECK`` seconds the
        stream is taken back unless the caller is reading it right then (it went on with
        work of its own, or stopped iterating): the stream's next updates wait no longer."""
        while not reader.back.wait(LEND_CHECK):
            if reader.turn.acquire(blocking=False):
                try:
                    self._give_back(reader)
                finally:
                    reader.turn.release()
                break
        with reader.turn:  # the caller's last read is over
            self._give_back(reader)
            reader.back.clear()

    def read_lent(self, reader: _Reader, job: int, stop: Callable[[], bool]) -> bool:
        """Read and feed one chunk of ``reader``'s stream, lent to ``job``'s caller (this
        thread).  False when the stream is not lent to ``job`` (any more): taken back,
        closed, or given back here because ``stop()`` (the job ended, or waits for a
        download), another job started, the stream ended or failed (the reader thread
        feeds that end), or another thread drains the machine's actions (it delivers).

        The caller waits for data in ``_readable``, outside httpx: an interrupt there (a
        KeyboardInterrupt) leaves the stream whole and propagates.  Only a message that
        arrived in part can be cut by one: the stream breaks and the machine hears of it.
        """
        with reader.turn:
            if reader.lent_to != job or reader.closed or reader.chunks is None:
                return False
            if stop() or self._machine.job_count() != 1:
                self._give_back(reader)
                return False
            reader.reading = True
            try:
                if not self._readable(reader, stop):
                    self._give_back(reader)
                    return False
                if reader.end is not None:  # the read timeout passed
                    self._give_back(reader)
                    return False
                reader.pending_cut = True
                chunk = next(reader.chunks, None)
            except Exception as exc:
                reader.end = exc
            except BaseException as exc:
                if reader.pending_cut:  # cut inside httpx: the stream is broken
                    reader.end = transport_error(exc, "The event stream")
                self._give_back(reader)
                raise
            else:
                reader.end = StopIteration() if chunk is None else None
            finally:
                reader.reading = False
                reader.pending_cut = False
            if reader.end is not None or reader.closed:
                self._give_back(reader)
                return False
            sid = reader.stream_id
            if self._feed_here(self._machine.receive_stream_data, sid, chunk) is None:
                self._give_back(reader)
                return False
            return True

    def _readable(self, reader: _Reader, stop: Callable[[], bool]) -> bool:
        """Wait until the next chunk of ``reader`` is in (buffered, or on its socket):
        True.  False when ``stop()`` turned true meanwhile (``wake_borrower``).  After
        the stream's read timeout without data, ``reader.end`` is that timeout."""
        pending = reader.pending
        if pending is None or pending():
            return True
        sock = reader.response_socket()
        wake = self._wake
        if sock is None or wake is None:
            return True
        poller = select.poll()
        poller.register(sock, select.POLLIN | select.POLLPRI)
        poller.register(wake[0], select.POLLIN)
        timeout = reader.read_timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic()) * 1000
            events = poller.poll(wait)
            if not events:
                reader.end = httpx.ReadTimeout(f"no data for {timeout} s")
                return True  # the caller records the end
            for fd, _ in events:
                if fd != wake[0].fileno():
                    return True
            try:
                while wake[0].recv(64):
                    pass
            except OSError:
                pass
            if stop() or reader.closed:
                return False

    def wake_borrower(self, reader: _Reader) -> None:
        """The job ``reader`` is lent to ended (a cancel, a timeout): if its caller waits
        in ``_readable``, it stops waiting now, not at the server's next message."""
        wake = self._wake
        if reader.reading and wake is not None:
            try:
                wake[1].send(b"x")
            except OSError:  # full: a wake is pending anyway
                pass

    def give_back(self, reader: _Reader, job: int | None) -> None:
        """``job``'s caller stops reading ``reader``'s stream (its job ended)."""
        with reader.turn:
            if reader.lent_to == job:
                self._give_back(reader)

    @staticmethod
    def _give_back(reader: _Reader) -> None:  # under ``reader.turn``
        reader.lent_to = None
        reader.back.set()
