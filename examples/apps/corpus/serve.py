"""Serve the differential corpus (apps.py): every app in one process, one path each.

    python serve.py --port 7860                  # http://127.0.0.1:7860/<name>/ for every app
    python serve.py --port 7860 --apps chat,tabbed
    python serve.py --port 7860 --standalone chat   # one app, launched as usual, at /

One process keeps start-up cheap: importing gradio costs seconds, a mounted app almost nothing.
Mounting changes no /config or /info field a client reads (``root`` follows the path), which
``tests/differential`` checks against a standalone launch.  Binds 127.0.0.1 only.  Prints
``corpus: ready <names>`` once every app is mounted; an app whose builder fails on this gradio
is left out with a line on stdout.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gradio as gr  # noqa: E402

from apps import APPS  # noqa: E402


def _exit_with_parent() -> None:
    parent = os.environ.get("GCX_PARENT_PID")
    if not parent:
        return

    def watch() -> None:
        while True:
            time.sleep(1)
            if os.getppid() != int(parent):
                os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def main() -> None:
    _exit_with_parent()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--apps", default="", help="comma-separated names (default: all)")
    parser.add_argument("--standalone", default="", help="launch this one app at /")
    args = parser.parse_args()

    if args.standalone:
        demo = APPS[args.standalone]()
        demo.queue().launch(server_name="127.0.0.1", server_port=args.port, show_error=True)
        return

    import uvicorn
    from fastapi import FastAPI

    names = [n for n in args.apps.split(",") if n] or list(APPS)
    app = FastAPI()
    mounted = []
    for name in names:
        try:
            demo = APPS[name]()
        except Exception as exc:  # a feature this gradio lacks
            print(f"corpus: {name} left out: {exc!r}", flush=True)
            continue
        try:
            app = gr.mount_gradio_app(app, demo.queue(), path=f"/{name}", show_error=True)
        except TypeError:  # gradio before 4.22 has no show_error here
            demo.show_error = True
            app = gr.mount_gradio_app(app, demo.queue(), path=f"/{name}")
        mounted.append(name)

    @app.get("/config")
    def ready() -> dict[str, object]:  # the harness polls GET /config until it answers
        return {"corpus": mounted}

    print(f"corpus: ready {','.join(mounted)}", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
