"""Telling the sync client's worker pool that a short request has stalled.

The thread shell sends joins, cancels and other short requests from one pool thread in
turn (``_pool._Pool``).  A reply that never comes (a join a proxy holds, a server
that hangs) would hold that thread, and every job's join queued behind it, until the
read timeout.  The pool cannot see that from outside without a timer thread of its own;
the thread inside the read can.  ``StallBackend`` wraps httpcore's network backend: a
read on a thread that has a hook set (``watching``) first waits at most ``STALL`` seconds;
when nothing came by then it calls the hook once (the pool then counts the task as long
and may start another thread for the work queued behind it) and goes on reading for the
rest of the read timeout.  A recv that times out consumed nothing, so the second read
continues where the first left off, plain or TLS.  Threads without a hook (stream readers,
the caller's) read exactly as before, and so do reads that come within ``STALL``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.request import getproxies

import httpx

STALL = 2.0  # seconds a short request's read may wait before its thread counts as stalled

_local = threading.local()


@contextmanager
def watching(hook: Callable[[], None]) -> Iterator[None]:
    """Within this block, a read on this thread that waits past ``STALL`` calls ``hook``
    (once)."""
    _local.hook = hook
    try:
        yield
    finally:
        _local.hook = None


def _stalled() -> None:
    hook: Callable[[], None] | None = getattr(_local, "hook", None)
    if hook is not None:
        _local.hook = None  # once per task
        hook()


def stall_transport(kwargs: dict[str, Any]) -> httpx.HTTPTransport | None:
    """The default transport ``httpx.Client(**kwargs)`` would make, with ``StallBackend``;
    None when ``kwargs`` bring their own transport, a unix socket or a proxy, when proxies
    come from the environment (httpx reads them only when it makes the transport itself), or
    when httpcore has no network backend to wrap: the pool then only grows behind long
    tasks."""
    if {"transport", "mounts", "uds", "proxy"} & kwargs.keys():
        return None
    if kwargs.get("trust_env", True) and getproxies():
        return None  # httpx reads proxies from the environment only without a transport
    transport = httpx.HTTPTransport(
        verify=kwargs.get("verify", True),
        cert=kwargs.get("cert"),
        trust_env=kwargs.get("trust_env", True),
        http1=kwargs.get("http1", True),
        http2=kwargs.get("http2", False),
        limits=kwargs.get("limits", httpx.Limits(max_connections=100, max_keepalive_connections=20)),
    )
    import httpcore  # imported by the transport above; here for its types

    from ._stall_backend import StallBackend

    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(backend, httpcore.NetworkBackend):  # pragma: no cover - another httpcore
        return None
    pool._network_backend = StallBackend(backend)  # type: ignore[union-attr]
    return transport
