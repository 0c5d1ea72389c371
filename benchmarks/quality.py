"""Tune retrieval defaults with `ragbot eval`'s own code on public corpora (see quality_corpora.py).

Ingests each corpus through the real pipeline with the real local embedder into a throw-away embedded
PostgreSQL (one space per chunking), then runs one-knob-at-a-time variations around the defaults and
prints Markdown tables; --out writes every figure as JSON for quality_plot.py. Sets: faq and pydoc (the
default), and pythondoc, the Python 3.11 documentation from Debian's python3.11-doc (installed on first use by
pythondoc_corpus.py). What people read from the answers (must-mention, "I don't know", follow-ups, tune and
test splits) is benchmarks/trust.py.

    .venv/bin/python benchmarks/quality.py [--out /tmp/ragbot-quality.json] [--keep DIR] [--sets faq,pydoc,pythondoc]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pythondoc_corpus  # noqa: E402
from corpus_db import corpus_engine  # noqa: E402
from quality_corpora import eval_sets  # noqa: E402

from ragbot.config import Settings  # noqa: E402
from ragbot.domain import Scope  # noqa: E402
from ragbot.evaluation import EvalCase, evaluate, ndcg, refusal_sweep  # noqa: E402
from ragbot.ingestion import intake  # noqa: E402
from ragbot.ingestion.pipeline import IngestContext, LoggingNotifier, ingest_document  # noqa: E402
from ragbot.providers.extractive import ExtractiveAnswerer  # noqa: E402
from ragbot.providers.local_embedder import LocalEmbedder  # noqa: E402
from ragbot.rag import RagService  # noqa: E402
from ragbot.storage import db  # noqa: E402
from ragbot.storage.embedded import stop_embedded  # noqa: E402
from ragbot.storage.index_writer import PgDocumentIndex  # noqa: E402
from ragbot.storage.search import PgChunkStore  # noqa: E402
from ragbot.wiring import ingest_limits  # noqa: E402


class QueryCache:
    """The local embedder with memoised query vectors: each question is embedded once for all variants."""

    def __init__(self, inner: LocalEmbedder) -> None:
        self.inner, self.model_id, self.dim = inner, inner.model_id, inner.dim
        self._queries: dict[str, list[float]] = {}

    def embed_documents(self, texts):  # type: ignore[no-untyped-def]
        """Delegate."""
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        """Embed once, then serve from memory (so latencies below are retrieval only)."""
        if text not in self._queries:
            self._queries[text] = self.inner.embed_query(text)
        return self._queries[text]


@dataclass(frozen=True)
class Variant:
    """One retrieval configuration."""

    mode: str = "hybrid"
    chunk: tuple[int, int] = (400, 40)
    candidates: int = 40
    rrf_k: int = 60
    config: str = "english"
    rank: str = "idf"
    budget: int = 1000
    lex_weight: float = 0.2
    fusion: str = "rrf"
    top_k: int = 5
    min_similarity: float = 0.30


def grid(base: Variant) -> list[tuple[str, Variant]]:
    """(knob, variant) pairs: the base, then one knob changed at a time."""
    out = [("base", base)]
    out += [("mode", replace(base, mode=m)) for m in ("vector", "lexical")]
    out += [("rrf_k", replace(base, rrf_k=v)) for v in (5, 10, 20, 30, 60, 100) if v != base.rrf_k]
    out += [("candidates", replace(base, candidates=v)) for v in (10, 20, 40, 80) if v != base.candidates]
    # 'simple' is measured with ts_rank_cd: the IDF statistics belong to the stored 'english' tsv column.
    out += [("config", replace(base, config=c, rank="ts_rank_cd", mode=m)) for c in ("english", "simple")
            for m in ("hybrid", "lexical")]
    for rank in ("ts_rank_cd", "ts_rank", "idf"):
        if rank != base.rank:
            out += [("rank", replace(base, rank=rank)), ("rank", replace(base, mode="lexical", rank=rank))]
    out += [("lex_weight", replace(base, lex_weight=w)) for w in (0.1, 0.2, 0.3, 0.5, 1.0) if w != base.lex_weight]
    out += [("old default", replace(base, rrf_k=60, lex_weight=1.0, rank="ts_rank_cd", candidates=40, budget=10**9))]
    out += [("fusion", replace(base, fusion="score", lex_weight=w)) for w in (0.05, 0.1, 0.2)]
    out += [("budget", replace(base, budget=v)) for v in (10**9, 500, 100) if v != base.budget]
    for size, overlap in ((200, 20), (300, 30), (600, 60), (800, 80), (400, 0), (400, 100)):
        for mode in ("hybrid", "vector", "lexical"):
            out.append(("chunk", replace(base, chunk=(size, overlap), mode=mode)))
    return out


class Harness:
    """Each corpus, per chunking, in its own database (so word statistics are the corpus's own), and
    evaluation of variants against them."""

    def __init__(self, data_dir: Path) -> None:
        self.settings = Settings(data_dir=data_dir, database_url=None, voyage_api_key=None, anthropic_api_key=None)
        self.url = db.database_url(self.settings)
        self.admin = db.make_engine(self.url)
        self.embedder = QueryCache(LocalEmbedder())
        self.chat = ExtractiveAnswerer()
        self.sets = eval_sets()
        self.data_dir = data_dir
        self.engines: dict[str, Engine] = {}

    def load(self, name: str) -> None:
        """Make set `name` available; pythondoc is built (and its Debian package installed) only when asked for."""
        if name in self.sets:
            return
        if name != "pythondoc":
            raise SystemExit(f"unknown set {name!r}: use faq, pydoc or pythondoc")
        corpus = pythondoc_corpus.build_corpus(self.data_dir / "pythondoc-html")
        docs = {page: (corpus / page).read_text(encoding="utf-8") for page in pythondoc_corpus.PAGES}
        rows = [json.loads(line) for line in pythondoc_corpus.QUESTIONS.read_text().splitlines() if line.strip()]
        self.sets[name] = (docs, [EvalCase(r["question"], tuple(r["gold"]), tuple(r["must_mention"]),
                                           r["unanswerable"]) for r in rows])

    def engine(self, name: str, chunk: tuple[int, int]) -> Engine:
        """The database holding corpus `name` split with chunk=(size, overlap); built on first use."""
        key = f"q_{name}_{chunk[0]}_{chunk[1]}"
        if key in self.engines:
            return self.engines[key]
        engine, n = corpus_engine(self.admin, self.url, key, model=self.embedder.model_id, dim=self.embedder.dim)
        if not n:
            cfg = self.settings.model_copy(update={"chunk_size": chunk[0], "chunk_overlap": chunk[1]})
            ctx = IngestContext(PgDocumentIndex(engine), self.embedder, ingest_limits(cfg), LoggingNotifier())
            t0 = time.perf_counter()
            docs = self.sets[name][0]
            for source, body in docs.items():
                acc = intake.add_file(engine, scope=Scope("local"), data=body.encode(), filename=Path(source).name,
                                      source_uri=source, max_bytes=10**8)
                ingest_document(ctx, acc.document_id)
            with engine.begin() as conn:
                conn.execute(text("ANALYZE chunks"))  # the full-text side reads word frequencies from the statistics
                n = conn.execute(text("SELECT count(*) FROM chunks")).scalar()
            print(f"  ingested {key}: {len(docs)} documents, {n} chunks in {time.perf_counter() - t0:.0f} s",
                  file=sys.stderr)
        self.engines[key] = engine
        return engine

    def run(self, name: str, v: Variant) -> dict:
        """Evaluate one variant on one set; returns the report's numbers plus similarity lists."""
        store = PgChunkStore(self.engine(name, v.chunk), dim=self.embedder.dim, candidates=v.candidates, rrf_k=v.rrf_k,
                             ef_search=self.settings.ef_search, lexical_budget=v.budget, lexical_weight=v.lex_weight,
                             config=v.config, fusion=v.fusion,
                             rank=v.rank)
        rag = RagService(store=store, embedder=self.embedder, chat=self.chat, top_k=v.top_k,
                         min_similarity=v.min_similarity)
        cases = self.sets[name][1]
        for case in cases:  # embed every question before timing, so that latencies are retrieval only
            self.embedder.embed_query(case.question)
        report = evaluate(rag, cases, scope=Scope("local"), k=v.top_k, mode=v.mode)
        out = report.to_json()
        out["ndcg_each"] = [ndcg(r.relevant, len(r.case.gold)) for r in report.results if r.case.gold]
        out["sims_answerable"] = [r.top_similarity for r in report.results if not r.case.unanswerable]
        out["sims_unanswerable"] = [r.top_similarity for r in report.results if r.case.unanswerable]
        out["sweep"] = refusal_sweep(report.results, np.arange(0.10, 0.71, 0.01))
        return out


def table(rows: list[dict]) -> str:
    """Markdown table of the main figures."""
    head = ("| set | knob | mode | chunk | cand | rrf_k | fts | rank | budget | nDCG@10 | hit@1 | hit@5 | MRR@10 "
            "| must-mention | retrieval p50/p95 ms |")
    lines = [head, "|" + "---|" * 15]
    for r in rows:
        v, m = r["variant"], r["metrics"]
        lines.append(
            f"| {r['set']} | {r['knob']} | {v['mode']} | {v['chunk'][0]}/{v['chunk'][1]} | {v['candidates']} "
            f"| {v['rrf_k']} | {v['config']} | {v['rank']} | {_budget(v['budget'])} | {m['ndcg@10']:.3f} "
            f"| {m['hit@1']:.3f} | {m['hit@5']:.3f} | {m['mrr@10']:.3f} | {m['must_mention_rate'] or 0:.3f} "
            f"| {m['retrieval_ms']['p50']:.1f} / {m['retrieval_ms']['p95']:.1f} |"
        )
    return "\n".join(lines)


def _budget(value: int) -> str:
    return "off" if value >= 10**8 else str(value)


def paired(rows: list[dict], seed: int = 0) -> str:
    """Hybrid (base) minus each single retriever, per set: mean nDCG@10 gain with a 95% paired bootstrap CI."""
    rng = np.random.default_rng(seed)
    lines = ["| set | hybrid minus | nDCG@10 gain | 95% CI |", "|---|---|---|---|"]
    for name in dict.fromkeys(r["set"] for r in rows):
        base = next(r for r in rows if r["set"] == name and r["knob"] == "base")
        for other in (r for r in rows if r["set"] == name and r["knob"] == "mode"):
            diff = np.array(base["metrics"]["ndcg_each"]) - np.array(other["metrics"]["ndcg_each"])
            boots = [diff[rng.integers(0, len(diff), len(diff))].mean() for _ in range(2000)]
            lo, hi = np.percentile(boots, [2.5, 97.5])
            lines.append(f"| {name} | {other['variant']['mode']} | {diff.mean():+.4f} | [{lo:+.4f}, {hi:+.4f}] |")
    return "\n".join(lines)


def thresholds(rows: list[dict]) -> str:
    """Markdown table: refusal accuracy and answerable refused per threshold, for the base variants."""
    base = [r for r in rows if r["knob"] == "base"]
    lines = ["| min_similarity | " + " | ".join(f"{r['set']} refusal / answerable refused" for r in base) + " |",
             "|---|" + "---|" * len(base)]
    for i, (t, _, _) in enumerate(base[0]["metrics"]["sweep"]):
        if round(t * 100) % 5:
            continue
        cells = [f"{r['metrics']['sweep'][i][1]:.3f} / {r['metrics']['sweep'][i][2]:.3f}" for r in base]
        lines.append(f"| {t:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """Run the grid on both sets and print/save the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "ragbot-quality.json"))
    ap.add_argument("--keep", metavar="DIR", help="use and keep this data dir (faster reruns)")
    ap.add_argument("--sets", default="faq,pydoc")
    ap.add_argument("--knobs", default="", help="comma-separated knobs to run (default: all)")
    ap.add_argument("--candidates", type=int, default=None, help="base candidates (default: Settings)")
    ap.add_argument("--rrf-k", type=int, default=None, help="base RRF k (default: Settings)")
    ap.add_argument("--budget", type=int, default=1000, help="base lexical budget")
    args = ap.parse_args()
    cfg = Settings()
    base = Variant(candidates=args.candidates or cfg.candidates, rrf_k=args.rrf_k or cfg.rrf_k, budget=args.budget,
                   chunk=(cfg.chunk_size, cfg.chunk_overlap), top_k=cfg.top_k, min_similarity=cfg.min_similarity)
    data_dir = Path(args.keep or tempfile.mkdtemp(prefix="ragbot-quality-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o755)  # as root the server runs as another user, which must reach its data dir
    knobs = set(filter(None, args.knobs.split(",")))
    rows: list[dict] = []
    try:
        h = Harness(data_dir)
        for name in args.sets.split(","):
            h.load(name)
            for knob, v in grid(base):
                if knobs and knob not in knobs and knob != "base":
                    continue
                metrics = h.run(name, v)
                rows.append({"set": name, "knob": knob, "variant": asdict(v), "metrics": metrics})
                print(f"{name:6} {knob:10} {v.mode:7} chunk={v.chunk} cand={v.candidates} rrf={v.rrf_k} "
                      f"{v.config}/{v.rank} budget={_budget(v.budget)}: nDCG {metrics['ndcg@10']:.3f} "
                      f"hit@1 {metrics['hit@1']:.3f} p95 {metrics['retrieval_ms']['p95']:.1f} ms", file=sys.stderr)
        for engine in [h.admin, *h.engines.values()]:
            engine.dispose()
    finally:
        if not args.keep:
            stop_embedded(data_dir)
            shutil.rmtree(data_dir, ignore_errors=True)
    Path(args.out).write_text(json.dumps(rows))
    print(table(rows))
    print()
    print(paired(rows))
    print()
    print(thresholds(rows))


if __name__ == "__main__":
    main()
