"""The calls of the differential suite, per corpus app (examples/apps/corpus/apps.py), and
the differences we keep on purpose.

Each call runs through both clients (``driver.py``); ``test_differential.py`` compares the
results.  A call whose results differ must be listed in :data:`DIFFERENT` with its reason and
the check that still holds (the superset rule: same base class, same value where the official
client works).  docs/compat.md lists the same differences for users.
"""

from __future__ import annotations

from typing import Any

F = {"__file__": "cat.png"}  # handle_file(<inputs>/cat.png)


def call(app: str, name: str, op: str = "predict", *args: Any, api_name: str | None = None,
         **kwargs: Any) -> dict[str, Any]:
    c: dict[str, Any] = {"id": f"{app}:{name}", "app": app, "op": op, "args": list(args),
                         "kwargs": kwargs, "api_name": api_name}
    if "all_endpoints" in kwargs:
        c["all_endpoints"] = kwargs.pop("all_endpoints")
    return c


def api_calls(app: str) -> list[dict[str, Any]]:
    return [call(app, "view_api", "view_api"), call(app, "view_api_str", "view_api_str")]


CALLS: list[dict[str, Any]] = [
    # ------------------------------------------------------------------ Interface
    *api_calls("interface"),
    call("interface", "positional", "predict", "hi", 3, api_name="/predict"),
    call("interface", "keyword_default", "predict", text="ab", api_name="/predict"),
    call("interface", "missing_required", "predict", api_name="/predict"),
    call("interface", "unknown_keyword", "predict", "a", nope=1, api_name="/predict"),
    call("interface", "twice", "predict", "a", text="b", api_name="/predict"),
    call("interface", "extra_positional", "predict", "a", 1, 2, api_name="/predict"),
    call("interface", "no_slash", "predict", "a", api_name="predict"),
    call("interface", "unknown_api", "predict", "a", api_name="/nope"),
    call("interface", "default_endpoint", "predict", "a", 1),
    call("interface", "fn_index", "predict", "a", 1, fn_index=0),
    call("interface", "bad_fn_index", "predict", "a", fn_index=99),
    call("interface", "attrs", "attrs", "a", 1, api_name="/predict"),
    call("interface", "status", "status", "a", 1, api_name="/predict"),
    # --------------------------------------------------------------------- Blocks
    *api_calls("blocks"),
    call("blocks", "view_api_str_all", "view_api_str", all_endpoints=True),
    call("blocks", "reverse", "predict", "abc", api_name="/reverse"),
    call("blocks", "generator", "iterate", 4, api_name="/count"),
    call("blocks", "generator_predict", "predict", 3, api_name="/count"),
    call("blocks", "progress", "predict", 3, api_name="/progress"),
    call("blocks", "gr_error", "predict", "bad thing", api_name="/fail"),
    call("blocks", "gr_error_iterate", "iterate", "bad thing", api_name="/fail"),
    call("blocks", "crash", "predict", api_name="/crash"),
    call("blocks", "state_1", "predict", api_name="/visits"),
    call("blocks", "state_2", "predict", api_name="/visits"),
    call("blocks", "concurrency_limited", "predict", "x", api_name="/limited"),
    call("blocks", "undocumented", "predict", "ABC", api_name="/lower"),
    call("blocks", "undocumented_keyword", "predict", s="ABC", api_name="/lower"),
    call("blocks", "lambda", "predict", "hello", api_name="/lambda"),
    call("blocks", "no_default_endpoint", "predict", "x"),
    # ------------------------------------------------------------- ChatInterface
    *api_calls("chat"),
    call("chat", "keyword", "predict", message="Hello", api_name="/_respond"),
    call("chat", "positional", "predict", "Hi", api_name="/_respond"),
    *api_calls("chat_multimodal"),
    call("chat_multimodal", "text_and_file", "predict", {"text": "hi", "files": [F]},
         api_name="/_respond_multimodal"),
    *api_calls("chat_stream"),
    call("chat_stream", "stream", "iterate", "a b c", api_name="/_stream"),
    call("chat_stream", "stream_predict", "predict", message="x y", api_name="/_stream"),
    # ----------------------------------------------------------- TabbedInterface
    *api_calls("tabbed"),
    call("tabbed", "add", "predict", 1, 2, api_name="/add"),
    call("tabbed", "flip", "predict", "abc", api_name="/flip"),
    # ------------------------------------------------------ value components
    *api_calls("components"),
    call("components", "textbox", "predict", "hi", api_name="/textbox"),
    call("components", "number", "predict", 3.5, api_name="/number"),
    call("components", "slider", "predict", 42, api_name="/slider"),
    call("components", "checkbox", "predict", True, api_name="/checkbox"),
    call("components", "checkboxgroup", "predict", ["a", "c"], api_name="/checkboxgroup"),
    call("components", "radio", "predict", "y", api_name="/radio"),
    call("components", "dropdown", "predict", "y", api_name="/dropdown"),
    call("components", "dropdown_default", "predict", api_name="/dropdown"),
    call("components", "multiselect", "predict", ["x", "z"], api_name="/multiselect"),
    call("components", "json", "predict", {"a": [1, 2], "b": None}, api_name="/json"),
    call("components", "dataframe", "predict",
         {"headers": ["a", "b"], "data": [[1, 2], [3, 4]], "metadata": None},
         api_name="/dataframe"),
    call("components", "highlightedtext", "predict", [["hello", "X"], [" world", None]],
         api_name="/highlightedtext"),
    call("components", "label", "predict", {"label": "cat"}, api_name="/label"),
    call("components", "code", "predict", "print(1)", api_name="/code"),
    call("components", "colorpicker", "predict", "#ff0000", api_name="/colorpicker"),
    call("components", "datetime", "predict", "2024-01-02 03:04:05", api_name="/datetime"),
    call("components", "markdown", "predict", "# hi", api_name="/markdown"),
    call("components", "html", "predict", "<b>x</b>", api_name="/html"),
    call("components", "chatbot", "predict", [{"role": "user", "content": "hi"}],
         api_name="/chatbot"),
    *api_calls("more_components"),
    call("more_components", "multimodaltextbox", "predict", {"text": "hi", "files": [F]},
         api_name="/multimodaltextbox"),
    call("more_components", "textarea", "predict", "a\nb", api_name="/textarea"),
    call("more_components", "annotatedimage", "predict", F, api_name="/annotatedimage"),
    call("more_components", "downloadbutton", "predict", {"__file__": "note.txt"},
         api_name="/downloadbutton"),
    call("more_components", "barplot", "predict",
         {"headers": ["x", "y"], "data": [["a", 1], ["b", 2]], "metadata": None},
         api_name="/barplot"),
    # ------------------------------------------------------- file components
    *api_calls("files"),
    call("files", "image", "predict", F, api_name="/image"),
    call("files", "audio", "predict", {"__file__": "tone.wav"}, api_name="/audio"),
    call("files", "file", "predict", {"__file__": "note.txt"}, api_name="/file"),
    call("files", "files", "predict", [{"__file__": "note.txt"}, F], api_name="/files"),
    call("files", "gallery", "predict", [{"image": F, "caption": "c"}], api_name="/gallery"),
    call("files", "model3d", "predict", {"__file__": "cube.obj"}, api_name="/model3d"),
    call("files", "file_size", "predict", {"__file__": "note.txt"}, api_name="/file_size"),
    call("files", "plain_path", "predict", {"__path__": "note.txt"}, api_name="/file_size"),
    call("files", "make_file", "predict", "made here", api_name="/make_file"),
    call("files", "json_path", "predict", api_name="/json_path"),
    # ------------------------------------------------ shared api_name, Dataset
    *api_calls("tabs_select"),
    call("tabs_select", "shared_name_public", "predict", "x", api_name="/_select_1"),
    call("tabs_select", "renamed", "predict", "ab", api_name="/_select"),
    *api_calls("dataset_out"),
    call("dataset_out", "dataset_output", "predict", "w", api_name="/samples"),
    # ------------------------------------------------------------ not an app
    call("not_an_app", "connect", "view_api"),
    # ---------------------------------------------------------------- validation
    *api_calls("validation"),
    call("validation", "one_invalid", "predict", -1, 2, api_name="/add"),
    call("validation", "valid", "predict", 1, 2, api_name="/add"),
]


#: call id -> (reason, the check that must still hold).  Checks:
#:   "ours_better"    the official client fails; ours returns a value
#:   "rejects"        ours raises an error whose MRO holds the official client's class (or
#:                    the official one returns a value, and ours a TypeError: documented)
#:   "text"           view_api text: the same endpoints, parameter names and types
#:   "owner"          not ours to fix: listed for the engineer who owns it (xfail)
DIFFERENT: dict[str, tuple[str, str]] = {
    "interface:extra_positional": (
        "More positional arguments than parameters are rejected (ArgumentError, a TypeError); "
        "the official client sends them and the server ignores the extra ones.", "rejects"),
    "files:plain_path": (
        "A plain path string for a file parameter is uploaded; the official client sends "
        "the string and the server refuses it.", "ours_better"),
    "files:json_path": (
        "A JSON output that merely has a 'path' key is returned as is; the official client "
        "tries to download it.", "ours_better"),
    "blocks:undocumented_keyword": (
        "Undocumented endpoints take keyword arguments (we read /info?all_endpoints=True); "
        "the official client has no parameter names for them.", "ours_better"),
}
for _app in ("interface", "blocks", "chat", "chat_multimodal", "chat_stream", "tabbed",
             "components", "more_components", "files", "tabs_select", "dataset_out", "validation"):
    DIFFERENT[f"{_app}:view_api_str"] = (
        "view_api text: descriptions, generator notes and quoted defaults are shown, "
        "without trailing spaces; same endpoints, names and types.", "text")
DIFFERENT["blocks:view_api_str_all"] = (
    "view_api(all_endpoints=True) also prints undocumented endpoints (callable).", "text")
