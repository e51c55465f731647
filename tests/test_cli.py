"""The command line, run in-process against the real example app."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gradio_client.cli import describe, main, parse_value
from gradio_client.protocol.messages import ProgressUnit
from gradio_client.protocol.status import Status, StatusUpdate


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_api(gradio_app: str) -> None:
    code, out, _ = run("api", gradio_app)
    assert code == 0 and "/calculator" in out and "num1" in out
    code, out, _ = run("api", gradio_app, "--json")
    assert "/echo" in json.loads(out)["named_endpoints"]


def test_predict_plain_and_keyword(gradio_app: str) -> None:
    code, out, err = run("predict", gradio_app, "--api-name", "/calculator", "2", "multiply", "--kw", "num2=21")
    assert (code, out.strip()) == (0, "42") and "processing" in err


def test_predict_streams_generator_outputs(gradio_app: str) -> None:
    code, out, _ = run("predict", gradio_app, "--api-name", "/count", "3")
    assert code == 0 and out.splitlines() == ["0", "0 1", "0 1 2"]


def test_predict_json_lines(gradio_app: str) -> None:
    code, out, _ = run("predict", gradio_app, "--api-name", "/progress", "2", "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert any(l["type"] == "status" and l["code"] == "PROGRESS" for l in lines)
    assert lines[-2] == {"type": "result", "value": lines[-2]["value"]} and lines[-1]["code"] == "FINISHED"


def test_predict_uploads_paths(gradio_app: str, tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("abc")
    code, out, _ = run("predict", gradio_app, "--api-name", "/file_roundtrip", str(source),
                       "--download-dir", str(tmp_path / "dl"))
    assert code == 0 and Path(out.strip()).read_text() == "cba"


def test_errors_are_one_line_and_non_zero(gradio_app: str) -> None:
    code, out, err = run("predict", gradio_app, "--api-name", "/fail", "broken\nthing")
    assert code == 1 and out == "" and err.splitlines()[-1] == "error: AppError: broken thing"
    code, out, err = run("predict", gradio_app, "--api-name", "/nope", "--json")
    assert code == 1 and json.loads(out)["error"] == "EndpointNotFoundError"
    code, _, err = run("predict", "http://127.0.0.1:9", "--api-name", "/x")
    assert code == 1 and err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_usage_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as info:
        run("predict", "http://x", "--bogus")
    assert info.value.code == 2


def test_module_entry_point(gradio_app: str) -> None:
    done = subprocess.run([sys.executable, "-m", "gradio_client", "predict", gradio_app, "--api-name", "/echo", "hi"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "hi"


def test_values_and_descriptions() -> None:
    assert parse_value("3") == 3 and parse_value("[1, 2]") == [1, 2] and parse_value("hello") == "hello"
    assert describe(StatusUpdate(code=Status.IN_QUEUE, rank=1, queue_size=4, eta=2.0)) == "queued: position 2/4, eta 2.0s"
    bar = describe(StatusUpdate(code=Status.PROGRESS, progress_data=[ProgressUnit(index=5, length=10, unit="steps", desc="go")]))
    assert bar == "[##########..........] 5/10 steps go"
    assert describe(StatusUpdate(code=Status.PROGRESS, progress_data=[ProgressUnit(progress=0.25)])) == "progress 25%"


def test_arguments_follow_the_parameter_types(gradio_app: str) -> None:
    """Text parameters take the argument as it is (no JSON); others still parse JSON."""
    from gradio_client import Client

    text = '{"a": 1}'
    code, out, _ = run("predict", gradio_app, "--api-name", "/echo", text)
    with Client(gradio_app, verbose=False) as client:
        expected = client.predict(text, api_name="/echo")
    assert (code, out.strip()) == (0, expected) and expected == text
    code, out, _ = run("predict", gradio_app, "--api-name", "/echo", "--kw", "text=[1, 2]")
    assert (code, out.strip()) == (0, "[1, 2]")
    code, out, _ = run("predict", gradio_app, "--api-name", "/add", "2", "--kw", "b=3.5")
    assert (code, float(out)) == (0, 5.5)


def test_a_missing_file_is_a_file_error(gradio_app: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    code, out, err = run("predict", gradio_app, "--api-name", "/file_roundtrip", str(missing))
    assert code == 1 and out == ""
    assert err.splitlines()[-1].startswith(f"error: FileError: File {str(missing)!r} does not exist")


def test_help_has_examples_and_describes_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["predict", "--help"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 0
        text = capsys.readouterr().out
        assert "examples:" in text and "gradio-client predict" in text
    for option in ("--header NAME:VALUE", "--kw NAME=VALUE"):
        line = text.split(option, 1)[1].split("\n  -", 1)[0]
        assert len(line.split()) > 3, (option, line)  # it has a help text
