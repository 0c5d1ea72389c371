"""Plain text and Markdown loaders; they cut sections out one at a time, so a large file's text is held only once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePath

from ragbot.domain import LoadedStream, Section
from ragbot.ingestion.loaders.common import Outline, decode_text, one_line, strip_span

# Matched against one line of the whole text (pos and endpos), so no line is ever copied; MULTILINE lets ^ match
# there, and no line holds a newline for $ or \s to cross.
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*))?$", re.M)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.M)
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$", re.M)
_NOT_PARAGRAPH = re.compile(r"^\s*(?:[-*+>|]|\d+[.)]|#|$)", re.M)
_BLANK = re.compile(r"\s*")


def load_text(data: bytes, name: str) -> LoadedStream:
    """A .txt file: one section, titled by its file name."""
    text = decode_text(data)
    stem = PurePath(name).stem
    return LoadedStream(_handed_over([Section(text)]), len(text), lambda: stem)


def _handed_over(sections: list[Section]) -> Iterator[Section]:
    """Yield the sections and keep none: the reader can then free a section as large as the file as it cleans it."""
    sections.reverse()
    while sections:
        yield sections.pop()


def load_markdown(data: bytes, name: str) -> LoadedStream:
    """A Markdown file: sections at headings, located by heading path, titled by the first H1."""
    text = decode_text(data)
    stem = PurePath(name).stem
    h1: list[str] = []  # filled once the sections have been read as far as the first H1
    return LoadedStream(_markdown_sections(text, h1), len(text), lambda: one_line(h1[0] if h1 else "") or stem)


def _markdown_sections(text: str, h1: list[str]) -> Iterator[Section]:
    """Sections cut at headings: a heading line and the text below it, up to the next heading.

    Sections are sliced out of the text by position; joining them from lines held the text twice over plus some
    50 bytes a line. A heading with nothing below it is a section only when no heading has a body: its words live
    on in its sub-sections' locations.
    """
    # Runs on the first read, after the pipeline let go of the file's bytes; the original text is released before
    # the visible parts are joined, so no more than two copies ever coexist.
    parts = _visible_parts(text)
    del text
    text = "".join(parts)
    del parts
    outline = Outline()
    location, heading, body = "", "", 0  # the open section: its location, heading and where its body starts
    bare: list[Section] = []
    cut = False  # some section had a body, so bare headings are dropped
    for level, line, start, stop in _headings(text):
        if found := _section(text, heading, body, start, location):
            cut, bare = True, []
            yield from _handed_over(found)
        elif heading and not cut:
            bare.append(Section(heading, location))
        if level == 1 and line and not h1:
            h1.append(line)
        location, heading, body = outline.enter(level, line), line, stop
    found = _section(text, heading, body, len(text), location)
    del text  # the last section may be most of the file: free the whole text before it is cleaned and split
    if found:
        yield from _handed_over(found)
    elif not cut:
        if heading:
            bare.append(Section(heading, location))
        yield from bare


def _section(text: str, heading: str, body: int, end: int, location: str) -> list[Section]:
    """The section of a heading and text[body:end], stripped (as one item), or [] when that body is blank."""
    first, last = strip_span(text, body, end)
    if first == last:
        return []
    if not heading:
        return [Section(text[first:last], location)]
    for newline in ("\n", "\r\n"):
        line_end = body - len(newline)
        start = line_end - len(heading)
        if start >= 0 and text.startswith(newline, line_end) and text.startswith(heading, start, line_end):
            # The heading ends the line above the body, as in most "# Title" lines: one slice is it all, where a
            # concatenation would hold the text a third time. A CR LF there is cleaned to \n like the rest.
            return [Section(text[start:last], location)]
    return [Section(f"{heading}\n{text[body:last]}", location)]


def _headings(text: str) -> Iterator[tuple[int, str, int, int]]:
    """(level, heading, start, stop) for each heading outside code fences; start and stop bound its line(s)."""
    lines = _line_spans(text)
    fence = ""
    above_blank = True  # the first line has no paragraph above it
    current: tuple[int, int] | None = next(lines)
    while current is not None:
        start, end = current
        following = next(lines, None)
        opened = _FENCE.match(text, start, end)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
        elif opened:
            fence = opened.group(1)
        elif (atx := _ATX.match(text, start, end)) is not None:
            yield len(atx.group(1)), _heading_text(atx.group(2) or ""), start, min(end + 1, len(text))
        elif following is not None and (level := _setext_level(text, current, following, above_blank)):
            first, last = strip_span(text, start, end)
            yield level, text[first:last], start, min(following[1] + 1, len(text))
            above_blank, current = False, next(lines, None)  # the underline is the line above the next one
            continue
        above_blank = _BLANK.fullmatch(text, start, end) is not None
        current = following


def _line_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line, cut as text.split("\\n") would cut it."""
    start = 0
    while (end := text.find("\n", start)) != -1:
        yield start, end
        start = end + 1
    yield start, len(text)


def _heading_text(raw: str) -> str:
    """Heading text without an optional closing run of #s."""
    text = raw.strip()
    bare = text.rstrip("#")
    return bare.rstrip() if not bare or bare[-1] in " \t" else text


def _setext_level(text: str, line: tuple[int, int], under: tuple[int, int], above_blank: bool) -> int:
    """1 or 2 for a one-line paragraph underlined with === or ---, else 0 (a longer paragraph plus --- is a rule)."""
    if not above_blank or (match := _SETEXT.match(text, *under)) is None or _NOT_PARAGRAPH.match(text, *line):
        return 0
    return 1 if match.group(1)[0] == "=" else 2


def _visible_parts(text: str) -> list[str]:
    """The text without a leading YAML front-matter block (metadata) or HTML comments (never rendered: a hiding
    place), as parts to join; just [text] when there is neither."""
    pos = 0
    if text.startswith("---\n") and (end := text.find("\n---\n", 3)) != -1:
        pos = end + 5
    parts = []
    while (start := text.find("<!--", pos)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            break
        parts.append(text[pos:start])
        pos = end + 3
    parts.append(text[pos:])
    return parts
