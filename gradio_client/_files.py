"""Files in and out: ``handle_file``, what to upload, where downloads go.

Shared by both shells.  The decisions are plain functions; the only IO here is reading
local file metadata and writing downloads to disk (the shells do the HTTP).

Safety rules:

* Only paths the caller named are read: a local path is uploaded only when it is a value
  the caller passed (``handle_file(path)`` or a plain path given to a file parameter).
  Server-sent paths are never read locally, not even when the caller passes a reference
  the server returned back as an input: a reference with an http(s) ``url`` is the
  server's (``handle_file`` of a path has none) and goes back as it came.
* A downloaded file is written to ``<download dir>/<sha256 of content>/<name>`` where
  ``name`` is the last path segment of the server path with separators, ``..`` and control
  characters removed, so it can never escape the download folder.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, unquote, urljoin, urlsplit

from .protocol.api import Endpoint, map_files
from .protocol.connect import Connection, is_url
from .protocol.errors import FileError

FILE_META: Final = {"_type": "gradio.FileData"}
DEFAULT_TEMP_DIR: Final = os.environ.get("GRADIO_TEMP_DIR") or str(
    Path(tempfile.gettempdir()) / "gradio"
)


def handle_file(filepath_or_url: str | os.PathLike[str]) -> dict[str, Any]:
    """Mark a local path or an http(s) URL as a file argument (uploaded or fetched)."""
    s = os.fspath(filepath_or_url)
    if is_url(s):
        name = unquote(urlsplit(s).path.rstrip("/").rsplit("/", 1)[-1]) or "file"
        # the official key order: gradio puts these dicts in /info (example_input)
        return {"path": s, "meta": dict(FILE_META), "orig_name": name, "url": s}
    if os.path.isfile(s):
        return {"path": s, "meta": dict(FILE_META), "orig_name": os.path.basename(s)}
    if os.path.exists(s):
        raise FileError(f"{s!r} is not a regular file.")
    raise FileError(f"File {s!r} does not exist (and is not an http(s) URL).")


def file(filepath_or_url: str | os.PathLike[str]) -> dict[str, Any]:
    """Deprecated alias of :func:`handle_file`."""
    warnings.warn(  # a UserWarning, shown by default, as the official client's
        "file() is deprecated and will be removed in a future version. Use handle_file() "
        "instead.",
        UserWarning,
        stacklevel=2,
    )
    return handle_file(filepath_or_url)


def wrap_plain_paths(endpoint: Endpoint, data: list[Any]) -> list[Any]:
    """Let plain paths and URLs given to file parameters count as ``handle_file`` values.

    Gradio 3.x documents some file inputs (``gr.Image``: serializer ``ImgSerializable``) as
    a *base64 string*, not a file reference: its server decodes the value itself and fails
    on anything else.  A local file given to such a parameter is sent as a
    ``data:<mime>;base64,...`` URL, as the official 0.x client did; nothing is uploaded.
    """
    if not endpoint.file_inputs:
        return data
    out = list(data)
    base64_inputs = _base64_inputs(endpoint)
    for position in endpoint.file_inputs:
        if position < len(out):
            if position in base64_inputs:
                out[position] = _data_url_of(out[position])
            else:
                out[position] = _wrap(out[position])
    return out


def _base64_inputs(endpoint: Endpoint) -> frozenset[int]:
    """Input positions whose parameter schema is a base64 string (Gradio 3.x images)."""
    if not endpoint.parameters:
        return frozenset()
    skipped = set(endpoint.skipped_inputs)
    api_positions = [i for i in range(len(endpoint.inputs)) if i not in skipped]
    found = set()
    for position, parameter in zip(api_positions, endpoint.parameters):
        schema = parameter.type
        if (
            position in endpoint.file_inputs
            and isinstance(schema, dict)
            and schema.get("type") == "string"
            and "base64" in str(schema.get("description", "")).lower()
        ):
            found.add(position)
    return frozenset(found)


def _data_url_of(value: Any) -> Any:
    """A local file (path or ``handle_file`` value) as a base64 data URL; others unchanged."""
    path: str | None = None
    if isinstance(value, (str, os.PathLike)):
        s = os.fspath(value)
        if s.startswith("data:") or is_url(s):
            return s
        path = s
    elif isinstance(value, dict) and isinstance(value.get("path"), str):
        if is_url(value["path"]):
            return value["path"]
        if server_made(value):
            return value["url"]
        path = value["path"]
    if path is None:
        return value
    if not os.path.isfile(path):
        raise FileError(f"File {path!r} does not exist (and is not an http(s) URL).")
    mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
    with open(path, "rb") as fh:
        encoded = base64.b64encode(fh.read()).decode("ascii")
    return f"data:{mime};base64,{encoded}"


def _wrap(value: Any) -> Any:
    if isinstance(value, (str, os.PathLike)):
        s = os.fspath(value)
        if is_url(s) or os.path.isfile(s):
            return handle_file(s)
        return value
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def server_made(ref: dict[str, Any]) -> bool:
    """A file reference the server made (it carries an http(s) ``url``): never read here."""
    url = ref.get("url")
    return isinstance(url, str) and is_url(url)


def local_uploads(data: list[Any], protocol: str) -> list[str]:
    """The local paths among the file references of ``data``, each once, in order."""
    found: dict[str, None] = {}

    def visit(ref: dict[str, Any]) -> dict[str, Any]:
        path = ref.get("path")
        if isinstance(path, str) and not is_url(path) and not server_made(ref):
            found[path] = None
        return ref

    map_files(data, visit, protocol, inputs=True)
    return list(found)


def check_upload(path: str, max_size: int | None) -> int:
    """Validate a file about to be uploaded; returns its size."""
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise FileError(f"Cannot read {path!r}: {exc.strerror}.") from None
    if not os.path.isfile(path):
        raise FileError(f"{path!r} is not a regular file.")
    if max_size is not None and size > max_size:
        raise FileError(
            f"File {path} exceeds the maximum file size of {max_size} bytes. It is {size} "
            "bytes; the app's max_file_size does not allow it."
        )
    return size


def uploaded_ref(server_path: str, local_path: str, size: int, protocol: str) -> dict[str, Any]:
    """The value sent to the server for a file it received through /upload."""
    name = os.path.basename(local_path)
    if protocol == "ws":  # Gradio 3.x FileData
        return {"name": server_path, "data": None, "is_file": True, "orig_name": name, "size": size}
    return {"path": server_path, "orig_name": name, "size": size, "meta": dict(FILE_META)}


def substitute_uploads(
    data: list[Any], uploaded: dict[str, dict[str, Any]], protocol: str
) -> list[Any]:
    def swap(ref: dict[str, Any]) -> dict[str, Any]:
        path = ref.get("path")
        if isinstance(path, str) and is_url(path):  # the server fetches it
            return {k: v for k, v in ref.items() if k != "orig_name" or v}
        if server_made(ref):  # one of the server's own files: back as it came
            return ref
        if isinstance(path, str) and path in uploaded:
            return uploaded[path]
        return ref

    result: list[Any] = map_files(data, swap, protocol, inputs=True)
    return result


# ---------------------------------------------------------------------- downloads


def output_files(value: Any, protocol: str) -> list[dict[str, Any]]:
    refs: list[dict[str, Any]] = []

    def visit(ref: dict[str, Any]) -> dict[str, Any]:
        refs.append(ref)
        return ref

    map_files(value, visit, protocol)
    return refs


def download_url(ref: dict[str, Any], conn: Connection) -> str:
    """Where to fetch an output file.  Paths are fetched from the app's own file route."""
    url = ref.get("url")
    if ref.get("is_stream") and isinstance(url, str):
        return urljoin(conn.api_root + "/", url)
    path = ref.get("path") if isinstance(ref.get("path"), str) else ref.get("name")
    if not isinstance(path, str):
        if isinstance(url, str):
            return urljoin(conn.api_root + "/", url)
        raise FileError(f"An output file reference has neither path nor url: {ref!r}")
    if is_url(path):
        return path
    return f"{conn.api_root}/file={quote(path, safe='/')}"


_UNSAFE: Final = re.compile(r"[\x00-\x1f\x7f/\\:]")


MAX_NAME_BYTES: Final = 255  # one path component, in UTF-8 (ext4, APFS, NTFS-ish)
_MAX_EXT_BYTES: Final = 32


def safe_name(ref: dict[str, Any]) -> str:
    """A file name for a download that cannot leave its folder.

    The last path segment of the server's name, with separators, control characters and
    ``..`` made harmless, shortened to at most ``MAX_NAME_BYTES`` bytes of UTF-8 (cut on
    a character boundary) keeping its extension when the extension fits.
    """
    raw = ref.get("orig_name") or ref.get("path") or ref.get("name") or ref.get("url") or ""
    raw = str(raw).replace("\\", "/")
    if is_url(raw):
        raw = unquote(urlsplit(raw).path)
    name = _UNSAFE.sub("_", raw.rstrip("/").rsplit("/", 1)[-1]).strip()
    # lone surrogates (from undecodable names) cannot be written as UTF-8
    name = name.encode("utf-8", "replace").decode("utf-8")
    if name in ("", ".", "..") or set(name) <= {"."}:
        name = "file"
    return shorten_name(name)


def shorten_name(name: str, limit: int = MAX_NAME_BYTES) -> str:
    """``name`` cut to ``limit`` bytes of UTF-8, keeping a short extension."""
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    suffix = dot + ext if stem and len((dot + ext).encode("utf-8")) <= _MAX_EXT_BYTES else ""
    if not suffix:
        stem = name
    room = limit - len(suffix.encode("utf-8"))
    cut = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip()
    if not cut or set(cut) <= {"."}:
        cut = "file"
    return cut + suffix


class DownloadSink:
    """Writes one download to a temp file while hashing, then moves it into place.

    Disk errors (a folder that cannot be made or written, a full disk) raise ``FileError``.
    """

    def __init__(self, folder: str, name: str) -> None:
        self._folder = Path(folder)
        self._name = name
        self._hash = hashlib.sha256()
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            fd, self._tmp = tempfile.mkstemp(dir=self._folder, prefix=".part-")
        except OSError as exc:
            raise self._error(exc) from exc
        self._file = os.fdopen(fd, "wb")

    def _error(self, exc: OSError) -> FileError:
        return FileError(
            f"Cannot save a download in {str(self._folder)!r}: {exc.strerror or exc}."
        )

    def write(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        try:
            self._file.write(chunk)
        except OSError as exc:
            raise self._error(exc) from exc

    def finish(self) -> str:
        try:
            self._file.close()
            target_dir = self._folder / self._hash.hexdigest()
            target_dir.mkdir(exist_ok=True)
            target = target_dir / self._name
            os.replace(self._tmp, target)
            resolved = target.resolve()
        except OSError as exc:
            raise self._error(exc) from exc
        if self._folder.resolve() not in resolved.parents:  # belt and braces
            resolved.unlink()
            raise FileError(f"Refused to write a download outside {self._folder}.")
        return str(resolved)

    def abort(self) -> None:
        try:
            self._file.close()
        except OSError:
            pass
        try:
            os.unlink(self._tmp)
        except OSError:
            pass


def iter_file(path: str, chunk_size: int = 1 << 16) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            yield chunk


def replace_files(value: Any, paths: dict[int, str], protocol: str) -> Any:
    """Swap each output file reference for its downloaded local path (keyed by id())."""
    return map_files(value, lambda ref: paths.get(id(ref), ref), protocol)
