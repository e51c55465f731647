"""The app whose /config and /info are captured for each Gradio version (capture.py).

Runs under any gradio from 3.50 to 6.x, in that version's own virtualenv (never the dev
one).  Features a version lacks are skipped.  Usage: python capture_app.py PORT
"""

import sys
import time

import gradio as gr

MAJOR = int(gr.__version__.split(".")[0])
MESSAGES = MAJOR >= 5  # chat history as role/content dicts; older: [user, bot] pairs


def add(a: float, b: float = 5):
    """Add two numbers.

    Args:
        a: first number
        b: second number
    """
    return a + b


def greet(name, greeting="Hello"):
    return f"{greeting}, {name}!"


def chat(message, history, state):
    state = (state or 0) + 1
    reply = f"echo {message} ({state})"
    if MESSAGES:
        turn = [{"role": "user", "content": message}, {"role": "assistant", "content": reply}]
    else:
        turn = [[message, reply]]
    return "", (history or []) + turn, state


def count(n):
    out = ""
    for i in range(int(n)):
        out += f"tok{i} "
        time.sleep(0.05)
        yield out


def files(f, img):
    return getattr(f, "name", f), img  # 3.x hands gr.File inputs over as temp file objects


def as_json(x):
    return {"path": "notafile.txt", "value": x, "items": [1, 2, 3]}


def counter(state):
    state = (state or 0) + 1
    return state, state


def event(trigger, fn, inputs, outputs, api_name, visibility="public"):
    """Attach an event, expressing visibility the way this version can."""
    kwargs = {"api_name": api_name}
    if visibility != "public":
        if MAJOR >= 6:
            kwargs["api_visibility"] = visibility
        elif visibility == "private":
            kwargs["api_name"] = False
        else:
            kwargs["show_api"] = False
    try:
        return trigger(fn, inputs, outputs, **kwargs)
    except TypeError:  # this version lacks the keyword: keep the endpoint public
        return trigger(fn, inputs, outputs, api_name=api_name)


with gr.Blocks() as demo:
    with gr.Row() as row:
        a = gr.Number(label="A", value=1)
        b = gr.Number(label="B", value=5)
        s = gr.Number(label="Sum")
    event(gr.Button("add").click, add, [a, b], s, "add")
    name = gr.Textbox(label="Name")
    greeting = gr.Dropdown(["Hello", "Hi"], value="Hello", label="Greeting")
    out = gr.Textbox(label="Greeting out")
    event(gr.Button("greet").click, greet, [name, greeting], out, "greet")
    st = gr.State(0)
    chatbot = gr.Chatbot(label="Chat", **({"type": "messages"} if MAJOR == 5 else {}))
    msg = gr.Textbox(label="Message")
    event(msg.submit, chat, [msg, chatbot, st], [msg, chatbot, st], "chat")
    n = gr.Slider(1, 10, value=3, step=1, label="N")
    stream = gr.Textbox(label="Stream")
    event(gr.Button("count").click, count, n, stream, "count")
    f = gr.File(label="Upload")
    img = gr.Image(label="Picture", type="filepath")
    fo = gr.File(label="File out")
    io = gr.Image(label="Image out")
    event(gr.Button("files").click, files, [f, img], [fo, io], "files")
    x = gr.Textbox(label="X")
    y = gr.Textbox(label="Y")
    event(gr.Button("secret").click, lambda v: v, x, y, "secret", "private")
    event(gr.Button("hidden").click, lambda v: v * 2, x, y, "hidden", "undocumented")
    j = gr.JSON(label="JSON out")
    event(gr.Button("json").click, as_json, x, j, "as_json")
    event(gr.Button("layout").click, lambda: gr.update(visible=True), None, row, "layout")
    cs = gr.State(0)
    cn = gr.Number(label="Count")
    event(gr.Button("counter").click, counter, cs, [cs, cn], "counter")
    gr.Button("unnamed").click(lambda v: v, x, y, api_name=None if MAJOR < 4 else False)

demo.queue().launch(server_name="127.0.0.1", server_port=int(sys.argv[1]), show_error=True)
