"""Whether the retrieved passages can answer a question, from several signals rather than one cosine threshold."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from ragbot.domain import RARE_IDF, QuestionTerms, ScoredChunk, TermStat

_LETTER = re.compile(r"[^\W\d_]")
# Words about the conversation rather than its subject (PostgreSQL's English stems): "could you elaborate?",
# "are you sure?", "explain that in more detail". A space need not contain them to answer.
_TALK = frozenset({"could", "would", "elabor", "explain", "clarifi", "detail", "sure", "exampl", "pleas", "thank",
                   "thx", "okay", "ok", "sorri", "again", "repeat", "rephras", "summar", "summari", "briefli",
                   "short", "simpler", "simpli", "mean", "understand"})
_DIGIT = re.compile(r"\d")
_WHOLE = 0.999  # coverage of the question's IDF that counts as all of it (the shares are sums of floats)


@dataclass(frozen=True)
class Signals:
    """What the gate reads for one question."""

    top_similarity: float  # best cosine similarity among the passages
    coverage: float  # share of the question's IDF that the passages hold (1.0 for a question of common words)
    unknown: int  # distinctive question words that occur nowhere in the space
    agreement: bool  # a passage among the best by cosine was also found by full-text search
    space_chunks: int = 0  # chunks in the space (counted up to a cap)
    unknown_words: tuple[str, ...] = ()
    unknown_share: float = 0.0  # share of the question's IDF carried by the unknown words
    # Rare question words the space imports as modules ("import hashlib") that no passage holds: the passages are
    # about something else ("compute a SHA-256 hash with hashlib" answered from the crypt module's page).
    unquoted_names: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        """For eval reports and logs."""
        return {"top_similarity": round(self.top_similarity, 4), "coverage": round(self.coverage, 4),
                "unknown": self.unknown, "agreement": self.agreement, "space_chunks": self.space_chunks,
                "unknown_words": list(self.unknown_words), "unknown_share": round(self.unknown_share, 4),
                "unquoted_names": list(self.unquoted_names)}


def signals(passages: Sequence[ScoredChunk], question: QuestionTerms | None, *, rare_idf: float = RARE_IDF,
            asked: Collection[str] | None = None) -> Signals:
    """The gate's signals from the passages and the question's words.

    `asked`: when the words were those of a follow-up padded with earlier turns' topic, the lexemes of the question
    as asked; only those can be unknown, and the unknown share is of their IDF alone. The topic words were vetted
    when they were asked; what a follow-up adds ("is there a daycare subsidy as well?") must be known on its own.
    """
    terms: Sequence[TermStat] = question.terms if question else ()
    sims = [p.similarity or 0.0 for p in passages]
    top = max(sims, default=0.0)
    weight = sum(t.idf for t in terms)
    coverage = sum(t.idf for t in terms if t.in_passages) / weight if weight > 0 else 1.0
    unknown = [t for t in terms if not t.in_space and t.idf >= rare_idf and _is_name(t.lexeme)
               and t.lexeme not in _TALK and (asked is None or t.lexeme in asked)]
    own = weight if asked is None else sum(t.idf for t in terms if t.lexeme in asked)
    share = sum(t.idf for t in unknown) / own if own > 0 else 0.0
    best = sorted(passages, key=lambda p: -(p.similarity or 0.0))[:3]
    agreement = any(p.lexical_rank is not None for p in best)
    unquoted = tuple(t.lexeme for t in terms if t.code_name and t.idf >= rare_idf and not t.in_passages
                     and (asked is None or t.lexeme in asked))
    return Signals(top_similarity=top, coverage=coverage, unknown=len(unknown), agreement=agreement,
                   space_chunks=question.space_chunks if question else 0,
                   unknown_words=tuple(t.lexeme for t in unknown), unknown_share=share, unquoted_names=unquoted)


def _is_name(lexeme: str) -> bool:
    """Whether an unseen word names something the space would have to know.

    Numbers, dates, versions and short codes ("2024", "3.12", "v2", "25th") are the user's own examples, but a
    name with digits in it ("psycopg2", "sha256") counts, as does any word of letters ("ci", "django"). A
    hyphenated or slashed compound ("last-modified", "upper/lower") is left to its parts.
    """
    if "-" in lexeme or "/" in lexeme:
        return False
    letters = len(_LETTER.findall(lexeme))
    return letters >= 3 if _DIGIT.search(lexeme) else letters >= 2


@dataclass(frozen=True)
class Gate:
    """The "I don't know" decision.

    A question is answered when its best passage is very close in meaning (sure_similarity). Below that it needs
    to clear min_similarity, and, in a space large enough for the absence of a word to mean something
    (unknown_min_chunks), every distinctive word of the question must occur somewhere in the space. A passage
    can pass a cosine threshold on shared vocabulary alone ("how do I read EXIF data with Pillow?" against
    Python's docs); the rare word the space has never seen gives such a question away. In a space of any size,
    a question is refused when 60% of its IDF is in words the space has never seen ("which football club plays
    in the stadium?" against a building FAQ), when no passage holds any of its words while keyword search found
    none of the closest passages, and when it names a module the space imports somewhere while no passage holds
    that name. Just below min_similarity (lexical_margin), a question is still answered when keyword search
    agrees on a passage and the passages hold lexical_coverage of its IDF; further below, down to
    whole_question_share of min_similarity, when they hold all of it. A minimum coverage and a margin when
    the two searches disagree are further optional tests. Defaults were tuned on held-out questions
    (docs/quality.md).
    """

    min_similarity: float = 0.40
    sure_similarity: float = 0.60
    max_unknown: int = 0
    unknown_min_chunks: int = 2000
    min_coverage: float = 0.0
    disagreement_margin: float = 0.0  # without agreement between the lists, demand this much more similarity
    max_unknown_share: float = 0.6  # in a space of any size: at most this share of the question's IDF unseen
    refuse_unsupported: bool = True  # no passage holds a question word and keyword search agrees on none
    refuse_unquoted_names: bool = True  # the space imports a module the question names, but no passage holds it
    lexical_margin: float = 0.025  # this far below min_similarity, agreement and lexical_coverage still answer
    lexical_coverage: float = 0.5
    # Keyword search agrees and the passages hold every word of the question: answered from this share of
    # min_similarity on (0.10 at the default floor; a floor raised for another model raises it too). A table's or a
    # directory's chunk embeds many rows, so the row that answers is far from the question in meaning ("Who is the
    # head of People?" at 0.15 against "Name: Hannah de Vries; Team: People; Role: Head of People; ...").
    whole_question_share: float = 0.25

    def allows(self, s: Signals) -> bool:
        """Whether to answer from these passages."""
        return self.floor(s) is not None

    def refused_for_words(self, s: Signals) -> bool:
        """Whether words the space never uses are what made the question "I don't know": without them it passes.

        Then the user can be told which words, and ask again in the documents' own (people paraphrase: "cap" for
        "limit"), instead of guessing why.
        """
        if not s.unknown_words or self.allows(s):
            return False
        return self.allows(replace(s, unknown=0, unknown_words=(), unknown_share=0.0))

    def refused_for_names(self, s: Signals) -> bool:
        """Whether a module the documents import but no passage names is what made the question "I don't know"."""
        return bool(s.unquoted_names) and not self.allows(s) and self.allows(replace(s, unquoted_names=()))

    def floor(self, s: Signals) -> float | None:
        """The similarity a passage needs to be quoted, or None for "I don't know".

        It is the threshold that allowed the answer: when only the best passage's closeness (sure_similarity)
        let a question through, weaker passages are not quoted beside it.
        """
        if s.top_similarity < self.min_similarity:
            # Just below the floor, keyword search vouching for a passage that holds much of the question will do.
            low = self.min_similarity - self.lexical_margin
            if (s.top_similarity >= low and s.agreement and s.coverage >= self.lexical_coverage
                    and self._other_tests_pass(s)):
                return low
            whole = self.min_similarity * self.whole_question_share
            if s.top_similarity >= whole and s.agreement and s.coverage >= _WHOLE and self._other_tests_pass(s):
                return whole
            return None
        if self._other_tests_pass(s):
            return self.min_similarity
        return self.sure_similarity if s.top_similarity >= self.sure_similarity else None

    def _other_tests_pass(self, s: Signals) -> bool:
        if s.space_chunks >= self.unknown_min_chunks and s.unknown > self.max_unknown:
            return False
        if s.unknown_share >= self.max_unknown_share:
            return False  # most of what makes the question specific is unknown here ("football club", "stadium")
        if self.refuse_unsupported and s.coverage == 0.0 and not s.agreement:
            return False  # close in meaning only: nothing the question says is in the passages ("What is ID06?")
        if self.refuse_unquoted_names and s.unquoted_names:
            return False  # the documents import "hashlib" somewhere, but these passages never name it
        if s.coverage < self.min_coverage:
            return False
        return s.agreement or s.top_similarity >= self.min_similarity + self.disagreement_margin
