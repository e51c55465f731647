"""One async face over every client, so each contract scenario is written once.

Scenarios are ``async def`` tests run by pytest-trio.  ``SyncFacade`` runs the threaded
``Client`` in worker threads (``trio.to_thread``); ``TrioFacade`` calls ``AsyncClient``
directly; ``AsyncioFacade`` runs ``AsyncClient`` natively on an asyncio event loop of its
own (a thread of the test process) and hands each call over to it, so the asyncio shell is
what talks to the server.  All three expose the same small surface.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import threading
from collections.abc import Coroutine
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


class _AsyncioLoop:
    """An asyncio event loop running on its own thread, for one facade's client."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.stopped = False
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="contract-asyncio-loop", daemon=True
        )
        self.thread.start()

    async def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coro`` on the loop and wait for it from trio without blocking trio (a
        trio cancel cancels the asyncio task: a cancelled wait is a cancelled task).

        Once the client is closed (and its loop with it) a test may still ask an ended job
        for its result: that needs no IO, so it runs to its end on a short-lived loop."""
        if self.stopped:
            return asyncio.run(coro)
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        token = trio.lowlevel.current_trio_token()
        done = trio.Event()

        def wake(_: concurrent.futures.Future[Any]) -> None:
            try:
                token.run_sync_soon(done.set)
            except trio.RunFinishedError:  # pragma: no cover - trio ended first
                pass

        future.add_done_callback(wake)
        try:
            await done.wait()
        except BaseException:
            future.cancel()
            raise
        return future.result()

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        if not self.thread.is_alive():
            self.loop.close()


class AsyncioJob:
    def __init__(self, job: AsyncJob, loop: _AsyncioLoop) -> None:
        self.job = job
        self.loop = loop

    async def result(self, timeout: float | None = None) -> Any:
        return await self.loop.run(self.job.result(timeout=timeout))

    async def outputs(self) -> list[Any]:
        async def collect() -> list[Any]:
            return [value async for value in self.job.iter_outputs()]

        return list(await self.loop.run(collect()))

    def status(self) -> Any:
        return self.job.status()

    def updates(self) -> list[Any]:
        return self.job.updates()

    def done(self) -> bool:
        return self.job.done()

    async def cancel(self) -> bool:
        return bool(await self.loop.run(self.job.cancel()))


class AsyncioFacade:
    """``AsyncClient`` in the ``async with`` form, on an asyncio loop of its own."""

    kind = "asyncio"

    def __init__(self, client: AsyncClient, loop: _AsyncioLoop) -> None:
        self.client = client
        self.loop = loop

    @classmethod
    async def connect(cls, src: str, **kwargs: Any) -> AsyncioFacade:
        kwargs.setdefault("verbose", False)
        loop = _AsyncioLoop()
        try:

            async def enter() -> AsyncClient:
                client = AsyncClient(src, **kwargs)
                await client.__aenter__()
                return client

            client = await loop.run(enter())
        except BaseException:
            loop.stop()
            raise
        return cls(client, loop)

    async def predict(self, *args: Any, **kwargs: Any) -> Any:
        return await self.loop.run(self.client.predict(*args, **kwargs))

    async def submit(self, *args: Any, **kwargs: Any) -> AsyncioJob:
        return AsyncioJob(await self.loop.run(self.client.submit(*args, **kwargs)), self.loop)

    def view_api(self, **kwargs: Any) -> Any:
        return self.client.view_api(**kwargs)

    async def reset_session(self) -> None:
        await self.loop.run(self.client.reset_session())

    async def close(self) -> None:
        if self.loop.stopped:  # closed already
            return
        try:
            await self.loop.run(self.client.__aexit__(None, None, None))
        finally:
            self.loop.stop()


FACADES: dict[str, type] = {"sync": SyncFacade, "trio": TrioFacade, "asyncio": AsyncioFacade}
