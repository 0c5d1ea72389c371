"""RagService: retrieve from the scope, decide whether the documents support an answer, and answer with citations."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from ragbot.domain import Answer, Citation, Scope, ScoredChunk, Turn
from ragbot.errors import RagbotError, TransientError
from ragbot.observability import metrics
from ragbot.ports import ChatModel, ChunkStore, Embedder, Reranker
from ragbot.prompts import SYSTEM_CANARY
from ragbot.safety import allowed_hosts, clean_answer

_log = logging.getLogger(__name__)
_CITE = re.compile(r"\[(\d{1,2})\]")
NO_ANSWER = "I couldn't find an answer to that in the documents I can search here."


class RagService:
    """Answers questions from the chunks visible in a scope."""

    def __init__(
        self,
        *,
        store: ChunkStore,
        embedder: Embedder,
        chat: ChatModel,
        top_k: int = 5,
        min_similarity: float = 0.30,
        reranker: Reranker | None = None,
        rerank_candidates: int = 30,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.chat = chat
        self.top_k = top_k
        self.min_similarity = min_similarity
        self.reranker = reranker
        self.rerank_candidates = rerank_candidates

    @property
    def reranker_name(self) -> str:
        """The rerank model in use, or "none"."""
        return self.reranker.model_id if self.reranker is not None else "none"

    def retrieve(self, query: str, *, scope: Scope, k: int | None = None, mode: str = "hybrid") -> list[ScoredChunk]:
        """The best chunks for a query in a scope (filtering happens inside the store), reranked when configured."""
        k = k or self.top_k
        # With a reranker the store returns a larger fused pool and the reranker picks the k best from it; the pool
        # size does not depend on k (up to rerank_candidates), so `ragbot eval` ranks what the answer path sees.
        pool = k if self.reranker is None else max(k, self.rerank_candidates)
        vector = self.embedder.embed_query(query)
        found = self.store.search(
            query_vector=vector, query_text=query, space=scope.space, channel=scope.channel, k=pool, mode=mode,
        )
        if self.reranker is None or len(found) < 2:
            return found[:k]
        return self._rerank(self.reranker, query, found, k)

    def _rerank(self, reranker: Reranker, query: str, found: list[ScoredChunk], k: int) -> list[ScoredChunk]:
        """The k best of found by the reranker; the fused order when the reranker fails."""
        try:
            order = reranker.rerank(query, [p.text for p in found], k)
        except RagbotError as exc:
            # An answer must not fail because the reranker is down (or its key is refused): the fused order is
            # what Ragbot answers from without a reranker anyway.
            _log.warning("reranker %s failed, answering from the fused order: %s", reranker.model_id, exc)
            metrics.provider_error("rerank", "transient" if isinstance(exc, TransientError) else "permanent")
            return found[:k]
        # score becomes the reranker's relevance; similarity stays the cosine the "don't know" threshold reads.
        return [replace(found[i], score=score) for i, score in order]

    def is_relevant(self, passages: Sequence[ScoredChunk]) -> bool:
        """Whether any passage is close enough to the question to answer from (the 'don't know' threshold)."""
        # Always cosine similarity, also when reranked: rerank scores have another, model-specific scale, and
        # min_similarity was tuned on cosine. The reranker only chooses and orders the passages checked here.
        return any((p.similarity or 0.0) >= self.min_similarity for p in passages)

    def answer(
        self,
        question: str,
        *,
        scope: Scope,
        history: Sequence[Turn] = (),
        on_delta: Callable[[str], None] | None = None,
        no_answer_hint: str = "",
        mode: str = "hybrid",
    ) -> Answer:
        """Answer from the documents, streaming text to on_delta; ungrounded when they do not support one."""
        query = self.chat.condense(question, history) if history else question
        passages = self.retrieve(query, scope=scope, mode=mode)
        if not self.is_relevant(passages):
            return self._no_answer(no_answer_hint, on_delta)
        # Only passages above the threshold are shown to the model: weak matches invite made-up answers.
        passages = [p for p in passages if (p.similarity or 0.0) >= self.min_similarity * 0.75]
        parts: list[str] = []
        for piece in self.chat.stream_answer(question, passages, history):
            parts.append(piece)
            if on_delta is not None:
                on_delta(piece)
        raw = "".join(parts).strip()
        # Deltas already streamed cannot be recalled: adapters must finish with answer.text, the cleaned text.
        text = clean_answer(raw, hosts=allowed_hosts(c.url for c in cited(raw, passages)), secrets=[SYSTEM_CANARY])
        citations = cited(text, passages)
        if not citations:
            return Answer(text=(text + "\n\n" if text else "") + _hinted(NO_ANSWER, no_answer_hint), grounded=False)
        return Answer(text=text, citations=citations, grounded=True)

    def _no_answer(self, hint: str, on_delta: Callable[[str], None] | None) -> Answer:
        text = _hinted(NO_ANSWER, hint)
        if on_delta is not None:
            on_delta(text)
        return Answer(text=text, citations=[], grounded=False)


def _hinted(message: str, hint: str) -> str:
    return f"{message} {hint}".strip()


def cited(text: str, passages: Sequence[ScoredChunk]) -> list[Citation]:
    """Citations for the [n] markers that appear in text and point at a passage, in order of n."""
    numbers = sorted({int(m) for m in _CITE.findall(text) if 1 <= int(m) <= len(passages)})
    out = []
    for n in numbers:
        p = passages[n - 1]
        snippet = " ".join(p.text.split())[:240]
        out.append(Citation(n=n, title=p.title, source=p.source, location=p.location, snippet=snippet,
                            score=p.similarity if p.similarity is not None else p.score, document_id=p.document_id))
    return out
