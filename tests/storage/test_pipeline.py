"""The ingestion pipeline: unchanged content is free, changed content replaces chunks, bad input fails cleanly."""

from __future__ import annotations

from sqlalchemy import text

from bot.domain import Scope
from bot.ingestion import intake
from bot.ingestion.pipeline import ingest_document


def put(svc, body: str, name: str = "guide.md"):  # type: ignore[no-untyped-def]
    return intake.add_file(svc.engine, scope=Scope("local"), data=body.encode(), filename=name,
                           source_uri=f"/docs/{name}", max_bytes=10**6)


def chunk_texts(svc, doc_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    with svc.engine.connect() as conn:
        return list(conn.execute(text("SELECT text FROM chunks WHERE document_id = :d ORDER BY ordinal"),
                                 {"d": doc_id}).scalars())


def test_unchanged_content_makes_zero_embedding_calls(svc, fake_embedder) -> None:
    body = "# Guide\n\n" + "\n\n".join(f"Paragraph {i} explains step {i} of the deploy." for i in range(40))
    first = put(svc, body)
    assert ingest_document(svc.ingest, first.document_id).status == "ready"
    calls = fake_embedder.calls
    again = put(svc, body)
    assert again.changed is False and again.document_id == first.document_id
    assert ingest_document(svc.ingest, first.document_id).status == "skipped"
    assert fake_embedder.calls == calls


def test_changed_content_replaces_chunks_and_embeds_only_new_texts(svc, fake_embedder) -> None:
    paragraphs = [f"Paragraph {i} explains step {i} of the deploy in enough words to be a chunk." for i in range(30)]
    first = put(svc, "# Guide\n\n" + "\n\n".join(paragraphs))
    ingest_document(svc.ingest, first.document_id)
    old = chunk_texts(svc, first.document_id)
    embedded_before = fake_embedder.texts_embedded
    paragraphs[-1] = "A brand new closing paragraph about rollbacks replaces the old last one entirely."
    second = put(svc, "# Guide\n\n" + "\n\n".join(paragraphs))
    assert second.changed
    result = ingest_document(svc.ingest, second.document_id)
    new = chunk_texts(svc, first.document_id)
    assert result.status == "ready" and any("rollbacks" in t for t in new)
    assert not any("step 29" in t for t in new)
    assert 0 < fake_embedder.texts_embedded - embedded_before < len(new)  # only the changed chunk texts
    assert len(set(new)) == len(new) and old != new


def test_bad_file_fails_with_reason_and_leaves_nothing_half_written(svc) -> None:
    acc = put(svc, "", name="empty.txt")
    result = ingest_document(svc.ingest, acc.document_id)
    assert result.status == "failed" and "empty.txt" in result.message
    with svc.engine.connect() as conn:
        row = conn.execute(text("SELECT status, error FROM documents WHERE id = :d"), {"d": acc.document_id}).one()
        assert row.status == "failed" and row.error
        assert conn.execute(text("SELECT count(*) FROM chunks")).scalar() == 0
