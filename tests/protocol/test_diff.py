"""Tests for gradio_client.protocol.diff.apply_diff (docs/wire.md, "Generator diffs")."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradio_client.protocol.diff import apply_diff
from gradio_client.protocol.errors import RemoteProtocolError

DATA = Path(__file__).resolve().parent.parent / "data" / "configs"
DIFF_CASES = json.loads((DATA / "diffs.json").read_text())["cases"]


# ---------------------------------------------------------------- reference models


def reference_diff(old: Any, new: Any, *, server_quirk: bool) -> list[list[Any]]:
    """Our own model of the ops a Gradio server computes between two JSON values.

    replace on a type change or any other non-container change, append when the new
    string extends the old one, and recursion into lists (element-wise, then deletes or
    adds) and dicts (per key, then adds).  Deletes are index-adjusted so that they apply
    in order.  ``server_quirk=True`` reproduces the server's bug of adjusting every
    delete of the subtree, nested ones included, at each enclosing list level;
    ``False`` adjusts only a list's own deletes (the correct algorithm).
    """

    def walk(a: Any, b: Any, path: list[Any]) -> list[list[Any]]:
        if a == b:
            return []
        if type(a) is not type(b):
            return [["replace", path, b]]
        if isinstance(a, str) and b.startswith(a):
            return [["append", path, b[len(a) :]]]
        if isinstance(a, list):
            edits: list[list[Any]] = []
            common = min(len(a), len(b))
            for i in range(common):
                edits += walk(a[i], b[i], [*path, i])
            own_deletes = [["delete", [*path, i], None] for i in range(common, len(a))]
            edits += own_deletes
            edits += [["add", [*path, i], b[i]] for i in range(common, len(b))]
            seen = 0
            for edit in edits:
                last = edit[1][-1] if edit[1] else None
                is_own = any(edit is d for d in own_deletes)
                if edit[0] == "delete" and isinstance(last, int) and (server_quirk or is_own):
                    edit[1] = [*edit[1][:-1], last - seen]
                    seen += 1
            return edits
        if isinstance(a, dict):
            edits = []
            for key in a:
                if key in b:
                    edits += walk(a[key], b[key], [*path, key])
                else:
                    edits.append(["delete", [*path, key], None])
            edits += [["add", [*path, key], b[key]] for key in b if key not in a]
            return edits
        return [["replace", path, b]]

    return walk(old, new, [])


def naive_apply(value: Any, ops: list[Any]) -> Any:
    """What the official Python client does: deep copy, then edit in place."""
    value = copy.deepcopy(value)
    for action, path, arg in ops:
        if not path:
            value = arg if action == "replace" else value + arg
            continue
        target = value
        for step in path[:-1]:
            target = target[step]
        last = path[-1]
        if action == "replace":
            target[last] = arg
        elif action == "append":
            target[last] += arg
        elif action == "add":
            if isinstance(target, list):
                target.insert(last, arg)
            else:
                target[last] = arg
        else:
            del target[last]
    return value


# ------------------------------------------------------------------ JSON strategies

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=4)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=2), children, max_size=4),
    max_leaves=16,
)


@st.composite
def edited(draw: st.DrawFn, value: Any, depth: int = 0) -> Any:
    """A value derived from ``value`` by typical streaming edits (or a fresh value)."""
    choice = draw(st.integers(0, 9))
    if choice == 0 or depth > 4:
        return draw(json_values)
    if choice <= 2:
        return value
    if isinstance(value, str):
        return value + draw(st.text(max_size=4))
    if isinstance(value, list):
        items = [draw(edited(v, depth + 1)) for v in value]
        cut = draw(st.integers(0, len(items)))
        return items[:cut] + draw(st.lists(json_values, max_size=3))
    if isinstance(value, dict):
        out = {k: draw(edited(v, depth + 1)) for k, v in value.items() if draw(st.booleans())}
        out.update(draw(st.dictionaries(st.text(max_size=2), json_values, max_size=2)))
        return out
    return draw(json_values)


pairs = json_values.flatmap(lambda a: st.tuples(st.just(a), edited(a)))


# ----------------------------------------------------------- the real server's ops


@pytest.mark.parametrize("case", DIFF_CASES, ids=[c["name"] for c in DIFF_CASES])
def test_server_ops_rebuild_what_the_official_client_rebuilds(case: dict[str, Any]) -> None:
    old, ops = case["old"], case["ops"]
    old_before, ops_before = copy.deepcopy(old), copy.deepcopy(ops)
    result = apply_diff(old, ops)
    assert result == case["client_result"]
    if case["server_correct"]:
        assert result == case["new"]
    assert old == old_before and ops == ops_before


@pytest.mark.parametrize("case", DIFF_CASES, ids=[c["name"] for c in DIFF_CASES])
def test_reference_model_matches_the_real_server(case: dict[str, Any]) -> None:
    assert reference_diff(case["old"], case["new"], server_quirk=True) == case["ops"]


def test_fixture_contains_the_nested_delete_quirk() -> None:
    quirky = {c["name"]: c for c in DIFF_CASES if not c["server_correct"]}
    assert quirky["nested shrink single"]["client_result"] == [[3]]
    assert apply_diff([[1, 2, 3]], [["delete", [0, 1], None], ["delete", [0, 0], None]]) == [[3]]
    # the third delete's index reaches -1: it removes the last element, like Python del
    ops = quirky["nested shrink to minus one"]["ops"]
    assert ops[-1] == ["delete", [2, -1], None]
    assert apply_diff([[1, 2], [3, 4], [5, 6]], ops) == [[1], [4], [5]]


def _sse_outputs(path: Path) -> tuple[list[Any], list[Any]]:
    """(data of each process_generating, data of process_completed) from a transcript."""
    generating, completed = [], []
    for line in path.read_text().splitlines():
        if line.startswith("data: "):
            msg = json.loads(line[6:])
            if msg["msg"] == "process_generating":
                generating.append(msg["output"]["data"])
            elif msg["msg"] == "process_completed":
                completed = msg["output"]["data"]
    return generating, completed


@pytest.mark.parametrize("name", ["stream_chat.sse", "stream_count.sse"])
def test_recorded_generator_stream_rebuilds_the_final_value(name: str) -> None:
    generating, completed = _sse_outputs(DATA / "gradio-6.31.0" / name)
    assert len(generating) >= 3
    values = generating[0]  # first message: full values
    for data in generating[1:]:
        assert all(isinstance(ops, list) for ops in data)
        values = [apply_diff(v, ops) for v, ops in zip(values, data)]
    assert values == completed


def test_recorded_chatbot_ops_are_the_documented_ones() -> None:
    generating, _ = _sse_outputs(DATA / "gradio-6.31.0" / "stream_chat.sse")
    assert generating[1] == [[["append", [1, "content", 0, "text"], "lo"]]]
    assert generating[-1] == [[["delete", [1], None]]]


# ---------------------------------------------------------------- each action


def test_root_replace_and_append() -> None:
    assert apply_diff("tok0 ", [["append", [], "tok1 "]]) == "tok0 tok1 "
    assert apply_diff({"a": 1}, [["replace", [], [1, 2]]]) == [1, 2]
    assert apply_diff([1], [["append", [], [2, 3]]]) == [1, 2, 3]
    assert apply_diff("x", []) == "x"


def test_replace_nested_and_new_key() -> None:
    value = {"a": [1, {"b": 2}], "c": "keep"}
    assert apply_diff(value, [["replace", ["a", 1, "b"], 3]]) == {"a": [1, {"b": 3}], "c": "keep"}
    # replace on a missing key sets it, as Python's and JS's item assignment do
    assert apply_diff(value, [["replace", ["d"], None]])["d"] is None
    assert apply_diff([1, 2], [["replace", [-1], 9]]) == [1, 9]


def test_add_inserts_into_lists_and_sets_dict_keys() -> None:
    assert apply_diff([1, 3], [["add", [1], 2]]) == [1, 2, 3]
    assert apply_diff([1], [["add", [1], 2]]) == [1, 2]
    assert apply_diff([], [["add", [0], "x"]]) == ["x"]
    assert apply_diff({"a": 1}, [["add", ["b"], 2]]) == {"a": 1, "b": 2}


def test_delete_list_index_and_dict_key() -> None:
    assert apply_diff([1, 2, 3, 4], [["delete", [1], None]] * 3) == [1]
    assert apply_diff({"a": 1, "b": 2}, [["delete", ["a"], None]]) == {"b": 2}


def test_append_nested_list() -> None:
    assert apply_diff({"x": [1]}, [["append", ["x"], [2]]]) == {"x": [1, 2]}


def test_ops_apply_in_order() -> None:
    ops = [["add", [0], "a"], ["append", [0], "b"], ["replace", [1], "z"], ["delete", [0], None]]
    assert apply_diff(["x", "y"], ops) == ["z", "y"]


# ------------------------------------------------------------- purity and sharing


def test_never_mutates_the_value_or_the_ops() -> None:
    value = {"h": [{"content": [{"text": "Hel"}]}], "n": [1, 2]}
    ops = [
        ["append", ["h", 0, "content", 0, "text"], "lo"],
        ["add", ["h", 1], {"content": [{"text": ""}]}],
        ["append", ["h", 1, "content", 0, "text"], "new"],  # edits inside an op's value
        ["delete", ["n", 0], None],
    ]
    value_before, ops_before = copy.deepcopy(value), copy.deepcopy(ops)
    result = apply_diff(value, ops)
    assert result == {
        "h": [{"content": [{"text": "Hello"}]}, {"content": [{"text": "new"}]}],
        "n": [2],
    }
    assert value == value_before
    assert ops == ops_before


def test_untouched_subtrees_are_shared_not_copied() -> None:
    history = [{"role": "user", "content": [{"text": f"m{i}"}]} for i in range(2000)]
    history.append({"role": "assistant", "content": [{"text": ""}]})
    value = history
    for token in range(50):
        value = apply_diff(value, [["append", [2000, "content", 0, "text"], f"t{token} "]])
    assert value[2000]["content"][0]["text"].startswith("t0 t1 ")
    assert all(value[i] is history[i] for i in range(2000))
    assert history[2000]["content"][0]["text"] == ""


def test_a_container_is_copied_once_per_call() -> None:
    inner = [0]
    value = {"a": inner, "b": [5]}
    result = apply_diff(value, [["add", ["a", 1], 1], ["add", ["a", 2], 2], ["replace", ["a", 0], 9]])
    assert result["a"] == [9, 1, 2] and inner == [0]
    assert result["b"] is value["b"]


# -------------------------------------------------------------------- errors

BAD_OPS = [
    ("not-a-list", [1], "3-item list"),
    (["replace", []], [1], "3-item list"),
    (["frobnicate", [], 1], [1], "unknown action 'frobnicate'"),
    ([None, [], 1], [1], "unknown action None"),
    (["replace", "a", 1], {"a": 1}, "path must be a list"),
    (["replace", [1.5], 1], [1, 2], "neither a str key nor an int index"),
    (["replace", [True], 1], [1, 2], "neither a str key nor an int index"),
    (["replace", [None], 1], [1, 2], "neither a str key nor an int index"),
    (["replace", [2], 1], [1, 2], "index 2 out of range for an array of length 2"),
    (["replace", [-3], 1], [1, 2], "index -3 out of range"),
    (["delete", [5], None], [1], "index 5 out of range"),
    (["append", [1], "x"], ["a"], "index 1 out of range"),
    (["add", [3], 1], [1, 2], "insert index 3 out of range"),
    (["add", [-1], 1], [1, 2], "insert index -1 out of range"),
    (["add", ["k"], 1], [1, 2], "array step must be an int index"),
    (["replace", ["k"], 1], [1, 2], "array step must be an int index"),
    (["delete", [0], None], {"0": 1}, "object step must be a str key"),
    (["add", [0], None], {"0": 1}, "object step must be a str key"),
    (["replace", [0], None], {"0": 1}, "object step must be a str key"),
    (["delete", ["zz"], None], {"a": 1}, "key 'zz' not found"),
    (["append", ["zz"], "x"], {"a": "b"}, "key 'zz' not found"),
    (["replace", ["a", "b"], 1], {"a": "text"}, "cannot step into str"),
    (["replace", [0], 1], "text", "cannot step into str"),
    (["replace", ["x", 0], 1], {"x": None}, "cannot step into null"),
    (["append", [0], 1], [1], "cannot append int to int"),
    (["append", [], {"a": 1}], "s", "cannot append object to str"),
    (["append", [], "s"], [1], "cannot append str to array"),
    (["add", [], 1], [1], "'add' needs a non-empty path"),
    (["delete", [], None], [1], "'delete' needs a non-empty path"),
]


@pytest.mark.parametrize(("op", "value", "reason"), BAD_OPS, ids=[r for _, _, r in BAD_OPS])
def test_malformed_op_raises_naming_the_op(op: Any, value: Any, reason: str) -> None:
    before = copy.deepcopy(value)
    with pytest.raises(RemoteProtocolError) as info:
        apply_diff(value, [["replace", [], value], op])
    message = str(info.value)
    assert "invalid diff operation #1" in message
    assert reason in message
    assert repr(op)[:20] in message
    assert value == before


@pytest.mark.parametrize("ops", [None, "ops", {"replace": []}, 3])
def test_ops_must_be_a_list(ops: Any) -> None:
    with pytest.raises(RemoteProtocolError, match="diff must be a list"):
        apply_diff("x", ops)


def test_huge_op_is_shortened_in_the_message() -> None:
    deep: Any = []
    for _ in range(2000):
        deep = [deep]
    with pytest.raises(RemoteProtocolError) as info:
        apply_diff([1], [["bogus", [0], deep], ["x" * 10_000]])
    assert len(str(info.value)) < 400


def test_long_repr_is_cut_at_the_limit() -> None:
    with pytest.raises(RemoteProtocolError) as info:
        apply_diff([1], [["b" * 500, ["p" * 500], "v" * 500]])
    shown = str(info.value).split("invalid diff operation #0 ", 1)[1].split(": unknown action")[0]
    assert len(shown) == 200 and shown.endswith("...")


def test_tuples_are_accepted_as_ops_and_paths() -> None:
    assert apply_diff({"a": [1]}, (("add", ("a", 1), 2),)) == {"a": [1, 2]}


# ------------------------------------------------------------------ properties


@settings(max_examples=400, deadline=None)
@given(pairs)
def test_property_correct_diff_round_trips(pair: tuple[Any, Any]) -> None:
    a, b = pair
    a_before = copy.deepcopy(a)
    ops = reference_diff(a, b, server_quirk=False)
    ops_before = copy.deepcopy(ops)
    assert apply_diff(a, ops) == b
    assert a == a_before and ops == ops_before


@settings(max_examples=400, deadline=None)
@given(pairs)
def test_property_server_ops_mean_what_the_official_client_applies(pair: tuple[Any, Any]) -> None:
    a, b = pair
    ops = reference_diff(a, b, server_quirk=True)
    a_before = copy.deepcopy(a)
    if ops == reference_diff(a, b, server_quirk=False):
        # no nested list shrinking: the server's algorithm is right
        assert apply_diff(a, ops) == b
    try:
        expected = naive_apply(a, ops)
    except (IndexError, KeyError, TypeError):
        with pytest.raises(RemoteProtocolError):
            apply_diff(a, ops)
    else:
        assert apply_diff(a, ops) == expected
    assert a == a_before


nested_lists = st.lists(st.lists(st.integers(0, 9), min_size=1, max_size=5), min_size=1, max_size=5)


@settings(max_examples=300, deadline=None)
@given(nested_lists, st.data())
def test_property_nested_shrink_quirk_is_reproduced(old: list[list[int]], data: st.DataObject) -> None:
    new = [row[: data.draw(st.integers(0, len(row)))] for row in old]
    ops = reference_diff(old, new, server_quirk=True)
    try:
        expected = naive_apply(old, ops)
    except IndexError:
        with pytest.raises(RemoteProtocolError, match="out of range"):
            apply_diff(old, ops)
    else:
        assert apply_diff(old, ops) == expected
