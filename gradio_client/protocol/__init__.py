"""The functional core of gradio_client: the Gradio queue protocol without IO.

Nothing in this package opens a socket, reads a clock, starts a thread or draws a random
number (``tests/test_core_purity.py`` enforces it).  A shell feeds it bytes, replies and the
current time, and performs the actions it returns.  Modules:

``sse``       incremental text/event-stream decoder (bytes in, events out)
``messages``  every server message as a msgspec Struct, decoded by one reused decoder
``diff``      the generator diffs of sse_v2 onward, applied without mutating the input
``api``       the app's ``/config`` and ``/info``: endpoints, payloads, output shaping
``connect``   the connect flow (config, protocol, api prefix) as pure functions
``machine``   ``QueueMachine``: every job of one client, its streams, its statuses
``actions``   what the machine asks its shell to do
``job``       ``JobState``: one job's uploads, downloads, cancels and deadline around the machine
``status``    ``Status``/``StatusUpdate``/``OutputUpdate`` values handed to users
``errors``    the core's error hierarchy
"""
