"""``gradio-client batch``: run every row of an input file through an app, resumably.

    gradio-client batch SRC [SRC ...] --api-name /predict --input rows.jsonl --output out.jsonl

Input: JSON lines, each a JSON list (positional arguments) or object (keyword arguments);
or CSV (a ``.csv`` file, or ``--format csv``) whose header row names the parameters, values
converted by the parameter's type (numbers and booleans parsed, text kept as is).  Row ``i``
is the ``i``-th non-blank line or CSV record, counted from 0.

Output: JSON lines appended as rows complete, ``{"index": i, "output": ...}`` or
``{"index": i, "error": {"type", "message", "attempts", "may_have_run"}}``.  Running the
same command again resumes: rows already in the output are not sent again (``--retry-failed``
sends the failed ones again; the last line for an index is the one that counts).  A cut-off
last line (a crash mid-write) is dropped.  Several SRCs are replicas of one app: rows are
spread over them by free capacity, and a replica that fails hands its rows to the others.
Exit status: 0 when every row succeeded, 1 when some failed, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the batch machinery loads only when `batch` runs, not for every command
    from .batch import BatchRun

_NUMERIC = {"int", "float", "bool", "number", "integer", "boolean"}


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "batch", parents=[common], help="run every row of a file through the app (resumable)",
        description=__doc__.split("\n\n")[0], epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("more_src", nargs="*", metavar="SRC",
                        help="more replicas of the same app (URLs or Space ids)")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--api-name", help='endpoint name, e.g. "/predict"')
    target.add_argument("--fn-index", type=int, help="endpoint index")
    parser.add_argument("--input", required=True, help="JSON lines or CSV file of rows")
    parser.add_argument("--output", required=True, help="JSON lines file (appended; resumes)")
    parser.add_argument("--format", choices=["jsonl", "csv"],
                        help="input format (default: by the file's extension)")
    parser.add_argument("--concurrency", type=int, help="rows in flight per replica (default 8)")
    parser.add_argument("--retries", type=int, default=3,
                        help="retries of a row after a transient failure (default 3)")
    parser.add_argument("--unordered", action="store_true",
                        help="write rows as they finish instead of in input order")
    parser.add_argument("--retry-failed", action="store_true",
                        help="on resume, send again the rows whose last line is an error")
    parser.add_argument("--quiet", action="store_true", help="no progress line on stderr")


_EXAMPLES = """examples:
  gradio-client batch http://127.0.0.1:7860 --api-name /echo --input in.jsonl --output out.jsonl
  gradio-client batch http://a:7860 http://b:7860 --api-name /predict --input rows.csv \\
      --output out.jsonl --concurrency 4
"""


# ---------------------------------------------------------------------------- input, output


def read_jsonl(stream: IO[str]) -> Iterator[Any]:
    """Rows of a JSON-lines file; a bad line becomes a ``BadInput`` in its place."""
    from .batch import BadInput

    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            yield BadInput(f"input line {number}: not JSON ({exc})")
            continue
        if not isinstance(row, (list, dict)):
            yield BadInput(f"input line {number}: expected a JSON list (positional arguments) "
                           f"or object (keyword arguments), got {type(row).__name__}")
            continue
        yield row


def read_csv(stream: IO[str], types: dict[str, str]) -> Iterator[Any]:
    """Rows of a CSV file with a header row of parameter names."""
    from .batch import BadInput

    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        return
    for record in reader:
        if not record:
            continue
        line = reader.line_num
        if len(record) != len(header):
            yield BadInput(f"input line {line}: {len(record)} fields where the header has "
                           f"{len(header)}")
            continue
        row: dict[str, Any] = {}
        try:
            for name, text in zip(header, record):
                if types.get(name, "str") in _NUMERIC:
                    if text == "":
                        continue  # the parameter's default
                    row[name] = json.loads(text.lower() if text in ("True", "False") else text)
                else:
                    row[name] = text
        except ValueError:
            yield BadInput(f"input line {line}: {name}={text!r} is not a {types[name]}")
            continue
        yield row


def resume(path: str, retry_failed: bool) -> set[int]:
    """Indices already in the output; drops a cut-off last line so appends stay valid."""
    done: dict[int, bool] = {}
    if not os.path.exists(path):
        return set()
    good_end = 0
    with open(path, "rb") as f:
        for raw in f:
            if not raw.endswith(b"\n"):
                break  # cut off mid-write
            try:
                record = json.loads(raw)
                index = record["index"]
            except (ValueError, KeyError, TypeError):
                break
            if not isinstance(index, int):
                break
            done[index] = "error" not in record
            good_end += len(raw)
    if good_end != os.path.getsize(path):
        with open(path, "r+b") as f:
            f.truncate(good_end)
    return {i for i, ok in done.items() if ok or not retry_failed}


def _parameter_types(client: Any, api_name: str | None, fn_index: int | None) -> dict[str, str]:
    api = client.view_api(print_info=False, return_format="dict")
    if api_name is not None:
        endpoint = api.get("named_endpoints", {}).get(api_name) or {}
    else:
        endpoint = api.get("unnamed_endpoints", {}).get(str(fn_index)) or {}
    types: dict[str, str] = {}
    for p in endpoint.get("parameters", []):
        kind = (p.get("type") or {}).get("type") if isinstance(p.get("type"), dict) else None
        python = (p.get("python_type") or {}).get("type", "")
        types[p.get("parameter_name") or ""] = str(kind or python or "str")
    return types


# ---------------------------------------------------------------------------- progress


class Progress:
    def __init__(self, stream: TextIO, total: int, quiet: bool) -> None:
        self.stream, self.total, self.quiet = stream, total, quiet
        self.last = 0.0

    def show(self, run: BatchRun, skipped: int, force: bool = False) -> None:
        now = time.monotonic()
        if self.quiet or (not force and now - self.last < 0.5):
            return
        self.last = now
        finished = run.counts["done"] + run.counts["failed"]
        rate = finished / max(now - run.started, 1e-9)
        left = max(0, self.total - skipped - finished)
        eta = f"{left / rate:.0f}s" if rate > 0 else "?"
        replicas = " | ".join(
            f"r{i}: {s['done']} done, {s['failed']} failed, {s['running']} running"
            + (" (cooling)" if s["cooling"] else "")
            for i, s in enumerate(run.replica_stats()))
        self.stream.write(f"\r{run.counts['done']} done, {run.counts['failed']} failed, "
                          f"{rate:.1f} rows/s, ETA {eta} | {replicas}\x1b[K")
        self.stream.flush()


def _count_rows(path: str, fmt: str) -> int:
    with open(path, encoding="utf-8", newline="") as f:
        if fmt == "csv":
            return max(0, sum(1 for record in csv.reader(f) if record) - 1)
        return sum(1 for line in f if line.strip())


# ---------------------------------------------------------------------------- command


def run(args: argparse.Namespace, clients: list[Any], out: TextIO, err: TextIO) -> int:
    from .batch import RowError, run_map

    fmt = args.format or ("csv" if args.input.lower().endswith(".csv") else "jsonl")
    done = resume(args.output, args.retry_failed)
    total = _count_rows(args.input, fmt)
    progress = Progress(err, total, args.quiet)
    with open(args.input, encoding="utf-8", newline="") as source, \
            open(args.output, "a", encoding="utf-8") as sink:
        if fmt == "csv":
            rows = read_csv(source, _parameter_types(clients[0], args.api_name, args.fn_index))
        else:
            rows = read_jsonl(source)
        with run_map(clients, rows, api_name=args.api_name, fn_index=args.fn_index,
                     concurrency=args.concurrency, ordered=not args.unordered,
                     retries=args.retries, on_error="record",
                     skip=done.__contains__) as batch:
            for index, value in batch:
                if isinstance(value, RowError):
                    record: dict[str, Any] = {"index": index, "error": value.as_dict()}
                else:
                    record = {"index": index, "output": value}
                sink.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")
                sink.flush()
                progress.show(batch, len(done))
    progress.show(batch, len(done), force=True)
    counts = batch.counts
    summary = (f"{counts['done']} done, {counts['failed']} failed, {len(done)} already in "
               f"{args.output}; {counts['retried']} retried attempts")
    if counts["may_have_run"]:
        summary += f"; {counts['may_have_run']} failed rows may have run in the app"
    if batch.errors_by_type:
        summary += "; errors: " + ", ".join(f"{k} {v}" for k, v in sorted(batch.errors_by_type.items()))
    if not args.quiet:
        err.write("\n")
    err.write(summary + "\n")
    return 1 if counts["failed"] else 0


def main(args: argparse.Namespace, client_kwargs: dict[str, Any], out: TextIO, err: TextIO) -> int:
    from .batch import ClientPool

    with ClientPool([args.src, *args.more_src], **client_kwargs) as pool:
        return run(args, pool.clients, out, err)

