"""The threading shell: drives a ``QueueMachine`` with httpx.Client and a few threads.

Recipe (the websockets one): read, feed the core under a lock, collect its actions,
perform them in order, deliver job updates outside the lock.

While a caller iterates the client's only job, the stream is lent to it: it reads the
stream itself and the reader thread waits (``_streams.Lending``).

Threads, whatever the number of jobs:

* one reader thread per open stream: the session's event stream, and the heartbeat when
  the app asks for one (Gradio 3.x and 4.0-4.8 open one stream per job).  At most
  ``max_streams`` readers run; further streams wait in a queue (no thread) and a reader
  thread whose stream ended takes the next one.  A stream opened while a reader feeds its
  own stream's end (a reconnect) runs next on that thread, so a reconnect never has two
  threads for a moment;
* a small pool (``max_workers``, started lazily) that sends POSTs, uploads and downloads
  and fires timers (delayed retries, the machine's deadlines).

There is no polling but that check: readers block on the socket, the pool waits on a
condition with the next timer as its timeout.  Actions are performed by one "drainer" at a time, in the order
the machine emitted them, so a job never sees its updates out of order.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx

from ..protocol.actions import (
    Action,
    CloseStream,
    EmitOutput,
    EmitStatus,
    JobCancelled,
    JobFailed,
    JobSucceeded,
    Notice,
    OpenStream,
    OpenWebSocket,
    Post,
    SendWebSocket,
)
from ..protocol.connect import Connection, Limits
from ..protocol.machine import QueueMachine
from ._common import (
    CappedStream,
    ShellBase,
    document_cap,
    flow_timeout,
    ssl_context,
    stream_cap,
    transport_error,
)
from ._pool import _Pool
from ._streams import Lending, _Reader

log = logging.getLogger("gradio_client")

Deliver = Callable[[Action], None]
Update = EmitStatus | EmitOutput
DeliverRun = Callable[[list[Update]], None]  # a job's statuses and outputs, in order

# Set on a reader thread while it feeds the end of its stream: a stream opened meanwhile is
# handed to that thread (``_Reader.successor``) instead of a new one.
_finishing = threading.local()

# Set on a caller's thread while it submits a job whose result it is about to wait for
# (``ThreadShell.posting_here``): that job's join is sent from this thread, not the pool's.
_caller = threading.local()


def _body(response: httpx.Response) -> Iterable[bytes]:
    """An event stream's body, chunk by chunk as it arrives.

    The body caps' ``CappedStream`` has decoded it already (``_http.BodyCaps``): iterating
    the stream itself spares each chunk the layers of ``iter_bytes`` (a decoder that
    passes it on as it is, two chunkers that do the same), which cost a generator output
    of ``count_fast`` a few per cent of its CPU.  Any other stream (a transport's reply
    already in memory, or a body no hook capped) is read by ``iter_bytes``.
    """
    stream = response.stream
    if isinstance(stream, CappedStream) and not response.is_stream_consumed:
        response.is_stream_consumed = True
        return stream
    return response.iter_bytes()


READER_JOIN_TIMEOUT = 3.0  # seconds close() waits for reader threads to leave their sockets
READER_LINGER = 2.0  # seconds a reader thread with no stream waits for the next one


class ThreadShell(Lending, ShellBase):
    """Performs a ``QueueMachine``'s actions with httpx.Client and threads."""

    def __init__(
        self,
        http: httpx.Client,
        machine: QueueMachine,
        conn: Connection,
        deliver: Deliver,
        *,
        max_workers: int = 2,
        max_streams: int = 16,
        job_headers: Callable[[int], dict[str, str]] | None = None,
        verify: bool = True,
        limits: Limits | None = None,
        deliver_run: DeliverRun | None = None,
    ) -> None:
        self._http = http
        self._verify = verify
        self._limits = limits or Limits()
        self._machine = machine
        self._conn = conn
        self._deliver = deliver
        self._deliver_run = deliver_run
        self._job_headers = job_headers or (lambda job: {})
        self._lock = threading.Lock()
        self._queue: deque[Action] = deque()
        self._draining = False
        self._pool = _Pool(max_workers, "gradio-client-io")
        self._readers: dict[int, _Reader] = {}
        # reader threads: at most max_streams; streams beyond wait in _waiting
        self._reader_lock = threading.Lock()
        self._reader_cv = threading.Condition(self._reader_lock)  # wakes a lingering reader
        self._lingering = 0  # reader threads waiting (READER_LINGER) for a next stream
        self._ending = 0  # reader threads past their stream's end, not yet lingering
        self._free_readers = max(1, max_streams)
        self._reader_threads = 0
        self._threads: set[threading.Thread] = set()  # live reader threads, joined by close()
        self._waiting: deque[tuple[_Reader, Callable[[_Reader], None]]] = deque()
        self._tick_at: float | None = None
        self._closed = False
        # lending (``_read_chunks``): job id -> how to lend a stream to its caller waiting
        # in ``Job.__next__``
        self._borrowers: dict[int, Callable[[_Reader], None]] = {}
        self._wake: tuple[socket.socket, socket.socket] | None = None  # see wake_borrower

    # ------------------------------------------------------------------ feeding the core

    def feed(self, method: Callable[..., list[Action]], *args: Any, **kwargs: Any) -> None:
        """Call a machine input under the lock, then perform its actions in order.

        A deadline the input made due at once (a joined job's acknowledgement clock starts
        at the next tick) is ticked here, on this thread, instead of by a timer thread.
        """
        self._feed_here(method, *args, **kwargs)

    def _feed_here(
        self, method: Callable[..., list[Action]], *args: Any, **kwargs: Any
    ) -> list[Action] | None:
        """``feed``: the input's actions once this thread performed them, or None when
        another thread drains meanwhile (it performs them, after its own)."""
        with self._lock:
            actions = method(*args, **kwargs)
            deadline = self._machine.next_deadline()
            if deadline is not None and method is not self._machine.tick:
                now = time.monotonic()
                if deadline <= now:
                    actions += self._machine.tick(now)
                    deadline = self._machine.next_deadline()
            self._schedule_tick_locked(deadline)
            if self._draining:  # the drainer performs them after its own (the queue is
                self._queue.extend(actions)  # empty whenever nobody drains)
                return None
            self._draining = True
        self._drain(actions)
        return actions

    def _now(self) -> float:
        return time.monotonic()

    def _drain(self, batch: list[Action]) -> None:
        """Perform ``batch``, then the actions queued meanwhile, in order."""
        runs = self._deliver_run
        while True:
            if runs is None:
                for action in batch:
                    self._perform_logged(self._perform, action)
            else:
                self._perform_runs(runs, batch)
            with self._lock:
                if not self._queue:
                    self._draining = False
                    return
                batch = list(self._queue)
                self._queue.clear()

    def _perform_runs(self, runs: DeliverRun, batch: list[Action]) -> None:
        """Perform ``batch`` in order, each run of one job's statuses and outputs handed to
        ``runs`` at once: a generator's status and the output that came with it wake a
        waiting caller once, not twice."""
        run: list[Update] = []
        for action in batch:
            if isinstance(action, (EmitStatus, EmitOutput)):
                if not run or run[0].job == action.job:
                    run.append(action)
                    continue
                self._perform_logged(runs, run)
                run = [action]
                continue
            if run:
                self._perform_logged(runs, run)
                run = []
            self._perform_logged(self._perform, action)
        if run:
            self._perform_logged(runs, run)

    @staticmethod
    def _perform_logged(perform: Callable[[Any], None], what: Any) -> None:
        try:
            perform(what)
        except Exception:  # a user callback raised; keep the client alive
            kind = type(what[0] if isinstance(what, list) else what).__name__
            log.exception("gradio_client: delivering %r failed", kind)

    def _schedule_tick_locked(self, deadline: float | None) -> None:
        if deadline is not None and (self._tick_at is None or deadline < self._tick_at):
            self._tick_at = deadline
            self._pool.call_at(deadline, self._tick)

    def _tick(self) -> None:
        with self._lock:
            self._tick_at = None
        self.feed(self._machine.tick, time.monotonic())

    # ------------------------------------------------------------------ actions

    def _perform(self, action: Action) -> None:
        if isinstance(action, (JobSucceeded, JobFailed, JobCancelled)):
            self.job_deadlines.pop(action.job, None)
            self._deliver(action)
        elif isinstance(action, (EmitStatus, EmitOutput)):
            self._deliver(action)
        elif isinstance(action, Post):
            blocks = getattr(_caller, "posts", None)  # no dict made per Post: a burst sends many
            held: list[Post] | None = blocks.get(self) if blocks else None
            if held is not None and action.delay <= 0 and action.job is not None:
                held.append(action)  # sent by posting_here, after this drain
            elif action.delay > 0:
                self._pool.call_at(time.monotonic() + action.delay, lambda: self._post(action))
            else:
                self._pool.submit(lambda: self._post(action))
        elif isinstance(action, OpenStream):
            self._start_reader(action.stream_id, lambda r: self._read_stream(action, r))
        elif isinstance(action, CloseStream):
            reader = self._readers.pop(action.stream_id, None)
            if reader is not None:
                reader.close()
        elif isinstance(action, OpenWebSocket):
            self._start_reader(action.stream_id, lambda r: self._read_websocket(action, r))
        elif isinstance(action, SendWebSocket):
            reader = self._readers.get(action.stream_id)
            if reader is not None and reader.socket is not None:
                self._pool.submit(lambda: self._ws_send(reader, action.text))
        elif isinstance(action, Notice):
            log.info("gradio_client: %s", action.message)
            self._deliver(action)

    @contextlib.contextmanager
    def posting_here(self) -> Iterator[None]:
        """Within this block, a job's request the machine asks for at once (its join) is
        sent from this thread when the block ends, instead of by a pool thread: a caller
        about to wait for the job's result would only wait for that thread meanwhile.
        Performed after the drain that produced it, so no other delivery waits for it."""
        blocks: dict[ThreadShell, list[Post]] | None = getattr(_caller, "posts", None)
        if blocks is None:
            blocks = _caller.posts = {}
        if self in blocks:  # nested: the outermost block sends
            yield
            return
        held = blocks[self] = []
        try:
            yield
        finally:
            del blocks[self]
            for i, action in enumerate(held):
                try:
                    self._post(action)
                except BaseException as exc:  # KeyboardInterrupt mid-request: the job ends
                    for unsent in held[i:]:
                        self.feed(
                            self._machine.receive_request_error,
                            unsent.request_id,
                            transport_error(exc, f"POST {unsent.path}"),
                        )
                    raise

    def _post(self, action: Post) -> None:
        if self._closed and action.job is not None:
            return
        headers = {"content-type": "application/json", **self._conn.headers}
        if action.job is not None:
            headers.update(self._job_headers(action.job))
        # A job's POST is bounded by the job's deadline: the pool thread it blocks may be
        # the one that would fire the deadline's timer.
        deadline = self.job_deadlines.get(action.job) if action.job is not None else None
        timeout = self._http.timeout
        if deadline is not None:
            timeout = flow_timeout(timeout, max(0.0, deadline - time.monotonic()) + 0.05)
        try:
            response = self._http.post(
                self._conn.root + action.path,
                content=action.body,
                headers=headers,
                timeout=timeout,
                extensions=document_cap(self._limits),
            )
        except Exception as exc:  # httpx errors, a cap passed, a redirect refused
            if deadline is not None and time.monotonic() >= deadline:
                self.feed(self._machine.tick, time.monotonic())  # the deadline first
            self.feed(
                self._machine.receive_request_error,
                action.request_id,
                transport_error(exc, f"POST {action.path}"),
            )
            return
        self.feed(
            self._machine.receive_response,
            action.request_id,
            response.status_code,
            response.content,
            response.headers,
        )

    def _start_reader(self, stream_id: int, body: Callable[[_Reader], None]) -> None:
        reader = _Reader(stream_id)
        self._readers[stream_id] = reader
        ending: _Reader | None = getattr(_finishing, "reader", None)
        if ending is not None and ending.successor is None:
            ending.successor = (reader, body)  # this thread is about to be free: reuse it
            return
        with self._reader_lock:
            spare = self._lingering + self._ending  # threads about to look for a stream
            if self._free_readers == 0 or spare > len(self._waiting):
                self._waiting.append((reader, body))  # a reader thread takes it when free
                self._reader_cv.notify()
                return
            thread = self._spawn_locked(reader, body)
        thread.start()

    def _spawn_locked(self, reader: _Reader, body: Callable[[_Reader], None]) -> threading.Thread:
        self._free_readers -= 1
        self._reader_threads += 1
        thread = threading.Thread(
            target=self._run_readers,
            args=(reader, body),
            name=f"gradio-client-stream-{reader.stream_id}",
            daemon=True,
        )
        self._threads.add(thread)
        return thread

    def _run_readers(self, reader: _Reader, body: Callable[[_Reader], None]) -> None:
        """A reader thread: runs its stream, then the streams handed to it or waiting."""
        current: tuple[_Reader, Callable[[_Reader], None]] | None = (reader, body)
        first = True
        while current is not None:
            reader, body = current
            if not first:
                threading.current_thread().name = f"gradio-client-stream-{reader.stream_id}"
            first = False
            try:
                if not reader.closed:
                    body(reader)
            except Exception:  # pragma: no cover - bodies report their own errors
                log.exception("gradio_client: a stream reader failed")
            if self._readers.get(reader.stream_id) is reader:
                self._readers.pop(reader.stream_id, None)
            current, reader.successor = reader.successor, None
            if current is None:
                current = self._next_stream(reader.ended)
            elif reader.ended:
                self._ended_with_successor()

    def _ended_with_successor(self) -> None:
        """This thread, counted as about to be free (``_ending``), runs the stream its end
        opened instead: a stream queued for it meanwhile gets a thread of its own."""
        thread = None
        with self._reader_lock:
            self._ending -= 1
            orphans = len(self._waiting) - self._lingering - self._ending
            if orphans > 0 and self._free_readers > 0 and not self._closed:
                thread = self._spawn_locked(*self._waiting.popleft())
        if thread is not None:
            thread.start()

    def _next_stream(self, ended: bool) -> tuple[_Reader, Callable[[_Reader], None]] | None:
        """A waiting stream for this reader thread; when there is none, the thread waits
        ``READER_LINGER`` seconds for one (a sync client's calls in a row open the session
        stream anew for each job: starting a thread for each cost more than the call's
        own work), then ends.  A stream opened from another thread between this stream's
        end and this wait is queued for this thread (``_ending``), not given a new one."""
        deadline = time.monotonic() + READER_LINGER
        with self._reader_lock:
            if ended:
                self._ending -= 1
            while not self._waiting and not self._closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lingering += 1
                try:
                    self._reader_cv.wait(remaining)
                finally:
                    self._lingering -= 1
            if self._waiting and not self._closed:
                return self._waiting.popleft()
            self._free_readers += 1
            self._reader_threads -= 1
            self._threads.discard(threading.current_thread())
            return None

    def _feed_end(self, reader: _Reader, method: Callable[..., list[Action]], *args: Any) -> None:
        """Feed the last input of ``reader``'s stream (its end, its error): a stream the
        machine opens in answer runs on this thread next (see ``_start_reader``)."""
        _finishing.reader = reader
        with self._reader_lock:
            if not reader.ended:
                reader.ended = True
                self._ending += 1
        try:
            self.feed(method, *args)
        finally:
            _finishing.reader = None

    def _read_stream(self, action: OpenStream, reader: _Reader) -> None:
        if action.delay > 0 and reader.wakeup.wait(action.delay):
            return  # closed while waiting
        timeout = httpx.Timeout(10.0, read=action.read_timeout)
        reader.read_timeout = action.read_timeout
        sid = action.stream_id
        try:
            with self._http.stream(
                "GET",
                self._conn.root + action.path,
                headers=self._conn.headers,  # keep-alive: see _Reader.close
                timeout=timeout,
                extensions=stream_cap(),
            ) as response:
                with reader.lock:
                    if reader.closed:
                        return
                    reader.response = response
                try:
                    self.feed(
                        self._machine.stream_opened,
                        sid,
                        response.status_code,
                        response.headers.get("content-type"),
                    )
                    if self._read_chunks(reader, iter(_body(response))):
                        return
                finally:
                    with reader.turn:  # a borrower's read is over first
                        reader.chunks = None
                    with reader.lock:  # before the connection goes back to the pool
                        reader.response = None
        except Exception as exc:
            if not reader.closed:
                self._feed_end(
                    reader,
                    self._machine.receive_stream_error,
                    sid,
                    transport_error(exc, "The event stream"),
                )
            return
        if not reader.closed:
            self._feed_end(reader, self._machine.receive_stream_eof, sid)

    def _read_websocket(self, action: OpenWebSocket, reader: _Reader) -> None:
        from ._sync_ws import SyncWebSocket  # only Gradio 3.x needs it

        url = self._conn.root.replace("http", "ws", 1) + action.path
        sid = action.stream_id
        try:
            ws = SyncWebSocket.connect(
                url,
                headers=dict(self._conn.headers),
                cookies=self._http.cookies,  # the app's only (CredentialGuard)
                verify=ssl_context(self._verify),
                max_message_size=self._machine.config.max_event_size,
            )
        except Exception as exc:
            self._feed_end(
                reader, self._machine.receive_stream_error, sid, transport_error(exc, "The websocket")
            )
            return
        reader.socket = ws
        try:
            for text in ws.messages():
                if reader.closed:
                    break
                self.feed(self._machine.receive_ws_message, sid, text)
            else:
                if not reader.closed:
                    self._feed_end(reader, self._machine.ws_closed, sid, ws.close_code, ws.close_reason)
        except Exception as exc:
            if not reader.closed:
                self._feed_end(
                    reader,
                    self._machine.receive_stream_error,
                    sid,
                    transport_error(exc, "The websocket"),
                )
        finally:
            ws.close()

    def _ws_send(self, reader: _Reader, text: str) -> None:
        try:
            reader.socket.send_text(text)
        except Exception as exc:
            if not reader.closed:
                self.feed(
                    self._machine.receive_stream_error,
                    reader.stream_id,
                    transport_error(exc, "Sending on the websocket"),
                )

    # ------------------------------------------------------------------ lifecycle

    def submit_io(self, fn: Callable[[], None]) -> None:
        """Run long blocking work (uploads, downloads, callbacks) on the pool."""
        self._pool.submit(fn, long=True)

    @property
    def thread_count(self) -> int:
        return self._pool.thread_count + self._reader_threads

    def close(self, linger: float = 2.0) -> None:
        """Cancel what is pending (telling the server, for up to ``linger`` s) and stop."""
        if self._closed:
            return
        self.feed(self._machine.close)
        self._closed = True
        with self._reader_lock:
            self._reader_cv.notify_all()  # lingering readers end now
        for reader in list(self._readers.values()):
            reader.close()
        self._readers.clear()
        self._pool.close(linger)
        # Wait (bounded) for the reader threads to leave their sockets before the caller
        # closes the HTTP client: a thread still inside a read of a socket that the pool
        # closes could read from whatever new connection reuses its file descriptor.
        deadline = time.monotonic() + READER_JOIN_TIMEOUT
        with self._reader_lock:
            threads = [t for t in self._threads if t is not threading.current_thread()]
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        wake, self._wake = self._wake, None
        if wake is not None:
            for end in wake:
                end.close()
