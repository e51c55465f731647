"""Fuzz target for gradio_client.protocol.messages.decode_message.

Invariant: any bytes decode to a known message Struct or an UnknownMessage, or raise
MalformedMessageError (a RemoteProtocolError) with a message; a decoded known message
re-encodes to JSON that decodes to an equal message.

Run: python fuzz/fuzz_messages.py [libFuzzer flags] (atheris); pytest fuzz/fuzz_messages.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import gradio_client  # noqa: F401
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradio_client.protocol.errors import MalformedMessageError
from gradio_client.protocol.messages import KNOWN_TAGS, ServerMessage, UnknownMessage, decode_message

ALLOWED_EXCEPTIONS: tuple[type[BaseException], ...] = (MalformedMessageError,)
CORPUS = Path(__file__).resolve().parent / "corpus" / "messages"


def test_one_input(data: bytes) -> None:
    try:
        message = decode_message(data)
    except ALLOWED_EXCEPTIONS as exc:
        assert str(exc)
        return
    if isinstance(message, UnknownMessage):
        assert message.msg not in KNOWN_TAGS
        return
    assert isinstance(message, ServerMessage)
    again = decode_message(msgspec.json.encode(message))
    assert again == message


test_one_input.__test__ = False  # type: ignore[attr-defined]  # the target, not a test


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
messages = st.fixed_dictionaries(
    {"msg": st.sampled_from(sorted(KNOWN_TAGS) + ["new_kind", ""]) | st.text(max_size=5)},
    optional={
        "event_id": st.none() | st.text(max_size=8),
        "rank": json_values,
        "output": st.fixed_dictionaries({}, optional={"data": json_values, "error": json_values}),
        "success": json_values,
        "log": json_values,
        "progress_data": json_values,
    },
)


@given(messages)
@settings(max_examples=500, deadline=None)
def test_structured_messages(message: dict) -> None:
    test_one_input(msgspec.json.encode(message))


@given(st.binary(max_size=200))
@settings(max_examples=300, deadline=None)
def test_arbitrary_bytes(data: bytes) -> None:
    test_one_input(data)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*")), ids=lambda p: p.name)
def test_corpus(path: Path) -> None:
    test_one_input(path.read_bytes())


if __name__ == "__main__":  # pragma: no cover
    import atheris

    atheris.instrument_all()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
