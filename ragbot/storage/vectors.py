"""Chunks, embeddings and the vector index: the cache, the COPY write path and the index's model record."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from sqlalchemy import Connection, Engine, text

from ragbot.domain import ChunkDraft
from ragbot.errors import IndexMismatch

INDEX_NAME = "chunks_embedding_hnsw"
_COPY_CHUNKS = (
    "COPY chunks (document_id, space_id, channel, ordinal, text, location, embedding) FROM STDIN (FORMAT BINARY)"
)


def text_hash(value: str) -> bytes:
    """The cache key of a chunk text."""
    return hashlib.blake2b(value.encode("utf-8"), digest_size=16).digest()


def index_meta(conn: Connection) -> tuple[str, int] | None:
    """(model, dim) the stored vectors come from, or None for an empty index."""
    row = conn.execute(text("SELECT model, dim FROM index_meta WHERE id = 1")).first()
    return (row.model, row.dim) if row else None


def _create_index_sql(dim: int, *, concurrently: bool = False) -> str:
    # An expression index on a typed cast lets one untyped column hold any model's dimension;
    # queries must use the same cast to hit it. ef_construction 128 (pgvector's default is 64) gave a better
    # graph: recall@10 0.944 vs 0.932 at ef_search 100, and 0.97 vs 0.925 for 2.5%-channel filters, on 100k
    # chunks (benchmarks/retrieval.py); the build is slower but fits maintenance_work_mem (see embedded.py).
    how = "CONCURRENTLY " if concurrently else ""
    return (
        f"CREATE INDEX {how}IF NOT EXISTS {INDEX_NAME} ON chunks USING hnsw "
        f"((embedding::vector({int(dim)})) vector_cosine_ops) WITH (m = 16, ef_construction = 128)"
    )


def ensure_index(engine: Engine, *, model: str, dim: int) -> None:
    """Record the embedding model and build its HNSW index; refuse a different model over existing vectors."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(7424712)"))
        meta = index_meta(conn)
        if meta == (model, dim):
            conn.execute(text(_create_index_sql(dim)))
            return
        if meta is not None:
            has_chunks = conn.execute(text("SELECT EXISTS (SELECT 1 FROM chunks)")).scalar()
            if has_chunks:
                raise IndexMismatch(
                    f"The index holds vectors from {meta[0]} ({meta[1]} dimensions) but the configured embedder is "
                    f"{model} ({dim} dimensions). Run `ragbot reindex --all` to rebuild the index with the new "
                    "model, or set RAGBOT_EMBEDDER back to the old one."
                )
        switch_model(conn, model=model, dim=dim)


def switch_model(conn: Connection, *, model: str, dim: int) -> None:
    """Point the index at a new model: drop vectors and index of the old one, then build the new index."""
    from ragbot.storage.space_indexes import drop_space_indexes  # imports this module

    conn.execute(text(f"DROP INDEX IF EXISTS {INDEX_NAME}"))
    drop_space_indexes(conn)  # they cast to the old model's dimension too
    # TRUNCATE, not DELETE: an index built later in this transaction would still read rows deleted by it,
    # and casting the old model's vectors to the new dimension fails.
    conn.execute(text("TRUNCATE chunks"))
    conn.execute(text("UPDATE documents SET indexed_version = NULL, indexed_hash = NULL, chunk_count = 0"))
    conn.execute(
        text(
            "INSERT INTO index_meta (id, model, dim) VALUES (1, :m, :d)"
            " ON CONFLICT (id) DO UPDATE SET model = :m, dim = :d, updated_at = now()"
        ),
        {"m": model, "d": dim},
    )
    conn.execute(text(_create_index_sql(dim)))


def cached_vectors(conn: Connection, *, model: str, hashes: Sequence[bytes]) -> dict[bytes, np.ndarray]:
    """Embeddings already computed for these text hashes."""
    if not hashes:
        return {}
    rows = conn.execute(
        text("SELECT text_hash, embedding FROM embedding_cache WHERE model = :m AND text_hash = ANY(:h)"),
        {"m": model, "h": list(hashes)},
    )
    return {bytes(r.text_hash): r.embedding for r in rows}


def store_vectors(conn: Connection, *, model: str, items: Sequence[tuple[bytes, Sequence[float]]]) -> None:
    """Add embeddings to the cache (first writer wins)."""
    if not items:
        return
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:  # type: ignore[union-attr]
        cur.executemany(
            "INSERT INTO embedding_cache (model, text_hash, embedding) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            [(model, h, np.asarray(v, dtype=np.float32)) for h, v in items],
        )


def delete_chunks(conn: Connection, *, document_id: int) -> None:
    """Remove a document's chunks (in the caller's transaction, so readers see the old ones until commit)."""
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:  # type: ignore[union-attr]
        cur.execute("DELETE FROM chunks WHERE document_id = %s", (document_id,))


def append_chunks(
    conn: Connection,
    *,
    document_id: int,
    space: str,
    channel: str | None,
    drafts: Sequence[ChunkDraft],
    vectors: Sequence[Sequence[float]],
) -> None:
    """Add chunks to a document with one binary COPY (in the caller's transaction)."""
    raw = conn.connection.driver_connection
    # On the driver cursor: SQLAlchemy's per-statement overhead was ~12% of the write path's CPU.
    with raw.cursor() as cur, cur.copy(_COPY_CHUNKS) as copy:  # type: ignore[union-attr]
        copy.set_types(["int8", "text", "text", "int4", "text", "text", "vector"])
        for draft, vec in zip(drafts, vectors, strict=True):
            vector = np.asarray(vec, dtype=np.float32)
            copy.write_row((document_id, space, channel, draft.ordinal, draft.text, draft.location, vector))


def replace_chunks(
    conn: Connection,
    *,
    document_id: int,
    space: str,
    channel: str | None,
    drafts: Sequence[ChunkDraft],
    vectors: Sequence[Sequence[float]],
) -> None:
    """Swap a document's chunks for new ones: one DELETE and one binary COPY in the caller's transaction."""
    delete_chunks(conn, document_id=document_id)
    append_chunks(conn, document_id=document_id, space=space, channel=channel, drafts=drafts, vectors=vectors)
