"""What both shells share and which does no protocol work of its own.

* ``prepare``: endpoint resolution and the wire ``data`` of a call (pure, plus a check that
  named local files exist).
* ``ClientBase``: the read-only surface of a connected client (``view_api``, endpoints).
* ``stamp``: the wall-clock time put on each status as it is delivered.
* ``client_options``: the constructor arguments both clients take, checked and resolved.

The rest lives in modules named for it, and is importable from here too: ``_http.py``
(``http_kwargs``, body caps, connect-flow requests), ``_guard.py`` (``CredentialGuard``),
``_errors.py`` (``transport_error`` and the replies of uploads, downloads, websockets).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Final, NamedTuple

from .. import _files
from ..protocol.actions import Action
from ..protocol.api import AppConfig, Endpoint, build_data, has_files, info_dict, render_api
from ..protocol.connect import Connection, is_url
from ..protocol.errors import LocalProtocolError
from ..protocol.machine import QueueMachine
from ..protocol.status import StatusUpdate, delivered
from ._errors import (  # re-exported
    TLSCertificateError as TLSCertificateError,
    download_start as download_start,
    download_status_error as download_status_error,
    transport_error as transport_error,
    upload_error as upload_error,
    uploaded_path as uploaded_path,
    ws_rejected as ws_rejected,
)
from ._guard import (  # re-exported
    CredentialGuard as CredentialGuard,
    Origin as Origin,
    guard_cookies as guard_cookies,
    origin_of as origin_of,
)
from ._http import (  # re-exported
    BODY_CAP as BODY_CAP,
    MAX_REDIRECTS as MAX_REDIRECTS,
    BodyCaps as BodyCaps,
    CappedStream as CappedStream,
    document_cap as document_cap,
    download_cap as download_cap,
    flow_request as flow_request,
    flow_timeout as flow_timeout,
    http_kwargs as http_kwargs,
    http_response as http_response,
    ssl_context as ssl_context,
    stream_cap as stream_cap,
)


class ShellBase:
    """What both shells do the same way around their own ``feed`` and clock."""

    _machine: QueueMachine

    def _now(self) -> float:
        raise NotImplementedError

    def feed(self, method: Callable[..., list[Action]], *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    @property
    def job_deadlines(self) -> dict[int, float]:
        """``job_timeout`` deadlines by job id (shell clock), so that a blocking request of
        a job can be bounded by it; an entry is dropped when its job ends."""
        deadlines: dict[int, float] | None = self.__dict__.get("_job_deadlines")
        if deadlines is None:
            deadlines = self.__dict__["_job_deadlines"] = {}
        return deadlines

    def submit(
        self,
        register: Callable[[int], None],
        fn_index: int,
        data: list[Any],
        *,
        timeout: float | None = None,
        extra: dict[str, Any] | None = None,
    ) -> int:
        """Submit a job; ``register(job_id)`` runs before any of its actions is performed."""
        ids: list[int] = []

        def call() -> list[Action]:
            now = self._now()
            job, actions = self._machine.submit(
                fn_index, data, now=now, timeout=timeout, extra=extra
            )
            register(job)
            ids.append(job)
            if timeout is not None:
                self.job_deadlines[job] = now + timeout
            return actions

        self.feed(call)
        return ids[0]


class Prepared(NamedTuple):
    endpoint: Endpoint
    data: list[Any]
    uploads: list[str]  # local paths to upload first


def prepare(
    conn: Connection,
    api_name: str | None,
    fn_index: int | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Prepared:
    endpoint = conn.config.endpoint(api_name=api_name, fn_index=fn_index)
    data = _files.wrap_plain_paths(endpoint, build_data(endpoint, args, kwargs))
    uploads = _files.local_uploads(data, conn.config.protocol)
    for path in uploads:
        _files.check_upload(path, conn.config.max_file_size)
    return Prepared(endpoint, data, uploads)


def stamp(update: StatusUpdate) -> StatusUpdate:
    return delivered(update, datetime.datetime.now())


# ---------------------------------------------------------------------- construction


class Options(NamedTuple):
    src: str
    token: str | None
    download_dir: str | None  # None: downloads are off
    oauth_token: str | None


_KNOWN_IGNORED: Final = frozenset({"analytics_enabled", "_skip_components", "oauth_token"})


def client_options(
    what: str,
    src: str | None,
    token: str | None,
    download_files: str | os.PathLike[str] | bool,
    hf_token: str | None,
    space: str | None,
    ignored: Mapping[str, Any],
) -> Options:
    """Check and resolve the constructor arguments ``Client`` and ``AsyncClient`` share.

    ``what`` names the class in messages.  Warnings point at the caller's constructor call.
    """
    if hf_token is not None:
        warnings.warn("hf_token is deprecated; use token", DeprecationWarning, stacklevel=3)
        token = token or hf_token
    if space is not None:
        warnings.warn(
            "space is deprecated; pass the Space id as src", DeprecationWarning, stacklevel=3
        )
        src = src or space
    if src is None:
        raise LocalProtocolError(f"{what} needs src: an app URL or a Space id (owner/name).")
    unknown = set(ignored) - _KNOWN_IGNORED
    if unknown:
        raise TypeError(f"{what}() got unexpected keyword arguments: {sorted(unknown)}")
    if download_files is True:
        download_files = _files.DEFAULT_TEMP_DIR
    download_dir: str | None = None
    if download_files is not False:
        folder = os.fspath(download_files)
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise ValueError(f"download_files must be a directory: {folder!r}")
        download_dir = os.path.abspath(folder)
    if token is None and not is_url(src):
        token = saved_token()
    return Options(src, token, download_dir, ignored.get("oauth_token"))


def saved_token() -> str | None:
    """The user's Hugging Face token, found where huggingface_hub looks: ``$HF_TOKEN``, then
    the file ``huggingface-cli login`` writes (``$HF_TOKEN_PATH``, else ``$HF_HOME/token``,
    else ``~/.cache/huggingface/token``).  Used for Space ids only: a URL gets a token only
    when one is passed."""
    token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")
    if token:
        return token.strip()
    path = os.environ.get("HF_TOKEN_PATH")
    if not path:
        home = os.environ.get("HF_HOME") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface"
        )
        path = os.path.join(home, "token")
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().strip() or None
    except OSError:
        return None


class ClientBase:
    """What ``Client`` and ``AsyncClient`` share: the read-only surface, and handing jobs
    to the shell and the machine's actions to the jobs (``_jobs_lock`` is a real lock in
    the sync client, whose shell delivers from reader threads, and a no-op in the async
    one, where everything runs on the event loop's thread)."""

    _conn: Connection
    _download_dir: str | None
    _shell: Any  # ThreadShell or an async driver: both have ``submit``
    _jobs: dict[int, Any]  # Job or AsyncJob, by the machine's id
    _jobs_lock: contextlib.AbstractContextManager[Any]
    _call_headers: dict[int, dict[str, str]]

    def _submit_call(self, job: Any, call: Any, uploaded: dict[str, Any], timeout: float | None) -> int:
        """Hand a job (``call``: a ``_job.Call``) to the machine, its files uploaded; its
        id.  Raises what the machine refuses with (``GradioClientError``)."""
        protocol = self._conn.config.protocol
        data = _files.substitute_uploads(call.data, uploaded, protocol) if uploaded else call.data

        def register(job_id: int) -> None:
            self._call_headers[job_id] = call.headers
            with self._jobs_lock:
                self._jobs[job_id] = job

        job_id: int = self._shell.submit(
            register, call.endpoint.fn_index, data, timeout=timeout, extra=call.extra
        )
        return job_id

    def _deliver(self, action: Action) -> None:
        """The shell's delivery of one action: to its job, if it is still known."""
        job_id = getattr(action, "job", None)
        if job_id is None:
            return
        with self._jobs_lock:
            job = self._jobs.get(job_id)
        if job is not None:
            job.deliver(action)

    def _needs_io(self, data: list[Any]) -> bool:
        """Whether an output has files to download (a walk that stops at the first)."""
        return self._download_dir is not None and has_files(data, self._conn.config.protocol)

    @property
    def src(self) -> str:
        return self._conn.root + "/"

    @property
    def space_id(self) -> str | None:
        return self._conn.space_id

    @property
    def app_config(self) -> AppConfig:
        return self._conn.config

    @property
    def protocol(self) -> str:
        return self._conn.config.protocol

    @property
    def endpoints(self) -> dict[int, Endpoint]:
        return dict(self._conn.config.endpoints)

    def view_api(
        self,
        all_endpoints: bool | None = None,
        print_info: bool = True,
        return_format: str | None = None,
    ) -> dict[str, Any] | str | None:
        """Show every endpoint's parameters and return values.

        ``return_format="dict"`` returns the API as a dict, ``"str"`` the text; by default
        the text is printed and nothing is returned.
        """
        if return_format not in (None, "dict", "str"):
            raise ValueError("return_format must be None, 'dict' or 'str'")
        text = render_api(self._conn.config, self._conn.info, all_endpoints)
        if print_info:
            print(text)
        if return_format == "dict":
            return info_dict(self._conn.info)
        if return_format == "str":
            return text
        return None

    def __repr__(self) -> str:
        return render_api(self._conn.config, self._conn.info, None)

    def __str__(self) -> str:
        return self.__repr__()
