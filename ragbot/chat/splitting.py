"""Splitting long answers to a platform's message limit without cutting a citation, a link or a code block."""

from __future__ import annotations

import re

# Spans that must never be cut: citation markers like [12], markdown links, Slack <url|text> links.
_ATOMIC = re.compile(r"\[\d{1,3}\]|\[[^\]\n]{0,200}\]\([^)\s]{0,500}\)|<[^>\n]{1,500}>")
_BOUNDARIES = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ")
_FENCE = re.compile(r"^ {0,3}```")
CLOSE_FENCE = "\n```"


def _protected(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _ATOMIC.finditer(text)]


def _safe(pos: int, spans: list[tuple[int, int]]) -> bool:
    return all(not (start < pos < end) for start, end in spans)


def _cut_point(text: str, limit: int, spans: list[tuple[int, int]]) -> int:
    """The best place at or before limit: the latest paragraph, line, sentence, clause or word boundary."""
    floor = limit // 3  # a cut too early makes many tiny messages; then prefer a weaker boundary
    for sep in _BOUNDARIES:
        pos = text.rfind(sep, 0, limit)
        while pos > floor:
            cut = pos + len(sep)
            if cut <= limit and _safe(cut, spans):
                return cut
            pos = text.rfind(sep, 0, pos)
    cut = limit
    while cut > 0 and not _safe(cut, spans):
        cut -= 1
    return cut or limit


def open_fence(text: str) -> str | None:
    """The opening line (with its language) of a ``` code block that text leaves unclosed, else None."""
    opener = None
    for line in text.split("\n"):
        if not _FENCE.match(line):
            continue
        if opener is None:
            opener = line.strip()
        elif not line.strip().strip("`"):  # only a bare fence closes a block; "```py" inside one is code
            opener = None
    return opener


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of text no longer than limit, cut at natural boundaries, never inside [n] or a link.

    A cut inside a ``` code block closes it at the end of the piece and reopens it (same language) in the next,
    so that every message renders as code.
    """
    if limit <= 0:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        # Keep room for a closing fence; it is needed only when the piece ends inside a code block.
        budget = limit - len(CLOSE_FENCE) if limit > 4 * len(CLOSE_FENCE) else limit
        cut = _cut_point(rest, budget, _protected(rest[: limit + 600]))
        piece = rest[:cut].rstrip()
        opener = open_fence(piece) if budget < limit else None
        if opener is not None and len(opener) + 1 >= cut:
            opener = None  # a fence line longer than a third of the limit: splitting as plain text always ends
        if opener is None:
            if piece:
                pieces.append(piece)
            rest = rest[cut:].lstrip()
            continue
        pieces.append(piece + CLOSE_FENCE)
        # Inside code only the line break at the cut goes: the next line's indentation is part of the code.
        rest = opener + "\n" + rest[cut:].lstrip("\n")
    if rest:
        pieces.append(rest)
    return pieces
