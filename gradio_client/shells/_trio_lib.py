"""The trio primitives the async client needs (the twin of ``asyncio_shell.AsyncioLib``).

``AsyncClient`` asks sniffio which library runs it and takes that library's ``Lib``: the
shell class and how to start it, events, a checkpoint, a bounded wait, a cancel scope for
uploads, shielded cleanup and the connect flow's driver (``_driver.drive_flow`` with trio's
clock and deadline).  Imported only under trio, so asyncio programs never load it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

import httpx
import trio

from ..protocol.connect import HttpRequest, HttpResponse, Limits, Step
from ._driver import Event, drive_flow
from .trio_driver import TrioDriverShell

T = TypeVar("T")


class TrioLib:
    name = "trio"

    @staticmethod
    def event() -> Event:
        return trio.Event()

    @staticmethod
    async def checkpoint() -> None:
        await trio.lowlevel.checkpoint()

    @staticmethod
    async def wait(event: Event, timeout: float | None) -> None:
        """Wait for ``event``, for at most ``timeout`` seconds (None: no limit)."""
        with trio.move_on_after(float("inf") if timeout is None else timeout):
            await event.wait()

    @staticmethod
    def cancel_scope() -> trio.CancelScope:
        return trio.CancelScope()

    @staticmethod
    async def finish(awaitable: Awaitable[None]) -> None:
        """Run cleanup to its end even in a cancelled scope (it must not block long)."""
        with trio.CancelScope(shield=True):
            await awaitable

    shell = TrioDriverShell

    @staticmethod
    async def start(shell: Any, nursery: trio.Nursery | None) -> None:
        if nursery is None:  # pragma: no cover - AsyncClient always passes one under trio
            raise TypeError("the trio shell runs in a nursery")
        await nursery.start(shell.run)

    @staticmethod
    async def drive_flow(
        http: httpx.AsyncClient,
        flow: Generator[Step, HttpResponse | None, T],
        *,
        observe: Callable[[HttpRequest], None] | None = None,
        limits: Limits | None = None,
    ) -> T:
        async def within(
            request: Awaitable[httpx.Response], deadline: float | None
        ) -> httpx.Response | None:
            with trio.move_on_at(float("inf") if deadline is None else deadline):
                return await request
            return None

        return await drive_flow(
            http,
            flow,
            sleep=trio.sleep,
            clock=trio.current_time,
            within=within,
            observe=observe,
            limits=limits,
        )


__all__ = ["TrioLib"]
