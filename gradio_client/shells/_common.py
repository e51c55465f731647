"""What both shells share and which does no protocol work of its own.

* ``prepare``: endpoint resolution and the wire ``data`` of a call (pure, plus a check that
  named local files exist).
* ``ClientBase``: the read-only surface of a connected client (``view_api``, endpoints).
* ``transport_error``: httpx exceptions mapped onto our typed errors.
* ``stamp``: the wall-clock time put on each status as it is delivered.
"""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

import httpx
import msgspec

from .. import _files
from ..protocol.api import AppConfig, Endpoint, build_data, info_dict, render_api
from ..protocol.connect import Connection, HttpResponse
from ..protocol.errors import ConnectionLostError, GradioClientError, TransportError
from ..protocol.status import StatusUpdate


class Prepared(NamedTuple):
    endpoint: Endpoint
    data: list[Any]
    uploads: list[str]  # local paths to upload first


def prepare(
    conn: Connection,
    api_name: str | None,
    fn_index: int | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Prepared:
    endpoint = conn.config.endpoint(api_name=api_name, fn_index=fn_index)
    data = _files.wrap_plain_paths(endpoint, build_data(endpoint, args, kwargs))
    uploads = _files.local_uploads(data, conn.config.protocol)
    for path in uploads:
        _files.check_upload(path, conn.config.max_file_size)
    return Prepared(endpoint, data, uploads)


def stamp(update: StatusUpdate) -> StatusUpdate:
    return msgspec.structs.replace(update, time=datetime.datetime.now())


def http_response(response: httpx.Response) -> HttpResponse:
    return HttpResponse(
        status_code=response.status_code,
        content=response.content,
        headers=dict(response.headers),
    )


def transport_error(exc: BaseException, what: str) -> GradioClientError:
    """An httpx (or socket) failure as one of our errors, saying what was being done."""
    if isinstance(exc, GradioClientError):
        return exc
    if isinstance(exc, httpx.TimeoutException):
        return ConnectionLostError(f"{what} timed out ({type(exc).__name__}).")
    if isinstance(exc, httpx.RemoteProtocolError):
        return ConnectionLostError(f"{what} broke off: {exc}.")
    if isinstance(exc, (httpx.ConnectError, ConnectionError, OSError)):
        return ConnectionLostError(f"{what} could not connect: {exc}.")
    return TransportError(f"{what} failed: {type(exc).__name__}: {exc}.")


class ClientBase:
    """The read-only surface shared by ``Client`` and ``AsyncClient``."""

    _conn: Connection

    @property
    def src(self) -> str:
        return self._conn.root + "/"

    @property
    def space_id(self) -> str | None:
        return self._conn.space_id

    @property
    def app_config(self) -> AppConfig:
        return self._conn.config

    @property
    def protocol(self) -> str:
        return self._conn.config.protocol

    @property
    def endpoints(self) -> dict[int, Endpoint]:
        return dict(self._conn.config.endpoints)

    def view_api(
        self,
        all_endpoints: bool | None = None,
        print_info: bool = True,
        return_format: str | None = None,
    ) -> dict[str, Any] | str | None:
        """Show every endpoint's parameters and return values.

        ``return_format="dict"`` returns the API as a dict, ``"str"`` the text; by default
        the text is printed and nothing is returned.
        """
        if return_format not in (None, "dict", "str"):
            raise ValueError("return_format must be None, 'dict' or 'str'")
        text = render_api(self._conn.config, self._conn.info, all_endpoints)
        if print_info:
            print(text)
        if return_format == "dict":
            return info_dict(self._conn.info)
        if return_format == "str":
            return text
        return None

    def __repr__(self) -> str:
        return render_api(self._conn.config, self._conn.info, None)

    def __str__(self) -> str:
        return self.__repr__()
