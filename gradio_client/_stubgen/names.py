"""Identifiers for generated code: method names from api names, parameter names.

Rules (:func:`identifier`): drop the leading ``/`` and leading underscores (a ChatInterface's
``/_respond`` becomes the public method ``respond``); every character outside
``[A-Za-z0-9_]`` becomes ``_``, runs of ``_`` collapse to one; a name starting with a digit
gets the prefix ``api_``; an empty name is ``endpoint``.  A keyword, soft keyword or reserved
name gets a trailing ``_`` (``/lambda`` is ``lambda_``); a name already taken gets ``_2``,
``_3``, ... (:func:`method_names` also keeps every ``submit_<name>`` free).  The result is
always an ASCII identifier that is not a keyword.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable

__all__ = ["RESERVED_METHODS", "RESERVED_PARAMS", "identifier", "method_names", "parameter_names"]

#: Names a method of a generated class cannot take: what the classes define, and the names
#: the generated annotations use (a method named ``str`` would hide the type ``str`` from
#: the annotations of the class body).
RESERVED_METHODS = frozenset({
    "client", "close", "aclose", "connect", "check_api", "SOURCE", "GRADIO_VERSION",
    "API_HASH", "ENDPOINT_HASHES", "INCLUDE_UNDOCUMENTED",
    "str", "int", "float", "bool", "list", "dict", "tuple", "object", "type",
    "Any", "Literal", "ClassVar", "FileInput", "TypedJob", "AsyncTypedJob", "cast",
})
#: Names a parameter cannot take: ``self`` and the module names the method bodies use.
RESERVED_PARAMS = frozenset({"self", "cast", "DEFAULT", "TypedJob", "AsyncTypedJob"})


def identifier(name: str) -> str:
    """``name`` made an ASCII identifier (not yet checked against keywords or clashes)."""
    text = re.sub(r"[^A-Za-z0-9_]", "_", name.lstrip("/"))
    text = re.sub(r"_+", "_", text).lstrip("_")
    if not text:
        return "endpoint"
    if text[0].isdigit():
        return "api_" + text
    return text


def _free(base: str, taken: set[str], reserved: Iterable[str], extra: str = "") -> str:
    """``base``, or the first of ``base_``, ``base_2``, ... such that it (and ``extra`` + it)
    is not taken, not reserved and not a keyword."""
    reserved = set(reserved)

    def ok(name: str) -> bool:
        names = [name, extra + name] if extra else [name]
        return all(
            n not in taken and n not in reserved and not keyword.iskeyword(n)
            and not keyword.issoftkeyword(n)
            for n in names
        )

    if keyword.iskeyword(base) or keyword.issoftkeyword(base) or base in reserved:
        base += "_"
    if ok(base):
        return base
    n = 2
    while not ok(f"{base}_{n}"):
        n += 1
    return f"{base}_{n}"


def method_names(api_names: Iterable[str]) -> dict[str, str]:
    """Method name per api name (in order; the first of two clashing names keeps the plain
    one).  Each method ``m`` comes with ``submit_m``: both are kept unique."""
    taken: set[str] = set()
    out: dict[str, str] = {}
    for api_name in api_names:
        if api_name in out:
            continue
        name = _free(identifier(api_name), taken, RESERVED_METHODS, extra="submit_")
        taken.update({name, "submit_" + name})
        out[api_name] = name
    return out


def parameter_names(names: Iterable[str]) -> list[str]:
    """A valid, unique identifier per parameter name, in order."""
    taken: set[str] = set()
    out = []
    for raw in names:
        # leading underscores dropped: "__x" would read as positional-only (PEP 570 style)
        text = re.sub(r"[^A-Za-z0-9_]", "_", raw).lstrip("_") or "param"
        if text[0].isdigit():
            text = "p_" + text
        name = _free(text, taken, RESERVED_PARAMS)
        taken.add(name)
        out.append(name)
    return out
