"""Accepting documents: check them at the door, store their bytes, and queue them for ingestion."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import Engine

from ragbot.domain import CLI_ADDER, Adder, DocStatus, Scope
from ragbot.errors import FileTooLarge, NotAllowed, QueueUnavailable, UnsupportedFile
from ragbot.ingestion.loaders import SUPPORTED_SUFFIXES
from ragbot.ingestion.pipeline import content_hash
from ragbot.ports import IngestQueue
from ragbot.storage import audit, catalog
from ragbot.storage import repository as repo

INGEST_TASK = "ragbot.ingest_document"


@dataclass(frozen=True)
class Accepted:
    """A document accepted for ingestion."""

    document_id: int
    changed: bool
    queued: bool = False
    message: str = ""


def check_upload(*, filename: str, size: int, max_bytes: int) -> None:
    """Refuse an upload before downloading or storing it: unsupported type or over the cap."""
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UnsupportedFile(f"{filename}: unsupported file type {suffix or '(none)'}; Ragbot reads {kinds}.")
    if size > max_bytes:
        raise FileTooLarge.upload(filename, size=size, max_bytes=max_bytes)


def owner_label(uploader: str | None, name: str | None) -> str:
    """How a document's owner reads in a message: 'an admin' when nobody is recorded."""
    if uploader is None:
        return "an admin"
    return f"{name} ({uploader})" if name else uploader


def replace_policy(by: Adder, label: str) -> Any:
    """A check for repo.upsert_document: only the uploader or an admin may replace an existing document."""
    def check(row: Any) -> None:
        # Rows without an uploader came from the CLI or predate ownership: they are admin-owned.
        if by.is_admin or (row.uploader is not None and row.uploader == by.id):
            return
        when = row.added_at.strftime("%Y-%m-%d") if getattr(row, "added_at", None) else "earlier"
        raise NotAllowed(
            f"{label} is already in the knowledge base (document {row.id}, added by "
            f"{owner_label(row.uploader, row.uploader_name)} on {when}). Only they or an admin can replace it: "
            "ask an admin, or upload yours under another name."
        )
    return check


def add_file(
    engine: Engine,
    *,
    scope: Scope,
    data: bytes,
    filename: str,
    source_uri: str,
    max_bytes: int,
    source_kind: str = "file",
    by: Adder = CLI_ADDER,
    chat_ref: dict[str, Any] | None = None,
    link: str | None = None,
) -> Accepted:
    """Store a file's bytes and mark its document queued; unchanged content is left as it is.

    link is where the file opens in chat (citations link there); it is kept even when the content is unchanged.

    Replacing another person's document needs an admin: NotAllowed otherwise, and the document stays as it was.
    """
    check_upload(filename=filename, size=len(data), max_bytes=max_bytes)
    replaced: list[Any] = []
    policy = replace_policy(by, filename)

    def may_replace(row: Any) -> None:
        policy(row)
        replaced.append(row)

    with engine.begin() as conn:
        doc_id, changed = repo.upsert_document(
            conn, space=scope.space, channel=scope.channel, source_kind=source_kind, source_uri=source_uri,
            title=PurePosixPath(filename).stem, filename=filename, uploader=by.id, uploader_name=by.name,
            added_via=by.via, content_hash=content_hash(data), data=data, chat_ref=chat_ref, may_replace=may_replace,
        )
        if link:
            catalog.set_link(conn, document_id=doc_id, link=link)
        if changed:
            audit.record(conn, space=scope.space, actor=by.id, actor_name=by.name, document_id=doc_id,
                         action="replaced" if replaced else "added", subject=filename, detail=f"via {by.via}")
    return Accepted(doc_id, changed)


def add_url(
    engine: Engine, *, scope: Scope, url: str, by: Adder = CLI_ADDER, chat_ref: dict[str, Any] | None = None
) -> Accepted:
    """Register a URL source as queued; the worker fetches it. Re-adding someone else's URL needs an admin."""
    with engine.begin() as conn:
        row = repo.find_document(conn, space=scope.space, channel=scope.channel, source_uri=url)
        doc_id, _ = repo.upsert_document(
            conn, space=scope.space, channel=scope.channel, source_kind="url", source_uri=url, title=url,
            filename=None, uploader=by.id, uploader_name=by.name, added_via=by.via, chat_ref=chat_ref,
            may_replace=replace_policy(by, url),
        )
        if row is not None:
            repo.requeue(conn, document_id=doc_id)
        audit.record(conn, space=scope.space, actor=by.id, actor_name=by.name, document_id=doc_id,
                     action="re-added" if row is not None else "added", subject=url, detail=f"via {by.via}")
    return Accepted(doc_id, True)


def enqueue(queue: IngestQueue, accepted: Accepted, *, engine: Engine | None = None) -> Accepted:
    """Send an accepted document to the workers; a broker outage leaves it queued for the reconciler.

    With an engine, that outage is written on the document, so `ragbot docs` shows why it waits.
    """
    if not accepted.changed:
        return Accepted(accepted.document_id, False, False, "unchanged, nothing to do")
    try:
        queue.enqueue(INGEST_TASK, document_id=accepted.document_id)
    except QueueUnavailable:
        message = "queued; the workers will pick it up when the queue is back"
        if engine is not None:
            with engine.begin() as conn:
                repo.set_status(conn, document_id=accepted.document_id, status=DocStatus.QUEUED,
                                error="the task queue was unreachable; the reconciler sends it when the queue is back")
        return Accepted(accepted.document_id, True, False, message)
    return Accepted(accepted.document_id, True, True, "queued")
