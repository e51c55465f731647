"""Import httpcore without importing trio and anyio (a shorter cold start for sync programs).

``httpcore/_synchronization.py`` runs ``import trio`` and ``import anyio`` at import time when
they are installed, only to use them later in its async locks, events and semaphores. trio is
a dependency of ours, so every sync program paid for both (about 100-150 ms of a one-shot
``Client(url).predict(...)``) on its first ``httpx.Client()``.

``import_httpcore()`` imports httpcore while ``sys.modules`` maps the two names to
``_Deferred`` stand-ins, then removes the stand-ins: httpcore keeps them as its module globals,
and their first attribute access (``trio.Lock`` in an async client) imports the real module
through the normal machinery, so there is still one trio and one anyio in the process. Names
already imported, and an httpcore already imported, are left alone.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

_NAMES = ("trio", "anyio")


class _Deferred:
    """Stands for a module; imports it on the first attribute access."""

    # read by the import statement that finds this object in sys.modules (a module being
    # initialised has a spec): answering it must not import the module
    __spec__ = None

    def __init__(self, name: str) -> None:
        self._deferred_name = name

    def __getattr__(self, attr: str) -> Any:
        module = self.__dict__.get("_deferred_module")
        if module is None:
            name = self.__dict__["_deferred_name"]
            modules: dict[str, object] = sys.modules  # type: ignore[assignment]
            if modules.get(name) is self:  # touched while still installed: import it now
                del sys.modules[name]
            module = self.__dict__["_deferred_module"] = importlib.import_module(name)
        return getattr(module, attr)  # read each time: the module's current value

    def __repr__(self) -> str:
        return f"<deferred module {self._deferred_name!r}>"


def import_httpcore() -> None:
    """Import httpcore with trio and anyio deferred (see the module docstring)."""
    if "httpcore" in sys.modules:
        return
    modules: dict[str, object] = sys.modules  # type: ignore[assignment]
    installed = {}
    for name in _NAMES:
        if name not in modules:
            installed[name] = modules[name] = _Deferred(name)
    try:
        import httpcore  # noqa: F401
    except ImportError:  # httpx reports a missing httpcore when it needs it
        pass
    finally:
        for name, stand_in in installed.items():
            if modules.get(name) is stand_in:
                del modules[name]
