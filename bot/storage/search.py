"""Hybrid retrieval in one SQL statement: HNSW cosine + full text, fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import Engine, text

from bot.domain import ScoredChunk

# The OR-form of the user's words: questions are sentences, and an AND of every word rarely matches a chunk.
_TSQUERY = "replace(websearch_to_tsquery('english', :qtext)::text, ' & ', ' | ')::tsquery"
_SCOPE = "c.space_id = :space AND (c.channel IS NULL OR c.channel = :channel)"

_VECTOR_CTE = """
vec AS MATERIALIZED (
    SELECT c.id, row_number() OVER (ORDER BY d) AS r FROM (
        SELECT c.id, c.embedding::vector({dim}) <=> :qvec AS d
        FROM chunks c WHERE {scope}
        ORDER BY c.embedding::vector({dim}) <=> :qvec LIMIT :n
    ) c
)"""

_LEXICAL_CTE = """
lex AS MATERIALIZED (
    SELECT c.id, row_number() OVER (ORDER BY c.rank DESC, c.id) AS r FROM (
        SELECT c.id, ts_rank_cd(c.tsv, q.query) AS rank
        FROM chunks c, (SELECT {tsq} AS query) q
        WHERE c.tsv @@ q.query AND {scope}
        ORDER BY rank DESC LIMIT :n
    ) c
)"""

_FINAL = """
SELECT c.id AS chunk_id, c.document_id, c.ordinal, c.text, c.location, d.title, d.source_uri,
       f.score, 1 - (c.embedding::vector({dim}) <=> :qvec) AS similarity, f.lex_rank
FROM fused f JOIN chunks c ON c.id = f.id JOIN documents d ON d.id = c.document_id
ORDER BY f.score DESC, c.id LIMIT :k"""


def build_sql(mode: str, dim: int) -> str:
    """The retrieval statement for a mode: hybrid, vector or lexical."""
    parts = {"dim": int(dim), "scope": _SCOPE, "tsq": _TSQUERY}
    ctes, fused = [], ""
    if mode in ("hybrid", "vector"):
        ctes.append(_VECTOR_CTE.format(**parts))
    if mode in ("hybrid", "lexical"):
        ctes.append(_LEXICAL_CTE.format(**parts))
    if mode == "hybrid":
        fused = (
            "fused AS (SELECT coalesce(v.id, l.id) AS id, l.r AS lex_rank,"
            " coalesce(1.0 / (:rrf + v.r), 0) + coalesce(1.0 / (:rrf + l.r), 0) AS score"
            " FROM vec v FULL OUTER JOIN lex l ON v.id = l.id)"
        )
    elif mode == "vector":
        fused = "fused AS (SELECT id, NULL::bigint AS lex_rank, 1.0 / (:rrf + r) AS score FROM vec)"
    elif mode == "lexical":
        fused = "fused AS (SELECT id, r AS lex_rank, 1.0 / (:rrf + r) AS score FROM lex)"
    else:
        raise ValueError(f"unknown retrieval mode {mode!r}: use hybrid, vector or lexical")
    return "WITH " + ",".join([*ctes, fused]) + _FINAL.format(**parts)


class PgChunkStore:
    """ChunkStore on PostgreSQL + pgvector."""

    def __init__(self, engine: Engine, *, dim: int, candidates: int = 40, rrf_k: int = 60, ef_search: int = 100):
        self.engine = engine
        self.dim = dim
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.ef_search = ef_search
        self._sql = {m: text(build_sql(m, dim)) for m in ("hybrid", "vector", "lexical")}

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
        if mode not in self._sql:
            raise ValueError(f"unknown retrieval mode {mode!r}: use hybrid, vector or lexical")
        params = {
            "qvec": np.asarray(query_vector, dtype=np.float32), "qtext": query_text, "space": space,
            "channel": channel, "n": max(self.candidates, k), "k": k, "rrf": self.rrf_k,
        }
        with self.engine.begin() as conn:
            # Iterative scans keep filtered HNSW queries returning enough rows when the scope is a small slice.
            conn.execute(
                text(f"SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = {int(self.ef_search)}")
            )
            rows = conn.execute(self._sql[mode], params).all()
        return [
            ScoredChunk(
                chunk_id=r.chunk_id, document_id=r.document_id, ordinal=r.ordinal, text=r.text, location=r.location,
                title=r.title, source=r.source_uri, score=float(r.score),
                similarity=float(r.similarity) if r.similarity is not None else None, lexical_rank=r.lex_rank,
            )
            for r in rows
        ]
