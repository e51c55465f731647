"""One error hierarchy for the whole library.

Rules:

* Every exception this library raises on purpose derives from :class:`GradioClientError`,
  so ``except GradioClientError`` catches all of them and nothing from the wire ever
  surfaces as a bare ``KeyError``, ``ValueError`` or ``json.JSONDecodeError``.
* Errors say *whose fault* it is.  :class:`LocalProtocolError` means the caller asked for
  something that cannot be done (unknown endpoint, bad arguments, a call after close);
  :class:`RemoteProtocolError` means the server sent something the protocol does not allow.
  Everything else is an *outcome* of a job (the app raised, the queue was full, the
  connection was lost, the deadline passed) and is delivered to that job only.
* Where the official client raised a builtin type, ours also derives from it (``AppError``
  and ``ValidationError`` are ``ValueError``; argument errors are ``TypeError``; timeouts are
  ``TimeoutError``), so code written against the official client keeps working.
* Messages are written for the person reading the traceback: what happened, and what to do.

The core never raises job outcomes; it hands them to the shell inside a ``JobFailed`` action.
"""

from __future__ import annotations

from typing import Any


class GradioClientError(Exception):
    """Root of every error raised by gradio_client."""


# --------------------------------------------------------------------------- local misuse


class LocalProtocolError(GradioClientError):
    """The caller asked for something the current state does not allow."""


class EndpointNotFoundError(LocalProtocolError, ValueError):
    """No endpoint matches the given ``api_name`` or ``fn_index`` (or it is private)."""


class ArgumentError(LocalProtocolError, TypeError):
    """The arguments do not fit the endpoint's parameters (missing, unknown or duplicated)."""


class FileError(LocalProtocolError, ValueError):
    """A file argument cannot be used: missing, not a file, too large, or unsafe."""


# --------------------------------------------------------------------- remote violations


class RemoteProtocolError(GradioClientError):
    """The server sent something the Gradio protocol does not allow (bad JSON, bad shape)."""


class MessageTooLargeError(RemoteProtocolError):
    """One server-sent event grew past the configured size cap."""


class MalformedMessageError(RemoteProtocolError):
    """A queue message could not be decoded; ``event_id`` names its job when readable."""

    def __init__(self, message: str, event_id: str | None = None) -> None:
        super().__init__(message)
        self.event_id = event_id


class ConfigError(RemoteProtocolError, ValueError):
    """The URL does not serve a Gradio config: not a Gradio app (or a Gradio 2.x one).

    A ``ValueError`` whose message starts like the official client's ("Could not get
    Gradio config from: URL").  ``status_code`` is the HTTP status of ``GET /config``
    when it failed.
    """

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


# ------------------------------------------------------------------------- job outcomes


class AppError(GradioClientError, ValueError):
    """The Gradio app raised an error while running the job (``gr.Error`` or an exception).

    ``message`` is the text the app chose to show.  When the app hides its errors
    (``show_error=False``) the server sends no text and ``message`` explains that.
    """

    def __init__(
        self,
        message: str = "Error raised.",
        duration: float | None = 10,
        visible: bool = True,
        title: str = "Error",
        print_exception: bool = True,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.duration = duration
        self.visible = visible
        self.title = title
        self.print_exception = print_exception


class QueueFullError(GradioClientError):
    """The app's queue is full; try again later."""


QueueError = QueueFullError  # the official client's name


class ValidationError(GradioClientError, ValueError):
    """The app's input validators rejected the arguments (HTTP 422 on join)."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class AuthenticationError(GradioClientError, ValueError):
    """Credentials are missing or wrong (HTTP 401, or a failed login).  A ``ValueError``
    as the official client's."""


class TooManyRequestsError(GradioClientError):
    """The server or Space is rate limiting us (HTTP 429)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SpaceError(GradioClientError, ValueError):
    """A Hugging Face Space could not be resolved, or is not running (a ``ValueError``,
    as the official client raises)."""

    def __init__(self, message: str, space_id: str | None = None, stage: str | None = None):
        super().__init__(message)
        self.space_id = space_id
        self.stage = stage


class TransportError(GradioClientError):
    """A request or stream failed at the HTTP or network level."""


class HTTPStatusError(TransportError):
    """A request got an HTTP status that the protocol does not expect."""

    def __init__(self, message: str, status_code: int, body: bytes = b"") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


class ConnectionLostError(TransportError):
    """The event stream carrying a job's messages was lost and could not be recovered."""


class SessionNotFoundError(ConnectionLostError):
    """The server no longer knows this session (restarted, or another replica)."""


class ServerStoppedError(ConnectionLostError):
    """The server said it stopped while the job was pending."""


class JobTimeoutError(GradioClientError, TimeoutError):
    """The job's deadline passed before it finished; it was cancelled on the server."""


class JobCancelledError(GradioClientError):
    """The job was cancelled (by the caller, or by the server)."""


__all__ = [
    "AppError",
    "ArgumentError",
    "AuthenticationError",
    "ConfigError",
    "ConnectionLostError",
    "EndpointNotFoundError",
    "FileError",
    "GradioClientError",
    "HTTPStatusError",
    "JobCancelledError",
    "JobTimeoutError",
    "LocalProtocolError",
    "MalformedMessageError",
    "MessageTooLargeError",
    "QueueError",
    "QueueFullError",
    "RemoteProtocolError",
    "ServerStoppedError",
    "SessionNotFoundError",
    "SpaceError",
    "TooManyRequestsError",
    "TransportError",
    "ValidationError",
]


# ------------------------------------------------------- limits and redirects (issue 12)


class ResponseTooLargeError(MessageTooLargeError):
    """A body the server sent grew past one of the client's size caps.

    Sizes are counted after decompression.  ``option`` names the ``Client``/``AsyncClient``
    keyword that sets the cap (raise it, or pass None for no cap), ``limit`` its value and
    ``size`` the bytes read when it was passed.
    """

    def __init__(
        self, message: str, option: str = "", limit: int | None = None, size: int | None = None
    ) -> None:
        super().__init__(message)
        self.option = option
        self.limit = limit
        self.size = size  # bytes read when the cap was passed


class ConnectTimeoutError(TransportError, TimeoutError):
    """Connecting (login, ``/config``, ``/info``) did not finish within ``connect_timeout``."""


class UnsafeRedirectError(TransportError):
    """The server redirected a request whose body may hold credentials to another origin.

    Such a redirect is never followed: the body (a login form, a join with an OAuth token)
    would be sent again to the other origin.
    """


__all__ += ["ConnectTimeoutError", "ResponseTooLargeError", "UnsafeRedirectError"]


# ------------------------------------------------- queue core: stream budget (issue 12)


class StalledStreamError(ConnectionLostError):
    """The server kept closing the event stream without progress for the job (no output,
    no completion) until the job's reopen budget was spent."""


__all__ += ["StalledStreamError"]


# ------------------------------------------------- deployments: replicas, proxies, TLS (issue 18)


class ReplicaMismatchError(SessionNotFoundError):
    """The server accepted the job, but the event stream that should carry its messages
    never mentioned it: the join and the stream most likely reached different replicas of
    the app behind a load balancer without session affinity (sticky sessions).  The app may
    have run the job; its result is lost.  ``event_id`` names the event when known."""

    def __init__(self, message: str, event_id: str | None = None) -> None:
        super().__init__(message)
        self.event_id = event_id


class UploadNotFoundError(ReplicaMismatchError, AppError):
    """A file this client uploaded for the job was not found on the server that ran the job
    (the upload and the job reached different replicas, or the server lost its uploads).
    The app did not run the job.  Also an ``AppError``, which this failure used to be."""

    def __init__(self, message: str, event_id: str | None = None) -> None:
        AppError.__init__(self, message, title="Upload not found")
        self.event_id = event_id


class StreamCutError(SessionNotFoundError):
    """The event stream was closed while the job was pending (most often by a proxy's idle
    read timeout shorter than Gradio's 15 s heartbeat), and on reconnecting the server no
    longer knew the session: the job's result is lost, and the app may have run it."""


class CertificateError(TransportError):
    """The server's TLS certificate could not be verified (self-signed, a private CA,
    expired, or issued for another host name)."""


__all__ += ["CertificateError", "ReplicaMismatchError", "StreamCutError", "UploadNotFoundError"]
