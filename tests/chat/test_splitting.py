"""The shared answer splitter: pieces fit the limit and ``` code blocks stay balanced across messages."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ragbot.chat.splitting import split_text

FENCE_LINE = re.compile(r"^ {0,3}```", re.M)
words = st.text(alphabet="abcdefghij", min_size=1, max_size=10)
prose = st.lists(words, min_size=1, max_size=60).map(lambda ws: " ".join(ws) + ".")
code_line = st.tuples(st.sampled_from(["", "    ", "        "]), st.lists(words, min_size=1, max_size=6)).map(
    lambda t: t[0] + " = ".join(t[1]))
code = st.tuples(st.sampled_from(["", "python", "bash"]), st.lists(code_line, min_size=1, max_size=40)).map(
    lambda t: f"```{t[0]}\n" + "\n".join(t[1]) + "\n```")


def _content(text: str) -> str:
    """Everything but fence lines and whitespace: what splitting must neither lose nor duplicate."""
    return re.sub(r"\s", "", "\n".join(line for line in text.split("\n") if not FENCE_LINE.match(line)))


@settings(max_examples=200, deadline=None, database=None)
@given(blocks=st.lists(st.one_of(prose, code), min_size=1, max_size=8), limit=st.integers(80, 600))
def test_pieces_fit_and_every_code_block_is_closed_in_its_own_message(blocks: list[str], limit: int) -> None:
    text = "\n\n".join(blocks)
    pieces = split_text(text, limit)

    assert all(len(p) <= limit for p in pieces)
    assert all(len(FENCE_LINE.findall(p)) % 2 == 0 for p in pieces), pieces
    assert "".join(_content(p) for p in pieces) == _content(text)


def test_a_reopened_block_keeps_its_language_and_indentation() -> None:
    body = "\n".join(f"    total_{i} = compute({i})" for i in range(12))
    pieces = split_text(f"Run this:\n\n```python\n{body}\n```\n\nThat is all.", 160)

    assert len(pieces) > 1
    assert all(p.startswith("```python\n    total_") for p in pieces[1:])
    assert pieces[0].endswith("\n```") and pieces[-1].endswith("```\n\nThat is all.")
