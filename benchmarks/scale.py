"""Scale benchmark: N chunks over S spaces with Zipf sizes; space-scoped hybrid latency and recall by space size.

Compares, on the same rows and the same queries:
  (a) one global HNSW index with iterative scan, the statement prepared by psycopg (Ragbot before issue 23: after
      5 runs PostgreSQL may keep one generic plan for every space);
  (a+c) the same index, each query planned for its own space (Ragbot now): the planner picks the HNSW index or
      an exact scan of the space's rows by the space's size; spaces of --space-index-min chunks or more also get
      an HNSW index of their own, as `ragbot db index-spaces` builds (the planner uses it for them);
  (c) always an exact scan of the space (the (space_id, channel) index, then a sort by distance);
  (b) chunks partitioned by HASH(space_id), one HNSW per partition (pgvector builds it from the parent's index);
  and the global HNSW on halfvec (half the index memory).
It prints hybrid p50/p95 for large, medium and small spaces, recall@10 of the vector side against an exact scan,
build times and sizes. Sizes follow Zipf (size of rank r proportional to r^-1.1): over 1,000 spaces the largest
holds about 2,000 times the smallest (1M chunks: about 190k and 90).

Vectors are the retrieval benchmark's: Dirichlet mixes of real all-MiniLM-L6-v2 embeddings of pydoc passages, plus
noise. Texts are real: ~400-character windows of Debian's python3.11-doc HTML pages, each chunk's text picked by its
vector's main parent passage so that full-text matches lean the same way as vector neighbours. The cluster is a
throw-away embedded PostgreSQL under /tmp, stopped and removed at the end (or kept with --keep DIR).

    .venv/bin/python benchmarks/scale.py                          # quick: 100k chunks over 100 spaces
    .venv/bin/python benchmarks/scale.py --n 1000000 --spaces 1000  # full size (hours on 2 cores)
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pgvector.psycopg import register_vector
from sqlalchemy import Engine, create_engine, event, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from retrieval import base_passages, mixtures, pct, recall, timed  # noqa: E402

from ragbot.storage import db, space_indexes, vectors  # noqa: E402
from ragbot.storage.embedded import embedded_url, stop_embedded  # noqa: E402
from ragbot.storage.search import PgChunkStore, build_sql  # noqa: E402

DIM = 384
MODEL = "bench-minilm-mix"
DOCS_HTML = Path("/usr/share/doc/python3.11/html")
TEXT_CACHE = Path(tempfile.gettempdir()) / "ragbot-scale-texts.txt"
_TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)
_ORDER = f"ORDER BY c.embedding::vector({DIM}) <=> :qvec LIMIT :n"
MAINTENANCE_MEM = "4GB"
PER_DOC = 50  # chunks per document, as a long page or a small PDF would make


def corpus_texts(size: int = 400) -> list[str]:
    """~size-character windows of the python3.11-doc HTML pages (cached in /tmp)."""
    if TEXT_CACHE.exists():
        return TEXT_CACHE.read_text().split("\n")
    if not DOCS_HTML.is_dir():
        sys.exit(f"{DOCS_HTML} is missing: install Debian's python3.11-doc (apt-get install python3.11-doc)")
    out: list[str] = []
    for page in sorted(DOCS_HTML.rglob("*.html")):
        words = html.unescape(_TAG.sub(" ", page.read_text(errors="replace"))).split()
        window: list[str] = []
        length = 0
        for word in words:
            window.append(word)
            length += len(word) + 1
            if length >= size:
                out.append(" ".join(window))
                window, length = window[-6:], sum(len(w) + 1 for w in window[-6:])  # a little overlap
    TEXT_CACHE.write_text("\n".join(out))
    return out


def zipf_sizes(n: int, spaces: int, exponent: float = 1.1) -> list[int]:
    """Chunks per space, largest first, summing to n (each at least 1)."""
    weights = 1.0 / np.arange(1, spaces + 1) ** exponent
    sizes = np.maximum(1, np.floor(weights / weights.sum() * n)).astype(int)
    sizes[0] += n - int(sizes.sum())
    return [int(s) for s in sizes]


def space_name(rank: int) -> str:
    return f"slack:T{rank:04d}"


def load(engine: Engine, sizes: list[int], rng: np.random.Generator, base: np.ndarray, texts: list[str],
         noise: float) -> float:
    """Write every space's documents and chunks (binary COPY, the product's column order); returns seconds."""
    db.ensure_schema(engine)
    vectors.ensure_index(engine, model=MODEL, dim=DIM)
    buckets: list[list[str]] = [[] for _ in range(len(base))]
    for i, t in enumerate(texts):
        buckets[i % len(base)].append(t)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text(f"DROP INDEX IF EXISTS {vectors.INDEX_NAME}"))  # one bulk build beats per-row inserts
    for rank, size in enumerate(sizes, start=1):
        space = space_name(rank)
        vecs, parents = mixtures(base, size, rng, noise)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO spaces (id, platform) VALUES (:s, 'slack')"), {"s": space})
            docs = conn.execute(text(
                "INSERT INTO documents (space_id, title, source_kind, source_uri, status)"
                " SELECT :s, 'doc ' || g, 'file', 'scale/doc' || g || '.html', 'ready'"
                " FROM generate_series(1, :d) g RETURNING id"), {"s": space, "d": -(-size // PER_DOC)}).scalars().all()
            raw = conn.connection.driver_connection
            with raw.cursor() as cur, cur.copy(  # type: ignore[union-attr]
                "COPY chunks (document_id, space_id, channel, ordinal, text, location, embedding)"
                " FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["int8", "text", "text", "int4", "text", "text", "vector"])
                for i in range(size):
                    pool = buckets[int(parents[i, 0])] or texts
                    copy.write_row((docs[i // PER_DOC], space, None, i % PER_DOC, pool[int(rng.integers(len(pool)))],
                                    "", vecs[i]))
    return time.perf_counter() - t0


def timed_sql(engine: Engine, sql: str) -> float:
    """Run one maintenance statement; returns seconds."""
    t0 = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # A 1M-vector HNSW graph outgrows the embedded server's 1 GB and would spill; this machine has 24 GB.
        conn.execute(text(f"SET maintenance_work_mem = '{MAINTENANCE_MEM}'"))
        conn.execute(text(sql))
    return time.perf_counter() - t0


def size_of(engine: Engine, relations: str, *, method: str | None = None) -> int:
    """Bytes of the relations matching a LIKE pattern (tables, indexes, partitions), or of its indexes of a method."""
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT coalesce(sum(pg_relation_size(c.oid)), 0) FROM pg_class c LEFT JOIN pg_am a ON a.oid = c.relam"
            " WHERE c.relname LIKE :p AND c.relkind IN ('r', 'i') AND (CAST(:m AS text) IS NULL OR a.amname = :m)"),
            {"p": relations, "m": method}).scalar_one())


def partition(engine: Engine, parts: int) -> tuple[float, float]:
    """chunks_p: the same rows, HASH-partitioned by space_id; returns (copy s, index build s)."""
    copy_s = timed_sql(engine, "DROP TABLE IF EXISTS chunks_p")
    copy_s += timed_sql(engine, "CREATE TABLE chunks_p (LIKE chunks INCLUDING DEFAULTS)"
                                " PARTITION BY HASH (space_id)")
    for i in range(parts):
        copy_s += timed_sql(engine, f"CREATE TABLE chunks_p{i} PARTITION OF chunks_p"
                                    f" FOR VALUES WITH (MODULUS {parts}, REMAINDER {i})")
    copy_s += timed_sql(engine, "INSERT INTO chunks_p SELECT * FROM chunks")
    build_s = timed_sql(engine, "CREATE INDEX chunks_p_tsv ON chunks_p USING gin (tsv)")
    build_s += timed_sql(engine, "CREATE INDEX chunks_p_scope ON chunks_p (space_id, channel)")
    build_s += timed_sql(engine, "CREATE UNIQUE INDEX chunks_p_id ON chunks_p (id, space_id)")
    build_s += timed_sql(engine, f"CREATE INDEX chunks_p_hnsw ON chunks_p USING hnsw ((embedding::vector({DIM}))"
                                 " vector_cosine_ops) WITH (m = 16, ef_construction = 128)")
    timed_sql(engine, "ANALYZE chunks_p")
    return copy_s, build_s


class SqlStore(PgChunkStore):
    """PgChunkStore with its hybrid statement rewritten (another table, or an exact vector side)."""

    def __init__(self, engine: Engine, rewrite: Callable[[str], str], **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(engine, dim=DIM, **kwargs)
        self._sql = {m: text(rewrite(build_sql(m, DIM))) for m in ("hybrid", "vector")}


def exact(sql: str) -> str:
    """Order by distance + 0: the HNSW index cannot serve it, so the planner scans the space and sorts (exact)."""
    assert _ORDER in sql
    return sql.replace(_ORDER, f"ORDER BY (c.embedding::vector({DIM}) <=> :qvec) + 0 LIMIT :n")


def partitioned(sql: str) -> str:
    return re.sub(r"\bchunks c\b", "chunks_p c", sql)


def halfvec(sql: str) -> str:
    return sql.replace(f"c.embedding::vector({DIM}) <=> :qvec",
                       f"c.embedding::halfvec({DIM}) <=> CAST(:qvec AS halfvec)")


def exact_ids(engine: Engine, q: np.ndarray, space: str, k: int = 10) -> list[int]:
    """Top-k ids by cosine distance with index scans off: a sequential scan, so exact."""
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off"))
        return list(conn.execute(text(f"SELECT id FROM chunks WHERE space_id = :s"
                                      f" ORDER BY embedding::vector({DIM}) <=> :q LIMIT :k"),
                                 {"s": space, "q": q, "k": k}).scalars())


def buckets(sizes: list[int]) -> dict[str, list[int]]:
    """Space ranks by size class: large (top 1%), medium (ranks at 5-20%), small (bottom half)."""
    s = len(sizes)
    return {"large": list(range(1, max(1, s // 100) + 1)),
            "medium": list(range(max(2, s // 20), max(3, s // 5) + 1)),
            "small": list(range(s // 2 + 1, s + 1))}


def queries(engine: Engine, ranks: list[int], count: int, rng: np.random.Generator) -> list[tuple]:
    """Questions about random chunks of the bucket's spaces: vector + noise (cosine ~0.8) and 4 of its words."""
    out = []
    with engine.connect() as conn:
        for i in range(count):
            space = space_name(ranks[i % len(ranks)])
            row = conn.execute(text(f"SELECT text, embedding::vector({DIM}) AS e FROM chunks WHERE space_id = :s"
                                    " ORDER BY random() LIMIT 1"), {"s": space}).one()
            vec = np.asarray(row.e, dtype=np.float32) + rng.normal(0, 0.04, DIM).astype(np.float32)
            words = [w for w in re.findall(r"[A-Za-z]{3,}", row.text)] or ["python"]
            out.append((vec / np.linalg.norm(vec), " ".join(rng.choice(words, size=4)), space))
    return out


def main() -> None:
    """Build, measure, print."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="chunks in all")
    ap.add_argument("--spaces", type=int, default=100, help="spaces (workspaces) they are spread over")
    ap.add_argument("--queries", type=int, default=100, help="queries per size class")
    ap.add_argument("--partitions", type=int, default=16, help="HASH partitions for variant (b)")
    ap.add_argument("--noise", type=float, default=0.02)
    ap.add_argument("--no-halfvec", action="store_true", help="skip the halfvec index")
    ap.add_argument("--no-partitions", action="store_true", help="skip variant (b)")
    ap.add_argument("--space-index-min", type=int, default=space_indexes.DEFAULT_MIN_CHUNKS,
                    help="give spaces this large their own HNSW (ragbot db index-spaces); 0: global index only")
    ap.add_argument("--keep", metavar="DIR", help="use (and keep) this data dir; an existing build is reused")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()

    from ragbot.config import Settings

    cfg = Settings()
    rng = np.random.default_rng(args.seed)
    _, base = base_passages(512)
    texts = corpus_texts()
    sizes = zipf_sizes(args.n, args.spaces)
    data_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ragbot-scale-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o755)  # as root the server runs as another user, which must reach its data dir
    print(f"{args.n:,} chunks over {args.spaces:,} spaces, Zipf sizes {sizes[0]:,} (largest) .. {sizes[-1]:,} "
          f"(smallest); texts: {len(texts):,} windows of python3.11-doc; load: {os.getloadavg()[0]:.2f}")
    try:
        url = embedded_url(data_dir)
        engine = db.make_engine(url)
        with engine.connect() as conn:
            shown = ("shared_buffers", "maintenance_work_mem", "max_parallel_maintenance_workers")
            print("server:", ", ".join(f"{k}={conn.execute(text(f'SHOW {k}')).scalar()}" for k in shown),
                  f"(index builds: maintenance_work_mem={MAINTENANCE_MEM})")
        built = _count(engine)
        if built != args.n:
            load_s = load(engine, sizes, rng, base, texts, args.noise)
            timed_sql(engine, "ANALYZE chunks")
            print(f"loaded in {load_s:.0f} s ({args.n / load_s:,.0f} chunks/s, incl. tsvector and the GIN index)")
        hnsw_s = timed_sql(engine, vectors._create_index_sql(DIM))
        mb = 2**20
        print(f"(a) global HNSW build {hnsw_s:.0f} s; table + indexes {size_of(engine, 'chunks%') / mb:,.0f} MB"
              f" (HNSW {size_of(engine, vectors.INDEX_NAME) / mb:,.0f} MB,"
              f" GIN {size_of(engine, 'chunks_tsv') / mb:,.0f} MB)")
        if not args.no_partitions:
            copy_s, build_s = partition(engine, args.partitions)
            print(f"(b) {args.partitions} HASH partitions: copy {copy_s:.0f} s, indexes {build_s:.0f} s; "
                  f"{size_of(engine, 'chunks_p%') / mb:,.0f} MB"
                  f" (HNSW {size_of(engine, 'chunks_p%', method='hnsw') / mb:,.0f} MB)")
        if not args.no_halfvec:
            half_s = timed_sql(engine, f"CREATE INDEX IF NOT EXISTS chunks_half_hnsw ON chunks USING hnsw"
                                       f" ((embedding::halfvec({DIM})) halfvec_cosine_ops)"
                                       " WITH (m = 16, ef_construction = 128)")
            print(f"halfvec HNSW build {half_s:.0f} s, {size_of(engine, 'chunks_half_hnsw') / mb:,.0f} MB")
        if args.space_index_min:
            t0 = time.perf_counter()
            done = space_indexes.index_large_spaces(engine, min_chunks=args.space_index_min)
            print(f"per-space HNSW for {len(done)} spaces of {args.space_index_min:,}+ chunks: "
                  f"{time.perf_counter() - t0:.0f} s, {size_of(engine, space_indexes.PREFIX + '%') / mb:,.0f} MB")
        report(engine, sizes, args, cfg, np.random.default_rng(args.seed + 1))
        engine.dispose()
    finally:
        if not args.keep:
            stop_embedded(data_dir)
            shutil.rmtree(data_dir, ignore_errors=True)
    print("load average after:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


def _count(engine: Engine) -> int:
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM chunks")).scalar_one())
    except Exception:  # noqa: BLE001 - a fresh database has no tables yet
        return 0


def report(engine: Engine, sizes: list[int], args, cfg, rng: np.random.Generator) -> None:  # type: ignore[no-untyped-def]
    """Hybrid latency and vector recall@10 per size class and variant."""
    common = {"candidates": cfg.candidates, "rrf_k": cfg.rrf_k, "ef_search": cfg.ef_search}
    # Before issue 23 psycopg prepared the search on its 5th run, and PostgreSQL went on with one generic plan.
    prepared = create_engine(engine.url, pool_size=2, connect_args={"prepare_threshold": 5})
    event.listen(prepared, "connect", lambda conn, _: register_vector(conn))
    variants: dict[str, PgChunkStore] = {
        "(a) HNSW, prepared (before)": PgChunkStore(prepared, dim=DIM, **common),
        "(a+c) HNSW, planned per query": PgChunkStore(engine, dim=DIM, **common),
        "(c) exact scan of the space": SqlStore(engine, exact, **common),
    }
    if not args.no_partitions:
        variants["(b) HASH partitions + HNSW"] = SqlStore(engine, partitioned, **common)
    if not args.no_halfvec:
        variants["(a+c) halfvec HNSW"] = SqlStore(engine, halfvec, **common)
    print(f"\n{'variant':30} {'class':7} {'spaces':>13} {'hyb p50':>8} {'hyb p95':>8} {'vec p95':>8} {'recall@10':>9}")
    for name, ranks in buckets(sizes).items():
        qs = queries(engine, ranks, args.queries, rng)
        truth = [exact_ids(engine, v, s) for v, _, s in qs]
        span = f"{sizes[ranks[-1] - 1]:,}-{sizes[ranks[0] - 1]:,}"
        for label, store in variants.items():
            def run(q, mode, store=store):  # type: ignore[no-untyped-def]
                vec, words, space = q
                hits = store.search(query_vector=vec, query_text=words, space=space, channel=None, k=10, mode=mode)
                return [c.chunk_id for c in hits]

            hyb, _ = timed(lambda q, run=run: run(q, "hybrid"), qs)
            vec_t, got = timed(lambda q, run=run: run(q, "vector"), qs)
            print(f"{label:30} {name:7} {span:>13} {pct(hyb, 50):8.2f} {pct(hyb, 95):8.2f} {pct(vec_t, 95):8.2f}"
                  f" {recall(got, truth):9.3f}", flush=True)


if __name__ == "__main__":
    main()
