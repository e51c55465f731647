"""The official client's ``gradio_client.exceptions`` names, for code that imports them.

gradio's ``gr.Error`` subclasses :class:`AppError` (``gradio.exceptions``) and gradio reads
its ``message``, ``duration``, ``visible`` and ``title``, which ours has with the official
constructor.  New code can import every error from ``gradio_client.errors``.
"""

from __future__ import annotations

from .errors import AppError, AuthenticationError, ValidationError


class SerializationSetupError(ValueError):
    """A serializer could not be set up (kept for code written for the 0.x official client)."""


__all__ = ["AppError", "AuthenticationError", "SerializationSetupError", "ValidationError"]
