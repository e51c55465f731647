"""The ``@document`` registry and docstring parser gradio uses for its documentation.

gradio decorates its public classes with ``@document(...)`` when it is imported (so this module
must exist for ``import gradio`` to work), and its theme builder reads parameter docs with
:func:`document_fn`.  The behaviour is the official module's: the same registry
(``classes_to_document``: documentation group -> ``[(cls, functions)]``), the same group names
derived from module names, and the same parse of gradio's docstring layout::

    One-line description, maybe more lines.
    Parameters:
        name: what it is
            continued, indented further
    Returns:
        what comes back
    Example:
        code

``tests/dropin/test_documentation_diff.py`` compares the results on every class and method
gradio registers.
"""

from __future__ import annotations

import dataclasses
import inspect
import warnings
from collections import defaultdict
from collections.abc import Callable
from typing import Any

classes_to_document: defaultdict[str | None, list[tuple[Any, list[Any]]]] = defaultdict(list)
classes_inherit_documentation: dict[Any, Any] = {}

# Module-name prefixes and their documentation group, first match wins.
_GROUPS = (
    ("gradio._simple_templates", "component"),
    ("gradio.server", "block"),
    ("gradio.block", "block"),
    ("gradio.chat", "chatinterface"),
    ("gradio.component", "component"),
    ("gradio.events", "helpers"),
    ("gradio.data_classes", "helpers"),
    ("gradio.exceptions", "helpers"),
    ("gradio.external", "helpers"),
    ("gradio.flag", "flagging"),
    ("gradio.helpers", "helpers"),
    ("gradio.interface", "interface"),
    ("gradio.layout", "layout"),
    ("gradio.route", "routes"),
    ("gradio.theme", "themes"),
    ("gradio_client.", "py-client"),
    ("gradio.utils", "helpers"),
    ("gradio.renderable", "renderable"),
    ("gradio.validators", "validators"),
    ("gradio.caching", "helpers"),
)


def set_documentation_group(m: Any) -> None:  # noqa: ARG001
    """Does nothing; custom components published before gradio 4.16 call it."""


def _group_of_module(modname: str) -> str:
    for prefix, group in _GROUPS:
        if modname.startswith(prefix):
            return group
    raise ValueError(f"No known documentation group for module {modname!r}")


def document(*fns: Any, inherit: bool = False, documentation_group: str | None = None) -> Callable[[Any], Any]:
    """Register a class (or function) for gradio's documentation and return it unchanged.

    ``fns`` names methods to document as well (``"*name"``: an instance attribute whose
    ``__call__`` is documented); a class's ``EVENTS`` are added to them.  ``inherit=True``
    lets subclasses inherit the documented methods.  The group is ``documentation_group`` or,
    for gradio's own modules, derived from the module name (``None`` for other modules)."""

    def register(cls: Any) -> Any:
        functions = [*fns, *getattr(cls, "EVENTS", [])] if hasattr(cls, "EVENTS") else list(fns)
        if inherit:
            classes_inherit_documentation[cls] = None
        group = documentation_group
        if group is None:
            try:
                modname = inspect.getmodule(cls).__name__  # type: ignore[union-attr]
                if modname.startswith(("gradio.", "gradio_client.")):
                    group = _group_of_module(modname)
            except Exception as exc:
                warnings.warn(f"Could not get documentation group for {cls}: {exc}", stacklevel=2)
        classes_to_document[group].append((cls, functions))
        return cls

    return register


def _format_error(name: str, line: str) -> SyntaxError:
    return SyntaxError(f"Documentation format for {name} has format error in line: {line}")


class _DocParse:
    """The sections of one function docstring."""

    def __init__(self, doc: str, fn: Any, cls: Any) -> None:
        self.description: list[str] = []
        self.parameters: dict[str, str] = {}
        self.returns: list[str] = []
        self.examples: list[str] = []
        mode = "description"
        current: str | None = None
        indent: int | None = None
        for raw in doc.split("\n"):
            line = raw.rstrip()
            if line == "Parameters:":
                mode, indent = "parameter", None
                continue
            if line.startswith("Example:"):
                mode, indent = "example", None
                if "(" in line and ")" in line:
                    target = line.split("(")[1].split(")")[0]
                    if target != cls.__name__:
                        mode = "ignore"
                continue
            if line == "Returns:":
                mode, indent = "return", None
                continue
            if mode == "description":
                self.description.append(line if line.strip() else "<br>")
                continue
            if line.strip() and not line.startswith("    "):
                print(line)
                raise _format_error(fn.__name__, line)
            line = line[4:]
            if mode == "parameter":
                if ": " in line and not line.startswith(" "):
                    current, _, text = line.partition(": ")
                    self.parameters[current] = text
                    indent = None
                elif current and line.strip():
                    if indent is None:
                        indent = len(line) - len(line.lstrip())
                    if indent > 0 and line.startswith(" " * indent):
                        line = line[indent:]
                    self.parameters[current] += "\n" + line
            elif mode == "return":
                self.returns.append(line)
            elif mode == "example":
                self.examples.append(line)


def _default_repr(default: Any) -> Any:
    if isinstance(default, str):
        return f'"{default}"'
    if default.__class__.__module__ != "builtins":
        return f"{default.__class__.__name__}()"
    return default


def document_fn(fn: Callable[..., Any], cls: Any) -> tuple[str, list[dict[str, Any]], dict[str, Any], str | None]:
    """Parse a function's docstring: ``(description, parameters, returns, example)``.

    ``parameters`` has one dict per signature parameter (not ``self``, not ``_private``, not
    undocumented ``*args``/``**kwargs``): ``name``, ``annotation``, ``doc`` and ``default``
    when there is one (strings quoted, non-builtin objects as ``ClassName()``).  ``returns`` is
    ``{}`` or ``{"annotation", "doc"}``; ``example`` is None when there is none.  A docstring
    that documents a parameter the signature lacks raises ``ValueError``; a section line that
    is not indented raises ``SyntaxError``."""
    doc = inspect.getdoc(fn) or ""
    signature = inspect.signature(fn)  # first: a non-callable raises TypeError, as officially
    parsed = _DocParse(doc, fn, cls)
    documented = dict(parsed.parameters)
    parameters: list[dict[str, Any]] = []
    for name, param in signature.parameters.items():
        if name.startswith("_") or name == "self":
            continue
        if name in ("args", "kwargs") and name not in documented:
            continue
        entry: dict[str, Any] = {"name": name, "annotation": param.annotation,
                                 "doc": documented.pop(name, None)}
        if param.default is not inspect.Parameter.empty:
            entry["default"] = _default_repr(param.default)
        elif entry["doc"] is not None:
            if "kwargs" in entry["doc"]:
                entry["kwargs"] = True
            if "args" in entry["doc"]:
                entry["args"] = True
        parameters.append(entry)
    if documented:
        raise ValueError(
            f"Documentation format for {fn.__name__} documents nonexistent parameters: "
            f"{', '.join(documented)}. Valid parameters: {', '.join(signature.parameters)}")
    returns: dict[str, Any] = {}
    if parsed.returns:
        returns = {"annotation": signature.return_annotation, "doc": "\n".join(parsed.returns)}
    example = "\n".join(parsed.examples) if parsed.examples else None
    return " ".join(parsed.description), parameters, returns, example


def document_cls(cls: Any) -> tuple[str, dict[str, Any], str | None]:
    """Parse a class docstring: ``(description, tags, example)``.  A line ``Word:`` starts a
    tag section (its indented lines joined with ``<br>``); ``Word: value`` is a one-line tag;
    the ``Example:`` section is returned separately."""
    doc = inspect.getdoc(cls)
    if doc is None:
        return "", {}, ""
    tags: dict[str, Any] = {}
    description: list[str] = []
    mode = "description"
    for raw in doc.split("\n"):
        line = raw.rstrip()
        if line.endswith(":") and " " not in line:
            mode = line[:-1].lower()
            tags[mode] = []
        elif line.split(" ")[0].endswith(":") and not line.startswith("    "):
            colon = line.index(":")
            tags[line[:colon].lower()] = line[colon + 2:]
        elif mode == "description":
            description.append(line if line.strip() else "<br>")
        else:
            if line.strip() and not line.startswith("    "):
                raise _format_error(cls.__name__, line)
            tags[mode].append(line[4:])
    example = "\n".join(tags.pop("example")) if "example" in tags else None
    for key, value in tags.items():
        if isinstance(value, list):
            tags[key] = "<br>".join(value)
    return " ".join(description).replace("\n", "<br>"), tags, example


def extract_instance_attr_doc(cls: Any, attr: str) -> str:
    """The docstring written under ``self.<attr> = ...`` in ``cls.__init__``."""
    lines = [line.strip() for line in inspect.getsource(cls.__init__).split("\n")]
    i = None
    for i, line in enumerate(lines):  # noqa: B007
        if line.startswith((f"self.{attr}:", f"self.{attr} =")):
            break
    if i is None:
        raise NameError(f"Could not find {attr} in {cls.__name__}")
    start = lines.index('"""', i)
    end = lines.index('"""', start + 1)
    for j in range(i + 1, start):
        if lines[j].startswith("self."):
            raise ValueError(
                f"Found another attribute before docstring for {attr} in {cls.__name__}: "
                + lines[j] + "\n start:" + lines[i])
    return " ".join(lines[start + 1:end])


def _has_processing(cls: Any) -> bool:
    return all(callable(getattr(cls, name, None)) for name in ("preprocess", "postprocess"))


def _document_class(cls: Any, fns: list[Any]) -> dict[str, Any]:
    target: Any = cls if inspect.isfunction(cls) or dataclasses.is_dataclass(cls) else cls.__init__
    _, parameters, returns, _ = document_fn(target, cls)
    description, tags, example = document_cls(cls)
    entry: dict[str, Any] = {
        "class": cls, "name": cls.__name__, "description": description, "tags": tags,
        "parameters": parameters, "returns": returns, "example": example, "fns": [],
    }
    if _has_processing(cls):
        for name in ("preprocess", "postprocess"):
            _, p_params, p_returns, _ = document_fn(getattr(cls, name), cls)
            entry[name] = {"parameter_doc": p_params, "return_doc": p_returns}
    for fn_name in fns:
        attribute = fn_name.startswith("*")
        name = fn_name[1:] if attribute else fn_name
        fn = getattr(cls(), name).__call__ if attribute else getattr(cls, name)
        override = None
        if callable(fn):
            description_doc, parameter_docs, return_docs, examples_doc = document_fn(fn, cls)
            if name in getattr(cls, "EVENTS", []):
                parameter_docs = parameter_docs[1:]
        else:
            description_doc, parameter_docs, return_docs, examples_doc = str(fn), {}, {}, ""  # type: ignore[assignment]
            override = f"gr.{cls.__name__}.{name}"
        if attribute:
            description_doc = extract_instance_attr_doc(cls, name)
        entry["fns"].append({
            "fn": fn, "name": name, "description": description_doc, "tags": {},
            "parameters": parameter_docs, "returns": return_docs, "example": examples_doc,
            "override_signature": override,
        })
    return entry


def generate_documentation() -> dict[str | None, list[dict[str, Any]]]:
    """Every registered class documented, by group (gradio's website builds from this)."""
    documentation: dict[str | None, list[dict[str, Any]]] = {}
    for group, class_list in classes_to_document.items():
        documentation[group] = []
        for cls, fns in class_list:
            entry = _document_class(cls, fns)
            documentation[group].append(entry)
            if cls in classes_inherit_documentation:
                classes_inherit_documentation[cls] = entry["fns"]
    for group, class_list in classes_to_document.items():
        for i, (cls, _) in enumerate(class_list):
            for parent, inherited in classes_inherit_documentation.items():
                if not (inspect.isclass(cls) and issubclass(cls, parent) and cls != parent):
                    continue
                for fn_doc in inherited:
                    copy = dict(fn_doc)
                    try:
                        copy["description"] = extract_instance_attr_doc(cls, copy["name"])
                    except ValueError:
                        pass
                    documentation[group][i]["fns"].append(copy)
    return documentation
