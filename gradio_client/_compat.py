"""Helpers of the official ``gradio_client.utils`` that gradio and downstream code call:
URL and file-name checks, MIME types, base64 files, FileData dictionaries, traversal of
nested values, keyword arguments against ``/info`` parameters, and running a coroutine from
synchronous code.

Each function has the official observable behaviour (same results, same exception classes and
messages); ``tests/dropin/test_utils_diff.py`` compares them with the official ones, in the
official client's environment, over generated inputs.  One deliberate difference, where the
official one crashes: :func:`is_file_obj_with_meta` is ``False`` for a ``meta`` that is not a
mapping (the official one raises ``AttributeError``).
"""

from __future__ import annotations

import asyncio
import base64
import mimetypes
import os
import secrets
import tempfile
import threading
import urllib.parse
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import IO, Any

# ------------------------------------------------------------------------------ URLs, paths


def is_http_url_like(possible_url: Any) -> bool:
    """A string that starts with ``http://`` or ``https://`` (no request is made)."""
    return isinstance(possible_url, str) and possible_url.startswith(("http://", "https://"))


def is_filepath(s: Any) -> bool:
    """A ``str`` or ``Path`` naming an existing regular file."""
    return isinstance(s, (str, Path)) and Path(s).is_file()


def encode_file_path(path: str | Path) -> str:
    """A filesystem path percent-encoded for use after gradio's ``/file=`` route (``/`` kept)."""
    return urllib.parse.quote(str(path), safe="/")


# ----------------------------------------------------------------------------- MIME types
# mimetypes' names that gradio's front end spells differently
_MIME_RENAMES = (("x-wav", "wav"), ("x-flac", "flac"))


def get_mimetype(filename: str) -> str | None:
    """The MIME type of a file name (or a ``data:`` URL); ``.vtt`` and ``.webp`` are known
    whatever the platform's tables say, and ``audio/x-wav``/``x-flac`` read ``audio/wav``/``flac``."""
    lower = filename.lower()
    if lower.endswith(".vtt"):
        return "text/vtt"
    if lower.endswith(".webp"):
        return "image/webp"
    guessed = mimetypes.guess_type(filename)[0]
    if guessed is None:
        return None
    for old, new in _MIME_RENAMES:
        guessed = guessed.replace(old, new)
    return guessed


def get_extension(encoding: str) -> str | None:
    """The file extension (no dot) for a ``data:`` URL's MIME type, or None."""
    mime = mimetypes.guess_type(encoding.replace("audio/wav", "audio/x-wav"))[0]
    if mime is None:
        return None
    if mime == "audio/flac":
        return "flac"
    extension = mimetypes.guess_extension(mime)
    if extension is not None and extension[:1] == ".":
        return extension[1:]
    return extension


def is_valid_file(file_path: str, file_types: list[str]) -> bool:
    """Whether a file matches one of gradio's ``file_types`` entries: ``"file"`` (anything),
    an extension such as ``".png"`` (case-insensitive, not the whole name), or a MIME
    category such as ``"image"``."""
    name = Path(file_path).name.lower()
    mime = get_mimetype(file_path)
    for wanted in file_types:
        if wanted == "file":
            return True
        if wanted.startswith("."):
            suffix = wanted.lower()
            if len(name) > len(suffix) and name.endswith(suffix):
                return True
        elif mime is not None and mime.startswith(wanted + "/"):
            return True
    return False


# ----------------------------------------------------------------------------- file names
# Removed from file names: what Windows forbids, ASCII control characters and DEL, and
# characters that are dangerous in shells.
_FORBIDDEN = frozenset('<>:"/\\|?*`$!{}\x7f') | frozenset(chr(c) for c in range(0x20))
# Windows device names; a file named like one (before its first dot) gets a "_" prefix.
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{dev}{n}" for dev in ("COM", "LPT") for n in "123456789\u00b9\u00b2\u00b3"]
)


def _clean(text: str) -> str:
    return "".join(ch for ch in text if ch not in _FORBIDDEN)


def _fit_prefix(stem: str, tail: str, max_bytes: int) -> str | None:
    """The longest prefix of ``stem`` with ``len((prefix + tail).encode()) <= max_bytes``,
    or None when not even the empty prefix fits."""
    budget = max_bytes - len(tail.encode())
    if budget < 0:
        return None
    used = 0
    for i, ch in enumerate(stem):
        used += len(ch.encode())
        if used > budget:
            return stem[:i]
    return stem


def strip_invalid_filename_characters(filename: str, max_bytes: int = 200) -> str:
    """A safe, portable file name made from ``filename``: forbidden characters removed from
    the stem and the extension, ``"file"`` for an empty stem, trailing spaces and dots
    dropped, Windows device names prefixed with ``_``, and the stem (then, if need be, the
    extension) shortened to at most ``max_bytes`` bytes of UTF-8.  ``".."`` stays ``".."``
    so that path checks downstream still reject it."""
    stem, ext = os.path.splitext(filename)
    stem = _clean(stem)
    if ext:
        ext = "." + _clean(ext[1:])
    if ext and not stem:
        stem = "file"
    if stem + ext == "..":
        return ".."
    name = (stem + ext).rstrip(" .") or "file"
    stem, ext = os.path.splitext(name)
    if name.partition(".")[0].rstrip(" ").upper() in _RESERVED:
        stem = "_" + stem
    name = stem + ext
    if stem and len(name.encode()) > max_bytes:
        stem = _fit_prefix(stem, ext, max_bytes) or ""
        name = stem + ext
    if len(name.encode()) <= max_bytes:
        return name
    # Not even the extension fits: a short stem, then the extension cut by characters.
    stem = _fit_prefix("file", "", max_bytes) or ""
    return stem + (_fit_prefix(ext, stem, max_bytes) or "")


def sanitize_parameter_names(original_name: str) -> str:
    """A parameter label as an identifier-like name: letters, digits, ``_``; spaces become
    ``_``; lower case."""
    kept = "".join(ch for ch in original_name if ch.isalnum() or ch in " _")
    return kept.replace(" ", "_").lower()


# --------------------------------------------------------------------------------- base64


def encode_file_to_base64(f: str | Path) -> str:
    """A local file as a ``data:<mime>;base64,...`` URL (empty MIME type when unknown)."""
    data = Path(f).read_bytes()
    return f"data:{get_mimetype(str(f)) or ''};base64,{base64.b64encode(data).decode('utf-8')}"


def encode_url_to_base64(url: str) -> str:
    """The body of a GET of ``url`` as a ``data:`` URL (``httpx.HTTPStatusError`` on an error
    status)."""
    import httpx

    response = httpx.get(url)
    response.raise_for_status()
    encoded = base64.b64encode(response.content).decode("utf-8")
    return f"data:{get_mimetype(url) or ''};base64,{encoded}"


def encode_url_or_file_to_base64(path: str | Path) -> str:
    """:func:`encode_url_to_base64` for an http(s) URL, else :func:`encode_file_to_base64`."""
    text = str(path)
    return encode_url_to_base64(text) if is_http_url_like(text) else encode_file_to_base64(text)


def decode_base64_to_binary(encoding: str) -> tuple[bytes, str | None]:
    """The bytes of a base64 string or ``data:`` URL, and the extension its MIME type implies."""
    return base64.b64decode(encoding.rsplit(",", 1)[-1]), get_extension(encoding)


def decode_base64_to_file(
    encoding: str,
    file_path: str | None = None,
    dir: str | Path | None = None,  # noqa: A002 - the official parameter name
    prefix: str | None = None,
) -> IO[bytes]:
    """Write a base64 string or ``data:`` URL to a new file in a fresh random folder under
    ``dir`` (default: the system temp folder) and return the open file object.  The file is
    named after ``file_path`` (its name up to the first dot, and everything after that dot as
    the extension) unless ``prefix`` is given; otherwise the extension comes from the MIME
    type."""
    folder = Path(dir or tempfile.gettempdir()) / secrets.token_hex(20)
    folder.mkdir(parents=True, exist_ok=True)
    data, extension = decode_base64_to_binary(encoding)
    if file_path is not None and prefix is None:
        base = Path(file_path).name
        head, dot, rest = base.partition(".")
        prefix = head
        if dot:
            extension = rest
    if prefix is not None:
        prefix = strip_invalid_filename_characters(prefix)
    suffix = None if extension is None else "." + extension
    handle = tempfile.NamedTemporaryFile(delete=False, prefix=prefix, suffix=suffix, dir=folder)  # noqa: SIM115
    handle.write(data)
    handle.flush()
    return handle


# ------------------------------------------------------------------ FileData dictionaries


def is_file_obj(d: Any) -> bool:
    """A dict with a string ``path`` (gradio's FileData up to 4.20)."""
    return isinstance(d, dict) and "path" in d and isinstance(d["path"], str)


def is_file_obj_with_meta(d: Any) -> bool:
    """A FileData dict of gradio >= 4.21: a string ``path`` and ``meta._type ==
    "gradio.FileData"``.  A ``meta`` without ``.get`` gives False (the official one raises)."""
    if not is_file_obj(d) or "meta" not in d:
        return False
    getter = getattr(d["meta"], "get", None)
    return getter is not None and getter("_type", "") == "gradio.FileData"


def is_file_obj_with_url(d: Any) -> bool:
    """:func:`is_file_obj_with_meta` with a string ``url`` too."""
    return is_file_obj_with_meta(d) and "url" in d and isinstance(d["url"], str)


# ------------------------------------------------------------------------------ traversal


def traverse(json_obj: Any, func: Callable[[Any], Any], is_root: Callable[[Any], bool]) -> Any:
    """A copy of a nested value with ``func(x)`` in place of every ``x`` that ``is_root``
    accepts (checked first, at every level); dicts stay dicts, lists and tuples become lists."""
    if is_root(json_obj):
        return func(json_obj)
    if isinstance(json_obj, dict):
        return {key: traverse(value, func, is_root) for key, value in json_obj.items()}
    if isinstance(json_obj, (list, tuple)):
        return [traverse(item, func, is_root) for item in json_obj]
    return json_obj


async def async_traverse(
    json_obj: Any,
    func: Callable[[Any], Awaitable[Any]],
    is_root: Callable[[Any], bool],
) -> Any:
    """:func:`traverse` with an async ``func``, awaited one node at a time, in order."""
    if is_root(json_obj):
        return await func(json_obj)
    if isinstance(json_obj, dict):
        out = {}
        for key, value in json_obj.items():
            out[key] = await async_traverse(value, func, is_root)
        return out
    if isinstance(json_obj, (list, tuple)):
        return [await async_traverse(item, func, is_root) for item in json_obj]
    return json_obj


# ------------------------------------------------------------------------------ arguments
_MISSING: Any = type("_NoValue", (), {"__repr__": lambda self: "<no value>"})()
_SEE_USAGE = "Please click on 'view API' in the footer of the Gradio app to see usage."


def construct_args(parameters_info: Sequence[dict[str, Any]] | None, args: tuple[Any, ...] | Sequence[Any],
                   kwargs: dict[str, Any]) -> list[Any]:
    """The positional argument list for an endpoint from ``args`` and ``kwargs``, with the
    ``parameter_default`` of each parameter that has one and was not given.  ``TypeError``
    for an unknown keyword, a keyword that repeats a positional argument, or a required
    parameter left without a value; ``ValueError`` for keywords when the endpoint has no
    parameter info (``parameters_info is None``)."""
    values = list(args)
    if parameters_info is None:
        if kwargs:
            raise ValueError("This endpoint does not support key-word arguments " + _SEE_USAGE)
        return values
    given = len(values)
    values.extend([_MISSING] * (len(parameters_info) - given))
    index_of: dict[str, int] = {}
    labels: list[str] = []
    for i, info in enumerate(parameters_info):
        if "parameter_name" in info:
            index_of[info["parameter_name"]] = i
            labels.append(info["parameter_name"])
        else:
            labels.append(f"argument {i}")
        if info.get("parameter_has_default", False) and values[i] is _MISSING:
            values[i] = info.get("parameter_default")
    for key, value in kwargs.items():
        if key not in index_of:
            raise TypeError(f"Parameter `{key}` is not a valid key-word argument. " + _SEE_USAGE)
        if index_of[key] < given:
            raise TypeError(f"Parameter `{key}` is already set as a positional argument. " + _SEE_USAGE)
        values[index_of[key]] = value
    for i, value in enumerate(values):
        if value is _MISSING:
            raise TypeError(f"No value provided for required argument: {labels[i]}")
    return values


# --------------------------------------------------------------------------- async bridge
_loop_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_thread: threading.Thread | None = None


def _background_loop() -> asyncio.AbstractEventLoop:
    """One asyncio loop per process, in a daemon thread, started on first use."""
    global _loop, _loop_thread
    with _loop_lock:
        if _loop is None or _loop_thread is None or not _loop_thread.is_alive():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="gradio_client-sync",
                                      daemon=True)
            thread.start()
            _loop, _loop_thread = loop, thread
        return _loop


def synchronize_async(func: Callable[..., Coroutine[Any, Any, Any]], *args: Any, **kwargs: Any) -> Any:
    """Run ``func(*args, **kwargs)`` (a coroutine function) to completion from synchronous
    code, inside or outside a running event loop, and return its result (or raise its
    exception).  The coroutine runs on one shared background loop; calling this from a
    coroutine that itself runs on that loop would deadlock, so that raises
    ``NotImplementedError``.  Unlike the official one (fsspec's ``sync``), a ``timeout``
    keyword is passed on to ``func`` like any other."""
    loop = _background_loop()
    if threading.current_thread() is _loop_thread:
        raise NotImplementedError("synchronize_async() called from its own event loop's thread")
    coro = func(*args, **kwargs)

    async def runner() -> Any:
        return await coro

    return asyncio.run_coroutine_threadsafe(runner(), loop).result()
