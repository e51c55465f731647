"""The exceptions users catch.  All derive from ``GradioClientError``.

Defined in the protocol core (``gradio_client.protocol.errors``) and re-exported here,
plus ``CancelledError``, which also derives from ``concurrent.futures.CancelledError``
so code written for the official client's ``Job`` keeps catching it.
"""

from __future__ import annotations

import concurrent.futures

from .protocol.errors import (
    AppError,
    ArgumentError,
    AuthenticationError,
    ConnectionLostError,
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
    ServerStoppedError,
    SessionNotFoundError,
    SpaceError,
    TooManyRequestsError,
    TransportError,
    ValidationError,
)


class CancelledError(JobCancelledError, concurrent.futures.CancelledError):
    """The job was cancelled, by the caller or by the server; ``str()`` says which."""


__all__ = [
    "AppError",
    "ArgumentError",
    "AuthenticationError",
    "CancelledError",
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
