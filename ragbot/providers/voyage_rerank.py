"""Voyage AI reranking (POST /v1/rerank) through the voyageai SDK, with the embedder's retries and error mapping."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from ragbot.errors import RagbotError, TransientError
from ragbot.providers.voyage import VoyageCalls

DEFAULT_RERANK_MODEL = "rerank-2.5-lite"


class VoyageReranker:
    """Scores passages against a query with a Voyage cross-encoder and returns the best, best first."""

    def __init__(
        self,
        api_key: str,
        *,
        model: str = DEFAULT_RERANK_MODEL,
        base_url: str | None = None,
        max_attempts: int = 3,
        base_delay: float = 0.25,
        max_delay: float = 5.0,
        timeout: float = 15.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not api_key:
            raise RagbotError("VOYAGE_API_KEY is not set; set it or set RAGBOT_RERANKER=none.")
        # Fewer attempts and a shorter timeout than embeddings: a user is waiting, and the answer path can
        # always fall back to the fused order, so waiting long for the reranker buys little.
        self._calls = VoyageCalls(
            api_key, what="rerank", unset_hint="set RAGBOT_RERANKER=none", base_url=base_url,
            max_attempts=max_attempts, base_delay=base_delay, max_delay=max_delay, timeout=timeout, sleep=sleep,
        )
        self.model = model

    @property
    def model_id(self) -> str:
        """The rerank model name."""
        return self.model

    def rerank(self, query: str, passages: Sequence[str], top_k: int) -> list[tuple[int, float]]:
        """(index into passages, relevance score) of the top_k most relevant passages, best first."""
        if not passages or top_k < 1:
            return []
        # The API rejects empty strings, as the embeddings endpoint does.
        documents = [p if p.strip() else " " for p in passages]
        try:
            result = self._calls.call(
                lambda client: client.rerank(query, documents, model=self.model, top_k=min(top_k, len(documents)),
                                             truncation=True),
                model=self.model,
            )
            ranked = [(int(r.index), float(r.relevance_score)) for r in result.results]
        except (IndexError, TypeError, ValueError, AttributeError) as e:
            # The SDK indexes our documents with the returned indices; a malformed reply surfaces as these.
            raise TransientError(f"Voyage AI rerank returned a malformed response ({e}). Try again.") from e
        if any(not 0 <= i < len(documents) for i, _ in ranked):
            raise TransientError("Voyage AI rerank returned an index outside the passages sent. Try again.")
        ranked.sort(key=lambda r: -r[1])  # the API sorts already; sorting here makes "best first" our guarantee
        return ranked[:top_k]
