"""Every message a Gradio server sends on its queue, as typed msgspec Structs.

One tagged union on the ``msg`` field covers all generations: the websocket queue of 3.x,
``sse`` (4.0-4.8) and ``sse_v1`` .. ``sse_v3`` (4.9 onward).  Differences between
generations are optional fields with defaults, never separate type families, so a newer
server that adds a field or drops an optional one still decodes.

Decoding rules (``decode_message``):

* a known ``msg`` with the expected shape      -> its Struct;
* a ``msg`` this library does not know         -> ``UnknownMessage`` (kept, never a crash);
* a known ``msg`` whose fields have wrong types -> ``RemoteProtocolError`` naming the field;
* bytes that are not a JSON object with a string ``msg`` -> ``RemoteProtocolError``.

The decoder is built once at import and reused: about 0.7 us per message.
"""

from __future__ import annotations

from typing import Any, Final, Union

import msgspec

from .errors import MalformedMessageError


class ServerMessage(msgspec.Struct, tag_field="msg", kw_only=True, frozen=True, gc=False):
    """Base of every known server message; ``event_id`` is null for session-wide ones."""

    event_id: str | None = None


class Estimation(ServerMessage, tag="estimation", frozen=True):
    rank: int | None = None
    queue_size: int | None = None
    rank_eta: float | None = None
    queue_eta: float | None = None


class SendHash(ServerMessage, tag="send_hash", frozen=True):
    """ws only: the server asks which function and session this socket is for."""


class SendData(ServerMessage, tag="send_data", frozen=True):
    """ws and sse v0: the event reached a worker; the client must send its data now."""


class QueueFull(ServerMessage, tag="queue_full", frozen=True):
    """ws and sse v0: the queue refused the event."""


class ProcessStarts(ServerMessage, tag="process_starts", frozen=True):
    eta: float | None = None


class ProgressUnit(msgspec.Struct, kw_only=True, frozen=True, gc=False):
    """One level of a ``gr.Progress`` bar (index of length, in unit)."""

    index: float | None = None
    length: float | None = None
    unit: str | None = None
    progress: float | None = None
    desc: str | None = None


class Progress(ServerMessage, tag="progress", frozen=True):
    progress_data: list[ProgressUnit] | None = None


class Log(ServerMessage, tag="log", frozen=True):
    """``gr.Info`` / ``gr.Warning`` / ``gr.Success`` raised while the job runs."""

    log: str = ""
    level: str = "info"
    duration: float | None = None
    visible: bool = True
    title: str | None = None


class Output(msgspec.Struct, kw_only=True, frozen=True, gc=False):
    """The ``output`` of a generating or completed message.

    Success carries ``data``; failure carries ``error`` (null when the app hides errors);
    the completion that follows a server-side cancel is ``{}`` (neither).
    """

    data: list[Any] | None = None
    error: str | None | msgspec.UnsetType = msgspec.UNSET
    is_generating: bool = False
    duration: float | None = None
    visible: bool = True
    title: str | None = None


_EMPTY_OUTPUT: Final = Output()


class ProcessGenerating(ServerMessage, tag="process_generating", frozen=True):
    """One generator yield.  From sse_v2 on, ``output.data`` after the first is diffs."""

    output: Output = _EMPTY_OUTPUT
    success: bool = True


class ProcessStreaming(ServerMessage, tag="process_streaming", frozen=True):
    """One chunk of a ``.stream()`` event (5.x+); full values, never diffs."""

    output: Output = _EMPTY_OUTPUT
    success: bool = True


class ProcessCompleted(ServerMessage, tag="process_completed", frozen=True):
    output: Output = _EMPTY_OUTPUT
    success: bool = True
    title: str | None = None


class Heartbeat(ServerMessage, tag="heartbeat", frozen=True):
    pass


class CloseStream(ServerMessage, tag="close_stream", frozen=True):
    """sse_v3: the server is about to end this session's stream."""


class UnexpectedError(ServerMessage, tag="unexpected_error", frozen=True):
    message: str | None = None
    session_not_found: bool = False
    success: bool = False


class ServerStopped(ServerMessage, tag="server_stopped", frozen=True):
    """4.9-era name for what later servers send as ``unexpected_error``."""

    success: bool = False


class AliveCheck(ServerMessage, tag="alive?", frozen=True):
    """3.x servers on old Pythons pinged generator sockets with this; nothing to do."""


KnownMessage = Union[
    Estimation,
    SendHash,
    SendData,
    QueueFull,
    ProcessStarts,
    Progress,
    Log,
    ProcessGenerating,
    ProcessStreaming,
    ProcessCompleted,
    Heartbeat,
    CloseStream,
    UnexpectedError,
    ServerStopped,
    AliveCheck,
]


class UnknownMessage(msgspec.Struct, frozen=True, gc=False):
    """A message whose ``msg`` this library does not know; kept for logs, never fatal."""

    msg: str
    event_id: str | None
    raw: str


AnyMessage = Union[KnownMessage, UnknownMessage]


class _Envelope(msgspec.Struct, gc=False):
    msg: Any = None
    event_id: Any = None


_decoder: Final = msgspec.json.Decoder(KnownMessage)
_envelope_decoder: Final = msgspec.json.Decoder(_Envelope)
KNOWN_TAGS: Final[frozenset[str]] = frozenset(
    t.__struct_config__.tag
    for t in KnownMessage.__args__  # type: ignore[attr-defined]
)


def decode_message(data: str | bytes) -> AnyMessage:
    """Decode one JSON server message (see the module rules)."""
    try:
        message: KnownMessage = _decoder.decode(data)
        return message
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        # msgspec reports invalid UTF-8 inside a tag string as UnicodeDecodeError
        first_error = exc
    # Slow path, only for unknown or broken messages: peek at the tag.
    try:
        env = _envelope_decoder.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError):
        raise MalformedMessageError(
            f"The server sent a message that is not a UTF-8 JSON object: {_preview(data)}"
        ) from None
    event_id = env.event_id if isinstance(env.event_id, str) else None
    if isinstance(env.msg, str) and env.msg not in KNOWN_TAGS:
        text = data if isinstance(data, str) else data.decode("utf-8", "replace")
        return UnknownMessage(env.msg, event_id, text)
    if not isinstance(env.msg, str):
        raise MalformedMessageError(
            f"The server sent a message without a string 'msg' field: {_preview(data)}",
            event_id,
        )
    raise MalformedMessageError(
        f"The server sent a malformed {env.msg!r} message ({first_error}): {_preview(data)}",
        event_id,
    ) from None


def _preview(data: str | bytes, limit: int = 200) -> str:
    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    return repr(text if len(text) <= limit else text[:limit] + "...")


_encoder: Final = msgspec.json.Encoder()


def encode_json(value: Any) -> bytes:
    """Encode a client payload (join body, ws frame) as compact JSON bytes."""
    return _encoder.encode(value)


__all__ = [
    "AliveCheck",
    "AnyMessage",
    "CloseStream",
    "Estimation",
    "Heartbeat",
    "KNOWN_TAGS",
    "KnownMessage",
    "Log",
    "Output",
    "ProcessCompleted",
    "ProcessGenerating",
    "ProcessStarts",
    "ProcessStreaming",
    "Progress",
    "ProgressUnit",
    "QueueFull",
    "SendData",
    "SendHash",
    "ServerMessage",
    "ServerStopped",
    "UnexpectedError",
    "UnknownMessage",
    "decode_message",
    "encode_json",
]
