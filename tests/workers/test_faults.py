"""Bad input and faults: corrupt files fail once, 429s are retried, stuck documents and a down broker recover."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx
from sqlalchemy import text

from ragbot.config import Settings
from ragbot.domain import Scope
from ragbot.ingestion import intake
from ragbot.providers.celery_queue import QUEUE, CeleryQueue
from ragbot.wiring import build
from tests.fakes.providers import FakeChatModel, FakeEmbedder
from tests.workers.support import RecordingQueue, add_files, doc_row, make_corpus, wait_until


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket closes


def _sender(env: dict[str, str]) -> CeleryQueue:
    return CeleryQueue.from_settings(Settings(redis_url=env["REDIS_URL"]))


def test_corrupt_file_ends_failed_once_with_no_retry_loop(clean_db, worker_env, start_worker, redis_client) -> None:
    port = _closed_port()
    worker = start_worker({**worker_env, "RAGBOT_METRICS_PORT": str(port)}, concurrency=1)
    doc_id = add_files(clean_db, {"broken.docx": b"PK\x03\x04" + b"\x00not really a zip" * 50})["broken.docx"]
    intake.enqueue(_sender(worker_env), intake.Accepted(doc_id, True))

    wait_until(lambda: doc_row(clean_db, doc_id).status == "failed", timeout=30, what="the document to fail")
    row = doc_row(clean_db, doc_id)
    assert "broken.docx" in row.error and "not a valid Word" in row.error
    time.sleep(2)  # room for a retry, were there one
    log = worker.log()
    assert len(re.findall(r"Task ragbot\.ingest_document\[[^\]]+\] received", log)) == 1
    assert "Retry" not in log and "retry" not in log
    assert redis_client.llen(QUEUE) == 0 and redis_client.hlen("unacked") == 0
    assert doc_row(clean_db, doc_id).status == "failed"
    # The worker serves its health and the document states, as the deployment's probes expect.
    assert httpx.get(f"http://127.0.0.1:{port}/healthz").text.strip() == "worker ready"
    assert 'ragbot_documents{state="failed"} 1.0' in httpx.get(f"http://127.0.0.1:{port}/metrics").text


def test_transient_429_is_retried_with_backoff_and_succeeds(clean_db, voyage, voyage_env, start_worker) -> None:
    worker = start_worker(voyage_env, concurrency=1)
    doc_id = add_files(clean_db, make_corpus(3))["policy-02.md"]
    # More 429s than the Voyage client's own attempts, so the task itself must back off and run again.
    voyage.fail_next(5, status=429)
    intake.enqueue(_sender(voyage_env), intake.Accepted(doc_id, True))

    wait_until(lambda: doc_row(clean_db, doc_id).status == "ready", timeout=60, what="the document to be ready")
    assert doc_row(clean_db, doc_id).chunk_count > 0
    assert re.search(rf"document {doc_id}: Voyage AI embeddings failed .*; retry 1 in [\d.]+ s", worker.log())
    assert len(voyage.embedding_requests()) == 6  # five refused, then one that worked


def test_reconciler_on_beat_picks_up_a_document_stuck_in_processing(clean_db, worker_env, start_worker) -> None:
    doc_id = add_files(clean_db, make_corpus(1))["policy-00.md"]
    with clean_db.begin() as conn:  # a worker died holding it, and its message is gone
        conn.execute(text("UPDATE documents SET status = 'processing', progress = 40,"
                          " status_changed_at = now() - interval '1 hour' WHERE id = :d"), {"d": doc_id})
    # An 8 s threshold makes beat run the reconciler every 2 s.
    worker = start_worker({**worker_env, "RAGBOT_STUCK_AFTER_SECONDS": "8"}, concurrency=1, beat=True, via_cli=True)

    wait_until(lambda: doc_row(clean_db, doc_id).status == "ready", timeout=40, what="the stuck document")
    assert doc_row(clean_db, doc_id).chunk_count > 0
    assert "Task ragbot.reconcile[" in worker.log()


def test_reconcile_claims_only_documents_past_the_threshold(svc) -> None:
    ids = add_files(svc.engine, make_corpus(4))
    old, fresh, done, failed = (ids[f"policy-0{i}.md"] for i in range(4))
    with svc.engine.begin() as conn:
        conn.execute(text("UPDATE documents SET status_changed_at = now() - interval '1 hour'"))
        conn.execute(text("UPDATE documents SET status = 'processing', status_changed_at = now() WHERE id = :d"),
                     {"d": fresh})
        conn.execute(text("UPDATE documents SET status = 'ready' WHERE id = :d"), {"d": done})
        conn.execute(text("UPDATE documents SET status = 'failed' WHERE id = :d"), {"d": failed})
    queue = RecordingQueue()
    svc = replace(svc, queue_override=queue)

    assert svc.jobs.reconcile(older_than_seconds=600) == [old]
    assert queue.sent == [("ragbot.ingest_document", {"document_id": old})]
    assert svc.jobs.reconcile(older_than_seconds=600) == []  # claimed: its clock restarted
    assert doc_row(svc.engine, fresh).status == "processing"


def test_redis_down_at_enqueue_leaves_document_queued_and_reconciler_sends_it(
    clean_db, settings, redis_url, redis_client
) -> None:
    down = CeleryQueue.from_settings(Settings(redis_url=f"redis://127.0.0.1:{_closed_port()}/0"))
    acc = intake.add_file(clean_db, scope=Scope("local"), data=make_corpus(1)["policy-00.md"], filename="a.md",
                          source_uri="/docs/a.md", max_bytes=10**6)
    started = time.monotonic()
    result = intake.enqueue(down, acc)
    assert time.monotonic() - started < 2.5
    assert result.queued is False and result.message.startswith("queued") and "fail" not in result.message
    assert doc_row(clean_db, acc.document_id).status == "queued"

    # The broker is back: the reconciler (here called directly) sends what Postgres says is unfinished.
    svc = build(settings, embedder=FakeEmbedder(), chat=FakeChatModel(),
                queue=CeleryQueue.from_settings(Settings(redis_url=redis_url)))
    assert svc.jobs.reconcile(older_than_seconds=0) == [acc.document_id]
    assert redis_client.llen(QUEUE) == 1
    assert svc.jobs.reconcile(older_than_seconds=60) == []  # claimed: not re-sent on every tick
    svc.engine.dispose()


def test_cli_background_ingest_with_redis_down_says_queued(clean_db, worker_env, tmp_path: Path) -> None:
    doc = tmp_path / "notes.md"
    doc.write_bytes(make_corpus(1)["policy-00.md"])
    env = {**worker_env, "REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/0"}
    out = subprocess.run([str(Path(sys.executable).parent / "ragbot"), "ingest", "--background", str(doc)],
                         env=env, capture_output=True, text=True, timeout=60, cwd=os.getcwd())
    assert out.returncode == 0, out.stderr
    assert "queued" in out.stdout and "the workers will pick it up" in out.stdout
    assert "failed" not in out.stdout + out.stderr
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT status FROM documents")).scalars().all() == ["queued"]
