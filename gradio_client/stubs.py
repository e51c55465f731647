"""Typed per-app stubs: ``gradio-client stubs SRC --output app_api.py``.

The generated module has two classes, ``Api`` (on a :class:`~gradio_client.Client`) and
``AsyncApi`` (on an :class:`~gradio_client.AsyncClient`, trio or asyncio), with one method
per named endpoint of the app, named after its api_name (see
:func:`gradio_client._stubgen.names.identifier`), whose parameters are named and typed from
the app's ``/info`` (``Literal`` for choices, the app's defaults, :data:`FileInput` for file
parameters) and whose return type is the endpoint's result type; plus ``submit_<name>``
returning a :class:`TypedJob` (:class:`AsyncTypedJob`) of that type.  A header records
the source, the app's Gradio version and a hash of its API (:func:`endpoint_hashes`):
constructing ``Api`` against an app whose API no longer has that hash warns with
:class:`StubMismatchWarning`, naming the endpoints that changed.

This module is also the runtime the generated code imports: the base classes, the typed
job wrappers, :data:`DEFAULT` and :func:`generate`.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, Union, cast

from .client import Client, Job
from .protocol.app import AppConfig, Endpoint, is_file_reference
from .protocol.status import StatusUpdate

if TYPE_CHECKING:
    from .aio import AsyncClient, AsyncJob

__all__ = [
    "DEFAULT",
    "ApiBase",
    "AsyncApiBase",
    "AsyncTypedJob",
    "Default",
    "FileInput",
    "StubMismatchWarning",
    "TypedJob",
    "endpoint_hashes",
    "generate",
]

R = TypeVar("R")

#: What a file parameter accepts: a local path or URL (uploaded or fetched by the client), an
#: ``os.PathLike``, or a :func:`~gradio_client.handle_file` dict.
FileInput = Union[str, os.PathLike[str], dict[str, Any]]


class StubMismatchWarning(UserWarning):
    """The live app's API differs from the one a stub was generated from (its hash)."""


class Default:
    """The type of :data:`DEFAULT`: "the app's default" for a parameter whose default
    cannot be written as a literal (a file, a very long value)."""

    _instance: ClassVar[Default | None] = None

    def __new__(cls) -> Default:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT = Default()


# --------------------------------------------------------------------------- the API hash
def _stable(value: Any) -> Any:
    """``value`` with file references replaced by a marker (their server paths differ
    between two runs of one app)."""
    if isinstance(value, dict):
        if is_file_reference(value, "sse_v3"):
            return "<file>"
        return {str(k): _stable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_stable(v) for v in value]
    return value


def _endpoint_document(e: Endpoint) -> dict[str, Any]:
    params = None if e.parameters is None else [
        {"name": p.name, "component": p.component, "type": p.type, "has_default": p.has_default,
         "default": _stable(p.default) if p.has_default else None}
        for p in e.parameters
    ]
    returns = None if e.returns is None else [
        {"component": r.component, "type": r.type} for r in e.returns
    ]
    return {"api_name": e.api_name, "visibility": e.visibility, "generator": e.is_generator,
            "parameters": params, "returns": returns}


def endpoint_hashes(config: AppConfig, include_undocumented: bool = False) -> dict[str, str]:
    """A hash per endpoint a stub covers (api_name -> 16 hex digits) of what its methods
    depend on: parameter names, components, types and defaults, result components and types,
    visibility and whether it streams."""
    from ._stubgen.render import stub_endpoints

    out = {}
    for e in stub_endpoints(config, include_undocumented):
        text = json.dumps(_endpoint_document(e), sort_keys=True, default=repr, separators=(",", ":"))
        out[e.api_name or ""] = hashlib.sha256(text.encode()).hexdigest()[:16]
    return out


def api_hash(hashes: Mapping[str, str]) -> str:
    """The API hash of a stub: one hash over its endpoints' hashes."""
    text = json.dumps(dict(sorted(hashes.items())), separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def generate(client: Client | AsyncClient, include_undocumented: bool = False,
             source: str | None = None) -> str:
    """The stub module for the app ``client`` is connected to, as text.

    ``source`` is what the header records and ``Api()`` connects to when given no source
    (default: the client's Space id, else its URL)."""
    from ._stubgen.render import render_module

    config = client.app_config
    hashes = endpoint_hashes(config, include_undocumented)
    header = {
        "source": source or client.space_id or client.src,
        "gradio_version": config.version,
        "api_hash": api_hash(hashes),
        "endpoint_hashes": hashes,
        "include_undocumented": include_undocumented,
    }
    return render_module(config, header)


# --------------------------------------------------------------------------- the runtime
def _mismatch(cls: type[_StubInfo], config: AppConfig, where: str) -> str | None:
    live = endpoint_hashes(config, cls.INCLUDE_UNDOCUMENTED)
    if api_hash(live) == cls.API_HASH:
        return None
    ours = cls.ENDPOINT_HASHES
    changed = sorted(k for k in ours if k in live and live[k] != ours[k])
    gone = sorted(k for k in ours if k not in live)
    new = sorted(k for k in live if k not in ours)
    parts = [f"{label}: {', '.join(names)}" for label, names in
             (("changed", changed), ("removed", gone), ("new", new)) if names]
    return (f"The API of {where} no longer matches this stub (generated from "
            f"{cls.SOURCE}, Gradio {cls.GRADIO_VERSION or '?'}, {cls.API_HASH}; now Gradio "
            f"{config.version or '?'}, {api_hash(live)}): {'; '.join(parts) or 'changed'}. "
            f"Generate it again: gradio-client stubs {where} --output FILE")


def _arguments(names: Sequence[str | None] | None,
               values: Sequence[Any]) -> tuple[list[Any], dict[str, Any]]:
    """Positional arguments up to the first :data:`DEFAULT`, keyword ones after it
    (skipping every DEFAULT, so the client fills in the app's defaults); PathLikes as str."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for i, value in enumerate(values):
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if value is DEFAULT:
            continue
        if not kwargs and all(v is not DEFAULT for v in values[:i]):
            args.append(value)
            continue
        name = names[i] if names is not None else None
        if name is None:
            raise TypeError("this endpoint has unnamed parameters: pass every argument")
        kwargs[name] = value
    return args, kwargs


class _StubInfo:
    """What the generated classes record (class attributes, set by the generated code)."""

    SOURCE: ClassVar[str] = ""
    GRADIO_VERSION: ClassVar[str] = ""
    API_HASH: ClassVar[str] = ""
    INCLUDE_UNDOCUMENTED: ClassVar[bool] = False
    ENDPOINT_HASHES: ClassVar[dict[str, str]] = {}

    def _check(self, config: AppConfig, where: str) -> None:
        message = _mismatch(type(self), config, where)
        if message is not None:
            # 3: the caller of Api(...) / AsyncApi(...) / `async with`
            warnings.warn(StubMismatchWarning(message), stacklevel=3)


class ApiBase(_StubInfo):
    """The base of a generated ``Api``: ``Api(src_or_client=None, **client_kwargs)``.

    ``src_or_client`` is a URL or Space id (a :class:`~gradio_client.Client` is made with
    ``client_kwargs`` and closed by :meth:`close` or ``with``), an existing ``Client`` (left
    open), or None for the source the stub was generated from.  Warns with
    :class:`StubMismatchWarning` when the app's API differs from the stub's."""

    def __init__(self, src_or_client: str | Client | None = None, **client_kwargs: Any) -> None:
        if isinstance(src_or_client, Client):
            if client_kwargs:
                raise TypeError("client options go to Client(...), not to an existing client")
            self.client = src_or_client
            self._owned = False
        else:
            self.client = Client(src_or_client or self.SOURCE, **client_kwargs)
            self._owned = True
        self._check(self.client.app_config, self.client.src)

    def close(self) -> None:
        """Close the client if this object made it."""
        if self._owned:
            self.client.close()

    def __enter__(self) -> ApiBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _submit(self, api_name: str, names: Sequence[str | None] | None,
                values: Sequence[Any]) -> Job:
        args, kwargs = _arguments(names, values)
        return self.client.submit(*args, api_name=api_name, **kwargs)

    def _predict(self, api_name: str, names: Sequence[str | None] | None,
                 values: Sequence[Any]) -> Any:
        args, kwargs = _arguments(names, values)
        return self.client.predict(*args, api_name=api_name, **kwargs)


class AsyncApiBase(_StubInfo):
    """The base of a generated ``AsyncApi`` (trio or asyncio).

    ``AsyncApi(client)`` wraps a connected :class:`~gradio_client.AsyncClient` (checked at
    once); ``async with AsyncApi(src, **client_kwargs) as api`` connects a client of its
    own and closes it at the end; ``await AsyncApi.connect(src, nursery=..., **kwargs)`` too
    (trio needs the nursery, as ``AsyncClient.connect``).  Warns with
    :class:`StubMismatchWarning` when the app's API differs from the stub's."""

    def __init__(self, src_or_client: str | AsyncClient | None = None,
                 **client_kwargs: Any) -> None:
        from .aio import AsyncClient

        if isinstance(src_or_client, AsyncClient):
            if client_kwargs:
                raise TypeError("client options go to AsyncClient(...), not to an existing client")
            self.client = src_or_client
            self._owned = False
            self._entered = False
            try:
                config = src_or_client.app_config
            except AttributeError:  # not connected yet: checked on `async with`
                return
            self._check(config, src_or_client.src)
        else:
            self.client = AsyncClient(src_or_client or self.SOURCE, **client_kwargs)
            self._owned = True
            self._entered = False

    @classmethod
    async def connect(cls: type[_A], src: str | None = None, *, nursery: Any = None,
                      **client_kwargs: Any) -> _A:
        """Connect a client of its own (close it with :meth:`aclose`)."""
        from .aio import AsyncClient

        client = await AsyncClient.connect(src or cls.SOURCE, nursery=nursery, **client_kwargs)
        api = cls(client)
        api._owned = True
        return api

    async def aclose(self) -> None:
        """Close the client if this object made it."""
        if self._owned:
            await self.client.aclose()

    async def __aenter__(self: _A) -> _A:
        if self._owned and not self._entered:
            await self.client.__aenter__()
            self._entered = True
            self._check(self.client.app_config, self.client.src)
        elif not self._owned:
            self._check(self.client.app_config, self.client.src)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._entered:
            self._entered = False
            await self.client.__aexit__(exc_type, exc, tb)
        elif self._owned:
            await self.client.aclose()

    async def _submit(self, api_name: str, names: Sequence[str | None] | None,
                      values: Sequence[Any]) -> AsyncJob:
        args, kwargs = _arguments(names, values)
        return await self.client.submit(*args, api_name=api_name, **kwargs)

    async def _predict(self, api_name: str, names: Sequence[str | None] | None,
                       values: Sequence[Any]) -> Any:
        args, kwargs = _arguments(names, values)
        return await self.client.predict(*args, api_name=api_name, **kwargs)


_A = TypeVar("_A", bound=AsyncApiBase)


class TypedJob(Generic[R]):
    """A :class:`~gradio_client.Job` whose result has type ``R`` (what ``submit_<name>``
    returns).  ``job`` is the underlying ``Job`` (callbacks, ``watch()``, ...)."""

    def __init__(self, job: Job) -> None:
        self.job = job

    def result(self, timeout: float | None = None) -> R:
        """The final value (for a generator, the last one); raises the job's error."""
        return cast(R, self.job.result(timeout))

    def outputs(self) -> list[R]:
        """Every output so far (a generator's intermediate values)."""
        return self.job.outputs()

    def status(self) -> StatusUpdate:
        return self.job.status()

    def updates(self) -> list[StatusUpdate]:
        return self.job.updates()

    def done(self) -> bool:
        return self.job.done()

    def running(self) -> bool:
        return self.job.running()

    def cancel(self) -> bool:
        return self.job.cancel()

    def __iter__(self) -> Iterator[R]:
        """The outputs as they come; the loop ends when the job does (whatever the outcome:
        ``result()`` raises a failure)."""
        return iter(self.job)

    def __repr__(self) -> str:
        return f"TypedJob({self.job!r})"


class AsyncTypedJob(Generic[R]):
    """An :class:`~gradio_client.AsyncJob` whose result has type ``R``.  ``job`` is the
    underlying ``AsyncJob`` (``async for update in job.job`` for statuses too)."""

    def __init__(self, job: AsyncJob) -> None:
        self.job = job

    async def result(self, timeout: float | None = None) -> R:
        return cast(R, await self.job.result(timeout))

    def outputs(self) -> list[R]:
        return self.job.outputs()

    def status(self) -> StatusUpdate:
        return self.job.status()

    def updates(self) -> list[StatusUpdate]:
        return self.job.updates()

    def done(self) -> bool:
        return self.job.done()

    def running(self) -> bool:
        return self.job.running()

    async def cancel(self) -> bool:
        return await self.job.cancel()

    def iter_outputs(self) -> AsyncIterator[R]:
        """The outputs as they come, ending when the job does."""
        return self.job.iter_outputs()

    def __repr__(self) -> str:
        return f"AsyncTypedJob({self.job!r})"
