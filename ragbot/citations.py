"""Citation markers: renumbered 1..n in order of first appearance, as the answer streams."""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence

from ragbot.domain import Citation, ScoredChunk

# One marker holds one or more passage numbers: "[2]", "[1, 3]".
_MARKER = re.compile(r"\[(\d{1,2}(?:\s*,\s*\d{1,2})*)\]")
# What may still grow into a marker at the end of a streamed piece: "[", "[1", "[1, ".
_OPEN_TAIL = re.compile(r"\[[\d,\s]{0,12}$|`{1,2}$")  # and "`", "``": the start of a code fence
_FENCE = re.compile(r"(```)")
_SPACE_BEFORE_STOP = re.compile(r"(?<=\w) +([.,;:!?])(?=\s|$)")


class Renumberer:
    """Rewrites [passage] markers to [display] numbers 1..n in order of first appearance, piece by piece.

    Markers that point at no passage are dropped; passages with the same key share a number. A piece ending in
    what may be the start of a marker is held back until the next piece (or finish) decides it, so streamed text
    and the final text use the same numbers.
    """

    def __init__(self, passages: int, keys: Sequence[Hashable] | None = None) -> None:
        self.passages = passages
        # Passages with the same key (the same document and section) share one number: a reader sees one source
        # once in the Sources list, not two entries that open the same place.
        self.keys: Sequence[Hashable] = keys if keys is not None else range(1, passages + 1)
        self.order: list[int] = []  # 1-based passage numbers, in order of first citation (the first of each key)
        self._display: dict[Hashable, int] = {}
        self._in_code = False  # inside a ``` block of the text emitted so far
        self._held = ""
        self._out: list[str] = []
        self.dropped = 0  # markers that pointed at no passage
        self._last = ""  # the last character emitted, to tell a marker from an index such as `a[1]`
        self._run_end = False  # whether that character closed a marker (so "[1][2]" is two markers)

    def feed(self, piece: str) -> str:
        """The text that can be shown now for this piece (possibly empty)."""
        text = self._held + piece
        tail = _OPEN_TAIL.search(text)
        self._held = text[tail.start():] if tail else ""
        ready = self._rewrite(text[: tail.start()] if tail else text)
        self._out.append(ready)
        return ready

    def finish(self) -> str:
        """Whatever was held back, now that no more text comes."""
        rest, self._held = self._rewrite(self._held), ""
        self._out.append(rest)
        return rest

    @property
    def text(self) -> str:
        """All text emitted so far; where a dropped marker's space went out in an earlier piece, it is removed."""
        text = "".join(self._out)
        return _SPACE_BEFORE_STOP.sub(r"\1", text) if self.dropped else text

    def _rewrite(self, text: str) -> str:
        # Inside a ``` code block "[1, 2]" is a list, not a citation: only the prose around blocks is rewritten.
        out: list[str] = []
        for part in _FENCE.split(text):
            if part == "```":
                self._in_code = not self._in_code
            if part == "```" or self._in_code:
                out.append(part)
                if part:
                    self._last, self._run_end = part[-1], False
            else:
                out.append(self._rewrite_prose(part))
        return "".join(out)

    def _rewrite_prose(self, text: str) -> str:
        out: list[str] = []
        pos = 0
        marker_end = 0 if self._run_end else -1  # where the last citation marker ended
        for m in _MARKER.finditer(text):
            before = text[m.start() - 1] if m.start() > 0 else self._last
            # An index such as `items[1]`, or a number in brackets quoted as code or a literal: `[10]`, "[10]".
            is_code = (before.isalnum() or before in "_)" or (before == "]" and m.start() != marker_end)
                       or (before in "`\"'" and text[m.end():m.end() + 1] == before))
            out.append(text[pos:m.start()])
            if is_code:
                out.append(m.group(0))  # not a citation
            else:
                shown = self._marker(m)
                if not shown:
                    self.dropped += 1
                    out[-1] = out[-1].rstrip(" ")  # a dropped marker takes its leading space with it
                out.append(shown)
                marker_end = m.end()
            pos = m.end()
        out.append(text[pos:])
        if text:
            self._last = text[-1]
            self._run_end = marker_end == len(text)
        return "".join(out)

    def _marker(self, m: re.Match[str]) -> str:
        shown = []
        for number in (int(x) for x in m.group(1).split(",")):
            if not 1 <= number <= self.passages:
                continue
            key = self.keys[number - 1]
            if key not in self._display:
                self.order.append(number)
                self._display[key] = len(self.order)
            display = self._display[key]
            if display not in shown:
                shown.append(display)
        return "".join(f"[{n}]" for n in shown)


def source_key(passage: ScoredChunk) -> Hashable:
    """What makes two passages one source for a reader: the same document and section (or the same source)."""
    return passage.document_id, passage.location


def renumber(text: str, passages: int, keys: Sequence[Hashable] | None = None) -> tuple[str, list[int]]:
    """The text with markers renumbered, and the passage number behind each display number."""
    r = Renumberer(passages, keys)
    r.feed(text)
    r.finish()
    return r.text, r.order


def displayed(text: str) -> list[int]:
    """The display numbers cited in a text, ascending."""
    return sorted({int(n) for m in _MARKER.findall(text) for n in m.split(",")})


def citations_for(text: str, passages: Sequence[ScoredChunk], order: Sequence[int]) -> list[Citation]:
    """Citations for the display numbers that appear in text; order maps display n to passage number."""
    out = []
    for n in displayed(text):
        if not 1 <= n <= len(order):
            continue
        p = passages[order[n - 1] - 1]
        snippet = " ".join(p.text.split())[:240]
        out.append(Citation(n=n, title=p.title, source=p.source, location=p.location, snippet=snippet,
                            score=p.similarity if p.similarity is not None else p.score, document_id=p.document_id))
    return out
