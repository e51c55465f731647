"""One async face over both clients, so each contract scenario is written once.

Scenarios are ``async def`` tests run by pytest-trio.  ``SyncFacade`` runs the threaded
``Client`` in worker threads (``trio.to_thread``); ``TrioFacade`` (added with the trio shell)
calls ``AsyncClient`` directly.  Both expose the same small surface.
"""

from __future__ import annotations

import functools
from typing import Any

import trio

from gradio_client import Client


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


FACADES: dict[str, type] = {"sync": SyncFacade}
