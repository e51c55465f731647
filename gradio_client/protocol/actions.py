"""The queue machine's outputs: what a shell must do, as plain frozen data.

Actions are named in the imperative.  A shell performs each one in order and reports
back through the machine's ``receive_*`` methods:

======================  =================================================================
action                  the shell ...
======================  =================================================================
``Post``                POSTs ``body`` (JSON) to ``path`` after ``delay`` seconds, then
                        calls ``receive_response`` (any status) or
                        ``receive_request_error`` (no response at all).
``OpenStream``          GETs ``path`` as a stream after ``delay`` seconds; calls
                        ``stream_opened`` with the status, then ``receive_stream_data``
                        for each chunk of the body and ``receive_stream_eof`` at its end,
                        or ``receive_stream_error`` if it breaks (including a read idle
                        longer than ``read_timeout``).
``CloseStream``         stops reading stream ``stream_id`` and reports nothing more on it.
``OpenWebSocket``       connects to ``path`` (ws/wss); reports ``receive_ws_message`` per
                        text frame, ``ws_closed`` at the end, ``receive_stream_error`` if
                        the connection fails.
``SendWebSocket``       sends ``text`` on the socket.
``EmitStatus``          hands the snapshot to the job's observers.
``EmitOutput``          hands an intermediate output (the full wire ``data`` list, diffs
                        already applied) to the job's observers.
``JobSucceeded``        ends the job with its final wire ``data`` list.
``JobFailed``           ends the job with ``error``.
``JobCancelled``        ends the job as cancelled.
``Notice``              may log ``message``; nothing else.
======================  =================================================================

Every job receives exactly one of ``JobSucceeded``, ``JobFailed`` or ``JobCancelled``, and
no action names it after that.

Actions are tagged msgspec structs: ``msgspec.to_builtins(action)`` holds every field plus
``"type"``, the class name (what a recorded session keeps; see ``gradio_client.testing``).
New fields only ever come with defaults.
"""

from __future__ import annotations

from typing import Any, Union

import msgspec

from .errors import GradioClientError
from .status import StatusUpdate


class Post(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    request_id: int
    path: str  # from the server root, prefix included: "/gradio_api/queue/join"
    body: bytes  # JSON
    job: int | None = None  # the job it serves, for per-call headers
    delay: float = 0.0


class OpenStream(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    stream_id: int
    path: str
    delay: float = 0.0
    read_timeout: float | None = None


class CloseStream(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    stream_id: int


class OpenWebSocket(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    stream_id: int
    path: str


class SendWebSocket(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    stream_id: int
    text: str


class EmitStatus(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    job: int
    update: StatusUpdate


class EmitOutput(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    job: int
    data: list[Any]


class JobSucceeded(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    job: int
    data: list[Any]


class JobFailed(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    job: int
    error: GradioClientError


class JobCancelled(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    job: int
    reason: str


class Notice(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    message: str
    job: int | None = None


Action = Union[
    Post,
    OpenStream,
    CloseStream,
    OpenWebSocket,
    SendWebSocket,
    EmitStatus,
    EmitOutput,
    JobSucceeded,
    JobFailed,
    JobCancelled,
    Notice,
]
TerminalAction = Union[JobSucceeded, JobFailed, JobCancelled]

__all__ = [
    "Action",
    "CloseStream",
    "EmitOutput",
    "EmitStatus",
    "JobCancelled",
    "JobFailed",
    "JobSucceeded",
    "Notice",
    "OpenStream",
    "OpenWebSocket",
    "Post",
    "SendWebSocket",
    "TerminalAction",
]
