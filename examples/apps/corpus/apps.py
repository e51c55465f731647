"""The differential corpus: one small Gradio app per app kind or component family.

Each ``build_<name>()`` returns a ``gr.Blocks`` (Interface, ChatInterface and TabbedInterface
are Blocks).  ``serve.py`` mounts them all in one server process, one path each
(``/interface/``, ``/chat/``, ...), or launches one standalone.  ``tests/differential/`` calls
every endpoint through this client and through the official one and compares the results.

Written for gradio 6.x; the older generations run what their gradio has (a builder that raises
on an old gradio is left out by ``serve.py`` and reported on stderr).  Nothing here reaches the
network.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

GR_VERSION = tuple(int("".join(c for c in part if c.isdigit()) or 0)
                   for part in gr.__version__.split(".")[:2])


def _undocumented() -> dict[str, Any]:
    """The event keyword that hides an endpoint from the API page but keeps it callable."""
    return {"api_visibility": "undocumented"} if GR_VERSION >= (6, 0) else {"show_api": False}


def _upper(text: str, times: float) -> str:
    """Repeat the upper-cased text.

    Args:
        text: the text to shout
        times: how many times
    """
    return " ".join([text.upper()] * int(times))


def build_interface() -> gr.Blocks:
    """A plain Interface: /predict, plus the flagging and lambda endpoints it adds."""
    return gr.Interface(
        _upper,
        [gr.Textbox(label="Text"), gr.Number(value=2, label="Times")],
        gr.Textbox(label="Shout"),
        examples=[["hi", 1]],
        api_name="predict",  # the name older gradios give it; 6.x would name it after the fn
    )


def _count(n: float) -> Iterator[str]:
    out = ""
    for i in range(int(n)):
        out += str(i)
        yield out


def _progress(steps: float, progress: gr.Progress = gr.Progress()) -> str:
    for _ in progress.tqdm(range(int(steps))):
        time.sleep(0.01)
    return f"done {int(steps)}"


def _fail(message: str) -> str:
    raise gr.Error(message)


def _crash() -> str:
    raise RuntimeError("boom")


def _visits(state: int | None) -> tuple[int, int]:
    n = (state or 0) + 1
    return n, n


def build_blocks() -> gr.Blocks:
    """Blocks: named, unnamed-by-default, api_name=False, undocumented, state, generator,
    progress, gr.Error, a crash, a concurrency limit and a JavaScript-only event."""
    with gr.Blocks() as demo:
        text = gr.Textbox(label="Input")
        out = gr.Textbox(label="Output")
        num = gr.Number(label="N", value=3)
        state = gr.State(0)
        visits = gr.Number(label="Visits")
        btn = gr.Button("Go")
        btn.click(lambda s: s[::-1], text, out, api_name="reverse")
        btn.click(lambda s: s + "!", text, out, api_name=False)
        btn.click(lambda s: s.lower(), text, out, api_name="lower", **_undocumented())
        btn.click(_count, num, out, api_name="count")
        btn.click(_progress, num, out, api_name="progress")
        btn.click(_fail, text, out, api_name="fail")
        btn.click(_crash, None, out, api_name="crash")
        btn.click(_visits, state, [visits, state], api_name="visits")
        btn.click(lambda s: time.sleep(0.05) or s, text, out, api_name="limited",
                  concurrency_limit=1)
        btn.click(None, text, out, js="(x) => x")
        text.submit(lambda s: len(s), text, num)  # api_name from the lambda: /lambda
    return demo


def _respond(message: str, history: list[dict[str, Any]]) -> str:
    return f"You said: {message} ({len(history)} before)"


def build_chat() -> gr.Blocks:
    return gr.ChatInterface(_respond, examples=["hello"], title="Chat")


def _respond_multimodal(message: dict[str, Any], history: list[dict[str, Any]]) -> str:
    files = message.get("files") or []
    return f"{message.get('text', '')} + {len(files)} file(s)"


def build_chat_multimodal() -> gr.Blocks:
    return gr.ChatInterface(_respond_multimodal, multimodal=True)


def _stream(message: str, history: list[dict[str, Any]], temp: float) -> Iterator[str]:
    out = ""
    for word in message.split():
        out += word + " "
        yield out.strip()


def build_chat_stream() -> gr.Blocks:
    return gr.ChatInterface(_stream, additional_inputs=[gr.Slider(0, 10, value=3, label="Temp")])


def build_tabbed() -> gr.Blocks:
    first = gr.Interface(lambda a, b: a + b, [gr.Number(label="a"), gr.Number(label="b")],
                         gr.Number(label="sum"), api_name="add")
    second = gr.Interface(lambda s: s[::-1], gr.Textbox(label="s"), gr.Textbox(label="r"),
                          api_name="flip")
    return gr.TabbedInterface([first, second], ["Add", "Flip"])


def _identity(x: Any) -> Any:
    return x


# (api_name, input component factory, output component factory)
SIMPLE: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
    ("textbox", lambda: gr.Textbox(label="t"), lambda: gr.Textbox()),
    ("number", lambda: gr.Number(label="n"), lambda: gr.Number()),
    ("slider", lambda: gr.Slider(0, 100, step=1, value=10, label="s"), lambda: gr.Slider(0, 100)),
    ("checkbox", lambda: gr.Checkbox(label="c"), lambda: gr.Checkbox()),
    ("checkboxgroup", lambda: gr.CheckboxGroup(["a", "b", "c"], label="cg"),
     lambda: gr.CheckboxGroup(["a", "b", "c"])),
    ("radio", lambda: gr.Radio(["x", "y"], label="r"), lambda: gr.Radio(["x", "y"])),
    ("dropdown", lambda: gr.Dropdown(["x", "y"], value="x", label="d"),
     lambda: gr.Dropdown(["x", "y"])),
    ("multiselect", lambda: gr.Dropdown(["x", "y", "z"], multiselect=True, label="m"),
     lambda: gr.Dropdown(["x", "y", "z"], multiselect=True)),
    ("json", lambda: gr.JSON(label="j"), lambda: gr.JSON()),
    ("dataframe", lambda: gr.Dataframe(headers=["a", "b"], label="df"), lambda: gr.Dataframe()),
    ("highlightedtext", lambda: gr.HighlightedText(label="h"), lambda: gr.HighlightedText()),
    ("label", lambda: gr.Label(label="l"), lambda: gr.Label()),
    ("code", lambda: gr.Code(language="python", label="code"), lambda: gr.Code()),
    ("colorpicker", lambda: gr.ColorPicker(label="color"), lambda: gr.ColorPicker()),
    ("datetime", lambda: gr.DateTime(label="when"), lambda: gr.DateTime()),
    ("markdown", lambda: gr.Textbox(label="md"), lambda: gr.Markdown()),
    ("html", lambda: gr.Textbox(label="html"), lambda: gr.HTML()),
    ("chatbot", lambda: gr.Chatbot(label="cb"), lambda: gr.Chatbot()),
]

FILES: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
    ("image", lambda: gr.Image(type="filepath", label="img"), lambda: gr.Image()),
    ("audio", lambda: gr.Audio(type="filepath", label="snd"), lambda: gr.Audio()),
    ("file", lambda: gr.File(label="f"), lambda: gr.File()),
    ("files", lambda: gr.File(file_count="multiple", label="fs"),
     lambda: gr.File(file_count="multiple")),
    ("gallery", lambda: gr.Gallery(label="g"), lambda: gr.Gallery()),
    ("model3d", lambda: gr.Model3D(label="m3d"), lambda: gr.Model3D()),
    ("video", lambda: gr.Video(label="v"), lambda: gr.Video()),
]


MORE: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
    ("multimodaltextbox", lambda: gr.MultimodalTextbox(label="mm"),
     lambda: gr.MultimodalTextbox()),
    ("imageeditor", lambda: gr.ImageEditor(type="filepath", label="ed"), lambda: gr.Image()),
    ("annotatedimage", lambda: gr.Image(type="filepath", label="base"),
     lambda: gr.AnnotatedImage()),
    ("imageslider", lambda: gr.ImageSlider(type="filepath", label="sl"),
     lambda: gr.ImageSlider()),
    ("downloadbutton", lambda: gr.File(label="dl"), lambda: gr.DownloadButton()),
    ("uploadbutton", lambda: gr.UploadButton(label="up"), lambda: gr.File()),
    ("barplot", lambda: gr.Dataframe(headers=["x", "y"], label="bars"),
     lambda: gr.BarPlot(x="x", y="y")),
    ("textarea", lambda: gr.TextArea(label="ta"), lambda: gr.TextArea()),
    ("browserstate", lambda: gr.BrowserState("saved"), lambda: gr.Textbox()),
    ("fileexplorer", lambda: gr.FileExplorer(root_dir=".", label="fx"), lambda: gr.JSON()),
]


def build_more_components() -> gr.Blocks:
    """More components, mostly for view_api: multimodal textbox, image editor and slider,
    annotated image, download and upload buttons, a plot, a text area, browser state and a
    file explorer (each echoes its input; a builder this gradio lacks is skipped)."""
    with gr.Blocks() as demo:
        for name, make_in, make_out in MORE:
            try:
                inp, out = make_in(), make_out()
            except Exception as exc:  # a component this gradio lacks
                print(f"corpus: {name} skipped: {exc!r}", flush=True)
                continue
            fn = (lambda x: (x, [])) if name == "annotatedimage" else _identity
            if name == "imageslider":
                fn = lambda x: (x[0], x[0]) if isinstance(x, (list, tuple)) else (x, x)  # noqa: E731
            gr.Button(name).click(fn, inp, out, api_name=name)
    return demo


def _echo_blocks(table: list[tuple[str, Callable[[], Any], Callable[[], Any]]]) -> gr.Blocks:
    with gr.Blocks() as demo:
        for name, make_in, make_out in table:
            try:
                inp, out = make_in(), make_out()
            except Exception as exc:  # a component this gradio lacks
                print(f"corpus: {name} skipped: {exc!r}", flush=True)
                continue
            gr.Button(name).click(_identity, inp, out, api_name=name)
    return demo


def build_components() -> gr.Blocks:
    """Every value component as input and output: /textbox, /number, ... echo their input."""
    return _echo_blocks(SIMPLE)


def build_files() -> gr.Blocks:
    """File components as input and output: /image, /audio, /file, ... echo their input."""
    with _echo_blocks(FILES) as demo:
        gr.Button("size").click(lambda p: len(open(p, "rb").read()), gr.File(type="filepath"),
                                gr.Number(), api_name="file_size")
        gr.Button("made").click(_make_file, gr.Textbox(), gr.File(), api_name="make_file")
        gr.Button("jp").click(lambda: {"path": "notafile.txt"}, None, gr.JSON(),
                              api_name="json_path")
    return demo


def _make_file(text: str) -> str:
    import os
    import tempfile

    path = os.path.join(tempfile.mkdtemp(), "made.txt")
    with open(path, "w") as f:
        f.write(text)
    return path


def _select(evt: gr.SelectData) -> str:
    return f"selected {evt.value}"


def build_tabs_select() -> gr.Blocks:
    """Two endpoints with one api_name.  Rendering a Blocks renames an api_name that clashes
    with the parent's, but not against the other names it brings along: the public click
    event the child named "_select_1" keeps its name, and the tab's (undocumented) select
    event "_select" becomes "_select_1" too."""
    with gr.Blocks() as child:
        with gr.Tabs() as tabs:
            with gr.Tab("One"):
                q = gr.Textbox(label="q")
            with gr.Tab("Two"):
                gr.Markdown("two")
        out = gr.Textbox(label="out")
        gr.Button("sel").click(lambda s: "public " + s, q, out, api_name="_select_1")
        tabs.select(_select, None, out, **_undocumented())
    with gr.Blocks() as demo:
        word = gr.Textbox(label="word")
        gr.Button("go").click(lambda s: s * 2, word, word, api_name="_select")
        child.render()
    return demo


def build_dataset_out() -> gr.Blocks:
    """An endpoint whose output is a gr.Dataset (the update dict with samples comes back)."""
    with gr.Blocks() as demo:
        text = gr.Textbox(label="word")
        ds = gr.Dataset(components=[gr.Textbox(visible=False)], samples=[["a"]], label="ds")
        gr.Button("go").click(lambda w: gr.Dataset(samples=[[w], [w * 2]]), text, ds,
                              api_name="samples")
        ds.click(lambda x: x, ds, text, api_name="pick")
    return demo


def build_validation() -> gr.Blocks:
    """Validators (gradio 6): two inputs, only one marked invalid."""
    with gr.Blocks() as demo:
        a = gr.Number(label="a")
        b = gr.Number(label="b")
        out = gr.Number(label="sum")
        gr.Button("go").click(
            lambda x, y: x + y, [a, b], out, api_name="add",
            validator=lambda x, y: [gr.validate(x >= 0, "a must be >= 0"),
                                    gr.validate(y >= 0, "b must be >= 0")],
        )
    return demo


APPS: dict[str, Callable[[], gr.Blocks]] = {
    "interface": build_interface,
    "blocks": build_blocks,
    "chat": build_chat,
    "chat_multimodal": build_chat_multimodal,
    "chat_stream": build_chat_stream,
    "tabbed": build_tabbed,
    "components": build_components,
    "more_components": build_more_components,
    "files": build_files,
    "tabs_select": build_tabs_select,
    "dataset_out": build_dataset_out,
    "validation": build_validation,
}
