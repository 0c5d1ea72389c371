"""Faults: Redis lost with work queued, racing versions of one document, and an online reindex under load."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from ragbot.config import Settings
from ragbot.domain import Scope
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.providers.celery_queue import CeleryQueue
from ragbot.wiring import build
from tests.fakes.providers import FakeChatModel, FakeEmbedder
from tests.security.helpers import HNSW, chunks_of, expected_chunks, invalid_indexes
from tests.support import free_port, redis_answers
from tests.workers.support import WorkerProcess, add_files, duplicate_ordinals, make_corpus, statuses, wait_until


class OwnRedis:
    """A redis-server of this test alone on a free port, without persistence, so stopping it loses its queue."""

    def __init__(self, binary: str) -> None:
        self.port = free_port()
        self.binary = binary
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: redis_answers(self.port), timeout=10, what="redis-server to start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no redis-server binary")
    server = OwnRedis(binary)
    server.start()
    yield server
    server.kill()


@pytest.mark.slow
def test_redis_lost_with_documents_queued_then_reconciler_finishes_all_once(clean_db, settings, pg_url, own_redis,
                                                                             tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RAGBOT_") and k not in ("REDIS_URL", "DATABASE_URL")}
    env.update({"DATABASE_URL": pg_url, "REDIS_URL": own_redis.url, "RAGBOT_DATA_DIR": str(tmp_path / "data"),
                "RAGBOT_EMBEDDER": "local", "RAGBOT_CHAT_MODEL": "extractive", "RAGBOT_METRICS_PORT": "0",
                "RAGBOT_TASK_SOFT_TIME_LIMIT": "30", "RAGBOT_TASK_TIME_LIMIT": "40", "RAGBOT_VISIBILITY_TIMEOUT": "60"})
    workers = [WorkerProcess(env, tmp_path / "worker-0.log", concurrency=2).start()]
    # Only the sending side lives here: no index check, as the worker owns the embedding model.
    svc = build(settings, embedder=FakeEmbedder(), chat=FakeChatModel(), check_index=False,
                queue=CeleryQueue.from_settings(Settings(redis_url=own_redis.url)))
    try:
        corpus = make_corpus(16)
        names = sorted(corpus)
        first = add_files(svc.engine, {n: corpus[n] for n in names[:8]})
        for doc_id in first.values():
            intake.enqueue(svc.queue, intake.Accepted(doc_id, True))
        own_redis.kill()  # queued and unacknowledged messages are gone with it
        later = add_files(svc.engine, {n: corpus[n] for n in names[8:]})
        refused = [intake.enqueue(svc.queue, intake.Accepted(d, True)) for d in later.values()]
        assert not any(r.queued for r in refused) and all(r.message.startswith("queued") for r in refused)
        assert "ready" not in {statuses(svc.engine)[d] for d in later.values()}

        own_redis.start()  # back, empty
        ids = {**first, **later}
        deadline = time.monotonic() + 120
        while set(statuses(svc.engine).values()) != {"ready"}:
            assert time.monotonic() < deadline, f"not all ready: {statuses(svc.engine)}\n{workers[-1].log()[-8000:]}"
            if workers[-1].proc is not None and workers[-1].proc.poll() is not None:
                # kombu can crash the worker on the lost connection (AttributeError in restore_unacked);
                # the deployment's restart policy starts it again, as this does.
                workers.append(WorkerProcess(env, tmp_path / f"worker-{len(workers)}.log", concurrency=2).start())
            svc.jobs.reconcile(older_than_seconds=0)  # what beat does; re-sends also hit documents mid-run
            time.sleep(1.0)

        assert duplicate_ordinals(svc.engine) == 0
        with svc.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM documents")).scalar() == 16
            mismatched = conn.execute(text("SELECT count(*) FROM documents d WHERE d.chunk_count <>"
                                           " (SELECT count(*) FROM chunks c WHERE c.document_id = d.id)")).scalar()
        assert mismatched == 0
        for name, doc_id in ids.items():
            assert chunks_of(svc.engine, doc_id) == expected_chunks(settings, corpus[name], name)
    finally:
        for worker in workers:
            worker.kill()
        svc.engine.dispose()


def edition(tag: str, paragraphs: int = 12) -> bytes:
    """A document whose every chunk names its edition, so a mix of versions is visible."""
    body = "\n\n".join(f"Rule {i} of edition {tag} says step {i} needs a review by the {tag} owner."
                       for i in range(paragraphs))
    return f"# Policy\n\n{body}\n".encode()


_TAG = re.compile(r"edition (e\d+[ab])")


@pytest.mark.slow
def test_two_versions_ingested_at_once_leave_only_the_latest(svc) -> None:  # type: ignore[no-untyped-def]
    scope, name = Scope("local"), "policy.md"
    problems: list[str] = []
    stop = threading.Event()
    first = intake.add_file(svc.engine, scope=scope, data=edition("e0a"), filename=name, source_uri=name,
                            max_bytes=10**6)
    ingest_document(svc.ingest, first.document_id)
    doc_id = first.document_id

    def reader() -> None:
        # A reader must always see exactly one edition, and never an empty document.
        while not stop.is_set():
            tags = {m for t in chunks_of(svc.engine, doc_id) for m in _TAG.findall(t)}
            if len(tags) != 1:
                problems.append(f"reader saw editions {sorted(tags)}")

    jitter = random.Random(11)

    def writer(tag: str, barrier: threading.Barrier, delay: float) -> None:
        try:
            barrier.wait()
            time.sleep(delay)  # staggered starts land one upload in the middle of the other's ingestion
            intake.add_file(svc.engine, scope=scope, data=edition(tag), filename=name, source_uri=name,
                            max_bytes=10**6)
            ingest_document(svc.ingest, doc_id)
        except Exception as exc:  # noqa: BLE001 - collected and reported by the main thread
            problems.append(f"{tag}: {exc!r}")

    watcher = threading.Thread(target=reader)
    watcher.start()
    try:
        for rnd in range(1, 11):
            barrier = threading.Barrier(2)
            pair = [threading.Thread(target=writer, args=(f"e{rnd}{side}", barrier, jitter.uniform(0, 0.05)))
                    for side in "ab"]
            for t in pair:
                t.start()
            for t in pair:
                t.join(60)
            with svc.engine.connect() as conn:
                row = conn.execute(text("SELECT d.status, d.version, d.indexed_version, b.data FROM documents d"
                                        " JOIN document_blobs b ON b.document_id = d.id WHERE d.id = :d"),
                                   {"d": doc_id}).one()
            latest = _TAG.findall(bytes(row.data).decode())[0]
            assert latest in (f"e{rnd}a", f"e{rnd}b")
            assert row.status == "ready" and row.indexed_version == row.version, row
            assert chunks_of(svc.engine, doc_id) == expected_chunks(svc.settings, bytes(row.data), name)
    finally:
        stop.set()
        watcher.join(10)
    assert problems == []


@pytest.mark.slow
def test_online_reindex_while_queries_and_writes_run(svc) -> None:  # type: ignore[no-untyped-def]
    scope = Scope("local")
    ids = add_files(svc.engine, make_corpus(30))
    for doc_id in ids.values():
        ingest_document(svc.ingest, doc_id)
    errors: list[str] = []
    done = {"queries": 0, "writes": 0}
    stop = threading.Event()

    def query(mode: str) -> None:
        while not stop.is_set():
            try:
                found = svc.rag.retrieve("how does the leave owner review step 3", scope=scope, k=10, mode=mode)
                if not found:
                    errors.append(f"{mode}: no rows")
                done["queries"] += 1
            except Exception as exc:  # noqa: BLE001 - any failure is what the test counts
                errors.append(f"{mode}: {exc!r}")

    def write() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            acc = intake.add_file(svc.engine, scope=scope, data=edition(f"e{n}a", 6), filename="live.md",
                                  source_uri="live.md", max_bytes=10**6)
            ingest_document(svc.ingest, acc.document_id)
            done["writes"] += 1

    threads = [threading.Thread(target=query, args=(m,)) for m in ("hybrid", "vector")]
    threads.append(threading.Thread(target=write))
    for t in threads:
        t.start()
    try:
        with svc.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for statement in (f"REINDEX INDEX CONCURRENTLY {HNSW}",
                              f"CREATE INDEX CONCURRENTLY {HNSW}_next ON chunks USING hnsw"
                              f" ((embedding::vector({svc.embedder.dim})) vector_cosine_ops)",
                              f"DROP INDEX CONCURRENTLY {HNSW}", f"ALTER INDEX {HNSW}_next RENAME TO {HNSW}",
                              f"REINDEX INDEX CONCURRENTLY {HNSW}"):
                before = done["queries"]
                conn.execute(text(statement))
                time.sleep(0.2)
                assert done["queries"] > before  # queries kept flowing through each step
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert errors == [] and done["queries"] >= 20 and done["writes"] >= 1
    assert invalid_indexes(svc.engine) == []
    with svc.engine.connect() as conn:
        names = conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'chunks'")).scalars().all()
    assert HNSW in names
