"""app/*.py tests written for mutants that survived the app-model tests (docs/mutation.md).

They state, as properties where they can, what the modules promise: the tolerant readers
of ``tolerant.py`` (a field of the wrong type takes its default, recorded with its JSON
path, what was expected and what came; one notice per document), what ``/config`` and
``/info`` become, how a call's arguments and results are bound, and what ``view_api`` shows.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradio_client.protocol.app.tolerant import LOGGER, Notices, decode_document
from gradio_client.protocol.errors import RemoteProtocolError

# ============================================================ tolerant.py: readers

scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-2, 2) | st.text(max_size=3)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=2), inner, max_size=2), max_leaves=4)


def kind(value: Any) -> str:
    """JSON's name for the kind of ``value``, as the notices say it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "str"
    return "array" if isinstance(value, list) else "object"


READERS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    # reader: (the name the notice gives the expected type, does the value fit)
    "str_": ("str", lambda v: isinstance(v, str)),
    "bool_": ("bool", lambda v: isinstance(v, bool)),
    "int_": ("int", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "number": ("number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)),
    "dict_": ("object", lambda v: isinstance(v, dict)),
    "list_": ("array", lambda v: isinstance(v, list)),
}


@pytest.mark.parametrize("reader", sorted(READERS))
@given(value=json_values, present=st.booleans())
def test_a_reader_takes_a_fitting_value_and_records_any_other(reader: str, value: Any, present: bool) -> None:
    expected, fits = READERS[reader]
    notices = Notices("Doc")
    obj = {"k": value} if present else {"other": value}
    takes_default = reader not in ("dict_", "list_")
    got = getattr(notices, reader)(obj, "k", "$.x", "DEFAULT") if takes_default else getattr(notices, reader)(obj, "k", "$.x")
    default = "DEFAULT" if takes_default else None
    if not present or value is None:  # absent or null: the default, silently
        assert got == default and notices.fields == []
    elif fits(value):
        assert got is value and notices.fields == []
    else:
        assert got == default
        assert notices.fields == [f"$.x.k (expected {expected}, got {kind(value)})"]


def test_readers_default_to_none() -> None:
    notices = Notices("Doc")
    for reader in ("str_", "bool_", "int_", "number"):
        assert getattr(notices, reader)({}, "k", "$") is None
        assert getattr(notices, reader)({"k": []}, "k", "$") is None
    assert len(notices.fields) == 4


@given(st.lists(st.integers(-3, 3), max_size=4), st.integers(0, 4), json_values)
def test_ints_records_the_first_item_that_is_not_an_int(values: list[int], at: int, intruder: Any) -> None:
    notices = Notices("Doc")
    assert notices.ints({"ids": values}, "ids", "$.d") == values and notices.fields == []
    if isinstance(intruder, int) and not isinstance(intruder, bool):
        return
    at = min(at, len(values))
    spoiled = [*values[:at], intruder, *values[at:], "second bad item"]
    assert notices.ints({"ids": spoiled}, "ids", "$.d") is None
    assert notices.fields == [f"$.d.ids[{at}] (expected int, got {kind(intruder)})"]


def test_ints_of_no_list() -> None:
    notices = Notices("Doc")
    assert notices.ints({}, "ids", "$") is None and notices.fields == []
    assert notices.ints({"ids": 3}, "ids", "$") is None
    assert notices.fields == ["$.ids (expected array, got number)"]


# ============================================================ tolerant.py: the notice


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER.name]


@pytest.mark.parametrize("count", [0, 1, 9, 10, 11, 25])
def test_one_warning_names_ten_degraded_fields_and_counts_the_rest(caplog: pytest.LogCaptureFixture, count: int) -> None:
    notices = Notices("Gradio thing")
    for i in range(count):
        notices.bad(f"$.f{i}", "str", i)
    with caplog.at_level(logging.DEBUG, logger=LOGGER.name):
        notices.log()
    records = _records(caplog)
    if count == 0:
        assert records == []
        return
    (record,) = records
    assert record.levelno == logging.WARNING
    text = record.getMessage()
    assert text.startswith(f"Gradio thing: {count} field(s) of an unexpected type were ignored")
    shown = [f"$.f{i} (expected str, got number)" for i in range(min(count, 10))]
    tail = "; ".join(shown) + (f"; and {count - 10} more" if count > 10 else "")
    assert text.endswith(": " + tail)
    assert f"$.f{min(count, 10)} (" not in text  # the 11th is counted, not named


# ====================================================== tolerant.py: decode_document


@pytest.mark.parametrize(
    ("raw", "kind_"),
    [(b"null", "null"), (b"true", "bool"), (b"1.5", "number"), (b"3", "number"), (b'"s"', "str"), (b"[]", "array")],
)
def test_a_document_that_is_not_an_object_names_what_it_is(raw: bytes, kind_: str) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        decode_document(raw, "Doc")
    assert str(info.value) == f"Invalid Doc: expected a JSON object, got {kind_}"


@given(st.text(alphabet="abc{}", min_size=1, max_size=100).filter(lambda s: s.strip("{}") and s[0] != "{"))
def test_text_that_is_not_json_is_quoted_from_its_first_64_bytes(text: str) -> None:
    raw = text.encode()
    for form in (raw, text, bytearray(raw), memoryview(raw)):
        with pytest.raises(RemoteProtocolError) as info:
            decode_document(form, "Doc")
        message = str(info.value)
        assert message.startswith("Invalid Doc: the response is not valid JSON (")
        assert message.endswith(f"; it starts with {raw[:64]!r})")


@pytest.mark.parametrize("raw", [b"  <html>", "\n\t<!doctype html>", memoryview(b"<p>")])
def test_an_html_page_is_named(raw: Any) -> None:
    with pytest.raises(RemoteProtocolError, match=r"^Invalid Doc: the response looks like an HTML page"):
        decode_document(raw, "Doc")


@pytest.mark.parametrize("raw", [b"", "", b" \n ", " "])
def test_an_empty_response_is_named(raw: Any) -> None:
    with pytest.raises(RemoteProtocolError, match=r"^Invalid Doc: the response is empty$"):
        decode_document(raw, "Doc")


def test_a_mapping_is_read_as_its_json() -> None:
    doc = {"a": [1, {"b": None}], "c": "d"}
    assert decode_document(doc, "Doc") == doc
    assert decode_document(json.dumps(doc), "Doc") == doc
    with pytest.raises(RemoteProtocolError, match=r"^Invalid Doc: not JSON data \("):
        decode_document({"a": object()}, "Doc")
    with pytest.raises(RemoteProtocolError, match=r"^Invalid Doc: expected JSON text, got list$"):
        decode_document([1], "Doc")
