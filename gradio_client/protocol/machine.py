"""``gradio_client.protocol.machine``: the queue machine's names, kept importable here.

The machine itself lives in the ``queue`` package (``protocol/queue/``): see its modules
for the rules.  This module re-exports exactly that package's ``__all__``.
"""

from __future__ import annotations

from . import queue as _queue
from .queue import *  # noqa: F403  (the names of queue.__all__)

__all__ = list(_queue.__all__)
