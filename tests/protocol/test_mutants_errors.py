"""errors.py tests written for mutants that survived the pure tests (docs/mutation.md).

The error classes carry information besides their text: the job's ``event_id``, the HTTP
``status_code`` and ``body``, the cap's ``option``/``limit``/``size``, ``retry_after``, the
Space and its stage, the validators' ``errors``.  The shells and the user read those
attributes, so each constructor must keep every value it is given (and the message as
``str(error)`` and ``args``).  ``AppError`` keeps the official client's constructor: gradio's
``gr.Error`` subclasses it (``gradio_client.exceptions``) and reads ``message``,
``duration``, ``visible``, ``title`` and ``print_exception``.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradio_client.protocol import errors as E

texts = st.text(max_size=20)
maybe_text = st.none() | texts
maybe_int = st.none() | st.integers(0, 10**9)
maybe_number = st.none() | st.integers(0, 10**6) | st.floats(0, 1e6)
error_lists = st.none() | st.lists(st.dictionaries(st.sampled_from(["loc", "msg", "type"]), texts), max_size=3)


def _same_message(error: BaseException, message: str) -> None:
    assert str(error) == message
    assert error.args == (message,)


@given(texts, maybe_text)
def test_errors_with_an_event_id_keep_the_message_and_the_id(message: str, event_id: str | None) -> None:
    for cls in (E.MalformedMessageError, E.ReplicaMismatchError, E.UploadNotFoundError):
        error = cls(message, event_id)
        _same_message(error, message)
        assert error.event_id == event_id
        assert cls(message).event_id is None


@given(texts, maybe_int)
def test_a_config_error_keeps_the_message_and_the_status(message: str, status: int | None) -> None:
    error = E.ConfigError(message, status)
    _same_message(error, message)
    assert error.status_code == status
    assert E.ConfigError(message).status_code is None


@given(texts, maybe_number, st.booleans(), texts, st.booleans())
def test_an_app_error_keeps_every_field(
    message: str, duration: float | None, visible: bool, title: str, print_exception: bool
) -> None:
    error = E.AppError(message, duration, visible, title, print_exception)
    _same_message(error, message)
    assert (error.message, error.duration, error.visible, error.title, error.print_exception) == (
        message, duration, visible, title, print_exception,
    )


def test_an_app_error_has_the_official_defaults() -> None:
    # gradio_client.exceptions.AppError of gradio 4.44, 5.x and 6.x: the same signature
    error = E.AppError()
    _same_message(error, "Error raised.")
    assert (error.message, error.duration, error.visible, error.title, error.print_exception) == (
        "Error raised.", 10, True, "Error", True,
    )
    only_text = E.AppError("boom")
    assert (only_text.duration, only_text.visible, only_text.title, only_text.print_exception) == (
        10, True, "Error", True,
    )


@given(texts, maybe_text)
def test_an_upload_not_found_error_is_an_app_error_titled_for_the_upload(message: str, event_id: str | None) -> None:
    error = E.UploadNotFoundError(message, event_id)
    assert isinstance(error, E.AppError) and isinstance(error, E.ReplicaMismatchError)
    assert error.message == message
    assert "upload" in error.title.lower()  # not the generic "Error": says what failed
    assert (error.duration, error.visible, error.print_exception) == (10, True, True)


@given(texts, error_lists)
def test_a_validation_error_keeps_the_validators_errors(message: str, errors: list[dict[str, Any]] | None) -> None:
    error = E.ValidationError(message, errors)
    _same_message(error, message)
    assert error.errors == (errors or [])
    assert isinstance(error.errors, list)


def test_a_validation_error_without_errors_has_an_empty_list_of_its_own() -> None:
    a, b = E.ValidationError("a"), E.ValidationError("b")
    assert a.errors == [] and b.errors == []
    a.errors.append({"msg": "x"})
    assert b.errors == []


@given(texts, maybe_number)
def test_too_many_requests_keeps_retry_after(message: str, retry_after: float | None) -> None:
    error = E.TooManyRequestsError(message, retry_after)
    _same_message(error, message)
    assert error.retry_after == retry_after
    assert E.TooManyRequestsError(message).retry_after is None


@given(texts, maybe_text, maybe_text)
def test_a_space_error_keeps_the_space_and_its_stage(message: str, space_id: str | None, stage: str | None) -> None:
    error = E.SpaceError(message, space_id, stage)
    _same_message(error, message)
    assert (error.space_id, error.stage) == (space_id, stage)
    bare = E.SpaceError(message)
    assert (bare.space_id, bare.stage) == (None, None)


@given(texts, st.integers(100, 599), st.binary(max_size=20))
def test_an_http_status_error_keeps_the_status_and_the_body(message: str, status: int, body: bytes) -> None:
    error = E.HTTPStatusError(message, status, body)
    _same_message(error, message)
    assert (error.status_code, error.body) == (status, body)
    assert E.HTTPStatusError(message, status).body == b""  # no body: empty, not a placeholder


@given(texts, texts, maybe_int, maybe_int)
def test_a_response_too_large_error_names_the_option_the_limit_and_the_size(
    message: str, option: str, limit: int | None, size: int | None
) -> None:
    error = E.ResponseTooLargeError(message, option, limit, size)
    _same_message(error, message)
    assert (error.option, error.limit, error.size) == (option, limit, size)
    bare = E.ResponseTooLargeError(message)
    assert (bare.option, bare.limit, bare.size) == ("", None, None)


@pytest.mark.parametrize("cls", [getattr(E, name) for name in E.__all__])
def test_every_error_takes_its_message_first(cls: type[BaseException]) -> None:
    error = cls("the message", 1) if cls is E.HTTPStatusError else cls("the message")
    assert str(error) == "the message"
    assert isinstance(error, E.GradioClientError)
