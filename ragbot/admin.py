"""Index administration shared by the CLI and the chat adapters: list, delete, reindex, retry, stats, gaps, feedback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from ragbot.domain import CLI_ADDER, Adder, DocumentInfo
from ragbot.errors import IndexMismatch, NotFound, QueueUnavailable
from ragbot.ingestion.intake import INGEST_TASK, owner_label
from ragbot.ingestion.pipeline import IngestContext, IngestResult, ingest_document
from ragbot.ports import Embedder, IngestQueue
from ragbot.storage import audit, ops
from ragbot.storage import repository as repo
from ragbot.storage.audit import AuditEntry
from ragbot.storage.vectors import index_meta, switch_model

REINDEX_SPACE_TASK = "ragbot.reindex_space"
DELETE_TASK = "ragbot.delete_document"


@dataclass(frozen=True)
class Admin:
    """Index administration over the collaborators the composition root hands in."""

    engine: Engine
    queue: IngestQueue
    ingest: IngestContext
    embedder: Embedder

    def documents(self, *, space: str | None = None, failed: bool = False) -> list[DocumentInfo]:
        """Every document (optionally of one space, or only the failed ones) with status and chunk count."""
        with self.engine.connect() as conn:
            return repo.list_documents(conn, space=space, statuses=["failed"] if failed else None)

    def find(self, ref: str, *, space: str | None = None) -> DocumentInfo:
        """A document by id, source or title (any case); NotFound naming the candidates when several match."""
        with self.engine.connect() as conn:
            found = repo.resolve_document(conn, ref=ref, space=space)
        if not found:
            raise NotFound(f"No document matches {ref!r}; list them with `docs` and use the id.")
        if len(found) > 1:
            names = ", ".join(f"{d.id} ({d.title}, {d.source})" for d in found[:5])
            more = " and more" if len(found) > 5 else ""
            raise NotFound(f"{ref!r} matches several documents: {names}{more}. Use the id of the one you mean.")
        return found[0]

    def forget(self, ref: str, *, space: str | None = None, by: Adder = CLI_ADDER) -> DocumentInfo:
        """Delete a document with its chunks and stored bytes."""
        doc = self.find(ref, space=space)
        with self.engine.begin() as conn:
            if repo.delete_document(conn, document_id=doc.id):
                _audit(conn, doc.space, by, "deleted", doc.title, doc.id)
        return doc

    def give(self, ref: str, *, to: str, to_name: str | None = None, space: str | None = None,
             by: Adder = CLI_ADDER) -> DocumentInfo:
        """Make another user a document's owner, who may then replace or delete it (an admin's act)."""
        doc = self.find(ref, space=space)
        with self.engine.begin() as conn:
            repo.set_owner(conn, document_id=doc.id, uploader=to, uploader_name=to_name)
            _audit(conn, doc.space, by, "owner", doc.title, doc.id,
                   f"from {owner_label(doc.uploader, doc.uploader_name)} to {owner_label(to, to_name)}")
        with self.engine.connect() as conn:
            return repo.get_document(conn, document_id=doc.id) or doc

    def audit_trail(self, *, space: str | None = None, limit: int = 20) -> list[AuditEntry]:
        """The latest changes to what the bot knows: who added, replaced, deleted, reindexed or gave away what."""
        with self.engine.connect() as conn:
            return audit.latest(conn, space=space, limit=limit)

    def requeue(self, doc_ids: list[int], *, background: bool) -> list[IngestResult]:
        """Mark documents for another run, then run them now or hand them to the workers."""
        with self.engine.begin() as conn:
            for doc_id in doc_ids:
                repo.requeue(conn, document_id=doc_id)
        if not background:
            return [ingest_document(self.ingest, d, force=True) for d in doc_ids]
        sent = 0
        for doc_id in doc_ids:
            try:
                self.queue.enqueue(INGEST_TASK, document_id=doc_id)
            except QueueUnavailable:
                break  # they stay queued; the reconciler sends them when the broker is back
            sent += 1
        later = "queued; the workers will pick it up when the queue is back"
        return [IngestResult(d, "queued", message="queued" if i < sent else later) for i, d in enumerate(doc_ids)]

    def reindex(self, *, ref: str | None = None, space: str | None = None, background: bool = False,
                by: Adder = CLI_ADDER) -> list[IngestResult]:
        """Re-embed one document, or every document; a changed embedding model rebuilds the index first."""
        if ref is not None:
            doc = self.find(ref, space=space)
            with self.engine.begin() as conn:
                _audit(conn, doc.space, by, "reindexed", doc.title, doc.id)
            return self.requeue([doc.id], background=background)
        with self.engine.begin() as conn:
            if index_meta(conn) not in (None, (self.embedder.model_id, self.embedder.dim)):
                if space is not None:
                    # One index holds every space: a model change must rebuild all of them, not one.
                    raise IndexMismatch("The embedding model changed; run `reindex --all` without --space to "
                                        "rebuild the whole index.")
                switch_model(conn, model=self.embedder.model_id, dim=self.embedder.dim)
        docs = self.documents(space=space)
        with self.engine.begin() as conn:
            for where in sorted({d.space for d in docs}):
                _audit(conn, where, by, "reindexed", f"all {sum(d.space == where for d in docs)} documents")
        return self.requeue([d.id for d in docs], background=background)

    def retry(self, ref: str, *, space: str | None = None, background: bool = True) -> IngestResult:
        """Queue a failed document again."""
        doc = self.find(ref, space=space)
        return self.requeue([doc.id], background=background)[0]

    def in_flight(self, *, space: str | None = None) -> list[DocumentInfo]:
        """Documents queued or processing."""
        with self.engine.connect() as conn:
            return repo.list_documents(conn, space=space, statuses=["queued", "processing"])

    def stats(self, *, space: str | None = None) -> dict[str, Any]:
        """Counts of documents, chunks and questions, and the grounded ratio."""
        with self.engine.connect() as conn:
            return repo.stats(conn, space=space)

    def feedback(self, *, space: str, limit: int = 10) -> list[dict[str, Any]]:
        """Recent 👎 with the question, the answer, the comment and the cited documents: what to fix."""
        with self.engine.connect() as conn:
            return ops.recent_downvotes(conn, space=space, limit=limit)

    def gaps(self, *, space: str, limit: int = 20) -> list[dict[str, Any]]:
        """Recent questions that got no grounded answer: what the documents are missing."""
        with self.engine.connect() as conn:
            return ops.unanswered_questions(conn, space=space, limit=limit)


def _audit(conn: Any, space: str, by: Adder, action: str, subject: str, doc_id: int | None = None,
           detail: str | None = None) -> None:
    audit.record(conn, space=space, actor=by.id, actor_name=by.name, action=action, subject=subject,
                 document_id=doc_id, detail=detail)


