"""``gradio_client.protocol.machine``: the queue machine's names, kept importable here.

The machine itself lives in the ``queue`` package (``protocol/queue/``): see its modules
for the rules.
"""

from __future__ import annotations

from .queue import (
    DIFFED,
    EVENT_ACK_TIMEOUT,
    INPUTS,
    MAX_REPEATS,
    MAX_STATUS_UPDATES,
    MOVES,
    MULTIPLEXED,
    PROTOCOLS,
    MachineConfig,
    MachineWatcher,
    Observer,
    Phase,
    QueueMachine,
    StreamKind,
    Wire,
    watch_machines,
)

__all__ = [
    "DIFFED",
    "EVENT_ACK_TIMEOUT",
    "INPUTS",
    "MAX_REPEATS",
    "MAX_STATUS_UPDATES",
    "MOVES",
    "MULTIPLEXED",
    "PROTOCOLS",
    "MachineConfig",
    "MachineWatcher",
    "Observer",
    "Phase",
    "QueueMachine",
    "StreamKind",
    "Wire",
    "watch_machines",
]
