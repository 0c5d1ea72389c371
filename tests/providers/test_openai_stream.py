"""The stream helpers of the OpenAI-compatible provider: reasoning blocks dropped whatever the delta boundaries."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ragbot.providers.openai_stream import ReasoningFilter, strip_reasoning


def feed_all(pieces: list[str]) -> str:
    f = ReasoningFilter()
    return "".join(f.feed(p) for p in pieces) + f.flush()


def split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts})
    bounds = [0, *points, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


@given(st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_a_leading_think_block_is_dropped_at_any_split(cuts: list[int]) -> None:
    text = "  <think>Is </thin it 25? Source [1] says so.</think>\n\nEmployees get 25 days [1]."
    assert feed_all(split(text, cuts)) == "Employees get 25 days [1]."


@given(st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_other_text_passes_unchanged_at_any_split(cuts: list[int]) -> None:
    text = "<thin air> is not a tag; later <think>stays</think> because it is not at the start [2]."
    assert feed_all(split(text, cuts)) == text


def test_whole_replies_and_edge_cases() -> None:
    assert strip_reasoning("<think>plan</think>\nAnswer [1].") == "Answer [1]."
    assert strip_reasoning("Answer [1]. <think>x</think>") == "Answer [1]. <think>x</think>"
    assert feed_all(["<thi"]) == "<thi"  # a stream that ends before the tag is decided keeps its text
    assert feed_all(["<think>never closed"]) == ""
