"""The audit trail: one row per change to what the bot knows, newest first when read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class AuditEntry:
    """Who did what to which document, and when."""

    at: datetime
    actor: str | None  # platform-prefixed id; None is an admin outside chat (the CLI) or Ragbot itself
    actor_name: str | None
    action: str  # added, replaced, deleted, reindexed, owner, expired, ...
    subject: str
    document_id: int | None
    detail: str | None


def record(conn: Connection, *, space: str, actor: str | None, actor_name: str | None, action: str, subject: str,
           document_id: int | None = None, detail: str | None = None) -> None:
    """Append one entry, in the caller's transaction so it lands exactly when the change does."""
    conn.execute(
        text("INSERT INTO audit_log (space_id, actor, actor_name, action, document_id, subject, detail)"
             " VALUES (:s, :a, :n, :act, :d, :sub, :det)"),
        {"s": space, "a": actor, "n": actor_name, "act": action, "d": document_id, "sub": subject, "det": detail},
    )


def latest(conn: Connection, *, space: str | None, limit: int) -> list[AuditEntry]:
    """The newest entries, of one space or of all."""
    where = "WHERE space_id = :s" if space is not None else ""
    rows = conn.execute(
        text(f"SELECT at, actor, actor_name, action, subject, document_id, detail FROM audit_log {where}"
             " ORDER BY at DESC, id DESC LIMIT :n"),
        {"s": space, "n": limit},
    )
    return [AuditEntry(r.at, r.actor, r.actor_name, r.action, r.subject, r.document_id, r.detail) for r in rows]
