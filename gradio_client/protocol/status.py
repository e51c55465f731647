"""What a job looks like from outside: the ``Status`` codes and ``StatusUpdate`` snapshots.

Names and values match the official client's ``gradio_client.utils.Status`` and
``StatusUpdate`` so code that inspects ``job.status().code`` keeps working.  The core fills
every field except ``time``, which is a wall-clock reading the shells stamp on delivery
(the core owns no clock).
"""

from __future__ import annotations

import enum
from typing import Any, Final

import msgspec

from .messages import Log, ProgressUnit


class Status(enum.Enum):
    STARTING = "STARTING"
    JOINING_QUEUE = "JOINING_QUEUE"
    QUEUE_FULL = "QUEUE_FULL"
    IN_QUEUE = "IN_QUEUE"
    SENDING_DATA = "SENDING_DATA"
    PROCESSING = "PROCESSING"
    ITERATING = "ITERATING"
    PROGRESS = "PROGRESS"
    LOG = "LOG"
    FINISHED = "FINISHED"
    CANCELLED = "CANCELLED"

    @staticmethod
    def ordering(status: Status) -> int:
        """Order of the lifecycle, for comparisons (LOG sorts with PROGRESS)."""
        return _ORDER[status]

    def __lt__(self, other: Status) -> bool:
        return _ORDER[self] < _ORDER[other]


_ORDER: Final[dict[Status, int]] = {
    Status.STARTING: 0,
    Status.JOINING_QUEUE: 1,
    Status.QUEUE_FULL: 2,
    Status.IN_QUEUE: 3,
    Status.SENDING_DATA: 4,
    Status.PROCESSING: 5,
    Status.ITERATING: 6,
    Status.PROGRESS: 7,
    Status.LOG: 7,
    Status.FINISHED: 8,
    Status.CANCELLED: 9,
}


class StatusUpdate(msgspec.Struct, kw_only=True, frozen=True, gc=False):
    """One observation of a job: queue position, ETA, progress, logs, or its end."""

    code: Status
    rank: int | None = None
    queue_size: int | None = None
    eta: float | None = None
    success: bool | None = None
    time: Any = None  # datetime of delivery, stamped by the shell
    progress_data: list[ProgressUnit] | None = None
    log: tuple[str, str] | None = None  # (text, level), as the official client gives it
    log_details: Log | None = None  # the whole message: title, duration, visible
    type: str = "status"


class OutputUpdate(msgspec.Struct, kw_only=True, frozen=True, gc=False):
    """An output of a job, as the iteration APIs yield it beside ``StatusUpdate``s.

    ``final`` is True once, for the job's final value (the last one yielded).
    """

    outputs: Any
    success: bool = True
    final: bool = False
    type: str = "output"


__all__ = ["OutputUpdate", "ProgressUnit", "Status", "StatusUpdate"]
