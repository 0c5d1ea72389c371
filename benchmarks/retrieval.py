"""Retrieval benchmark: hybrid latency, HNSW recall@10 (space- and channel-filtered) and langchain-postgres.

Builds N chunks in a throw-away embedded PostgreSQL (own data dir under /tmp, stopped and removed at the
end) and prints p50/p95 latencies through PgChunkStore.search, recall@10 of the vector part against an
exact (sequential-scan) search, and the same queries through langchain-postgres PGVector.

The vectors are synthetic but shaped like real ones: a few hundred real all-MiniLM-L6-v2 embeddings of
Python's own reference documentation (pydoc topics) are mixed (Dirichlet weights over 3 of them) with
Gaussian noise and re-normalised, so the data lives near the real model's embedding manifold rather than
being uniform on the sphere. Chunk texts are words drawn from the same source passages, so full-text
matches correlate with vector neighbours, and common words match many rows as in real corpora.

    .venv/bin/python benchmarks/retrieval.py [--n 100000] [--queries 300] [--real-dir DIR] [--real-pages N]

The same run then measures real text (retrieval_real.py): the whole Python 3.11 manual (~28k chunks, real MiniLM
vectors, questions in users' words), ingested once into --real-dir and reused by later runs.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from ragbot.domain import ChunkDraft, Section  # noqa: E402
from ragbot.ingestion.splitter import split_sections  # noqa: E402
from ragbot.storage import db, vectors  # noqa: E402
from ragbot.storage.embedded import embedded_url, stop_embedded  # noqa: E402
from ragbot.storage.search import PgChunkStore  # noqa: E402

DIM = 384
MODEL = "bench-minilm-mix"
WIDE, CHANNELLED = "bench:wide", "bench:channels"  # space-wide documents / 20 channel-scoped slices
CHANNELS = [f"C{i:02d}" for i in range(20)]
CACHE = Path(tempfile.gettempdir()) / "ragbot-bench-base.npz"
_WORD = re.compile(r"[A-Za-z][A-Za-z_]+")


def base_passages(count: int) -> tuple[list[str], np.ndarray]:
    """Real MiniLM embeddings of `count` pydoc passages (cached in /tmp: embedding takes ~20 s on 2 cores)."""
    from pydoc_data.topics import topics

    texts = [d.text for _, body in sorted(topics.items()) for d in split_sections([Section(body)], size=400)]
    texts = [t for t in texts if len(_WORD.findall(t)) >= 20][:count]
    if CACHE.exists():
        cached = np.load(CACHE, allow_pickle=False)
        if list(cached["texts"]) == texts:
            return texts, cached["vectors"]
    from ragbot.providers.local_embedder import LocalEmbedder

    vecs = np.asarray(LocalEmbedder().embed_documents(texts), dtype=np.float32)
    np.savez(CACHE, texts=np.asarray(texts), vectors=vecs)
    return texts, vecs


def mixtures(base: np.ndarray, n: int, rng: np.random.Generator, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """n unit vectors, each a Dirichlet mix of 3 base vectors plus noise; also returns the (n, 3) parents."""
    parents = rng.integers(0, len(base), size=(n, 3))
    weights = rng.dirichlet([1.0, 0.6, 0.3], size=n).astype(np.float32)
    out = np.einsum("nk,nkd->nd", weights, base[parents])
    out += rng.normal(0.0, noise, size=out.shape).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out.astype(np.float32), parents


_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def tail_word(rank: int) -> str:
    """A made-up word for a rank of the long-tail vocabulary (names, jargon, identifiers)."""
    out = ""
    while True:
        rank, digit = divmod(rank, len(_SYLLABLES))
        out += _SYLLABLES[digit]
        if not rank:
            return out + "x"


def chunk_text(words: list[list[str]], parents: np.ndarray, rng: np.random.Generator) -> str:
    """45 words drawn mostly from the first parent passage, plus 12 from a Zipf-distributed long tail.

    The passages' own vocabulary is small (a few thousand words, many in > 10% of chunks); real corpora
    also hold a long tail of rare names and terms, which is what full-text search is for.
    """
    counts = rng.multinomial(45, [0.6, 0.25, 0.15])
    picked = [w for p, c in zip(parents, counts, strict=True) for w in rng.choice(words[p], size=c)]
    picked += [tail_word(int(r)) for r in np.minimum(rng.zipf(1.15, size=12), 300_000)]
    rng.shuffle(picked)
    return " ".join(picked)


def build(engine: Engine, n: int, rng: np.random.Generator, words: list[list[str]], base: np.ndarray,
          noise: float) -> None:
    """Load n chunks through the product's COPY write path, then build the product's HNSW index."""
    db.ensure_schema(engine)
    vectors.ensure_index(engine, model=MODEL, dim=DIM)
    with engine.begin() as conn:
        conn.execute(text(f"DROP INDEX IF EXISTS {vectors.INDEX_NAME}"))  # one bulk build beats 100k inserts
        for space in (WIDE, CHANNELLED):
            conn.execute(text("INSERT INTO spaces (id, platform) VALUES (:s, 'bench') ON CONFLICT DO NOTHING"),
                         {"s": space})
    vecs, parents = mixtures(base, n, rng, noise)
    per_doc = 50
    t0 = time.perf_counter()
    for start in range(0, n, per_doc):
        doc = start // per_doc
        # Half the corpus is space-wide; the other half is split evenly over 20 channels of another space.
        space, channel = (WIDE, None) if doc % 2 == 0 else (CHANNELLED, CHANNELS[(doc // 2) % len(CHANNELS)])
        drafts = [ChunkDraft(i, chunk_text(words, parents[start + i], rng)) for i in range(min(per_doc, n - start))]
        with engine.begin() as conn:
            doc_id = conn.execute(
                text("INSERT INTO documents (space_id, channel, title, source_kind, source_uri, status)"
                     " VALUES (:s, :c, :t, 'file', :u, 'ready') RETURNING id"),
                {"s": space, "c": channel, "t": f"doc {doc}", "u": f"bench/doc{doc}.md"},
            ).scalar_one()
            vectors.replace_chunks(conn, document_id=doc_id, space=space, channel=channel, drafts=drafts,
                                   vectors=vecs[start : start + len(drafts)])
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    vectors.ensure_index(engine, model=MODEL, dim=DIM)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE chunks"))
    print(f"loaded {n:,} chunks in {load_s:.1f} s ({n / load_s:,.0f} rows/s incl. tsvector), "
          f"HNSW build {time.perf_counter() - t0:.1f} s")


def exact_ids(engine: Engine, q: np.ndarray, space: str, channel: str | None, k: int = 10) -> list[int]:
    """Top-k ids by cosine distance with index scans off: a sequential scan, so exact."""
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off"))
        return list(conn.execute(
            text(f"SELECT id FROM chunks WHERE space_id = :s AND (channel IS NULL OR channel = :c)"
                 f" ORDER BY embedding::vector({DIM}) <=> :q LIMIT :k"),
            {"s": space, "c": channel, "q": q, "k": k},
        ).scalars())


def sample_queries(engine: Engine, space: str, count: int, rng: np.random.Generator, common: set[str]):  # type: ignore[no-untyped-def]
    """Questions about random chunks of a space: the chunk's vector plus noise (cosine ~0.8, as a question is
    to its answer) and 4 of its words, plus one of its rare words for half of them."""
    with engine.begin() as conn:
        conn.execute(text("SELECT setseed(0.42)"))
        rows = conn.execute(text(f"SELECT text, embedding::vector({DIM}) AS e, channel FROM chunks"
                                 " WHERE space_id = :s ORDER BY random() LIMIT :n"), {"s": space, "n": count}).all()
    out = []
    for i, row in enumerate(rows):
        vec = np.asarray(row.e, dtype=np.float32) + rng.normal(0, 0.04, DIM).astype(np.float32)
        chunk_words = row.text.split()
        picked = [str(w) for w in rng.choice([w for w in chunk_words if w in common], size=4)]
        rare = [w for w in chunk_words if w not in common]
        if i % 2 and rare:
            picked.append(str(rng.choice(rare)))
        out.append((vec / np.linalg.norm(vec), " ".join(picked), row.channel))
    return out


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) of values, interpolated."""
    return float(np.percentile(values, p))


def timed(fn, queries) -> tuple[list[float], list]:  # type: ignore[no-untyped-def]
    """Latencies in ms and results of fn over queries, after one untimed warm-up pass."""
    for q in queries:
        fn(q)
    times, results = [], []
    for q in queries:
        t0 = time.perf_counter()
        results.append(fn(q))
        times.append((time.perf_counter() - t0) * 1000)
    return times, results


def recall(got: list[list[int]], truth: list[list[int]]) -> float:
    """Mean share of the exact top-10 that the index returned."""
    return statistics.fmean(len(set(g) & set(t)) / max(1, len(t)) for g, t in zip(got, truth, strict=True))


def langchain_store(engine: Engine, url: str):  # type: ignore[no-untyped-def]
    """A PGVector collection holding the same rows (copied in SQL), with its default schema (no ANN index)."""
    from langchain_core.embeddings import Embeddings
    from langchain_postgres import PGVector

    class Unused(Embeddings):
        """PGVector requires an embeddings object; queries here pass vectors, so it is never called."""

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            raise NotImplementedError

        def embed_query(self, text: str) -> list[float]:
            raise NotImplementedError

    store = PGVector(Unused(), connection=url, embedding_length=DIM, collection_name="bench", use_jsonb=True)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO langchain_pg_embedding (id, collection_id, embedding, document, cmetadata)"
            " SELECT c.id::text, (SELECT uuid FROM langchain_pg_collection WHERE name = 'bench'),"
            f" c.embedding::vector({DIM}), c.text, jsonb_build_object('space', c.space_id, 'channel', c.channel)"
            " FROM chunks c"))
        conn.execute(text("ANALYZE langchain_pg_embedding"))
    print(f"langchain-postgres table filled in {time.perf_counter() - t0:.1f} s (SQL copy of the same rows)")
    return store


def main() -> None:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="chunks to build")
    ap.add_argument("--queries", type=int, default=300, help="queries per measurement")
    ap.add_argument("--base", type=int, default=512, help="real MiniLM passages the vectors are mixed from")
    ap.add_argument("--noise", type=float, default=0.02, help="per-dimension Gaussian noise before normalising")
    ap.add_argument("--ef-search", type=int, default=None, help="override Settings.ef_search")
    ap.add_argument("--candidates", type=int, default=None, help="override Settings.candidates")
    ap.add_argument("--ef-sweep", default="",
                    help="also measure the vector side at these ef_search values (e.g. 40,100)")
    ap.add_argument("--json", metavar="PATH", help="write the figures as JSON (quality_plot.py reads it)")
    ap.add_argument("--no-langchain", action="store_true", help="skip the langchain-postgres comparison")
    ap.add_argument("--keep", metavar="DIR", help="use (and keep) this data dir instead of a fresh temporary one")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--real-dir", type=Path, default=Path.home() / ".cache" / "ragbot" / "bench-pythondoc",
                    help="kept data dir of the real-text database (built on first use, ~20 minutes for all pages)")
    ap.add_argument("--real-pages", type=int, default=0, help="real text: only this many manual pages (0: all)")
    ap.add_argument("--no-real", action="store_true", help="skip the real-text measurements")
    args = ap.parse_args()

    from ragbot.config import Settings

    cfg = Settings()
    rng = np.random.default_rng(args.seed)
    texts, base = base_passages(args.base)
    words = [_WORD.findall(t.lower()) for t in texts]
    data_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ragbot-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o755)  # as root the server runs as another user, which must reach its data dir
    print(f"vectors: synthetic, Dirichlet mixes of 3 of {len(base)} real all-MiniLM-L6-v2 embeddings of pydoc "
          f"passages + N(0, {args.noise}) noise, normalised; texts: 45 words drawn from the same passages + 12 from a "
          "Zipf long tail of made-up words; queries: a random chunk's vector + noise (cosine ~0.8) and 4 of its "
          "words, plus one of its rare words for half of them")
    try:
        url = embedded_url(data_dir)
        engine = db.make_engine(url)
        fresh = not args.keep or not _has_chunks(engine)
        if fresh:
            build(engine, args.n, rng, words, base, args.noise)
        figures = report(engine, url, args, cfg, np.random.default_rng(args.seed + 1), words)
        if not args.no_real:
            from retrieval_real import report as real_report

            figures["real"] = real_report(args.real_dir, pages=args.real_pages)
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=1))
        engine.dispose()
    finally:
        if not args.keep:
            stop_embedded(data_dir)
            shutil.rmtree(data_dir, ignore_errors=True)


def _has_chunks(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM chunks)")).scalar())
    except Exception:  # noqa: BLE001 - a fresh database has no tables yet
        return False


def report(engine: Engine, url: str, args, cfg, rng, words) -> dict:  # type: ignore[no-untyped-def]
    """Measure and print every figure; returns them for --json."""
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM chunks")).scalar_one()
        wide = conn.execute(text("SELECT count(*) FROM chunks WHERE space_id = :s"), {"s": WIDE}).scalar_one()
    common = {w for ws in words for w in ws}
    wide_q = sample_queries(engine, WIDE, args.queries, rng, common)
    chan_q = sample_queries(engine, CHANNELLED, args.queries, rng, common)
    truth = {"space": [exact_ids(engine, v, WIDE, None) for v, _, _ in wide_q],
             "channel": [exact_ids(engine, v, CHANNELLED, c) for v, _, c in chan_q]}
    sweep = sorted({args.ef_search or cfg.ef_search, *map(int, filter(None, args.ef_sweep.split(",")))})
    print(f"{n:,} chunks; the space filter selects {wide:,} ({wide / n:.0%}); each of 20 channels of the other "
          f"space holds {(n - wide) / 20 / n:.1%} of all chunks ({(n - wide) / 20:,.0f}); k=10, "
          f"candidates={args.candidates or cfg.candidates}; {args.queries} queries per filter")
    print(f"\n{'query':46} {'ef':>4} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  notes")
    out: dict = {"n": n, "rows": []}
    for ef in sweep:
        store = PgChunkStore(engine, dim=DIM, candidates=args.candidates or cfg.candidates, rrf_k=cfg.rrf_k,
                             ef_search=ef)
        plan = [("hybrid", "space"), ("vector", "space"), ("lexical", "space"), ("hybrid", "channel"),
                ("vector", "channel")]
        if ef != (args.ef_search or cfg.ef_search):
            plan = [("vector", "space"), ("vector", "channel")]  # the sweep is about the HNSW side
        for mode, scope in plan:
            qs = wide_q if scope == "space" else chan_q

            def run(q, mode=mode, scope=scope, store=store):  # type: ignore[no-untyped-def]
                vec, words_, channel = q
                space = WIDE if scope == "space" else CHANNELLED
                hits = store.search(query_vector=vec, query_text=words_, space=space, channel=channel, k=10,
                                    mode=mode)
                return [c.chunk_id for c in hits]

            times, results = timed(run, qs)
            row = {"query": f"{mode}, {scope} filter", "ef_search": ef, "p50": pct(times, 50),
                   "p95": pct(times, 95), "p99": pct(times, 99)}
            note = ""
            if mode == "vector":
                row["recall"] = recall(results, truth[scope])
                row["short"] = sum(len(r) < 10 for r in results)
                note = f"recall@10 {row['recall']:.3f}; {row['short']} queries returned < 10 rows"
            _print(row, note)
            out["rows"].append(row)
    if not args.no_langchain:
        lc = langchain_store(engine, url)
        lc_q = wide_q[: max(30, len(wide_q) // 5)]  # sequential scans: a fifth of the queries is plenty

        def lc_search(q):  # type: ignore[no-untyped-def]
            return [int(d.id) for d in lc.similarity_search_by_vector(q[0].tolist(), k=10, filter={"space": WIDE})]

        times, results = timed(lc_search, lc_q)
        row = {"query": "langchain-postgres PGVector, space filter", "ef_search": None, "p50": pct(times, 50),
               "p95": pct(times, 95), "p99": pct(times, 99), "recall": recall(results, truth["space"][: len(lc_q)])}
        _print(row, f"recall@10 {row['recall']:.3f} (exact scan: PGVector creates no ANN index by default)")
        out["rows"].append(row)
    return out


def _print(row: dict, note: str) -> None:
    ef = "" if row["ef_search"] is None else row["ef_search"]
    print(f"{row['query']:46} {ef:>4} {row['p50']:7.2f} {row['p95']:7.2f} {row['p99']:7.2f}  {note}")


if __name__ == "__main__":
    main()
