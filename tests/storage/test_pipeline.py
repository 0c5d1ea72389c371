"""The ingestion pipeline: unchanged content is free, changed content replaces chunks, bad input fails cleanly."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ragbot.domain import Scope
from ragbot.errors import TransientError
from ragbot.ingestion import intake, pipeline
from ragbot.ingestion.pipeline import ingest_document
from ragbot.wiring import build
from tests.fakes.providers import FakeChatModel, FakeEmbedder


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


class RecordingNotifier:
    """Keeps every progress step the pipeline reports."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, int, str]] = []

    def notify(self, document_id: int, state: str, percent: int, message: str) -> None:
        self.steps.append((state, percent, message))


class FailingAfter(FakeEmbedder):
    """The fake embedder, whose provider goes down (HTTP 503 style) after `ok` successful calls."""

    def __init__(self, ok: int) -> None:
        super().__init__()
        self.ok = ok

    def embed_documents(self, texts):  # type: ignore[no-untyped-def]
        if self.calls >= self.ok:
            self.calls += 1
            raise TransientError("the embedding provider answered 503")
        return super().embed_documents(texts)


def big_body(n: int, tag: str = "") -> str:
    """n paragraphs of about 300 characters: one chunk each at the default chunk size."""
    words = "the deploy pipeline tags every release and posts the notes in the release channel for review"
    return "# Big\n\n" + "\n\n".join(f"Paragraph {i}{tag}: " + " ".join([words] * 3) for i in range(n))


def test_a_document_larger_than_a_window_is_written_whole_in_order(clean_db, settings) -> None:  # type: ignore[no-untyped-def]
    notifier, embedder = RecordingNotifier(), FakeEmbedder()
    svc = build(settings, embedder=embedder, chat=FakeChatModel(), notifier=notifier)
    n = 2 * pipeline._WINDOW + 50  # three windows
    acc = put(svc, big_body(n))
    result = ingest_document(svc.ingest, acc.document_id)
    assert result.status == "ready" and result.chunks == n and result.embedded == n
    with svc.engine.connect() as conn:
        ordinals = list(conn.execute(text("SELECT ordinal FROM chunks WHERE document_id = :d ORDER BY ordinal"),
                                     {"d": acc.document_id}).scalars())
    assert ordinals == list(range(n))
    steps = [(p, m) for s, p, m in notifier.steps if m.startswith("indexed")]
    assert [m for _, m in steps] == [f"indexed {c} chunks" for c in (pipeline._WINDOW, 2 * pipeline._WINDOW, n)]
    assert [p for p, _ in steps] == sorted(p for p, _ in steps) and steps[-1][0] <= 95
    svc.engine.dispose()


def test_a_failure_in_a_later_window_keeps_the_old_chunks_and_the_retry_reuses_finished_batches(
    clean_db, settings  # type: ignore[no-untyped-def]
) -> None:
    good = build(settings, embedder=FakeEmbedder(), chat=FakeChatModel())
    first = put(good, big_body(20))
    assert ingest_document(good.ingest, first.document_id).status == "ready"
    old = chunk_texts(good, first.document_id)

    n = pipeline._WINDOW + 100
    second = put(good, big_body(n, tag="b"))
    ok_calls = pipeline._WINDOW // settings.embed_batch_size  # exactly the first window's batches succeed
    flaky = build(settings, embedder=FailingAfter(ok_calls), chat=FakeChatModel())
    with pytest.raises(TransientError):
        ingest_document(flaky.ingest, second.document_id)
    assert chunk_texts(good, first.document_id) == old  # readers never saw a half-written document

    retry_embedder = FakeEmbedder()
    retry = build(settings, embedder=retry_embedder, chat=FakeChatModel())
    result = ingest_document(retry.ingest, second.document_id)
    assert result.status == "ready" and result.chunks == n
    assert retry_embedder.texts_embedded == n - pipeline._WINDOW  # the first window came from the cache
    assert len(chunk_texts(good, first.document_id)) == n
    for services in (good, flaky, retry):
        services.engine.dispose()


def test_an_upload_larger_than_one_read_slice_reads_back_byte_for_byte(svc) -> None:  # type: ignore[no-untyped-def]
    from ragbot.storage import repository

    body = b"0123456789abcdef\n" * (repository._BLOB_SLICE // 17 + 4097)  # a slice and a bit more
    acc = intake.add_file(svc.engine, scope=Scope("local"), data=body, filename="big.txt", source_uri="/big.txt",
                          max_bytes=len(body) + 1)
    with svc.engine.connect() as conn:
        assert repository.read_blob(conn, document_id=acc.document_id) == body
        assert repository.read_blob(conn, document_id=acc.document_id + 1000) is None


def test_a_markdown_title_after_the_first_section_names_the_document(svc) -> None:  # type: ignore[no-untyped-def]
    # Sections are read one at a time, so the title (the first H1) is only known once they have all been read.
    acc = put(svc, "Some intro text before the title.\n\n# Release handbook\n\nHow releases are tagged.")
    assert ingest_document(svc.ingest, acc.document_id).status == "ready"
    with svc.engine.connect() as conn:
        title = conn.execute(text("SELECT title FROM documents WHERE id = :d"), {"d": acc.document_id}).scalar()
    assert title == "Release handbook"


def test_text_that_cleans_away_to_nothing_fails_as_empty_and_keeps_the_old_chunks(svc) -> None:  # type: ignore[no-untyped-def]
    first = put(svc, big_body(3))
    assert ingest_document(svc.ingest, first.document_id).status == "ready"
    old = chunk_texts(svc, first.document_id)
    put(svc, "#\n## \u00a0\n\x7f\n")  # bytes that pass the quick check, but no section has text once cleaned
    result = ingest_document(svc.ingest, first.document_id)
    assert result.status == "failed" and "no readable text was found" in result.message
    assert chunk_texts(svc, first.document_id) == old
