"""Plain text and Markdown loaders."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePath

from bot.domain import LoadedDocument, Section
from bot.ingestion.loaders.common import Outline, SectionBuilder, decode_text, one_line

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*))?$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_NOT_PARAGRAPH = re.compile(r"^\s*(?:[-*+>|]|\d+[.)]|#|$)")


def load_text(data: bytes, name: str) -> LoadedDocument:
    """A .txt file: one section, titled by its file name."""
    return LoadedDocument(PurePath(name).stem, [Section(decode_text(data))])


def load_markdown(data: bytes, name: str) -> LoadedDocument:
    """A Markdown file: sections at headings, located by heading path, titled by the first H1."""
    text = _strip_comments(_strip_front_matter(decode_text(data)))
    builder, outline = SectionBuilder(), Outline()
    title = ""
    for level, line in _lines(text):
        if level:
            builder.heading(outline.enter(level, line), line)
            title = title or (line if level == 1 else "")
        else:
            builder.add(line + "\n")
    return LoadedDocument(one_line(title) or PurePath(name).stem, builder.sections())


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield (heading level or 0, text) per logical line, skipping headings inside code fences."""
    lines = text.split("\n")
    fence = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        opened = _FENCE.match(line)
        if fence:
            fence = "" if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence) else fence
            yield 0, line
        elif opened:
            fence = opened.group(1)
            yield 0, line
        elif (atx := _ATX.match(line)) is not None:
            yield len(atx.group(1)), _heading_text(atx.group(2) or "")
        elif _is_setext(lines, i):
            yield (1 if lines[i + 1].strip().startswith("=") else 2), line.strip()
            i += 1
        else:
            yield 0, line
        i += 1


def _heading_text(raw: str) -> str:
    """Heading text without an optional closing run of #s."""
    text = raw.strip()
    bare = text.rstrip("#")
    return bare.rstrip() if not bare or bare[-1] in " \t" else text


def _is_setext(lines: list[str], i: int) -> bool:
    """A one-line paragraph underlined with === or --- (a longer paragraph plus --- is a rule here)."""
    if i + 1 >= len(lines) or not _SETEXT.match(lines[i + 1]) or _NOT_PARAGRAPH.match(lines[i]):
        return False
    return i == 0 or not lines[i - 1].strip()


def _strip_front_matter(text: str) -> str:
    """Drop a leading YAML front-matter block; it is metadata, not prose."""
    if not text.startswith("---\n"):
        return text
    end = text.find("\n---\n", 3)
    return text[end + 5 :] if end != -1 else text


def _strip_comments(text: str) -> str:
    """Drop HTML comments: they are not rendered, so readers never see them (a hiding place)."""
    parts, pos = [], 0
    while (start := text.find("<!--", pos)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            break
        parts.append(text[pos:start])
        pos = end + 3
    parts.append(text[pos:])
    return "".join(parts)
