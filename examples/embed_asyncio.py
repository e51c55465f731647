"""Embed the sans-IO protocol core yourself: a complete, small asyncio shell (docs/embedding.md).

    python examples/embed_asyncio.py http://127.0.0.1:7860/

To call a Gradio app from asyncio, use ``gradio_client.AsyncClient``: it runs on asyncio
natively (shells/asyncio_shell.py; see examples/fastapi_app.py and
examples/notebook_asyncio.py).  This file is only the minimal example of driving
``gradio_client.protocol`` with an IO library of your own, the way the real shells do.

Connects with ``connect_flow``, runs one ``QueueMachine``, performs its actions with
httpx.AsyncClient on asyncio, and calls /calculator and /count of the kitchen-sink app
(examples/apps/kitchen_sink.py).  Only ``gradio_client.protocol`` is used.  Gradio 4+ only:
the websocket actions of Gradio 3.x are left out.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from typing import Any

import httpx

from gradio_client.protocol.actions import (
    Action, CloseStream, EmitOutput, EmitStatus, JobCancelled, JobFailed, JobSucceeded, Notice,
    OpenStream, Post,
)
from gradio_client.protocol.api import build_data, outputs_value
from gradio_client.protocol.connect import (
    Connection, HttpResponse, Sleep, connect_flow, machine_config,
)
from gradio_client.protocol.errors import ConnectionLostError
from gradio_client.protocol.machine import QueueMachine


async def connect(http: httpx.AsyncClient, url: str) -> Connection:
    """Drive connect_flow: it yields requests (or sleeps) and returns the Connection."""
    flow, reply = connect_flow(url), None
    while True:
        try:
            step = flow.send(reply)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        if isinstance(step, Sleep):
            await asyncio.sleep(step.seconds)
            reply = None
        else:
            r = await http.request(
                step.method, step.url, headers=dict(step.headers), data=step.form
            )
            reply = HttpResponse(
                status_code=r.status_code, content=r.content, headers=dict(r.headers)
            )


class Shell:
    def __init__(self, http: httpx.AsyncClient, conn: Connection) -> None:
        self.http, self.conn, self.loop = http, conn, asyncio.get_running_loop()
        self.machine = QueueMachine(machine_config(conn.config), str(uuid.uuid4()))
        self.jobs: dict[int, asyncio.Queue[Action]] = {}  # each job's actions, in order
        self.streams: dict[int, asyncio.Task[None]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.timer: asyncio.TimerHandle | None = None

    def feed(self, actions: list[Action]) -> None:
        """Perform what the machine asked for, in order, then re-arm the deadline timer."""
        for action in actions:
            if isinstance(action, Post):
                self.spawn(self.post(action))
            elif isinstance(action, OpenStream):
                self.streams[action.stream_id] = self.spawn(self.read(action))
            elif isinstance(action, CloseStream):
                if (task := self.streams.pop(action.stream_id, None)) is not None:
                    task.cancel()
            elif isinstance(action, (EmitStatus, EmitOutput, JobSucceeded, JobFailed,
                                     JobCancelled)):
                self.jobs[action.job].put_nowait(action)
            elif isinstance(action, Notice):
                print("notice:", action.message, file=sys.stderr)
            else:  # OpenWebSocket / SendWebSocket: Gradio 3.x only
                raise NotImplementedError(type(action).__name__)
        if self.timer is not None:
            self.timer.cancel()
        if (deadline := self.machine.next_deadline()) is not None:  # time is an input
            self.timer = self.loop.call_at(deadline, self.tick)

    def tick(self) -> None:
        self.timer = None
        self.feed(self.machine.tick(self.loop.time()))

    def spawn(self, coro: Any) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def post(self, action: Post) -> None:
        await asyncio.sleep(action.delay)
        headers = {"content-type": "application/json", **self.conn.headers}
        rid, url = action.request_id, self.conn.root + action.path
        try:
            r = await self.http.post(url, content=action.body, headers=headers)
        except httpx.HTTPError as exc:
            self.feed(self.machine.receive_request_error(rid, ConnectionLostError(str(exc))))
            return
        self.feed(self.machine.receive_response(rid, r.status_code, r.content, r.headers))

    async def read(self, action: OpenStream) -> None:
        await asyncio.sleep(action.delay)
        sid, m = action.stream_id, self.machine
        timeout = httpx.Timeout(10.0, read=action.read_timeout)  # idle longer: an error
        try:
            async with self.http.stream("GET", self.conn.root + action.path, timeout=timeout,
                                        headers=dict(self.conn.headers)) as r:
                self.feed(m.stream_opened(sid, r.status_code, r.headers.get("content-type")))
                async for chunk in r.aiter_bytes():
                    self.feed(m.receive_stream_data(sid, chunk))
        except httpx.HTTPError as exc:
            self.feed(m.receive_stream_error(sid, ConnectionLostError(str(exc))))
            return
        self.feed(m.receive_stream_eof(sid))

    async def call(self, api_name: str, *args: Any) -> Any:
        endpoint = self.conn.config.endpoint(api_name=api_name)
        data = build_data(endpoint, args, {})
        job, actions = self.machine.submit(endpoint.fn_index, data, now=self.loop.time())
        queue = self.jobs[job] = asyncio.Queue()  # registered before its actions run
        self.feed(actions)
        while True:  # exactly one of JobSucceeded / JobFailed / JobCancelled ends it
            action = await queue.get()
            if isinstance(action, EmitStatus):
                print(f"  {api_name} status {action.update.code.name}")
            elif isinstance(action, EmitOutput):
                print(f"  {api_name} output {outputs_value(endpoint, action.data)!r}")
            elif isinstance(action, JobSucceeded):
                return outputs_value(endpoint, action.data)
            elif isinstance(action, JobFailed):
                raise action.error
            elif isinstance(action, JobCancelled):
                raise RuntimeError(action.reason)


async def main(url: str) -> None:
    async with httpx.AsyncClient(timeout=30.0, follow_redirects=True) as http:
        shell = Shell(http, await connect(http, url))
        shell.feed(shell.machine.start())
        print("calculator:", await shell.call("/calculator", 3, "add", 4))
        print("count:", await shell.call("/count", 3))
        shell.feed(shell.machine.close())  # closes every stream
        await asyncio.gather(*shell.tasks, return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
