#!/usr/bin/env python3
"""The live conformance matrix: every scenario against every Gradio generation.

    python3 tools/matrix.py [VERSION ...] [--kinds sync,trio,asyncio] [--scenarios a,b] [--record]
                            [--no-docs] [--json FILE]

For each version (default: every pinned one, tools/run.py GRADIO_ENVS), builds/verifies its
virtualenv, starts examples/apps/kitchen_sink.py once, runs tests/conformance/scenarios.py
through each client kind (sync ``Client``, ``AsyncClient`` on trio and on asyncio), and
prints a pass/fail table per generation x scenario.  The table also goes to
docs/generations.md (unless --no-docs or a partial run).  ``--record`` saves the sync client's wire sessions as the
replay fixtures in tests/data/sessions/<version>/ (what tools/record.py does).

"known" in the table is a failure listed in scenarios.KNOWN_BUGS (root cause and patch in
the issue report); "FAIL" is anything else.  Exit status 1 if any cell is FAIL.

Runs under the dev virtualenv (re-executes itself there when started with a bare python3).
Takes about 4-6 minutes for all eight generations and the three client kinds on 2 cores;
one server runs at a time.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "generations.md"


def _ensure_dev_python() -> None:
    """Re-exec under the dev venv unless our package and trio import here."""
    if os.environ.get("GCX_MATRIX_CHILD"):
        return
    try:
        import trio  # noqa: F401

        import gradio_client.testing  # noqa: F401
    except ImportError:
        pass
    else:
        if str(ROOT) in sys.path or os.environ.get("PYTHONPATH", "").startswith(str(ROOT)):
            return
    sys.path.insert(0, str(ROOT / "tools"))
    import run  # tools/run.py

    python = run.ensure_dev()
    env = dict(os.environ, GCX_MATRIX_CHILD="1", PYTHONPATH=str(ROOT))
    os.execve(str(python), [str(python), *sys.argv], env)


def main(argv: list[str]) -> int:
    _ensure_dev_python()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tools"))
    import run  # tools/run.py

    from tests.conformance import runner
    from tests.conformance.scenarios import GENERATIONS, KNOWN_BUGS, ORDER
    from tests.servers.gradio_server import start_app

    args = list(argv)
    record = _flag(args, "--record")
    docs = not _flag(args, "--no-docs")
    kinds = _option(args, "--kinds", ",".join(runner.KINDS)).split(",")
    scenarios = _option(args, "--scenarios", ",".join(ORDER)).split(",")
    json_out = _option(args, "--json", "")
    versions = [run.resolve_version(v) for v in args] or list(GENERATIONS)
    unknown = [s for s in scenarios if s not in ORDER] + [k for k in kinds if k not in runner.KINDS]
    if unknown:
        raise SystemExit(f"unknown scenario or client kind: {unknown}; kinds: {runner.KINDS}"
                         + (f" ({runner.AIO_MISSING})" if runner.AIO_MISSING else ""))
    started = time.monotonic()
    outcomes: list[runner.Outcome] = []
    timings: dict[str, float] = {}
    for version in versions:
        t0 = time.monotonic()
        python = run.ensure_gradio(version)
        app = start_app(version, python=str(python))
        print(f"== gradio {version} ({GENERATIONS[version].protocol}) at {app.url}", flush=True)
        try:
            for kind in kinds:
                for name in scenarios:
                    outcome = runner.run_live(version, name, kind, app.url, str(app.tmp_dir))
                    retries = 2 if record and kind == "sync" else 0
                    while retries and not outcome.ok and (name, version) not in KNOWN_BUGS:
                        # fixtures come from clean runs: retry what may be a race
                        print(f"   {kind:7} {name:15} failed ({outcome.error.splitlines()[-1][:80]}); "
                              "retrying", flush=True)
                        outcome = runner.run_live(version, name, kind, app.url, str(app.tmp_dir))
                        retries -= 1
                    outcomes.append(outcome)
                    line = f"   {kind:7} {name:15} {outcome.label:6} {outcome.seconds:6.1f} s"
                    if not outcome.ok:
                        line += f"  {outcome.error.splitlines()[-1][:160]}"
                    print(line, flush=True)
                    if record and kind == "sync":
                        path = runner.save_session(outcome)
                        print(f"      recorded {path.relative_to(ROOT)}", flush=True)
        finally:
            app.stop()
        timings[version] = time.monotonic() - t0
    total = time.monotonic() - started
    table = render(outcomes, versions, kinds, scenarios, timings, total)
    print("\n" + table)
    if docs and set(versions) == set(GENERATIONS) and set(scenarios) == set(ORDER):
        write_docs(table)
        print(f"wrote {DOCS.relative_to(ROOT)}")
    if json_out:
        Path(json_out).write_text(json.dumps(
            [{k: v for k, v in o.__dict__.items() if k != "session"} for o in outcomes], indent=1))
    return 1 if any(o.label == "FAIL" for o in outcomes) else 0


def render(outcomes: list[Any], versions: list[str], kinds: list[str], scenarios: list[str],
           timings: dict[str, float], total: float) -> str:
    from tests.conformance.scenarios import GENERATIONS

    by = {(o.version, o.scenario, o.kind): o for o in outcomes}
    head = "| scenario | " + " | ".join(
        f"{v} `{GENERATIONS[v].protocol}`" for v in versions) + " |"
    lines = [head, "|---|" + "---|" * len(versions)]
    for name in scenarios:
        cells = []
        for v in versions:
            marks = []
            for kind in kinds:
                o = by.get((v, name, kind))
                if o is not None:
                    marks.append(f"{o.label}" if len(kinds) == 1 else f"{kind[0]}:{o.label}")
            cells.append(" ".join(marks))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| seconds (server start + all runs) | " + " | ".join(
        f"{timings.get(v, 0):.0f}" for v in versions) + " |")
    lines.append("")
    lines.append(f"Total {total / 60:.1f} min; client kinds: {', '.join(kinds)} "
                 "(s: sync Client, t: AsyncClient on trio, a: AsyncClient on asyncio).")
    failures = [o for o in outcomes if not o.ok]
    if failures:
        lines.append("")
        lines.append("Failures:")
        for o in failures:
            why = o.known or o.error.splitlines()[-1][:300]
            lines.append(f"- {o.version} {o.scenario} ({o.kind}): {why}")
    return "\n".join(lines)


BEGIN, END = "<!-- matrix:begin -->", "<!-- matrix:end -->"


def write_docs(table: str) -> None:
    stamp = time.strftime("%Y-%m-%d")
    block = f"{BEGIN}\nLast run {stamp} (`python3 tools/matrix.py`):\n\n{table}\n{END}"
    text = DOCS.read_text() if DOCS.exists() else f"# Gradio generations\n\n{BEGIN}\n{END}\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text += "\n" + block + "\n"
    DOCS.parent.mkdir(exist_ok=True)
    DOCS.write_text(text)


def _flag(args: list[str], name: str) -> bool:
    if name in args:
        args.remove(name)
        return True
    return False


def _option(args: list[str], name: str, default: str) -> str:
    if name in args:
        i = args.index(name)
        value = args[i + 1]
        del args[i: i + 2]
        return value
    return default


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
