"""The Gradio queue protocol, sans-IO: ``QueueMachine`` and what it is configured with.

Modules, each with the rules it implements in its docstring: ``wire`` (the families and
``MachineConfig``), ``state`` (jobs, phases, streams), ``core`` (bookkeeping, status caps),
``streams`` (stream ends, reopening), ``routing`` (messages and replies), ``failures``
(which error each failure is), ``machine`` (``QueueMachine``: the inputs).
"""

from __future__ import annotations

from .machine import INPUTS, MachineWatcher, Observer, QueueMachine, watch_machines
from .state import MOVES, Phase, StreamKind
from .wire import (
    DIFFED,
    EVENT_ACK_TIMEOUT,
    MAX_REPEATS,
    MAX_STATUS_UPDATES,
    MULTIPLEXED,
    PROTOCOLS,
    RULES,
    MachineConfig,
    Wire,
    WireRules,
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
    "RULES",
    "MachineConfig",
    "MachineWatcher",
    "Observer",
    "Phase",
    "QueueMachine",
    "StreamKind",
    "Wire",
    "WireRules",
    "watch_machines",
]
