"""``gradio deploy-discord``: the official client's command, present so that gradio 4.x and 5.x
import and run on this package.

gradio 4.x and 5.x register :func:`main` as their ``deploy-discord`` command at ``import gradio``
(``from gradio_client.cli import deploy_discord``, then ``typer`` reads its signature for the
options and their help).  The signature and help are the official ones, so ``gradio
deploy-discord --help`` reads the same.  Deploying is not supported: the official command
creates a Hugging Face Space hosting a Discord bot (deprecated there, and gone from the official
client 2.x); this package talks to Gradio apps only.  Calling :func:`main` raises
:class:`DeployDiscordNotSupported` without touching the network; run from the command line it
prints that reason and exits with status 1.
"""

import importlib
import sys
from typing import Annotated, Any

__all__ = ["DeployDiscordNotSupported", "main"]

REASON = ("deploying a Gradio app as a Discord bot is not supported by this gradio_client "
          "package (it calls Gradio apps only; the official client deprecated the command and "
          "dropped it in 2.0). Use the official gradio_client 1.x in an environment of its own "
          "for `gradio deploy-discord`.")


class DeployDiscordNotSupported(NotImplementedError):
    """``deploy_discord`` was called: this package does not deploy Discord bots."""


def _option(help: str) -> Any:
    """``typer.Option(help=...)`` where typer is installed (gradio brings it: it is what reads
    this signature); plain text otherwise, which nothing reads."""
    try:
        typer = importlib.import_module("typer")
    except ImportError:
        return help
    return typer.Option(help=help)


def _in_command_line() -> bool:
    """Whether a click or typer command (gradio's command line) is running us: typer 0.29
    carries its own copy of click, with its own current context."""
    for module in ("typer.main", "click"):
        try:
            current = importlib.import_module(module).get_current_context
        except (ImportError, AttributeError):
            continue
        if current(silent=True) is not None:
            return True
    return False


def main(
    src: Annotated[
        str | None,
        _option("The space id or url or gradio app you want to deploy as a gradio bot."),
    ] = None,
    discord_bot_token: Annotated[
        str | None, _option("Discord bot token. Get one on the discord website.")
    ] = None,
    api_names: Annotated[
        list[str] | None, _option("Api names to turn into discord bots")
    ] = None,
    to_id: Annotated[
        str | None, _option("Name of the space used to host the discord bot")
    ] = None,
    hf_token: Annotated[
        str | None,
        _option("Hugging Face token. Can be ommitted if you are logged in via huggingface_hub cli. "
                "Must be provided if upstream space is private."),
    ] = None,
    private: Annotated[bool, _option("Whether the discord bot space is private.")] = False,
) -> None:
    """Deploy ``src`` as a Discord bot: not supported (see the module docstring).  Raises
    :class:`DeployDiscordNotSupported`; inside a command line, prints the reason to stderr
    and exits with status 1 instead of showing a traceback."""
    if _in_command_line():
        print(f"Error: {REASON}", file=sys.stderr)
        raise SystemExit(1)
    raise DeployDiscordNotSupported(REASON)
