"""Failures on the client's own side -- an unreadable file to upload, a download folder
that cannot be written, the client closed while files wait to upload -- and an upload reply
it cannot use, against the real app: each job ends exactly once, with a typed error (or as
cancelled), never hangs, and a job the server may still be running is cancelled there."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from gradio_client import CancelledError, handle_file
from gradio_client.errors import FileError, HTTPStatusError

from ..contract.facades import FACADES
from .conftest import connected, ends_once, wait_for
from .proxy import FaultProxy, StreamFault

FILE_META = {"_type": "gradio.FileData"}


def unreadable_file(tmp_path: Path) -> str:
    """A regular file whose reading fails with an OSError, for root too."""
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        path = tmp_path / "unreadable.txt"
        path.write_bytes(b"no")
        path.chmod(0)
        return str(path)
    if sys.platform.startswith("linux"):
        return "/proc/self/mem"  # a regular file; reading at offset 0 fails with EIO
    pytest.skip("no way to make an unreadable file here")


def cancels(proxy: FaultProxy) -> list[Any]:
    return [r.json() for r in proxy.seen("POST", r"/cancel$")]


def first_output_becomes(ref: dict[str, Any], msg: str) -> StreamFault:
    """A stream fault that makes the first ``msg`` message's output the file ``ref``."""
    done: list[bool] = []

    def swap(message: dict[str, Any]) -> dict[str, Any]:
        if message.get("msg") == msg and not done and isinstance(message.get("output"), dict):
            done.append(True)
            return {**message, "output": {**message["output"], "data": [ref]}}
        return message

    return StreamFault(rewrite=swap)


# ------------------------------------------------------------------ uploads


async def test_unreadable_upload_fails_the_job(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """The file passes the checks at submit (it exists, it is a regular file) but cannot be
    read: the job fails with FileError naming it; nothing joins the queue; the client
    works on.  A directory is refused at submit already."""
    path = unreadable_file(tmp_path)
    async with connected(kind, proxy.url, tmp_path) as app:
        job = await app.submit(handle_file(path), api_name="/file_info")
        error = await ends_once(job, FileError)
        assert path in str(error)
        with pytest.raises(FileError, match="not a regular file"):  # a directory
            await app.submit({"path": str(tmp_path), "meta": FILE_META}, api_name="/file_info")
        assert await ends_once(await app.submit("still here", api_name="/echo")) == "still here"
    assert len(proxy.seen("POST", r"/queue/join$")) == 1  # the echo only


async def test_close_while_uploads_wait_cancels_them(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """With one worker, a first upload that never gets an answer holds it and a second job's
    upload waits behind it; closing the client ends both jobs as cancelled, at once (no
    job is left pending for ever), and neither joins the queue."""
    small = tmp_path / "small.txt"
    small.write_bytes(b"hello")
    proxy.respond("POST", r"/upload", 200, [], delay=float("inf"))
    app = await FACADES[kind].connect(
        proxy.url, download_files=str(tmp_path / "downloads"), max_workers=1
    )
    try:
        stuck = await app.submit(handle_file(small), api_name="/file_info")
        waiting = await app.submit(handle_file(small), api_name="/file_info")
        await wait_for(lambda: proxy.seen("POST", r"/upload"), "the first upload")
        assert not stuck.done() and not waiting.done()
    finally:
        await app.close()
    for job in (stuck, waiting):
        error = await ends_once(job, CancelledError, timeout=10.0)
        assert "closed" in str(error)
    assert not proxy.seen("POST", r"/queue/join$")


@pytest.mark.parametrize("reply", [b"<html>busy</html>", b"[]", b'{"files": "x"}'])
async def test_unusable_upload_reply_fails_the_job(kind: str, proxy: FaultProxy, tmp_path: Path, reply: bytes) -> None:
    """``POST /upload`` answers 200 with something that is not a list of server paths
    (HTML from an edge, an empty list, another shape): HTTPStatusError, not a hang."""
    small = tmp_path / "small.txt"
    small.write_bytes(b"hello")
    proxy.respond("POST", r"/upload", 200, reply, {"content-type": "application/json"}, times=1)
    async with connected(kind, proxy.url, tmp_path) as app:
        error = await ends_once(await app.submit(handle_file(small), api_name="/file_info"),
                                HTTPStatusError)
        assert "unexpected reply" in str(error)
        info = await ends_once(await app.submit(handle_file(small), api_name="/file_info"))
        assert info["size"] == 5


# ------------------------------------------------------------------ downloads


async def test_download_into_an_unusable_folder_fails_the_job(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """The download folder cannot be made (its parent is a regular file): the job whose
    output is a file fails with FileError instead of hanging; other jobs are unaffected."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    proxy.respond("GET", r"/file=", 200, b"payload", {"content-type": "text/plain"})
    proxy.stream(first_output_becomes({"path": "out.txt", "meta": FILE_META}, "process_completed"),
                 times=None)
    async with connected(kind, proxy.url, download_files=str(blocker / "downloads")) as app:
        error = await ends_once(await app.submit("x", api_name="/echo"), FileError)
        assert "not-a-folder" in str(error)
        assert await ends_once(await app.submit("fine", api_name="/echo")) == "fine"


async def test_failed_download_of_an_output_cancels_the_job_on_the_server(kind: str, proxy: FaultProxy, tmp_path: Path) -> None:
    """A generator's first output is a file that cannot be saved: the job fails with
    FileError at once, and since the server is still generating, it is told to cancel."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    proxy.respond("GET", r"/file=", 200, b"payload", {"content-type": "text/plain"})
    fault = proxy.stream(
        first_output_becomes({"path": "out.txt", "meta": FILE_META}, "process_generating"),
        times=None,
    ).fault
    assert fault is not None
    async with connected(kind, proxy.url, download_files=str(blocker / "downloads")) as app:
        job = await app.submit(50, 0.2, api_name="/sleep_gen")
        await ends_once(job, FileError, timeout=20.0)
        await wait_for(lambda: cancels(proxy), "POST /cancel", timeout=10.0)
        ids = {m.get("event_id") for m in fault.seen if m.get("msg") == "process_generating"}
        assert cancels(proxy)[0]["event_id"] in ids
        assert await ends_once(await app.submit("fine", api_name="/echo")) == "fine"
