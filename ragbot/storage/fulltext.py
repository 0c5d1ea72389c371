"""SQL pieces shared by retrieval and answerability: the scope filter and the question's words with their IDF."""

from __future__ import annotations

# Chunks of stale sources (a dead URL) are never candidates, so top-k fills from live documents.
SCOPE = "c.space_id = :space AND (c.channel IS NULL OR c.channel = :channel) AND NOT c.stale"

# The question's words, rarest first. f is the share of chunks holding a word, from ANALYZE's
# most-common-element statistics of chunks.tsv; a word missing there is rarer than every listed one, so it
# gets half the smallest listed share. cum is the running share, idf the word's BM25 inverse document frequency.
TERMS_CTE = r"""
stats AS MATERIALIZED (
    SELECT u.e, u.f FROM pg_stats p, unnest(p.most_common_elems::text::text[], p.most_common_elem_freqs) u(e, f)
    WHERE p.schemaname = current_schema() AND p.tablename = 'chunks' AND p.attname = 'tsv' AND u.e IS NOT NULL
),
terms AS MATERIALIZED (
    SELECT w.lexeme, w.tq, row_number() OVER win AS i, sum(w.f) OVER win AS cum, ln(1 + (1 - w.f) / w.f) AS idf
    FROM (
        SELECT t.lexeme, ('''' || replace(replace(t.lexeme, '\', '\\'), '''', '''''') || '''')::tsquery AS tq,
               least(coalesce(s.f, (SELECT min(f) / 2 FROM stats), 0.001), 0.999) AS f
        FROM unnest(to_tsvector('{config}', :qtext)) t LEFT JOIN stats s ON s.e = t.lexeme
    ) w
    WINDOW win AS (ORDER BY w.f, w.lexeme)
),"""
