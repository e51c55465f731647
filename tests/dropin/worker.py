"""Calls whichever ``gradio_client`` is importable, one JSON request per line.

Run as a script by a gradio env's python (where ``gradio_client`` is the OFFICIAL client), it
answers requests on stdin; imported by the tests, :func:`handle` answers the same requests with
this checkout's ``gradio_client``.  The differential tests compare the two answers.  Never run
it with this checkout on ``sys.path`` (the test starts it with ``cwd`` outside the checkout and
without ``PYTHONPATH``; ``sys.path[0]`` is then this folder, which holds no ``gradio_client``).

A request: ``{"module": "utils", "fn": "get_mimetype", "args": [...], "kwargs": {...}}``,
plus optionally ``"type_expr"`` (a type hint, evaluated in :data:`TYPE_NAMESPACE`, as the first
argument), ``"mode"``: ``"traverse"`` (``args = [value, predicate name]``), ``"decode_file"``
(the file a ``decode_base64_to_file`` call writes: name and content), ``"typeddict"`` (a
typed dict's key sets).  An answer: ``{"ok": repr(result)}`` or ``{"exc": class name, "msg":
str(exc)}``.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import json
import os
import sys
import tempfile
import typing
from pathlib import Path
from typing import Any, Literal, Optional, Union  # noqa: F401 - used by TYPE_NAMESPACE


class Color(enum.Enum):
    RED = "red"
    GREEN = 2


class TD(typing.TypedDict):
    a: int
    b: list[str]


class TDPartial(typing.TypedDict, total=False):
    x: float


@dataclasses.dataclass
class DC:
    a: int
    b: str = ""
    c: float = 1.5
    d: Optional[int] = None  # noqa: UP007


class Plain:
    x: int
    y: "list[Plain] | None"


TYPE_NAMESPACE: dict[str, Any] = {
    "typing": typing, "Any": Any, "Literal": Literal, "Optional": Optional, "Union": Union,
    "Color": Color, "TD": TD, "TDPartial": TDPartial, "DC": DC, "Plain": Plain,
}


class _FixedNames:
    """Stands in for tempfile's random name sequence, so file names compare across runs."""

    def __iter__(self) -> _FixedNames:
        return self

    def __next__(self) -> str:
        return "RANDOM00"


def handle(request: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"ok": repr(_call(request))}
    except BaseException as exc:  # noqa: BLE001 - the exception is the answer
        return {"exc": type(exc).__name__, "msg": str(exc)}


def _call(request: dict[str, Any]) -> Any:
    module = importlib.import_module("gradio_client." + request.get("module", "utils"))
    mode = request.get("mode")
    if mode == "where":
        return module.__file__
    if mode == "attr":
        value = getattr(module, request["fn"])
        return sorted(value) if isinstance(value, (set, frozenset)) else value
    if mode == "members":
        return [(m.name, m.value) for m in getattr(module, request["fn"])]
    if mode == "mro":
        return [c.__name__ for c in getattr(module, request["fn"]).__mro__]
    if mode == "typeddict":
        cls = getattr(module, request["fn"])
        return (sorted(cls.__required_keys__), sorted(cls.__optional_keys__),
                list(cls.__annotations__), cls.__total__)
    fn = getattr(module, request["fn"])
    args = list(request.get("args", []))
    kwargs = dict(request.get("kwargs", {}))
    if "type_expr" in request:
        args.insert(0, eval(request["type_expr"], dict(TYPE_NAMESPACE)))  # noqa: S307 - test input
    if mode == "traverse":
        value, predicate = args
        return fn(value, lambda x: ["FOUND", x], getattr(module, predicate))
    if mode == "decode_file":
        original = tempfile._get_candidate_names  # type: ignore[attr-defined]
        tempfile._get_candidate_names = _FixedNames  # type: ignore[attr-defined]
        try:
            handle_ = fn(*args, **kwargs)
        finally:
            tempfile._get_candidate_names = original  # type: ignore[attr-defined]
        handle_.close()
        path = Path(handle_.name)
        content = path.read_bytes()
        folder = path.parent
        path.unlink()
        folder.rmdir()
        return (path.name, content, len(folder.name), str(folder.parent))
    return fn(*args, **kwargs)


def main() -> None:
    for line in sys.stdin:
        if line.strip():
            sys.stdout.write(json.dumps(handle(json.loads(line))) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    main()
