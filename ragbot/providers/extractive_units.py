"""The extractive answerer's raw material: a passage cut into sentences and code lines, with their names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ragbot.domain import ScoredChunk
from ragbot.text import split_sentences, terms

# Identifiers, calls, dotted names, options and prompts: the lines that hold a command, function or setting.
CODE = re.compile(
    r"`[^`\n]+`|>>>|\$ \w|--?[a-z][\w-]+=?|\b[A-Za-z_]\w*\(|\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\b|\b[a-z]+_[a-z_]+\b"
)
# A title line over a line of = * ~ ^ - or #, or a table's border line (+----+----+).
_UNDERLINED = re.compile(r"^[^\n]{1,80}(?<![.:])\n[ \t]*([=*~^#-])\1{2,}(?!\S)|^[ \t]*\+[-=+]{3,}[ \t]*$", re.MULTILINE)
_NOT_CODE = frozenset({"e.g", "i.e", "etc", "vs"})
# Sentences that speak to an assistant or a bot rather than to a reader: planted instructions, never quoted.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,60}\b(?:instructions?|prompts?|rules|above|previous)\b"
    r"|\b(?:tell|inform|assure|convince)\s+(?:the\s+)?(?:users?|readers?|askers?|people|everyone|them)\b"
    r"|\byou\s+(?:must|should|shall|will|are\s+to|have\s+to|need\s+to)\s+(?:always\s+|now\s+|only\s+)?"
    r"(?:answer|respond|reply|say|state|claim|tell|pretend|act|output|print|include|mention)\b"
    r"|\b(?:as|if\s+you\s+are)\s+an?\s+(?:ai|assistant|language\s+model|llm|chat\s?bot|bot)\b"
    r"|\b(?:ai|assistants?|language\s+models?|llms?|chat\s?bots?|bots?)\s+(?:must|should|shall|will|reading\s+this)\b"
    r"|\bsystem\s+prompt\b|\bnew\s+instructions?\b|\bwhen\s+asked\s+about\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Unit:
    """A sentence (or code line) of a passage, with what its score is made of."""

    passage: int
    position: int
    text: str
    terms: frozenset[str]
    code: bool


def passage_units(index: int, passage: ScoredChunk) -> list[Unit]:
    """A passage's whole sentences and code lines, without its heading line, overlap fragment or instructions."""
    text = passage.text.lstrip()
    heading = passage.location.rsplit(">", 1)[-1].strip()
    # Loaders put a section's heading on its first line; as a "sentence" it would run into the next one.
    if heading and text.startswith(heading) and text[len(heading):len(heading) + 1] in ("\n", ""):
        text = text[len(heading):]
    # Plain-text headings underlined with ==== or **** (reStructuredText, pydoc) and table borders are not prose.
    text = _UNDERLINED.sub("\n\n", text)
    sentences = split_sentences(text)
    # A chunk after the first starts with overlap carried from its predecessor, usually mid-sentence.
    if sentences and passage.ordinal > 0 and sentences[0][:1].islower():
        sentences = sentences[1:]
    out = []
    for j, raw in enumerate(sentences):
        sentence = _strip_marker(raw)
        ts = frozenset(terms(sentence))
        if sentence.startswith("#") or len(ts) < 2 or _INSTRUCTION.search(sentence) or _broken(sentence):
            continue  # headings and fragments make poor answers; planted instructions are never repeated
        code = any(tok.lower().rstrip(".") not in _NOT_CODE for tok in CODE.findall(sentence))
        out.append(Unit(index, j, sentence, ts, code))
    return out


def _broken(sentence: str) -> bool:
    """A piece of a code example cut by the sentence splitter: brackets that do not close, or an opening "..."."""
    return (sentence.startswith("...") or sentence.count("(") != sentence.count(")")
            or sentence.count("[") != sentence.count("]"))


def identifiers(text: str) -> set[str]:
    """The names a line mentions: calls, dotted names and options, lower-cased, with their last dotted part."""
    out = set()
    for tok in CODE.findall(text):
        name = tok.strip("`$ >(=").lower()
        if not name or name in _NOT_CODE:
            continue
        out.add(name)
        out.add(name.rsplit(".", 1)[-1])
    return out


def salience(units: list[Unit]) -> list[float]:
    """How much each unit holds the names that the best passages keep coming back to (0..1).

    A name mentioned in several passages, or in the top ones, is usually what the question is about
    (`shutil.rmtree` in its definition, its example and a how-to).
    """
    weight: dict[str, float] = {}
    seen: set[tuple[str, int]] = set()
    for u in units:
        for name in identifiers(u.text):
            if (name, u.passage) in seen:
                continue  # a name repeated within one passage (a file the whole section is about) counts once
            seen.add((name, u.passage))
            weight[name] = weight.get(name, 0.0) + 1.0 / (1 + u.passage)
    if not weight:
        return [0.0] * len(units)
    top = max(weight.values())
    return [max((weight[name] for name in identifiers(u.text)), default=0.0) / top for u in units]


def _strip_marker(text: str) -> str:
    """A sentence without a leading bullet marker."""
    return re.sub(r"^\s*(?:[-*\u2022\u25aa\u2013]|\d{1,3}[.)])\s+", "", text).strip()
