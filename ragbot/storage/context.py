"""SQL behind answer context and answerability: neighbouring chunks, and the question's words in the space."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, text

from ragbot.domain import RARE_IDF, Neighbour, QuestionTerms, TermStat
from ragbot.storage.fulltext import SCOPE, TERMS_CTE

# The (document_id, ordinal) unique index makes this a handful of index probes per anchor.
_NEIGHBOURS = text("""
SELECT a.id AS anchor_id, n.id AS chunk_id, n.ordinal, n.text
FROM chunks a JOIN chunks n ON n.document_id = a.document_id AND n.location = a.location
     AND n.ordinal BETWEEN a.ordinal - :w AND a.ordinal + :w AND n.id <> a.id
WHERE a.id = ANY(:ids)
ORDER BY a.id, n.ordinal""")

# Rarity comes from the same ANALYZE statistics the full-text retrieval uses; whether a word occurs in the scope
# at all, and in the passages, is a GIN lookup each (EXISTS stops at the first row). Whether the space imports a
# rare word missing from the passages ("import hashlib", "from hashlib import ...", at a line's start) reads the
# chunks that hold it and the word "import" (the GIN index finds those). Only imports: a call through a name
# ("record.append(") is as often a variable's.
_TERM_STATS = text("WITH " + TERMS_CTE.format(config="english") + """
found AS MATERIALIZED (
    SELECT t.lexeme, t.idf, t.tq, t.i,
           EXISTS (SELECT 1 FROM chunks c WHERE c.tsv @@ t.tq AND """ + SCOPE + """) AS in_space,
           EXISTS (SELECT 1 FROM chunks c WHERE c.id = ANY(:ids) AND c.tsv @@ t.tq) AS in_passages
    FROM terms t
)
SELECT f.lexeme, f.idf, f.in_space, f.in_passages,
       (f.in_space AND NOT f.in_passages AND f.idf >= :rare AND f.lexeme ~ '^[a-z_][a-z0-9_]*$' AND EXISTS (
           SELECT 1 FROM chunks c WHERE c.tsv @@ (f.tq && 'import'::tsquery) AND """ + SCOPE + r"""
           AND c.text ~ ('(^|\n)[ \t]*(>>>[ \t]*)?(import[ \t]+' || f.lexeme || '|from[ \t]+' || f.lexeme
                         || '[ \t]+import)\M'))) AS code_name
FROM found f ORDER BY f.i""")

# How big the scope is, counted up to a cap: the absence of a word only means something in a space with enough text.
_SPACE_CHUNKS = text("SELECT count(*) FROM (SELECT 1 FROM chunks c WHERE " + SCOPE + " LIMIT :cap) s")


def neighbours(engine: Engine, *, chunk_ids: Sequence[int], window: int = 1) -> list[Neighbour]:
    """Chunks within `window` places of each given chunk, in the same document and section."""
    if not chunk_ids or window < 1:
        return []
    with engine.connect() as conn:
        rows = conn.execute(_NEIGHBOURS, {"ids": list(chunk_ids), "w": window}).all()
    return [Neighbour(anchor_id=r.anchor_id, chunk_id=r.chunk_id, ordinal=r.ordinal, text=r.text) for r in rows]


def space_size(engine: Engine, *, space: str, channel: str | None, cap: int = 10_000) -> int:
    """Chunks in the scope, counted up to cap (a scan of up to cap rows: ~25 ms at 10k, so callers cache it)."""
    with engine.connect() as conn:
        return int(conn.execute(_SPACE_CHUNKS, {"space": space, "channel": channel, "cap": cap}).scalar_one())


def term_stats(engine: Engine, *, query_text: str, space: str, channel: str | None,
               chunk_ids: Sequence[int], cap: int = 10_000, size: int | None = None) -> QuestionTerms:
    """The question's words (English stems, stop words dropped), rarest first, with where they occur.

    size is the scope's chunk count when the caller knows it (see space_size); else it is counted here.
    """
    with engine.connect() as conn:
        rows = conn.execute(_TERM_STATS, {"qtext": query_text, "space": space, "channel": channel,
                                          "ids": list(chunk_ids), "rare": RARE_IDF}).all()
    if size is None:
        size = space_size(engine, space=space, channel=channel, cap=cap)
    found = [TermStat(lexeme=r.lexeme, idf=float(r.idf), in_space=bool(r.in_space), in_passages=bool(r.in_passages),
                      code_name=bool(r.code_name)) for r in rows]
    return QuestionTerms(terms=found, space_chunks=int(size))
