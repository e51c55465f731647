"""The Python, JavaScript and cURL examples of an app's API page.

gradio (6.x) calls :func:`generate_code_snippets` for every named endpoint when it serves
``/info`` (the ``code_snippets`` of each endpoint) and in ``gradio skills``, so the text must be
the official text, character for character.  ``tests/dropin/`` compares the ``/info`` of live
apps served with this package and with the official one, and ``tests/dropin/test_utils_diff.py``
compares the snippets for generated endpoint descriptions.

How a parameter's example value is written (the official rules, quirks included):

* no ``python_type.type``, or no value: ``None`` (``null`` in JavaScript and cURL);
* type ``str``/``string`` or a ``Literal['...']``: the value in double quotes, unescaped;
  ``number``: ``str(value)``; ``bool``/``boolean``: ``True``/``False`` in Python, ``true``/
  ``false`` (or ``str(value)``) elsewhere; ``List[str]``: JSON;
* any other type with a string value: the string as is (``""``: ``None``/``null``);
* anything else: JSON, with ``None``/``True``/``False`` written the Python way in every
  language, and FileData dicts (``url`` and ``meta._type == "gradio.FileData"``) written as
  ``handle_file('url')`` in Python and as ``{"path": url, "meta": ...}`` in cURL.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

BLOB_COMPONENTS = {
    "Audio", "DownloadButton", "File", "Image", "ImageSlider", "Model3D", "UploadButton", "Video",
}
OAUTH_TOKEN_PLACEHOLDER = "hf_..."

_MARK = "UNQUOTED_GRADIO_"
_HANDLE_FILE = re.compile(f'"{_MARK}' + r'(handle_file\([^)]*\))"')
_FILE_TYPE = "gradio.FileData"
_CURL_FILE = '{"path": "\'$FILE_PATH\'", "meta": {"_type": "gradio.FileData"}}'


def _is_file_data(obj: Any) -> bool:
    if not isinstance(obj, dict) or not obj.get("url") or "url" not in obj:
        return False
    meta = obj.get("meta") if "meta" in obj else None
    return isinstance(meta, dict) and meta.get("_type") == _FILE_TYPE


def _has_file_data(obj: Any) -> bool:
    if isinstance(obj, dict):
        return _is_file_data(obj) or any(_has_file_data(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(_has_file_data(v) for v in obj)
    return False


def _map_files(obj: Any, replace: Any) -> Any:
    """``obj`` with every FileData dict replaced by ``replace(it)``; tuples become lists."""
    if isinstance(obj, dict):
        if _is_file_data(obj):
            return replace(obj)
        return {k: _map_files(v, replace) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_map_files(v, replace) for v in obj]
    return obj


def _mark_literals(obj: Any) -> Any:
    """Python literals (None, booleans, ``handle_file(...)`` calls) as marked strings, so that
    they survive ``json.dumps`` and can be unquoted afterwards."""
    if obj is None or isinstance(obj, bool):
        return f"{_MARK}{obj}"
    if isinstance(obj, str):
        return f"{_MARK}{obj}" if obj.startswith("handle_file(") and obj.endswith(")") else obj
    if isinstance(obj, (list, tuple)):
        return [_mark_literals(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _mark_literals(v) for k, v in obj.items()}
    return obj


def _python_literal(obj: Any) -> str:
    text = json.dumps(_mark_literals(obj), default=str)
    text = _HANDLE_FILE.sub(r"\1", text)
    for word in ("None", "True", "False"):
        text = text.replace(f'"{_MARK}{word}"', word)
    return text


def _represent(value: Any, python_type: Any, lang: str) -> str:
    null = "None" if lang == "py" else "null"
    if python_type is None or value is None:
        return null
    if python_type in ("string", "str"):
        return f'"{value}"'
    if python_type == "number":
        return str(value)
    if python_type in ("boolean", "bool"):
        if lang == "py":
            return "True" if value else "False"
        return str(value).lower() if isinstance(value, bool) else str(value)
    if python_type == "List[str]":
        return json.dumps(value)
    if python_type.startswith("Literal['"):
        return f'"{value}"'
    if isinstance(value, str):
        return value if value != "" else null
    value = copy.deepcopy(value)
    if lang == "bash":
        value = _map_files(value, lambda f: {"path": f["url"], "meta": {"_type": _FILE_TYPE}})
    elif lang == "py":
        value = _map_files(value, lambda f: f"handle_file('{f['url']}')")
    return _python_literal(value)


def _example_value(param: dict[str, Any]) -> Any:
    return param.get("parameter_default") if param.get("parameter_has_default") else param.get("example_input")


def _name(param: dict[str, Any]) -> Any:
    return param.get("parameter_name") or param.get("label", "input")


def _formatted(param: dict[str, Any], lang: str) -> str:
    return _represent(_example_value(param), param.get("python_type", {}).get("type"), lang)


def generate_python_snippet(api_name: str, params: list[dict[str, Any]], src: str,
                            oauth_token: str | None = None) -> str:
    """``from gradio_client import Client`` ... ``client.predict(name=value, ..., api_name=...)``."""
    needs_files = any(_has_file_data(p.get("example_input")) for p in params)
    connect = (f'client = Client("{src}", oauth_token="{OAUTH_TOKEN_PLACEHOLDER}")' if oauth_token
               else f'client = Client("{src}")')
    return "\n".join([
        "from gradio_client import Client" + (", handle_file" if needs_files else ""),
        "",
        connect,
        "result = client.predict(",
        *[f"\t{_name(p)}={_formatted(p, 'py')}," for p in params],
        f'\tapi_name="{api_name}",',
        ")",
        "print(result)",
    ])


def generate_js_snippet(api_name: str, params: list[dict[str, Any]], src: str,
                        oauth_token: str | None = None) -> str:
    """``@gradio/client``: fetch a blob for each file-like parameter, then ``client.predict``."""
    blobs = [p for p in params if p.get("component") in BLOB_COMPONENTS]
    lines = [f'import {{ {"Client, handle_file" if blobs else "Client"} }} from "@gradio/client";', ""]
    for i, param in enumerate(blobs):
        example = param.get("example_input", {})
        url = example.get("url", "") if isinstance(example, dict) else ""
        lines.append(f'const response_{i} = await fetch("{url}");')
        lines.append(f"const example{param.get('component', '')} = await response_{i}.blob();")
    if blobs:
        lines.append("")
    if oauth_token:
        lines.append(f'const client = await Client.connect("{src}", '
                     f'{{ oauth_token: "{OAUTH_TOKEN_PLACEHOLDER}" }});')
    else:
        lines.append(f'const client = await Client.connect("{src}");')
    blob_components = {p.get("component") for p in blobs}
    lines.append(f'const result = await client.predict("{api_name}", {{')
    for param in params:
        component = param.get("component", "")
        if component in blob_components:
            lines.append(f"\t\t{_name(param)}: handle_file(example{component}),")
        else:
            lines.append(f"\t\t{_name(param)}: {_formatted(param, 'js')},")
    lines += ["});", "", "console.log(result.data);"]
    return "\n".join(lines)


def generate_bash_snippet(api_name: str, params: list[dict[str, Any]], root: str,
                          api_prefix: str = "/", oauth_token: str | None = None) -> str:
    """cURL: upload a file if a parameter needs one, POST ``call/v2/<name>``, then read the
    result stream of ``call/<name>/$EVENT_ID``."""
    base = root.rstrip("/") + (api_prefix or "/")
    endpoint = api_name.lstrip("/")
    file_names = [_name(p) for p in params if _has_file_data(p.get("example_input"))]
    lines: list[str] = []
    if file_names:
        lines += [f"FILE_PATH=$(curl -s -X POST {base}upload -F 'files=@/path/to/your/file'"
                  " | tr -d '[]\" ')", ""]
    data: dict[Any, str] = {}
    for param in params:
        name = _name(param)
        data[name] = "FILE_PATH_PLACEHOLDER" if name in file_names else _formatted(param, "bash")
    if oauth_token:
        data["oauth_token"] = f'"{OAUTH_TOKEN_PLACEHOLDER}"'
    body = "{" + ", ".join(f'"{k}": {v}' for k, v in data.items()) + "}"
    if file_names:
        body = body.replace("FILE_PATH_PLACEHOLDER", _CURL_FILE)
    lines += [
        f'curl -X POST {base}call/v2/{endpoint} -s -H "Content-Type: application/json" \\',
        f"  -d '{body}' \\",
        "  | awk -F'\"' '{ print $4}' \\",
        f"  | read EVENT_ID; curl -N {base}call/{endpoint}/$EVENT_ID",
    ]
    return "\n".join(lines)


def generate_code_snippets(api_name: str, endpoint_info: dict[str, Any], root: str,
                           space_id: str | None = None, api_prefix: str = "/") -> dict[str, str]:
    """``{"python", "javascript", "bash"}`` snippets calling ``api_name``: Python and JavaScript
    connect to ``space_id`` when given (else ``root``); cURL always uses ``root`` and
    ``api_prefix``."""
    params = endpoint_info.get("parameters", [])
    src = space_id or root
    oauth_token = endpoint_info.get("oauth_token")
    return {
        "python": generate_python_snippet(api_name, params, src, oauth_token),
        "javascript": generate_js_snippet(api_name, params, src, oauth_token),
        "bash": generate_bash_snippet(api_name, params, root, api_prefix, oauth_token),
    }
