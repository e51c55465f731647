"""Failures as the client's typed errors: httpx exceptions (``transport_error``, with a
certificate check that failed told apart), replies to uploads and downloads, a refused
websocket."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from .. import _files
from ..errors import httpx_status_twin, httpx_twin
from ..protocol.connect import Connection, same_origin
from ..protocol.errors import (
    AuthenticationError,
    CertificateError,
    ConnectionLostError,
    FileError,
    GradioClientError,
    HTTPStatusError,
    TransportError,
)


def transport_error(exc: BaseException, what: str) -> GradioClientError:
    """An httpx (or socket) failure as one of our errors, saying what was being done."""
    if isinstance(exc, GradioClientError):
        return exc
    failure = _certificate_failure(exc)
    if failure is not None:  # issue 18: nothing was lost, the TLS check failed
        return TLSCertificateError(
            f"{what} could not verify the server's TLS certificate: {failure}. For a self-signed "
            "certificate or a private CA, give the client the CA certificate: "
            "httpx_kwargs={'verify': ssl.create_default_context(cafile='ca.pem')} (or set "
            "SSL_CERT_FILE); ssl_verify=False turns verification off (testing only)."
        )
    if isinstance(exc, httpx.HTTPError):  # ours, and an instance of exc's httpx class too
        if isinstance(exc, httpx.TimeoutException):
            doing = f"{what} timed out ({type(exc).__name__})."
        elif isinstance(exc, httpx.RemoteProtocolError):
            doing = f"{what} broke off."
        elif isinstance(exc, httpx.ConnectError):
            doing = f"{what} could not connect."
        else:
            doing = f"{what} failed ({type(exc).__name__})."
        return httpx_twin(exc, doing)
    if isinstance(exc, (ConnectionError, OSError)):
        return ConnectionLostError(f"{what} could not connect: {exc}.")
    return TransportError(f"{what} failed: {type(exc).__name__}: {exc}.")


class TLSCertificateError(CertificateError, httpx.ConnectError):
    """A certificate that failed verification: our ``CertificateError`` and, as httpx
    raised it, an ``httpx.ConnectError`` (``except httpx.ConnectError`` keeps working)."""

    def __init__(self, message: str) -> None:
        CertificateError.__init__(self, message)
        self._request: httpx.Request | None = None  # httpx's .request raises RuntimeError


def _certificate_failure(exc: BaseException) -> str | None:
    """What failed, when ``exc`` (or what it wraps) is a failed TLS certificate check."""
    seen = 0
    cause: BaseException | None = exc
    while cause is not None and seen < 8:
        if isinstance(cause, ssl.SSLCertVerificationError) or (
            "CERTIFICATE_VERIFY_FAILED" in str(cause)
        ):
            return str(cause) or type(cause).__name__
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    return None


def download_start(
    conn: Connection, ref: dict[str, Any], folder: str
) -> tuple[str, dict[str, str], _files.DownloadSink]:
    """Where to fetch an output file, the headers to send, and the sink it goes into."""
    url = _files.download_url(ref, conn)
    headers = dict(conn.headers) if same_origin(url, conn.root) else {}
    return url, headers, _files.DownloadSink(folder, _files.safe_name(ref))


def download_status_error(response: httpx.Response) -> HTTPStatusError:
    """A download answered with something else than 200 (its body already read)."""
    return httpx_status_twin(  # also an httpx.HTTPStatusError, as the official client's
        response,
        f"Downloading an output file failed with HTTP {response.status_code}: "
        f"{response.text[:200]!r}",
    )


def upload_error(path: str, exc: BaseException) -> GradioClientError:
    """What an upload that failed with ``exc`` ends its job with."""
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError):
        return FileError(f"Cannot read {path!r} for upload: {exc.strerror or exc}.")
    return transport_error(exc, f"Uploading {path!r}")


def uploaded_path(path: str, response: httpx.Response) -> str:
    """The server path in a reply to ``POST /upload`` of ``path``; raises if there is none."""
    if response.status_code != 200:  # also an httpx.HTTPStatusError, as the official client's
        raise httpx_status_twin(
            response,
            f"Uploading {path!r} failed with HTTP {response.status_code}: {response.text[:200]!r}",
        )
    try:
        paths = response.json()
    except ValueError:
        paths = None
    if not (isinstance(paths, list) and paths and isinstance(paths[0], str)):
        raise HTTPStatusError(
            f"Uploading {path!r}: unexpected reply {response.text[:200]!r}",
            response.status_code,
            response.content,
        )
    return paths[0]


def ws_rejected(status: int, body: bytes | None) -> GradioClientError:
    """A refused websocket handshake (Gradio 3.x) as one of our errors."""
    if status in (401, 403):
        return AuthenticationError(
            f"The server refused the websocket (HTTP {status}): log in first."
        )
    return HTTPStatusError(
        f"The websocket handshake failed with HTTP {status}.", status, body or b""
    )
