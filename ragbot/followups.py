"""Follow-ups without an LLM: carry the thread's topic into the retrieval query, and remember what was cited."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ragbot.domain import ScoredChunk, Turn
from ragbot.text import content_words

# Words that point back at something said earlier ("does it...", "what about that one").
_ANAPHORA = frozenset(["it", "its", "it's", "they", "them", "their", "this", "that", "these", "those", "one", "ones",
                       "there", "such", "same"])
_OPENERS = re.compile(r"^\s*(and|also|but|so|then|what about|how about|and what|what if|same for|or)\b", re.I)
MAX_TOPIC_WORDS = 8


def needs_topic(question: str) -> bool:
    """Whether a question leans on the conversation: it is short, refers back, or opens like a continuation."""
    own = content_words(question)
    lowered = re.findall(r"[a-z']+", question.lower())
    return len(own) <= 3 or bool(_ANAPHORA.intersection(lowered)) or bool(_OPENERS.match(question))


def topic_words(question: str, history: Sequence[Turn]) -> list[str]:
    """Content words of the earlier questions that the follow-up lacks, most recent question first."""
    own = set(content_words(question))
    out: list[str] = []
    for turn in reversed(history):
        if turn.role != "user":
            continue
        for word in content_words(turn.text):
            if word not in own and word not in out:
                out.append(word)
    return out[:MAX_TOPIC_WORDS]


def topic_query(question: str, history: Sequence[Turn]) -> str:
    """The retrieval query for a follow-up: the earlier questions' topic words, then the follow-up itself."""
    if not history or not needs_topic(question):
        return question
    extra = topic_words(question, history)
    return f"{' '.join(extra)}: {question}" if extra else question


def cited_before(history: Sequence[Turn]) -> frozenset[str]:
    """Sources and titles that earlier answers in the thread cited."""
    return frozenset(s for turn in history if turn.role == "assistant" for s in turn.sources)


def boost_cited(passages: Sequence[ScoredChunk], cited: frozenset[str], *, places: int) -> list[ScoredChunk]:
    """Passages reordered so that those of documents cited before move up by `places` ranks (stable)."""
    if not cited or places <= 0:
        return list(passages)
    keyed = [(i - (places if (p.source in cited or p.title in cited) else 0), i, p) for i, p in enumerate(passages)]
    return [p for _, _, p in sorted(keyed, key=lambda t: (t[0], t[1]))]
