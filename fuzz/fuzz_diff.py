"""Fuzz target for gradio_client.protocol.diff.apply_diff.

Invariant: on any value and any ops, apply_diff either returns a result or raises
RemoteProtocolError; it never mutates the value or the ops; and whenever the official
client's naive in-place application also succeeds, both give the same result (ours is
only ever stricter).

Input layout: if the bytes are a JSON array ``[value, ops]`` they are used as such.
Otherwise the bytes drive a tiny builder (``build``): the first half makes a nested
value, the rest makes a list of ops whose actions, paths (in-range, out-of-range,
negative, wrong-typed steps) and arguments come from the bytes.

Run it three ways (see fuzz/README.md):
    python fuzz/fuzz_diff.py [libFuzzer flags]    # atheris, if installed
    pytest fuzz/fuzz_diff.py                      # hypothesis + corpus replay
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

try:
    import gradio_client  # noqa: F401
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradio_client.protocol.diff import apply_diff
from gradio_client.protocol.errors import RemoteProtocolError

# The only exception apply_diff may raise, on any input.
ALLOWED_EXCEPTIONS: tuple[type[BaseException], ...] = (RemoteProtocolError,)
CORPUS = Path(__file__).resolve().parent / "corpus" / "diff"
ACTIONS = ["replace", "append", "add", "delete"] * 3 + ["bogus"]


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def next(self) -> int:
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]


def _value(src: _Bytes, depth: int = 0) -> Any:
    kind = src.next() % (8 if depth < 4 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return src.next() % 2 == 0
    if kind == 2:
        return src.next() - 128
    if kind == 3:
        return src.next() / 7
    if kind == 4:
        return "ab"[: src.next() % 3]
    if kind == 5:
        return {"k": _value(src, depth + 1), "x": _value(src, depth + 1)}
    return [_value(src, depth + 1) for _ in range(src.next() % 4)]


def _step(src: _Bytes) -> Any:
    kind = src.next() % 16
    if kind <= 7:
        return src.next() % 3  # small index, in or out of range
    if kind == 8:
        return -(src.next() % 4)
    if kind <= 14:
        return "kx"[src.next() % 2]
    return [True, 1.5, None, "zz"][src.next() % 4]


def build(data: bytes) -> tuple[Any, Any]:
    """Decode fuzz bytes into (value, ops)."""
    try:
        doc = msgspec.json.decode(data)
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        # msgspec raises RecursionError for deep nesting and UnicodeDecodeError for bad
        # UTF-8 inside strings, besides DecodeError
        doc = None
    if isinstance(doc, list) and len(doc) == 2:
        return doc[0], doc[1]
    half = len(data) // 2
    value = _value(_Bytes(data[:half]))
    src = _Bytes(data[half:])
    ops: list[Any] = []
    for _ in range(src.next() % 4):
        action = ACTIONS[src.next() % len(ACTIONS)]
        path = [_step(src) for _ in range(src.next() % 4)]
        shape = src.next() % 16
        if shape == 0:
            ops.append([action, path])  # wrong arity
        elif shape == 1:
            ops.append([action, tuple(path) if path else "bad-path", None])
        else:
            ops.append([action, path, _value(src, 2)])
    return value, ops


def naive_apply(value: Any, ops: Any) -> Any:
    """The official client's semantics: deep copy, then Python in-place edits."""
    value = copy.deepcopy(value)
    for action, path, arg in ops:
        if not path:
            if action == "replace":
                value = arg
            elif action == "append":
                value = value + arg
            else:
                raise ValueError(action)
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
                target.insert(int(last), arg)
            else:
                target[last] = arg
        elif action == "delete":
            if isinstance(target, list):
                del target[int(last)]
            else:
                del target[last]
        else:
            raise ValueError(action)
    return value


def _snapshot(obj: Any) -> Any:
    try:
        return copy.deepcopy(obj)
    except RecursionError:
        return None  # too deep to snapshot cheaply; mutation is checked on the rest


def test_one_input(data: bytes) -> None:
    value, ops = build(data)
    value_before, ops_before = _snapshot(value), _snapshot(ops)
    try:
        result = apply_diff(value, ops)
    except ALLOWED_EXCEPTIONS:
        failed = True
    else:
        failed = False
    if value_before is not None:
        assert value == value_before
    if ops_before is not None:
        assert ops == ops_before
    try:
        expected = naive_apply(value_before if value_before is not None else value, ops)
    except Exception:  # noqa: BLE001 - the naive client fails in many ways; we only compare successes
        return
    if not failed:
        assert result == expected


test_one_input.__test__ = False  # type: ignore[attr-defined]  # not a pytest test itself


# ------------------------------------------------------------------ pytest entry points


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_fuzz_diff_hypothesis(data: bytes) -> None:
    test_one_input(data)


CORPUS_FILES = sorted(p for p in CORPUS.iterdir() if p.is_file()) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS_FILES, reason=f"no seed files in {CORPUS}")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.name for p in CORPUS_FILES])
def test_fuzz_diff_corpus(path: Path) -> None:
    test_one_input(path.read_bytes())


def test_builder_reaches_both_outcomes() -> None:
    """The byte builder must produce applicable ops as well as malformed ones."""
    outcomes = set()
    for seed in range(512):
        data = bytes((seed * k + 17) % 256 for k in range(1, 3 + seed % 40))
        value, ops = build(data)
        try:
            apply_diff(value, ops)
            outcomes.add("ok")
        except RemoteProtocolError:
            outcomes.add("error")
    assert outcomes == {"ok", "error"}


def main() -> None:
    import importlib

    atheris: Any = importlib.import_module("atheris")  # optional: pip install atheris

    atheris.instrument_all()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
