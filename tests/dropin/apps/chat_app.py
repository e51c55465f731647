"""An app (gradio 6.x) for the drop-in tests, three tabs: a streaming ChatInterface with an
extra input and examples, a multimodal ChatInterface, and one endpoint per component kind.

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


def identity(value):
    return value


COMPONENTS = [
    lambda: gr.Textbox(label="text"), lambda: gr.Number(value=3), lambda: gr.Slider(1, 9, step=2),
    lambda: gr.Checkbox(), lambda: gr.CheckboxGroup(["a", "b"]), lambda: gr.Radio(["x", "y"], value="x"),
    lambda: gr.Dropdown(["p", "q"], multiselect=True), lambda: gr.ColorPicker(), lambda: gr.DateTime(),
    lambda: gr.Code(language="python"), lambda: gr.JSON(), lambda: gr.Dataframe(), lambda: gr.Label(),
    lambda: gr.HighlightedText(), lambda: gr.Chatbot(), lambda: gr.Image(), lambda: gr.ImageEditor(),
    lambda: gr.ImageSlider(), lambda: gr.AnnotatedImage(), lambda: gr.Gallery(), lambda: gr.Audio(),
    lambda: gr.Video(), lambda: gr.Model3D(), lambda: gr.File(), lambda: gr.File(file_count="multiple"),
    lambda: gr.UploadButton(), lambda: gr.DownloadButton(), lambda: gr.MultimodalTextbox(),
    lambda: gr.Markdown(), lambda: gr.HTML(), lambda: gr.Plot(), lambda: gr.LinePlot(), lambda: gr.Dataset(
        components=["textbox"], samples=[["s"]]), lambda: gr.Textbox(type="password", value="pw"),
]


def components() -> gr.Blocks:
    """One identity endpoint per component kind (its /info entry is the component's schema,
    python_type, example and code snippets)."""
    with gr.Blocks() as demo:
        for i, make in enumerate(COMPONENTS):
            with gr.Row():
                a, b = make(), make()
                gr.Button(f"go {i}").click(identity, a, b, api_name=f"c{i}_{type(a).__name__.lower()}")
        state = gr.State(0)
        gr.Button("state").click(lambda s, t: (s + 1, t), [state, gr.Textbox()], [state, gr.Textbox()],
                                 api_name="with_state")
    return demo


def build() -> gr.Blocks:
    chat = gr.ChatInterface(
        respond,
        additional_inputs=[gr.Slider(0, 1, value=0.5, label="temperature")],
        examples=[["hello", 0.2], ["bye", 0.9]],
        title="echo",
    )
    multimodal = gr.ChatInterface(describe, multimodal=True, api_name="describe")
    return gr.TabbedInterface([chat, multimodal, components()], ["chat", "multimodal", "components"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    build().queue().launch(server_name="127.0.0.1", server_port=args.port, prevent_thread_lock=False,
                           show_error=True)


if __name__ == "__main__":
    main()
