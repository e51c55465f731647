"""What an app's API looks like to a person: ``view_api()``'s text and dict."""

from __future__ import annotations

import copy
from typing import Any

from .call import param_name, render_value
from .info import derived_name
from .model import ApiInfo, AppConfig, Endpoint, EndpointInfo, Return

__all__ = ["info_dict", "render_api"]


def render_api(config: AppConfig, info: ApiInfo, all_endpoints: bool | None = None) -> str:
    """The human-readable API description that ``view_api()`` prints.

    ``all_endpoints=None`` shows the public named endpoints, or the unnamed ones when
    there are no named ones; ``True`` shows everything ``info`` holds (unnamed and
    undocumented endpoints too); ``False`` shows the public named endpoints only.
    """
    by_name: dict[str, Endpoint] = {}  # of endpoints sharing a name, the public one
    for e in config.endpoints.values():
        if e.api_name is None:
            continue
        current = by_name.get(e.api_name)
        if current is None or (e.visibility == "public" and current.visibility != "public"):
            by_name[e.api_name] = e
    if info.public is None:
        named = [
            (name, entry)
            for name, entry in info.named.items()
            if all_endpoints or entry.visibility == "public"
        ]
    else:
        named = list(info.public.items())
        if all_endpoints:
            named += [(n, e) for n, e in info.named.items() if e.visibility != "public"]
    unnamed = list(info.unnamed.items())
    show_unnamed = all_endpoints or (all_endpoints is None and not named)

    lines = ["Client.predict() Usage Info", "---------------------------"]
    lines.append(f"Named API endpoints: {len(named)}")
    for name, entry in named:
        lines += _render_endpoint(f'api_name="{name}"', entry, by_name.get(name))
    if show_unnamed:
        lines += ["", f"Unnamed API endpoints: {len(unnamed)}"]
        for index, entry in unnamed:
            lines += _render_endpoint(f"fn_index={index}", entry, config.endpoints.get(index))
    elif unnamed:
        lines += [
            "",
            f"Unnamed API endpoints: {len(unnamed)}, to view, run "
            f"Client.view_api(all_endpoints=True)",
        ]
    return "\n".join(lines) + "\n"


def _render_endpoint(selector: str, entry: EndpointInfo, endpoint: Endpoint | None) -> list[str]:
    names = [param_name(p, i) for i, p in enumerate(entry.parameters)]
    returns = [_return_name(r, i) for i, r in enumerate(entry.returns)]
    result = ", ".join(returns) if len(returns) == 1 else "(" + ", ".join(returns) + ")"
    call = ", ".join([*names, selector])
    lines = ["", f" - predict({call}) -> {result}"]
    if entry.visibility == "undocumented":
        lines.append("    (undocumented: hidden from the app's API page, but callable)")
    if entry.description.strip():
        lines.append(f"    {_first_line(entry.description)}")
    if endpoint is not None and endpoint.is_generator:
        lines.append(
            "    Generator: submit() yields each intermediate output; "
            "predict() returns the last."
        )
    if entry.oauth_token:
        lines.append(  # the official client's wording
            f"    Acts on your behalf: this endpoint takes your Hugging Face token "
            f"({entry.oauth_token}). Pass it with Client(..., oauth_token=...) to grant it."
        )
    lines.append("    Parameters:")
    for name, p in zip(names, entry.parameters):
        python_type = p.python_type
        if p.has_default:
            if p.default is None:
                python_type += " | None"
            need = f"(not required, defaults to: {render_value(p.default)})"
        else:
            need = "(required)"
        lines.append(f"     - [{p.component or '?'}] {name}: {python_type} {need}{_note(p.description)}")
    if not entry.parameters:
        lines.append("     - None")
    lines.append("    Returns:")
    for name, r in zip(returns, entry.returns):
        lines.append(f"     - [{r.component or '?'}] {name}: {r.python_type}{_note(r.description)}")
    if not entry.returns:
        lines.append("     - None")
    return lines


def _first_line(text: str, limit: int = 200) -> str:
    """The first non-empty line of a (docstring-like) description, shortened."""
    line = next(line.strip() for line in text.splitlines() if line.strip())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _note(description: str) -> str:
    return f" ({_first_line(description)})" if description.strip() else ""


def _return_name(r: Return, position: int) -> str:
    return derived_name(r.label, position, set()) if r.label else f"value_{position}"


def info_dict(info: ApiInfo) -> dict[str, Any]:
    """``view_api(return_format="dict")``: what the official client returns.

    That is the public ``/info`` as the server sent it (``{"named_endpoints": {...},
    "unnamed_endpoints": {"3": {...}}}``, keys in the server's order), without the
    ``code_snippets``, ``api_visibility`` and ``show_api`` keys of each entry.  Undocumented
    endpoints are not in it (they are callable, and ``view_api(all_endpoints=True)`` prints
    them).  For an info derived from the config (no usable ``/info``), the same shape is
    built from the derived values.  The result is a fresh copy.
    """
    if info.document is not None:
        return copy.deepcopy(info.document)
    return {
        "named_endpoints": {
            name: _entry_dict(e) for name, e in info.named.items() if e.visibility == "public"
        },
        "unnamed_endpoints": {
            str(i): _entry_dict(e) for i, e in info.unnamed.items() if e.visibility == "public"
        },
    }


def _entry_dict(entry: EndpointInfo) -> dict[str, Any]:
    out: dict[str, Any] = {
        "parameters": [
            {
                "label": p.label,
                "parameter_name": p.name,
                "parameter_has_default": p.has_default,
                "parameter_default": copy.deepcopy(p.default),
                "type": copy.deepcopy(p.type),
                "python_type": {"type": p.python_type, "description": p.description},
                "component": p.component,
                "example_input": copy.deepcopy(p.example_input),
            }
            for p in entry.parameters
        ],
        "returns": [
            {
                "label": r.label,
                "type": copy.deepcopy(r.type),
                "python_type": {"type": r.python_type, "description": r.description},
                "component": r.component,
            }
            for r in entry.returns
        ],
    }
    if entry.oauth_token is not None:
        out["oauth_token"] = entry.oauth_token
    out["description"] = entry.description
    return out
