"""How the server's answers become job outcomes: the error each failure is (pure helpers).

An app error saying an input file was not uploaded is ``UploadNotFoundError`` (its upload
and the job reached different replicas).  A lost session, or a stream that kept ending with
no news, fails a job never named on the stream with ``ReplicaMismatchError`` and a named job
whose stream broke mid-job with ``StreamCutError`` (``lost_error``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import msgspec

from ..errors import (
    AppError,
    AuthenticationError,
    ConnectionLostError,
    GradioClientError,
    HTTPStatusError,
    JobTimeoutError,
    QueueFullError,
    RemoteProtocolError,
    ReplicaMismatchError,
    ServerStoppedError,
    SessionNotFoundError,
    StalledStreamError,
    StreamCutError,
    TooManyRequestsError,
    UploadNotFoundError,
    ValidationError,
)
from ..messages import Output, ServerStopped, UnexpectedError
from .state import _Job

HIDDEN_ERROR: Final = (
    "The upstream Gradio app has raised an exception but has not enabled verbose error "
    "reporting. To enable, set show_error=True in launch()."
)


def server_ended(error: GradioClientError) -> bool:
    """Whether a failure means the server already let go of the job (no cancel needed)."""
    return not isinstance(error, (JobTimeoutError, RemoteProtocolError, StalledStreamError))


def app_error(output: Output, title: str | None) -> AppError:
    message = output.error if isinstance(output.error, str) else HIDDEN_ERROR
    if _UPLOAD_MISSING.search(message):  # issue 18: the upload went to another replica
        return UploadNotFoundError(
            f"The file uploaded for this job was not found on the server that ran it "
            f"({message}): the upload and the job most likely reached different replicas of "
            "the app (a load balancer without session affinity; enable sticky sessions), or "
            "the server lost its uploads (a restart). The app did not run the job."
        )
    return AppError(
        message,
        duration=output.duration if output.error is not msgspec.UNSET else 10,
        visible=output.visible,
        title=output.title or title or "Error",
    )


def session_error(message: UnexpectedError | ServerStopped) -> GradioClientError:
    text = message.message if isinstance(message, UnexpectedError) else None
    if isinstance(message, UnexpectedError) and message.session_not_found:
        return SessionNotFoundError(
            "The server does not know this session any more (it restarted, or the request "
            f"reached another replica): {text or 'session not found'}"
        )
    if isinstance(message, ServerStopped) or (text and "stopped" in text.lower()):
        return ServerStoppedError(f"The server stopped: {text or 'server stopped'}")
    if message.event_id is not None:
        return AppError(text or HIDDEN_ERROR)
    return ConnectionLostError(f"The server reported an unexpected error: {text}")


# Gradio 5-6: "Cannot move X to the gradio cache dir because it was not uploaded by a user."
# Gradio 4.20-4.44: "File X is not in the upload folder and cannot be accessed."
_UPLOAD_MISSING: Final = re.compile(r"not uploaded by a user|is not in the upload folder")


def lost_error(
    error: GradioClientError, job: _Job, cut: bool, unacked: Mapping[int, _Job]
) -> GradioClientError:
    """Issue 18: what a lost session (or a stream that kept ending with no news) means for one
    job.  Never named on the stream: its join and the stream reached different servers.
    Named, but the stream broke while it waited: the stream was cut mid-job (most often a
    proxy's idle timeout)."""
    if not isinstance(error, (SessionNotFoundError, StalledStreamError)):
        return error
    if job.id in unacked:
        return ReplicaMismatchError(
            f"The server accepted this job (event {job.event_id}), but the event stream never "
            f"mentioned it ({error}): the join and the stream most likely reached different "
            "replicas of the app (a load balancer without session affinity; enable sticky "
            "sessions, or run one replica), or the server restarted in between. The app may "
            "have run the job; its result is lost.",
            job.event_id,
        )
    if cut and isinstance(error, SessionNotFoundError):
        return StreamCutError(
            "The event stream was closed while the job was pending, and on reconnecting the "
            f"server no longer knew the session ({error}). Gradio drops a session's events "
            "when its stream disconnects, so the result is lost (the app may have run the "
            "job). The usual cause is a proxy or load balancer whose read/idle timeout is "
            "shorter than Gradio's 15 s heartbeat interval (nginx proxy_read_timeout, "
            "haproxy timeout server/tunnel, a cloud load balancer's idle timeout): raise it "
            "well above 15 s. A server restart, or a reconnect reaching another replica, "
            "ends the same way."
        )
    return error


def json_field(body: bytes, key: str) -> Any:
    try:
        value = msgspec.json.decode(body)
    except Exception:  # noqa: BLE001 - DecodeError, RecursionError (too deep), ...
        return None
    return value.get(key) if isinstance(value, dict) else None


def preview(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", "replace").strip()
    return repr(text if len(text) <= limit else text[:limit] + "...")


def retry_after(headers: Mapping[str, str]) -> float | None:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                seconds = float(value.strip())
            except ValueError:
                return None  # an HTTP date: fall back to our own backoff
            return max(0.0, seconds)
    return None


def join_error(
    status: int, body: bytes, headers: Mapping[str, str], what: str = "queue/join"
) -> GradioClientError:
    detail = json_field(body, "detail")
    if status == 503:
        text = detail if isinstance(detail, str) else "Queue is full! Please try again."
        return QueueFullError(text)
    if status == 422 and isinstance(detail, list):
        problems = [d for d in detail if isinstance(d, dict)]
        # a validator's entry per input says is_valid true/false: count the invalid ones
        failed = [d for d in problems if d.get("is_valid") is not True]
        lines = [
            f"- {d.get('parameter_name') or '.'.join(map(str, d.get('loc') or ())) or '?'}: "
            f"{d.get('message') or d.get('msg') or 'invalid'}"
            for d in failed
        ]
        return ValidationError(
            f"{len(failed)} parameter(s) failed validation:\n" + "\n".join(lines), problems
        )
    if status in (401, 403):
        return AuthenticationError(
            f"The server refused the {what} (HTTP {status}): log in with auth=(user, password) "
            "or pass a token with access to this app."
        )
    if status == 429:
        retry = retry_after(headers)
        return TooManyRequestsError(
            "The server is rate limiting requests (HTTP 429)"
            + (f"; retry after {retry:g} s." if retry is not None else "; try again later."),
            retry_after=retry,
        )
    return http_error(what, status, body)


def http_error(what: str, status: int, body: bytes) -> HTTPStatusError:
    detail = json_field(body, "detail")
    text = detail if isinstance(detail, str) else preview(body)
    hint = ""
    if body.lstrip()[:1] == b"<":
        hint = " The server answered with HTML, not JSON: is this URL a Gradio app?"
    return HTTPStatusError(f"{what} failed with HTTP {status}: {text}.{hint}", status, body)


__all__ = [
    "HIDDEN_ERROR",
    "app_error",
    "http_error",
    "join_error",
    "json_field",
    "lost_error",
    "preview",
    "retry_after",
    "server_ended",
    "session_error",
]
