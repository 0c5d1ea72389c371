"""Recursive character splitter: cut at the coarsest boundary that fits, merge up to size, overlap a little."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ragbot.domain import ChunkDraft, Section

# Coarsest first. Each pattern marks where a piece may end (the cut is after the match), so
# joining the pieces gives back the text exactly and sentences keep their full stops.
_SEPARATORS = tuple(
    re.compile(pattern)
    for pattern in (
        r"\n+(?=#{1,6}[ \t])",  # before a Markdown heading
        r"\n[ \t]*\n\s*",  # paragraph break
        r"\n",  # line break
        r"[.?!…][\"'”’)\]]*[ \t]+",  # sentence end
        r";\s+",
        r",\s+",
    )
)


_SPACE_RUN = re.compile(r"[^\S\n]+")
_GAPS = re.compile(r"(\s+)")


def split_sections(sections: Iterable[Section], *, size: int = 400, overlap: int = 40) -> list[ChunkDraft]:
    """Split sections into chunks of at most size characters, each carrying its section's location."""
    return list(iter_chunks(sections, size=size, overlap=overlap))


def iter_chunks(sections: Iterable[Section], *, size: int = 400, overlap: int = 40) -> Iterator[ChunkDraft]:
    """split_sections one chunk at a time, so a large document never has all its chunks in memory at once."""
    if size <= 0 or not 0 <= overlap < size:
        raise ValueError(f"need size > 0 and 0 <= overlap < size, got size={size}, overlap={overlap}")
    ordinal = 0
    for section in sections:
        # Code's indentation is cut along, not counted: a section cuts where it would without it, so that keeping
        # it moves no chunk boundary (and no retrieval figure), while answers can quote code that runs.
        text = _flat(section.text) if section.indented else section.text
        # Pieces leave room for the overlap, so every chunk can start with the previous one's last words.
        chunks = _merge(_pieces(text, size - overlap, 0), size, overlap)
        for text in _reindented(chunks, section.text) if section.indented else chunks:
            yield ChunkDraft(ordinal, text, section.location)
            ordinal += 1


def _flat(text: str) -> str:
    """The text without indentation or alignment: each line stripped, runs of spaces made one."""
    return "\n".join(_SPACE_RUN.sub(" ", line).strip(" ") for line in text.split("\n"))


def _reindented(chunks: Iterable[str], text: str) -> Iterator[str]:
    """Chunks cut from _flat(text), given back the spaces that text has where they have one.

    Only spaces differ between the two, so each chunk's words are a run of text's words with whitespace in the same
    places: each gap takes text's spaces when it holds the same line breaks (and the indentation after its last
    line break when it holds fewer), and a chunk that starts a line takes its indentation. Chunks come in order, so
    each is looked for from where the one before started.
    """
    cursor = 0
    for chunk in chunks:
        words = chunk.split()
        found = re.compile(r"\s+".join(map(re.escape, words))).search(text, cursor) if words else None
        if found is None:
            yield chunk
            continue
        cursor = found.start()
        out = []
        for mine, theirs in zip(_GAPS.split(chunk), _GAPS.split(found.group()), strict=True):
            same_breaks = mine[:1].isspace() and theirs.replace(" ", "") == mine.replace(" ", "")
            if same_breaks:
                out.append(theirs)
            elif "\n" in mine and "\n" in theirs and not theirs[theirs.rfind("\n") + 1:].strip(" "):
                # Fewer line breaks than the page (the words carried over from the chunk before end in one line
                # break where the page has a blank line): the chunk's own breaks, the page's indentation after them.
                out.append(mine.rstrip(" ") + theirs[theirs.rfind("\n") + 1:])
            else:
                out.append(mine)
        line_start = text.rfind("\n", 0, cursor) + 1
        indent = text[line_start:cursor]
        yield (indent if not indent.strip() else "") + "".join(out)


def _pieces(text: str, limit: int, level: int) -> Iterator[str]:
    """Pieces of at most limit characters, cut at the coarsest separator that makes them fit."""
    if len(text) <= limit:
        yield text
    elif level == len(_SEPARATORS):
        yield from _words(text, limit)
    else:
        for part in _cut(text, _SEPARATORS[level]):
            yield from _pieces(part, limit, level + 1)


def _words(text: str, limit: int) -> Iterator[str]:
    """Greedy runs of whole words of at most limit characters; a longer word is hard-cut.

    Packing here instead of yielding single words keeps long unpunctuated text fast.
    """
    start = 0
    while len(text) - start > limit:
        end = start + limit
        space = text.rfind(" ", start + 1, end)
        cut = space + 1 if space > start else end
        yield text[start:cut]
        start = cut
    yield text[start:]


def _cut(text: str, pattern: re.Pattern[str]) -> Iterator[str]:
    """Cut text after each match of pattern; the parts join back to text.

    One at a time: a section can be a whole large file, and a list of its paragraphs would hold it all again.
    """
    start = 0
    for match in pattern.finditer(text):
        end = match.end()
        if start < end < len(text):
            yield text[start:end]
            start = end
    yield text[start:]


def _merge(pieces: Iterator[str], size: int, overlap: int) -> Iterator[str]:
    """Pack pieces into chunks of at most size; each new chunk starts with the last words of the one before."""
    buffer: list[str] = []
    length, fresh = 0, False  # fresh: the buffer holds text not yet emitted
    for piece in pieces:
        if length + len(piece) > size:
            joined = "".join(buffer)
            if fresh and joined.strip():
                yield joined.strip()
            tail = _tail(joined, min(overlap, size - len(piece)))
            buffer, length, fresh = ([tail] if tail else []), len(tail), False
        buffer.append(piece)
        length += len(piece)
        fresh = fresh or bool(piece.strip())
    joined = "".join(buffer).strip()
    if fresh and joined:
        yield joined


def _tail(text: str, limit: int) -> str:
    """At most limit trailing characters of text, starting at a word boundary and ending in one space, or in a
    line break when a line ended there.

    The line break matters when a chunk starts with a code fence or an example after the carried-over words:
    joined with a space, "Run this:" and "```bash" (or ">>> date.today()") would read as one line.
    """
    room = limit - 1  # the trailing space or line break that separates the tail from the next piece
    stripped = text.rstrip()
    end = "\n" if "\n" in text[len(stripped):] else " "
    text = stripped
    if room <= 0 or not text:
        return ""
    if len(text) <= room:
        return text + end
    tail = text[-room:]
    if not text[-room - 1].isspace():
        # Starting mid-word would give the next chunk a word fragment; skip to the next word.
        cut = _first_space(tail)
        tail = tail[cut:] if cut >= 0 else ""
    tail = tail.lstrip()
    return tail + end if tail else ""


def _first_space(text: str) -> int:
    match = re.search(r"\s", text)
    return match.start() if match else -1
