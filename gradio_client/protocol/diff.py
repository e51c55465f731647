"""Apply Gradio's streaming diffs to decoded JSON values.

Theory of operation
-------------------
From protocol ``sse_v2`` on, a generator's first ``process_generating`` message carries
full output values; every later one carries, per output, a list of edit operations
against that output's previous full value (docs/wire.md, "Generator diffs").
An operation is a three-item array ``[action, path, value]``:

* ``path`` is a list of steps: ``str`` keys into objects, ``int`` indices into arrays.
  ``[]`` is the value itself.
* ``replace`` sets the value at ``path`` (at the root it *is* the new value).
* ``append`` concatenates: the server emits it when a new string starts with the old
  one (``current + value``).  We also accept list + list, as the official clients apply
  ``+`` generically; anything else is malformed.
* ``add`` inserts: a positional insert into an array (``0 <= index <= len``), or a key
  assignment in an object.
* ``delete`` removes an array index or an object key; its value is ``null`` and ignored.

Operations apply in order, each to the result of the previous one.

Faithfulness.  The server's diff (``gradio.utils.diff``) pre-adjusts the index of every
``delete`` in a list so that sequential application works, but it adjusts deletes inside
*nested* lists a second time at every enclosing list level.  ``[[1, 2, 3]] -> [[1]]`` is
sent as ``delete [0, 1]; delete [0, 0]``, which rebuilds ``[[3]]``; with more siblings an
index can reach ``-1``.  Both official clients apply such ops literally (Python ``del``,
JS ``splice``), and a negative index then counts from the end.  We do the same: an index
``i`` with ``-len <= i < len`` addresses an element exactly as Python does.  The final
``process_completed`` always carries full values, so only intermediate values are off,
and they are off in the same way for every client.

Purity.  :func:`apply_diff` never mutates its inputs (neither the value nor the ops).
It copies only the containers along each touched path (structural sharing), so applying
a one-token ``append`` to a long chat history costs a shallow copy of the history list
and of the few containers on the path, not a deep copy of everything.  Containers that
this call has already copied are remembered and edited in place by later ops of the same
call, so a batch of ops on the same region copies each container once.  Values taken
from the ops are inserted as they are (shared with the ops); a later op of the same
call that edits inside one copies it first.

Errors.  A malformed op (unknown action, a path that is not a list of str/int steps, a
key or index that does not exist, a step into something that is not an object/array of
the right kind) raises :class:`RemoteProtocolError` naming the op and its position.
"""

from __future__ import annotations

import reprlib
from typing import Any

from .errors import RemoteProtocolError

__all__ = ["apply_diff"]

_ACTIONS = frozenset({"replace", "append", "add", "delete"})
_REPR_LIMIT = 200
_REPR = reprlib.Repr()
_REPR.maxlevel = 4
_REPR.maxstring = 80
_REPR.maxother = 80


class _BadOp(Exception):
    """Internal: carries the reason an op is malformed, to be wrapped with the op."""


def apply_diff(value: Any, ops: list[Any]) -> Any:
    """Return ``value`` with the diff ``ops`` applied, without mutating either.

    ``ops`` is one output's list of ``[action, path, value]`` operations as decoded from
    JSON.  An empty list returns ``value`` itself (no change).  Raises
    :class:`RemoteProtocolError` if an operation is malformed or does not fit ``value``.
    """
    if not isinstance(ops, (list, tuple)):
        raise RemoteProtocolError(
            f"diff must be a list of [action, path, value] operations, "
            f"got {type(ops).__name__}: {_short(ops)}"
        )
    owned: dict[int, Any] = {}  # id -> container created by this call (safe to edit)
    for position, op in enumerate(ops):
        try:
            value = _apply_op(value, op, owned)
        except _BadOp as exc:
            raise RemoteProtocolError(
                f"invalid diff operation #{position} {_short(op)}: {exc}"
            ) from None
    return value


def _short(obj: Any) -> str:
    """A bounded repr for error messages (values may be huge or deeply nested)."""
    text = _REPR.repr(obj)
    if len(text) > _REPR_LIMIT:
        text = text[: _REPR_LIMIT - 3] + "..."
    return text


def _apply_op(value: Any, op: Any, owned: dict[int, Any]) -> Any:
    if not isinstance(op, (list, tuple)) or len(op) != 3:
        raise _BadOp("an operation must be a 3-item list [action, path, value]")
    action, path, arg = op
    if not isinstance(action, str) or action not in _ACTIONS:
        raise _BadOp(f"unknown action {_short(action)}")
    if not isinstance(path, (list, tuple)):
        raise _BadOp(f"path must be a list, got {type(path).__name__}")
    for step in path:
        if not _is_key(step) and not _is_index(step):
            raise _BadOp(f"path step {_short(step)} is neither a str key nor an int index")

    if not path:
        if action == "replace":
            return arg
        if action == "append":
            return _concat(value, arg, owned)
        raise _BadOp(f"{action!r} needs a non-empty path")

    root = _own(value, owned)
    parent = root
    for step in path[:-1]:
        child = _own(_get(parent, step), owned)
        _put(parent, step, child)
        parent = child
    last = path[-1]

    if action == "replace":
        if isinstance(parent, list):
            parent[_index(parent, last)] = arg
        else:
            parent[_key(parent, last, must_exist=False)] = arg
    elif action == "append":
        current = _get(parent, last)
        _put(parent, last, _concat(current, arg, owned))
    elif action == "add":
        if isinstance(parent, list):
            parent.insert(_insert_index(parent, last), arg)
        else:
            parent[_key(parent, last, must_exist=False)] = arg
    else:  # delete
        if isinstance(parent, list):
            del parent[_index(parent, last)]
        else:
            del parent[_key(parent, last, must_exist=True)]
    return root


def _is_key(step: Any) -> bool:
    return isinstance(step, str)


def _is_index(step: Any) -> bool:
    # JSON true/false decode to bool, which Python treats as int: never an index.
    return isinstance(step, int) and not isinstance(step, bool)


def _own(container: Any, owned: dict[int, Any]) -> Any:
    """Return a container this call may edit: ``container`` itself if we made it."""
    if id(container) in owned:
        return container
    if isinstance(container, list):
        copy: Any = list(container)
    elif isinstance(container, dict):
        copy = dict(container)
    else:
        raise _BadOp(f"cannot step into {_kind(container)}")
    owned[id(copy)] = copy
    return copy


def _kind(obj: Any) -> str:
    if obj is None:
        return "null"
    if isinstance(obj, dict):
        return "object"
    if isinstance(obj, list):
        return "array"
    return type(obj).__name__


def _index(container: list[Any], step: Any) -> int:
    if not _is_index(step):
        raise _BadOp(f"array step must be an int index, got {_short(step)}")
    size = len(container)
    if not -size <= step < size:
        raise _BadOp(f"index {step} out of range for an array of length {size}")
    return int(step) % size


def _insert_index(container: list[Any], step: Any) -> int:
    if not _is_index(step):
        raise _BadOp(f"array step must be an int index, got {_short(step)}")
    if not 0 <= step <= len(container):
        raise _BadOp(
            f"insert index {step} out of range for an array of length {len(container)}"
        )
    return int(step)


def _key(container: dict[str, Any], step: Any, *, must_exist: bool) -> str:
    if not _is_key(step):
        raise _BadOp(f"object step must be a str key, got {_short(step)}")
    if must_exist and step not in container:
        raise _BadOp(f"key {step!r} not found")
    return str(step)


def _get(container: list[Any] | dict[str, Any], step: Any) -> Any:
    if isinstance(container, list):
        return container[_index(container, step)]
    return container[_key(container, step, must_exist=True)]


def _put(container: list[Any] | dict[str, Any], step: Any, item: Any) -> None:
    # Only called after _get succeeded with the same step on the same container.
    if isinstance(container, list):
        container[_index(container, step)] = item
    else:
        container[step] = item


def _concat(current: Any, arg: Any, owned: dict[int, Any]) -> Any:
    if isinstance(current, str) and isinstance(arg, str):
        return current + arg
    if isinstance(current, list) and isinstance(arg, list):
        joined = current + arg
        owned[id(joined)] = joined
        return joined
    raise _BadOp(f"cannot append {_kind(arg)} to {_kind(current)}")
