"""The conformance scenarios, and what each Gradio generation is expected to answer.

One suite, three uses:

* live, against a real server of each generation (``tools/matrix.py``);
* live while recording the wire session (``tools/record.py`` -> tests/data/sessions/);
* from those recordings, with no server at all (``test_replay.py``).

A scenario is ``async def name(ctx)``: it connects through ``ctx.connect()`` (a facade over
the sync ``Client`` or the trio ``AsyncClient``, see tests/contract/facades.py) and asserts
through the public API only.  Values that differ between generations are looked up in
``ctx.gen`` (a :class:`Generation`), never loosened.  ``ctx.observe`` keeps a measurement
(a duration) in the recording so that a replay checks the value the live run saw;
``ctx.mark`` / ``ctx.wire_count`` look at the wire itself (what the server kept sending).
"""

from __future__ import annotations

import base64
import struct
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import trio

from gradio_client import AppError, CancelledError, Status, handle_file
from gradio_client.errors import ArgumentError, EndpointNotFoundError, HTTPStatusError


@dataclass(frozen=True)
class Generation:
    version: str
    protocol: str
    api_prefix: str
    number: type  # what gr.Number gives back for 3 + 4: 7.0 (float) or 7 (int)
    quoted_errors: bool  # gr.Error("x") arrives as "'x'"
    error_title: str  # gr.Error(title="MyTitle") -> title seen by the client
    error_duration: float | None  # gr.Error(duration=5) -> duration seen by the client
    image_output: str  # "data_url" (3.x base64) or "file" (downloaded path)
    json_path: str  # /json_path: "value", "server_error" (4.0-4.20), "forbidden" (4.21)
    hidden: bool  # the undocumented /hidden endpoint exists (show_api / api_visibility)
    cancel_route: bool  # the server has POST /cancel (>= 4.31)
    #: a job cancelled while queued is really dropped by the server.  4.31-5.x: no (their
    #: /cancel sends the "{}" completion but leaves the event queued, and it runs later).
    #: 4.9-4.30: no, unless the app has an event that ``cancels`` it: their /reset drops
    #: only an event whose generator has started, and the only other way (closing the
    #: session stream) drops every event of the session
    queued_cancel_honoured: bool = True
    #: 4.0.2 (sse v0) keeps the freed slot for the cancelled job's data ~5 s before moving on
    queued_cancel_delay: float = 0.0
    #: /info names parameters (``parameter_name``, defaults) only after 4.21: before,
    #: keyword arguments and parameter defaults are unknown to any client
    keyword_args: bool = True

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])


def _gen(version: str, protocol: str, **kw: Any) -> Generation:
    major = int(version.split(".")[0])
    defaults: dict[str, Any] = dict(
        api_prefix="/gradio_api" if major >= 5 else "",
        number=int,
        quoted_errors=major < 5,
        error_title="MyTitle" if major >= 5 else "Error",
        error_duration=5.0 if major >= 5 else None,
        image_output="data_url" if major < 4 else "file",
        json_path="value",
        hidden=True,
        cancel_route=tuple(int(p) for p in version.split(".")) >= (4, 31),
        keyword_args=tuple(int(p) for p in version.split(".")) >= (4, 22),
    )
    defaults.update(kw)
    return Generation(version=version, protocol=protocol, **defaults)


GENERATIONS: dict[str, Generation] = {
    g.version: g
    for g in [
        _gen("3.50.2", "ws", number=float, hidden=False),
        _gen("4.0.2", "sse", number=float, json_path="server_error", hidden=False,
             queued_cancel_delay=5.5),
        _gen("4.14.0", "sse_v1", json_path="server_error", queued_cancel_honoured=False),
        _gen("4.20.1", "sse_v2", json_path="server_error", queued_cancel_honoured=False),
        _gen("4.21.0", "sse_v2.1", json_path="forbidden", queued_cancel_honoured=False),
        _gen("4.44.1", "sse_v3", error_duration=5.0, queued_cancel_honoured=False),
        _gen("5.50.0", "sse_v3", queued_cancel_honoured=False),
        _gen("6.31.0", "sse_v3"),
    ]
}

#: (scenario, version) -> why it fails today; the fix is in the issue-5 report.  The
#: matrix shows these as "known"; replay tests mark them xfail(strict=True), so a fix
#: (and a re-recording) makes them fail loudly until the entry is removed.
KNOWN_BUGS: dict[tuple[str, str], str] = {}

#: (scenario, version, client kind) -> a race that fails some live runs only (recordings
#: are kept from passing runs, so replays never see it).
FLAKY: dict[tuple[str, str, str], str] = {}


class Facade(Protocol):
    async def predict(self, *args: Any, **kwargs: Any) -> Any: ...
    async def submit(self, *args: Any, **kwargs: Any) -> Any: ...
    async def reset_session(self) -> None: ...
    async def close(self) -> None: ...


class Context(Protocol):
    gen: Generation
    kind: str
    tmp: Path

    async def connect(self, **kwargs: Any) -> Any: ...
    def observe(self, name: str, value: float) -> float: ...
    def mark(self) -> int: ...
    def wire_count(self, needle: str, after: int) -> int: ...


Scenario = Callable[[Any], Awaitable[None]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(fn: Scenario) -> Scenario:
    SCENARIOS[fn.__name__] = fn
    return fn


def codes(updates: list[Any]) -> list[str]:
    return [u.code.name for u in updates]


async def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    with trio.move_on_after(timeout):
        while not condition():
            await trio.sleep(0.01)
        return
    raise AssertionError(f"timed out waiting for {what}")


def error_text(gen: Generation, message: str) -> str:
    return f"'{message}'" if gen.quoted_errors else message


def tiny_png(path: Path, width: int = 3, height: int = 2) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes([40 * y, 120, 7]) + bytes(3 * (width - 1)) for y in range(height))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    path.write_bytes(png)


# ------------------------------------------------------------------------------ scenarios


@scenario
async def calculator(ctx: Any) -> None:
    gen: Generation = ctx.gen
    app = await ctx.connect()
    try:
        seven = await app.predict(3, "add", 4, api_name="/calculator")
        assert seven == 7 and type(seven) is gen.number, f"3 + 4 gave {seven!r}"
        if gen.keyword_args:
            assert await app.predict(num1=6, operation="divide", num2=4, api_name="/calculator") == 1.5
            assert await app.predict(1, api_name="/add") == 6  # parameter default
        else:  # no parameter names in /info: keywords are refused before any request
            try:
                await app.predict(num1=6, operation="divide", num2=4, api_name="/calculator")
            except ArgumentError:
                pass
            else:
                raise AssertionError("keyword arguments should be refused on this version")
            assert await app.predict(6, "divide", 4, api_name="/calculator") == 1.5
            assert await app.predict(1, 2, api_name="/add") == 3
        try:
            await app.predict(1, "divide", 0, api_name="/calculator")
        except AppError as exc:
            assert exc.message == error_text(gen, "Cannot divide by zero!"), exc.message
        else:
            raise AssertionError("dividing by zero did not fail")
    finally:
        await app.close()


@scenario
async def echo(ctx: Any) -> None:
    app = await ctx.connect()
    try:
        text = "a\u2028b\u2029c\u0085d \U0001f600 \r\n end"
        assert await app.predict(text, api_name="/echo") == text
        if ctx.gen.hidden:
            assert await app.predict("x", api_name="/hidden") == "hidden:x"
        else:
            try:
                await app.predict("x", api_name="/hidden")
            except EndpointNotFoundError:
                pass
            else:
                raise AssertionError("/hidden should not exist on this version")
        try:
            await app.predict("x", api_name="/secret")
        except EndpointNotFoundError:
            pass
        else:
            raise AssertionError("/secret is private")
    finally:
        await app.close()


@scenario
async def generator(ctx: Any) -> None:
    app = await ctx.connect()
    try:
        job = await app.submit(4, api_name="/count")
        assert await job.outputs() == ["0", "0 1", "0 1 2", "0 1 2 3"]
        assert await job.result() == "0 1 2 3"
        seen = codes(job.updates())
        assert seen[-1] == "FINISHED" and seen.count("ITERATING") == 4 and "PROCESSING" in seen, seen
        expected_first = {"ws": "JOINING_QUEUE"}.get(ctx.gen.protocol, "IN_QUEUE")
        assert seen[0] == expected_first, seen
        assert ("SENDING_DATA" in seen) == (ctx.gen.protocol in ("ws", "sse")), seen
        assert await app.predict(30, api_name="/count_fast") == 29
    finally:
        await app.close()


@scenario
async def chat_state(ctx: Any) -> None:
    app = await ctx.connect()
    try:
        first = await app.predict("hello", api_name="/chat")
        second = await app.predict("again", api_name="/chat")
        assert first == [{"role": "user", "content": "hello"},
                         {"role": "assistant", "content": "#1: hello"}], first
        assert second == first + [{"role": "user", "content": "again"},
                                  {"role": "assistant", "content": "#2: again"}], second
        assert [await app.predict(api_name="/counter") for _ in range(3)] == [1, 2, 3]
        await app.reset_session()
        assert await app.predict(api_name="/counter") == 1
    finally:
        await app.close()


@scenario
async def files(ctx: Any) -> None:
    gen: Generation = ctx.gen
    app = await ctx.connect(download_files=str(ctx.tmp / "downloads"))
    try:
        source = ctx.tmp / "hello file.txt"
        source.write_bytes(b"abc\x00\xff123")
        out = Path(await app.predict(handle_file(str(source)), api_name="/file_roundtrip"))
        assert out.read_bytes() == b"321\xff\x00cba" and (ctx.tmp / "downloads") in out.parents
        info = await app.predict(handle_file(source), api_name="/file_info")
        assert info["size"] == 8 and info["name"].endswith("hello file.txt"), info
        image = ctx.tmp / "tiny.png"
        tiny_png(image)
        flipped = await app.predict(handle_file(image), api_name="/image_flip")
        if gen.image_output == "data_url":
            assert flipped.startswith("data:image/png;base64,"), flipped[:60]
            data = base64.b64decode(flipped.split(",", 1)[1])
        else:
            data = Path(flipped).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        # a plain path given to a file parameter is a file too
        out = Path(await app.predict(str(source), api_name="/file_roundtrip"))
        assert out.read_bytes() == b"321\xff\x00cba"
    finally:
        await app.close()


@scenario
async def json_not_file(ctx: Any) -> None:
    """A gr.JSON value {"path": ...} is data, not a file -- except where the server says so."""
    app = await ctx.connect(download_files=str(ctx.tmp / "downloads"))
    try:
        expected = ctx.gen.json_path
        try:
            value = await app.predict(api_name="/json_path")
        except AppError as exc:
            assert expected == "server_error", f"unexpected AppError {exc}"
            assert "notafile.txt" in exc.message
        except HTTPStatusError as exc:
            # 4.21 turns the dict into a FileData; the server then refuses to serve it
            assert expected == "forbidden" and exc.status_code == 403, exc
        else:
            assert expected == "value" and value == {"path": "notafile.txt"}, value
    finally:
        await app.close()


@scenario
async def progress(ctx: Any) -> None:
    app = await ctx.connect()
    try:
        job = await app.submit(3, api_name="/progress")
        assert await job.result() == "done 3"
        units = [u.progress_data for u in job.updates() if u.code is Status.PROGRESS]
        assert units and all(p[0].length == 3 and p[0].desc == "working" for p in units), units
        assert units[-1][0].index in (1, 2, 3), units  # throttled: not every tick is sent
    finally:
        await app.close()


@scenario
async def errors(ctx: Any) -> None:
    gen: Generation = ctx.gen
    app = await ctx.connect()
    try:
        try:
            await app.predict("Custom failure", api_name="/fail")
        except AppError as exc:
            assert exc.message == error_text(gen, "Custom failure"), exc.message
            assert exc.title == gen.error_title, exc.title
            assert exc.duration == gen.error_duration, exc.duration
        else:
            raise AssertionError("/fail did not fail")
        job = await app.submit(api_name="/crash")
        try:
            await job.result()
        except AppError as exc:
            assert exc.message == "boom", exc.message  # show_error=True: the text comes through
        else:
            raise AssertionError("/crash did not fail")
        assert job.status().code is Status.FINISHED and job.status().success is False
        # iteration ends (never hangs) without raising, as the official client's; result()
        # raised above
        outputs = await job.outputs()
        assert outputs == [], outputs
    finally:
        await app.close()


@scenario
async def logs(ctx: Any) -> None:
    app = await ctx.connect()
    try:
        job = await app.submit("hey", api_name="/notify")
        assert await job.result() == "ok"
        got = [u.log for u in job.updates() if u.code is Status.LOG]
        assert got == [("hey", "info"), ("careful: hey", "warning")], got
    finally:
        await app.close()


@scenario
async def queue_ranks(ctx: Any) -> None:
    """/slow has concurrency 1: the second and third wait, the third with rank 1 at first."""
    app = await ctx.connect()
    try:
        first = await app.submit(1.0, api_name="/slow")
        await wait_for(lambda: Status.PROCESSING in [u.code for u in first.updates()], "first to run")
        second = await app.submit(0.1, api_name="/slow")
        third = await app.submit(0.2, api_name="/slow")
        assert await first.result() == "slept 1"
        assert await second.result() == "slept 0.1"
        assert await third.result() == "slept 0.2"
        # 0-based ranks among the waiting jobs.  Which of the two is first depends on which
        # join reaches the server first (separate websockets / requests): not asserted.
        first_ranks = sorted(
            next(u.rank for u in job.updates() if u.code is Status.IN_QUEUE)
            for job in (second, third)
        )
        assert first_ranks == [0, 1], first_ranks
        behind = second if any(u.rank == 1 for u in second.updates()) else third
        ranks = [u.rank for u in behind.updates() if u.code is Status.IN_QUEUE]
        sizes = [u.queue_size for u in behind.updates() if u.code is Status.IN_QUEUE]
        assert ranks[0] == 1 and ranks[-1] in (0, 1), ranks
        assert max(s or 0 for s in sizes) >= 2, sizes
        assert codes(third.updates())[-1] == "FINISHED"
    finally:
        await app.close()


@scenario
async def cancel_running(ctx: Any) -> None:
    app = await ctx.connect()
    try:
        job = await app.submit(200, 0.05, api_name="/sleep_gen")
        await wait_for(lambda: job.status().code is Status.ITERATING, "the generator to yield")
        assert await job.cancel() is True
        mark = ctx.mark()
        try:
            await job.result()
        except CancelledError:
            pass
        else:
            raise AssertionError("a cancelled job returned a value")
        assert job.status().code is Status.CANCELLED
        assert await job.cancel() is False
        assert await app.predict("after", api_name="/echo") == "after"
        await trio.sleep(1.0 if ctx.live else 0)
        # the server must have stopped the generator: at most a yield or two in flight
        still = ctx.wire_count('"process_generating"', after=mark)
        assert still <= 3, f"the server kept running the cancelled generator ({still} yields after cancel)"
    finally:
        await app.close()


@scenario
async def cancel_queued(ctx: Any) -> None:
    """A job cancelled while queued never runs: the one behind it starts right away.

    The blocker runs in another client (another session): Gradio's cancel also kills the
    running jobs of the same endpoint in the *same* session (see the machine's docs).
    """
    blocker_app = await ctx.connect()
    app = await ctx.connect()
    try:
        started = time.monotonic()
        blocker = await blocker_app.submit(1.5, api_name="/slow")
        await wait_for(lambda: Status.PROCESSING in [u.code for u in blocker.updates()], "blocker")
        victim = await app.submit(2.0, api_name="/slow")
        after = await app.submit(0.1, api_name="/slow")
        await wait_for(lambda: Status.IN_QUEUE in [u.code for u in after.updates()], "queueing")
        assert await victim.cancel() is True
        mark = ctx.mark()
        try:
            await victim.result()
        except CancelledError:
            pass
        else:
            raise AssertionError("a cancelled job returned a value")
        assert await after.result() == "slept 0.1"
        elapsed = ctx.observe("after_done_s", time.monotonic() - started)
        assert await blocker.result() == "slept 1.5"
        # had the victim run (2 s), "after" would end > 3.5 s in; 1.5 s blocker + slack
        starts = ctx.wire_count('"process_starts"', after=mark)
        if ctx.gen.queued_cancel_honoured:
            assert elapsed < 3.0 + ctx.gen.queued_cancel_delay, f"the cancelled job ran on the server (next job done at {elapsed:.1f} s)"
            assert starts <= 1, f"{starts} jobs started after the cancel (only 'after' should)"
        else:  # the server runs it anyway; the client must still report it cancelled, once
            assert elapsed >= 3.0, f"this server was expected to run the cancelled job ({elapsed:.1f} s)"
    finally:
        await app.close()
        await blocker_app.close()


@scenario
async def many(ctx: Any) -> None:
    app = await ctx.connect()
    try:
        jobs = [await app.submit(f"m{i}", api_name="/echo") for i in range(50)]
        results = [await job.result(timeout=120) for job in jobs]
        assert results == [f"m{i}" for i in range(50)]
    finally:
        await app.close()


ORDER = list(SCENARIOS)
