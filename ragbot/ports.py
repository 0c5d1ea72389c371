"""Small interfaces the core depends on; implementations are chosen in bot.wiring."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from ragbot.domain import Neighbour, QuestionTerms, ScoredChunk, SourceFacts, Turn


class Embedder(Protocol):
    """Turns text into vectors; documents and queries may be embedded differently."""

    @property
    def model_id(self) -> str:
        """Identifies the model, so the index knows what its vectors mean."""
        ...

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors for chunks to be stored."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """The vector for a search query."""
        ...


class ChatModel(Protocol):
    """Writes an answer from numbered passages, citing them as [n]."""

    name: str

    def stream_answer(self, question: str, passages: Sequence[ScoredChunk], history: Sequence[Turn]) -> Iterator[str]:
        """Yield the answer text in pieces; passage i is cited as [i+1]."""
        ...

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        """Rewrite a follow-up into a standalone question (identity when no LLM)."""
        ...


class IngestQueue(Protocol):
    """Sends background work to the workers by task name."""

    def enqueue(self, task_name: str, **kwargs: Any) -> None:
        """Queue a task; raises QueueUnavailable when the broker is down."""
        ...


class Notifier(Protocol):
    """Hears ingestion progress, e.g. to edit a chat status message."""

    def notify(self, document_id: int, state: str, percent: int, message: str) -> None:
        """Called by the pipeline at each step."""
        ...


class ChunkStore(Protocol):
    """Finds chunks for a question, filtered by scope inside the store."""

    def search(
        self,
        *,
        query_vector: Sequence[float],
        query_text: str,
        space: str,
        channel: str | None,
        k: int,
        mode: str = "hybrid",
    ) -> list[ScoredChunk]:
        """The k best chunks for the query in this scope, best first."""
        ...

    def neighbours(self, *, chunk_ids: Sequence[int], window: int = 1) -> list[Neighbour]:
        """Chunks within `window` places of each given chunk, in the same document and section."""
        ...

    def term_stats(self, *, query_text: str, space: str, channel: str | None,
                   chunk_ids: Sequence[int]) -> QuestionTerms:
        """The question's words with their rarity in the scope and whether the given chunks hold them."""
        ...


class SourceCatalog(Protocol):
    """Facts about cited documents: links to open them and how old their content is."""

    def facts(self, document_ids: Sequence[int]) -> dict[int, SourceFacts]:
        """SourceFacts by document id (documents gone since retrieval are left out)."""
        ...


class Reranker(Protocol):
    """Reorders retrieved passages by relevance to a query (a cross-encoder)."""

    @property
    def model_id(self) -> str:
        """Identifies the rerank model, e.g. for `ragbot eval` reports."""
        ...

    def rerank(self, query: str, passages: Sequence[str], top_k: int) -> list[tuple[int, float]]:
        """(index into passages, relevance score) of the top_k most relevant passages, best first."""
        ...
