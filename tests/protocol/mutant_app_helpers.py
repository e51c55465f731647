"""Shared helpers of test_mutants_app.py and test_mutants_app_calls.py."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import strategies as st

from gradio_client.protocol.app import AppConfig, parse_config
from gradio_client.protocol.app.tolerant import LOGGER

from .api_helpers import minimal_config

scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-2, 2) | st.text(max_size=3)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=2), inner, max_size=2),
    max_leaves=4,
)


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


def records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER.name]


def parsed_with_notices(parse: Callable[[Any], Any], raw: Any, caplog: pytest.LogCaptureFixture) -> tuple[Any, list[str]]:
    """The parsed value and the degraded fields its one notice names (ten at most, then
    ``and N more``)."""
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        value = parse(raw)
    logged = records(caplog)
    assert len(logged) <= 1
    if not logged:
        return value, []
    text = logged[0].getMessage()
    what = "Gradio config" if parse is parse_config else "Gradio API info"  # the document it names
    assert text.startswith(f"{what}: ")
    return value, text.split("(each took its default): ", 1)[1].split("; ")


def minimal(**overrides: Any) -> dict[str, Any]:
    return minimal_config(**overrides)


def config_of(*deps: dict[str, Any], components: list[dict[str, Any]] | None = None) -> AppConfig:
    """A minimal config with these dependencies (each one textbox in, one out by default)."""
    raw = minimal()
    if components is not None:
        raw["components"] = components
    raw["dependencies"] = [{"inputs": [1], "outputs": [2], **d} for d in deps]
    return parse_config(raw)
