"""A ChatInterface app (gradio 6.x) for the drop-in tests: a streaming text chat with an extra
input and examples, and a multimodal chat, as two tabs.

    python chat_app.py --port 7860
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402


def respond(message: str, history: list[dict[str, str]], temperature: float):
    """Echo the message back one character at a time."""
    text = f"({temperature}) {message}"
    for i in range(1, len(text) + 1):
        yield text[:i]


def describe(message: dict, history: list[dict[str, str]]) -> str:
    files = message.get("files") or []
    return f"{message.get('text', '')} [{len(files)} file(s)]"


def build() -> gr.Blocks:
    chat = gr.ChatInterface(
        respond,
        additional_inputs=[gr.Slider(0, 1, value=0.5, label="temperature")],
        examples=[["hello", 0.2], ["bye", 0.9]],
        title="echo",
    )
    multimodal = gr.ChatInterface(describe, multimodal=True, api_name="describe")
    return gr.TabbedInterface([chat, multimodal], ["chat", "multimodal"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    build().queue().launch(server_name="127.0.0.1", server_port=args.port, prevent_thread_lock=False,
                           show_error=True)


if __name__ == "__main__":
    main()
