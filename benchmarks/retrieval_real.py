"""Real-text retrieval (part of benchmarks/retrieval.py): the whole Python 3.11 manual, real MiniLM vectors, and
questions in users' words.

The corpus is every content page of Debian's python3.11-doc (490 pages, about 28k chunks), ingested through the
product (upload, HTML loader, splitter, local int8 MiniLM, COPY, HNSW) into an embedded PostgreSQL under a kept
directory: that takes ~20 minutes on 2 cores, so later runs reuse it. The questions are
samples/eval/pythondoc_questions.jsonl (140 lines, unanswerable ones included).

Figures: the hybrid SQL alone (question vectors computed beforehand), its vector and full-text parts alone, and
question to passages: embedding the question, the hybrid SQL, the gate's word statistics and the neighbouring
chunks that widen each passage, i.e. everything the answer path does before the chat model. hit@5 against the
gold pages checks that a faster query did not find worse passages.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from pythondoc_corpus import QUESTIONS, ensure_installed, manual_pages
from sqlalchemy import Engine, text

from ragbot.config import Settings
from ragbot.domain import Scope
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.storage.embedded import embedded_url
from ragbot.wiring import Services, build

SPACE = "pydoc"


def _chunks(engine: Engine, space: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM chunks WHERE space_id = :s"), {"s": space}).scalar_one())


def real_services(data_dir: Path, pages: list[str]) -> tuple[Services, str]:
    """Services on the kept manual database under data_dir and its space, ingesting the pages still missing first."""
    from ragbot.providers.local_embedder import LocalEmbedder

    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o755)
    url = embedded_url(data_dir)
    svc = build(Settings(database_url=url, data_dir=data_dir), embedder=LocalEmbedder())
    html = ensure_installed()
    with svc.engine.connect() as conn:
        # A database made with `ragbot ingest DIR` has sources ending with the page's path, in its own space.
        ready = conn.execute(text("SELECT space_id, source_uri FROM documents WHERE status = 'ready'")).all()
    space = next(iter({r.space_id for r in ready}), SPACE)
    done = {p for p in pages if any(r.source_uri.endswith(p) for r in ready)}
    todo = [p for p in pages if p not in done]
    if todo:
        print(f"ingesting {len(todo)} of {len(pages)} manual pages into {data_dir} (kept for later runs) ...",
              flush=True)
        started = time.perf_counter()
        for page in todo:
            acc = intake.add_file(svc.engine, scope=Scope(space), data=(html / page).read_bytes(),
                                  filename=Path(page).name, source_uri=page, max_bytes=10**8)
            ingest_document(svc.ingest, acc.document_id)
        print(f"ingested in {time.perf_counter() - started:.0f} s", flush=True)
    with svc.engine.begin() as conn:
        conn.execute(text("ANALYZE chunks"))
    return svc, space


def _questions() -> list[dict]:
    return [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]


def _timed(fn, items, repeat: int) -> tuple[list[float], list]:  # type: ignore[no-untyped-def]
    """Latencies in ms of fn over items, `repeat` passes after one warm-up pass; results of the last pass."""
    for item in items:
        fn(item)
    times, results = [], []
    for _ in range(repeat):
        results = []
        for item in items:
            started = time.perf_counter()
            results.append(fn(item))
            times.append((time.perf_counter() - started) * 1000)
    return times, results


def _hit_at(found: list[list[str]], questions: list[dict], k: int) -> float:
    answerable = [(f, q) for f, q in zip(found, questions, strict=True) if not q["unanswerable"]]
    return sum(any(g in s for s in f[:k] for g in q["gold"]) for f, q in answerable) / max(1, len(answerable))


def report(data_dir: Path, *, pages: int = 0, repeat: int = 3) -> dict:
    """Build or reuse the manual's database (all pages, or `pages` of them evenly spread), measure and print."""
    every = manual_pages()
    chosen = every[:: max(1, len(every) // pages)][:pages] if pages else every
    if pages:
        data_dir = data_dir.with_name(f"{data_dir.name}-{len(chosen)}-pages")  # a quick run keeps its own database
    svc, space = real_services(data_dir, chosen)
    n = _chunks(svc.engine, space)
    questions = _questions()
    texts = [q["question"] for q in questions]
    svc.embedder.embed_query("warm-up")  # type: ignore[attr-defined]
    vecs = [np.asarray(svc.embedder.embed_query(t), dtype=np.float32) for t in texts]
    store, scope = svc.store, Scope(space)
    print(f"\nreal text: {n:,} chunks of the Python 3.11 manual ({len(chosen)} pages), real int8 MiniLM "
          f"vectors; {len(texts)} questions in users' words (samples/eval/pythondoc_questions.jsonl), {repeat} passes")
    print(f"{'query':46} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  notes")
    out: dict = {"chunks": n, "rows": []}
    for mode in ("hybrid", "vector", "lexical"):
        def sql(i: int, mode: str = mode) -> list[str]:
            hits = store.search(query_vector=vecs[i], query_text=texts[i], space=space, channel=None, k=5,
                                mode=mode)
            return [h.source for h in hits]

        times, found = _timed(sql, range(len(texts)), repeat)
        _row(out, f"{mode} SQL, real text", times, f"hit@5 {_hit_at(found, questions, 5):.3f}")

    def embed(i: int) -> None:
        svc.embedder.embed_query(texts[i])

    times, _ = _timed(embed, range(len(texts)), repeat)
    _row(out, "embed the question (local int8 MiniLM)", times, "")

    def question_to_passages(i: int) -> list[str]:
        plan = svc.rag.plan(texts[i], scope=scope)
        return [p.source for p in svc.rag.context(plan.passages)]

    times, found = _timed(question_to_passages, range(len(texts)), repeat)
    _row(out, "question to passages (embed, SQL, gate, context)", times,
         f"hit@5 {_hit_at(found, questions, 5):.3f}; target p95 <= 30 ms")
    svc.engine.dispose()
    return out


def _row(out: dict, what: str, times: list[float], note: str) -> None:
    p50, p95, p99 = (float(np.percentile(times, p)) for p in (50, 95, 99))
    out["rows"].append({"query": what, "p50": p50, "p95": p95, "p99": p99, "note": note})
    print(f"{what:46} {p50:7.2f} {p95:7.2f} {p99:7.2f}  {note}", flush=True)
