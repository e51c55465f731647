"""The app model: what ``/config`` and ``/info`` say, and what follows for a call.

Pure (msgspec and the standard library only).  It turns the two documents a Gradio server
publishes into frozen values, and answers the questions a client asks before and after a
job:

* ``model.py``: the values (:class:`AppConfig`, :class:`Endpoint`, :class:`ApiInfo`, ...) and
  which endpoint ``api_name`` / ``fn_index`` means (:meth:`AppConfig.endpoint`);
* ``tolerant.py``: decoding server documents field by field, with logged notices;
* ``config.py``: ``/config`` (:func:`parse_config`);
* ``info.py``: ``/info`` (:func:`parse_info`), or one derived from the config;
* ``call.py``: ``*args, **kwargs`` to the wire ``data`` list (:func:`build_data`) and the
  wire result to the user's value (:func:`outputs_value`);
* ``files.py``: which values are file references (:func:`map_files`);
* ``render.py``: what the API looks like to a person (:func:`render_api`, :func:`info_dict`).
"""

from .call import build_data, outputs_value
from .config import parse_config
from .files import has_files, is_file_reference, map_files
from .info import info_from_config, merge_public_info, needs_public_info, parse_info, with_info
from .model import (
    SKIP_TYPES,
    ApiInfo,
    AppConfig,
    Component,
    Endpoint,
    EndpointInfo,
    Parameter,
    Return,
    version_tuple,
)
from .render import info_dict, render_api

__all__ = [
    "SKIP_TYPES",
    "ApiInfo",
    "AppConfig",
    "Component",
    "Endpoint",
    "EndpointInfo",
    "Parameter",
    "Return",
    "build_data",
    "has_files",
    "info_dict",
    "info_from_config",
    "is_file_reference",
    "map_files",
    "merge_public_info",
    "needs_public_info",
    "outputs_value",
    "parse_config",
    "parse_info",
    "render_api",
    "version_tuple",
    "with_info",
]
