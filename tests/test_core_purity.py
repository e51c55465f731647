"""The protocol core stays pure: no IO, clocks, threads, sockets or randomness.

Parses every module of gradio_client/protocol (subpackages included) with ast (no import
needed) and fails on:

* any import of a forbidden module, however it is spelled (import x, import x.y, from x
  import y, __import__("x"), importlib.import_module("x"));
* builtin IO: any use of ``open``, ``print``, ``input``, ``breakpoint``, ``exec``, ``eval``;
* clocks: any use of ``perf_counter``, ``monotonic``, ``time_ns``, ``process_time``,
  ``utcnow``, ``localtime``, ``gmtime``, ``sleep`` (however reached), and any call of
  something named ``time``, ``now`` or ``today`` (``time.time()``, ``datetime.now()``).
  The core takes ``now`` as an argument instead.
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


BUILTIN_IO = {"open", "print", "input", "breakpoint", "exec", "eval"}
CLOCK_NAMES = {
    "perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "time_ns", "process_time",
    "utcnow", "localtime", "gmtime", "sleep",
}
CLOCK_CALLS = {"time", "now", "today"}


def impure_calls(source: str) -> list[str]:
    """Uses of builtin IO and of clocks (see the module docstring)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        name = None
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            name = node.id if node.id in BUILTIN_IO | CLOCK_NAMES else None
        elif isinstance(node, ast.Attribute):
            name = node.attr if node.attr in CLOCK_NAMES else None
        elif isinstance(node, ast.alias):  # from x import monotonic as m
            name = node.name if node.name in CLOCK_NAMES | CLOCK_CALLS else None
        elif isinstance(node, ast.Call):
            func = node.func
            callee = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            name = callee if callee in CLOCK_CALLS else None
        if name is not None:
            found.append(f"line {node.lineno}: {name}")
    return found


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


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(CORE)))
def test_module_is_pure(path: Path) -> None:
    source = path.read_text()
    assert forbidden_imports(source) == []
    assert impure_calls(source) == []


@pytest.mark.parametrize(
    "snippet",
    [
        "open('x').read()",
        "print('debug')",
        "x = input()",
        "f = open",
        "eval('1')",
        "from time import monotonic as m\nm()",
        "import time\nstart = time.time()",
        "import time\nt = time.perf_counter_ns()",
        "from datetime import datetime\nstamp = datetime.now()",
        "import datetime\nd = datetime.date.today()",
        "import datetime\nd = datetime.datetime.utcnow()",
        "import time\ntime.sleep(1)",
        "clock = time.monotonic",
    ],
)
def test_checker_catches_builtin_io_and_clocks(snippet: str) -> None:
    assert impure_calls(snippet)


def test_checker_allows_a_now_argument_and_time_fields() -> None:
    source = (
        "class S:\n    time: int = 0\n"
        "def tick(self, now: float) -> None:\n    self._now = now\n    x = update.time\n"
        "    pattern = re.compile('x')\n"
    )
    assert impure_calls(source) == []


def test_checker_flags_a_sample_core_module() -> None:
    """The checker run on a real core module with IO and a clock spliced in."""
    source = (CORE / "queue" / "machine.py").read_text()
    assert impure_calls(source) == []
    spliced = source.replace(
        "    def tick(self, now: float) -> list[Action]:",
        "    def tick(self, now: float) -> list[Action]:\n"
        "        print('tick', time.monotonic())",
        1,
    )
    assert spliced != source
    assert [f.split(": ")[1] for f in impure_calls(spliced)] == ["print", "monotonic"]


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
