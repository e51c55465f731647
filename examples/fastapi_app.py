"""A FastAPI service that calls a Gradio app through one shared ``AsyncClient``.

    GRADIO_URL=http://127.0.0.1:7860/ uvicorn examples.fastapi_app:app --port 8000
    curl 'http://127.0.0.1:8000/calculate?a=3&b=4&op=multiply'   # {"result":12.0}
    curl 'http://127.0.0.1:8000/count?n=3'                        # {"outputs":["0","0 1","0 1 2"]}

The client is opened once, in the lifespan: connecting (``/config``, ``/info``) happens at
startup, not per request, and every request shares its connections and its one event
stream.  Each handler awaits its own job.  When the caller of a request goes away and the
server cancels the handler's task, ``predict`` cancels its job on the Gradio server too.
At shutdown, leaving ``async with`` ends every job still pending, exactly once.

Uses the kitchen-sink app (examples/apps/kitchen_sink.py): /calculator and /count.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Request

from gradio_client import AsyncClient
from gradio_client.errors import AppError


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    url = os.environ.get("GRADIO_URL", "http://127.0.0.1:7860/")
    async with AsyncClient(url, verbose=False) as client:
        app.state.gradio = client
        yield


app = FastAPI(lifespan=lifespan)


def gradio(request: Request) -> AsyncClient:
    client: AsyncClient = request.app.state.gradio
    return client


@app.get("/calculate")
async def calculate(
    request: Request, a: float, b: float, op: Literal["add", "subtract", "multiply", "divide"] = "add"
) -> dict[str, Any]:
    try:
        result = await gradio(request).predict(a, op, b, api_name="/calculator")
    except AppError as exc:  # the app raised (gr.Error, or any exception): a 422 here
        raise HTTPException(status_code=422, detail=exc.message) from None
    return {"result": result}


@app.get("/count")
async def count(request: Request, n: int = 3) -> dict[str, Any]:
    job = await gradio(request).submit(n, api_name="/count")
    return {"outputs": [value async for value in job.iter_outputs()]}
