"""The sync client's connect flow: a pure request/response flow driven with httpx.Client.

``run_flow`` runs ``protocol.connect.connect_flow`` (config, info, login) step by step,
each reply read whole within its step's deadline.  Apart from ``thread_shell.py``, which
drives the queue machine, because it shares nothing with it but the HTTP client.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from ..protocol.connect import (
    ConnectDeadline,
    HttpRequest,
    HttpResponse,
    Limits,
    Sleep,
    Step,
)
from ._common import flow_request, flow_timeout, transport_error


def run_flow(
    http: httpx.Client,
    flow: Any,
    *,
    observe: Callable[[HttpRequest], None] | None = None,
    limits: Limits | None = None,
) -> Any:
    """Drive a pure request/response flow (``connect_flow``) with a sync httpx client.

    ``observe(step)`` is called before each request (the credential guard learns the app's
    origin from it).  Each reply is read within the step's deadline (``ConnectDeadline``):
    a server that drips its reply one byte at a time cannot hold the flow past it.
    """
    limits = limits or Limits()
    deadlines = ConnectDeadline(limits)
    reply: HttpResponse | None = None
    try:
        while True:
            try:
                step: Step = flow.send(reply)
            except StopIteration as stop:
                return stop.value
            if isinstance(step, Sleep):
                time.sleep(step.seconds)
                reply = None
                continue
            assert isinstance(step, HttpRequest)
            if observe is not None:
                observe(step)
            deadline = deadlines.for_step(step, time.monotonic())
            reply = _flow_reply(http, step, limits, deadline, deadlines)
    finally:
        flow.close()


def _flow_reply(
    http: httpx.Client,
    step: HttpRequest,
    limits: Limits,
    deadline: float | None,
    deadlines: ConnectDeadline,
) -> HttpResponse:
    def left() -> float | None:
        if deadline is None:
            return None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise deadlines.error(step)
        return remaining

    try:
        timeout = flow_timeout(http.timeout, left())
        with http.stream(**flow_request(step, limits), timeout=timeout) as response:
            chunks = []
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                left()
            return HttpResponse(
                status_code=response.status_code,
                content=b"".join(chunks),
                headers=dict(response.headers),
            )
    except httpx.TimeoutException as exc:
        if deadline is not None and time.monotonic() >= deadline - 0.05:
            raise deadlines.error(step) from exc
        raise transport_error(exc, f"{step.method} {step.url}") from exc
    except httpx.HTTPError as exc:
        raise transport_error(exc, f"{step.method} {step.url}") from exc
