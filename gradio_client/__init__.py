"""gradio_client: use any Gradio app as an API.

>>> from gradio_client import Client                       # doctest: +SKIP
>>> client = Client("abidlabs/whisper")                    # doctest: +SKIP
>>> client.predict(handle_file("audio_sample.wav"), api_name="/predict")  # doctest: +SKIP

``Client`` is synchronous (threads); ``AsyncClient`` is for trio programs (imported on
first use, so ``import gradio_client`` does not load trio); the sans-IO
protocol core lives in ``gradio_client.protocol`` for embedding anywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._files import file, handle_file
from .client import Client, Job
from .errors import (
    AppError,
    AuthenticationError,
    CancelledError,
    GradioClientError,
    QueueError,
    QueueFullError,
    TooManyRequestsError,
    ValidationError,
)
from .protocol.messages import ProgressUnit
from .protocol.status import OutputUpdate, Status, StatusUpdate

if TYPE_CHECKING:
    from . import exceptions, utils
    from .aio import AsyncClient, AsyncJob
    from .data_classes import FileData

__version__ = "0.1.0"

# ``AsyncClient`` and ``AsyncJob`` load trio, which would double the import time of
# ``import gradio_client`` for programs that never use it: they are imported on first use.
# Likewise the official client's names that only code written for it uses: ``FileData``, and
# the modules ``utils`` and ``exceptions`` (the official package imports them, so code reaches
# them as attributes after a bare ``import gradio_client``).
_LAZY = {"AsyncClient": "aio", "AsyncJob": "aio", "FileData": "data_classes"}
_LAZY_MODULES = {"utils", "exceptions", "data_classes", "documentation", "snippet"}


def __getattr__(name: str) -> Any:
    from importlib import import_module

    if name in _LAZY_MODULES:
        value = import_module(f".{name}", __name__)
    elif name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _LAZY_MODULES)


__all__ = [
    "AppError",
    "AsyncClient",
    "AsyncJob",
    "AuthenticationError",
    "CancelledError",
    "Client",
    "FileData",
    "GradioClientError",
    "Job",
    "OutputUpdate",
    "ProgressUnit",
    "QueueError",
    "QueueFullError",
    "Status",
    "StatusUpdate",
    "TooManyRequestsError",
    "ValidationError",
    "__version__",
    "file",
    "handle_file",
]
