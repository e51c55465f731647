"""One async face over both clients, so each contract scenario is written once.

Scenarios are ``async def`` tests run by pytest-trio.  ``SyncFacade`` runs the threaded
``Client`` in worker threads (``trio.to_thread``); ``TrioFacade`` calls ``AsyncClient``
directly.  Both expose the same small surface.
"""

from __future__ import annotations

import functools
from typing import Any

import trio

from gradio_client import Client
from gradio_client.aio import AsyncClient, AsyncJob


class SyncJob:
    def __init__(self, job: Any) -> None:
        self.job = job

    async def result(self, timeout: float | None = None) -> Any:
        return await trio.to_thread.run_sync(functools.partial(self.job.result, timeout))

    async def outputs(self) -> list[Any]:
        """Iterate the job to its end and return what it yielded."""
        return await trio.to_thread.run_sync(lambda: list(self.job))

    def status(self) -> Any:
        return self.job.status()

    def updates(self) -> list[Any]:
        return self.job.updates()

    def done(self) -> bool:
        return self.job.done()

    async def cancel(self) -> bool:
        return await trio.to_thread.run_sync(self.job.cancel)


class SyncFacade:
    kind = "sync"

    def __init__(self, client: Client) -> None:
        self.client = client

    @classmethod
    async def connect(cls, src: str, **kwargs: Any) -> SyncFacade:
        kwargs.setdefault("verbose", False)
        client = await trio.to_thread.run_sync(functools.partial(Client, src, **kwargs))
        return cls(client)

    async def predict(self, *args: Any, **kwargs: Any) -> Any:
        return await trio.to_thread.run_sync(functools.partial(self.client.predict, *args, **kwargs))

    async def submit(self, *args: Any, **kwargs: Any) -> SyncJob:
        job = await trio.to_thread.run_sync(functools.partial(self.client.submit, *args, **kwargs))
        return SyncJob(job)

    def view_api(self, **kwargs: Any) -> Any:
        return self.client.view_api(**kwargs)

    async def reset_session(self) -> None:
        await trio.to_thread.run_sync(self.client.reset_session)

    async def close(self) -> None:
        await trio.to_thread.run_sync(self.client.close)


class TrioJob:
    """An ``AsyncJob`` as the scenarios see it: already async, so a thin pass-through."""

    def __init__(self, job: AsyncJob) -> None:
        self.job = job

    async def result(self, timeout: float | None = None) -> Any:
        # AsyncJob.result(timeout=) raises the builtin TimeoutError and keeps the job running
        return await self.job.result(timeout=timeout)

    async def outputs(self) -> list[Any]:
        """Iterate the job's outputs to its end and return what it yielded."""
        return [value async for value in self.job.iter_outputs()]

    def status(self) -> Any:
        return self.job.status()

    def updates(self) -> list[Any]:
        return self.job.updates()

    def done(self) -> bool:
        return self.job.done()

    async def cancel(self) -> bool:
        return await self.job.cancel()


class TrioFacade:
    """``AsyncClient`` in the ``async with`` form: it owns its nursery, opened by ``connect``
    and closed by ``close`` (both run in the same task, as pytest-trio fixtures do)."""

    kind = "trio"

    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    @classmethod
    async def connect(cls, src: str, **kwargs: Any) -> TrioFacade:
        kwargs.setdefault("verbose", False)
        client = AsyncClient(src, **kwargs)
        await client.__aenter__()
        return cls(client)

    async def predict(self, *args: Any, **kwargs: Any) -> Any:
        return await self.client.predict(*args, **kwargs)

    async def submit(self, *args: Any, **kwargs: Any) -> TrioJob:
        return TrioJob(await self.client.submit(*args, **kwargs))

    def view_api(self, **kwargs: Any) -> Any:
        return self.client.view_api(**kwargs)

    async def reset_session(self) -> None:
        await self.client.reset_session()

    async def close(self) -> None:
        await self.client.__aexit__(None, None, None)


FACADES: dict[str, type] = {"sync": SyncFacade, "trio": TrioFacade}
