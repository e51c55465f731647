"""A small app that runs on gradio 4.44 and 5.50 (tests/dropin/test_older_gradio_on_ours.py):
a ``gr.Interface`` rendered inside a ``gr.Blocks`` that adds its own events.

    python small_app.py --port 7860

Endpoints: /greet (the Interface: text and a slider), /add (numbers), /count (a generator),
/file_info (a file in, a text and the same file out), /fail (raises ``gr.Error``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402


def greet(name: str, times: float) -> str:
    return " ".join([f"Hello {name}!"] * int(times))


def add(a: float, b: float) -> float:
    return a + b


def count(n: float):
    for i in range(int(n)):
        yield str(i)


def file_info(path: str) -> tuple[str, str]:
    data = Path(path).read_bytes()
    return f"{Path(path).name}: {len(data)} bytes", path


def fail(text: str) -> str:
    raise gr.Error(f"refused: {text}")


interface = gr.Interface(greet, [gr.Textbox(label="name"), gr.Slider(1, 3, step=1, label="times")],
                         gr.Textbox(label="greeting"), api_name="greet")

with gr.Blocks() as demo:
    interface.render()
    a, b, total = gr.Number(label="a"), gr.Number(label="b"), gr.Number(label="total")
    gr.Button("add").click(add, [a, b], total, api_name="add")
    n, counted = gr.Number(label="n"), gr.Textbox(label="counted")
    gr.Button("count").click(count, n, counted, api_name="count")
    upload, info, back = gr.File(label="upload"), gr.Textbox(label="info"), gr.File(label="back")
    gr.Button("info").click(file_info, upload, [info, back], api_name="file_info")
    text, out = gr.Textbox(label="text"), gr.Textbox(label="out")
    gr.Button("fail").click(fail, text, out, api_name="fail")

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=7860)
    args = parser.parse_args()
    demo.queue().launch(server_name="127.0.0.1", server_port=args.port, show_api=True)
