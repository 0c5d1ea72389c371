"""The offline answerer: quotes the passage sentences that best match the question, with citations."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ragbot.domain import ScoredChunk, Turn
from ragbot.text import content_words, split_sentences, terms

_ENDS_WITH_STOP = re.compile(r"([.!?]+)([\"')\]]*)$")


@dataclass(frozen=True)
class _Candidate:
    """A sentence of a passage with its terms and score."""

    passage: int
    position: int
    text: str
    terms: frozenset[str]
    score: float


class ExtractiveAnswerer:
    """A deterministic ChatModel without an LLM: picks 2–4 relevant sentences and cites each as [n]."""

    name = "extractive"

    def __init__(
        self, *, max_sentences: int = 3, max_chars: int = 600, max_passages: int = 5, min_ratio: float = 0.3
    ) -> None:
        self.max_sentences = max_sentences
        self.max_chars = max_chars
        self.max_passages = max_passages
        # A further sentence must score at least this share of the best one, to keep noise out.
        self.min_ratio = min_ratio

    def stream_answer(self, question: str, passages: Sequence[ScoredChunk], history: Sequence[Turn]) -> Iterator[str]:
        """Yield the chosen sentences one by one, each followed by its citation."""
        pieces = self.answer_sentences(question, passages)
        for i, piece in enumerate(pieces):
            yield piece if i == len(pieces) - 1 else piece + " "

    def answer_sentences(self, question: str, passages: Sequence[ScoredChunk]) -> list[str]:
        """The cited sentences of the answer, in reading order."""
        top = list(passages)[: self.max_passages]
        if not top:
            return ["I could not find anything about that in the documents."]
        candidates = self._candidates(question, top)
        chosen = self._select(candidates)
        if not chosen:
            # Nothing overlaps the question: the retriever still ranked passage 1 first.
            sentences = [s for s in split_sentences(top[0].text) if not s.startswith("#")]
            first = _strip_marker(sentences[0]) if sentences else top[0].text.strip()
            return [_cite(_clip(first, self.max_chars), 1)]
        chosen.sort(key=lambda c: (c.passage, c.position))
        return [_cite(c.text, c.passage + 1) for c in chosen]

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        """Identity, except a very short follow-up gets the previous question's new content words prepended."""
        own = content_words(question)
        if len(own) > 3:
            return question
        previous = next((t.text for t in reversed(history) if t.role == "user" and t.text.strip()), "")
        extra = [w for w in dict.fromkeys(content_words(previous)) if w not in own]
        return f"{' '.join(extra)}: {question}" if extra else question

    def _candidates(self, question: str, passages: list[ScoredChunk]) -> list[_Candidate]:
        """Every sentence scored by IDF-weighted overlap with the question, discounted by passage rank."""
        wanted = terms(question)
        per_passage = [[(s, frozenset(terms(s))) for s in _sentences(p)] for p in passages]
        df: dict[str, int] = {}
        for sentences in per_passage:
            for t in set().union(*(ts for _, ts in sentences)) & wanted:
                df[t] = df.get(t, 0) + 1
        n = len(passages)
        # BM25-style IDF stays positive even when every passage has the word.
        idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        out = []
        for i, sentences in enumerate(per_passage):
            for j, (text, ts) in enumerate(sentences):
                if text.lstrip().startswith("#") or len(ts) < 2:
                    continue  # headings and fragments make poor answers
                overlap = sum(idf[t] for t in ts & wanted)
                if overlap > 0:
                    out.append(_Candidate(i, j, _strip_marker(text), ts, overlap / (1 + 0.2 * i)))
        return out

    def _select(self, candidates: list[_Candidate]) -> list[_Candidate]:
        """The best sentences within the count and length budget, skipping near-duplicates."""
        ranked = sorted(candidates, key=lambda c: (-c.score, c.passage, c.position))
        chosen: list[_Candidate] = []
        used = 0
        for c in ranked:
            if len(chosen) >= self.max_sentences or (chosen and c.score < self.min_ratio * chosen[0].score):
                break
            # Chunks overlap, so the same sentence can come from two passages.
            if any(_jaccard(c.terms, o.terms) >= 0.8 for o in chosen):
                continue
            text = c.text if chosen else _clip(c.text, self.max_chars)
            if used + len(text) > self.max_chars:
                continue
            chosen.append(_Candidate(c.passage, c.position, text, c.terms, c.score))
            used += len(text) + 5
        return chosen


def _sentences(passage: ScoredChunk) -> list[str]:
    """A passage's whole sentences: without its section heading or the clipped overlap it starts with."""
    text = passage.text.lstrip()
    heading = passage.location.rsplit(">", 1)[-1].strip()
    # Loaders put a section's heading on its first line; as a "sentence" it would run into the next one.
    if heading and text.startswith(heading) and text[len(heading):len(heading) + 1] in ("\n", ""):
        text = text[len(heading):]
    sentences = split_sentences(text)
    # A chunk after the first starts with overlap carried from its predecessor, usually mid-sentence.
    if sentences and passage.ordinal > 0 and sentences[0][:1].islower():
        sentences = sentences[1:]
    return sentences


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap of two term sets."""
    return len(a & b) / len(a | b) if a or b else 1.0


def _strip_marker(text: str) -> str:
    """A sentence without a leading bullet marker."""
    return re.sub(r"^\s*(?:[-*\u2022\u25aa\u2013]|\d{1,3}[.)])\s+", "", text).strip()


def _clip(text: str, limit: int) -> str:
    """Text cut at a word boundary to at most `limit` characters."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def _cite(sentence: str, n: int) -> str:
    """The sentence with [n] before its final punctuation ("... leave [1].")."""
    m = _ENDS_WITH_STOP.search(sentence)
    if m:
        return f"{sentence[: m.start()].rstrip()} [{n}]{m.group(1)}{m.group(2)}"
    return f"{sentence} [{n}]" if sentence.endswith("…") else f"{sentence.rstrip()} [{n}]."
