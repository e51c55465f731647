"""The app model, re-exported from :mod:`gradio_client.protocol.app` (its home since the
split into ``app/{model,tolerant,config,info,call,files,render}.py``): existing imports of
``gradio_client.protocol.api`` keep working."""

from .app import *  # noqa: F403
from .app import __all__ as __all__
