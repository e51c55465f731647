"""Run a list of calls through whichever ``gradio_client`` this interpreter imports.

The differential tests run it twice on the same calls: in a subprocess of a gradio
virtualenv's Python, where ``gradio_client`` is the official client, and in the test process,
where it is this package.  Standard library only besides ``gradio_client``, so that both sides
run the same code.

    python driver.py < request.json > results.json

``request.json``: ``{"base": "http://127.0.0.1:PORT/", "files": "/dir/with/inputs", "calls": [...]}``.
Each call: ``{"id", "app", "op", "args", "kwargs", "api_name"}``; ``op`` is one of

    predict       client.predict(*args, **kwargs, api_name=...)
    iterate       job = client.submit(...); the outputs seen by ``for out in job``, then
                  job.result() and job.outputs()
    view_api      the dict of view_api(return_format="dict", print_info=False)
    view_api_str  the text of view_api(return_format="str", print_info=False, all_endpoints=?)
    attrs         which of the official client's public names the client has, and their kinds
    status        submit, wait, then job.status(): code name and success

One ``Client`` per app (``base + app + "/"``), made on the app's first call and reused, so that
state carries from call to call.  An argument ``{"__file__": "name"}`` becomes
``handle_file(files/name)``; ``{"__path__": "name"}`` the plain path string.  Every result is
described (:func:`describe`) as JSON: value types by name, downloaded files by base name and
content hash, exceptions by class, MRO and first sentence.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
import sys
import time
import traceback
from typing import Any

#: The official client's public names that real code uses (gradio_client 2.7.2).
CLIENT_NAMES = [
    "src", "space_id", "session_hash", "config", "app_version", "protocol", "api_prefix",
    "upload_url", "headers", "endpoints", "view_api", "predict", "submit", "close",
    "reset_session", "duplicate", "add_zero_gpu_headers", "output_dir", "download_files",
    "verbose", "ssl_verify", "httpx_kwargs", "src_prefixed", "cookies",
]
JOB_NAMES = ["result", "status", "outputs", "done", "cancel", "running", "cancelled",
             "add_done_callback", "exception"]


def first_sentence(text: str) -> str:
    """The text up to the first sentence end or line break (the part both wordings share)."""
    text = text.strip()
    line = text.split("\n", 1)[0]
    match = re.search(r"[.!?:](\s|$)", line)
    return line[: match.start() + 1] if match else line


def describe(value: Any, depth: int = 0) -> Any:
    """A JSON description of a result value: type names, and files by name and content."""
    if depth > 20:
        return {"t": "deep"}
    if value is None or isinstance(value, (bool, int, float)):
        return {"t": type(value).__name__, "v": value}
    if isinstance(value, str):
        if os.path.isabs(value) and os.path.isfile(value):
            with open(value, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()[:16]
            return {"t": "file", "name": os.path.basename(value), "sha": digest}
        return {"t": "str", "v": value}
    if isinstance(value, (list, tuple)):
        return {"t": type(value).__name__, "items": [describe(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"t": "dict", "keys": [str(k) for k in value],
                "items": {str(k): describe(v, depth + 1) for k, v in value.items()}}
    return {"t": type(value).__name__, "repr": repr(value)[:200]}


def describe_error(exc: BaseException) -> dict[str, Any]:
    return {
        "error": {
            "cls": type(exc).__name__,
            "mro": [c.__name__ for c in type(exc).__mro__],
            "first": first_sentence(str(exc)),
            "text": str(exc)[:500],
        }
    }


def _arg(value: Any, files: str, handle_file: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"__file__"}:
        return handle_file(os.path.join(files, value["__file__"]))
    if isinstance(value, dict) and set(value) == {"__path__"}:
        return os.path.join(files, value["__path__"])
    if isinstance(value, list):
        return [_arg(v, files, handle_file) for v in value]
    if isinstance(value, dict):
        return {k: _arg(v, files, handle_file) for k, v in value.items()}
    return value


def _kind(value: Any) -> str:
    if callable(value):
        return "callable"
    return type(value).__name__


def run_call(client: Any, call: dict[str, Any], files: str) -> Any:
    try:
        from gradio_client import handle_file
    except ImportError:  # official clients before 1.0 (gradio 3.x/4.x) take plain paths
        def handle_file(path: str) -> str:
            return path

    op = call["op"]
    args = [_arg(a, files, handle_file) for a in call.get("args", [])]
    kwargs = {k: _arg(v, files, handle_file) for k, v in call.get("kwargs", {}).items()}
    if call.get("api_name") is not None:
        kwargs["api_name"] = call["api_name"]
    if op == "predict":
        return {"value": describe(client.predict(*args, **kwargs))}
    if op == "iterate":
        job = client.submit(*args, **kwargs)
        seen = [describe(out) for out in job]
        try:
            result: Any = {"value": describe(job.result())}
        except Exception as exc:  # noqa: BLE001 - described, compared
            result = describe_error(exc)
        return {"seen": seen, "result": result, "outputs": [describe(o) for o in job.outputs()]}
    if op == "status":
        job = client.submit(*args, **kwargs)
        try:
            job.result()
        except Exception:  # noqa: BLE001 - the status is what is compared
            pass
        status = job.status()
        import dataclasses

        return {"code": getattr(status.code, "name", str(status.code)),
                "success": status.success,
                "class": type(status).__name__,
                "dataclass": dataclasses.is_dataclass(status),
                "fields": sorted(f.name for f in dataclasses.fields(status))
                if dataclasses.is_dataclass(status) else None}
    if op == "view_api":
        return {"value": client.view_api(return_format="dict", print_info=False,
                                         all_endpoints=call.get("all_endpoints"))}
    if op == "view_api_str":
        return {"value": client.view_api(return_format="str", print_info=False,
                                         all_endpoints=call.get("all_endpoints"))}
    if op == "attrs":
        job = None
        if call.get("api_name"):
            job = client.submit(*args, **kwargs)
            job.result()
        return {
            "client": {n: _kind(getattr(client, n)) for n in CLIENT_NAMES if hasattr(client, n)},
            "job": {n: _kind(getattr(job, n)) for n in JOB_NAMES if hasattr(job, n)} if job else {},
        }
    raise ValueError(f"unknown op {op!r}")


def run(request: dict[str, Any]) -> dict[str, Any]:
    from gradio_client import Client

    base = request["base"]
    files = request["files"]
    clients: dict[str, Any] = {}
    results: dict[str, Any] = {}
    try:
        for call in request["calls"]:
            app = call["app"]
            started = time.monotonic()
            try:
                if app not in clients:
                    options = {"verbose": False,
                               "download_files": request.get("downloads", files + "/out")}
                    accepted = inspect.signature(Client).parameters
                    if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
                        options = {k: v for k, v in options.items() if k in accepted}
                    clients[app] = Client(base + app + "/", **options)
                results[call["id"]] = run_call(clients[app], call, files)
            except Exception as exc:  # noqa: BLE001 - described, compared
                results[call["id"]] = describe_error(exc)
                if os.environ.get("GCX_DRIVER_TRACE"):
                    traceback.print_exc()
            if os.environ.get("GCX_DRIVER_TRACE"):
                print(f"{call['id']}: {time.monotonic() - started:.2f} s", file=sys.stderr)
    finally:
        for client in clients.values():
            close = getattr(client, "close", None)
            if close is not None:
                close()
    return results


def main() -> None:
    request = json.load(sys.stdin)
    results = run(request)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
