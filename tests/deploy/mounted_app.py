"""The kitchen-sink app mounted in a FastAPI app with ``gr.mount_gradio_app`` (gradio >= 4).

    python mounted_app.py --port PORT [--path /gradio]

FastAPI answers ``GET /`` and ``GET /config`` (the harness's readiness probe) itself; the Gradio app lives under ``--path``.  Binds 127.0.0.1.
Run by tests/deploy/conftest.py with the gradio virtualenv's interpreter.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "apps"))

import kitchen_sink  # noqa: E402  (sets the offline environment before importing gradio)
import gradio as gr  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402


def main() -> None:
    kitchen_sink._exit_with_parent()
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/gradio")
    args = parser.parse_args()
    demo = kitchen_sink.build(16)
    if "default_concurrency_limit" in inspect.signature(demo.queue).parameters:
        demo.queue(default_concurrency_limit=16)
    else:
        demo.queue()
    app = FastAPI()

    @app.get("/")
    def home() -> dict[str, str]:
        return {"app": "fastapi", "gradio": args.path}

    @app.get("/config")  # the harness polls GET /config until the server answers
    def ready() -> dict[str, str]:
        return {"app": "fastapi", "gradio": args.path}

    app = gr.mount_gradio_app(app, demo, path=args.path)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
