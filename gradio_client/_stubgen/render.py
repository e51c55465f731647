"""The text of a generated stub module (see :mod:`gradio_client.stubs` for its shape)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..protocol.app import AppConfig, Endpoint, is_file_reference
from .names import method_names, parameter_names
from .types import T, annotation, union

__all__ = ["render_module", "stub_endpoints"]

#: Output components whose schema describes the input side only: a gr.Dataset output
#: returns its update dict (samples), not the index its schema names.
_UPDATE_OUTPUTS = frozenset({"dataset"})
_MAX_DEFAULT = 300  # longer defaults are not written out (the DEFAULT sentinel stands in)


def stub_endpoints(config: AppConfig, include_undocumented: bool) -> list[Endpoint]:
    """The endpoints a stub covers, in order: named, callable, public (and undocumented ones
    when asked); of two with one api_name the one the client resolves."""
    seen: set[str] = set()
    out = []
    for e in config.endpoints.values():
        if e.api_name is None or e.api_name in seen or not e.backend_fn or not e.is_valid:
            continue
        if e.visibility == "undocumented" and not include_undocumented:
            continue
        resolved = config.endpoint(api_name=e.api_name)
        seen.add(e.api_name)
        out.append(resolved)
    return out


@dataclass
class _Param:
    name: str  # the method's parameter name
    wire_name: str | None  # the app's parameter_name (for passing by keyword)
    ann: T
    default: str | None  # source text, None: required
    doc: str


@dataclass
class _Method:
    name: str
    endpoint: Endpoint
    params: list[_Param] | None  # None: no parameter information (*args)
    returns: T
    doc: list[str] = field(default_factory=list)


def _clean(text: str) -> str:
    """Text safe inside a triple-quoted docstring, on one line."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(text))
    text = " ".join(text.split())
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _literal(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is plain JSON data that ``repr`` writes as a Python literal."""
    if depth > 8:
        return False
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_literal(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return not is_file_reference(value, "sse_v3") and all(
            isinstance(k, str) and _literal(v, depth + 1) for k, v in value.items())
    return False


def _method(name: str, e: Endpoint) -> _Method:
    returns = [T("any") if (r.component or "").lower() in _UPDATE_OUTPUTS
               else annotation(r.type, inputs=False) for r in e.returns or ()]
    if e.returns is None:
        ret = T("any")
    elif len(returns) == 1:
        ret = returns[0]
    else:
        ret = T("tuple", tuple(returns))
    if e.parameters is None:
        return _Method(name, e, None, ret)
    raw = [p.name or p.label or f"param_{i}" for i, p in enumerate(e.parameters)]
    params = []
    for p, pname in zip(e.parameters, parameter_names(raw)):
        ann = annotation(p.type, inputs=True)
        default = None
        desc = f"{p.component or 'component'}"
        if p.label:
            desc += f" {p.label!r}"
        if p.description:
            desc += f": {p.description}"
        if p.has_default:
            text = repr(p.default)
            if p.default is None:
                ann = ann.optional()
            if (_literal(p.default) and not isinstance(p.default, (list, dict))
                    and ann.accepts(p.default) and len(text) <= _MAX_DEFAULT):
                default = text
            else:  # a file, a long value, or a list/dict (mutable: not a literal default)
                ann = union([ann, T("Default")])
                default = "DEFAULT"
                desc += f" (default: {text[:80]}{'...' if len(text) > 80 else ''})"
        params.append(_Param(pname, p.name, ann, default, desc))
    # a required parameter after one with a default: make the earlier ones keyword-passable
    # by keeping Python's order rule (no default after a default) with DEFAULT
    seen_default = False
    for prm in params:
        if prm.default is not None:
            seen_default = True
        elif seen_default:
            break
    else:
        return _Method(name, e, params, ret)
    # defaults before a required parameter: drop those defaults (the app's order wins)
    last_required = max(i for i, prm in enumerate(params) if prm.default is None)
    for prm in params[:last_required]:
        if prm.default == "DEFAULT":  # the docstring already shows it
            members = prm.ann.args if prm.ann.kind == "union" else (prm.ann,)
            prm.ann = union([a for a in members if a.kind != "Default"])
            prm.default = None
        elif prm.default is not None:
            prm.doc += f" (app default: {prm.default})"
            prm.default = None
    return _Method(name, e, params, ret)


def _returns_doc(e: Endpoint) -> list[str]:
    lines = []
    for r in e.returns or ():
        text = r.component or "value"
        if r.label:
            text += f" {r.label!r}"
        if r.description:
            text += f": {r.description}"
        lines.append(text)
    return lines


def _docstring(m: _Method, indent: str, submit: bool) -> list[str]:
    e = m.endpoint
    head = f"Submit ``{e.api_name}`` and return its job" if submit else f"Call ``{e.api_name}``"
    head += " (a generator: outputs stream)." if e.is_generator else "."
    lines = [f'{indent}"""{_clean(head)}']
    if e.description:
        lines += ["", indent + _clean(e.description)]
    if m.params:
        lines += ["", indent + "Args:"]
        lines += [f"{indent}    {p.name}: {_clean(p.doc)}" for p in m.params]
    returned = _returns_doc(e)
    if returned:
        lines += ["", indent + ("Result:" if submit else "Returns:")]
        lines += [f"{indent}    {_clean(r)}" for r in returned]
    lines.append(indent + '"""')
    return lines


def _signature(m: _Method) -> str:
    if m.params is None:
        return "self, *args: Any"
    parts = ["self"]
    for p in m.params:
        text = f"{p.name}: {p.ann.text()}"
        if p.default is not None:
            text += f" = {p.default}"
        parts.append(text)
    return ", ".join(parts)


def _call_args(m: _Method) -> str:
    if m.params is None:
        return f"{m.endpoint.api_name!r}, None, args"
    names = "(" + "".join(f"{p.wire_name!r}, " for p in m.params) + ")"
    values = "(" + "".join(f"{p.name}, " for p in m.params) + ")"
    return f"{m.endpoint.api_name!r}, {names}, {values}"


def _class(methods: list[_Method], asynchronous: bool, header: dict[str, Any]) -> list[str]:
    name, base = ("AsyncApi", "AsyncApiBase") if asynchronous else ("Api", "ApiBase")
    job = "AsyncTypedJob" if asynchronous else "TypedJob"
    client = "gradio_client.AsyncClient" if asynchronous else "gradio_client.Client"
    lines = [
        f"class {name}({base}):",
        f'    """The API of {_clean(header["source"])} through a ``{client}``.',
        "",
        "    Generated by ``gradio-client stubs``: one method per endpoint, and",
        f"    ``submit_<name>`` returning a ``{job}`` of the same result type.",
        '    """',
        "",
    ]
    for key in ("SOURCE", "GRADIO_VERSION", "API_HASH"):
        lines.append(f"    {key}: ClassVar[str] = {header[key.lower()]!r}")
    lines.append(f"    INCLUDE_UNDOCUMENTED: ClassVar[bool] = {header['include_undocumented']!r}")
    lines.append("    ENDPOINT_HASHES: ClassVar[dict[str, str]] = {")
    lines += [f"        {k!r}: {v!r}," for k, v in header["endpoint_hashes"].items()]
    lines.append("    }")
    aw, df = ("await ", "async def") if asynchronous else ("", "def")
    for m in methods:
        ret = m.returns.text()
        lines += ["", f"    {df} {m.name}({_signature(m)}) -> {ret}:"]
        lines += _docstring(m, "        ", submit=False)
        lines.append(f"        return cast({ret!r}, {aw}self._predict({_call_args(m)}))")
        lines += ["", f"    {df} submit_{m.name}({_signature(m)}) -> {job}[{ret}]:"]
        lines += _docstring(m, "        ", submit=True)
        lines.append(f"        return {job}({aw}self._submit({_call_args(m)}))")
    return lines


def _isort_key(name: str) -> tuple[int, str]:
    """isort's order-by-type: CONSTANTS, then Classes, then the rest."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[0].isupper() else 2
    return kind, name


def _import_lines(module: str, names: list[str]) -> list[str]:
    """``from module import names`` as isort writes it (wrapped past 88 characters)."""
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= 88:
        return [line]
    return [f"from {module} import (", *(f"    {n}," for n in names), ")"]


def render_module(config: AppConfig, header: dict[str, Any]) -> str:
    """The module for ``config``.  ``header``: source, gradio_version, api_hash,
    endpoint_hashes, include_undocumented (see :func:`gradio_client.stubs.generate`)."""
    endpoints = stub_endpoints(config, header["include_undocumented"])
    names = method_names(e.api_name or "" for e in endpoints)
    methods = [_method(names[e.api_name or ""], e) for e in endpoints]
    used: set[str] = {"ClassVar", "cast"}
    needs_default = False
    for m in methods:
        used |= m.returns.names()
        if m.params is None:
            used.add("Any")
        for p in m.params or ():
            used |= p.ann.names()
            needs_default = needs_default or p.default == "DEFAULT"
    if not methods:
        used.discard("cast")
    typing_names = sorted(n for n in used if n in ("Any", "ClassVar", "Literal", "cast"))
    ours = ["ApiBase", "AsyncApiBase"] + (["AsyncTypedJob", "TypedJob"] if methods else [])
    if "FileInput" in used:
        ours.append("FileInput")
    if needs_default:
        ours.append("DEFAULT")
    if "Default" in used:  # (absent where the annotation is Any)
        ours.append("Default")
    count = len(methods)
    lines = [
        f'"""Typed API of the Gradio app at {_clean(header["source"])}.',
        "",
        "Generated by ``gradio-client stubs``; do not edit (generate it again instead).",
        "",
        f"Source: {_clean(header['source'])}",
        f"Gradio version: {_clean(header['gradio_version'] or 'unknown')}",
        f"API hash: {header['api_hash']}",
        f"Endpoints: {count}",
        "",
        "``Api(src_or_client)`` (a URL, a Space id or a ``gradio_client.Client``) and",
        "``AsyncApi`` (an ``AsyncClient``) warn with ``StubMismatchWarning`` when the live",
        "app's API no longer has this hash.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        *_import_lines("typing", typing_names),
        "",
        *_import_lines("gradio_client.stubs", sorted(ours, key=_isort_key)),
        "",
        '__all__ = ["Api", "AsyncApi"]',
        "",
        "",
    ]
    lines += _class(methods, False, header)
    lines += ["", ""]
    lines += _class(methods, True, header)
    return "\n".join(lines) + "\n"
