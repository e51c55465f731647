"""The embedding walkthrough (examples/embed_asyncio.py) really works: run it against the app.

It runs as a subprocess because it is a program (``asyncio.run``), and because it must work
with nothing from this package but ``gradio_client.protocol``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "embed_asyncio.py"


def test_asyncio_embedding_example(gradio_app: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), gradio_app],
        capture_output=True, text=True, timeout=120, env=env, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert "calculator: 7" in lines
    assert "count: 0 1 2" in lines
    count = [line.strip() for line in lines[lines.index("calculator: 7") + 1:]]
    outputs = [line for line in count if line.startswith("/count output")]
    assert outputs == ["/count output '0'", "/count output '0 1'", "/count output '0 1 2'"]
    statuses = [line.split()[-1] for line in count if line.startswith("/count status")]
    assert statuses[-1] == "FINISHED" and statuses.count("ITERATING") == 3
    # each output right after its ITERATING status, and nothing after FINISHED but the result
    for output in outputs:
        assert count[count.index(output) - 1] == "/count status ITERATING"
    assert count[-2:] == ["/count status FINISHED", "count: 0 1 2"]
    assert "Traceback" not in done.stderr
