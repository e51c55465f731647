"""The official client's ``gradio_client.exceptions`` names, for code that imports them.

New code can import every error from ``gradio_client.errors``.
"""

from __future__ import annotations

from .errors import AppError, AuthenticationError, ValidationError

__all__ = ["AppError", "AuthenticationError", "ValidationError"]
