"""A worker killed mid-run, and duplicate deliveries: every document is ingested exactly once."""

from __future__ import annotations

import re

from sqlalchemy import text

from ragbot.config import Settings
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.providers.celery_queue import CeleryQueue
from tests.conftest import TABLES
from tests.workers.support import add_files, chunk_texts, duplicate_ordinals, make_corpus, statuses, wait_until


def _serial_reference(svc, corpus: dict[str, bytes]) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Chunk texts per file from a plain in-process serial ingest, then an empty database again."""
    ids = add_files(svc.engine, corpus)
    for doc_id in ids.values():
        assert ingest_document(svc.ingest, doc_id).status == "ready"
    texts = chunk_texts(svc.engine)
    with svc.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        conn.execute(text("DROP INDEX IF EXISTS chunks_embedding_hnsw"))
    return {name: texts[doc_id] for name, doc_id in ids.items()}


def test_sigkill_mid_run_then_restart_ingests_all_50_exactly_once(svc, voyage, voyage_env, start_worker) -> None:
    corpus = make_corpus(50)
    expected = _serial_reference(svc, corpus)
    voyage.delay = 0.1  # each document waits on the embedding API, so the kill lands mid-document
    # A short visibility timeout lets Redis hand the killed worker's unacknowledged messages out again quickly.
    # Limits stay below it (as the worker insists), with room for a slow CI machine: a document that hit the
    # soft limit would end failed and the test would wait for 'ready' in vain.
    env = {**voyage_env, "RAGBOT_TASK_SOFT_TIME_LIMIT": "10", "RAGBOT_TASK_TIME_LIMIT": "11",
           "RAGBOT_VISIBILITY_TIMEOUT": "12"}
    worker = start_worker(env, via_cli=True, concurrency=2)
    ids = add_files(svc.engine, corpus)
    queue = CeleryQueue.from_settings(Settings(redis_url=env["REDIS_URL"]))
    for doc_id in ids.values():
        assert intake.enqueue(queue, intake.Accepted(doc_id, True)).queued

    def mid_run() -> bool:
        states = list(statuses(svc.engine).values())
        return states.count("ready") >= 8 and "processing" in states

    for _ in range(3):
        wait_until(mid_run, timeout=60, interval=0.02, what="8 documents ready and one in progress")
        worker.kill()
        at_kill = list(statuses(svc.engine).values())
        if "processing" in at_kill:
            break
        # Both documents in flight finished between the check and the kill (a loaded machine): the kill fell
        # between documents, which tests nothing, so start again and kill the next one.
        worker = start_worker(env, via_cli=True, concurrency=2)
    assert at_kill.count("ready") < 40, "the kill came too late to test anything"
    assert at_kill.count("processing") >= 1  # killed mid-document, not between documents

    start_worker(env, via_cli=True, concurrency=2)
    wait_until(lambda: set(statuses(svc.engine).values()) == {"ready"}, timeout=120, what="all 50 documents ready")

    assert duplicate_ordinals(svc.engine) == 0
    got = chunk_texts(svc.engine)
    assert {name: got[doc_id] for name, doc_id in ids.items()} == expected
    with svc.engine.connect() as conn:
        mismatched = conn.execute(text(
            "SELECT count(*) FROM documents d WHERE d.chunk_count <> (SELECT count(*) FROM chunks c"
            " WHERE c.document_id = d.id)"
        )).scalar_one()
    assert mismatched == 0


def _succeeded(log: str, task_id: str) -> list[str]:
    return re.findall(rf"Task ragbot\.ingest_document\[{task_id}\] succeeded in [\d.]+s: (\{{.*\}})", log)


def test_same_task_delivered_twice_at_once_leaves_one_version_of_the_chunks(clean_db, worker_env,
                                                                            start_worker) -> None:
    body = make_corpus(40)["policy-35.md"] * 3  # a few dozen chunks: long enough for the runs to overlap
    worker = start_worker(worker_env, concurrency=2)
    doc_id = add_files(clean_db, {"twice.md": body})["twice.md"]
    app = CeleryQueue.from_settings(Settings(redis_url=worker_env["REDIS_URL"])).app

    for kwargs, task_id in (({}, "dup-plain"), ({"force": True}, "dup-force")):
        for _ in range(2):  # the same message twice, as a broker redelivery would
            app.send_task("ragbot.ingest_document", kwargs={"document_id": doc_id, **kwargs}, task_id=task_id,
                          queue="ragbot")
        wait_until(lambda tid=task_id: len(_succeeded(worker.log(), tid)) == 2, timeout=60,
                   what=f"both deliveries of {task_id}")

    plain = _succeeded(worker.log(), "dup-plain")
    assert sorted("'ready'" in r for r in plain) == [False, True]  # one ingested, the other found it done
    assert any("already up to date" in r for r in plain)
    with clean_db.connect() as conn:
        rows = conn.execute(text("SELECT id, ordinal FROM chunks WHERE document_id = :d ORDER BY ordinal"),
                            {"d": doc_id}).all()
        count = conn.execute(text("SELECT chunk_count FROM documents WHERE id = :d"), {"d": doc_id}).scalar_one()
    assert count > 10 and len(rows) == count
    assert [r.ordinal for r in rows] == list(range(count))
    chunk_ids = sorted(r.id for r in rows)
    assert chunk_ids[-1] - chunk_ids[0] == count - 1  # all rows come from one COPY: one version, not a blend
