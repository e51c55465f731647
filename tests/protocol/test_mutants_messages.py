"""messages.py tests written for mutants that survived the machine tests and the messages
fuzz target (docs/mutation.md).  The fuzz target checks that any input decodes or raises
MalformedMessageError; these check what the slow path (repairs) decodes to.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from gradio_client.protocol.errors import MalformedMessageError
from gradio_client.protocol.messages import (
    Estimation,
    Output,
    ProcessCompleted,
    Progress,
    ProgressUnit,
    UnknownMessage,
    decode_with_repairs,
    peek_header,
)


def paths(repairs: tuple[str, ...]) -> list[str]:
    """The field path each repair names (the text after it is msgspec's)."""
    return [r.split(":", 1)[0] for r in repairs]


def test_progress_unit_from_msg_keeps_every_field() -> None:
    units = [{"index": 1, "length": 10, "unit": "steps", "progress": 0.5, "desc": "d"}, {}]
    assert ProgressUnit.from_msg(units) == [ProgressUnit(1, 10, "steps", 0.5, "d"), ProgressUnit()]


def test_bad_progress_units_are_repaired_one_by_one() -> None:
    data = (
        b'{"msg":"progress","event_id":"e","progress_data":['
        b'{"index":"x","length":10,"unit":"steps","progress":0.5,"desc":"d"},3,'
        b'{"index":2,"length":-1}]}'
    )
    message, repairs = decode_with_repairs(data)
    assert message == Progress(
        event_id="e",
        progress_data=[ProgressUnit(None, 10, "steps", 0.5, "d"), ProgressUnit(2, None)],
    )
    assert paths(repairs) == ["$.progress_data[0].index", "$.progress_data[1]", "$.progress_data[2].length"]
    assert repairs[1] == "$.progress_data[1]: not an object"


@pytest.mark.parametrize(
    ("data", "expected", "repaired"),
    [
        # a field after an absent one (no event_id) is still read
        (b'{"msg":"estimation","rank":-1,"queue_size":3}', Estimation(queue_size=3), ["$.rank"]),
        (b'{"msg":"estimation","rank":{"a":1},"queue_size":3}', Estimation(queue_size=3), ["$.rank"]),
        (b'{"msg":"estimation","rank":[1],"queue_size":3}', Estimation(queue_size=3), ["$.rank"]),
        # numbers out of float range are read (as infinity, by the standard library) then repaired
        (b'{"msg":"estimation","event_id":"e","rank":1,"rank_eta":1e999}', Estimation(event_id="e", rank=1), ["$.rank_eta"]),
        (
            b'{"msg":"process_completed","event_id":"e","success":true,"output":{"data":[1],"duration":-5}}',
            ProcessCompleted(event_id="e", output=Output(data=[1])),
            ["$.output.duration"],
        ),
    ],
)
def test_an_unreadable_advisory_field_is_dropped_and_named(data: bytes, expected: Any, repaired: list[str]) -> None:
    message, repairs = decode_with_repairs(data)
    assert message == expected
    assert paths(repairs) == repaired


def test_an_unreadable_essential_field_is_malformed() -> None:
    with pytest.raises(MalformedMessageError, match=r"malformed 'process_completed' message \(\$\.output\.data"):
        decode_with_repairs(b'{"msg":"process_completed","event_id":"e","output":{"data":7}}')


@pytest.mark.parametrize(
    ("data", "header"),
    [
        (b'{"msg":"process_completed","event_id":"abc","output":{"data":[', ("process_completed", "abc")),
        (b' \n {"event_id":"e", "msg" : "log",', ("log", "e")),  # either order, spaces
        (b'{"event_id":null,"msg":"x"}', ("x", None)),
        (b'{"msg":"a","msg":"b",', ("a", None)),  # the first one counts
        (b'{"output":1,"msg":"a",', (None, None)),  # only leading fields are read
        (b'["msg","a"]', (None, None)),
        (b'{"msg":"a"', (None, None)),  # no end of the field yet
        ('{"msg":"é\ud800","event_id":"e",', ("é?", "e")),  # text that is not valid UTF-8
    ],
)
def test_peek_header_reads_the_leading_msg_and_event_id(data: str | bytes, header: tuple[Any, Any]) -> None:
    assert peek_header(data) == header


def test_peek_header_looks_at_the_first_1024_bytes_only() -> None:
    field = b'{"msg":"x",'
    assert peek_header(b" " * (1024 - len(field)) + field) == ("x", None)
    assert peek_header(b" " * (1025 - len(field)) + field) == (None, None)


@pytest.mark.parametrize(("size", "shown"), [(200, "x" * 200), (201, "x" * 200 + "...")])
def test_a_malformed_message_is_previewed_up_to_200_characters(size: int, shown: str) -> None:
    with pytest.raises(MalformedMessageError) as info:
        decode_with_repairs(b"x" * size)
    assert str(info.value).endswith(": " + repr(shown))
    assert "(DecodeError: " in str(info.value)  # msgspec's reason


def test_an_unreadable_message_names_its_tag_the_reason_and_keeps_its_event_id() -> None:
    with pytest.raises(MalformedMessageError) as info:
        decode_with_repairs(b'{"msg":"process_completed","event_id":"abc","output":{"data":[1,}')
    assert info.value.event_id == "abc"
    assert "a 'process_completed' message that cannot be decoded (DecodeError: " in str(info.value)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"[1, 2]", "not a UTF-8 JSON object: '[1, 2]'"),
        (b'{"event_id":"e"}', "without a string 'msg' field"),
    ],
)
def test_json_that_is_not_a_message_is_named(data: bytes, text: str) -> None:
    with pytest.raises(MalformedMessageError, match=re.escape(text)):
        decode_with_repairs(data)


def test_an_event_id_that_is_not_text_is_dropped() -> None:
    message, _ = decode_with_repairs(b'{"msg":"not-yet-known","event_id":5}')
    assert message == UnknownMessage("not-yet-known", None, '{"msg":"not-yet-known","event_id":5}')


def test_an_unknown_message_keeps_its_tag_event_id_and_text() -> None:
    data = '{"msg":"not-yet-known","event_id":"e","x":[1]}'
    assert decode_with_repairs(data) == (UnknownMessage("not-yet-known", "e", data), ())
