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
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from . import _files, _official
from .errors import CancelledError
from .protocol.actions import (
    Action,
    EmitOutput,
    EmitStatus,
    JobCancelled,
    JobFailed,
    JobSucceeded,
)
from ._files import DEFAULT_TEMP_DIR as DEFAULT_TEMP_DIR  # the official module-level name
from .protocol.api import Endpoint as Endpoint  # gradio: `from gradio_client.client import Endpoint`
from .protocol.api import outputs_value
from .protocol.connect import (
    DEFAULT_HUB,
    DEFAULT_LIMITS,
    Connection,
    Limits,
    connect_flow,
    machine_config,
)
from .protocol.errors import GradioClientError, LocalProtocolError
from .protocol.machine import EVENT_ACK_TIMEOUT, QueueMachine
from .protocol.status import OutputUpdate, Status, StatusUpdate
from .shells._common import (
    ClientBase,
    CredentialGuard,
    Prepared,
    client_options,
    download_start,
    download_status_error,
    guard_cookies,
    http_kwargs,
    prepare,
    stamp,
    transport_error,
    upload_error,
    uploaded_path,
)
from .shells.thread_shell import ThreadShell, run_flow

if TYPE_CHECKING:
    from .batch import BatchRun

ResultCallback = Callable[..., Any]
log = logging.getLogger("gradio_client")


class Job(concurrent.futures.Future):  # type: ignore[type-arg]
    """A submitted call.  A ``concurrent.futures.Future`` of its final value.

    ``result(timeout)`` waits for the final value (for generators, the last one);
    ``status()`` is the latest ``StatusUpdate``; ``updates()`` every one so far;
    ``outputs()`` every intermediate output so far; iterating yields outputs as they come
    and stops when the job ends, whatever the outcome (as the official client's does: a
    failed job's error is raised by ``result()``, not by the loop).
    """

    def __init__(self, client: Client, endpoint: Endpoint) -> None:
        super().__init__()
        self._client = client
        self._endpoint = endpoint
        self._id: int | None = None  # the machine's id once submitted
        self._cond = threading.Condition()
        self._status = stamp(StatusUpdate(code=Status.STARTING))
        self._terminal: StatusUpdate | None = None  # the machine's last status, kept for _finish
        self._updates: list[StatusUpdate] = []
        self._outputs: list[Any] = []
        self._events: list[StatusUpdate | OutputUpdate] = []  # both, in arrival order
        self._counter = 0
        self._cancel_requested = False
        self._ended = False
        self._backlog: deque[Callable[[], None]] = deque()
        self._io_running = False
        self._cancel_reason = "cancelled"

    # ------------------------------------------------------------------ public API

    def status(self) -> StatusUpdate:
        with self._cond:
            return self._status

    def updates(self) -> list[StatusUpdate]:
        """Every status update received so far, in order (progress and logs included)."""
        with self._cond:
            return list(self._updates)

    def outputs(self) -> list[Any]:
        with self._cond:
            return list(self._outputs)

    def result(self, timeout: float | None = None) -> Any:
        try:
            return super().result(timeout)
        except concurrent.futures.CancelledError:
            raise CancelledError(f"The job was {self._cancel_reason}.") from None

    def exception(self, timeout: float | None = None) -> BaseException | None:
        try:
            return super().exception(timeout)
        except concurrent.futures.CancelledError:
            return CancelledError(f"The job was {self._cancel_reason}.")

    def running(self) -> bool:
        """True from ``submit()`` until the job ends (uploading, queued or processing), as
        the official client's job, whose future runs in its thread pool meanwhile."""
        return not (self._ended or self.done())

    def cancel(self) -> bool:
        """Cancel the job, on the server too where it supports that.  False if it had ended."""
        with self._cond:
            if self._ended or self.done():
                return False
            self._cancel_requested = True
            job_id = self._id
        if job_id is not None:
            self._client._shell.feed(self._client._machine.cancel, job_id, now=time.monotonic())
        return True

    def watch(self) -> Iterator[StatusUpdate | OutputUpdate]:
        """Every status and output of the job, in order, as they arrive.

        Ends after the job's last status (FINISHED or CANCELLED); the final value comes as
        an ``OutputUpdate`` with ``final=True`` just before it when the job succeeded.
        Never raises the job's error: look at the last status, or call ``result()``.
        """
        index = 0
        while True:
            with self._cond:
                while index >= len(self._events) and not self._ended:
                    self._cond.wait()
                batch = self._events[index:]
                index += len(batch)
                finished = self._ended and index >= len(self._events)
            yield from batch
            if finished:
                return

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        with self._cond:
            while self._counter >= len(self._outputs) and not self._ended:
                self._cond.wait()
            if self._counter < len(self._outputs):
                value = self._outputs[self._counter]
                self._counter += 1
                return value
        # Ended: a failure or a cancel ends the loop too; result() raises it.
        raise StopIteration

    # ------------------------------------------------------------------ delivery

    def _on_action(self, action: Action) -> None:
        if isinstance(action, EmitStatus):
            self._run_ordered(lambda: self._add_status(stamp(action.update)), io=False)
        elif isinstance(action, EmitOutput):
            io = self._client._needs_io(action.data)
            self._run_ordered(lambda: self._add_output(action.data, io), io=io)
        elif isinstance(action, JobSucceeded):
            io = self._client._needs_io(action.data)
            self._run_ordered(lambda: self._succeed(action.data, io), io=io)
        elif isinstance(action, JobFailed):
            self._run_ordered(lambda: self._finish(error=action.error), io=False)
        elif isinstance(action, JobCancelled):
            self._run_ordered(lambda: self._finish(cancelled=action.reason), io=False)

    def _run_ordered(self, step: Callable[[], None], *, io: bool) -> None:
        """Run steps in arrival order; ones that download files go to the pool."""
        with self._cond:
            if not io and not self._backlog and not self._io_running:
                inline = True
            else:
                inline = False
                self._backlog.append(step)
                start = not self._io_running
                self._io_running = True
        if inline:
            step()
        elif start:
            self._client._shell.submit_io(self._drain_backlog)

    def _drain_backlog(self) -> None:
        while True:
            with self._cond:
                if not self._backlog:
                    self._io_running = False
                    return
                step = self._backlog.popleft()
            try:
                step()
            except Exception as exc:  # steps end the job themselves; never leave it hanging
                log.exception("gradio_client: delivering to a job failed")
                self._finish(error=exc, local=True)

    def _add_status(self, update: StatusUpdate) -> None:
        with self._cond:
            if self._ended:
                return
            if update.code in (Status.FINISHED, Status.CANCELLED):
                # shown by _finish, which may still fail the job (an output not downloaded)
                self._terminal = update
                return
            self._status = update
            self._updates.append(update)
            self._events.append(update)
            self._cond.notify_all()

    def _add_output(self, data: list[Any], io: bool) -> None:
        try:
            value = self._client._finish_value(self._endpoint, data, io)
        except Exception as exc:  # typed errors; a disk error saving a download is FileError
            self._finish(error=exc, local=True)
            return
        with self._cond:
            if self._ended:
                return
            self._outputs.append(value)
            self._events.append(OutputUpdate(outputs=value))
            self._cond.notify_all()

    def _succeed(self, data: list[Any], io: bool) -> None:
        try:
            value = self._client._finish_value(self._endpoint, data, io)
        except Exception as exc:
            self._finish(error=exc, local=True)
            return
        self._finish(value=value, has_value=True)

    def _finish(
        self,
        *,
        value: Any = None,
        has_value: bool = False,
        error: BaseException | None = None,
        cancelled: str | None = None,
        local: bool = False,
    ) -> None:
        """End the job, once.  ``local``: the failure is ours (an output could not be
        downloaded), so the server may still be running the job: it is cancelled there."""
        with self._cond:
            if self._ended:
                return
            self._ended = True
            if has_value and not self._outputs:
                self._outputs.append(value)
            if cancelled is not None:
                self._cancel_reason = cancelled
                code, success = Status.CANCELLED, False
            else:
                code, success = Status.FINISHED, error is None
                if has_value:
                    self._events.append(OutputUpdate(outputs=value, final=True))
            final = self._terminal
            if final is None or final.code is not code or final.success is not success:
                final = stamp(StatusUpdate(code=code, success=success))
            self._status = final
            self._updates.append(final)  # the one terminal status, always the last
            self._events.append(final)
            self._cond.notify_all()
        self._client._forget(self, server_may_run=local and error is not None)
        if cancelled is not None:
            super().cancel()
        elif error is not None:
            self.set_exception(error)
        else:
            self.set_result(value)


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
        self._shell = ThreadShell(
            self._http,
            self._machine,
            self._conn,
            self._deliver,
            max_workers=max_workers,
            max_streams=max_streams,
            job_headers=lambda job: self._call_headers.get(job, {}),
            verify=ssl_verify,
            limits=limits,
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
        return self.submit(
            *args,
            api_name=api_name,
            fn_index=fn_index,
            headers=headers,
            result_callbacks=result_callbacks,
            job_timeout=job_timeout,
            **kwargs,
        ).result()

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
        job = Job(self, prepared.endpoint)
        with self._jobs_lock:
            if self._closed:
                raise LocalProtocolError("This client is closed; create a new one to submit jobs.")
            self._pending[job] = None
        for callback in _callbacks(result_callbacks):
            job.add_done_callback(_result_callback(callback, self._shell.submit_io))
        extra = {}
        if self._oauth_token is not None and prepared.endpoint.oauth_token:
            extra["oauth_token"] = self._oauth_token
        timeout = job_timeout if job_timeout is not None else self.job_timeout
        call_headers = _official.zero_gpu_headers(self.space_id, _official.call_headers(headers))

        def launch(data: list[Any]) -> None:
            def register(job_id: int) -> None:
                job._id = job_id
                self._call_headers[job_id] = call_headers
                with self._jobs_lock:
                    self._jobs[job_id] = job

            with job._cond:
                if job._ended:
                    return
                if job._cancel_requested:
                    job._finish(cancelled="cancelled by the caller")
                    return
            if self._closed:  # closed while the files were uploading
                job._finish(cancelled="the client was closed")
                return
            try:
                job_id = self._shell.submit(
                    register, prepared.endpoint.fn_index, data, timeout=timeout, extra=extra
                )
            except GradioClientError as exc:
                if self._closed:  # the machine refused: it closed meanwhile
                    job._finish(cancelled="the client was closed")
                else:
                    job._finish(error=exc)
                return
            if job._cancel_requested:  # cancel() raced with the submit
                self._shell.feed(self._machine.cancel, job_id, now=time.monotonic())

        if prepared.uploads:
            self._shell.submit_io(lambda: self._upload_then(prepared, job, launch))
        else:
            launch(prepared.data)
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
            job._finish(cancelled="the client was closed")

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

    def _deliver(self, action: Action) -> None:
        job_id = getattr(action, "job", None)
        if job_id is None:
            return
        with self._jobs_lock:
            job = self._jobs.get(job_id)
        if job is not None:
            job._on_action(action)

    def _forget(self, job: Job, *, server_may_run: bool = False) -> None:
        job_id = job._id
        with self._jobs_lock:
            self._pending.pop(job, None)
            if job_id is not None:
                self._jobs.pop(job_id, None)
        if job_id is None:
            return
        self._call_headers.pop(job_id, None)
        if server_may_run and not self._closed:
            # Ended here (an output could not be downloaded) while the machine may still
            # run it: cancelling it there tells the server (a no-op if it ended there too).
            self._shell.feed(self._machine.cancel, job_id, now=time.monotonic())

    def _finish_value(self, endpoint: Endpoint, data: list[Any], io: bool) -> Any:
        """The caller's value of an output; ``io``: it has files to download first."""
        if io:
            data = self._download(data)
        return outputs_value(endpoint, data)

    def _download(self, data: list[Any]) -> list[Any]:
        protocol = self._conn.config.protocol
        refs = _files.output_files(data, protocol)
        if not refs:
            return data
        assert self._download_dir is not None
        local: dict[int, str] = {}
        for ref in refs:
            url, headers, sink = download_start(self._conn, ref, self._download_dir)
            try:
                with self._http.stream("GET", url, headers=headers) as response:
                    if response.status_code != 200:
                        response.read()
                        raise download_status_error(response)
                    for chunk in response.iter_bytes():
                        sink.write(chunk)
                local[id(ref)] = sink.finish()
            except httpx.HTTPError as exc:
                sink.abort()
                raise transport_error(exc, f"Downloading {url}") from exc
            except BaseException:
                sink.abort()
                raise
        result: list[Any] = _files.replace_files(data, local, protocol)
        return result

    def _upload_then(
        self, prepared: Prepared, job: Job, launch: Callable[[list[Any]], None]
    ) -> None:
        """Upload the call's local files (streamed from disk), then launch the job."""
        protocol = self._conn.config.protocol
        uploaded: dict[str, dict[str, Any]] = {}
        for path in prepared.uploads:
            if job._cancel_requested or self._closed:
                job._finish(
                    cancelled="the client was closed" if self._closed else "cancelled by the caller"
                )
                return
            try:
                size = _files.check_upload(path, self._conn.config.max_file_size)
                with open(path, "rb") as fh:
                    response = self._http.post(
                        self._conn.api_root + "/upload",
                        files={"files": (os.path.basename(path), fh)},
                        headers=dict(self._conn.headers),
                        timeout=httpx.Timeout(30.0, connect=10.0, write=None),
                    )
                server_path = uploaded_path(path, response)
            except GradioClientError as exc:
                job._finish(error=exc)
                return
            except Exception as exc:  # httpx errors, the file unreadable, the client closed
                if self._closed:
                    job._finish(cancelled="the client was closed")
                else:
                    job._finish(error=upload_error(path, exc))
                return
            uploaded[path] = _files.uploaded_ref(server_path, path, size, protocol)
        launch(_files.substitute_uploads(prepared.data, uploaded, protocol))


def _callbacks(
    callbacks: ResultCallback | Sequence[ResultCallback] | None,
) -> list[ResultCallback]:
    if callbacks is None:
        return []
    if callable(callbacks):
        return [callbacks]
    return list(callbacks)


def _result_callback(
    callback: ResultCallback, run: Callable[[Callable[[], None]], None]
) -> Callable[[concurrent.futures.Future[Any]], None]:
    """Adapt a result callback (gets the value, or its items if a tuple) to a Future's."""

    def done(future: concurrent.futures.Future[Any]) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        value = future.result()

        def call() -> None:
            if isinstance(value, tuple):
                callback(*value)
            else:
                callback(value)

        run(call)

    return done
