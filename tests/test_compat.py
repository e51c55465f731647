"""Names code written for the official client imports from its modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import gradio_client
from gradio_client import errors


def test_official_module_names_resolve_to_ours() -> None:
    from gradio_client.exceptions import AppError, AuthenticationError, ValidationError
    from gradio_client.utils import (
        InvalidAPIEndpointError,
        OutputUpdate,
        ProgressUnit,
        QueueError,
        Status,
        StatusUpdate,
        TooManyRequestsError,
        apply_diff,
    )

    assert (AppError, AuthenticationError, ValidationError) == (
        errors.AppError, errors.AuthenticationError, errors.ValidationError)
    assert InvalidAPIEndpointError is errors.EndpointNotFoundError
    assert (Status, StatusUpdate, OutputUpdate, ProgressUnit) == (
        gradio_client.Status, gradio_client.StatusUpdate, gradio_client.OutputUpdate,
        gradio_client.ProgressUnit)
    assert (QueueError, TooManyRequestsError) == (errors.QueueError, errors.TooManyRequestsError)
    value = ["a"]
    assert apply_diff(value, [["append", [0], "b"]]) == ["ab"] and value == ["a"]


def _fresh(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


# Modules that exist for code written for the official client (and for gradio): a bare
# ``import gradio_client`` must not pay for them.
COMPAT_MODULES = ["gradio_client.utils", "gradio_client.exceptions", "gradio_client.documentation",
                  "gradio_client.snippet", "gradio_client.data_classes", "gradio_client._compat",
                  "gradio_client._jsonschema"]


def test_import_gradio_client_loads_no_compat_module() -> None:
    out = _fresh("import sys, gradio_client; print(sorted(m for m in sys.modules if m.startswith('gradio_client')))")
    loaded = set(eval(out))  # noqa: S307 - our own output
    assert "gradio_client.client" in loaded
    assert not loaded & set(COMPAT_MODULES), loaded & set(COMPAT_MODULES)


def test_official_module_attributes_after_a_bare_import() -> None:
    """The official package imports these, so code reaches them as attributes of the package."""
    out = _fresh(
        "import gradio_client\n"
        "print(gradio_client.utils.__name__, gradio_client.exceptions.__name__)\n"
        "from gradio_client.data_classes import FileData\n"
        "print(gradio_client.FileData is FileData, 'FileData' in dir(gradio_client))\n"
        "from gradio_client.client import DEFAULT_TEMP_DIR, Endpoint\n"
        "from gradio_client.protocol.api import Endpoint as E\n"
        "print(Endpoint is E, isinstance(DEFAULT_TEMP_DIR, str))\n")
    assert out.split() == ["gradio_client.utils", "gradio_client.exceptions", "True", "True", "True", "True"]


def test_gradio_imports_resolve() -> None:
    """Every name gradio 6.31 imports from gradio_client (the list is in tests/dropin/)."""
    from gradio_client import Client, handle_file  # noqa: F401
    from gradio_client.client import DEFAULT_TEMP_DIR, Endpoint  # noqa: F401
    from gradio_client.data_classes import FileData, ParameterInfo  # noqa: F401
    from gradio_client.documentation import document, document_fn  # noqa: F401
    from gradio_client.exceptions import AppError as AppError2
    from gradio_client.snippet import generate_code_snippets  # noqa: F401
    from gradio_client.utils import (  # noqa: F401
        APIInfoParseError,
        ServerMessage,
        SpaceDuplicationError,
        async_traverse,
        construct_args,
        decode_base64_to_binary,
        decode_base64_to_file,
        encode_file_path,
        encode_url_or_file_to_base64,
        get_extension,
        get_mimetype,
        is_file_obj,
        is_file_obj_with_meta,
        is_file_obj_with_url,
        is_filepath,
        is_http_url_like,
        is_valid_file,
        json_schema_to_python_type,
        python_type_to_json_schema,
        strip_invalid_filename_characters,
        synchronize_async,
        traverse,
        value_is_file,
    )

    assert AppError2 is errors.AppError
    error = AppError2("m", duration=3, visible=False, title="T", print_exception=False)
    assert (error.message, error.duration, error.visible, error.title) == ("m", 3, False, "T")
    assert issubclass(APIInfoParseError, ValueError) and issubclass(SpaceDuplicationError, Exception)
    assert ServerMessage("process_completed") == "process_completed"


def test_synchronize_async_inside_and_outside_a_loop() -> None:
    import asyncio

    from gradio_client.utils import synchronize_async

    async def add(a: int, b: int = 0) -> int:
        await asyncio.sleep(0)
        return a + b

    async def fail() -> None:
        raise KeyError("x")

    assert synchronize_async(add, 1, b=2) == 3

    async def inside() -> int:
        return int(synchronize_async(add, 4))  # blocks this loop's thread, runs on the other

    assert asyncio.run(inside()) == 4
    with pytest.raises(KeyError):
        synchronize_async(fail)


async def test_async_traverse_keeps_order() -> None:
    from gradio_client.utils import async_traverse, is_file_obj

    seen: list[str] = []

    async def mark(d: dict[str, str]) -> str:
        seen.append(d["path"])
        return d["path"].upper()

    value = {"a": [{"path": "x"}, ({"path": "y"}, 3)], "b": {"path": "z"}}
    assert await async_traverse(value, mark, is_file_obj) == {"a": ["X", ["Y", 3]], "b": "Z"}
    assert seen == ["x", "y", "z"]
