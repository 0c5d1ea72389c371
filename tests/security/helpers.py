"""Helpers shared by the security tests: documents in, chunks out, and what a chat model is shown."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import Engine, text

from ragbot.config import Settings
from ragbot.domain import Scope, ScoredChunk, Turn
from ragbot.ingestion import intake
from ragbot.ingestion.loaders import load_bytes
from ragbot.ingestion.pipeline import ingest_document
from ragbot.ingestion.splitter import split_sections
from ragbot.ports import ChatModel


def add_doc(svc, scope: Scope, name: str, body: str | bytes) -> int:  # type: ignore[no-untyped-def]
    """Store and ingest one document in a scope, which must succeed; returns its id."""
    data = body.encode() if isinstance(body, str) else body
    acc = intake.add_file(svc.engine, scope=scope, data=data, filename=name, source_uri=f"docs/{name}",
                          max_bytes=svc.settings.max_upload_bytes)
    result = ingest_document(svc.ingest, acc.document_id)
    assert result.status == "ready", result.message
    return acc.document_id


class RecordingChat:
    """Wraps a ChatModel and keeps every question and passage it is shown."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner = inner
        self.name = f"recording-{inner.name}"
        self.questions: list[str] = []
        self.shown: list[str] = []  # passage text, titles and sources: what retrieval put before the model

    def stream_answer(self, question: str, passages: Sequence[ScoredChunk], history: Sequence[Turn]) -> Iterator[str]:
        self.questions.append(question)
        self.shown.extend(f"{p.title}\n{p.source}\n{p.location}\n{p.text}" for p in passages)
        return self.inner.stream_answer(question, passages, history)

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        return self.inner.condense(question, history)


HNSW = "chunks_embedding_hnsw"


def expected_chunks(settings: Settings, data: bytes, name: str) -> list[str]:
    """The chunk texts the pipeline makes of a file: what a correct index holds for it."""
    loaded = load_bytes(data, name, max_bytes=settings.max_upload_bytes)
    return [d.text for d in split_sections(loaded.sections, size=settings.chunk_size, overlap=settings.chunk_overlap)]


def chunks_of(engine: Engine, doc_id: int) -> list[str]:
    """A document's chunk texts in order."""
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT text FROM chunks WHERE document_id = :d ORDER BY ordinal"),
                                 {"d": doc_id}).scalars())


def invalid_indexes(engine: Engine) -> list[str]:
    """Indexes of chunks that are invalid or left over from an interrupted concurrent build."""
    with engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " WHERE i.indrelid = 'chunks'::regclass AND (NOT i.indisvalid OR NOT i.indisready"
            " OR c.relname LIKE '%\\_ccnew%' OR c.relname LIKE '%\\_ccold%')"
        )).scalars())
