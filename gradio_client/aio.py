"""The async client for trio and asyncio programs: ``AsyncClient`` and ``AsyncJob``.

The twin of ``client.py``: same arguments, same errors, same rules (every job ends exactly
once, statuses are never missed, iteration always terminates), with tasks instead of
threads.  The client asks sniffio which library runs it when it connects and drives the
core through that library's shell: ``shells/asyncio_shell.py`` (asyncio: FastAPI, Jupyter,
bots, ``asyncio.run``) or ``shells/trio_driver.py`` (trio), two users of one loop
(``shells/_driver.py``).  The code is the same:

    async with AsyncClient("http://127.0.0.1:7860") as client:
        print(await client.predict(3, "add", 4, api_name="/calculator"))

Under trio a client lives in a nursery (``async with`` opens its own); to use yours:

    async with trio.open_nursery() as nursery:
        client = await AsyncClient.connect(url, nursery=nursery)
        ...
        await client.aclose()   # or cancel the nursery

Under asyncio its tasks belong to the running loop (``await AsyncClient.connect(url)``
needs no nursery); close it with ``aclose()`` or ``async with``.

Jobs are plain objects fed by the shell (lists plus events), not tasks: a thousand jobs
cost a thousand small objects, the client's tasks are one per open stream and one per
request in flight, and no thread is started (host names that are not IP addresses are
resolved in the library's worker threads; a numeric address needs none).

Cancellation is the library's.  Cancelling a wait (a trio cancel scope, ``asyncio.timeout``
or ``wait_for``) around ``await job.result()`` only stops the waiting: the job keeps
running (use ``job.cancel()``, or ``job_timeout=`` which the core enforces and which
cancels the job on the server).  ``predict`` is different: it owns its job, so when its
caller is cancelled (a cancel scope, ``task.cancel()``) the job is cancelled too, on the
server where it supports that.  When the client closes (``aclose()``, the end of
``async with``), or its nursery is cancelled, every pending job ends, exactly once, as
cancelled (``gradio_client.errors.CancelledError``, never ``trio.Cancelled`` or
``asyncio.CancelledError``).
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx
import sniffio

from . import _files, _official
from ._async_job import AsyncJob, OutputUpdate, Update, on_success
from ._job import Call, ResultCallback, callbacks_of
from .protocol.connect import (
    DEFAULT_HUB,
    DEFAULT_LIMITS,
    Connection,
    Limits,
    connect_flow,
    machine_config,
)
from .protocol.errors import JobTimeoutError, LocalProtocolError
from .protocol.job import TIMEOUT_MESSAGE
from .protocol.machine import EVENT_ACK_TIMEOUT, Phase, QueueMachine
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
    uploaded_path,
)
from .shells._driver import WsConnect

if TYPE_CHECKING:
    import trio

    from .batch import AsyncBatchRun
    from .shells._trio_lib import TrioLib
    from .shells.asyncio_shell import AsyncioLib, AsyncioShell
    from .shells.trio_driver import TrioDriverShell


class AsyncClient(ClientBase, _official.OfficialNames):
    """Call a Gradio app (a URL or a Hugging Face Space id) as an API, from asyncio or trio.

    Takes the same arguments as ``Client``, with the same meanings.  ``max_workers`` is how
    many requests (queue POSTs, uploads, downloads) are in flight at once, as the sync
    client's worker threads are; streams do not count.  Keep it small: it also paces how
    fast jobs join the server's queue, and a deep Gradio queue costs the server quadratic
    work (see ``shells/_driver.py``).  Use ``async with AsyncClient(src) as client``, or
    ``await AsyncClient.connect(src)`` (trio: ``connect(src, nursery=nursery)``) and
    ``await client.aclose()``.  ``ws_connect`` replaces how Gradio 3.x websockets are opened
    (tests replay recorded ones: ``gradio_client.testing.Replay.ws_connect``).
    """

    # set once connected (``_open``), like ``ClientBase._conn``
    _machine: QueueMachine
    _shell: TrioDriverShell | AsyncioShell
    _lib: type[TrioLib] | type[AsyncioLib]

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
        ws_connect: WsConnect | None = None,
        **ignored: Any,
    ) -> None:
        options = client_options(
            "AsyncClient", src, token, download_files, hf_token, space, ignored
        )
        self._oauth_token = options.oauth_token
        self._download_dir = options.download_dir
        self._keep_options(download_files, ssl_verify, httpx_kwargs)
        self._src = options.src
        self._token = options.token
        self._auth = auth
        self._headers = headers
        self._ssl_verify = ssl_verify
        self._httpx_kwargs = dict(httpx_kwargs or {})
        self._stream_read_timeout = stream_read_timeout
        self._event_ack_timeout = event_ack_timeout
        self._max_streams = max_streams
        self._max_workers = max_workers
        self._limits = Limits(
            max_response_size=max_response_size,
            max_message_size=max_message_size,
            max_download_size=max_download_size,
            connect_timeout=connect_timeout,
        )
        self.verbose = verbose
        self.job_timeout = job_timeout
        self.session_hash = str(uuid.uuid4())
        self._http: httpx.AsyncClient | None = None
        self._jobs: dict[int, AsyncJob] = {}  # by the machine's id
        self._jobs_lock = contextlib.nullcontext()  # one thread: the event loop's
        self._pending: dict[AsyncJob, None] = {}  # every job not ended, uploads included
        self._call_headers: dict[int, dict[str, str]] = {}
        self._closed = False
        self._nursery_manager: Any = None  # the nursery ``async with`` opened
        self._ws_connect = ws_connect

    # ------------------------------------------------------------------ opening

    @classmethod
    async def connect(
        cls, src: str | None = None, *, nursery: trio.Nursery | None = None, **kwargs: Any
    ) -> AsyncClient:
        """Connect.  Under trio the client's tasks run in ``nursery`` (which cannot exit
        while the client is open: ``await client.aclose()`` first, or cancel the nursery);
        under asyncio they are tasks of the running loop and there is no nursery."""
        client = cls(src, **kwargs)
        if _library() == "trio":
            if nursery is None:
                raise TypeError(
                    "AsyncClient.connect() under trio needs nursery= (or use "
                    "`async with AsyncClient(src) as client`)"
                )
        elif nursery is not None:
            raise TypeError("nursery= is for trio; under asyncio AsyncClient needs none")
        await client._open(nursery)
        return client

    async def __aenter__(self) -> AsyncClient:
        if _library() != "trio":
            await self._open(None)
            return self
        import trio

        manager = trio.open_nursery()
        nursery = await manager.__aenter__()
        try:
            await self._open(nursery)
        except BaseException:
            nursery.cancel_scope.cancel()
            await manager.__aexit__(None, None, None)
            raise
        self._nursery_manager = manager
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # The body's exception is not handed to the nursery: it would come back wrapped in
        # an ExceptionGroup.  It propagates as it is once the client is closed.
        try:
            await self.aclose()
        finally:
            manager, self._nursery_manager = self._nursery_manager, None
            if manager is not None:
                await manager.__aexit__(None, None, None)

    async def _open(self, nursery: trio.Nursery | None) -> None:
        self._lib = lib = _lib()
        hub = os.environ.get("HF_ENDPOINT") or DEFAULT_HUB
        guard = CredentialGuard(self._src, self._headers, hub)
        self._http = http = httpx.AsyncClient(
            **http_kwargs(
                self._httpx_kwargs, self._ssl_verify, guard, asynchronous=True, limits=self._limits
            )
        )
        if "user-agent" not in {k.lower() for k in (self._httpx_kwargs or {}).get("headers") or {}}:
            http.headers["user-agent"] = _official.USER_AGENT
        guard_cookies(http, guard)
        self._raw_config: list[bytes] = []
        try:
            self._conn: Connection = await lib.drive_flow(
                http,
                _official.record_config(
                    connect_flow(
                        self._src,
                        token=self._token,
                        auth=self._auth,
                        headers={"user-agent": http.headers["user-agent"], **(self._headers or {})},
                        hub=hub,
                    ),
                    self._raw_config,
                ),
                observe=guard.observe,
                limits=self._limits,
            )
            self._machine = QueueMachine(
                machine_config(
                    self._conn.config,
                    stream_read_timeout=self._stream_read_timeout,
                    max_event_size=self._limits.event_size,
                    event_ack_timeout=self._event_ack_timeout,
                ),
                self.session_hash,
            )
            self._shell = lib.shell(
                http,
                self._machine,
                self._conn,
                self._deliver,
                max_workers=self._max_workers,
                max_streams=self._max_streams,
                job_headers=lambda job: self._call_headers.get(job, {}),
                verify=self._ssl_verify,
                on_stop=self._end_all,
                limits=self._limits,
                ws_connect=self._ws_connect,
            )
            await lib.start(self._shell, nursery)
        except BaseException:
            self._closed = True
            await lib.finish(http.aclose())
            raise
        self._shell.feed(self._machine.start)
        if self.verbose:
            print(f"Loaded as API: {self.src} ✔")

    # ------------------------------------------------------------------ calls

    async def predict(
        self,
        *args: Any,
        api_name: str | None = None,
        fn_index: int | None = None,
        headers: dict[str, str] | None = None,
        result_callbacks: ResultCallback | Sequence[ResultCallback] | None = None,
        job_timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call an endpoint and wait for its (final) value.

        If the caller is cancelled while waiting, the job is cancelled too (on the server
        where it supports that): nobody else can collect its result.
        """
        job = await self.submit(
            *args,
            api_name=api_name,
            fn_index=fn_index,
            headers=headers,
            result_callbacks=result_callbacks,
            job_timeout=job_timeout,
            **kwargs,
        )
        try:
            return await job.result()
        finally:
            if not job.done():
                job.request_cancel("cancelled by the caller")

    async def submit(
        self,
        *args: Any,
        api_name: str | None = None,
        fn_index: int | None = None,
        headers: dict[str, str] | None = None,
        result_callbacks: ResultCallback | Sequence[ResultCallback] | None = None,
        job_timeout: float | None = None,
        **kwargs: Any,
    ) -> AsyncJob:
        """Start a call and return its ``AsyncJob`` at once.

        Arguments go positionally or by parameter name; missing ones take the endpoint's
        defaults.  Bad arguments raise here, before any request.  Local paths given to
        file parameters (or wrapped in ``handle_file``) are uploaded by a task of the
        client, then the job joins the queue.  ``job_timeout`` (or the client's) fails
        the job with ``JobTimeoutError`` and cancels it on the server when it runs longer
        (its uploads and downloads included).  ``result_callbacks`` are called with the
        value once the job succeeds, as the sync client's (in the event loop: they must not
        block).
        """
        await self._checkpoint()
        self._check_open()
        prepared = prepare(self._conn, api_name, fn_index, args, kwargs)
        extra: dict[str, Any] = {}
        if self._oauth_token is not None and prepared.endpoint.oauth_token:
            extra["oauth_token"] = self._oauth_token
        timeout = job_timeout if job_timeout is not None else self.job_timeout
        call_headers = _official.zero_gpu_headers(self.space_id, _official.call_headers(headers))
        call = Call(prepared.endpoint, prepared.data, extra, call_headers)
        deadline = None if timeout is None else time.monotonic() + timeout
        job = AsyncJob(self, call, uploads=prepared.uploads, deadline=deadline)
        self._pending[job] = None
        for callback in callbacks_of(result_callbacks):
            job.add_done_callback(on_success(callback))
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
    ) -> AsyncBatchRun:
        """``async for index, output in client.map(rows, api_name=...)``: every row, at most
        ``concurrency`` at once, as ``Client.map`` does (see ``gradio_client.batch``)."""
        from .batch import run_map_async

        return run_map_async([self], inputs, api_name=api_name, fn_index=fn_index,
                             concurrency=concurrency, ordered=ordered, retries=retries,
                             on_error=on_error)

    async def reset_session(self) -> None:
        """Start a new session: fresh ``gr.State``.  Running jobs finish on the old one."""
        await self._checkpoint()
        self._check_open()
        self.session_hash = str(uuid.uuid4())
        self._shell.feed(self._machine.reset_session, self.session_hash)

    async def aclose(self) -> None:
        """Cancel pending jobs (on the server too, for up to 2 s) and release connections.

        Every pending job ends as cancelled.  Safe to call twice, and after the client's
        nursery was cancelled.
        """
        if self._closed:
            return
        self._closed = True
        try:
            shell: TrioDriverShell | AsyncioShell | None = getattr(self, "_shell", None)
            if shell is not None:
                await shell.aclose()
        finally:
            self._end_all()
            if self._http is not None:  # closing local sockets does not block
                await self._lib.finish(self._http.aclose())

    # ------------------------------------------------------------------ internals

    async def _checkpoint(self) -> None:
        await (getattr(self, "_lib", None) or _lib()).checkpoint()

    def _check_open(self) -> None:
        if self._closed or getattr(self, "_shell", None) is None or self._shell.stopped:
            raise LocalProtocolError("This client is closed; create a new one to submit jobs.")

    def _cancel_job(self, job_id: int) -> None:
        """Tell the machine (and so the server) to cancel a job it still runs."""
        if not self._shell.stopped and self._machine.phase(job_id) is not Phase.DONE:
            self._shell.feed(self._machine.cancel, job_id, now=self._shell._now())

    def _forget(self, job: AsyncJob) -> None:
        self._pending.pop(job, None)
        job_id = job.job_id
        if job_id is not None:
            self._jobs.pop(job_id, None)
            self._call_headers.pop(job_id, None)

    def _end_all(self) -> None:
        """The client stopped: whatever did not end yet ends now, as cancelled."""
        for job in list(self._pending):
            job.close("the client was closed")

    async def _download(self, data: list[Any], deadline: float | None) -> list[Any]:
        """Save every output file of ``data`` (streamed), none past ``deadline``."""
        protocol = self._conn.config.protocol
        refs = _files.output_files(data, protocol)
        if not refs or self._download_dir is None or self._http is None:
            return data
        local: dict[int, str] = {}
        for ref in refs:
            url, headers, sink = download_start(self._conn, ref, self._download_dir)
            try:
                async with self._shell.requests:
                    timeout = flow_timeout(self._http.timeout, _left(deadline))
                    async with self._http.stream(
                        "GET", url, headers=headers, timeout=timeout
                    ) as response:
                        if response.status_code != 200:
                            await response.aread()
                            raise download_status_error(response)
                        async for chunk in response.aiter_bytes():
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

    async def _upload_file(self, path: str, deadline: float | None) -> Any:
        """Upload one local file (streamed from disk), none past ``deadline``; the
        reference the call's data gets instead of the path."""
        assert self._http is not None
        size = _files.check_upload(path, self._conn.config.max_file_size)
        async with self._shell.requests:
            # the wait for a request slot counts against the deadline too
            timeout = flow_timeout(_UPLOAD_TIMEOUT, _left(deadline))
            with open(path, "rb") as fh:
                response = await self._http.post(
                    self._conn.api_root + "/upload",
                    files={"files": (os.path.basename(path), fh)},
                    headers=dict(self._conn.headers),
                    timeout=timeout,
                )
        server_path = uploaded_path(path, response)
        return _files.uploaded_ref(server_path, path, size, self._conn.config.protocol)


_UPLOAD_TIMEOUT = httpx.Timeout(30.0, connect=10.0, write=None)  # bounded by job_timeout too


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _library() -> str:
    """The async library running the caller (sniffio): "trio" or "asyncio"."""
    try:
        return sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        raise RuntimeError(
            "AsyncClient runs under asyncio or trio: call it from a coroutine "
            "(asyncio.run(main()) or trio.run(main))"
        ) from None


def _lib() -> type[TrioLib] | type[AsyncioLib]:
    name = _library()
    if name == "trio":
        from .shells._trio_lib import TrioLib

        return TrioLib
    if name == "asyncio":
        from .shells.asyncio_shell import AsyncioLib

        return AsyncioLib
    raise RuntimeError(f"AsyncClient runs under asyncio or trio, not {name}")


__all__ = ["AsyncClient", "AsyncJob", "OutputUpdate", "Update"]
