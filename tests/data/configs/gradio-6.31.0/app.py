import time
import gradio as gr

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
    history = (history or []) + [
        {"role": "user", "content": message},
        {"role": "assistant", "content": f"echo {message} ({state})"},
    ]
    return "", history, state

def count(n):
    out = ""
    for i in range(int(n)):
        out += f"tok{i} "
        time.sleep(0.05)
        yield out

def file_info(f, img):
    return f, img

def secret(x):
    return x

def hidden(x):
    return x * 2

def as_json(x):
    return {"path": "notafile.txt", "value": x, "items": [1, 2, 3]}

def layout_only():
    return gr.Row(visible=True)

def counter(state):
    state = (state or 0) + 1
    return state, state

with gr.Blocks() as demo:
    with gr.Row() as row:
        a = gr.Number(label="A", value=1)
        b = gr.Number(label="B", value=5)
        s = gr.Number(label="Sum")
    gr.Button("add").click(add, [a, b], s, api_name="add")
    name = gr.Textbox(label="Name")
    greeting = gr.Dropdown(["Hello", "Hi"], value="Hello", label="Greeting")
    out = gr.Textbox(label="Greeting out")
    gr.Button("greet").click(greet, [name, greeting], out, api_name="greet")
    st = gr.State(0)
    chatbot = gr.Chatbot(label="Chat")
    msg = gr.Textbox(label="Message")
    msg.submit(chat, [msg, chatbot, st], [msg, chatbot, st], api_name="chat")
    n = gr.Slider(1, 10, value=3, step=1, label="N")
    stream = gr.Textbox(label="Stream")
    gr.Button("count").click(count, n, stream, api_name="count")
    f = gr.File(label="Upload")
    img = gr.Image(label="Picture", type="filepath")
    fo = gr.File(label="File out")
    io = gr.Image(label="Image out")
    gr.Button("files").click(file_info, [f, img], [fo, io], api_name="files")
    x = gr.Textbox(label="X")
    y = gr.Textbox(label="Y")
    gr.Button("secret").click(secret, x, y, api_name="secret", api_visibility="private")
    gr.Button("hidden").click(hidden, x, y, api_name="hidden", api_visibility="undocumented")
    j = gr.JSON(label="JSON out")
    gr.Button("json").click(as_json, x, j, api_name="as_json")
    gr.Button("layout").click(layout_only, None, row, api_name="layout")
    cs = gr.State(0)
    cn = gr.Number(label="Count")
    gr.Button("counter").click(counter, cs, [cs, cn], api_name="counter")
    gr.Button("unnamed").click(lambda v: v, x, y, api_name=False)

    btn = gr.Button("Press me")
    btn.click(lambda b, t: f"{b}-{t}", [btn, x], y, api_name="button_in")
    sc_msg = gr.Textbox(label="Prompt")
    sc_bot = gr.Chatbot(label="Bot")
    def stream_chat(message, history):
        history = (history or []) + [{"role": "user", "content": message}, {"role": "assistant", "content": ""}]
        for w in ["Hel", "lo", " world"]:
            history[-1]["content"] += w
            yield history
        yield history[:1]
    sc_msg.submit(stream_chat, [sc_msg, sc_bot], sc_bot, api_name="stream_chat")

demo.queue().launch(server_name="127.0.0.1", server_port=7861, show_error=True)
