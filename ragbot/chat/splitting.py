"""Splitting long answers to a platform's message limit without cutting a citation or a link."""

from __future__ import annotations

import re

# Spans that must never be cut: citation markers like [12], markdown links, Slack <url|text> links.
_ATOMIC = re.compile(r"\[\d{1,3}\]|\[[^\]\n]{0,200}\]\([^)\s]{0,500}\)|<[^>\n]{1,500}>")
_BOUNDARIES = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ")


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


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of text no longer than limit, cut at natural boundaries, never inside [n] or a link."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut_point(rest, limit, _protected(rest[: limit + 600]))
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces
