"""One Gradio app with many endpoints, used by the tests, the benchmarks and the demo.

    python kitchen_sink.py --port 7860 [--auth user:pw] [--hide-errors] [--concurrency N]

Runs unchanged on gradio 3.50, 4.x, 5.x and 6.x (branching on ``gradio.__version__``), binds
127.0.0.1 only, and never reaches the network.  The api_names below are relied on by tests across
the repository: keep them exactly.

    /calculator(num1, operation, num2) -> float     divide by zero: gr.Error("Cannot divide by zero!")
    /echo(text) -> str                               trivial, for latency benchmarks
    /add(a, b=5) -> float                            parameter with a default
    /count(n) -> str                                 generator: "0", "0 1", ... (string "append" diffs)
    /count_fast(n) -> int                            generator 0..n-1, no sleep
    /chat(message, [state]) -> list                  gr.JSON history kept in gr.State: after two calls
                                                     [{"role": "user", "content": m1},
                                                      {"role": "assistant", "content": "#1: " + m1}, ... "#2: " + m2]
    /counter([state]) -> int                         calls so far in this session
    /image_flip(image filepath) -> image             mirrored left-right
    /file_roundtrip(file) -> file                    new file, content reversed
    /file_info(file) -> {"name", "size"}
    /progress(steps) -> str                          gr.Progress, one tick per step
    /fail(message) -> str                            gr.Error(message, title="MyTitle", duration=5) where supported
    /crash() -> str                                  RuntimeError("boom")
    /notify(text) -> str                             gr.Info(text), gr.Warning("careful: " + text), returns "ok"
    /slow(seconds) -> str                            sleeps, returns "slept N"; concurrency limit 1
    /sleep_gen(n, seconds) -> int                    generator: yield i, then sleep
    /json_path() -> {"path": "notafile.txt"}         a dict that merely looks like a file
    /validate(x) -> int                              6.x only: validator rejects x < 0
    /secret(text) -> str                             private endpoint (6.x: api_visibility="private";
                                                     older: api_name=False, so it has no name there)
    /hidden(text) -> str                             undocumented (6.x api_visibility, 4.x/5.x show_api=False)

On 3.x the queue has no per-event limit: ``--concurrency`` (default 1) sets the queue's
``concurrency_count`` so that /slow still makes a second job wait with rank 1.  On 4.x+ every event
except /slow gets ``--concurrency`` (default 16) slots.
"""

from __future__ import annotations

import argparse
import inspect
import os
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr  # noqa: E402

VERSION = tuple(int("".join(c for c in part if c.isdigit()) or 0) for part in gr.__version__.split(".")[:3])
GR3 = VERSION < (4,)
GR6 = VERSION >= (6,)

OPERATIONS = ["add", "subtract", "multiply", "divide"]


# ---------------------------------------------------------------------------- endpoints
def calculator(num1: float, operation: str, num2: float) -> float:
    if operation == "add":
        return num1 + num2
    if operation == "subtract":
        return num1 - num2
    if operation == "multiply":
        return num1 * num2
    if operation == "divide":
        if num2 == 0:
            raise gr.Error("Cannot divide by zero!")
        return num1 / num2
    raise gr.Error(f"Unknown operation {operation!r}")


def echo(text: str) -> str:
    return text


def add(a: float, b: float = 5) -> float:
    return a + b


def count(n: int):  # type: ignore[no-untyped-def]
    for i in range(int(n)):
        yield " ".join(str(k) for k in range(i + 1))
        time.sleep(0.01)


def count_fast(n: int):  # type: ignore[no-untyped-def]
    for i in range(int(n)):
        yield i


def chat(message: str, history: list[dict[str, str]] | None):  # type: ignore[no-untyped-def]
    history = list(history or [])
    turn = len(history) // 2 + 1
    history.append({"role": "user", "content": message})
    history.append({"role": "assistant", "content": f"#{turn}: {message}"})
    return history, history


def counter(n: int | None):  # type: ignore[no-untyped-def]
    n = (n or 0) + 1
    return n, n


def _out_dir() -> Path:
    # Under the temp dir, which every gradio version allows serving files from.
    return Path(tempfile.mkdtemp(prefix="ks_", dir=tempfile.gettempdir()))


def _path_of(f: Any) -> str:
    # 4.x+: a filepath str; 3.x: a tempfile wrapper with .name (or a dict in some versions)
    if isinstance(f, str):
        return f
    if isinstance(f, dict):
        return str(f.get("path") or f.get("name"))
    return str(f.name)


def image_flip(img: Any) -> str:
    from PIL import Image, ImageOps

    with Image.open(_path_of(img)) as im:
        flipped = ImageOps.mirror(im.convert("RGB"))
        out = _out_dir() / "flipped.png"
        flipped.save(out)
    return str(out)


def file_roundtrip(f: Any) -> str:
    src = Path(_path_of(f))
    out = _out_dir() / f"reversed_{src.name}"
    out.write_bytes(src.read_bytes()[::-1])
    return str(out)


def file_info(f: Any) -> dict[str, Any]:
    src = Path(_path_of(f))
    return {"name": src.name, "size": src.stat().st_size}


def progress(steps: int, progress=gr.Progress()) -> str:  # type: ignore[no-untyped-def]  # noqa: B008
    for _ in progress.tqdm(range(int(steps)), desc="working"):
        time.sleep(0.05)
    return f"done {int(steps)}"


_ERROR_PARAMS = inspect.signature(gr.Error.__init__).parameters


def fail(message: str) -> str:
    kwargs: dict[str, Any] = {}
    if "title" in _ERROR_PARAMS:
        kwargs["title"] = "MyTitle"
    if "duration" in _ERROR_PARAMS:
        kwargs["duration"] = 5
    raise gr.Error(message, **kwargs)


def crash() -> str:
    raise RuntimeError("boom")


def notify(text: str) -> str:
    gr.Info(text)
    gr.Warning("careful: " + text)
    return "ok"


def slow(seconds: float) -> str:
    time.sleep(float(seconds))
    return f"slept {float(seconds):g}"


def sleep_gen(n: int, seconds: float):  # type: ignore[no-untyped-def]
    for i in range(int(n)):
        yield i
        time.sleep(float(seconds))


def json_path() -> dict[str, str]:
    return {"path": "notafile.txt"}


def validate(x: int) -> int:
    return int(x)


def validate_check(x: int):  # type: ignore[no-untyped-def]
    return gr.validate(x is not None and x >= 0, "x must be non-negative")


def secret(text: str) -> str:
    return "secret:" + text


def hidden(text: str) -> str:
    return "hidden:" + text


# ---------------------------------------------------------------------------- wiring
def _file_input(label: str) -> Any:
    return gr.File(label=label, type="file" if GR3 else "filepath")


def build(concurrency: int) -> gr.Blocks:
    button_cls = gr.Button
    click_params: set[str] | None = None

    def wire(name: str, fn: Any, inputs: list[Any], outputs: list[Any], visibility: str = "public",
             **extra: Any) -> None:
        nonlocal click_params
        button = button_cls(name)
        if click_params is None:
            click_params = set(inspect.signature(button.click).parameters)
        kwargs: dict[str, Any] = {"api_name": name}
        if visibility != "public":
            if "api_visibility" in click_params:
                kwargs["api_visibility"] = visibility
            elif visibility == "private":
                kwargs["api_name"] = False
            elif "show_api" in click_params:
                kwargs["show_api"] = False
            else:
                return  # no way to express "undocumented" on this version
        if not GR3 and "concurrency_limit" in click_params:
            kwargs["concurrency_limit"] = extra.pop("concurrency_limit", concurrency)
        extra.pop("concurrency_limit", None)
        for key, value in extra.items():
            if key in click_params:
                kwargs[key] = value
        button.click(fn, inputs, outputs, **kwargs)

    with gr.Blocks(title="gradio_client kitchen sink") as demo:
        wire("calculator", calculator,
             [gr.Number(label="num1"), gr.Radio(OPERATIONS, label="operation"), gr.Number(label="num2")],
             [gr.Number(label="result")])
        wire("echo", echo, [gr.Textbox(label="text")], [gr.Textbox(label="echoed")])
        wire("add", add, [gr.Number(label="a"), gr.Number(value=5, label="b")], [gr.Number(label="sum")])
        wire("count", count, [gr.Number(label="n", precision=0)], [gr.Textbox(label="counted")])
        wire("count_fast", count_fast, [gr.Number(label="n", precision=0)],
             [gr.Number(label="i", precision=0)])

        history = gr.State([])
        wire("chat", chat, [gr.Textbox(label="message"), history], [gr.JSON(label="chatbot"), history])
        calls = gr.State(0)
        wire("counter", counter, [calls], [gr.Number(label="calls", precision=0), calls])

        wire("image_flip", image_flip, [gr.Image(label="image", type="filepath")],
             [gr.Image(label="flipped", type="filepath")])
        wire("file_roundtrip", file_roundtrip, [_file_input("file")], [gr.File(label="reversed")])
        wire("file_info", file_info, [_file_input("file")], [gr.JSON(label="info")])

        wire("progress", progress, [gr.Number(label="steps", precision=0)], [gr.Textbox(label="status")])
        wire("fail", fail, [gr.Textbox(label="message")], [gr.Textbox(label="never")])
        wire("crash", crash, [], [gr.Textbox(label="never")])
        wire("notify", notify, [gr.Textbox(label="text")], [gr.Textbox(label="result")])
        wire("slow", slow, [gr.Number(label="seconds")], [gr.Textbox(label="result")], concurrency_limit=1)
        wire("sleep_gen", sleep_gen, [gr.Number(label="n", precision=0), gr.Number(label="seconds")],
             [gr.Number(label="i", precision=0)])
        wire("json_path", json_path, [], [gr.JSON(label="json")])

        if click_params and "validator" in click_params:
            wire("validate", validate, [gr.Number(label="x", precision=0)],
                 [gr.Number(label="x", precision=0)], validator=validate_check)
        wire("secret", secret, [gr.Textbox(label="text")], [gr.Textbox(label="result")],
             visibility="private")
        wire("hidden", hidden, [gr.Textbox(label="text")], [gr.Textbox(label="result")],
             visibility="undocumented")
    return demo


def _exit_with_parent() -> None:
    """The test harness sets GCX_PARENT_PID: exit when that process is gone (no orphan servers
    when pytest is killed)."""
    parent = os.environ.get("GCX_PARENT_PID")
    if not parent:
        return
    import threading

    def watch() -> None:
        while True:
            time.sleep(1)
            if os.getppid() != int(parent):
                os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def main() -> None:
    _exit_with_parent()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--auth", help="user:password; protects the whole app")
    parser.add_argument("--hide-errors", action="store_true", help="launch with show_error=False")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="3.x: queue concurrency_count (default 1); 4.x+: default per-event limit (16)")
    args = parser.parse_args()

    concurrency = args.concurrency if args.concurrency is not None else (1 if GR3 else 16)
    demo = build(concurrency)
    if GR3:
        demo.queue(concurrency_count=concurrency)
    elif "default_concurrency_limit" in inspect.signature(demo.queue).parameters:
        demo.queue(default_concurrency_limit=concurrency)
    else:  # 4.0-4.x early: only per-event limits, which wire() sets on every event
        demo.queue()

    launch_kwargs: dict[str, Any] = {
        "server_name": "127.0.0.1",
        "server_port": args.port,
        "show_error": not args.hide_errors,
        "share": False,
        "inbrowser": False,
        "ssr_mode": False,
        "quiet": False,
    }
    if args.auth:
        user, _, password = args.auth.partition(":")
        launch_kwargs["auth"] = (user, password)
    accepted = set(inspect.signature(demo.launch).parameters)
    demo.launch(**{k: v for k, v in launch_kwargs.items() if k in accepted})


if __name__ == "__main__":
    main()
