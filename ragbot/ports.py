"""Small interfaces the core depends on; implementations are chosen in bot.wiring."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from ragbot.domain import ChunkDraft, DocStatus, Neighbour, QuestionTerms, ScoredChunk, SourceFacts, Turn


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


class ChunkSwap(Protocol):
    """One document's new chunks, written window by window and swapped in at once (or not at all)."""

    def append(self, drafts: Sequence[ChunkDraft], vectors: Sequence[Sequence[float]]) -> None:
        """Write one window of chunks with their vectors (invisible to readers until finish)."""
        ...

    def finish(self, *, version: int, content_hash: str, title: str, chunks: int) -> bool:
        """Make the new chunks the document's, if it is still at this version; False when a newer one took over."""
        ...


class DocumentIndex(Protocol):
    """The write side of the index: what ingestion needs of storage, and nothing else."""

    def lock(self, document_id: int, *, on_wait: Callable[[], None] | None = None) -> AbstractContextManager[None]:
        """Hold the document while it is ingested, so two runs never interleave; on_wait hears of a wait."""
        ...

    def document(self, document_id: int) -> Any | None:
        """The document's row (id, version, status, source, title, indexed hash, ...), or None when deleted."""
        ...

    def stored_bytes(self, document_id: int) -> bytes | None:
        """The bytes an upload stored, or None when missing."""
        ...

    def set_status(self, document_id: int, *, status: DocStatus, progress: int, error: str | None,
                   version: int | None) -> bool:
        """Record progress; False when a newer version owns the document's state."""
        ...

    def mark_unchanged(self, document_id: int, *, version: int, content_hash: str, title: str, chunks: int) -> bool:
        """A re-fetch found the indexed content: ready again, chunks kept; False when superseded."""
        ...

    def record_sync_failure(self, document_id: int, *, gone: bool, threshold: int, hide: bool) -> tuple[bool, bool]:
        """Count a failed re-fetch: (stale now, stale since this failure)."""
        ...

    def cached_vectors(self, model: str, texts: Sequence[str]) -> dict[str, Any]:
        """Vectors this model already made for some of the texts, by text."""
        ...

    def store_vectors(self, model: str, items: Sequence[tuple[str, Sequence[float]]]) -> None:
        """Keep (text, vector) pairs so unchanged text is never embedded twice."""
        ...

    def swap(self, document_id: int, *, space: str, channel: str | None) -> AbstractContextManager[ChunkSwap | None]:
        """A transaction that replaces the document's chunks; None when the document is gone."""
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
