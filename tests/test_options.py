"""Constructor options reach the queue core, on the sync and the async client."""

from __future__ import annotations

import asyncio

import pytest

from gradio_client import AsyncClient, Client
from gradio_client.protocol.machine import EVENT_ACK_TIMEOUT


@pytest.mark.parametrize("value", [EVENT_ACK_TIMEOUT, 5.0, None])
def test_event_ack_timeout_reaches_the_machine(gradio_app: str, value: float | None) -> None:
    kwargs = {} if value == EVENT_ACK_TIMEOUT else {"event_ack_timeout": value}
    with Client(gradio_app, verbose=False, **kwargs) as client:
        assert client._machine.config.event_ack_timeout == value
        assert client.predict("x", api_name="/echo") == "x"

    async def main() -> float | None:
        async with AsyncClient(gradio_app, verbose=False, **kwargs) as client:
            assert await client.predict("y", api_name="/echo") == "y"
            return client._machine.config.event_ack_timeout

    assert asyncio.run(asyncio.wait_for(main(), 60)) == value
