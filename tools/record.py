#!/usr/bin/env python3
"""Record the conformance scenarios' wire sessions as replay fixtures.

    python3 tools/record.py [VERSION ...] [--scenarios a,b]

Starts each Gradio version's kitchen-sink app, runs every scenario of
tests/conformance/scenarios.py through the sync ``Client`` with a
``gradio_client.testing.Recorder`` on its transport, and writes
tests/data/sessions/<version>/<scenario>.json (format: tests/data/sessions/README.md).
The replay tests (tests/conformance/test_replay.py) then run without any server.

Same as ``python3 tools/matrix.py --record --kinds sync --no-docs``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import matrix  # noqa: E402

if __name__ == "__main__":
    sys.exit(matrix.main(["--record", "--kinds", "sync", "--no-docs", *sys.argv[1:]]))
