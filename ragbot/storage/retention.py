"""Retention: failed uploads that never became searchable, and the question log, deleted after their time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text


def delete_failed_documents(conn: Connection, *, older_than_days: int) -> list[Any]:
    """Delete failed documents that never had a searchable version, unchanged for the given days; (id, space_id,
    title) of each, by id.

    A document that was once ready keeps its chunks when a later run fails (chunk_count > 0), so it is kept.
    """
    rows = conn.execute(
        text("DELETE FROM documents WHERE status = 'failed' AND chunk_count = 0"
             " AND status_changed_at < now() - make_interval(days => :d) RETURNING id, space_id, title"),
        {"d": older_than_days},
    )
    return sorted(rows, key=lambda r: r.id)


def delete_old_questions(conn: Connection, *, older_than_days: int) -> int:
    """Delete questions asked more than the given days ago, with their votes and comments (ON DELETE CASCADE)."""
    return conn.execute(
        text("DELETE FROM questions WHERE created_at < now() - make_interval(days => :d)"), {"d": older_than_days}
    ).rowcount
