"""Index administration shared by the CLI and the chat adapters: list, delete, reindex, retry, stats, gaps, feedback."""

from __future__ import annotations

from typing import Any

from ragbot.domain import CLI_ADDER, Adder, DocumentInfo
from ragbot.errors import IndexMismatch, NotFound, QueueUnavailable
from ragbot.ingestion.intake import INGEST_TASK, owner_label
from ragbot.ingestion.pipeline import IngestResult, ingest_document
from ragbot.storage import audit, ops
from ragbot.storage import repository as repo
from ragbot.storage.audit import AuditEntry
from ragbot.storage.vectors import index_meta, switch_model
from ragbot.wiring import Services

REINDEX_SPACE_TASK = "ragbot.reindex_space"
DELETE_TASK = "ragbot.delete_document"


def documents(svc: Services, *, space: str | None = None, failed: bool = False) -> list[DocumentInfo]:
    """Every document (optionally of one space, or only the failed ones) with status and chunk count."""
    with svc.engine.connect() as conn:
        return repo.list_documents(conn, space=space, statuses=["failed"] if failed else None)


def find(svc: Services, ref: str, *, space: str | None = None) -> DocumentInfo:
    """A document by id, source or title (any case); NotFound naming the candidates when several match."""
    with svc.engine.connect() as conn:
        found = repo.resolve_document(conn, ref=ref, space=space)
    if not found:
        raise NotFound(f"No document matches {ref!r}; list them with `docs` and use the id.")
    if len(found) > 1:
        names = ", ".join(f"{d.id} ({d.title}, {d.source})" for d in found[:5])
        more = " and more" if len(found) > 5 else ""
        raise NotFound(f"{ref!r} matches several documents: {names}{more}. Use the id of the one you mean.")
    return found[0]


def forget(svc: Services, ref: str, *, space: str | None = None, by: Adder = CLI_ADDER) -> DocumentInfo:
    """Delete a document with its chunks and stored bytes."""
    doc = find(svc, ref, space=space)
    with svc.engine.begin() as conn:
        if repo.delete_document(conn, document_id=doc.id):
            _audit(conn, doc.space, by, "deleted", doc.title, doc.id)
    return doc


def give(svc: Services, ref: str, *, to: str, to_name: str | None = None, space: str | None = None,
         by: Adder = CLI_ADDER) -> DocumentInfo:
    """Make another user a document's owner, who may then replace or delete it (an admin's act)."""
    doc = find(svc, ref, space=space)
    with svc.engine.begin() as conn:
        repo.set_owner(conn, document_id=doc.id, uploader=to, uploader_name=to_name)
        _audit(conn, doc.space, by, "owner", doc.title, doc.id,
               f"from {owner_label(doc.uploader, doc.uploader_name)} to {owner_label(to, to_name)}")
    with svc.engine.connect() as conn:
        return repo.get_document(conn, document_id=doc.id) or doc


def audit_trail(svc: Services, *, space: str | None = None, limit: int = 20) -> list[AuditEntry]:
    """The latest changes to what the bot knows: who added, replaced, deleted, reindexed or gave away what."""
    with svc.engine.connect() as conn:
        return audit.latest(conn, space=space, limit=limit)


def _audit(conn: Any, space: str, by: Adder, action: str, subject: str, doc_id: int | None = None,
           detail: str | None = None) -> None:
    audit.record(conn, space=space, actor=by.id, actor_name=by.name, action=action, subject=subject,
                 document_id=doc_id, detail=detail)


def requeue(svc: Services, doc_ids: list[int], *, background: bool) -> list[IngestResult]:
    """Mark documents for another run, then run them now or hand them to the workers."""
    with svc.engine.begin() as conn:
        for doc_id in doc_ids:
            repo.requeue(conn, document_id=doc_id)
    if not background:
        return [ingest_document(svc.ingest, d, force=True) for d in doc_ids]
    sent = 0
    for doc_id in doc_ids:
        try:
            svc.queue.enqueue(INGEST_TASK, document_id=doc_id)
        except QueueUnavailable:
            break  # they stay queued; the reconciler sends them when the broker is back
        sent += 1
    later = "queued; the workers will pick it up when the queue is back"
    return [IngestResult(d, "queued", message="queued" if i < sent else later) for i, d in enumerate(doc_ids)]


def reindex(svc: Services, *, ref: str | None = None, space: str | None = None, background: bool = False,
            by: Adder = CLI_ADDER) -> list[IngestResult]:
    """Re-embed one document, or every document; a changed embedding model rebuilds the index first."""
    if ref is not None:
        doc = find(svc, ref, space=space)
        with svc.engine.begin() as conn:
            _audit(conn, doc.space, by, "reindexed", doc.title, doc.id)
        return requeue(svc, [doc.id], background=background)
    with svc.engine.begin() as conn:
        if index_meta(conn) not in (None, (svc.embedder.model_id, svc.embedder.dim)):
            if space is not None:
                # One index holds every space: a model change must rebuild all of them, not one.
                raise IndexMismatch(
                    "The embedding model changed; run `reindex --all` without --space to rebuild the whole index."
                )
            switch_model(conn, model=svc.embedder.model_id, dim=svc.embedder.dim)
    docs = documents(svc, space=space)
    with svc.engine.begin() as conn:
        for where in sorted({d.space for d in docs}):
            _audit(conn, where, by, "reindexed", f"all {sum(d.space == where for d in docs)} documents")
    return requeue(svc, [d.id for d in docs], background=background)


def retry(svc: Services, ref: str, *, space: str | None = None, background: bool = True) -> IngestResult:
    """Queue a failed document again."""
    doc = find(svc, ref, space=space)
    return requeue(svc, [doc.id], background=background)[0]


def in_flight(svc: Services, *, space: str | None = None) -> list[DocumentInfo]:
    """Documents queued or processing."""
    with svc.engine.connect() as conn:
        return repo.list_documents(conn, space=space, statuses=["queued", "processing"])


def stats(svc: Services, *, space: str | None = None) -> dict[str, Any]:
    """Counts of documents, chunks and questions, and the grounded ratio."""
    with svc.engine.connect() as conn:
        return repo.stats(conn, space=space)


def feedback(svc: Services, *, space: str, limit: int = 10) -> list[dict[str, Any]]:
    """Recent 👎 with the question, the answer, the comment and the cited documents: what to fix."""
    with svc.engine.connect() as conn:
        return ops.recent_downvotes(conn, space=space, limit=limit)


def gaps(svc: Services, *, space: str, limit: int = 20) -> list[dict[str, Any]]:
    """Recent questions that got no grounded answer: what the documents are missing."""
    with svc.engine.connect() as conn:
        return ops.unanswered_questions(conn, space=space, limit=limit)
