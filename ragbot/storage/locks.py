"""Document-level locking in PostgreSQL: one ingestion of a document at a time, and rows that stay while read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

_DOC_LOCK_SPACE = 1_000_000_000_000  # keeps document locks apart from other advisory locks


@contextmanager
def document_lock(engine: Engine, document_id: int, *, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold a session advisory lock so two deliveries of one document never interleave.

    on_wait is called once, before blocking, when another session holds the lock (so a CLI run can say why it waits).
    """
    with engine.connect() as conn:
        key = {"k": _DOC_LOCK_SPACE + document_id}
        if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), key).scalar():
            if on_wait is not None:
                on_wait()
            conn.execute(text("SELECT pg_advisory_lock(:k)"), key)
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), key)
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
