"""Record a client's wire session against a live Gradio server, and replay it without one.

Recording::

    from gradio_client import Client
    from gradio_client.testing import Recorder

    with Recorder("http://127.0.0.1:7860", server_tmp="/tmp/gradio-xyz") as rec:
        client = Client("http://127.0.0.1:7860", httpx_kwargs={"transport": rec.transport()})
        client.predict("hi", api_name="/echo")
        client.close()
    rec.save("tests/data/sessions/6.31.0/echo.json", scenario="echo")

Replaying (no server, no socket)::

    from gradio_client.testing import Replay

    with Replay.load("tests/data/sessions/6.31.0/echo.json") as replay:
        client = Client(replay.url, httpx_kwargs={"transport": replay.transport()})
        assert client.predict("hi", api_name="/echo") == "hi"
        client.close()
    assert not replay.problems

What is recorded (the format is described in ``tests/data/sessions/README.md``):

* every HTTP exchange, in the order the client made them: method, URL, request body,
  status, content type, and the response body; event streams keep their chunks as the
  client received them and how they ended (end of stream, client closed, broken);
* every websocket (Gradio 3.x): the frames in both directions and who closed it;
* the queue machine's inputs and the actions it answered with (``machines``), so the
  protocol core can be replayed alone (:func:`replay_machine`).  The recorder is each
  machine's observer (``QueueMachine(..., observer=...)``, through
  ``protocol.machine.watch_machines``); actions are kept whole (:func:`encode_action`:
  every field, tagged with its class), and a replay compares every field.  Sessions of
  format 1 (positional, :func:`describe_action`) are still read.

Each item carries a global sequence number.  A replay serves a stream's chunk (or a
websocket frame) only once the client has made every request the recording shows before
it, so timing-dependent scenarios (cancel a job once it runs, three jobs queued behind a
slow one) see the same interleaving as the live run.

Volatile values become placeholders on save: the server's URL is
``http://gradio.invalid`` (host ``gradio.invalid``), its temp dir ``/srv/gradio-tmp``,
and session hashes ``{session-1}``, ``{session-2}`` ... in order of creation.
"""


from __future__ import annotations

from ._format import (
    BEFORE_FIELDS,
    FORMAT,
    HOST,
    ROOT,
    SERVER_TMP,
    describe_action,
    encode_action,
    replay_machine,
)
from ._replay_io import AsyncReplayTransport, ReplayTransport
from .record import AsyncRecordingTransport, Recorder, RecordingTransport
from .replay import Replay

__all__ = [
    "BEFORE_FIELDS",
    "FORMAT",
    "HOST",
    "ROOT",
    "SERVER_TMP",
    "AsyncRecordingTransport",
    "AsyncReplayTransport",
    "Recorder",
    "RecordingTransport",
    "Replay",
    "ReplayTransport",
    "describe_action",
    "encode_action",
    "replay_machine",
]
