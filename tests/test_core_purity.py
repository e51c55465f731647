"""The protocol core stays pure: no IO, clocks, threads, sockets or randomness.

Parses every module of gradio_client/protocol with ast (no import needed) and fails on any
import of a forbidden module, however it is spelled (import x, import x.y, from x import y,
__import__("x"), importlib.import_module("x")).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parent.parent / "gradio_client" / "protocol"

FORBIDDEN = {
    "asyncio", "concurrent", "ctypes", "datetime", "http", "httpcore", "httpx", "io",
    "multiprocessing", "os", "pathlib", "queue", "random", "secrets", "select", "selectors",
    "shutil", "signal", "socket", "socketserver", "ssl", "subprocess", "sys", "tempfile",
    "threading", "time", "trio", "trio_websocket", "urllib", "uuid", "websockets", "wsproto",
    "_thread", "sched", "anyio", "sniffio", "requests", "aiohttp", "importlib", "builtins",
}


def forbidden_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call):
            func = node.func
            callee = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if callee in {"__import__", "import_module"} and node.args:
                arg = node.args[0]
                names = [arg.value if isinstance(arg, ast.Constant) else "<dynamic>"]
        for name in names:
            top = str(name).split(".", 1)[0]
            if str(name) == "urllib.parse":  # pure string functions
                continue
            if top in FORBIDDEN or top == "<dynamic>":
                found.append(f"line {node.lineno}: {name}")
    return found


MODULES = sorted(CORE.rglob("*.py"))


def test_core_has_modules() -> None:
    assert {p.name for p in MODULES} >= {"machine.py", "messages.py", "sse.py", "errors.py"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_is_pure(path: Path) -> None:
    assert forbidden_imports(path.read_text()) == []


@pytest.mark.parametrize(
    "snippet",
    [
        "import time",
        "import os.path",
        "from threading import Lock",
        "from concurrent.futures import Future",
        "import trio as t",
        "x = __import__('socket')",
        "import importlib\nimportlib.import_module('random')",
        "import urllib.request",
        "from urllib import request",
    ],
)
def test_checker_catches(snippet: str) -> None:
    assert forbidden_imports(snippet)


def test_checker_allows_pure_modules() -> None:
    assert forbidden_imports("import enum\nfrom typing import Any\nimport msgspec\nfrom . import x") == []
    assert forbidden_imports("from urllib.parse import quote\nimport urllib.parse") == []
