"""The invariants every driver of a ``QueueMachine`` checks: one checker shared by the
property tests (test_machine_properties.py, test_stream_budget_properties.py) and the fuzz
target (fuzz/fuzz_machine.py), so they cannot drift apart.

* Every job gets at most one terminal action, and no action names a job after it.
* After ``close()`` every job has ended and the machine holds none.
* The machine's phase of a job is DONE exactly when the job got its terminal action.
* Reopen budget (issue 12): a session stream is opened at most ``max_reconnects`` + 1 times
  between two events that can move a job forward (an output, a job's end, a join reply:
  the driver calls ``may_progress()`` for those it feeds in).
"""

from __future__ import annotations

from collections.abc import Iterable

from gradio_client.protocol.actions import (
    Action,
    EmitOutput,
    JobCancelled,
    JobFailed,
    JobSucceeded,
    OpenStream,
)
from gradio_client.protocol.machine import Phase, QueueMachine

TERMINAL = (JobSucceeded, JobFailed, JobCancelled)


class Ledger:
    def __init__(self, max_reconnects: int | None = None) -> None:
        self.ended: dict[int, Action] = {}
        self.max_reconnects = max_reconnects
        self.quiet_opens: dict[str, int] = {}  # session stream path -> opens since progress

    def record(self, actions: Iterable[Action]) -> None:
        for action in actions:
            job = getattr(action, "job", None)
            if job is not None:
                assert job not in self.ended, f"{action!r} after {self.ended[job]!r}"
            if isinstance(action, (EmitOutput, *TERMINAL)):
                self.quiet_opens.clear()
            if isinstance(action, TERMINAL):
                self.ended[action.job] = action
            elif (
                isinstance(action, OpenStream)
                and self.max_reconnects is not None
                and "/queue/data" in action.path
            ):
                opens = self.quiet_opens[action.path] = self.quiet_opens.get(action.path, 0) + 1
                assert opens <= self.max_reconnects + 1, (
                    f"{opens} opens of {action.path} without progress"
                )

    def may_progress(self) -> None:
        """A join reply is about to be fed: it may name a job (a fresh budget)."""
        self.quiet_opens.clear()

    def check_phases(self, machine: QueueMachine, jobs: Iterable[int]) -> None:
        for job in jobs:
            assert (machine.phase(job) is Phase.DONE) == (job in self.ended), job

    def check_closed(self, machine: QueueMachine, jobs: Iterable[int]) -> None:
        missing = [job for job in jobs if job not in self.ended]
        assert not missing, f"jobs {missing} did not end after close()"
        assert machine.pending_jobs() == []
