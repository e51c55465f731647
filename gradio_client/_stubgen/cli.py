"""``gradio-client stubs``: write a typed module for an app's API (:mod:`gradio_client.stubs`).

    gradio-client stubs SRC --output app_api.py [--all]
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

_EXAMPLES = """examples:
  gradio-client stubs http://127.0.0.1:7860/ --output app_api.py
  gradio-client stubs owner/space --token hf_... --output space_api.py --all

then:
  from app_api import Api
  api = Api("http://127.0.0.1:7860/")
  print(api.calculator(3, "add", 4))
"""


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "stubs", parents=[common], help="write a typed Python module for the app's API",
        description="Write a module with classes Api (Client) and AsyncApi (AsyncClient): "
        "one typed method per named endpoint, submit_<name> returning a typed job.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", "-o", help="the module to write (default: stdout)")
    parser.add_argument("--all", action="store_true", help="include undocumented endpoints")
    parser.add_argument("--source", help="the source the module records (default: SRC)")


def main(args: argparse.Namespace, client_kwargs: dict[str, Any], out: TextIO, err: TextIO) -> int:
    from ..client import Client
    from ..stubs import generate

    with Client(args.src, **client_kwargs) as client:
        text = generate(client, include_undocumented=args.all, source=args.source or args.src)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            print(f"error: cannot write {args.output}: {exc}", file=err)
            return 1
        count = text.count("\n    def submit_")
        print(f"wrote {args.output}: {count} endpoint(s), classes Api and AsyncApi", file=err)
    else:
        out.write(text)
    return 0
