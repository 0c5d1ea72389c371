"""Document-level locking in PostgreSQL: one ingestion of a document at a time, and rows that stay while read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

_DOC_LOCK_SPACE = 1_000_000_000_000  # keeps document locks apart from other advisory locks


@contextmanager
def document_lock(engine: Engine, document_id: int) -> Iterator[None]:
    """Hold a session advisory lock so two deliveries of one document never interleave."""
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _DOC_LOCK_SPACE + document_id})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _DOC_LOCK_SPACE + document_id})
            conn.commit()


def begin_swap(conn: Connection, *, document_id: int) -> bool:
    """Start the transaction that replaces a document's chunks; False when the document is gone.

    No need to wait for the commit's WAL flush: should the server crash before it, the document is still
    'processing' on disk and the reconciler runs it again. KEY SHARE keeps the row from being deleted under us
    (a deletion waits for this commit instead of deadlocking with it) while status updates go on.
    """
    conn.execute(text("SET LOCAL synchronous_commit = off"))
    found = conn.execute(text("SELECT 1 FROM documents WHERE id = :id FOR KEY SHARE"), {"id": document_id}).first()
    return found is not None
