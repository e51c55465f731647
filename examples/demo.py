"""Call a running kitchen-sink app (examples/apps/kitchen_sink.py) through this client.

    python3 tools/run.py demo          # starts the app on a free port and runs this file
    python examples/demo.py URL        # against an app you started yourself (tools/run.py serve)
"""

from __future__ import annotations

import sys
import time

from gradio_client import Client


def main(url: str) -> int:
    client = Client(url)

    print("== view_api()")
    client.view_api()

    print("\n== predict: calculator(3, 'add', 4)")
    print("result:", client.predict(3, "add", 4, api_name="/calculator"))

    print("\n== submit: a generator, /count(5), outputs and status as they come")
    t0 = time.monotonic()
    job = client.submit(5, api_name="/count")
    for output in job:
        print(f"  +{time.monotonic() - t0:5.2f}s output {output!r:14}  status {describe(job.status())}")
    print(f"  final status {describe(job.status())}")
    print("  result:", repr(job.result()))

    print("\n== state: /chat twice in one session (the history lives on the server)")
    print("first: ", client.predict("hello", api_name="/chat"))
    print("second:", client.predict("again", api_name="/chat"))

    close = getattr(client, "close", None)
    if callable(close):
        close()
    return 0


def describe(status: object) -> str:
    """A short line for a status update, whatever its exact shape."""
    fields = []
    for name in ("code", "rank", "queue_size", "eta", "success", "progress_data"):
        value = getattr(status, name, None)
        if value is not None:
            fields.append(f"{name}={getattr(value, 'name', value)}")
    return ", ".join(fields) or repr(status)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
