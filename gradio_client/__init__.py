"""gradio_client: use any Gradio app as an API.

>>> from gradio_client import Client                       # doctest: +SKIP
>>> client = Client("abidlabs/whisper")                    # doctest: +SKIP
>>> client.predict(handle_file("audio_sample.wav"), api_name="/predict")  # doctest: +SKIP

``Client`` is synchronous (threads); ``AsyncClient`` is for trio programs; the sans-IO
protocol core lives in ``gradio_client.protocol`` for embedding anywhere.
"""

from __future__ import annotations

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
from .protocol.status import Status, StatusUpdate

__version__ = "0.1.0"

__all__ = [
    "AppError",
    "AuthenticationError",
    "CancelledError",
    "Client",
    "GradioClientError",
    "Job",
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
