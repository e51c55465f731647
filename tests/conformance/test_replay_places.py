"""Moving a websocket between two recordings of a job keeps its place by the frames it
sent (``_same_place``): recordings may differ in how many queue statuses they hold."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gradio_client.testing.replay import _same_place

# a recording's frames as the replay holds them: (seq, "in" | "out", text)
layouts = st.lists(st.sampled_from(["in", "out"]), max_size=12)


def _frames(ways: list[str]) -> list[tuple[int, str, str]]:
    return [(k, way, f"{way}{k}") for k, way in enumerate(ways)]


def _sent_before(frames: list[tuple[int, str, str]], i: int) -> int:
    return sum(1 for f in frames[:i] if f[1] == "out")


@given(layouts, st.data())
def test_the_same_layout_keeps_the_index(ways: list[str], data: st.DataObject) -> None:
    frames = _frames(ways)
    i = data.draw(st.integers(0, len(frames)))
    assert _same_place(frames, i, _frames(ways)) == i


@given(st.lists(st.integers(0, 3), min_size=1, max_size=5), st.lists(st.integers(0, 3), min_size=1, max_size=5),
       st.data())
def test_a_place_keeps_the_frames_sent_and_never_passes_the_next(
    ins_a: list[int], ins_b: list[int], data: st.DataObject
) -> None:
    """Two recordings of the same client frames, with other numbers of statuses between."""
    sends = min(len(ins_a), len(ins_b))
    a = _frames([w for n in ins_a[:sends] for w in ["in"] * n + ["out"]])
    b = _frames([w for n in ins_b[:sends] for w in ["in"] * n + ["out"]])
    i = data.draw(st.integers(0, len(a)))
    j = _same_place(a, i, b)
    assert 0 <= j <= len(b)
    assert _sent_before(b, j) == _sent_before(a, i)  # the frames it sent stay sent
    if j < len(b):
        # the next frame it would meet is at most its next send: it skips no send
        nxt = next((k for k in range(j, len(b)) if b[k][1] == "out"), len(b))
        assert _sent_before(b, nxt) == _sent_before(a, i)


def test_statuses_already_received_count_after_the_last_send() -> None:
    a = _frames(["in", "out", "in", "in", "in", "out"])  # three statuses before the data
    b = _frames(["in", "in", "out", "in", "out"])  # one status before the data
    assert _same_place(a, 3, b) == 4  # one status after the hash received: b's one, then the send
    assert _same_place(a, 5, b) == 4  # never past b's next send
    assert _same_place(a, 2, b) == 3
