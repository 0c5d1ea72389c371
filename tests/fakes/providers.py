"""Deterministic Fake* providers for tests where the model is not what is tested."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterator, Sequence

from ragbot.domain import ScoredChunk, Turn

_WORD = re.compile(r"[a-z0-9]+")


class FakeEmbedder:
    """Hashes words into a fixed-size bag-of-words vector; counts its calls."""

    def __init__(self, dim: int = 64, model_id: str = "fake-bow") -> None:
        self.dim = dim
        self.model_id = model_id
        self.calls = 0
        self.texts_embedded = 0

    def _vec(self, text: str) -> list[float]:
        v = [0.0] * self.dim
        for w in _WORD.findall(text.lower()):
            h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=4).digest(), "big")
            v[h % self.dim] += 1.0
        n = math.sqrt(sum(x * x for x in v)) or 1.0
        if n == 1.0 and not any(v):
            v[0] = 1.0
        return [x / n for x in v]

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        self.texts_embedded += len(texts)
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        self.calls += 1
        return self._vec(text)


class FakeChatModel:
    """Answers by citing every passage in order; records what it was given."""

    name = "fake"

    def __init__(self) -> None:
        self.seen: list[tuple[str, list[ScoredChunk], list[Turn]]] = []

    def stream_answer(self, question: str, passages: Sequence[ScoredChunk], history: Sequence[Turn]) -> Iterator[str]:
        self.seen.append((question, list(passages), list(history)))
        for i, p in enumerate(passages, 1):
            yield f"{p.text.split('.')[0].strip()} [{i}]. "

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        return question
