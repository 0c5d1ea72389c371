"""Text loaders hand out sections one at a time: same sections, chunks and titles as before, and no copies per line."""

from __future__ import annotations

import tracemalloc

import pytest

from ragbot.errors import EmptyDocument
from ragbot.ingestion.loaders import load_bytes, stream_bytes
from ragbot.ingestion.splitter import iter_chunks, split_sections
from tests.ingestion.ingestion_factories import MAX

# Front matter, a comment, controls, a closed ATX heading, a bare heading, a fence, a setext heading, trailing
# spaces and a BOM: each takes a different path through the Markdown loader.
GUIDE = (
    "---\ntitle: not prose\n---\n"
    "Preamble before any heading.\n\n"
    "# Handbook #\n"
    "<!-- a hidden note -->Intro\x7f line\x0cwith a form feed.\n"
    "## Empty\n"
    "### Leave\n"
    "```\n# not a heading\n```\n\n"
    "Setext title\n"
    "============\n"
    "Body under the setext heading, long enough to be cut into more than one chunk of sixty characters.\n"
    "#### Trailing   \n"
    "\ufeffLast words.\n"
)


def chunks(data: bytes, name: str) -> list[str]:
    return [c.text for c in split_sections(load_bytes(data, name, max_bytes=MAX).sections, size=60, overlap=10)]


# Expected values were produced by the loaders that built whole lists of lines and sections, before streaming.
def test_markdown_sections_and_chunks_are_those_of_the_list_building_loader() -> None:
    document = load_bytes(GUIDE.encode(), "guide.md", max_bytes=MAX)
    assert document.title == "Handbook"
    assert [(s.location, s.text) for s in document.sections] == [
        ("", "Preamble before any heading."),
        ("Handbook", "Handbook\nIntro line\nwith a form feed."),
        ("Empty > Leave", "Leave\n```\n# not a heading\n```"),
        ("Setext title", "Setext title\nBody under the setext heading, long enough to be cut into more than one "
                         "chunk of sixty characters."),
        ("Setext title > Trailing", "Trailing\nLast words."),
    ]
    assert chunks(GUIDE.encode(), "guide.md") == [
        "Preamble before any heading.", "Handbook\nIntro line\nwith a form feed.", "Leave\n```\n# not a heading\n```",
        "Setext title\nBody under the setext heading,", "heading, long enough to be cut into more than one chunk of",
        "chunk of sixty characters.", "Trailing\nLast words.",
    ]


def test_crlf_markdown_keeps_its_sections() -> None:
    # With CR LF the front matter and the setext underline are not recognised, as before: kept as they were.
    document = load_bytes(GUIDE.replace("\n", "\r\n").encode(), "guide.md", max_bytes=MAX)
    assert [(s.location, s.text) for s in document.sections] == [
        ("", "---\ntitle: not prose\n---\nPreamble before any heading."),
        ("Handbook", "Handbook\nIntro line\nwith a form feed."),
        ("Empty > Leave", "Leave\n```\n# not a heading\n```\n\nSetext title\n============\nBody under the setext "
                          "heading, long enough to be cut into more than one chunk of sixty characters."),
        ("Leave > Trailing", "Trailing\nLast words."),
    ]


def test_headings_without_body_are_sections_only_when_nothing_else_is() -> None:
    document = load_bytes(b"# A\n## B\n\n", "bare.md", max_bytes=MAX)
    assert [(s.location, s.text) for s in document.sections] == [("A", "A"), ("A > B", "B")]


def test_csv_lines_end_at_cr_as_before() -> None:
    data = b'name,notes\r"Ann","two\rlines"\rBob,x\r\n'
    document = load_bytes(data, "people.csv", max_bytes=MAX)
    assert [(s.location, s.text) for s in document.sections] == [
        ("rows 2\u20133", "name: Ann; notes: two lines\nname: Bob; notes: x")
    ]


def test_a_late_h1_titles_the_document_once_the_sections_are_read() -> None:
    stream = stream_bytes(b"Intro text\n# Late title\nMore.", "late.md", max_bytes=MAX)
    assert stream.title() == "late"  # nothing read yet
    assert [s.text for s in stream.sections] == ["Intro text", "Late title\nMore."]
    assert stream.title() == "Late title"


def test_text_that_cleans_away_to_nothing_is_refused_when_read() -> None:
    stream = stream_bytes("#\n## \u00a0\n".encode(), "blank.md", max_bytes=MAX)
    with pytest.raises(EmptyDocument, match="no readable text"):
        list(stream.sections)
    with pytest.raises(EmptyDocument, match="no readable text"):
        load_bytes(b"\x7f\x7f\n", "blank.txt", max_bytes=MAX)


@pytest.mark.parametrize("name", ["big.md", "big.txt"])
def test_a_large_text_file_is_held_about_twice_not_per_line(name: str) -> None:
    paragraph = "Every release is tagged, announced in the release channel and rolled back with the runbook. "
    data = ("# Big guide\n\n" + "\n\n".join(f"{i}. {paragraph}" for i in range(50_000))).encode()
    size = len(data)
    tracemalloc.start()
    try:
        stream = stream_bytes(data, name, max_bytes=MAX)
        del data  # as the pipeline does, before reading the sections
        count = sum(1 for _ in iter_chunks(stream.sections))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count > 10_000
    # The decoded text and one section as large as the file; lists of lines or paragraphs cost 4 to 5 times.
    assert peak < 2.3 * size, f"peak {peak / size:.1f} times the file's size"
