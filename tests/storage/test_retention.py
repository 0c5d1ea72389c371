"""Retention: long-failed uploads that never indexed and old questions go; everything else stays."""

from __future__ import annotations

from sqlalchemy import text

from ragbot.domain import Answer, Scope
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.storage import conversations as conv


def _add(svc, name: str, body: bytes) -> int:  # type: ignore[no-untyped-def]
    acc = intake.add_file(svc.engine, scope=Scope("local"), data=body, filename=name, source_uri=f"/docs/{name}",
                          max_bytes=10**6)
    ingest_document(svc.ingest, acc.document_id)
    return acc.document_id


def _age(svc, table: str, column: str, row_id: int, days: int) -> None:  # type: ignore[no-untyped-def]
    with svc.engine.begin() as conn:
        conn.execute(text(f"UPDATE {table} SET {column} = now() - make_interval(days => :d) WHERE id = :id"),
                     {"d": days, "id": row_id})


def test_prune_deletes_only_long_failed_never_indexed_documents_and_old_questions(svc) -> None:
    old_broken = _add(svc, "old.pdf", b"%PDF-1.4 not really a pdf")
    new_broken = _add(svc, "new.pdf", b"%PDF-1.4 not really a pdf either")
    once_ready = _add(svc, "leave.md", b"# Leave\n\nTwenty-seven vacation days.")
    with svc.engine.begin() as conn:  # a later run of a once-ready document failed: its chunks still answer
        conn.execute(text("UPDATE documents SET status = 'failed', error = 'fetch failed' WHERE id = :id"),
                     {"id": once_ready})
    for doc_id in (old_broken, once_ready):
        _age(svc, "documents", "status_changed_at", doc_id, 8)
    with svc.engine.begin() as conn:
        old_q = conv.record_question(conn, space="local", channel=None, platform="cli", user_id="U1",
                                     question="old?", answer=Answer("a"), latency_ms=1)
        new_q = conv.record_question(conn, space="local", channel=None, platform="cli", user_id="U1",
                                     question="new?", answer=Answer("b"), latency_ms=1)
        conv.record_vote(conn, question_id=old_q, platform="slack", user_id="U2", vote=-1, comment="wrong")
    _age(svc, "questions", "created_at", old_q, 91)

    assert svc.jobs.prune() == {"failed_documents": 1, "questions": 1}

    with svc.engine.connect() as conn:
        docs = set(conn.execute(text("SELECT id FROM documents")).scalars())
        questions = set(conn.execute(text("SELECT id FROM questions")).scalars())
        votes = conn.execute(text("SELECT count(*) FROM feedback")).scalar_one()
    assert docs == {new_broken, once_ready}
    assert questions == {new_q} and votes == 0
    assert svc.jobs.prune() == {"failed_documents": 0, "questions": 0}


def test_zero_days_keeps_everything(svc) -> None:
    broken = _add(svc, "old.pdf", b"%PDF-1.4 not really a pdf")
    _age(svc, "documents", "status_changed_at", broken, 400)
    kept = svc.settings.model_copy(update={"failed_retention_days": 0, "question_retention_days": 0})
    from ragbot.wiring import build

    keeping = build(kept, embedder=svc.embedder, chat=svc.chat)
    assert keeping.jobs.prune() == {"failed_documents": 0, "questions": 0}
    keeping.engine.dispose()
