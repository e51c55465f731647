"""A call: arguments to the wire ``data`` list, and the wire result to the user's value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ArgumentError, RemoteProtocolError
from .files import is_file_reference
from .info import derived_name
from .model import Endpoint, Parameter

__all__ = ["KeywordsNotSupportedError", "build_data", "outputs_value", "param_name", "render_value", "signature"]

_MISSING: Any = object()
# The official client's wording (a ValueError there), kept as the first sentence.
_NO_KEYWORDS = "This endpoint does not support key-word arguments."


class KeywordsNotSupportedError(ArgumentError, ValueError):
    """Keyword arguments for an endpoint that takes positional ones only.  A ValueError as
    in the official client, and an :class:`ArgumentError` (a TypeError) as for any other
    argument this client rejects."""
_RENDER_DEPTH = 8  # defaults nested deeper than this render as "..."


def build_data(endpoint: Endpoint, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> list[Any]:
    """Turn a call's ``*args, **kwargs`` into the wire ``data`` list.

    With parameter information (from ``/info``): positional arguments fill the first
    parameters, keyword arguments fill parameters by name, missing ones take their
    default; an unknown or duplicated keyword, a missing required argument, or more
    positional arguments than parameters raise :class:`ArgumentError` (a ``TypeError``;
    the official client silently accepts extra positional arguments).  Unnamed
    endpoints take positional arguments only.  Without parameter information, exactly
    one positional argument per API input is required.

    Then ``None`` is inserted at each skipped input position (state and other skipped
    components), giving one value per input component.  Default values in the result
    are the parameters' own objects, not copies: treat the list as read-only.
    """
    params = endpoint.parameters
    if params is None:
        if kwargs:
            raise KeywordsNotSupportedError(
                f"{_NO_KEYWORDS} Endpoint {endpoint.display_name} has no parameter "
                f"information, so it takes positional arguments only (got keyword arguments: "
                f"{', '.join(map(str, kwargs))})."
            )
        if len(args) != endpoint.num_api_inputs:
            raise ArgumentError(
                f"Endpoint {endpoint.display_name} takes {endpoint.num_api_inputs} "
                f"positional argument(s) but {len(args)} were given."
            )
        values = list(args)
    else:
        values = _bind(endpoint, params, args, kwargs)
    if len(values) != endpoint.num_api_inputs:
        raise RemoteProtocolError(
            f"/info lists {len(values)} parameter(s) for {endpoint.display_name} but the "
            f"config gives it {endpoint.num_api_inputs} API input(s)."
        )
    skipped = set(endpoint.skipped_inputs)
    supplied = iter(values)
    return [None if i in skipped else next(supplied) for i in range(len(endpoint.inputs))]


def _bind(
    endpoint: Endpoint,
    params: tuple[Parameter, ...],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
) -> list[Any]:
    where = f"Endpoint {endpoint.display_name}"
    if len(args) > len(params):
        raise ArgumentError(
            f"{where} takes {len(params)} argument(s) but {len(args)} positional "
            f"argument(s) were given: {signature(params)}."
        )
    if kwargs and endpoint.api_name is None:
        raise KeywordsNotSupportedError(
            f"{_NO_KEYWORDS} {where} is unnamed, so it takes positional arguments only "
            f"(got keyword arguments: {', '.join(map(str, kwargs))})."
        )
    slots = list(args) + [_MISSING] * (len(params) - len(args))
    index = {p.name: i for i, p in enumerate(params) if p.name is not None}
    for key, value in kwargs.items():
        if key not in index:
            raise ArgumentError(
                f"Parameter `{key}` is not a valid key-word argument. {where} got an "
                f"unexpected keyword argument {key!r}: {signature(params)}."
            )
        i = index[key]
        if i < len(args):
            raise ArgumentError(
                f"Parameter `{key}` is already set as a positional argument. {where} got "
                f"multiple values for argument {key!r} (positional and keyword)."
            )
        slots[i] = value
    missing = []
    for i, p in enumerate(params):
        if slots[i] is _MISSING:
            if p.has_default:
                slots[i] = p.default  # shared with the Parameter: never mutate data
            else:
                missing.append(param_name(p, i))
    if missing:
        raise ArgumentError(
            f"No value provided for required argument: {missing[0]}. {where} is missing "
            f"required argument(s): {', '.join(missing)}: {signature(params)}."
        )
    return slots


def param_name(p: Parameter, position: int) -> str:
    if p.name:
        return p.name
    if p.label:
        return derived_name(p.label, position, set())
    return f"param_{position}"


def signature(params: tuple[Parameter, ...]) -> str:
    parts = []
    for i, p in enumerate(params):
        name = param_name(p, i)
        parts.append(f"{name}={render_value(p.default)}" if p.has_default else name)
    return "(" + ", ".join(parts) + ")"


def outputs_value(endpoint: Endpoint, data: Any) -> Any:
    """The user-facing result of a wire ``data`` list.

    Values of skipped outputs (state, layout) are removed.  Exactly one left: that bare
    value.  Otherwise a tuple (``()`` when every output was skipped).  Raises
    :class:`RemoteProtocolError` when ``data`` is not a list with one value per output.
    """
    if not isinstance(data, (list, tuple)):
        raise RemoteProtocolError(
            f"output.data for {endpoint.display_name} must be a list, got {type(data).__name__}"
        )
    if len(data) != len(endpoint.outputs):
        raise RemoteProtocolError(
            f"output.data for {endpoint.display_name} has {len(data)} value(s) but the "
            f"endpoint has {len(endpoint.outputs)} output(s)"
        )
    kept = [v for v, skip in zip(data, endpoint.skipped_outputs) if not skip]
    if len(kept) == 1:
        return kept[0]
    return tuple(kept)


def render_value(value: Any, depth: int = 0) -> str:
    """A Python-looking rendering of a JSON default; file references as handle_file()."""
    if isinstance(value, (dict, list)) and depth >= _RENDER_DEPTH:
        return "..."
    if isinstance(value, dict):
        if is_file_reference(value, "sse_v3"):
            target = value.get("url") or value.get("path")
            return f"handle_file({target!r})"
        items = (f"{k!r}: {render_value(v, depth + 1)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(render_value(v, depth + 1) for v in value) + "]"
    return repr(value)
