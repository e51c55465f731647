"""Server-chosen download names (issue 12, item 6): any name becomes one safe path component
of at most 255 bytes of UTF-8, keeping its extension when that fits."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given, settings, strategies as st

from gradio_client._files import MAX_NAME_BYTES, DownloadSink, safe_name

EMOJI_NAME = "\U0001F600" * 150 + ".png"  # 600 bytes of name + the extension


def test_150_emoji_are_shortened_by_bytes_keeping_the_extension(tmp_path: Path) -> None:
    name = safe_name({"orig_name": EMOJI_NAME})
    assert len(name.encode()) <= MAX_NAME_BYTES
    assert name.endswith(".png") and name.startswith("\U0001F600")
    sink = DownloadSink(str(tmp_path), name)  # the file system takes it
    sink.write(b"x")
    path = Path(sink.finish())
    assert path.read_bytes() == b"x" and path.name == name


names = st.text(st.characters(blacklist_categories=("Cs",)), max_size=400) | st.text(max_size=400)
extensions = st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd", "So")), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(stem=names, ext=extensions, key=st.sampled_from(["orig_name", "path", "name", "url"]))
def test_any_name_is_one_short_component_in_its_folder(stem: str, ext: str, key: str, tmp_path_factory) -> None:
    raw = f"{stem}.{ext}"
    value = ("http://h/x/" + raw) if key == "url" else raw
    name = safe_name({key: value})
    encoded = name.encode("utf-8")  # valid UTF-8 (no lone surrogates)
    assert 0 < len(encoded) <= MAX_NAME_BYTES
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert name not in (".", "..")
    assert os.path.basename(name) == name
    folder = tmp_path_factory.mktemp("d")
    target = (folder / name).resolve()
    assert target.parent == folder.resolve()


safe_text = st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd", "So", "Lo")), min_size=1, max_size=300)


@settings(max_examples=200, deadline=None)
@given(stem=safe_text, ext=extensions)
def test_the_extension_is_kept_when_it_fits(stem: str, ext: str) -> None:
    name = safe_name({"orig_name": f"{stem}.{ext}"})
    assert name.endswith("." + ext) and len(name.encode()) <= MAX_NAME_BYTES
    assert stem.startswith(name[: -len(ext) - 1]) or name[: -len(ext) - 1] == "file"
