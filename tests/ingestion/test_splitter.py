"""The recursive splitter: sizes, overlap, boundaries, locations, ordinals and speed."""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragbot.domain import Section
from ragbot.ingestion.splitter import split_sections

WORDS = (
    "leave", "policy", "vacation", "days", "carry", "over", "parental", "weeks", "expense", "claim", "receipt",
    "approval", "manager",
)


def prose(sentences: int, seed: int = 7) -> str:
    """Paragraphs of short sentences, deterministic."""
    rng = random.Random(seed)
    out = []
    for i in range(sentences):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 14)))
        out.append(words.capitalize() + ". " + ("\n\n" if i % 5 == 4 else ""))
    return "".join(out).strip()


def test_short_section_is_one_chunk() -> None:
    chunks = split_sections([Section("  Short text.  ", "page 1")])
    assert [(c.ordinal, c.text, c.location) for c in chunks] == [(0, "Short text.", "page 1")]


def test_sizes_respected() -> None:
    chunks = split_sections([Section(prose(400), "s")], size=300, overlap=30)
    assert len(chunks) > 10
    assert all(len(c.text) <= 300 for c in chunks)
    # Merging fills chunks: most are well over half full.
    assert sum(len(c.text) > 150 for c in chunks) > 0.8 * len(chunks)


def test_overlap_carries_trailing_words() -> None:
    chunks = split_sections([Section(prose(200), "s")], size=300, overlap=40)
    for before, after in zip(chunks, chunks[1:], strict=False):
        head = after.text[:12]
        assert head in before.text[-60:], (before.text, after.text)


def test_overlap_starts_on_a_word_boundary() -> None:
    text = " ".join(f"word{i:04d}" for i in range(400))
    chunks = split_sections([Section(text, "")], size=100, overlap=25)
    for chunk in chunks:
        assert chunk.text.split()[0].startswith("word") and len(chunk.text.split()[0]) == 8


def test_no_overlap_when_zero() -> None:
    text = prose(100)
    chunks = split_sections([Section(text, "")], size=200, overlap=0)
    assert sum(len(c.text) for c in chunks) <= len(text)


def test_sentence_boundaries_preferred() -> None:
    sentences = [f"Sentence number {i} talks about leave and vacation days." for i in range(60)]
    chunks = split_sections([Section(" ".join(sentences), "")], size=200, overlap=0)
    assert all(c.text.endswith(".") for c in chunks)
    assert all(c.text.startswith("Sentence") for c in chunks)


def test_paragraphs_preferred_over_sentences() -> None:
    paragraphs = ["First paragraph. It has two sentences.", "Second paragraph is here.", "Third one."]
    chunks = split_sections([Section("\n\n".join(paragraphs * 10), "")], size=70, overlap=0)
    assert all(c.text.endswith(".") for c in chunks)
    assert any("\n\n" in c.text for c in chunks)
    assert not any(c.text.startswith("It has") for c in chunks)


def test_markdown_headings_start_chunks() -> None:
    body = "Body text for the section goes here. " * 4
    text = "".join(f"## Heading {i}\n{body}\n" for i in range(6))
    chunks = split_sections([Section(text, "")], size=len(body) + 20, overlap=0)
    assert all(c.text.startswith("## Heading") for c in chunks)


def test_long_word_is_hard_cut() -> None:
    chunks = split_sections([Section("x" * 1000, "")], size=100, overlap=10)
    assert all(0 < len(c.text) <= 100 for c in chunks)
    assert "".join(c.text for c in chunks) == "x" * 1000


def test_locations_kept_and_ordinals_contiguous() -> None:
    sections = [Section(prose(30, seed=i), f"page {i}") for i in range(1, 5)] + [Section("   \n ", "page 5")]
    chunks = split_sections(sections, size=250, overlap=30)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert {c.location for c in chunks} == {"page 1", "page 2", "page 3", "page 4"}
    locations = [c.location for c in chunks]
    assert locations == sorted(locations)


def test_no_empty_chunks_from_whitespace() -> None:
    text = "Alpha.\n\n\n\n     \n\n\t\nBeta." + " " * 500 + "Gamma."
    chunks = split_sections([Section(text, ""), Section("", "x"), Section("\n\n", "y")], size=20, overlap=5)
    assert [c.text for c in chunks] and all(c.text.strip() == c.text and c.text for c in chunks)
    assert "".join(chunks[i].text for i in range(len(chunks))).count("Gamma") == 1


def test_every_word_survives() -> None:
    text = prose(300)
    chunks = split_sections([Section(text, "")], size=180, overlap=30)
    joined = " ".join(c.text for c in chunks)
    assert set(text.split()) <= set(joined.split())


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (100, 100), (100, -1), (100, 200)])
def test_bad_parameters(size: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        split_sections([Section("text", "")], size=size, overlap=overlap)


@pytest.mark.parametrize(
    "text",
    [prose(20_000), "word " * 200_000, "x" * 1_000_000, "line of text\n" * 80_000],
    ids=["prose", "words", "one-word", "lines"],
)
def test_one_megabyte_is_fast(text: str) -> None:
    text = text[:1_000_000]
    best = min(_timed(text) for _ in range(3))
    assert best < 0.5, f"{best:.3f} s"


def _timed(text: str) -> float:
    start = time.perf_counter()
    split_sections([Section(text, "")])
    return time.perf_counter() - start


@settings(max_examples=100, deadline=None, database=None)
@given(
    text=st.text(alphabet=st.sampled_from("ab .,;!?\n\t#-é"), max_size=3000),
    size=st.integers(min_value=5, max_value=500),
    data=st.data(),
)
def test_properties_hold_for_any_text(text: str, size: int, data: st.DataObject) -> None:
    overlap = data.draw(st.integers(min_value=0, max_value=size - 1))
    chunks = split_sections([Section(text, "loc")], size=size, overlap=overlap)
    assert all(0 < len(c.text) <= size and c.text == c.text.strip() for c in chunks)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert bool(chunks) == bool(text.strip())
    # Each chunk is a contiguous stretch of the input (whitespace aside); without overlap they tile it exactly.
    squeezed = "".join(text.split())
    assert all("".join(c.text.split()) in squeezed for c in chunks)
    if overlap == 0:
        assert "".join("".join(c.text.split()) for c in chunks) == squeezed


def test_words_carried_over_a_line_break_end_in_that_line_break() -> None:
    # Joined with a space, the carried-over words and an example (or a code fence) would read as one line.
    text = ("The date of today is returned by this call:\n\n>>> date.today()\ndatetime.date(2026, 12, 6)\n\n"
            "It reads the clock.")
    chunks = [c.text for c in split_sections([Section(text, "")], size=60, overlap=20)]
    assert chunks[1] == "by this call:\n>>> date.today()\ndatetime.date(2026, 12, 6)"
    assert not any(": >>>" in c for c in chunks)


def _flat(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.split("\n"))


def test_code_indentation_is_kept_and_moves_no_chunk_boundary() -> None:
    # Retrieval was tuned on chunks cut without indentation; keeping it must not move where they are cut.
    code = "\n".join(f"def f{i}(x):\n    if x > {i}:\n        return x * {i}\n    return 0" for i in range(30))
    text = "Helpers for the examples.\n\n" + code + "\n\nThat is all."
    kept = split_sections([Section(text, "loc", indented=True)], size=120, overlap=20)
    cut = split_sections([Section(_flat(text), "loc")], size=120, overlap=20)
    assert [" ".join(c.text.split()) for c in kept] == [" ".join(c.text.split()) for c in cut]
    assert any("def f7(x):\n    if x > 7:\n        return x * 7\n    return 0" in c.text for c in kept)
    assert not any("\n    if" in c.text for c in cut)


@settings(max_examples=150, deadline=None, database=None)
@given(
    text=st.text(alphabet=st.sampled_from("ab .:;\n\t#"), max_size=1500),
    size=st.integers(min_value=5, max_value=300),
    data=st.data(),
)
def test_indented_sections_cut_like_their_flat_text(text: str, size: int, data: st.DataObject) -> None:
    overlap = data.draw(st.integers(min_value=0, max_value=size - 1))
    text = text.expandtabs(4)
    kept = split_sections([Section(text, "loc", indented=True)], size=size, overlap=overlap)
    cut = split_sections([Section(_flat(text), "loc")], size=size, overlap=overlap)
    assert [" ".join(c.text.split()) for c in kept] == [" ".join(c.text.split()) for c in cut]
    # Only spaces were given back: the line breaks are the cut chunk's.
    assert [c.text.replace(" ", "") for c in kept] == [c.text.replace(" ", "") for c in cut]


def test_a_line_after_a_blank_line_in_code_keeps_its_indentation_after_the_carried_over_words() -> None:
    # The words carried over from the chunk before end in one line break where the page has a blank line; the
    # line after it is still indented as on the page.
    code = ("def dst(self, dt):\n    # Code to set dston and dstoff to the time zone's DST transition times,\n"
            "    # expressed in standard local time.\n\n    if dston <= dt.replace(tzinfo=None) < dstoff:\n"
            "        return timedelta(hours=1)\n    else:\n        return timedelta(0)")
    chunks = [c.text for c in split_sections([Section(code, "loc", indented=True)], size=120, overlap=40)]
    starts = [c for c in chunks if c.split("\n", 1)[-1].lstrip().startswith("if dston")]
    assert starts, chunks
    assert ("local time.\n    if dston <= dt.replace(tzinfo=None) < dstoff:\n        return timedelta(hours=1)"
            in starts[0])
