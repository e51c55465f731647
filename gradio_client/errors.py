"""The exceptions users catch.  All derive from ``GradioClientError``.

Defined in the protocol core (``gradio_client.protocol.errors``) and re-exported here,
plus ``CancelledError``, which also derives from ``concurrent.futures.CancelledError``
so code written for the official client's ``Job`` keeps catching it.

Where the official client lets an httpx exception through (connection refused, timeouts,
a broken connection), ours is an instance of both one of our errors
(``ConnectionLostError`` or ``TransportError``) and the same httpx class, so
``except httpx.ConnectError`` and ``except httpx.HTTPError`` keep working: ``ConnectError``,
``ConnectTimeout``, ``ReadTimeout``, ... below (``httpx_twin`` makes them).  Their message
starts with httpx's own, then says what was being done.
"""

from __future__ import annotations

import concurrent.futures
from typing import Final

import httpx

from .protocol.errors import (
    AppError,
    ArgumentError,
    AuthenticationError,
    CertificateError,
    ConfigError,
    ConnectionLostError,
    ConnectTimeoutError,
    EndpointNotFoundError,
    FileError,
    GradioClientError,
    HTTPStatusError,
    JobCancelledError,
    JobTimeoutError,
    LocalProtocolError,
    MalformedMessageError,
    MessageTooLargeError,
    QueueError,
    QueueFullError,
    RemoteProtocolError,
    ReplicaMismatchError,
    ResponseTooLargeError,
    ServerStoppedError,
    SessionNotFoundError,
    SpaceError,
    StalledStreamError,
    StreamCutError,
    TooManyRequestsError,
    TransportError,
    UnsafeRedirectError,
    UploadNotFoundError,
    ValidationError,
)


class CancelledError(JobCancelledError, concurrent.futures.CancelledError):
    """The job was cancelled, by the caller or by the server; ``str()`` says which."""


class _HttpxTwin(Exception):
    """Mixin: an httpx exception's constructor (``request=``) on one of our errors."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        Exception.__init__(self, message)
        self._request = request


class ConnectError(_HttpxTwin, ConnectionLostError, httpx.ConnectError):
    """Could not connect (refused, unreachable, DNS): also an ``httpx.ConnectError``."""


class ConnectTimeout(_HttpxTwin, ConnectionLostError, httpx.ConnectTimeout):
    """Connecting timed out: also an ``httpx.ConnectTimeout``."""


class ReadTimeout(_HttpxTwin, ConnectionLostError, httpx.ReadTimeout):
    """Reading a reply timed out: also an ``httpx.ReadTimeout``."""


class WriteTimeout(_HttpxTwin, ConnectionLostError, httpx.WriteTimeout):
    """Sending a request timed out: also an ``httpx.WriteTimeout``."""


class PoolTimeout(_HttpxTwin, ConnectionLostError, httpx.PoolTimeout):
    """No connection of the pool became free in time: also an ``httpx.PoolTimeout``."""


class ReadError(_HttpxTwin, ConnectionLostError, httpx.ReadError):
    """The connection failed while reading: also an ``httpx.ReadError``."""


class WriteError(_HttpxTwin, ConnectionLostError, httpx.WriteError):
    """The connection failed while sending: also an ``httpx.WriteError``."""


class HTTPRemoteProtocolError(_HttpxTwin, ConnectionLostError, httpx.RemoteProtocolError):
    """The server broke the HTTP protocol (e.g. closed mid-reply): also an
    ``httpx.RemoteProtocolError`` (named apart from this library's ``RemoteProtocolError``,
    which is about Gradio's protocol)."""


class HTTPTransportError(_HttpxTwin, TransportError, httpx.TransportError):
    """Any other httpx transport failure: also an ``httpx.TransportError``."""


class HTTPError(_HttpxTwin, TransportError, httpx.HTTPError):
    """Any other httpx failure: also an ``httpx.HTTPError``."""


class _HttpxStatusError(HTTPStatusError, httpx.HTTPStatusError):
    """An upload or a download answered with an unexpected HTTP status: this library's
    ``HTTPStatusError`` and also an ``httpx.HTTPStatusError`` (``.request``, ``.response``),
    which the official client let through there.  Its class name is ``HTTPStatusError``."""

    def __init__(self, message: str, response: httpx.Response) -> None:
        Exception.__init__(self, message)  # both parents' __init__ take other arguments
        self.status_code = response.status_code
        self.body = response.content
        self._request = response.request
        self.response = response


_HttpxStatusError.__name__ = _HttpxStatusError.__qualname__ = "HTTPStatusError"
_STATUS_KINDS: Final = {1: "Informational response", 3: "Redirect response", 4: "Client error",
                        5: "Server error"}


def httpx_status_twin(response: httpx.Response, what: str) -> HTTPStatusError:
    """An unexpected status as ``HTTPStatusError`` that is also an ``httpx.HTTPStatusError``;
    the message starts with httpx's own wording (``raise_for_status``), then ``what``."""
    kind = _STATUS_KINDS.get(response.status_code // 100, "Unexpected response")
    first = f"{kind} '{response.status_code} {response.reason_phrase}' for url '{response.url}'"
    return _HttpxStatusError(f"{first}. {what}", response)


_TWINS: Final[tuple[tuple[type[httpx.HTTPError], type[_HttpxTwin]], ...]] = (
    (httpx.ConnectTimeout, ConnectTimeout),  # before ConnectError's parents, most specific first
    (httpx.ReadTimeout, ReadTimeout),
    (httpx.WriteTimeout, WriteTimeout),
    (httpx.PoolTimeout, PoolTimeout),
    (httpx.ConnectError, ConnectError),
    (httpx.ReadError, ReadError),
    (httpx.WriteError, WriteError),
    (httpx.RemoteProtocolError, HTTPRemoteProtocolError),
    (httpx.TransportError, HTTPTransportError),
    (httpx.HTTPError, HTTPError),
)


def httpx_twin(exc: httpx.HTTPError, what: str) -> GradioClientError:
    """``exc`` as one of our errors that is also an instance of its httpx class.

    The message is httpx's (the official client's wording) then ``what`` ("GET URL could
    not connect.").  The request is kept when httpx had it."""
    first = str(exc).strip().rstrip(".")
    message = f"{first}. {what}" if first else what
    try:
        request: httpx.Request | None = exc.request
    except RuntimeError:  # raised without a request
        request = None
    for httpx_class, twin in _TWINS:
        if isinstance(exc, httpx_class):
            error = twin(message, request=request)
            assert isinstance(error, GradioClientError)
            return error
    return TransportError(message)


__all__ = [
    "AppError",
    "ArgumentError",
    "AuthenticationError",
    "CancelledError",
    "CertificateError",
    "ConfigError",
    "ConnectError",
    "ConnectTimeout",
    "ConnectTimeoutError",
    "ConnectionLostError",
    "EndpointNotFoundError",
    "FileError",
    "GradioClientError",
    "HTTPError",
    "HTTPRemoteProtocolError",
    "HTTPStatusError",
    "HTTPTransportError",
    "JobCancelledError",
    "JobTimeoutError",
    "LocalProtocolError",
    "MalformedMessageError",
    "MessageTooLargeError",
    "PoolTimeout",
    "QueueError",
    "QueueFullError",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "ReplicaMismatchError",
    "ResponseTooLargeError",
    "ServerStoppedError",
    "SessionNotFoundError",
    "SpaceError",
    "StalledStreamError",
    "StreamCutError",
    "TooManyRequestsError",
    "TransportError",
    "UnsafeRedirectError",
    "UploadNotFoundError",
    "ValidationError",
    "WriteError",
    "WriteTimeout",
    "httpx_status_twin",
    "httpx_twin",
]
