"""A big app: 300 endpoints (on gradio 6.31 a /config of 1.3 MB and an /info of 0.6 MB).

    python big_app.py --port 7860 [--endpoints 300]

For measuring what ``Client()`` costs on a large app (``bench/bigapp.py``). Endpoint ``/f<i>``
takes a text, a number and a dropdown choice and returns
``"<i>:<text>:<number + i>:<choice>"``. Binds 127.0.0.1 only; runs on gradio 4.x-6.x.
"""

from __future__ import annotations

import argparse
from typing import Any

import gradio as gr

CHOICES = [f"choice {k}" for k in range(6)]


def handler(i: int) -> Any:
    def fn(text: str, number: float, choice: str) -> str:
        return f"{i}:{text}:{(number or 0) + i}:{choice}"

    fn.__name__ = f"f{i}"
    fn.__doc__ = f"Endpoint {i}: echoes its arguments, with its index added to the number."
    return fn


def build(endpoints: int) -> gr.Blocks:
    with gr.Blocks(title="big app") as demo:
        for i in range(endpoints):
            with gr.Row():
                text = gr.Textbox(label=f"text {i}", info=f"the text of endpoint {i}", placeholder="type here")
                number = gr.Number(label=f"number {i}", value=i)
                choice = gr.Dropdown(CHOICES, value=CHOICES[0], label=f"choice {i}")
                out_text = gr.Textbox(label=f"result text {i}")
                button = gr.Button(f"run {i}")
            button.click(handler(i), [text, number, choice], out_text, api_name=f"f{i}")
    return demo


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=7860)
    ap.add_argument("--endpoints", type=int, default=300)
    args = ap.parse_args()
    build(args.endpoints).queue(default_concurrency_limit=16).launch(
        server_name="127.0.0.1", server_port=args.port, prevent_thread_lock=False, quiet=True)


if __name__ == "__main__":
    main()
