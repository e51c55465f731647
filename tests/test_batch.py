"""Batch jobs against real gradio 6.31 apps: Client.map, ClientPool over replicas, the CLI.

Every test checks that each input row ends exactly once with the value the app computes for
it (``/calculator`` adds, so row ``i`` sent as ``(i, "add", 0.5)`` must come back as
``i + 0.5``), whatever was killed, cut or malformed on the way.
"""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import pytest

from gradio_client import Client
from gradio_client.batch import ClientPool, RowError
from gradio_client.cli import main as cli_main
from gradio_client.errors import AppError
from tests.servers.gradio_server import start_app


def rows(n: int) -> list[tuple[float, str, float]]:
    return [(float(i), "add", 0.5) for i in range(n)]


def test_map_one_replica_in_order(gradio_app):
    with Client(gradio_app, verbose=False) as client:
        results = list(client.map(rows(60), api_name="/calculator", concurrency=6))
    assert [i for i, _ in results] == list(range(60))
    assert [v for _, v in results] == [i + 0.5 for i in range(60)]


def test_map_unordered_reads_inputs_lazily(gradio_app):
    pulled = []

    def source():
        for i in range(40):
            pulled.append(i)
            yield {"num1": i, "operation": "add", "num2": 1}

    with Client(gradio_app, verbose=False) as client:
        run = client.map(source(), api_name="/calculator", concurrency=2, ordered=False)
        first = next(run)
        # the window bounds how far the input is read ahead of the results
        assert len(pulled) <= 16 + 1
        rest = list(run)
    got = dict([first, *rest])
    assert got == {i: i + 1.0 for i in range(40)}


def test_app_errors_are_recorded_once_and_never_retried(gradio_app):
    inputs = [(1.0, "add", 1.0), (1.0, "divide", 0.0), (2.0, "add", 2.0)]
    with Client(gradio_app, verbose=False) as client:
        results = dict(client.map(inputs, api_name="/calculator", retries=3))
        assert results[0] == 2.0 and results[2] == 4.0
        error = results[1]
        assert isinstance(error, RowError) and isinstance(error.error, AppError)
        assert error.attempts == 1 and not error.may_have_run
        assert "divide by zero" in error.message
        with pytest.raises(AppError):
            list(client.map(inputs, api_name="/calculator", on_error="raise"))


def test_a_replica_killed_mid_run_hands_its_rows_to_the_other():
    replica_a, replica_b = start_app(), start_app()
    try:
        with ClientPool([replica_a.url, replica_b.url], verbose=False) as pool:
            run = pool.map(rows(150), api_name="/calculator", concurrency=3, ordered=False)
            seen: dict[int, float] = {}
            for index, value in run:
                assert index not in seen, f"row {index} came out twice"
                seen[index] = value
                if len(seen) == 10:
                    replica_b.process.kill()
            stats = run.replica_stats()
        assert seen == {i: i + 0.5 for i in range(150)}
        assert stats[0]["done"] > stats[1]["done"]
        assert run.counts["failed"] == 0 and run.counts["retried"] >= 1
    finally:
        replica_b.stop()
        replica_a.stop()


def _cli(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    code = cli_main(list(argv), out=io.StringIO(), err=err)
    return code, err.getvalue()


def _records(path: Path) -> dict[int, dict]:
    records: dict[int, dict] = {}
    for line in path.read_text().splitlines():
        record = json.loads(line)
        assert record["index"] not in records, f"index {record['index']} written twice"
        records[record["index"]] = record
    return records


def test_cli_resumes_after_a_truncated_output(gradio_app, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps([i, "add", 0.5]) + "\n" for i in range(30)))
    output = tmp_path / "out.jsonl"
    code, err = _cli("batch", gradio_app, "--api-name", "/calculator", "--input", str(source),
                     "--output", str(output), "--quiet")
    assert code == 0, err
    full = _records(output)
    assert {i: r["output"] for i, r in full.items()} == {i: i + 0.5 for i in range(30)}
    # a crash mid-write: keep 12 whole lines and half of the 13th
    lines = output.read_bytes().splitlines(keepends=True)
    output.write_bytes(b"".join(lines[:12]) + lines[12][: len(lines[12]) // 2])
    code, err = _cli("batch", gradio_app, "--api-name", "/calculator", "--input", str(source),
                     "--output", str(output), "--quiet")
    assert code == 0, err
    assert "18 done, 0 failed, 12 already in" in err
    assert {i: r["output"] for i, r in _records(output).items()} == {i: i + 0.5 for i in range(30)}


def test_cli_malformed_line_is_named_and_nothing_else_is_lost(gradio_app, tmp_path):
    source = tmp_path / "in.jsonl"
    lines = [json.dumps([i, "add", 1]) for i in range(6)]
    lines[3] = '[3, "add", '  # cut JSON on line 4
    lines.insert(5, "")  # a blank line is not a row
    source.write_text("\n".join(lines) + "\n")
    output = tmp_path / "out.jsonl"
    code, err = _cli("batch", gradio_app, "--api-name", "/calculator", "--input", str(source),
                     "--output", str(output), "--quiet")
    assert code == 1
    records = _records(output)
    assert sorted(records) == list(range(6))
    assert records[3]["error"]["type"] == "BadInput"
    assert "input line 4" in records[3]["error"]["message"]
    assert {i: r["output"] for i, r in records.items() if i != 3} == \
        {i: i + 1.0 for i in range(6) if i != 3}


def test_cli_csv_header_names_parameters_and_types_convert(gradio_app, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("num1,operation,num2\n1,add,2\n2.5,multiply,4\n")
    output = tmp_path / "out.jsonl"
    code, err = _cli("batch", gradio_app, "--api-name", "/calculator", "--input", str(source),
                     "--output", str(output), "--quiet")
    assert code == 0, err
    assert {i: r["output"] for i, r in _records(output).items()} == {0: 3.0, 1: 10.0}


def test_closing_a_run_cancels_running_rows(gradio_app):
    with Client(gradio_app, verbose=False) as client:
        run = client.map([(0.5,)] * 6, api_name="/slow", concurrency=2)
        index, value = next(run)
        assert (index, value) == (0, "slept 0.5")
        run.close()
        assert list(run) == []
        assert run.counts == {"done": 1, "failed": 0, "retried": 0, "may_have_run": 0}
        # the client is still usable, and the cancelled rows ended
        assert client.predict("x", api_name="/echo") == "x"


# ------------------------------------------------------------------ AsyncClient.map


async def _async_map(url: str) -> tuple[list, int]:
    from gradio_client import AsyncClient

    async with AsyncClient(url, verbose=False) as client:
        inputs = [(float(i), "add", 0.5) for i in range(30)]
        inputs[7] = (1.0, "divide", 0.0)  # an app error: recorded once
        got = [pair async for pair in client.map(inputs, api_name="/calculator", concurrency=4)]
        return got, threading.active_count()


def _check_async(got: list) -> None:
    assert [i for i, _ in got] == list(range(30))
    for i, value in got:
        if i == 7:
            assert isinstance(value, RowError) and isinstance(value.error, AppError)
            assert value.attempts == 1
        else:
            assert value == i + 0.5


def test_async_map_on_trio(gradio_app):
    import trio

    got, threads = trio.run(_async_map, gradio_app)
    _check_async(got)


def test_async_map_on_asyncio_uses_no_thread(gradio_app):
    import asyncio

    before = threading.active_count()
    got, threads = asyncio.run(asyncio.wait_for(_async_map(gradio_app), 120))
    _check_async(got)
    assert threads == before
