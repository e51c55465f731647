"""The synchronous client: ``Client`` and ``Job``, on the threading shell.

Names and meanings follow the official client where it has them (``predict``, ``submit``,
``view_api``, ``Job.result/status/outputs/done/cancel``, iteration, ``result_callbacks``).
What differs is what users asked for: every job ends exactly once, iteration always
terminates, statuses are never missed (``Job.updates()`` keeps them all), errors are typed,
and a client holds a handful of threads however many jobs it runs.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from . import _files, _official
from ._job import Call, JobBase, ResultCallback, call_with, callbacks_of, now
from .errors import CancelledError
from ._files import DEFAULT_TEMP_DIR as DEFAULT_TEMP_DIR  # the official module-level name
from .protocol.actions import EmitOutput, EmitStatus
from .protocol.api import Endpoint as Endpoint  # gradio: `from gradio_client.client import Endpoint`
from .protocol.connect import (
    DEFAULT_HUB,
    DEFAULT_LIMITS,
    Connection,
    Limits,
    connect_flow,
    machine_config,
)
from .protocol.errors import GradioClientError, JobTimeoutError, LocalProtocolError
from .protocol.job import (
    TIMEOUT_MESSAGE,
    CancelOnServer,
    Download,
    Effect,
    Finish,
    JobState,
    Notify,
    Submit,
    Upload,
)
from .protocol.machine import EVENT_ACK_TIMEOUT, QueueMachine
from .protocol.status import OutputUpdate, StatusUpdate
from .shells._common import (
    ClientBase,
    CredentialGuard,
    client_options,
    download_start,
    download_status_error,
    flow_timeout,
    guard_cookies,
    http_kwargs,
    prepare,
    transport_error,
    upload_error,
    uploaded_path,
)
from .shells._sync_flow import run_flow
from .shells.thread_shell import ThreadShell

if TYPE_CHECKING:
    from .batch import BatchRun

_UPLOAD_TIMEOUT = httpx.Timeout(30.0, connect=10.0, write=None)  # bounded by job_timeout too
log = logging.getLogger("gradio_client")


class Job(JobBase, concurrent.futures.Future):  # type: ignore[type-arg]
    """A submitted call.  A ``concurrent.futures.Future`` of its final value.

    ``result(timeout)`` waits for the final value (for generators, the last one);
    ``status()`` is the latest ``StatusUpdate``; ``updates()`` every one so far;
    ``outputs()`` every intermediate output so far; iterating yields outputs as they come
    and stops when the job ends, whatever the outcome (as the official client's does: a
    failed job's error is raised by ``result()``, not by the loop); ``watch()`` yields
    every status and output in order.

    Its state is a ``protocol.job.JobState``; this object only waits on a condition and
    performs the state's effects (uploads and downloads on the client's pool threads).
    """

    _client: Client

    def __init__(
        self, client: Client, call: Call, *, uploads: Sequence[str] = (),
        deadline: float | None = None,
    ) -> None:
        super().__init__()
        self._client = client
        self._call = call
        self._cond = threading.Lock()  # guards the state; waiters wait on locks of their own
        self._wakers: list[threading.Lock] = []  # released when the state changes
        self._lent: Any = None  # a stream lent to this job's iterating caller (__next__)
        self._core = JobState(call.endpoint, uploads=uploads, deadline=deadline, at=now())
        self._counter = 0

    # ------------------------------------------------------------------ public API

    def result(self, timeout: float | None = None) -> Any:
        try:
            return super().result(timeout)
        except concurrent.futures.CancelledError:
            raise CancelledError(f"The job was {self._core.cancel_reason}.") from None

    def exception(self, timeout: float | None = None) -> BaseException | None:
        try:
            return super().exception(timeout)
        except concurrent.futures.CancelledError:
            return CancelledError(f"The job was {self._core.cancel_reason}.")

    def running(self) -> bool:
        """True from ``submit()`` until the job ends (uploading, queued or processing), as
        the official client's job, whose future runs in its thread pool meanwhile."""
        return not (self._core.ended or self.done())

    def cancel(self) -> bool:
        """Cancel the job, on the server too where it supports that.  False if it had ended.

        A job still uploading its files ends at once; a queued one when the server answers."""
        with self._cond:
            if self._core.ended or self.done():
                return False
        self._step(lambda state: state.cancel("cancelled by the caller", now()))
        return True

    def watch(self) -> Iterator[StatusUpdate | OutputUpdate]:
        """Every status and output of the job, in order, as they arrive.

        Ends after the job's last status (FINISHED or CANCELLED); the final value comes as
        an ``OutputUpdate`` with ``final=True`` just before it when the job succeeded.
        Never raises the job's error: look at the last status, or call ``result()``.
        """
        index = 0
        events = self._core.events
        while True:
            while True:
                with self._cond:
                    if index < len(events) or self._core.ended:
                        break
                    waiter = self._waiter()
                waiter.acquire()
            with self._cond:
                batch = events[index:]
                index += len(batch)
                finished = self._core.ended and index >= len(events)
            yield from batch
            if finished:
                return

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        """The next output, waiting for it.  While this caller waits for the outputs of a
        client's only job, the event stream may be lent to it (``ThreadShell.read_lent``):
        it reads the stream itself instead of being woken by the reader thread for each
        output (half a generator output's CPU went to that hand-off)."""
        outputs = self._core.outputs
        shell = self._client._shell
        while True:
            with self._cond:
                if self._counter < len(outputs):
                    value = outputs[self._counter]
                    self._counter += 1
                    return value
                if self._core.ended:
                    break
                lent = self._lent
                if lent is None:
                    waiter = self._waiter()
            job_id = self._core.job_id
            if lent is not None:
                if job_id is None or not shell.read_lent(lent, job_id, self._stop_reading):
                    with self._cond:
                        if self._lent is lent:
                            self._lent = None
            elif job_id is not None:
                shell.wait_lending(job_id, self._borrow, waiter)
            else:
                waiter.acquire()
        lent, self._lent = self._lent, None
        if lent is not None:
            shell.give_back(lent, self._core.job_id)
        # Ended: a failure or a cancel ends the loop too; result() raises it.
        raise StopIteration

    # ------------------------------------------------------------------ effects

    def _step(self, input: Callable[[JobState], list[Effect]]) -> None:
        """Feed the state under the lock, wake waiters, then perform its effects."""
        with self._cond:
            effects = input(self._core)
            waiters = self._take_wakers() if effects else ()
        for waiter in waiters:  # once the lock is free: a woken caller does not wait for it
            waiter.release()
        lent = self._lent
        if lent is not None and self._core.ended:  # a cancel, a timeout: from elsewhere
            self._client._shell.wake_borrower(lent)
        for effect in effects:
            if type(effect) is not Notify:  # done above
                self._perform(effect)

    def _take_wakers(self) -> Sequence[threading.Lock]:
        """The waiters to release once ``_cond`` is free (each once); under ``_cond``."""
        if not self._wakers:
            return ()
        waiters, self._wakers = self._wakers, []
        return waiters

    def _waiter(self) -> threading.Lock:
        """A lock (held) that the next change of the state releases; under ``_cond``."""
        waiter = threading.Lock()
        waiter.acquire()
        self._wakers.append(waiter)
        return waiter

    def _stop_reading(self) -> bool:
        """A lent stream's reader stops: the job ended, or an output waits for its files."""
        return self._core.ended or self._core.downloading

    def _borrow(self, reader: Any) -> None:
        """The shell lends this job's waiting caller a stream (see ``__next__``)."""
        with self._cond:
            self._lent = reader
            waiters = self._take_wakers()
        for waiter in waiters:
            waiter.release()

    def _guarded(self, input: Callable[[JobState], list[Effect]]) -> None:
        """``_step`` from a pool thread: a bug ends the job instead of leaving it hanging."""
        try:
            self._step(input)
        except Exception as exc:
            log.exception("gradio_client: delivering to a job failed")
            bug = exc  # ``exc`` is unbound after the block; the lambda runs inside it anyway
            self._step(lambda state: state.fail(bug, now()))

    def _perform(self, effect: Effect) -> None:
        client = self._client
        if isinstance(effect, Upload):
            client._shell.submit_io(lambda: self._upload(effect.path))
        elif isinstance(effect, Submit):
            self._submit(effect.uploaded)
        elif isinstance(effect, Download):
            client._shell.submit_io(lambda: self._download(effect.data))
        elif isinstance(effect, CancelOnServer):
            client._cancel_on_server(effect.job)
        elif isinstance(effect, Finish):
            client._forget(self)
            if effect.cancelled is not None:
                super().cancel()
            elif effect.error is not None:
                self.set_exception(effect.error)
            else:
                self.set_result(effect.value)
        # Notify: done by ``_step``; AbortUpload: a blocking POST cannot be
        # stopped, its result is ignored

    def _upload(self, path: str) -> None:
        deadline = self._core.deadline
        try:
            ref = self._client._upload_file(path, deadline)
        except Exception as exc:
            if self._client._closed:  # the client closed under it
                self.close("the client was closed")
                return
            error = exc if isinstance(exc, GradioClientError) else upload_error(path, exc)
            self._guarded(lambda state: state.upload_failed(error, now()))
            return
        self._guarded(lambda state: state.upload_done(path, ref, now()))

    def _download(self, data: list[Any]) -> None:
        try:
            local = self._client._download(data, self._core.deadline)
        except Exception as exc:  # typed errors; a disk error saving a download is FileError
            error = exc
            self._guarded(lambda state: state.download_failed(error, now()))
            return
        self._guarded(lambda state: state.download_done(local, now()))


class Client(ClientBase, _official.OfficialNames):
    """Call a Gradio app (a URL or a Hugging Face Space id) as an API, synchronously.

    >>> client = Client("http://127.0.0.1:7860")          # doctest: +SKIP
    >>> client.predict(3, "add", 4, api_name="/calculator")  # doctest: +SKIP
    7.0
    """

    def __init__(
        self,
        src: str | None = None,
        token: str | None = None,
        max_workers: int = 2,
        verbose: bool = True,
        auth: tuple[str, str] | None = None,
        httpx_kwargs: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
        download_files: str | os.PathLike[str] | bool = _files.DEFAULT_TEMP_DIR,
        ssl_verify: bool = True,
        job_timeout: float | None = None,
        stream_read_timeout: float = 60.0,
        max_streams: int = 16,
        max_response_size: int | None = DEFAULT_LIMITS.max_response_size,
        max_message_size: int | None = DEFAULT_LIMITS.max_message_size,
        max_download_size: int | None = DEFAULT_LIMITS.max_download_size,
        connect_timeout: float | None = DEFAULT_LIMITS.connect_timeout,
        event_ack_timeout: float | None = EVENT_ACK_TIMEOUT,
        hf_token: str | None = None,
        space: str | None = None,
        **ignored: Any,
    ) -> None:
        options = client_options(
            "Client", src, token, download_files, hf_token, space, ignored
        )
        self._oauth_token = options.oauth_token
        self._download_dir = options.download_dir
        self._keep_options(download_files, ssl_verify, httpx_kwargs)
        self.verbose = verbose
        self.job_timeout = job_timeout
        hub = os.environ.get("HF_ENDPOINT") or DEFAULT_HUB
        guard = CredentialGuard(options.src, headers, hub)
        self._limits = limits = Limits(
            max_response_size=max_response_size,
            max_message_size=max_message_size,
            max_download_size=max_download_size,
            connect_timeout=connect_timeout,
        )
        self._http = httpx.Client(
            **http_kwargs(httpx_kwargs, ssl_verify, guard, asynchronous=False, limits=limits)
        )
        if "user-agent" not in {k.lower() for k in (httpx_kwargs or {}).get("headers") or {}}:
            self._http.headers["user-agent"] = _official.USER_AGENT
        guard_cookies(self._http, guard)
        self._raw_config: list[bytes] = []
        try:
            self._conn: Connection = run_flow(
                self._http,
                _official.record_config(
                    connect_flow(
                        options.src,
                        token=options.token,
                        auth=auth,
                        headers={"user-agent": self._http.headers["user-agent"], **(headers or {})},
                        hub=hub,
                    ),
                    self._raw_config,
                ),
                observe=guard.observe,
                limits=limits,
            )
        except BaseException:
            self._http.close()
            raise
        self.session_hash = str(uuid.uuid4())
        self._machine = QueueMachine(
            machine_config(
                self._conn.config,
                stream_read_timeout=stream_read_timeout,
                max_event_size=limits.event_size,
                event_ack_timeout=event_ack_timeout,
            ),
            self.session_hash,
        )
        self._jobs: dict[int, Job] = {}  # by the machine's id
        self._pending: dict[Job, None] = {}  # every job not ended, uploading ones included
        self._jobs_lock = threading.Lock()
        self._closed = False
        self._call_headers: dict[int, dict[str, str]] = {}
        self._shell: ThreadShell = ThreadShell(
            self._http,
            self._machine,
            self._conn,
            self._deliver,
            max_workers=max_workers,
            max_streams=max_streams,
            job_headers=lambda job: self._call_headers.get(job, {}),
            verify=ssl_verify,
            limits=limits,
            deliver_run=self._deliver_run,
        )
        self._shell.feed(self._machine.start)
        if verbose:
            print(f"Loaded as API: {self.src} ✔")

    # ------------------------------------------------------------------ calls

    def predict(
        self,
        *args: Any,
        api_name: str | None = None,
        fn_index: int | None = None,
        headers: dict[str, str] | None = None,
        result_callbacks: ResultCallback | Sequence[ResultCallback] | None = None,
        job_timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call an endpoint and wait for its (final) value."""
        with self._shell.posting_here():  # this thread waits anyway: it sends the join
            job = self.submit(
                *args,
                api_name=api_name,
                fn_index=fn_index,
                headers=headers,
                result_callbacks=result_callbacks,
                job_timeout=job_timeout,
                **kwargs,
            )
        return job.result()

    def submit(
        self,
        *args: Any,
        api_name: str | None = None,
        fn_index: int | None = None,
        headers: dict[str, str] | None = None,
        result_callbacks: ResultCallback | Sequence[ResultCallback] | None = None,
        job_timeout: float | None = None,
        **kwargs: Any,
    ) -> Job:
        """Start a call and return its ``Job`` at once.

        Arguments go positionally or by parameter name; missing ones take the endpoint's
        defaults.  Local paths given to file parameters (or wrapped in ``handle_file``)
        are uploaded first.  ``job_timeout`` (or the client's) cancels the job on the
        server when it runs longer.
        """
        prepared = prepare(self._conn, api_name, fn_index, args, kwargs)
        extra = {}
        if self._oauth_token is not None and prepared.endpoint.oauth_token:
            extra["oauth_token"] = self._oauth_token
        timeout = job_timeout if job_timeout is not None else self.job_timeout
        call_headers = _official.zero_gpu_headers(self.space_id, _official.call_headers(headers))
        call = Call(prepared.endpoint, prepared.data, extra, call_headers)
        deadline = None if timeout is None else time.monotonic() + timeout
        job = Job(self, call, uploads=prepared.uploads, deadline=deadline)
        with self._jobs_lock:
            if self._closed:
                raise LocalProtocolError("This client is closed; create a new one to submit jobs.")
            self._pending[job] = None
        for callback in callbacks_of(result_callbacks):
            job.add_done_callback(_result_callback(callback, self._shell.submit_io))
        job.start()
        return job

    def map(
        self,
        inputs: Iterable[Any],
        *,
        api_name: str | None = None,
        fn_index: int | None = None,
        concurrency: int | None = None,
        ordered: bool = True,
        retries: int = 3,
        on_error: str = "record",
    ) -> BatchRun:
        """Run every row of ``inputs`` (lists/tuples of arguments, dicts of keyword arguments,
        or single values), at most ``concurrency`` at once; yields ``(index, output)``, or
        ``(index, RowError)`` for a row that failed (``on_error="raise"`` raises instead).

        Rows are read lazily; transient failures (queue full, 429, a lost connection) are
        retried with backoff, app and validation errors never.  See ``gradio_client.batch``.
        """
        from .batch import run_map

        return run_map([self], inputs, api_name=api_name, fn_index=fn_index,
                       concurrency=concurrency, ordered=ordered, retries=retries,
                       on_error=on_error)

    def reset_session(self) -> None:
        """Start a new session: fresh ``gr.State``.  Running jobs finish on the old one."""
        self.session_hash = str(uuid.uuid4())
        self._shell.feed(self._machine.reset_session, self.session_hash)

    def close(self) -> None:
        """Cancel pending jobs (on the server too) and release connections and threads.

        Every job that has not ended ends as cancelled, those still uploading files too.
        """
        with self._jobs_lock:
            self._closed = True
        self._shell.close()
        self._http.close()
        with self._jobs_lock:
            pending = list(self._pending)
        for job in pending:
            job.close("the client was closed")

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def thread_count(self) -> int:
        """Threads this client runs now (readers and pool workers)."""
        return self._shell.thread_count

    # ------------------------------------------------------------------ official names

    @classmethod
    def duplicate(
        cls,
        from_id: str,
        to_id: str | None = None,
        token: str | None = None,
        private: bool = True,
        hardware: str | None = None,
        secrets: dict[str, str] | None = None,
        sleep_timeout: int = 5,
        max_workers: int = 2,
        verbose: bool = True,
        **client_kwargs: Any,
    ) -> Client:
        """Duplicate a Hugging Face Space under your account (or ``to_id``) and connect to
        the copy.  An existing copy is reused.  ``hardware`` defaults to the original's;
        ``sleep_timeout`` (minutes) applies to upgraded hardware.  Uses ``HF_ENDPOINT``."""
        space_id = _official.duplicate_space(
            from_id, to_id, token, private, hardware, secrets, sleep_timeout, verbose
        )
        return cls(space_id, token=token, max_workers=max_workers, verbose=verbose, **client_kwargs)

    # ------------------------------------------------------------------ internals

    def _deliver_run(self, actions: list[EmitStatus | EmitOutput]) -> None:
        """The shell's delivery of one job's statuses and outputs in a row (``_deliver``
        for several): its waiting caller wakes once for them."""
        job_id = actions[0].job
        with self._jobs_lock:
            job = self._jobs.get(job_id)
        if job is not None:
            job.deliver_all(actions)

    def _cancel_on_server(self, job_id: int) -> None:
        if not self._closed:
            self._shell.feed(self._machine.cancel, job_id, now=time.monotonic())

    def _forget(self, job: Job) -> None:
        job_id = job.job_id
        with self._jobs_lock:
            self._pending.pop(job, None)
            if job_id is not None:
                self._jobs.pop(job_id, None)
        if job_id is not None:
            self._call_headers.pop(job_id, None)

    def _download(self, data: list[Any], deadline: float | None) -> list[Any]:
        """Save every output file of ``data`` (streamed), none past ``deadline``."""
        protocol = self._conn.config.protocol
        refs = _files.output_files(data, protocol)
        if not refs or self._download_dir is None:
            return data
        local: dict[int, str] = {}
        for ref in refs:
            url, headers, sink = download_start(self._conn, ref, self._download_dir)
            timeout = flow_timeout(self._http.timeout, _left(deadline))
            try:
                with self._http.stream("GET", url, headers=headers, timeout=timeout) as response:
                    if response.status_code != 200:
                        response.read()
                        raise download_status_error(response)
                    for chunk in response.iter_bytes():
                        sink.write(chunk)
                        if deadline is not None and time.monotonic() >= deadline:
                            raise JobTimeoutError(TIMEOUT_MESSAGE)
                local[id(ref)] = sink.finish()
            except httpx.HTTPError as exc:
                sink.abort()
                raise transport_error(exc, f"Downloading {url}") from exc
            except BaseException:
                sink.abort()
                raise
        result: list[Any] = _files.replace_files(data, local, protocol)
        return result

    def _upload_file(self, path: str, deadline: float | None) -> Any:
        """Upload one local file (streamed from disk), none past ``deadline``; the
        reference the call's data gets instead of the path."""
        size = _files.check_upload(path, self._conn.config.max_file_size)
        with open(path, "rb") as fh:
            response = self._http.post(
                self._conn.api_root + "/upload",
                files={"files": (os.path.basename(path), fh)},
                headers=dict(self._conn.headers),
                timeout=flow_timeout(_UPLOAD_TIMEOUT, _left(deadline)),
            )
        server_path = uploaded_path(path, response)
        return _files.uploaded_ref(server_path, path, size, self._conn.config.protocol)


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _result_callback(
    callback: ResultCallback, run: Callable[[Callable[[], None]], None]
) -> Callable[[concurrent.futures.Future[Any]], None]:
    """Adapt a result callback (gets the value, or its items if a tuple) to a Future's."""

    def done(future: concurrent.futures.Future[Any]) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        value = future.result()
        run(lambda: call_with(callback, value))

    return done
