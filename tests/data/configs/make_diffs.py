"""Regenerate diffs.json from a real Gradio server's diff function.

Run with the *gradio* interpreter, never the dev one (it imports gradio):

    ~/.cache/gcx/gradio-6.31.0/bin/python tests/data/configs/make_diffs.py

For each (old, new) pair it records the ops ``gradio.utils.diff`` emits, and the value
the official client's ``apply_diff`` rebuilds from them (``client_result``).  Our tests
check that our apply_diff gives ``client_result`` for every case, and ``new`` whenever
``server_correct`` is true (the server's algorithm is wrong for nested list shrinking).
"""

import json
import pathlib
import sys

import gradio
from gradio.utils import diff
from gradio_client.utils import apply_diff

MSG = {"role": "assistant", "metadata": None, "content": [{"text": "Hel", "type": "text"}]}
USER = {"role": "user", "metadata": None, "content": [{"text": "hi", "type": "text"}]}

CASES = [
    ("textbox token", "tok0 ", "tok0 tok1 "),
    ("textbox unchanged", "same", "same"),
    ("textbox rewrite", "hello", "help"),
    ("textbox from empty", "", "abc"),
    ("unicode append", "héllo ", "héllo wörld ✓"),
    ("none to text", None, "x"),
    ("text to none", "x", None),
    ("number change", 1, 2),
    ("int to float equal", 1, 1.0),
    ("int to float", 1, 1.5),
    ("bool flip", True, False),
    ("chatbot token", [USER, MSG], [USER, {**MSG, "content": [{"text": "Hello", "type": "text"}]}]),
    ("chatbot new message", [USER], [USER, MSG]),
    ("chatbot shrink", [USER, MSG], [USER]),
    ("list shrink many", [1, 2, 3, 4], [1]),
    ("list grow many", [1], [1, 2, 3, 4]),
    ("list change and grow", [1, 2], [5, 2, 3]),
    ("dict add delete", {"a": 1, "b": 2}, {"b": 3, "c": 4}),
    ("dict nested string", {"a": {"b": "x"}}, {"a": {"b": "xy", "c": [1]}}),
    ("type change list to dict", [1], {"a": 1}),
    ("json output", {"path": "notafile.txt", "items": [1, 2]}, {"path": "notafile.txt", "items": [1, 2, 3]}),
    ("nested shrink single", [[1, 2, 3]], [[1]]),
    ("nested shrink siblings", [[1, 2], [3, 4]], [[1], [3]]),
    ("nested shrink to minus one", [[1, 2], [3, 4], [5, 6]], [[1], [3], [5]]),
    ("nested dict list shrink", [{"a": [1, 2, 3]}], [{"a": [1]}]),
    ("deep mix", {"x": [{"y": "ab"}, 2]}, {"x": [{"y": "abc", "z": None}, 2, "n"]}),
]


def main() -> None:
    out = []
    for name, old, new in CASES:
        ops = diff(old, new)
        client_result = apply_diff(old, ops)
        out.append(
            {
                "name": name,
                "old": old,
                "new": new,
                "ops": ops,
                "client_result": client_result,
                "server_correct": client_result == new,
            }
        )
    doc = {"generated_by": f"gradio {gradio.__version__} gradio.utils.diff", "cases": out}
    target = pathlib.Path(__file__).with_name("diffs.json")
    target.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(out)} cases to {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
