"""The official client's most used ``gradio_client.utils`` names, for code that imports them.

``Status``, ``StatusUpdate``, ``ProgressUnit`` and ``OutputUpdate`` are this library's own
(also exported by ``gradio_client``); ``InvalidAPIEndpointError`` is the official name of
``EndpointNotFoundError``; ``apply_diff`` applies a generator diff without mutating its
input.  The official module's other helpers are internals of that client and are not here.
"""

from __future__ import annotations

from .errors import EndpointNotFoundError, QueueError, TooManyRequestsError
from .protocol.diff import apply_diff
from .protocol.messages import ProgressUnit
from .protocol.status import OutputUpdate, Status, StatusUpdate

InvalidAPIEndpointError = EndpointNotFoundError

__all__ = [
    "InvalidAPIEndpointError",
    "OutputUpdate",
    "ProgressUnit",
    "QueueError",
    "Status",
    "StatusUpdate",
    "TooManyRequestsError",
    "apply_diff",
]
