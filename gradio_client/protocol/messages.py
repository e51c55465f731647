"""Every message a Gradio server sends on its queue, as typed msgspec Structs.

One tagged union on the ``msg`` field covers all generations: the websocket queue of 3.x,
``sse`` (4.0-4.8) and ``sse_v1`` .. ``sse_v3`` (4.9 onward).  Differences between
generations are optional fields with defaults, never separate type families, so a newer
server that adds a field or drops an optional one still decodes.

Decoding rules (``decode_message``):

* a known ``msg`` with the expected shape      -> its Struct;
* a ``msg`` this library does not know         -> ``UnknownMessage`` (kept, never a crash);
* a known ``msg`` whose *essential* field has a wrong type -> ``MalformedMessageError``
  naming the field.  Essential are only the fields a result needs: ``event_id`` (routing),
  and in ``process_generating`` / ``process_streaming`` / ``process_completed`` the
  ``success`` flag and ``output`` with its ``data`` and ``error``;
* any other field that cannot be read (a float, negative or huge ``rank``, ``queue_size``,
  ``eta``, a progress unit that is not an object, a ``log`` that is not text, ...) is
  dropped to its default (None) and named in the ``repairs`` that ``decode_with_repairs``
  returns: advisory data never fails a job;
* bytes that are not a JSON object with a string ``msg``, or that the decoder cannot read at
  all (nesting deeper than the interpreter's recursion limit, invalid UTF-8, any other
  decoder failure) -> ``MalformedMessageError``, with the ``event_id`` when a bounded look
  at the head of the text can read it (``peek_header``).  Before giving up, the slow path
  also tries Python's ``json``, which reads numbers beyond float range (``1e999``) as
  infinity, as the official client does.

Counts (``rank``, ``queue_size``) are integers in [0, 2**31); times (``eta``, ``rank_eta``,
``queue_eta``, ``duration``) are numbers in [0, 1e9] s; progress numbers are in [0, 1e15].

The decoder is built once at import and reused: about 0.7 us per message.
"""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from typing import Annotated, Any, Final, Union

import msgspec

from .errors import MalformedMessageError


MAX_COUNT: Final = 2**31 - 1
MAX_SECONDS: Final = 1e9
MAX_AMOUNT: Final = 1e15

Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]
Seconds = Annotated[float, msgspec.Meta(ge=0, le=MAX_SECONDS)]
Amount = Annotated[float, msgspec.Meta(ge=0, le=MAX_AMOUNT)]
Steps = Union[Annotated[int, msgspec.Meta(ge=0, le=int(MAX_AMOUNT))], Amount]


class ServerMessage(msgspec.Struct, tag_field="msg", kw_only=True, frozen=True, gc=False):
    """Base of every known server message; ``event_id`` is null for session-wide ones."""

    event_id: str | None = None


class Estimation(ServerMessage, tag="estimation", frozen=True):
    rank: Count | None = None
    queue_size: Count | None = None
    rank_eta: Seconds | None = None
    queue_eta: Seconds | None = None


class SendHash(ServerMessage, tag="send_hash", frozen=True):
    """ws only: the server asks which function and session this socket is for."""


class SendData(ServerMessage, tag="send_data", frozen=True):
    """ws and sse v0: the event reached a worker; the client must send its data now."""


class QueueFull(ServerMessage, tag="queue_full", frozen=True):
    """ws and sse v0: the queue refused the event."""


class ProcessStarts(ServerMessage, tag="process_starts", frozen=True):
    eta: Seconds | None = None


@dataclasses.dataclass
class ProgressUnit:
    """One level of a ``gr.Progress`` bar (index of length, in unit).

    A dataclass like the official client's (same fields, same order).  ``index`` and
    ``length`` keep the type the server sent: ints for steps, floats for fractions.
    """

    index: Steps | None = None
    length: Steps | None = None
    unit: str | None = None
    progress: Amount | None = None
    desc: str | None = None

    @classmethod
    def from_msg(cls, data: list[dict[str, Any]]) -> list[ProgressUnit]:
        """Units from a ``progress`` message's ``progress_data`` list (official name)."""
        return [
            cls(d.get("index"), d.get("length"), d.get("unit"), d.get("progress"), d.get("desc"))
            for d in data
        ]


class Progress(ServerMessage, tag="progress", frozen=True):
    progress_data: list[ProgressUnit] | None = None


class Log(ServerMessage, tag="log", frozen=True):
    """``gr.Info`` / ``gr.Warning`` / ``gr.Success`` raised while the job runs."""

    log: str = ""
    level: str = "info"
    duration: Seconds | None = None
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
    duration: Seconds | None = None
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


_decoder: Final = msgspec.json.Decoder(KnownMessage)
_BY_TAG: Final[dict[str, type[Any]]] = {
    t.__struct_config__.tag: t
    for t in KnownMessage.__args__  # type: ignore[attr-defined]
}
KNOWN_TAGS: Final[frozenset[str]] = frozenset(_BY_TAG)


def decode_message(data: str | bytes) -> AnyMessage:
    """Decode one JSON server message (see the module rules); repairs are not reported."""
    return decode_with_repairs(data)[0]


_NO_REPAIRS: Final[tuple[str, ...]] = ()


def decode_with_repairs(data: str | bytes) -> tuple[AnyMessage, tuple[str, ...]]:
    """Decode one JSON server message; also name the advisory fields that were dropped
    (e.g. ``("$.rank: Expected `int`, got `float`",)``), empty when none was."""
    try:
        message: KnownMessage = _decoder.decode(data)
        return message, _NO_REPAIRS
    except Exception:  # noqa: BLE001 - every decoder failure takes the slow path
        # DecodeError, UnicodeDecodeError (invalid UTF-8 inside a tag), RecursionError
        # (nesting deeper than the stack allows), ...
        pass
    # Slow path, only for unknown or broken messages.
    try:
        raw = msgspec.json.decode(data)
    except Exception:  # noqa: BLE001 - RecursionError, invalid UTF-8, not JSON, ...
        raw = _stdlib_json(data)
    if raw is _UNREADABLE:
        error: BaseException = ValueError("unreadable")
        try:
            msgspec.json.decode(data)
        except Exception as exc:  # noqa: BLE001 - the reason, for the message
            error = exc
        tag, event_id = peek_header(data)
        if tag is None:
            text = "a message that is not a UTF-8 JSON object the decoder can read"
        else:
            text = f"a {tag!r} message that cannot be decoded"
        raise MalformedMessageError(
            f"The server sent {text} ({type(error).__name__}: {error}): {_preview(data)}",
            event_id,
        ) from None
    if not isinstance(raw, dict):
        raise MalformedMessageError(
            f"The server sent a message that is not a UTF-8 JSON object: {_preview(data)}"
        )
    tag = raw.get("msg")
    event_id = raw.get("event_id")
    event_id = event_id if isinstance(event_id, str) else None
    if not isinstance(tag, str):
        raise MalformedMessageError(
            f"The server sent a message without a string 'msg' field: {_preview(data)}",
            event_id,
        )
    cls = _BY_TAG.get(tag)
    if cls is None:
        text = data if isinstance(data, str) else data.decode("utf-8", "replace")
        return UnknownMessage(tag, event_id, text), _NO_REPAIRS
    repairs: list[str] = []
    try:
        message = _repair(cls, raw, "$", _ESSENTIAL.get(tag, _ROUTING), repairs)
    except _Essential as bad:
        raise MalformedMessageError(
            f"The server sent a malformed {tag!r} message ({bad}): {_preview(data)}",
            event_id,
        ) from None
    return message, tuple(repairs)


_HINTS: dict[type[Any], dict[str, Any]] = {}  # a cache of field types, filled on first use


_UNREADABLE: Final = object()


def _stdlib_json(data: str | bytes) -> Any:
    """The standard library's reading of what msgspec refused: it also takes numbers out of
    float range (``1e999`` is infinity, as the official client reads it)."""
    try:
        return json.loads(data)
    except Exception:  # noqa: BLE001 - RecursionError, invalid UTF-8, not JSON, ...
        return _UNREADABLE


class _Essential(Exception):
    """An essential field could not be read (internal to the slow path)."""


_ROUTING: Final = frozenset({"$.event_id"})
_RESULT: Final = frozenset({"$.event_id", "$.success", "$.output", "$.output.data", "$.output.error"})
RESULT_TAGS: Final = frozenset({"process_generating", "process_streaming", "process_completed"})
_ESSENTIAL: Final = {tag: _RESULT for tag in RESULT_TAGS}


def _repair(
    cls: type[Any], raw: dict[str, Any], path: str, essential: frozenset[str], repairs: list[str]
) -> Any:
    """Build ``cls`` from ``raw`` field by field; unreadable non-essential fields keep
    their default and are named in ``repairs``."""
    values: dict[str, Any] = {}
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls, include_extras=True)
    for name, kind in hints.items():
        if name not in raw:
            continue
        value = raw[name]
        where = f"{path}.{name}"
        try:
            values[name] = msgspec.convert(value, kind)
            continue
        except Exception as exc:  # noqa: BLE001 - ValidationError, RecursionError, ...
            problem = f"{where}: {exc}"
        if kind is Output and isinstance(value, dict):
            values[name] = _repair(Output, value, where, essential, repairs)
        elif where in essential:
            raise _Essential(problem)
        elif name == "progress_data" and isinstance(value, list):
            units = []
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    units.append(_repair(ProgressUnit, item, f"{where}[{i}]", essential, repairs))
                else:
                    repairs.append(f"{where}[{i}]: not an object")
            values[name] = units
        else:
            repairs.append(problem)
    return cls(**values)


_HEAD_FIELD: Final = re.compile(rb'\s*"(msg|event_id)"\s*:\s*(?:"([^"\\]{0,256})"|null)\s*[,}]')


def peek_header(data: str | bytes) -> tuple[str | None, str | None]:
    """The ``msg`` and ``event_id`` of a message the decoder cannot read, when they are its
    first top-level fields (Gradio writes them first); (None, None) when they are not."""
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else data
    head = raw[:1024].lstrip()
    if not head.startswith(b"{"):
        return None, None
    found: dict[bytes, str | None] = {}
    pos = 1
    for _ in range(2):
        match = _HEAD_FIELD.match(head, pos)
        if match is None or match.group(1) in found:
            break
        value = match.group(2)
        found[match.group(1)] = None if value is None else value.decode("utf-8", "replace")
        pos = match.end()
    return found.get(b"msg"), found.get(b"event_id")


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
    "RESULT_TAGS",
    "QueueFull",
    "SendData",
    "SendHash",
    "ServerMessage",
    "ServerStopped",
    "UnexpectedError",
    "UnknownMessage",
    "decode_message",
    "decode_with_repairs",
    "encode_json",
    "peek_header",
]
