"""The examples of README.md and of every docs/*.md page run, against the real example app,
and print what the page says.

Markers (HTML comments, invisible when rendered, on GitHub and on the docs site):

* ``<!-- test -->`` on the line before a ```` ```python ```` block: the block runs.
  ``<!-- test: auth -->``: against the app started with ``--auth user:pw``.
  ``<!-- test: hub -->``: Space ids resolve through the local Hub stand-in (``HF_ENDPOINT``),
  where the ids in ``SPACES`` point at the example app.
* ``<!-- untested: reason -->`` before a ```` ```python ```` block: it does not run.  Every
  python block carries one of the two markers, so none is left out by accident (pages in
  ``UNMARKED_OK``, kept by others and not yet marked, may have unmarked blocks: they do not
  run).
* ``<!-- output -->`` before a ```` ```text ```` block right after a tested block: that block's
  expected stdout.  ``...`` matches anything (doctest's ELLIPSIS), and runs of whitespace
  compare equal.

The tested blocks of one ``## `` section of one page run in order, in one namespace (a block
may use what an earlier block of its section defined), in a temporary working directory in
which ``tests`` links to this checkout's ``tests`` folder; each page and section is one test.
``http://127.0.0.1:7860/`` is replaced with the app's URL, in the code and in the expected
output.  Code is compiled with the page's line numbers, so a traceback points at the line of
the page that failed.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import re
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gradio_client import Client

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES: list[Path] = [README, *sorted(DOCS.glob("*.md"))]
#: Pages kept by others whose python blocks are not marked yet: unmarked blocks are allowed
#: there (and do not run); markers in them are still honoured and checked.
UNMARKED_OK = {"index.md", "stubs.md", "deploying.md"}
PLACEHOLDER = "http://127.0.0.1:7860/"
SECTION_TIMEOUT = 120.0  # a hang fails the test instead of blocking the run
#: Space ids the README uses, as registered in the Hub stand-in (host: the example app).
SPACES: dict[str, dict[str, Any]] = {
    "gradio/calculator": {},
    "my-org/private-app": {"private": True, "token": "hf_..."},
}
_MARKER = re.compile(r"^<!--\s*(test(?::\s*(?P<mode>[\w-]+))?|untested:.*|output)\s*-->\s*$")
_CHECKER = doctest.OutputChecker()
_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@dataclass
class Block:
    section: str
    line: int  # the page's line number of the block's first code line
    code: str
    mode: str = ""  # "", "auth" or "hub"
    expected: str | None = None  # expected stdout, when an <!-- output --> block follows


@dataclass
class Readme:
    lines: list[str]
    blocks: list[Block] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse(text: str, *, strict: bool = True) -> Readme:
    """The tested blocks, and any marker misuse (reported by a test, not raised here).

    ``strict=False``: a python block without a marker is allowed (it does not run)."""
    lines = text.splitlines()
    readme = Readme(lines)
    section = "(top)"
    marker: re.Match[str] | None = None  # a marker line waiting for its code block
    last_tested: Block | None = None  # the tested block an <!-- output --> may follow
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            lang = line[3:].strip()
            end = i + 1
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            if end == len(lines):
                readme.problems.append(f"line {i + 1}: code fence never closed")
                break
            body = "\n".join(lines[i + 1:end]) + "\n"
            kind = marker.group(1) if marker else None
            tested: Block | None = None
            if lang == "python":
                if kind is None:
                    if strict:
                        readme.problems.append(
                            f"line {i + 1}: python block without <!-- test --> or <!-- untested: ... -->")
                elif kind.startswith("test"):
                    assert marker is not None
                    tested = Block(section, i + 2, body, marker.group("mode") or "")
                    readme.blocks.append(tested)
            elif kind == "output":
                if lang != "text" or last_tested is None:
                    readme.problems.append(
                        f"line {i + 1}: <!-- output --> must be a ```text block right after a tested block")
                else:
                    last_tested.expected = body
            elif kind is not None:
                readme.problems.append(f"line {i + 1}: <!-- {kind} --> before a ```{lang} block")
            last_tested, marker = tested, None
            i = end + 1
            continue
        if line.strip():
            found = _MARKER.match(line.strip())
            if marker is not None:
                readme.problems.append(f"line {i + 1}: <!-- {marker.group(1)} --> is not followed by a code block")
            marker = found
            if found is None:
                last_tested = None  # <!-- output --> must come right after its block
                if line.startswith("## "):
                    section = line[3:].strip()
        i += 1
    if marker is not None:
        readme.problems.append(f"<!-- {marker.group(1)} --> at the end of the file")
    return readme


README_TEXT = README.read_text(encoding="utf-8")
PARSED: dict[str, Readme] = {
    page.name: parse(page.read_text(encoding="utf-8"), strict=page.name not in UNMARKED_OK)
    for page in PAGES
}
PATHS: dict[str, Path] = {page.name: page for page in PAGES}
#: (page name, section) -> its tested blocks, in order
SECTIONS: dict[tuple[str, str], list[Block]] = {}
for _name, _parsed in PARSED.items():
    for _block in _parsed.blocks:
        SECTIONS.setdefault((_name, _block.section), []).append(_block)


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40]


def _id(key: tuple[str, str]) -> str:
    return f"{_slug(key[0].removesuffix('.md'))}-{_slug(key[1])}"


# ---------------------------------------------------------------------------- the files themselves


@pytest.mark.parametrize("name", list(PARSED))
def test_markers_are_well_formed(name: str) -> None:
    assert not PARSED[name].problems, "\n".join(f"{name} {p}" for p in PARSED[name].problems)


def test_enough_examples_are_tested() -> None:
    # Guards against markers disappearing in an edit (or a page not being found).
    blocks = [b for parsed in PARSED.values() for b in parsed.blocks]
    assert len(blocks) >= 18, f"only {len(blocks)} tested blocks"
    assert sum(b.expected is not None for b in blocks) >= 14
    # the README's own examples: sync, trio and asyncio
    readme_code = "".join(b.code for b in PARSED[README.name].blocks)
    for call in ("Client(", "trio.run(", "asyncio.run("):
        assert call in readme_code, f"the README's tested examples no longer use {call}"
    for page in ("guide.md", "async.md", "batch.md", "cli.md", "conformance.md", "embedding.md"):
        assert PARSED[page].blocks, f"docs/{page} has no tested example"


def test_first_commands_stay_first() -> None:
    fence = README_TEXT.index("```")
    first_block = README_TEXT[fence:].split("```")[1]
    commands = [ln.split("#")[0].strip() for ln in first_block.splitlines() if ln.strip()]
    assert commands[:2] == ["python3 tools/run.py demo", "python3 tools/run.py test"], commands


# ---------------------------------------------------------------------------- the examples


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "tests").symlink_to(ROOT / "tests", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("key", list(SECTIONS), ids=[_id(k) for k in SECTIONS])
def test_section_examples(key: tuple[str, str], request: pytest.FixtureRequest, workdir: Path) -> None:
    page, section = key
    blocks = SECTIONS[key]
    urls = {"": request.getfixturevalue("gradio_app")}
    if any(b.mode == "auth" for b in blocks):
        urls["auth"] = request.getfixturevalue("gradio_auth_app")
    if any(b.mode == "hub" for b in blocks):
        hub = request.getfixturevalue("hub")
        for space_id, options in SPACES.items():
            hub.add_space(space_id, host=urls[""].rstrip("/"), **options)
        urls["hub"] = urls[""]
    unknown = {b.mode for b in blocks} - set(urls)
    assert not unknown, f"unknown <!-- test: ... --> mode(s) {unknown}"

    failures: list[str] = []
    finished = threading.Event()

    def run_all() -> None:
        namespace: dict[str, Any] = {"__name__": "__readme__"}
        try:
            for block in blocks:
                if not _run_block(page, block, urls[block.mode], namespace, failures):
                    break
        finally:
            for value in namespace.values():  # examples may leave a client open
                if isinstance(value, Client):
                    value.close()
            finished.set()

    # A thread, so that an example that hangs fails this test after SECTION_TIMEOUT.
    worker = threading.Thread(target=run_all, name=f"readme-{_id(key)}", daemon=True)
    worker.start()
    if not finished.wait(SECTION_TIMEOUT):
        pytest.fail(f"{page} section {section!r} did not finish within {SECTION_TIMEOUT:g} s")
    assert not failures, "\n\n".join(failures)


def _run_block(page: str, block: Block, url: str, namespace: dict[str, Any], failures: list[str]) -> bool:
    where = f"{page} line {block.line} (section {block.section!r})"
    code = block.code.replace(PLACEHOLDER, url)
    if "127.0.0.1:7860" in code:
        failures.append(f"{where}: write the app URL exactly as {PLACEHOLDER!r}")
        return False
    # padded so that tracebacks carry the page's line numbers
    compiled = compile("\n" * (block.line - 1) + code, str(PATHS[page]), "exec")
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compiled, namespace)
    except BaseException:  # noqa: BLE001 - report everything, including SystemExit
        failures.append(f"{where} raised:\n{traceback.format_exc()}\n--- its output ---\n{out.getvalue()}")
        return False
    if block.expected is not None:
        want = block.expected.replace(PLACEHOLDER, url)
        got = out.getvalue()
        if not _CHECKER.check_output(want, got, _FLAGS):
            failures.append(f"{where}: output differs\n--- expected ---\n{want}--- got ---\n{got}")
            return False
    return True
