"""The client contract: the same scenarios against every client, on a real Gradio 6.31 app.

Each test gets ``app`` (a facade over one client kind, connected to the kitchen-sink app
started once per run) and checks behaviour through the public API only.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trio

from gradio_client import AppError, CancelledError, Status, handle_file
from gradio_client.errors import (
    ArgumentError,
    AuthenticationError,
    EndpointNotFoundError,
    FileError,
    JobTimeoutError,
    SpaceError,
    ValidationError,
)

from .facades import FACADES

KINDS = sorted(FACADES)


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def app(kind: str, gradio_app: str, tmp_path: Path) -> AsyncIterator[Any]:
    facade = await FACADES[kind].connect(gradio_app, download_files=str(tmp_path / "downloads"))
    try:
        yield facade
    finally:
        await facade.close()


def codes(updates: list[Any]) -> list[str]:
    return [u.code.name for u in updates]


# ------------------------------------------------------------------ calls and arguments


async def test_predict_positional_and_keyword(app: Any) -> None:
    assert await app.predict(3, "add", 4, api_name="/calculator") == 7
    assert await app.predict(num1=6, operation="divide", num2=4, api_name="/calculator") == 1.5


async def test_defaults_are_filled(app: Any) -> None:
    assert await app.predict(1, api_name="/add") == 6
    assert await app.predict(1, b=2, api_name="/add") == 3


async def test_unicode_line_separators_survive(app: Any) -> None:
    text = "a\u2028b\u2029c\u0085d \U0001f600 \r\n end"
    assert await app.predict(text, api_name="/echo") == text


async def test_bad_calls_are_typed_errors_before_any_request(app: Any) -> None:
    with pytest.raises(EndpointNotFoundError, match="/echo"):
        await app.predict("x", api_name="/nope")
    with pytest.raises(EndpointNotFoundError, match="leading"):
        await app.predict("x", api_name="echo")
    with pytest.raises(ArgumentError, match="num2"):
        await app.predict(1, "add", api_name="/calculator")
    with pytest.raises(ArgumentError, match="bogus"):
        await app.predict(1, bogus=2, api_name="/add")
    with pytest.raises(EndpointNotFoundError):
        await app.predict("x", api_name="/secret")  # private endpoint
    assert await app.predict("x", api_name="/hidden") == "hidden:x"


async def test_view_api_lists_endpoints(app: Any) -> None:
    text = app.view_api(print_info=False, return_format="str")
    assert "/calculator" in text and "num1" in text and "/hidden" not in text
    info = app.view_api(print_info=False, return_format="dict")
    params = info["named_endpoints"]["/add"]["parameters"]
    assert [p["parameter_name"] for p in params] == ["a", "b"]
    assert params[1]["parameter_default"] == 5


# ------------------------------------------------------------------ generators and statuses


async def test_generator_outputs_statuses_and_result(app: Any) -> None:
    job = await app.submit(4, api_name="/count")
    outputs = await job.outputs()
    assert outputs == ["0", "0 1", "0 1 2", "0 1 2 3"]
    assert await job.result() == "0 1 2 3"
    seen = codes(job.updates())
    assert seen[-1] == "FINISHED" and seen.count("ITERATING") == 4 and "PROCESSING" in seen
    assert job.status().code is Status.FINISHED and job.status().success is True
    assert job.done()


async def test_predict_on_generator_returns_last_value(app: Any) -> None:
    assert await app.predict(30, api_name="/count_fast") == 29


async def test_progress_and_logs_are_all_kept(app: Any) -> None:
    job = await app.submit(3, api_name="/progress")
    await job.result()
    progress = [u for u in job.updates() if u.code is Status.PROGRESS]
    assert progress and progress[-1].progress_data[0].length in (3, 3.0)
    job = await app.submit("hey", api_name="/notify")
    assert await job.result() == "ok"
    logs = [u.log for u in job.updates() if u.code is Status.LOG]
    assert ("hey", "info") in logs and ("careful: hey", "warning") in logs


async def wait_for_status(job: Any, code: Status) -> None:
    with trio.fail_after(30):
        while not any(u.code is code for u in job.updates()) and not job.done():
            await trio.sleep(0.01)


async def test_queue_rank_is_reported(app: Any) -> None:
    # concurrency_limit=1: one runs, the others wait with 0-based ranks 0 and 1.  Each job
    # is submitted once the one before is running or waiting: joins sent on different
    # connections may reach Gradio's queue in any order.
    first = await app.submit(1.0, api_name="/slow")
    await wait_for_status(first, Status.PROCESSING)
    second = await app.submit(0.1, api_name="/slow")
    await wait_for_status(second, Status.IN_QUEUE)
    third = await app.submit(0.2, api_name="/slow")
    assert await third.result() == "slept 0.2" and await second.result() == "slept 0.1"
    assert (await first.result()).startswith("slept 1")
    ranks = [u.rank for u in third.updates() if u.code is Status.IN_QUEUE]
    assert 1 in ranks and [u.queue_size for u in third.updates() if u.queue_size][0] >= 2


async def test_many_concurrent_jobs(app: Any) -> None:
    jobs = [await app.submit(f"m{i}", api_name="/echo") for i in range(60)]
    results = [await job.result(timeout=60) for job in jobs]
    assert results == [f"m{i}" for i in range(60)]


# ------------------------------------------------------------------ state


async def test_session_state_and_reset(app: Any) -> None:
    assert [await app.predict(api_name="/counter") for _ in range(3)] == [1, 2, 3]
    await app.reset_session()
    assert await app.predict(api_name="/counter") == 1


async def test_chat_history_is_kept(app: Any) -> None:
    first = await app.predict("hello", api_name="/chat")
    second = await app.predict("again", api_name="/chat")
    assert len(second) > len(first)
    assert "again" in str(second)


# ------------------------------------------------------------------ files


def tiny_png(path: Path, width: int = 3, height: int = 2) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes([x * 80, y * 120, 7]) * 1 + bytes(3 * (width - 1)) for y in range(height) for x in [y])
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    path.write_bytes(png)


async def test_file_round_trip(app: Any, tmp_path: Path) -> None:
    source = tmp_path / "hello file.txt"
    source.write_bytes(b"abc\x00\xff123")
    for arg in (handle_file(str(source)), str(source)):  # plain paths count as files too
        out = await app.predict(arg, api_name="/file_roundtrip")
        local = Path(out)
        assert local.read_bytes() == b"abc\x00\xff123"[::-1]
        assert (tmp_path / "downloads") in local.parents


async def test_file_info_sees_upload(app: Any, tmp_path: Path) -> None:
    source = tmp_path / "data.bin"
    source.write_bytes(b"x" * 1234)
    info = await app.predict(handle_file(source), api_name="/file_info")
    assert info["size"] == 1234 and info["name"].endswith("data.bin")


async def test_image_round_trip(app: Any, tmp_path: Path) -> None:
    image = tmp_path / "tiny.png"
    tiny_png(image)
    out = Path(await app.predict(handle_file(image), api_name="/image_flip"))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def test_json_with_path_key_is_not_a_file(app: Any) -> None:
    assert await app.predict(api_name="/json_path") == {"path": "notafile.txt"}


async def test_missing_file_is_a_clear_error(app: Any, tmp_path: Path) -> None:
    with pytest.raises(FileError, match="does not exist"):
        handle_file(tmp_path / "missing.txt")


async def test_download_files_false_returns_references(kind: str, gradio_app: str, tmp_path: Path) -> None:
    app = await FACADES[kind].connect(gradio_app, download_files=False)
    try:
        source = tmp_path / "a.txt"
        source.write_text("xyz")
        ref = await app.predict(handle_file(source), api_name="/file_roundtrip")
        assert isinstance(ref, dict) and ref["path"] and ref["meta"]["_type"] == "gradio.FileData"
    finally:
        await app.close()


# ------------------------------------------------------------------ errors


async def test_gr_error_is_app_error(app: Any) -> None:
    with pytest.raises(AppError) as info:
        await app.predict("Custom failure", api_name="/fail")
    assert info.value.message == "Custom failure" and info.value.title == "MyTitle"
    with pytest.raises(AppError, match="Cannot divide by zero"):
        await app.predict(1, "divide", 0, api_name="/calculator")


async def test_plain_exception_is_app_error(app: Any) -> None:
    job = await app.submit(api_name="/crash")
    with pytest.raises(AppError):
        await job.result()
    assert job.status().code is Status.FINISHED and job.status().success is False
    assert await job.outputs() == []  # iteration ends (never hangs); result() raises


async def test_validation_error(app: Any) -> None:
    with pytest.raises(ValidationError) as info:
        await app.predict(-3, api_name="/validate")
    assert "x" in str(info.value)
    assert await app.predict(4, api_name="/validate") == 4


# ------------------------------------------------------------------ cancel and time


async def test_cancel_running_generator(app: Any) -> None:
    job = await app.submit(200, 0.05, api_name="/sleep_gen")
    with trio.fail_after(20):
        while not job.updates() or job.status().code is not Status.ITERATING:
            await trio.sleep(0.02)
    assert await job.cancel() is True
    with pytest.raises(CancelledError):
        await job.result()
    assert job.status().code is Status.CANCELLED
    assert await job.cancel() is False
    assert await app.predict("after", api_name="/echo") == "after"


async def test_job_timeout_cancels(app: Any) -> None:
    with pytest.raises(JobTimeoutError):
        await app.predict(3.0, api_name="/slow", job_timeout=0.3)
    assert await app.predict("still fine", api_name="/echo") == "still fine"


async def test_result_timeout_does_not_end_job(app: Any) -> None:
    job = await app.submit(0.5, api_name="/slow")
    with pytest.raises(TimeoutError):
        await job.result(timeout=0.05)
    assert await job.result(timeout=30) == "slept 0.5"


# ------------------------------------------------------------------ auth and Spaces


async def test_password_protected_app(kind: str, gradio_auth_app: str) -> None:
    with pytest.raises(AuthenticationError, match="auth="):
        await FACADES[kind].connect(gradio_auth_app)
    with pytest.raises(AuthenticationError, match="wrong"):
        await FACADES[kind].connect(gradio_auth_app, auth=("user", "nope"))
    app = await FACADES[kind].connect(gradio_auth_app, auth=("user", "pw"))
    try:
        assert await app.predict("secret ok", api_name="/echo") == "secret ok"
        job = await app.submit(3, api_name="/count")
        assert await job.outputs() == ["0", "0 1", "0 1 2"]
    finally:
        await app.close()


async def test_space_ids_resolve_through_the_hub(kind: str, gradio_app: str, hub: Any) -> None:
    hub.add_space("acme/calc", host=gradio_app.rstrip("/"))
    hub.add_space("acme/private", host=gradio_app.rstrip("/"), private=True, token="hf_secret")
    hub.add_space("acme/asleep", host=gradio_app.rstrip("/"), stage="SLEEPING")
    hub.add_space("acme/broken", host=gradio_app.rstrip("/"), stage="RUNTIME_ERROR")
    app = await FACADES[kind].connect("acme/calc")
    try:
        assert await app.predict(2, "multiply", 21, api_name="/calculator") == 42
    finally:
        await app.close()
    with pytest.raises(SpaceError, match="token"):
        await FACADES[kind].connect("acme/private")
    app = await FACADES[kind].connect("acme/private", token="hf_secret")
    await app.close()
    with pytest.raises(SpaceError, match="sleeping"):
        await FACADES[kind].connect("acme/asleep")
    with pytest.raises(SpaceError, match="crashed"):
        await FACADES[kind].connect("acme/broken")
    with pytest.raises(SpaceError, match="not found"):
        await FACADES[kind].connect("acme/unknown")
    sent = [r for r in hub.requests if r.path.startswith("/api/spaces/acme/private")]
    assert any(r.headers.get("authorization") == "Bearer hf_secret" for r in sent)


async def test_building_space_is_waited_for(kind: str, gradio_app: str, hub: Any) -> None:
    hub.add_space("acme/building", host=gradio_app.rstrip("/"), stage="BUILDING")
    hub.set_stage("acme/building", "RUNNING", after=1.0)
    app = await FACADES[kind].connect("acme/building")
    try:
        assert await app.predict("built", api_name="/echo") == "built"
    finally:
        await app.close()


async def test_private_space_uses_the_saved_token(
    kind: str, gradio_app: str, hub: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The token `huggingface-cli login` saved is used for Space ids, as huggingface_hub
    does; never for a plain URL."""
    hub.add_space("acme/mine", host=gradio_app.rstrip("/"), private=True, token="hf_saved")
    saved = tmp_path / "hf_home" / "token"
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text("hf_saved\n")
    app = await FACADES[kind].connect("acme/mine")
    await app.close()
    sent = [r for r in hub.requests if r.path.startswith("/api/spaces/acme/mine")]
    assert sent and all(r.headers.get("authorization") == "Bearer hf_saved" for r in sent)
    monkeypatch.setenv("HF_TOKEN", "hf_from_env")  # the environment comes first
    with pytest.raises(SpaceError, match="token"):
        await FACADES[kind].connect("acme/mine")
