"""apply_diff tests written for mutants of protocol/diff.py that survived the other tests.

docs/mutation.md lists every surviving mutant: the ones these tests kill, and why the rest
cannot be killed.
"""

from __future__ import annotations

from typing import Any

import pytest

from gradio_client.protocol.diff import apply_diff
from gradio_client.protocol.errors import RemoteProtocolError


def shown_op(op: Any) -> str:
    """How the error message of a malformed (unknown-action) op shows the op."""
    with pytest.raises(RemoteProtocolError) as info:
        apply_diff([1], [op])
    return str(info.value).split("invalid diff operation #0 ", 1)[1].split(": unknown action")[0]


def test_an_op_whose_repr_is_exactly_the_limit_is_shown_whole() -> None:
    op = ["a" * 70, ["p" * 70], "v" * 46]
    assert len(repr(op)) == 200
    assert shown_op(op) == repr(op)
    longer = ["a" * 70, ["p" * 70], "v" * 47]
    assert shown_op(longer) == repr(longer)[:197] + "..."


@pytest.mark.parametrize(
    ("value", "op", "named"),
    [
        ([1, 2], ["add", ["k"], 0], "got 'k'"),
        ([1, 2], ["add", ["zz"], 0], "got 'zz'"),
        ([1, 2], ["replace", ["k"], 0], "got 'k'"),
        ([[1]], ["delete", ["k", 0], None], "got 'k'"),
        ({"0": 1}, ["replace", [7], 0], "got 7"),
        ({"0": 1}, ["delete", [0], None], "got 0"),
    ],
)
def test_a_step_of_the_wrong_kind_is_named(value: Any, op: Any, named: str) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        apply_diff(value, [op])
    assert str(info.value).endswith(named)


@pytest.mark.parametrize(
    ("op", "named"),
    [
        (["replace", "a", 1], "path must be a list, got str"),
        (["replace", {"a": 1}, 1], "path must be a list, got dict"),
        (["replace", ["a", 1.5], 1], "path step 1.5 is neither"),
        (["replace", [None], 1], "path step None is neither"),
        (["replace", [["a"]], 1], "path step ['a'] is neither"),
    ],
)
def test_a_malformed_path_is_named(op: Any, named: str) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        apply_diff({"a": [1, 2]}, [op])
    assert named in str(info.value)


def test_stepping_into_null_after_a_list_append_is_a_protocol_error() -> None:
    """An append of lists in the same diff must not make null look like a container
    this call may edit."""
    value = {"a": [0], "x": None}
    ops = [["append", ["a"], [1]], ["replace", ["x", "k"], 1]]
    with pytest.raises(RemoteProtocolError, match="cannot step into null"):
        apply_diff(value, ops)
    assert value == {"a": [0], "x": None}


def test_a_list_appended_then_edited_in_one_diff() -> None:
    value = {"a": [[0]]}
    ops = [["append", ["a"], [[1]]], ["append", ["a", 1], [2]], ["add", ["a", 0, 0], -1]]
    assert apply_diff(value, ops) == {"a": [[-1, 0], [1, 2]]}
    assert value == {"a": [[0]]}
    assert ops[0] == ["append", ["a"], [[1]]]


@pytest.mark.parametrize(
    ("ops", "named"),
    [("ops", "got str: 'ops'"), ({"replace": []}, "got dict: {'replace': []}"), (None, "got NoneType: None")],
)
def test_a_diff_that_is_not_a_list_is_named(ops: Any, named: str) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        apply_diff("x", ops)
    assert str(info.value).endswith(named)
