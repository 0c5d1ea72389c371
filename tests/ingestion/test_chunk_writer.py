"""The chunk writer thread: windows land in order in the caller's transaction, and its errors reach the caller."""

from __future__ import annotations

import numpy as np
import pytest
from psycopg.errors import DataError
from sqlalchemy import text

from ragbot.domain import ChunkDraft
from ragbot.ingestion.writer import ChunkWriter
from ragbot.storage.index_writer import PgChunkSwap


def _document(conn) -> int:  # type: ignore[no-untyped-def]
    conn.execute(text("INSERT INTO spaces (id, platform) VALUES ('w', 'test') ON CONFLICT DO NOTHING"))
    return conn.execute(text("INSERT INTO documents (space_id, source_kind, source_uri, title)"
                             " VALUES ('w', 'file', 'w.md', 'w') RETURNING id")).scalar_one()


def _append(conn, doc: int):  # type: ignore[no-untyped-def]
    """What the pipeline hands the writer: the PostgreSQL swap's append, on the swap's connection."""
    return PgChunkSwap(conn, document_id=doc, space="w", channel=None).append


def _window(start: int, n: int, bad: int | None = None) -> tuple[list[ChunkDraft], list[np.ndarray]]:
    drafts = [ChunkDraft(i, f"chunk {i}" + ("\x00" if i == bad else ""), "s") for i in range(start, start + n)]
    return drafts, [np.full(4, i, dtype=np.float32) for i in range(start, start + n)]


def test_windows_are_written_in_order_in_the_callers_transaction(clean_db) -> None:  # type: ignore[no-untyped-def]
    with clean_db.connect() as conn:
        doc = _document(conn)
        with ChunkWriter(_append(conn, doc), document_id=doc) as writer:
            for start in range(0, 30, 10):
                writer.put(*_window(start, 10))
        with clean_db.connect() as other:  # not committed yet: nobody else sees the chunks
            assert other.execute(text("SELECT count(*) FROM chunks")).scalar_one() == 0
        conn.commit()
        ordinals = conn.execute(text("SELECT ordinal FROM chunks WHERE document_id = :d ORDER BY id"),
                                {"d": doc}).scalars().all()
    assert ordinals == list(range(30))


def test_a_failed_window_is_raised_to_the_caller_and_nothing_is_kept(clean_db) -> None:  # type: ignore[no-untyped-def]
    with clean_db.connect() as conn:
        doc = _document(conn)
        conn.commit()
        conn.execute(text("SELECT 1"))  # the swap's transaction starts before the writer, as in the pipeline
        with pytest.raises(DataError), ChunkWriter(_append(conn, doc), document_id=doc) as writer:
            writer.put(*_window(0, 10, bad=3))  # PostgreSQL text cannot hold a NUL character
            for start in range(10, 50, 10):
                writer.put(*_window(start, 10))
        conn.rollback()
        assert conn.execute(text("SELECT count(*) FROM chunks")).scalar_one() == 0


def test_an_error_in_the_caller_stops_the_thread_before_the_connection_closes(clean_db) -> None:  # type: ignore[no-untyped-def]
    with clean_db.connect() as conn:
        doc = _document(conn)
        conn.commit()
        conn.execute(text("SELECT 1"))
        writer = ChunkWriter(_append(conn, doc), document_id=doc)
        with pytest.raises(RuntimeError, match="embedder broke"), writer:
            writer.put(*_window(0, 10))
            raise RuntimeError("embedder broke")
        assert not writer._thread.is_alive()
        conn.rollback()
        assert conn.execute(text("SELECT count(*) FROM chunks")).scalar_one() == 0
