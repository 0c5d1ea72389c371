"""Hybrid retrieval in one SQL statement: HNSW cosine + full text, fused by weighted reciprocal rank.

Parameters were tuned with `ragbot eval` on two public sets and benchmarks/retrieval.py on 100k chunks; the
figures behind each choice are in docs/quality.md.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from sqlalchemy import Engine, text

from ragbot.domain import Neighbour, QuestionTerms, ScoredChunk
from ragbot.storage import context
from ragbot.storage.fulltext import SCOPE as _SCOPE
from ragbot.storage.fulltext import TERMS_CTE as _TERMS_CTE
from ragbot.text import codes

_VECTOR_CTE = """
vec AS MATERIALIZED (
    SELECT c.id, row_number() OVER (ORDER BY d) AS r FROM (
        SELECT c.id, c.embedding::vector({dim}) <=> :qvec AS d
        FROM chunks c WHERE {scope}
        ORDER BY c.embedding::vector({dim}) <=> :qvec LIMIT :n
    ) c
)"""


# An OR of the words (an AND of a whole question rarely matches a chunk), keeping only the rarest words whose
# estimated matches add up to at most :lexbudget rows. Ranking every chunk that holds a common word costs
# ~10 µs a row, hundreds of ms at 100k chunks, and common words carry little weight (low IDF) anyway; a
# question made only of common words gets no full-text candidates and is left to the vector side. Tables
# smaller than the budget keep every word. Without statistics (n = 0, never analysed) every word is kept.
# The budget is 300 rows (was 1,000): on the 32k-chunk Python manual the full-text part fell from p95 8.8 to 4.3
# ms with the same hybrid hit@5 and eval figures (docs/performance.md).
_TSQUERY_CTE = r"""
tsq AS MATERIALIZED (
    SELECT string_agg(t.tq::text, ' | ')::tsquery AS query
    FROM terms t, (SELECT greatest(reltuples, 0) AS n FROM pg_class WHERE oid = 'chunks'::regclass) r
    WHERE t.cum * r.n <= :lexbudget
)"""

# :lexcap bounds the rows ranked when the statistics are stale or a word is common within this scope.
# The scope test is wrapped in IS TRUE so that it cannot use chunks_scope: the GIN match is already small, and
# AND-ing it with a bitmap of the whole space (50k rows) cost more than the match itself.
_LEXICAL_CTE = """
lex AS MATERIALIZED (
    SELECT c.id, row_number() OVER (ORDER BY c.rank DESC, c.id) AS r FROM (
        SELECT m.id, {rank} AS rank FROM (
            SELECT c.id, {tsv} AS tsv FROM chunks c, tsq q WHERE {tsv} @@ q.query AND ({scope}) IS TRUE LIMIT :lexcap
        ) m, tsq q
        ORDER BY rank DESC LIMIT :n
    ) c
)"""

# The same ranking ("idf" below) computed word at a time: each kept word is one GIN lookup whose rows are
# counted once, and a chunk's score is the sum of the IDF of the words it holds. The old way tested every kept
# word against every matched row's tsvector (rows x words tsvector reads, ~10 µs a row: 5-10 ms on the real
# manual, where the words a question keeps still match ~1,000 chunks). The full score (the IDF of all the
# question's words a chunk holds, common ones included, plus ts_rank_cd), which reads the tsvector, is now only
# computed for the best 3 x :n rows by the kept words (and every row tied with the last of them).
_LEXICAL_BY_WORD_CTE = """
lex AS MATERIALIZED (
    SELECT s.id, row_number() OVER (ORDER BY s.rank DESC, s.id) AS r FROM (
        SELECT m.id, (SELECT sum(t.idf) FROM terms t WHERE c.tsv @@ t.tq) + 0.1 * ts_rank_cd(c.tsv, q.query) AS rank
        FROM (
            SELECT h.id, sum(t.idf) AS score, rank() OVER (ORDER BY sum(t.idf) DESC) AS place
            FROM terms t, (SELECT greatest(reltuples, 0) AS n FROM pg_class WHERE oid = 'chunks'::regclass) r,
                 LATERAL (SELECT c.id FROM chunks c WHERE c.tsv @@ t.tq AND ({scope}) IS TRUE LIMIT :lexcap) h
            WHERE t.cum * r.n <= :lexbudget
            GROUP BY h.id
        ) m JOIN chunks c ON c.id = m.id, tsq q
        WHERE m.place <= 3 * :n
        ORDER BY rank DESC LIMIT :n
    ) s
)"""

_FINAL = """
SELECT c.id AS chunk_id, c.document_id, c.ordinal, c.text, c.location, d.title, d.source_uri,
       {score} AS score, 1 - (c.embedding::vector({dim}) <=> :qvec) AS similarity, f.lex_rank
FROM fused f JOIN chunks c ON c.id = f.id JOIN documents d ON d.id = c.document_id
ORDER BY score DESC, c.id LIMIT :k"""

# Hybrid: a passage that holds the codes the question names ("NWL-5190", "sha256", "psycopg2") moves up by
# :identw for each of them (a share when there are several): meaning search does not know codes, and keyword search
# counts for :lexw only, so "What is NWL-5190?" was answered from the sections of other error codes.
_CODE_SCORE = """f.score + :identw * (
           SELECT count(*) FROM unnest(CAST(:idents AS text[])) x WHERE c.tsv @@ phraseto_tsquery('english', x)
       ) / greatest(cardinality(CAST(:idents AS text[])), 1)"""

MODES = ("hybrid", "vector", "lexical")
SIZE_TTL = 60.0  # seconds a scope's chunk count is reused by the answerability gate

# Full-text scores. PostgreSQL's own weigh every word alike (no IDF); "idf" sums the BM25 IDF of the question's
# words that a chunk holds, with ts_rank_cd (term frequency and proximity) breaking ties. On the public FAQ set
# the full-text side alone scores nDCG@10 0.54 with "idf" against 0.44 with ts_rank_cd.
_RANKS = {
    "ts_rank": "ts_rank(m.tsv, q.query)",
    "ts_rank_cd": "ts_rank_cd(m.tsv, q.query)",
    "idf": "(SELECT sum(t.idf) FROM terms t WHERE m.tsv @@ t.tq) + 0.1 * ts_rank_cd(m.tsv, q.query)",
}

# Weighted RRF. The full-text list is much weaker than MiniLM on natural questions, so it counts :lexw (0.2) of
# the vector list; equal weights (textbook RRF, k 60) ranked 3-10 points *below* vector search alone.
_RRF_FUSION = """
fused AS (
    SELECT coalesce(v.id, l.id) AS id, l.r AS lex_rank,
           coalesce(1.0 / (:rrf + v.r), 0) + coalesce(:lexw / (:rrf + l.r), 0) AS score
    FROM vec v FULL OUTER JOIN lex l ON v.id = l.id
)"""

# Tried and kept for benchmarks/quality.py: cosine similarity plus :lexw times the share of the question's IDF a
# chunk holds. It ranked like weighted RRF but depends on the embedder's similarity scale, which RRF does not.
_SCORE_FUSION = """
fused AS (
    SELECT u.id, u.lex_rank, 1 - (c.embedding::vector({dim}) <=> :qvec) + :lexw * coalesce(
               (SELECT sum(t.idf) FROM terms t WHERE {tsv} @@ t.tq) / nullif((SELECT sum(idf) FROM terms), 0), 0
           ) AS score
    FROM (SELECT coalesce(v.id, l.id) AS id, l.r AS lex_rank FROM vec v FULL OUTER JOIN lex l ON v.id = l.id) u
    JOIN chunks c ON c.id = u.id
)"""


def build_sql(mode: str, dim: int, *, config: str = "english", rank: str = "idf", fusion: str = "rrf",
              by_word: bool = True) -> str:
    """The retrieval statement for a mode: hybrid, vector or lexical.

    config, rank and fusion exist for tuning experiments: the stored tsv column is built with 'english', so
    another config makes the query re-parse every chunk's text (fine for small evaluation sets only).
    by_word=False ranks every matched row the old way (kept to check that both rank alike).
    """
    if rank not in _RANKS or not config.isidentifier():
        raise ValueError(f"bad full-text settings {config!r}, {rank!r}")
    tsv = "c.tsv" if config == "english" else f"to_tsvector('{config}', c.text)"
    parts = {"dim": int(dim), "scope": _SCOPE, "config": config, "rank": _RANKS[rank], "tsv": tsv}
    ctes, fused = [], ""
    if mode in ("hybrid", "vector"):
        ctes.append(_VECTOR_CTE.format(**parts))
    if mode in ("hybrid", "lexical"):
        lexical = _LEXICAL_BY_WORD_CTE if by_word and rank == "idf" and config == "english" else _LEXICAL_CTE
        ctes.append(_TERMS_CTE.format(**parts) + _TSQUERY_CTE + "," + lexical.format(**parts))
    if mode == "hybrid":
        fused = (_SCORE_FUSION if fusion == "score" else _RRF_FUSION).format(**parts)
    elif mode == "vector":
        fused = "fused AS (SELECT id, NULL::bigint AS lex_rank, 1.0 / (:rrf + r) AS score FROM vec)"
    elif mode == "lexical":
        fused = "fused AS (SELECT id, r AS lex_rank, 1.0 / (:rrf + r) AS score FROM lex)"
    else:
        raise ValueError(f"unknown retrieval mode {mode!r}: use hybrid, vector or lexical")
    score = _CODE_SCORE if mode == "hybrid" and config == "english" else "f.score"
    return "WITH " + ",".join([*ctes, fused]) + _FINAL.format(**parts, score=score)


class PgChunkStore:
    """ChunkStore on PostgreSQL + pgvector."""

    def __init__(
        self,
        engine: Engine,
        *,
        dim: int,
        candidates: int = 20,
        rrf_k: int = 5,
        ef_search: int = 100,
        lexical_budget: int = 300,
        lexical_weight: float = 0.2,
        lexical_cap: int = 2000,
        config: str = "english",
        rank: str = "idf",
        fusion: str = "rrf",
        identifier_weight: float = 0.2,
    ):
        self.engine = engine
        self.identifier_weight = identifier_weight
        self.dim = dim
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.ef_search = ef_search
        self.lexical_budget = lexical_budget
        self.lexical_cap = lexical_cap
        self.lexical_weight = lexical_weight
        self._sql = {m: text(build_sql(m, dim, config=config, rank=rank, fusion=fusion)) for m in MODES}
        self._sizes: dict[tuple[str, str | None], tuple[float, int]] = {}

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
            "lexbudget": self.lexical_budget, "lexcap": self.lexical_cap, "lexw": self.lexical_weight,
            "idents": codes(query_text), "identw": self.identifier_weight,
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

    def neighbours(self, *, chunk_ids: Sequence[int], window: int = 1) -> list[Neighbour]:
        """Chunks within `window` places of each given chunk, in the same document and section."""
        return context.neighbours(self.engine, chunk_ids=chunk_ids, window=window)

    def term_stats(self, *, query_text: str, space: str, channel: str | None,
                   chunk_ids: Sequence[int]) -> QuestionTerms:
        """The question's words with their rarity in the scope and whether the given chunks hold them."""
        return context.term_stats(self.engine, query_text=query_text, space=space, channel=channel,
                                  chunk_ids=chunk_ids, size=self._space_size(space, channel))

    def _space_size(self, space: str, channel: str | None) -> int:
        """The scope's chunk count (up to 10k), recounted at most every SIZE_TTL seconds.

        The gate only asks whether a space is big enough for a missing word to mean something, which a minute's
        worth of uploads does not change; counting took ~25 ms a question on the 28k-chunk manual.
        """
        now = time.monotonic()
        cached = self._sizes.get((space, channel))
        if cached is None or now - cached[0] > SIZE_TTL:
            cached = (now, context.space_size(self.engine, space=space, channel=channel))
            if len(self._sizes) > 10_000:  # a bot serving many spaces: keep the cache bounded
                self._sizes.clear()
            self._sizes[space, channel] = cached
        return cached[1]
