"""Small pure text helpers: sentence splitting and content words for overlap scoring."""

from __future__ import annotations

import re

_STOP_WORDS = """
    a about above after again against all am an and any are as at be because been before being below between both
    but by can could did do does doing done down during each either else ever every few for from further get gets
    got had has have having he her here hers herself him himself his how however i if in into is it its itself
    just let like many may me might more most much must my myself neither no nor not now of off on once only or
    other our ours ourselves out over own please same shall she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up upon us very via was we were what
    whatever when where whether which while who whom whose why will with within without would yes yet you your
    yours yourself yourselves s t d ll m re ve
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# A sentence ends at . ! or ? (maybe followed by a closing quote or bracket) before whitespace.
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+")
# Words that end in a period without ending a sentence.
_ABBREVIATION_LIST = "e.g i.e etc vs mr mrs ms dr prof no fig approx dept inc ltd co st jr sr"
_ABBREVIATIONS = frozenset(_ABBREVIATION_LIST.split())
_BULLET = re.compile(r"^\s*(?:[-*\u2022\u25aa\u2013]|\d{1,3}[.)])\s+")
_HEADING = re.compile(r"^\s*#{1,6}\s+")


def stem(word: str) -> str:
    """A light suffix-stripping stemmer, so that "days"~"day" and "approved"~"approve"."""
    w = word
    if len(w) <= 3:
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            # "running" -> "runn" -> "run"; keep "ll"/"ss"/"zz" as in "billed" -> "bill".
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz" and w[-1].isalpha():
                w = w[:-1]
            break
    # Drop a final "e" so "leave"/"leaves"/"leaving" and "approve"/"approved" meet.
    if len(w) > 4 and w.endswith("e"):
        w = w[:-1]
    return w


def words(text: str) -> list[str]:
    """Lowercased word tokens."""
    return _WORD.findall(text.lower())


def content_words(text: str) -> list[str]:
    """Lowercased words with stop words and one-letter tokens removed, unstemmed, in order."""
    return [w for w in words(text) if len(w) > 1 and w not in STOP_WORDS]


def terms(text: str) -> set[str]:
    """The set of stemmed content words of a text, for overlap scoring."""
    return {stem(w) for w in content_words(text)}


def _split_block(block: str) -> list[str]:
    """Split one paragraph into sentences, not after common abbreviations or initials."""
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(block):
        before = block[start : m.start()].rsplit(None, 1)
        last = before[-1].lower().rstrip(".") if before else ""
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            continue
        out.append(block[start : m.end()].strip())
        start = m.end()
    tail = block[start:].strip()
    if tail:
        out.append(tail)
    return out


def split_sentences(text: str) -> list[str]:
    """Split text into sentences; blank lines, bullets and headings also start a new sentence."""
    blocks: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        current: list[str] = []
        for line in para.splitlines():
            if _HEADING.match(line):
                if current:
                    blocks.append(" ".join(current))
                blocks.append(line.strip())
                current = []
            elif _BULLET.match(line):
                if current:
                    blocks.append(" ".join(current))
                current = [line.strip()]
            elif line.strip():
                # A single newline inside a paragraph is usually a hard wrap (PDFs), not a break.
                current.append(line.strip())
        if current:
            blocks.append(" ".join(current))
    sentences: list[str] = []
    for block in blocks:
        sentences.extend(s for s in _split_block(block) if s)
    return sentences
