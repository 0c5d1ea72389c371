"""Seed baseline against Ragbot end to end on the same real HTML pages (part of benchmarks/ingest.py).

The pages come from the Python 3.11 manual (Debian's python3.11-doc; see pythondoc_corpus.ingest_pages). Both
sides load the same int8 MiniLM model before the clock starts. Ragbot's run is what `ragbot ingest DIR` does in
a fresh embedded PostgreSQL: upload each page, load, clean, split, embed through the cache, COPY, keep the HNSW
and full-text indexes up to date and commit, page by page.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from seed_baseline import SeedEmbedder, run_seed
from sqlalchemy import text

from ragbot.config import Settings
from ragbot.domain import Scope
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.storage.embedded import embedded_url, stop_embedded
from ragbot.wiring import build


@dataclass(frozen=True)
class RagbotRun:
    """What Ragbot's end-to-end run did."""

    pages: int
    chunks: int
    embedded: int  # chunk texts that went through the model (the rest came from the cache)
    tokens: int  # real tokens of those texts, after truncation
    seconds: float
    embed_seconds: float  # time inside the model (embed_documents), a part of seconds
    alone_seconds: float  # the model alone on every stored chunk text, nothing else running in this process
    cpu_seconds: float  # CPU time of this process and of the database server: steadier than wall time when shared


class _TimedEmbedder:
    """Wraps the local embedder to add up the time spent in it and the tokens it was given."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.seconds, self.texts, self.tokens = inner, 0.0, 0, 0
        self.model_id, self.dim = inner.model_id, inner.dim

    def embed_documents(self, texts):  # type: ignore[no-untyped-def]
        """Delegate, timed."""
        started = time.perf_counter()
        out = self.inner.embed_documents(texts)
        self.seconds += time.perf_counter() - started
        self.texts += len(texts)
        self.tokens += sum(len(e.ids) for e in self.inner._tokenizer.encode_batch(list(texts)))
        return out

    def embed_query(self, text):  # type: ignore[no-untyped-def]
        """Delegate."""
        return self.inner.embed_query(text)


class _Quiet:
    """A notifier that says nothing."""

    def notify(self, document_id: int, state: str, percent: int, message: str) -> None:
        """Ignore progress."""


def run_ragbot(root: Path, pages: list[str]) -> RagbotRun:
    """Ingest the pages as `ragbot ingest` does, into a throw-away embedded PostgreSQL; the model loads first."""
    from ragbot.providers.local_embedder import LocalEmbedder

    local = LocalEmbedder()
    local.load()
    timed = _TimedEmbedder(local)
    data_dir = Path(tempfile.mkdtemp(prefix="ragbot-bench-html-"))
    data_dir.chmod(0o755)
    try:
        url = embedded_url(data_dir)
        svc = build(Settings(database_url=url, data_dir=data_dir), embedder=timed, notifier=_Quiet())
        scope = Scope("bench")
        chunks = 0

        def ingest_pages() -> None:
            nonlocal chunks
            for page in pages:
                data = (root / page).read_bytes()
                accepted = intake.add_file(svc.engine, scope=scope, data=data, filename=Path(page).name,
                                           source_uri=f"{root}/{page}", max_bytes=svc.settings.max_upload_bytes)
                chunks += ingest_document(svc.ingest, accepted.document_id).chunks

        from ingest import Meter  # this process's CPU time plus the database server's

        seconds, cpu = Meter(data_dir / "pg")(ingest_pages)
        with svc.engine.connect() as conn:
            stored = list(conn.execute(text("SELECT text FROM chunks ORDER BY id")).scalars())
        assert len(stored) == chunks, f"{len(stored)} chunks stored, {chunks} reported"
        svc.engine.dispose()
    finally:
        stop_embedded(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
    # The model alone on the same texts, in the pipeline's windows: what the embedding step could reach.
    started = time.perf_counter()
    for start in range(0, len(stored), 128):
        local.embed_documents(stored[start : start + 128])
    alone = time.perf_counter() - started
    return RagbotRun(len(pages), chunks, timed.texts, timed.tokens, seconds, timed.seconds, alone, cpu)


def compare(root: Path, pages: list[str]) -> dict:
    """Run the seed baseline, then Ragbot, on the same pages; print both and their ratio, return the figures."""
    load_before = os.getloadavg()[0]
    seed_embedder = SeedEmbedder()
    seed = run_seed([root / p for p in pages], seed_embedder)
    ours = run_ragbot(root, pages)
    html_mb = sum((root / p).stat().st_size for p in pages) / 1e6
    threads = seed_embedder.session.get_session_options().intra_op_num_threads
    print(f"\nreal HTML: {len(pages)} pages of the Python 3.11 manual ({html_mb:.1f} MB), int8 MiniLM on {threads}"
          f" threads, model loading excluded; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"{'pipeline':44} {'wall s':>7} {'pages/s':>8} {'chunks':>7} {'chunks/s':>8} {'embedded':>8}"
          f" {'tokens':>8} {'model s':>8}")
    for name, run, embedded in (("seed (bs4 text, LangChain 400/40, 32/batch)", seed, seed.chunks),
                                ("ragbot end to end (store, HNSW, full text)", ours, ours.embedded)):
        print(f"{name:44} {run.seconds:7.1f} {run.pages / run.seconds:8.2f} {run.chunks:7}"
              f" {run.chunks / run.seconds:8.1f} {embedded:8} {run.tokens:8} {run.embed_seconds:8.1f}")
    ratio = seed.seconds / ours.seconds
    print(f"CPU seconds (steadier on a shared machine): seed {seed.cpu_seconds:.1f}, ragbot {ours.cpu_seconds:.1f}"
          f" including the database server: {seed.cpu_seconds / ours.cpu_seconds:.2f}x pages per CPU-second")
    print(f"ragbot vs seed, pages/s: {ratio:.2f}x  (target >= 1.5x); the seed's model computed {seed.padded_tokens:,}"
          f" padded tokens for {seed.tokens:,} real ones")
    in_pipeline, alone = ours.tokens / max(ours.embed_seconds, 1e-9), ours.tokens / max(ours.alone_seconds, 1e-9)
    print(f"embedding step in the pipeline: {in_pipeline:,.0f} tokens/s = {in_pipeline / alone:.0%} of the model alone"
          f" on the same texts ({alone:,.0f} tokens/s); seed's model {seed.tokens / seed.embed_seconds:,.0f} tokens/s;"
          f" the embedding step is {ours.embed_seconds / ours.seconds:.0%} of ragbot's wall time")
    return {"pages": len(pages), "seed_pages_s": seed.pages / seed.seconds, "ragbot_pages_s": ours.pages / ours.seconds,
            "ratio": ratio, "cpu_ratio": seed.cpu_seconds / ours.cpu_seconds, "seed_chunks": seed.chunks,
            "ragbot_chunks": ours.chunks, "load": load_before}
