#!/usr/bin/env python3
"""Run one fuzz target under atheris, instrumenting only ``gradio_client``.

    python fuzz/run.py fuzz_sse [libFuzzer options] [CORPUS_DIR ...]
    python fuzz/run.py fuzz_machine -atheris_runs=1000001 -max_total_time=1200 \\
        -artifact_prefix=/tmp/crash- /tmp/corpus-machine

``atheris.instrument_all()`` would also instrument hypothesis, pytest and the standard
library, and takes minutes to start; only the code under test needs coverage feedback.
Needs ``pip install atheris`` (the dev virtualenv has it when built for fuzzing).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    if len(sys.argv) < 2 or not (ROOT / "fuzz" / f"{sys.argv[1]}.py").exists():
        raise SystemExit(__doc__)
    target = sys.argv.pop(1)
    sys.path.insert(0, str(ROOT))
    with atheris.instrument_imports(include=["gradio_client"]):
        import gradio_client.protocol.diff  # noqa: F401
        import gradio_client.protocol.machine  # noqa: F401
        import gradio_client.protocol.messages  # noqa: F401
        import gradio_client.protocol.sse  # noqa: F401
    spec = importlib.util.spec_from_file_location(target, ROOT / "fuzz" / f"{target}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    atheris.Setup(sys.argv, module.test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
