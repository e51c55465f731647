"""Names code written for the official client imports from its modules."""

from __future__ import annotations

import gradio_client
from gradio_client import errors


def test_official_module_names_resolve_to_ours() -> None:
    from gradio_client.exceptions import AppError, AuthenticationError, ValidationError
    from gradio_client.utils import (
        InvalidAPIEndpointError,
        OutputUpdate,
        ProgressUnit,
        QueueError,
        Status,
        StatusUpdate,
        TooManyRequestsError,
        apply_diff,
    )

    assert (AppError, AuthenticationError, ValidationError) == (
        errors.AppError, errors.AuthenticationError, errors.ValidationError)
    assert InvalidAPIEndpointError is errors.EndpointNotFoundError
    assert (Status, StatusUpdate, OutputUpdate, ProgressUnit) == (
        gradio_client.Status, gradio_client.StatusUpdate, gradio_client.OutputUpdate,
        gradio_client.ProgressUnit)
    assert (QueueError, TooManyRequestsError) == (errors.QueueError, errors.TooManyRequestsError)
    value = ["a"]
    assert apply_diff(value, [["append", [0], "b"]]) == ["ab"] and value == ["a"]
