"""Background jobs over plain collaborators; the Celery tasks in workers/ are thin wrappers over these."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from sqlalchemy import Engine

from ragbot.admin import Admin
from ragbot.domain import DocStatus
from ragbot.errors import QueueUnavailable, TransientError
from ragbot.ingestion.intake import INGEST_TASK
from ragbot.ingestion.pipeline import (
    IngestContext,
    IngestResult,
    LoggingNotifier,
    ingest_document,
    source_failed,
    stale_note,
)
from ragbot.ports import IngestQueue, Notifier
from ragbot.storage import audit, retention
from ragbot.storage import repository as repo
from ragbot.storage.locks import document_lock

_log = logging.getLogger(__name__)

URL_TASK = "ragbot.ingest_url"


@dataclass(frozen=True)
class Retention:
    """How long failed uploads and old questions are kept, in days (0 keeps them)."""

    failed_days: int
    question_days: int


@dataclass(frozen=True)
class Jobs:
    """Background jobs over the collaborators the composition root hands in."""

    engine: Engine
    queue: IngestQueue
    ingest: IngestContext
    notifier: Notifier
    admin: Admin
    retention: Retention

    def reconcile(self, *, older_than_seconds: int) -> list[int]:
        """Re-queue documents stuck in queued or processing; Postgres, not the broker, says what is unfinished."""
        with self.engine.begin() as conn:
            stuck = repo.claim_stuck_documents(conn, older_than_seconds=older_than_seconds)
        sent: list[int] = []
        for doc_id in stuck:
            try:
                self.queue.enqueue(INGEST_TASK, document_id=doc_id)
            except QueueUnavailable:
                # The rest stay queued and are claimed again after another threshold.
                _log.warning("reconciler: queue unavailable, %d documents wait", len(stuck) - len(sent))
                break
            sent.append(doc_id)
        if stuck:
            _log.info("reconciler re-sent %d stuck documents: %s", len(sent), sent)
        return sent

    def resync_urls(self) -> list[int]:
        """Send every ready or failed URL source for a re-fetch; each re-indexes only when its content changed."""
        # Failed ones too: failures in a row make a source stale, and the next success must be able to clear it.
        with self.engine.connect() as conn:
            ids = repo.url_documents(conn, statuses=("ready", "failed"))
        sent: list[int] = []
        for doc_id in ids:
            try:
                self.queue.enqueue(URL_TASK, document_id=doc_id)
            except QueueUnavailable:
                break  # the next scheduled re-sync tries again
            sent.append(doc_id)
        return sent

    def prune(self) -> dict[str, int]:
        """Apply the retention settings: delete long-failed uploads that never indexed, and old questions."""
        keep = self.retention
        with self.engine.begin() as conn:
            failed = (retention.delete_failed_documents(conn, older_than_days=keep.failed_days)
                      if keep.failed_days else [])
            for doc in failed:
                audit.record(conn, space=doc.space_id, actor=None, actor_name="retention", action="expired",
                             subject=doc.title, document_id=doc.id,
                             detail=f"failed and never indexed for {keep.failed_days} days")
            questions = (retention.delete_old_questions(conn, older_than_days=keep.question_days)
                         if keep.question_days else 0)
        if failed or questions:
            _log.info("retention: deleted %d failed documents %s and %d questions", len(failed),
                      [d.id for d in failed], questions)
        return {"failed_documents": len(failed), "questions": questions}

    def resync_url(self, document_id: int) -> IngestResult:
        """Re-fetch one URL source; unchanged content costs no embedding and no chunk write."""
        # A routine re-sync must not edit the chat message that announced the original upload; a source that has just
        # gone dead is still told to its owner.
        quiet = replace(self.ingest, notifier=OnlyStale(self.notifier))
        return ingest_document(quiet, document_id, force=True)

    def reindex_document(self, document_id: int) -> IngestResult:
        """Rebuild one document's chunks from its current content."""
        return self.admin.requeue([document_id], background=False)[0]

    def reindex_space(self, space: str) -> int:
        """Queue every document of a space for re-indexing; returns how many."""
        return len(self.admin.reindex(space=space, background=True))

    def delete_document(self, document_id: int) -> bool:
        """Delete a document with its chunks and bytes, after any ingestion of it has finished."""
        with document_lock(self.engine, document_id), self.engine.begin() as conn:
            return repo.delete_document(conn, document_id=document_id)

    def give_up(self, document_id: int, reason: str) -> None:
        """Mark a document failed with a reason a user can act on (retries exhausted, time limit hit)."""
        with self.engine.connect() as conn:
            row = repo.get_document_row(conn, document_id=document_id)
        if (row is not None and row.source_kind == "url"
                and source_failed(self.ingest, document_id, TransientError(reason))):
            # A server down through every retry counts as one failed re-sync.
            reason += stale_note(self.ingest.limits.hide_stale)
        with self.engine.begin() as conn:
            repo.set_status(conn, document_id=document_id, status=DocStatus.FAILED, progress=100, error=reason)
        self.notifier.notify(document_id, DocStatus.FAILED.value, 100, reason)


class OnlyStale(LoggingNotifier):
    """Logs progress like a quiet run, but passes on the news that a source has gone stale."""

    def __init__(self, inner: Notifier) -> None:
        self.inner = inner

    def notify(self, document_id: int, state: str, percent: int, message: str) -> None:
        """Forward "stale"; log the rest."""
        if state == "stale":
            self.inner.notify(document_id, state, percent, message)
        else:
            super().notify(document_id, state, percent, message)


