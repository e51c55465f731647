"""``gradio-client``: call a Gradio app from the shell.

    gradio-client api SRC                          print the app's API
    gradio-client predict SRC --api-name /x ARGS   run a job, showing queue, ETA, progress

Each argument is read by the type of the endpoint's parameter it goes to: as it is for a
text parameter (``'{"a": 1}'`` stays that string); a local path or URL for a file
parameter (the file is uploaded; a path that does not exist is an error); JSON for anything
else (``3``, ``true``, ``[1, 2]``), falling back to the plain string.  Without parameter
information every argument is JSON when it parses as JSON.  ``--kw name=value`` passes an
argument by name.  While the job waits, stderr shows its queue rank, ETA and
``gr.Progress`` bar; generator outputs stream to stdout as they come.  ``--json`` prints
one JSON object per line instead (status, output, result or error).  Errors print a one-line
reason and exit with status 1 (2 for usage errors).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Literal, TextIO

from .. import batch_cli
from .._stubgen import cli as stubs_cli
from .._files import handle_file
from ..client import Client
from ..errors import GradioClientError
from ..protocol.api import Endpoint
from ..protocol.connect import is_url
from ..protocol.status import OutputUpdate, Status, StatusUpdate


Kind = Literal["text", "file", "json"]

EXAMPLES = """examples:
  gradio-client api http://127.0.0.1:7860/
  gradio-client predict http://127.0.0.1:7860/ --api-name /calculator 3 add 4
  gradio-client predict http://127.0.0.1:7860/ --api-name /echo '{"a": 1}'   # text stays text
  gradio-client predict http://127.0.0.1:7860/ --api-name /add --kw a=2 --kw b=3
  gradio-client predict http://127.0.0.1:7860/ --api-name /file_roundtrip ./in.txt --download-dir out
  gradio-client predict owner/space --token hf_... --api-name /predict --json "a prompt"
  gradio-client api http://host/ --auth user:secret --header "X-Api-Key: k"
"""


def parse_value(text: str) -> Any:
    """A command-line value with no parameter type known: JSON, else the plain string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_argument(text: str, kind: Kind) -> Any:
    """A command-line value for a parameter of ``kind`` (see :func:`parameter_kinds`).

    Text is taken as it is; a file parameter takes a path or URL (``FileError`` when the
    path does not exist), or a JSON list of them; anything else is JSON, else the string."""
    if kind == "text":
        return text
    if kind == "file":
        if text.startswith("[") and not is_url(text):
            value = parse_value(text)
            if isinstance(value, list):
                return [handle_file(v) if isinstance(v, str) else v for v in value]
        if not is_url(text):
            handle_file(text)  # FileError when it does not exist or is not a file
        return text  # a plain path: the client uploads it (or inlines it, for Gradio 3.x)
    return parse_value(text)


def parameter_kinds(endpoint: Endpoint) -> list[Kind] | None:
    """How to read each API parameter of ``endpoint`` from the command line, in order
    (None without parameter information): ``file`` for a component that takes files,
    ``text`` where the JSON schema is a plain string, ``json`` otherwise."""
    params = endpoint.parameters
    if params is None:
        return None
    skipped = set(endpoint.skipped_inputs)
    api_positions = [i for i in range(len(endpoint.inputs)) if i not in skipped]
    files = {api_positions.index(i) for i in endpoint.file_inputs if i in api_positions}
    kinds: list[Kind] = []
    for index, param in enumerate(params):
        schema = param.type if isinstance(param.type, dict) else {}
        if index in files:
            kinds.append("file")
        elif schema.get("type") == "string" and "format" not in schema:
            kinds.append("text")
        else:
            kinds.append("json")
    return kinds


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradio-client",
        description=__doc__.split("\n\n")[0],
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("src", help="app URL or Hugging Face Space id (owner/name)")
    common.add_argument("--token", help="Hugging Face token (private Spaces)")
    common.add_argument("--auth", metavar="USER:PASSWORD", help="log in to a password-protected app")
    common.add_argument(
        "--header", action="append", default=[], metavar="NAME:VALUE",
        help='an extra header for every request to the app, e.g. "X-Api-Key: k" (repeatable)',
    )
    sub = parser.add_subparsers(dest="command", required=True)
    api = sub.add_parser("api", parents=[common], help="print the app's API")
    api.add_argument("--all", action="store_true", help="include undocumented endpoints")
    api.add_argument("--json", action="store_true", help="print the API as JSON")
    run = sub.add_parser(
        "predict", parents=[common], help="run a job", epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run one job.  Text parameters take the argument as it is, file "
        "parameters a path or URL (uploaded), others JSON (else the plain string).",
    )
    target = run.add_mutually_exclusive_group()
    target.add_argument("--api-name", help='endpoint name, e.g. "/predict"')
    target.add_argument("--fn-index", type=int, help="endpoint index")
    run.add_argument(
        "args", nargs="*",
        help="arguments in order: text as it is, a path or URL for a file, JSON otherwise",
    )
    run.add_argument(
        "--kw", action="append", default=[], metavar="NAME=VALUE",
        help="an argument by its parameter name, read like a positional one (repeatable)",
    )
    run.add_argument("--json", action="store_true", help="JSON lines on stdout")
    run.add_argument("--timeout", type=float, help="cancel the job after this many seconds")
    run.add_argument("--download-dir", help="where output files go (default: a temp folder)")
    run.add_argument("--no-download", action="store_true", help="leave output files on the server")
    batch_cli.add_parser(sub, common)
    stubs_cli.add_parser(sub, common)
    return parser


def main(argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = _parser()
    # Arguments may come before or after options: collect leftover positionals ourselves.
    args, extra = parser.parse_known_args(argv)
    unknown = [e for e in extra if e.startswith("--")]
    if unknown or (extra and args.command not in ("predict", "batch")):
        parser.error(f"unrecognized arguments: {' '.join(unknown or extra)}")
    if extra and args.command == "batch":
        args.more_src = [*args.more_src, *extra]
    elif extra:
        args.args = [*args.args, *extra]
    try:
        client_kwargs: dict[str, Any] = {"token": args.token, "verbose": False}
        if args.auth:
            user, _, password = args.auth.partition(":")
            client_kwargs["auth"] = (user, password)
        if args.header:
            if any(":" not in h for h in args.header):
                parser.error("--header expects NAME:VALUE")
            client_kwargs["headers"] = {
                name.strip(): value.strip()
                for name, value in (h.split(":", 1) for h in args.header)
            }
        if args.command == "predict":
            if args.no_download:
                client_kwargs["download_files"] = False
            elif args.download_dir:
                client_kwargs["download_files"] = args.download_dir
        if args.command == "batch":
            return batch_cli.main(args, client_kwargs, out, err)
        if args.command == "stubs":
            return stubs_cli.main(args, client_kwargs, out, err)
        with Client(args.src, **client_kwargs) as client:
            if args.command == "api":
                if args.json:
                    info = client.view_api(all_endpoints=args.all, print_info=False, return_format="dict")
                    print(json.dumps(info, indent=2, default=str), file=out)
                else:
                    print(client.view_api(args.all, print_info=False, return_format="str"), file=out)
                return 0
            return _predict(client, args, out, err)
    except GradioClientError as exc:
        _fail(exc, args, out, err)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return 130


def _predict(client: Client, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    endpoint = client.app_config.endpoint(api_name=args.api_name, fn_index=args.fn_index)
    kinds = parameter_kinds(endpoint)
    names = [p.name for p in endpoint.parameters or ()]
    kwargs = {}
    for item in args.kw:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--kw expects NAME=VALUE, got {item!r}")
        kwargs[name] = parse_argument(
            value, kinds[names.index(name)] if kinds and name in names else "json"
        )
    positional = [
        parse_argument(a, kinds[i] if kinds and i < len(kinds) else "json")
        for i, a in enumerate(args.args)
    ]
    job = client.submit(
        *positional,
        api_name=args.api_name,
        fn_index=args.fn_index,
        job_timeout=args.timeout,
        **kwargs,
    )
    status_line = _StatusLine(err)
    try:
        for update in job.watch():
            if isinstance(update, OutputUpdate):
                if args.json:
                    kind = "result" if update.final else "output"
                    _json_line(out, {"type": kind, "value": update.outputs})
                elif not update.final or not job.outputs()[:-1]:
                    status_line.clear()
                    print(_text(update.outputs), file=out, flush=True)
            elif args.json:
                _json_line(out, _status_dict(update))
            else:
                status_line.show(update)
    except KeyboardInterrupt:
        job.cancel()
        raise
    status_line.clear()
    job.result()  # raises the job's error, if any
    return 0


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str, ensure_ascii=False)


def _json_line(stream: TextIO, obj: dict[str, Any]) -> None:
    print(json.dumps(obj, default=str, ensure_ascii=False), file=stream, flush=True)


def _status_dict(update: StatusUpdate) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "status", "code": update.code.name}
    for key in ("rank", "queue_size", "eta", "success"):
        value = getattr(update, key)
        if value is not None:
            data[key] = value
    if update.progress_data:
        data["progress"] = [
            {"index": p.index, "length": p.length, "unit": p.unit, "desc": p.desc, "progress": p.progress}
            for p in update.progress_data
        ]
    if update.log:
        data["log"], data["level"] = update.log
    return data


class _StatusLine:
    """One line on stderr, rewritten in place on a terminal, printed on change otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last = ""

    def show(self, update: StatusUpdate) -> None:
        text = describe(update)
        if update.code is Status.LOG and update.log:
            self.clear()
            print(f"{update.log[1]}: {update.log[0]}", file=self.stream, flush=True)
            return
        if not text or text == self.last:
            return
        self.last = text
        if self.tty:
            self.stream.write("\r\x1b[2K" + text)
            self.stream.flush()
        else:
            print(text, file=self.stream, flush=True)

    def clear(self) -> None:
        if self.tty and self.last:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.last = ""


def describe(update: StatusUpdate) -> str:
    """A short human line for a status: queue position, ETA, or a progress bar."""
    if update.code is Status.IN_QUEUE:
        rank = f"{update.rank + 1}" if update.rank is not None else "?"
        size = f"/{update.queue_size}" if update.queue_size is not None else ""
        eta = f", eta {update.eta:.1f}s" if update.eta is not None else ""
        return f"queued: position {rank}{size}{eta}"
    if update.code is Status.PROCESSING:
        return "processing" + (f" (eta {update.eta:.1f}s)" if update.eta else "")
    if update.code is Status.PROGRESS and update.progress_data:
        unit = update.progress_data[-1]
        if unit.length and unit.index is not None:
            done = min(1.0, max(0.0, float(unit.index) / float(unit.length)))
            bar = "#" * int(done * 20) + "." * (20 - int(done * 20))
            label = f" {unit.desc}" if unit.desc else ""
            return f"[{bar}] {unit.index:g}/{unit.length:g} {unit.unit or ''}{label}".rstrip()
        if unit.progress is not None:
            return f"progress {unit.progress * 100:.0f}%" + (f" {unit.desc}" if unit.desc else "")
        return unit.desc or ""
    if update.code in (Status.STARTING, Status.JOINING_QUEUE, Status.SENDING_DATA):
        return update.code.name.lower().replace("_", " ")
    return ""


def _fail(exc: GradioClientError, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    message = " ".join(str(exc).split()) or type(exc).__name__
    if getattr(args, "json", False):
        _json_line(out, {"type": "error", "error": type(exc).__name__, "message": message})
    print(f"error: {type(exc).__name__}: {message}", file=err)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
