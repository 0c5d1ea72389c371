"""DocumentIndex over PostgreSQL: the ingestion pipeline's only way into storage (locks, status, vectors, the swap)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine

from ragbot.domain import ChunkDraft, DocStatus
from ragbot.storage import locks, vectors
from ragbot.storage import repository as repo


class PgChunkSwap:
    """The swap transaction of one document on its own connection (see PgDocumentIndex.swap)."""

    def __init__(self, conn: Connection, *, document_id: int, space: str, channel: str | None) -> None:
        self.conn, self.document_id, self.space, self.channel = conn, document_id, space, channel

    def append(self, drafts: Sequence[ChunkDraft], vectors_: Sequence[Sequence[float]]) -> None:
        """COPY one window into the open transaction."""
        vectors.append_chunks(self.conn, document_id=self.document_id, space=self.space, channel=self.channel,
                              drafts=drafts, vectors=vectors_)

    def finish(self, *, version: int, content_hash: str, title: str, chunks: int) -> bool:
        """Mark ready and commit, unless a newer version arrived (then the caller's exit rolls back)."""
        current = repo.get_document_row(self.conn, document_id=self.document_id, lock=True)
        if current is None or current.version != version:
            return False
        repo.mark_ready(self.conn, document_id=self.document_id, version=version, content_hash=content_hash,
                        title=title, chunks=chunks)
        self.conn.commit()
        return True


class PgDocumentIndex:
    """The write side of the index in PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def lock(self, document_id: int, *, on_wait: Callable[[], None] | None = None) -> Any:
        """A session advisory lock on the document (see storage.locks)."""
        return locks.document_lock(self.engine, document_id, on_wait=on_wait)

    def document(self, document_id: int) -> Any | None:
        """The document's row."""
        with self.engine.connect() as conn:
            return repo.get_document_row(conn, document_id=document_id)

    def stored_bytes(self, document_id: int) -> bytes | None:
        """The uploaded bytes."""
        with self.engine.connect() as conn:
            return repo.read_blob(conn, document_id=document_id)

    def set_status(self, document_id: int, *, status: DocStatus, progress: int, error: str | None,
                   version: int | None) -> bool:
        """Record progress (a no-op, False, when superseded)."""
        with self.engine.begin() as conn:
            return bool(repo.set_status(conn, document_id=document_id, status=status, progress=progress, error=error,
                                        version=version))

    def mark_unchanged(self, document_id: int, *, version: int, content_hash: str, title: str, chunks: int) -> bool:
        """Ready again with the chunks it has."""
        with self.engine.begin() as conn:
            return repo.mark_ready(conn, document_id=document_id, version=version, content_hash=content_hash,
                                   title=title, chunks=chunks)

    def record_sync_failure(self, document_id: int, *, gone: bool, threshold: int, hide: bool) -> tuple[bool, bool]:
        """Count a failed re-fetch."""
        with self.engine.begin() as conn:
            return repo.record_sync_failure(conn, document_id=document_id, gone=gone, threshold=threshold, hide=hide)

    def cached_vectors(self, model: str, texts: Sequence[str]) -> dict[str, Any]:
        """Cached vectors by text (keyed in storage by a hash of the text)."""
        by_hash = {vectors.text_hash(t): t for t in texts}
        with self.engine.connect() as conn:
            found = vectors.cached_vectors(conn, model=model, hashes=list(by_hash))
        return {by_hash[h]: v for h, v in found.items()}

    def store_vectors(self, model: str, items: Sequence[tuple[str, Sequence[float]]]) -> None:
        """Cache vectors, committed at once: after a crash or a retry, finished batches come from the cache."""
        with self.engine.begin() as conn:
            vectors.store_vectors(conn, model=model, items=[(vectors.text_hash(t), v) for t, v in items])

    @contextmanager
    def swap(self, document_id: int, *, space: str, channel: str | None) -> Iterator[PgChunkSwap | None]:
        """One transaction from the old chunks' removal to the new ones' commit: readers see the old chunks until
        then, and a crash leaves nothing half-written."""
        with self.engine.connect() as conn:
            if not locks.begin_swap(conn, document_id=document_id):
                yield None
                return
            vectors.delete_chunks(conn, document_id=document_id)
            yield PgChunkSwap(conn, document_id=document_id, space=space, channel=channel)
